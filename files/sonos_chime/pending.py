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
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, fields, replace
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
PARTIAL_STALE_AFTER = 600.0  # seconds: a temporary file this old is no write in progress

LOG = logging.getLogger("sonos-chime")


class PendingError(Exception):
    """A state file that cannot be read as a snapshot: `later` when it may be readable later
    (an I/O error, a format of another version), else it never will be."""

    def __init__(self, message: str, later: bool = False) -> None:
        super().__init__(message)
        self.later = later


@dataclass(frozen=True)
class Written:
    """When a file was written: on the wall clock, on the clock of the host's boot, and which
    boot (a random name kept on a tmpfs: a Pi without a clock restarts its wall clock from the
    same saved time at every boot, so two clocks agreeing prove nothing alone)."""

    wall: float
    boot: float
    boot_id: str = ""

    @classmethod
    def now(cls, boot_id: str = "") -> Written:
        return cls(time.time(), time.clock_gettime(time.CLOCK_BOOTTIME), boot_id)

    def age(self, now: Written) -> float | None:
        """Seconds since, when known: same boot, both clocks agree (no jump); else None."""
        if not self.boot_id or self.boot_id != now.boot_id:
            return None
        wall_age, boot_age = now.wall - self.wall, now.boot - self.boot
        if boot_age < 0 or wall_age < 0 or abs(wall_age - boot_age) > 5.0:
            return None
        return boot_age


def boot_token(runtime_dir: Path) -> str:
    """This boot's name, made once per boot in the runtime folder (a tmpfs, empty at boot);
    empty when it cannot be kept (then no snapshot counts as recent)."""
    path = runtime_dir / "boot"
    for _attempt in range(2):
        try:
            return path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            pass
        except OSError:
            return ""
        try:
            runtime_dir.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        except OSError:
            return ""
        token = secrets.token_hex(16)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(token)
        return token
    return ""


@dataclass(frozen=True)
class PendingRestore:
    """A group's snapshot, as it was before the chime touched it."""

    chime_url: str
    transport: Transport
    written: Written
    levels: tuple[MemberLevel, ...] = ()  # the speakers whose levels the chime may change
    changed: frozenset[LevelKey] = frozenset()  # which of their levels
    chime_volumes: tuple[tuple[str, int], ...] = ()  # uid -> the volume the chime sets it to
    restoring_at: Written | None = None  # when the chime was over and its group being put back
    faded: tuple[str, ...] = ()  # the speakers (uids) whose music the chime fades out and back in

    @property
    def coordinator_uid(self) -> str:
        return self.transport.group.coordinator_uid

    def with_levels(
        self, levels: tuple[MemberLevel, ...], changes: Sequence[LevelChange], faded: frozenset[str] = frozenset()
    ) -> PendingRestore:
        """The snapshot once the speakers' levels are known, before the chime's are set (and
        before the music fades: the volumes kept are those it had)."""
        volumes = tuple((change.member.uid, int(change.value)) for change in changes if change.setting == VOLUME)
        return replace(self, levels=levels, changed=frozenset(change.key for change in changes), chime_volumes=volumes,
                       faded=tuple(sorted(faded)))


class PendingStore:
    """The state folder: one file per group coordinator."""

    def __init__(self, folder: Path, boot_id: str = "") -> None:
        self.folder = folder
        self.boot_id = boot_id

    def stamp(self) -> Written:
        return Written.now(self.boot_id)

    def path_for(self, coordinator_uid: str) -> Path:
        return self.folder / f"{file_stem(coordinator_uid)}{SUFFIX}"

    def write(self, pending: PendingRestore, first: bool = False) -> None:
        """Atomically: a reader finds the old file, the new one, or none; never half of one.
        `first`: a run's first write for its group, which never replaces a file (FileExistsError):
        a snapshot there is an earlier chime's that is not put back yet."""
        self.folder.mkdir(mode=0o750, parents=True, exist_ok=True)
        data = json.dumps(to_document(pending), ensure_ascii=False, sort_keys=True).encode("utf-8")
        descriptor, partial = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=PARTIAL)
        target = self.path_for(pending.coordinator_uid)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if first:
                os.link(partial, target)
            else:
                os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
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
        """Raises FileNotFoundError when it is gone (put back meanwhile), PendingError else."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise
        except OSError as error:
            raise PendingError(f"{path}: {error}", later=True) from error
        except ValueError as error:
            raise PendingError(f"{path}: not JSON: {error}") from error
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            found = document.get("format") if isinstance(document, dict) else None
            raise PendingError(f"{path}: format {found!r}, this chime.py reads {FORMAT}", later=isinstance(found, int))
        try:
            return from_document(document)
        except (ValueError, KeyError, TypeError) as error:
            raise PendingError(f"{path}: {error!r}") from error

    def leftovers(self) -> Iterator[Path]:
        """Every state file, oldest first. A temporary file a killed run left (older than any
        write takes) is removed; a folder that cannot be listed is logged, not fatal."""
        try:
            entries = list(self.folder.iterdir())
        except FileNotFoundError:
            return
        except OSError as error:
            LOG.warning("step=recover - the state folder cannot be read: %s", error)
            return
        dated: list[tuple[float, Path]] = []
        for path in entries:
            try:
                modified = path.stat().st_mtime
            except OSError:
                continue  # gone meanwhile
            if path.name.endswith(PARTIAL) and time.time() - modified > PARTIAL_STALE_AFTER:
                path.unlink(missing_ok=True)
            elif path.name.endswith(SUFFIX):
                dated.append((modified, path))
        yield from (path for _modified, path in sorted(dated))


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
        "restoring_at": asdict(pending.restoring_at) if pending.restoring_at is not None else None,
        "faded": list(pending.faded),
        "written": asdict(pending.written),
    }


def from_document(document: dict[str, Any]) -> PendingRestore:
    if document.get("format") != FORMAT:
        raise ValueError(f"format {document.get('format')!r}, expected {FORMAT}")
    raw = dict(document["transport"])
    group = raw.pop("group")
    members = tuple(Member(**known_fields(Member, member)) for member in group["members"])
    transport = Transport(group=Group(group["coordinator_uid"], members), **known_fields(Transport, raw))
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
        restoring_at=written(document["restoring_at"]) if document.get("restoring_at") else None,
        faded=tuple(str(uid) for uid in document.get("faded", [])),
        written=written(document["written"]),
    )


def written(document: dict[str, Any]) -> Written:
    return Written(float(document["wall"]), float(document["boot"]), str(document.get("boot_id", "")))


def known_fields(kind: type[Any], document: dict[str, Any]) -> dict[str, Any]:
    """What a newer chime.py may have added is left out."""
    names = {each.name for each in fields(kind)}
    return {name: value for name, value in document.items() if name in names}
