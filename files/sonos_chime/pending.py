"""What a chime must put back, kept on disk until it is put back.

Before its first change to a group, a run writes the group's snapshot to a file of its own in
the state folder (/var/lib/sonos-chime), and removes it once the group reads back as it was.
A file still there when no run holds the group's lock is a chime that never finished (a power
cut, a SIGKILL, a player that stopped answering): recover.py puts the group back from it.

A file is written whole or not at all: to a temporary name, flushed to disk, then renamed.
It holds the snapshot and no more: the group, its transport, its speakers' levels, the levels
the chime may change, the chime's sound and when the file was written.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .levels import MUTE, VOLUME, LevelChange, LevelKey
from .lock import file_stem
from .snapshot import MemberLevel, Transport
from .topology import Group, Member

FORMAT = 1
SUFFIX = ".json"
PARTIAL = ".partial"
REHEARSAL_BYTES = 4096  # about a group of four's snapshot


class PendingError(Exception):
    """A state file that cannot be read as a snapshot."""


@dataclass(frozen=True)
class Written:
    """When a file was written, on the wall clock and on the clock of the host's boot."""

    wall: float
    boot: float

    @classmethod
    def now(cls) -> Written:
        return cls(time.time(), time.clock_gettime(time.CLOCK_BOOTTIME))

    def age(self, now: Written) -> float | None:
        """Seconds since, when both clocks agree on it (same boot, no clock jump); else None."""
        wall_age, boot_age = now.wall - self.wall, now.boot - self.boot
        if boot_age < 0 or wall_age < 0 or abs(wall_age - boot_age) > 5.0:
            return None
        return boot_age


@dataclass(frozen=True)
class PendingRestore:
    """A group's snapshot, as it was before the chime touched it."""

    chime_url: str
    transport: Transport
    levels: tuple[MemberLevel, ...] = ()  # the speakers whose levels the chime may change
    changed: frozenset[LevelKey] = frozenset()  # which of their levels
    chime_volumes: tuple[tuple[str, int], ...] = ()  # uid -> the volume the chime sets it to
    restoring: bool = False  # the chime is over and the run is putting the group back
    written: Written = field(default_factory=Written.now)

    @property
    def coordinator_uid(self) -> str:
        return self.transport.group.coordinator_uid

    def with_levels(self, levels: tuple[MemberLevel, ...], changes: Sequence[LevelChange]) -> PendingRestore:
        """The snapshot once the speakers' levels are known, before the chime's are set."""
        volumes = tuple((change.member.uid, int(change.value)) for change in changes if change.setting == VOLUME)
        return replace(self, levels=levels, changed=frozenset(change.key for change in changes), chime_volumes=volumes)


class PendingStore:
    """The state folder: one file per group coordinator."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, coordinator_uid: str) -> Path:
        return self.folder / f"{file_stem(coordinator_uid)}{SUFFIX}"

    def write(self, pending: PendingRestore) -> None:
        """Atomically: a reader finds the old file, the new one, or none; never half of one."""
        self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
        data = json.dumps(to_document(pending), ensure_ascii=False, sort_keys=True).encode("utf-8")
        descriptor, partial = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=PARTIAL)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, self.path_for(pending.coordinator_uid))
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
        sync_folder(self.folder)

    def rehearse(self) -> float:
        """Seconds one write takes here now (a throwaway file, written as `write` does): before
        a moment, the switch starts that much earlier for each write it makes."""
        started = time.monotonic()
        try:
            self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
            descriptor, partial = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=PARTIAL)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(bytes(REHEARSAL_BYTES))
                handle.flush()
                os.fsync(handle.fileno())
            Path(partial).unlink()
            sync_folder(self.folder)
        except OSError:
            return 0.0  # the real write will say what is wrong, before anything changes
        return time.monotonic() - started

    def remove(self, coordinator_uid: str) -> None:
        self.path_for(coordinator_uid).unlink(missing_ok=True)
        sync_folder(self.folder)

    def read(self, path: Path) -> PendingRestore:
        try:
            return from_document(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise PendingError(f"{path}: {error}") from error

    def leftovers(self) -> Iterator[Path]:
        """Every state file, oldest first; a partial write left by a killed run is removed."""
        try:
            entries = sorted(self.folder.iterdir(), key=lambda path: path.stat().st_mtime)
        except FileNotFoundError:
            return
        for path in entries:
            if path.name.endswith(PARTIAL):
                path.unlink(missing_ok=True)
            elif path.name.endswith(SUFFIX):
                yield path


def sync_folder(folder: Path) -> None:
    """A rename or removal survives a power cut once its folder is flushed."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def to_document(pending: PendingRestore) -> dict[str, Any]:
    transport = asdict(pending.transport)
    return {
        "format": FORMAT,
        "chime_url": pending.chime_url,
        "transport": transport,
        "levels": [{"uid": level.member.uid, "volume": level.volume, "mute": level.mute} for level in pending.levels],
        "changed": sorted([uid, setting] for uid, setting in pending.changed),
        "chime_volumes": dict(pending.chime_volumes),
        "restoring": pending.restoring,
        "written": asdict(pending.written),
    }


def from_document(document: dict[str, Any]) -> PendingRestore:
    if document.get("format") != FORMAT:
        raise ValueError(f"format {document.get('format')!r}, expected {FORMAT}")
    raw = dict(document["transport"])
    group = raw.pop("group")
    members = tuple(Member(**member) for member in group["members"])
    transport = Transport(group=Group(group["coordinator_uid"], members), **raw)
    by_uid = {member.uid: member for member in members}
    levels = tuple(
        MemberLevel(by_uid[level["uid"]], int(level["volume"]), bool(level["mute"])) for level in document["levels"]
    )
    changed = frozenset((str(uid), str(setting)) for uid, setting in document["changed"] if setting in (VOLUME, MUTE))
    return PendingRestore(
        chime_url=str(document["chime_url"]),
        transport=transport,
        levels=levels,
        changed=changed,
        chime_volumes=tuple((str(uid), int(volume)) for uid, volume in document["chime_volumes"].items()),
        restoring=bool(document["restoring"]),
        written=Written(float(document["written"]["wall"]), float(document["written"]["boot"])),
    )
