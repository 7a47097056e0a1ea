"""Putting back the groups a chime left behind: from the state files no run holds.

A state file (pending.py) outlives its run when the run never finished: the host lost power,
the kernel or a person killed chime.py, or a player stopped answering before its group went
back. Whatever starts next puts the group back from it, under the group's lock: the next chime
(its own groups first, the others beside), the recovery unit at boot or after a failed chime,
and `chime.py recover` by hand.

- A group still on the chime (playing it, or stopped on it) goes back. Soon after the chime
  (RESUME_WITHIN, on the same boot) it goes back as it was, music playing; later, its source,
  track, position and levels go back, but nothing plays: music that starts by itself in the
  night is worse than music that waits for a press of Play.
- A group someone has started something else on is left as they set it; only the speakers
  still at the chime's volume (or unmuted by it) get their level back, and those the chime's
  fade left anywhere at or below the volume they had (a run killed mid-fade, or during the
  fade-in): a speaker there is taken for the fade's, though a person may have turned it down
  since; one turned up is theirs.
- Whatever goes wrong on the way (no answer, a refusal, a file this version cannot read) keeps
  the file for the next try; a snapshot a week old is given up.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import PlayerError
from .job import RunSettings
from .levels import MUTE
from .lock import GroupLock
from .pending import (
    SUFFIX,
    PendingError,
    PendingRestore,
    PendingStore,
    Written,
    boot_token,
)
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
from .topology import Group, Member
from .zonelog import ZoneLog

LOG = logging.getLogger("sonos-chime")

RESUME_WITHIN = 60.0  # seconds after the chime: its group's music plays on, as after any chime
GIVE_UP_AFTER = 7 * 24 * 3600.0  # seconds: a snapshot this old is no longer what anyone expects back


class Recovered(enum.Enum):
    RESTORED = "put back as it was"
    HELD = "put back, not playing (the chime was long ago)"
    LEFT_TO_USER = "someone has played something since: left as they set it"
    LEVELS_BACK = "the music is back; levels put back"  # the run was killed after its source went back
    LATER = "not put back yet: tried again later"
    BUSY = "a chime is running on this group"
    DROPPED = "given up: the snapshot is too old or unreadable"
    GONE = "already put back"

    @property
    def left(self) -> bool:
        """The file is still there, for a later try."""
        return self in (Recovered.LATER, Recovered.BUSY)


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
        store = PendingStore(settings.state_dir, boot_token(settings.runtime_dir))
        return cls(store, settings.runtime_dir, settings.request_timeout, settings.timing)

    def lock_for(self, uid_or_stem: str) -> GroupLock:
        return GroupLock(self.runtime_dir, uid_or_stem)


def recover_all(recovery: Recovery, skip_uids: Collection[str] = ()) -> dict[Path, Recovered]:
    """Every state file no run holds, each under its group's lock; groups with a speaker in
    `skip_uids` are left to the zones of the run that asks (they put them back themselves)."""
    outcomes: dict[Path, Recovered] = {}
    for path in recovery.store.leftovers():
        if skip_uids and touches(path, recovery.store, skip_uids):
            continue
        try:
            outcomes[path] = recover_file(path, recovery)
        except OSError as error:
            LOG.warning("step=recover - %s: %s", path, error)
            outcomes[path] = Recovered.LATER
    return outcomes


def touches(path: Path, store: PendingStore, uids: Collection[str]) -> bool:
    try:
        return bool(store.read(path).transport.group.uids & set(uids))
    except (OSError, PendingError):
        return False


def recover_file(path: Path, recovery: Recovery) -> Recovered:
    """Under the lock of the group the file is named after (its coordinator's uid)."""
    lock = recovery.lock_for(path.name.removesuffix(SUFFIX))
    try:
        if not lock.try_acquire():
            return Recovered.BUSY
        return recover_locked(path, recovery)
    finally:
        lock.release()


def recover_locked(path: Path, recovery: Recovery, found: Group | None = None) -> Recovered:
    """The file, if it is still there, put back; the caller holds its group's lock. `found`:
    the group as a run just located it (its players' addresses now)."""
    try:
        pending = recovery.store.read(path)
    except FileNotFoundError:
        return Recovered.GONE
    except PendingError as error:
        return unreadable(path, error)
    if found is not None:
        pending = at_addresses_of(pending, found)
    group = pending.transport.group
    log = ZoneLog(group.label).in_group(group.label).playing(pending.transport.kind)
    outcome = put_back(pending, recovery, log)
    if outcome == Recovered.LATER and too_old(pending):
        outcome = Recovered.DROPPED
    if not outcome.left:
        recovery.store.remove(pending.coordinator_uid)
    level = logging.WARNING if outcome in (Recovered.LATER, Recovered.DROPPED) else logging.INFO
    log("recover", f"left by a chime that did not finish: {outcome.value}", level, outcome=outcome.name.lower())
    return outcome


def unreadable(path: Path, error: PendingError) -> Recovered:
    """A file that may be readable later (an I/O error, another version's format) stays; one
    that never will be is set aside under another name, and never read again."""
    if error.later:
        LOG.warning("step=recover - state file not read, kept for later: %s", error)
        return Recovered.LATER
    LOG.error("step=recover - state file unreadable, set aside: %s", error)
    path.replace(path.with_name(path.name + ".unreadable"))
    return Recovered.DROPPED


def too_old(pending: PendingRestore) -> bool:
    return time.time() - pending.written.wall > GIVE_UP_AFTER


def at_addresses_of(pending: PendingRestore, group: Group) -> PendingRestore:
    """The snapshot's speakers at the addresses the group has now (DHCP may have moved one)."""
    now = {member.uid: member for member in group.members}

    def moved(member: Member) -> Member:
        there = now.get(member.uid)
        return member if there is None else replace(member, host=there.host, port=there.port)

    old = pending.transport.group
    transport = replace(pending.transport, group=Group(old.coordinator_uid, tuple(moved(member) for member in old.members)))
    levels = tuple(replace(level, member=moved(level.member)) for level in pending.levels)
    return replace(pending, transport=transport, levels=levels)


def put_back(pending: PendingRestore, recovery: Recovery, log: ZoneLog) -> Recovered:
    coordinator = Player.of(pending.transport.group.coordinator, recovery.timeout)
    try:
        uri = coordinator.media_info().get("CurrentURI", "")
    except PlayerError as error:
        log("recover", str(error), logging.WARNING)
        return Recovered.LATER
    now = recovery.store.stamp()
    if not still_ours(pending, uri, now):
        # A run that was putting the group back sent the levels with the source: a mute now is
        # as likely someone's as the chime's; only a volume still at the chime's goes back.
        return leave_to_user(pending, recovery, log, mutes=pending.restoring_at is None)
    if uri != pending.chime_url and back_as_it_was(pending, coordinator):
        # The run got its transport back (killed during the fade-in, say): only levels are left.
        return leave_to_user(pending, recovery, log, done=Recovered.LEVELS_BACK)
    resume_now = fresh(pending.written, now)
    task = RestoreTask(
        coordinator, as_it_goes_back(pending, resume_now), pending.levels, pending.changed, recovery.timing, recovery.timeout
    )
    mark_restoring(pending, recovery, log)
    try:
        restore(task, time.monotonic() + 4 * recovery.timeout + 2 * recovery.timing.refusal_pause, log)
    except RestoreFailed as failure:
        log("recover", f"restore failed: {failure}", logging.ERROR)
        if isinstance(failure.cause, PlayerError) and failure.cause.lost:
            return Recovered.LATER
        # Refused after a second try (a stream that expired, say): it never will be. Kept, the
        # snapshot would stop every later chime on the group; the levels go back at least.
        leave_to_user(pending, recovery, log)
        return Recovered.DROPPED
    return Recovered.RESTORED if task.transport.transport_state == pending.transport.transport_state else Recovered.HELD


def mark_restoring(pending: PendingRestore, recovery: Recovery, log: ZoneLog) -> None:
    """A recovery killed on its way leaves the group on its own source: the next one finishes."""
    try:
        recovery.store.write(replace(pending, restoring_at=recovery.store.stamp()))
    except OSError as error:
        log("recover", f"state file not updated: {error}", logging.WARNING)


def still_ours(pending: PendingRestore, uri: str, now: Written) -> bool:
    """The group still plays the chime or sits on it; or, just now, the run (or a recovery) was
    putting it back and got as far as its own source: the restore is done again. Later, the
    group's own source is the family's to play again as they like."""
    if uri == pending.chime_url:
        return True
    return pending.restoring_at is not None and fresh(pending.restoring_at, now) and uri == pending.transport.uri


def back_as_it_was(pending: PendingRestore, coordinator: Player) -> bool:
    """The run that was putting the group back got its transport back (it may have been killed
    before the levels were all back, or before it removed its file)."""
    try:
        state = coordinator.transport_state()
    except PlayerError:
        return False
    return state in EXPECTED_STATES.get(pending.transport.transport_state, (pending.transport.transport_state,))


def fresh(written: Written, now: Written) -> bool:
    age = written.age(now)
    return age is not None and age <= RESUME_WITHIN


def as_it_goes_back(pending: PendingRestore, resume_now: bool) -> Transport:
    """The transport as it was; long after the chime, music that played goes back paused. A
    pause is brought back by Play then Pause, every speaker muted meanwhile: only when every
    speaker's level is known (else it could be heard), and only for a queue or a file (a stream
    may not pause); otherwise the group is left stopped on its source."""
    transport = pending.transport
    wants_pause = transport.transport_state == PAUSED or (transport.was_playing and not resume_now)
    if not wants_pause:
        return transport
    known = {level.member.uid for level in pending.levels}
    silent_pause = transport.kind in ("queue", "uri") and known >= transport.group.uids
    return replace(transport, transport_state=PAUSED if silent_pause else STOPPED)


def leave_to_user(
    pending: PendingRestore, recovery: Recovery, log: ZoneLog, mutes: bool = True, done: Recovered = Recovered.LEFT_TO_USER
) -> Recovered:
    """Only the levels nobody has changed since the chime set them go back; one that could not
    go back (a speaker that does not answer) keeps the file for a later try."""
    volumes = dict(pending.chime_volumes)

    def chime_volume(member: Member) -> int | None:
        return volumes.get(member.uid)

    changed = pending.changed if mutes else frozenset(key for key in pending.changed if key[1] != MUTE)
    problems = restore_untouched_levels(pending.levels, changed, chime_volume, recovery.timeout, recovery.timing,
                                        frozenset(pending.faded))
    for problem in problems:
        log("recover", f"volume not put back on {problem}", logging.WARNING)
    return Recovered.LATER if problems else done


def has_leftover(group: Group, settings: RunSettings) -> bool:
    """Whether an earlier chime left a snapshot on any speaker of the group."""
    recovery = Recovery.of(settings)
    return recovery is not None and any(recovery.store.path_for(uid).exists() for uid in group.uids)


def recover_before_the_wait(group: Group, settings: RunSettings) -> None:
    """Before a moment: what an earlier chime left goes back now, under the group's lock if it
    is free, so that putting it back does not make the chime late."""
    if not has_leftover(group, settings):
        return
    lock = GroupLock(settings.runtime_dir, group.coordinator_uid)
    try:
        if lock.try_acquire():
            recover_own_group(group, settings)
    except OSError as error:
        LOG.warning("step=recover - %s", error)
    finally:
        lock.release()


def recover_own_group(group: Group, settings: RunSettings) -> bool:
    """A chime about to play on a group whose lock it holds: what an earlier chime left on any
    of its speakers goes back first, so that this chime's snapshot is the group as the family
    left it. True when there was a file (reads made before are stale). A file that could not
    be put back stays, and the chime's own first write then refuses to replace it."""
    recovery = Recovery.of(settings)
    if recovery is None:
        return False
    found = False
    for uid in (group.coordinator_uid, *sorted(group.uids - {group.coordinator_uid})):
        path = recovery.store.path_for(uid)
        if not path.exists():
            continue
        found = True
        if uid == group.coordinator_uid:
            recover_locked(path, recovery, group)
            continue
        lock = recovery.lock_for(uid)
        try:
            if lock.try_acquire():
                recover_locked(path, recovery, group)
        finally:
            lock.release()
    return found


def recover_until_done(recovery: Recovery, wait: float, every: float) -> bool:
    """Recover, then again every `every` seconds while a group is not back, for up to `wait`
    seconds. True when no state file is left and none was given up."""
    deadline = time.monotonic() + wait
    dropped = 0
    while True:
        outcomes = recover_all(recovery)
        dropped += sum(outcome == Recovered.DROPPED for outcome in outcomes.values())
        left = [path for path, outcome in outcomes.items() if outcome.left]
        if not left:
            return dropped == 0
        if time.monotonic() + every > deadline:
            LOG.warning("step=recover - %d group(s) not put back yet; the next chime or recovery tries again", len(left))
            return False
        time.sleep(every)

