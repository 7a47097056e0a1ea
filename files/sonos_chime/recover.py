"""Putting back the groups a chime left behind: from the state files no run holds.

A state file (pending.py) outlives its run when the run never finished: the host lost power,
the kernel or a person killed chime.py, or a player stopped answering before its group went
back. Whatever starts next puts the group back from it, under the group's lock: the next chime
(its own groups first, the others beside), the recovery unit at boot or after a failed chime,
and `chime.py recover` by hand.

- A group still on the chime (playing it, or stopped on it) goes back. Soon after the chime
  (RESUME_WITHIN, on one boot) it goes back as it was, music playing; later, its source,
  track, position and levels go back, but nothing plays: music that starts by itself in the
  night is worse than music that waits for a press of Play.
- A group someone has started something else on is left as they set it; only the speakers
  still at the chime's volume (or unmuted by it) get their level back.
- A player that does not answer keeps its file: it is put back once it answers again.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import PlayerError
from .job import RunSettings
from .levels import MUTE, VOLUME, LevelChange, apply_changes
from .lock import GroupLock
from .pending import PendingError, PendingRestore, PendingStore, Written
from .player import Player
from .restore import (
    EXPECTED_STATES,
    RestoreFailed,
    RestoreTask,
    restore,
    restore_untouched_levels,
)
from .snapshot import PAUSED, STOPPED, Transport
from .timing import Timing
from .topology import Member
from .zonelog import ZoneLog

LOG = logging.getLogger("sonos-chime")

RESUME_WITHIN = 60.0  # seconds after the file was written: the music plays on as after any chime


class Recovered(enum.Enum):
    RESTORED = "put back as it was"
    HELD = "put back, not playing (the chime was long ago)"
    LEFT_TO_USER = "someone has played something since: left as they set it"
    LATER = "a player did not answer: tried again later"
    BUSY = "a chime is running on this group"
    DROPPED = "could not be put back"
    GONE = "already put back"


@dataclass(frozen=True)
class Recovery:
    """Where the state files and the group locks are, and how long to wait for a player."""

    store: PendingStore
    runtime_dir: Path
    timeout: float
    timing: Timing

    @classmethod
    def of(cls, settings: RunSettings) -> Recovery | None:
        """A run's: None when it keeps no state files (a dry run, say)."""
        if settings.state_dir is None or settings.dry_run:
            return None
        return cls(PendingStore(settings.state_dir), settings.runtime_dir, settings.request_timeout, settings.timing)

    def lock_for(self, coordinator_uid: str) -> GroupLock:
        return GroupLock(self.runtime_dir, coordinator_uid)


def recover_all(recovery: Recovery) -> dict[Path, Recovered]:
    """Every state file no run holds, each under its group's lock."""
    return {path: recover_file(path, recovery) for path in list(recovery.store.leftovers())}


def recover_file(path: Path, recovery: Recovery) -> Recovered:
    try:
        pending = recovery.store.read(path)
    except PendingError as error:
        return drop_unreadable(path, error)
    lock = recovery.lock_for(pending.coordinator_uid)
    try:
        if not lock.try_acquire():
            return Recovered.BUSY
        return recover_locked(pending.coordinator_uid, recovery)
    finally:
        lock.release()


def drop_unreadable(path: Path, error: PendingError) -> Recovered:
    """A file that is not a snapshot cannot guide anything: it is set aside, never retried."""
    LOG.error("step=recover - state file unreadable, set aside: %s", error)
    path.replace(path.with_name(path.name + ".unreadable"))
    return Recovered.DROPPED


def recover_locked(coordinator_uid: str, recovery: Recovery) -> Recovered:
    """The group's state file, if there still is one, put back; the caller holds the lock."""
    path = recovery.store.path_for(coordinator_uid)
    try:
        pending = recovery.store.read(path)
    except PendingError as error:
        if not path.exists():
            return Recovered.GONE
        return drop_unreadable(path, error)
    group = pending.transport.group
    log = ZoneLog(group.label).in_group(group.label).playing(pending.transport.kind)
    outcome = put_back(pending, recovery, log)
    if outcome != Recovered.LATER:
        recovery.store.remove(coordinator_uid)
    level = logging.WARNING if outcome in (Recovered.LATER, Recovered.DROPPED) else logging.INFO
    log("recover", f"left by a chime that did not finish: {outcome.value}", level, outcome=outcome.name.lower())
    return outcome


