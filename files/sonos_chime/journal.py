"""The chime services' records from the systemd journal, as `journalctl -o json` gives them.

Bounded: the last `records` records of the chime services, and at most MAX_BYTES of them (a
journal may hold years). A line longer than MAX_LINE is cut, and so garbled: history passes it over.
"""

from __future__ import annotations

import functools
import subprocess
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

UNITS = "sonos-chime-*.service"  # roles/sonos_chime/vars/main.yml: __sonos_chime_unit_prefix
RECOVER_UNIT = "sonos-chime-recover.service"  # puts groups back: not a chime's run
# And __REALTIME_TIMESTAMP, which json always has. _SYSTEMD_INVOCATION_ID: one start of a service
# (a PID comes round again within a boot: pid_max is 32768 on 32-bit Raspberry Pi OS).
FIELDS = "MESSAGE,_PID,_BOOT_ID,_SYSTEMD_UNIT,_SYSTEMD_INVOCATION_ID"
MAX_LINE = 64 * 1024
MAX_BYTES = 64 * 1024 * 1024
RECORDS_PER_RUN = 500  # a run of 32 zones with -v writes about that many lines
PAGE_SINCE = "-8d"  # the status page's timeline shows seven days
PAGE_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class JournalRead:
    lines: tuple[str, ...]
    full: bool  # as many records as asked for: the oldest run may begin before them
    error: str = ""  # what journalctl said on stderr, when it said anything


def records_for(runs: int) -> int:
    return min(RECORDS_PER_RUN * runs + 1000, 200_000)


def journal_command(records: int, since: str | None = None) -> list[str]:
    # --all: without it, journalctl writes a MESSAGE longer than 4 KiB as null. No --quiet: to a
    # user who may not read the system's journal, journalctl says so on stderr, and history passes it on.
    return ["journalctl", "--no-pager", "--all", "--output=json", f"--output-fields={FIELDS}",
            f"--lines={records}", f"--unit={UNITS}", *([f"--since={since}"] if since else [])]


def read_journal(records: int, command: Sequence[str] | None = None, limit: int = MAX_BYTES) -> JournalRead:
    """The last `records` records of the chime services, oldest first, at most `limit` characters."""
    argv = list(command) if command is not None else journal_command(records)
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          encoding="utf-8", errors="replace") as process:
        assert process.stdout is not None and process.stderr is not None
        lines, dropped = newest_lines(iter(functools.partial(process.stdout.readline, MAX_LINE), ""), limit)
        error = process.stderr.read(MAX_LINE).strip()
    return JournalRead(tuple(lines), len(lines) >= records or dropped, error)


def read_recent_journal(records: int) -> JournalRead:
    """What the status page reads: the days its timeline shows, and PAGE_MAX_BYTES at most (it
    is written within the service's MemoryMax, after every run)."""
    return read_journal(records, journal_command(records, since=PAGE_SINCE), PAGE_MAX_BYTES)


def newest_lines(lines: Iterable[str], limit: int = MAX_BYTES) -> tuple[deque[str], bool]:
    """The newest lines that fit in `limit` characters, and whether older ones were left out."""
    kept: deque[str] = deque()
    total, dropped = 0, False
    for line in lines:
        kept.append(line)
        total += len(line)
        while total > limit:
            total -= len(kept.popleft())
            dropped = True
    return kept, dropped
