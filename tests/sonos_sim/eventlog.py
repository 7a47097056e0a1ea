"""The event log: one JSON object a line for every request and every state change."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import IO, Any

# Line breaks to str.splitlines() and some editors, which json.dumps(ensure_ascii=False) leaves
# raw (it escapes only the C0 controls): escaped too, so that one event is always one line.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


class EventLog:
    """Thread-safe append-only list of events, optionally mirrored to a JSON-lines file."""

    def __init__(self, path: str | None = None, keep: bool = True) -> None:
        """keep: also hold every event in memory for events() (off for long `serve` runs)."""
        self._keep = keep
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        # The file stays open for the household's lifetime; close() ends it.
        self._file: IO[str] | None = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115

    def write(self, event: dict[str, Any]) -> None:
        stamped = {"mono": time.monotonic(), "wall": datetime.now(UTC).isoformat(), **event}
        line = json.dumps(stamped, ensure_ascii=False).translate(_LINE_BREAKS)
        with self._lock:
            if self._keep:
                # What the file holds, parsed back: tests see exactly what readers of the file see.
                self._events.append(json.loads(line))
            if self._file is not None:
                self._file.write(line + "\n")
                self._file.flush()

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(e) for e in self._events]

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()
                self._file.close()
                self._file = None
