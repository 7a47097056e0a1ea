"""One lock file per group coordinator, so chimes that fire together on one group take turns
and each one snapshots the real state."""

from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from collections.abc import Iterable
from pathlib import Path


def file_stem(uid: str) -> str:
    """A player's uid as a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", uid)


class GroupLock:
    def __init__(self, runtime_dir: Path, coordinator_uid: str) -> None:
        self.path = runtime_dir / f"{file_stem(coordinator_uid)}.lock"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Hold the lock if nobody does, without waiting."""
        self._open()
        if self._take():
            return True
        self.release()
        return False

    def acquire(self, deadline: float, stop: threading.Event, poll: float) -> bool:
        """Hold the lock; True if another chime held it first. Raises TimeoutError."""
        self._open()
        waited = False
        while not self._take():
            waited = True
            if time.monotonic() >= deadline or stop.is_set():
                self.release()
                raise TimeoutError(f"{self.path} is held by another chime")
            stop.wait(poll)
        return waited

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    def _take(self) -> bool:
        assert self._fd is not None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class SiblingGuesses:
    """Group locks this run's own zones take on a guess (each its own uid, before the topology
    answers). A zone that plays for a group whose coordinator is another zone of the run waits
    for that zone to let go: a wait that is not for another chime."""

    def __init__(self, uids: Iterable[str]) -> None:
        self._let_go = {uid: threading.Event() for uid in uids}

    def let_go(self, uid: str | None) -> None:
        if uid is not None and uid in self._let_go:
            self._let_go[uid].set()

    def wait(self, uid: str, timeout: float) -> None:
        event = self._let_go.get(uid)
        if event is not None:
            event.wait(max(0.0, timeout))