def put_back(pending: PendingRestore, recovery: Recovery, log: ZoneLog) -> Recovered:
    coordinator = Player.of(pending.transport.group.coordinator, recovery.timeout)
    try:
        uri = coordinator.media_info().get("CurrentURI", "")
    except PlayerError as error:
        log("recover", str(error), logging.WARNING)
        return Recovered.LATER if error.lost else Recovered.DROPPED
    if not still_ours(pending, uri):
        return leave_to_user(pending, recovery, log)
    if uri != pending.chime_url and back_as_it_was(pending, coordinator):
        return finish_levels(pending, recovery, log)
    resume_now = fresh(pending.written, Written.now())
    task = RestoreTask(
        coordinator, as_it_goes_back(pending, resume_now), pending.levels, pending.changed, recovery.timing, recovery.timeout
    )
    try:
        restore(task, time.monotonic() + 4 * recovery.timeout + 2 * recovery.timing.refusal_pause, log)
    except RestoreFailed as failure:
        log("recover", f"restore failed: {failure}", logging.ERROR)
        lost = isinstance(failure.cause, PlayerError) and failure.cause.lost
        return Recovered.LATER if lost else Recovered.DROPPED
    return Recovered.RESTORED if resume_now or not pending.transport.was_playing else Recovered.HELD


def still_ours(pending: PendingRestore, uri: str) -> bool:
    """The group still plays the chime or sits on it; or the run was putting it back and got
    as far as its own source (the restore is done again: it is the same each time)."""
    return uri == pending.chime_url or (pending.restoring and uri == pending.transport.uri)


def back_as_it_was(pending: PendingRestore, coordinator: Player) -> bool:
    """The run that was putting the group back got its transport back (it may have been killed
    before the levels were all back, or before it removed its file)."""
    try:
        state = coordinator.transport_state()
    except PlayerError:
        return False
    return state in EXPECTED_STATES.get(pending.transport.transport_state, (pending.transport.transport_state,))


def finish_levels(pending: PendingRestore, recovery: Recovery, log: ZoneLog) -> Recovered:
    """Every speaker at its level from before the chime: what the restore's last step does."""
    changes = [LevelChange(level.member, setting, value) for level in pending.levels
               for setting, value in ((VOLUME, level.volume), (MUTE, level.mute))]
    results = apply_changes(changes, recovery.timeout, recovery.timing)
    for step, error in (*results.refused, *results.lost):
        log("recover", f"{step.key[1]} not put back on {step.speaker}: {error}", logging.WARNING)
    return Recovered.LATER if results.lost else Recovered.RESTORED


def fresh(written: Written, now: Written) -> bool:
    age = written.age(now)
    return age is not None and age <= RESUME_WITHIN


def as_it_goes_back(pending: PendingRestore, resume_now: bool) -> Transport:
    """The transport as it was; long after the chime, music that played goes back paused (every
    speaker's level known: paused is brought back silently) or else stopped."""
    transport = pending.transport
    if resume_now or not transport.was_playing:
        return transport
    known = {level.member.uid for level in pending.levels}
    silent_pause = transport.kind in ("queue", "uri") and known >= transport.group.uids
    return replace(transport, transport_state=PAUSED if silent_pause else STOPPED)


def leave_to_user(pending: PendingRestore, recovery: Recovery, log: ZoneLog) -> Recovered:
    volumes = dict(pending.chime_volumes)
    chime_volume: Callable[[Member], int | None] = lambda member: volumes.get(member.uid)
    problems = restore_untouched_levels(pending.levels, pending.changed, chime_volume, recovery.timeout, recovery.timing)
    for problem in problems:
        log("recover", f"volume not put back on {problem}", logging.WARNING)
    return Recovered.LEFT_TO_USER


def recover_own_group(coordinator_uid: str, settings: RunSettings) -> bool:
    """A chime about to play on a group it holds the lock of: what an earlier chime left there
    goes back first, so that this chime's snapshot is the group as the family left it. True
    when there was something to put back (reads made before are stale)."""
    recovery = Recovery.of(settings)
    if recovery is None or not recovery.store.path_for(coordinator_uid).exists():
        return False
    recover_locked(coordinator_uid, recovery)
    return True


def recover_until_done(recovery: Recovery, wait: float, every: float) -> bool:
    """Recover, then again every `every` seconds while a player has not answered, for up to
    `wait` seconds. True when no state file is left."""
    deadline = time.monotonic() + wait
    while True:
        outcomes = recover_all(recovery)
        left = [path for path, outcome in outcomes.items() if outcome in (Recovered.LATER, Recovered.BUSY)]
        if not left:
            return True
        if time.monotonic() + every > deadline:
            LOG.warning("step=recover - %d group(s) not put back yet; the next chime or recovery tries again", len(left))
            return False
        time.sleep(every)
