"""A locked group, chimed: snapshot → decision → chime switched in → watched → restored.

Each step hands the next an explicit value (Transport, GroupSnapshot, Started, Watched,
Restored). Whatever goes wrong after the group was touched, the group is put back.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import wait
from dataclasses import replace

from .errors import PlayerError
from .fade import NO_FADE, Faded, fade_out, fade_until, fading
from .job import Outcome, RunShared, ZoneResult, ZoneTarget
from .levels import VOLUME, LevelKey, apply_changes
from .pending import PendingRestore, Written
from .plan import LevelLeft, chime_levels, decide, levels_left, restore_levels
from .play import Started, SwitchFailed, start_switch, switch_in
from .player import Player
from .restore import (
    EXPECTED_STATES,
    Mismatch,
    Restored,
    RestoreFailed,
    RestoreTask,
    restore,
    restore_untouched_levels,
)
from .snapshot import (
    GroupSnapshot,
    MemberLevel,
    PendingLevels,
    Speculation,
    Transport,
    read_levels,
    read_transport,
)
from .tasks import spawn
from .topology import Group
from .watch import ChimeWatcher, Ending, EndKind, Watched, deadline_before_play
from .zonelog import ZoneLog, quote


def interrupt_group(
    zone: ZoneTarget, group: Group, shared: RunShared, log: ZoneLog, speculation: Speculation | None
) -> ZoneResult:
    reading = time.monotonic()
    try:
        transport, pending = read_transport(group, shared.timeout, shared.timing, log, speculation)
    except PlayerError as error:
        log("snapshot", str(error), logging.ERROR, outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, f"snapshot: {error}")
    log = log.playing(transport.kind)
    decision = decide(transport, shared.job.policy)
    if not decision.interrupt:
        log("decide", decision.reason, decision="skip", outcome="skipped")
        return ZoneResult(zone.name, Outcome.SKIPPED, decision.reason)
    if shared.stop.is_set():
        log("decide", "stop requested before the chime", decision="skip", outcome="skipped")
        return ZoneResult(zone.name, Outcome.SKIPPED, "stopped before the chime")
    sound = shared.sound_now()
    if sound is not None and sound.reachable is False:
        detail = f"sound unreachable, nothing changed: {sound.detail}"
        log("decide", detail, logging.ERROR, decision="skip", outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, detail)
    log("decide", decision.reason, decision="interrupt")
    return chime_and_restore(zone, transport, pending, shared, log, time.monotonic() - reading)


def chime_and_restore(
    zone: ZoneTarget, transport: Transport, pending: PendingLevels, shared: RunShared, log: ZoneLog, read_seconds: float = 0.0
) -> ZoneResult:
    coordinator = Player.of(transport.group.coordinator, shared.timeout)
    kept = PendingRestore(shared.job.url, transport, shared.pending.stamp() if shared.pending is not None else Written(0.0, 0.0))
    try:
        keep(kept, shared, first=True)
    except FileExistsError:
        detail = "an earlier chime's snapshot of this group is not put back yet (it is tried again): nothing changed"
        log("snapshot", detail, logging.ERROR, outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, detail)
    except OSError as error:
        detail = f"cannot keep the snapshot on disk, nothing changed: {error}"
        log("snapshot", detail, logging.ERROR, outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, detail)
    fade, on_disk = NO_FADE, False
    if shared.job.fade and transport.was_playing:
        snapshot = GroupSnapshot(transport, read_levels(pending, shared.timeout, log))
        kept, fade, on_disk = fade_first(snapshot, kept, shared, log, read_seconds)
        abandoned = after_the_fade(zone, coordinator, snapshot, fade, shared, log)
        if abandoned is not None:
            if not abandoned.left_changed:
                forget(transport.group.coordinator_uid, shared, log)
            return abandoned
        switching = start_switch(coordinator, shared)
    else:
        switching = start_switch(coordinator, shared)
        snapshot = GroupSnapshot(transport, read_levels(pending, shared.timeout, log))
        kept = kept.with_levels(snapshot.levels, chime_levels(snapshot.levels, shared.job))
    try:
        if not on_disk:
            keep(kept, shared)
        started = switch_in(coordinator, transport, snapshot.levels, switching, shared, log, fade)
    except SwitchFailed as failure:
        if failure.sound_refused:
            result = refused(zone, snapshot, failure, shared, log)
            if not result.left_changed:
                forget(transport.group.coordinator_uid, shared, log)
            return result
        log("play", str(failure.error), logging.ERROR)
        watched = never_played(shared, str(failure.error))
        started = Started(play_sent=watched.ending.at, changed=failure.changed, faded=fade.uids)
    except Exception as error:  # whatever went wrong, the group is put back
        log.exception("unexpected error starting the chime")
        watched = never_played(shared, f"unexpected error: {error}")
        started = Started(play_sent=watched.ending.at, changed=planned_changes(snapshot.levels, shared, fade), faded=fade.uids)
    else:
        watched = watch(coordinator, transport.group, started, shared, log)
    wait([switching])  # never put the source back while the chime is still being switched in
    if watched.ending.kind != EndKind.TAKEN_OVER:
        mark_restoring(kept, shared, log)
    result = finish(zone, coordinator, snapshot, started, watched, shared, log)
    if not result.left_changed:
        forget(transport.group.coordinator_uid, shared, log)
    return result


def fade_first(
    snapshot: GroupSnapshot, kept: PendingRestore, shared: RunShared, log: ZoneLog, read_seconds: float
) -> tuple[PendingRestore, Faded, bool]:
    """The music faded out before the chime is switched in: the volumes it had are on disk
    first (a run killed mid-fade loses none), then each speaker steps down to silence by the
    time the rest of the switch (the last step's answer, a look at the group, two round trips)
    must begin for Play to go at the moment. The snapshot to keep, the fade, and whether that
    snapshot is on disk already."""
    speakers = fading(snapshot.transport, snapshot.levels, shared.job.fade)
    uids = frozenset(level.member.uid for level in speakers)
    unfaded = kept.with_levels(snapshot.levels, chime_levels(snapshot.levels, shared.job))
    if not speakers:
        return unfaded, NO_FADE, False
    fading_kept = kept.with_levels(snapshot.levels, chime_levels(snapshot.levels, shared.job, uids), faded=uids)
    try:
        keep(fading_kept, shared)
    except OSError as error:
        log("fade", f"no fade: the volumes cannot be kept on disk first: {error}", logging.WARNING)
        return unfaded, NO_FADE, False
    began = time.monotonic()
    # The last step's answer, the look at the group after the fade, then the switch.
    after = (shared.timing.switch_round_trips + 1) * read_seconds + shared.timing.switch_safety
    until = fade_until(shared.job.fade, shared.moment.mono if shared.moment is not None else None, after)
    left = fade_out(speakers, until, shared.timeout, shared.timing, shared.stop)
    log("fade", "faded out", fade_ms=round((time.monotonic() - began) * 1000), speakers=len(speakers))
    fade = Faded(frozenset(left), frozenset((uid, VOLUME) for uid in left), left)
    if fade.uids == uids:
        return fading_kept, fade, True
    # Some speakers never took a step: only those the fade reached are on disk as faded.
    return kept.with_levels(snapshot.levels, chime_levels(snapshot.levels, shared.job, fade.uids), faded=fade.uids), fade, False


def after_the_fade(
    zone: ZoneTarget, coordinator: Player, snapshot: GroupSnapshot, fade: Faded, shared: RunShared, log: ZoneLog
) -> ZoneResult | None:
    """A fade takes seconds: a run stopped meanwhile, or a group someone took over (another
    source, a Pause), gets no chime; the volumes the fade changed go back. None: chime."""
    if shared.stop.is_set():
        return unfade(zone, snapshot, fade, shared, log, "stopped before the chime", only_untouched=False)
    changed = group_changed(coordinator, snapshot.transport, log)
    if changed:
        detail = f"someone took the zone over during the fade ({changed}): left as they set it"
        return unfade(zone, snapshot, fade, shared, log, detail, only_untouched=True)
    return None


def group_changed(coordinator: Player, transport: Transport, log: ZoneLog) -> str:
    """How the coordinator's source or state differs from the snapshot's ("" if it does not);
    a coordinator that does not answer is chimed all the same (the switch finds out)."""
    media, state = spawn(coordinator.media_info), spawn(coordinator.transport_state)
    try:
        uri, now = media.result().get("CurrentURI", ""), state.result()
    except PlayerError as error:
        log("fade", f"the group could not be looked at after the fade: {error}", logging.WARNING)
        return ""
    if uri != transport.uri:
        return f"now playing {uri or 'nothing'}"
    if now not in EXPECTED_STATES.get(transport.transport_state, (transport.transport_state,)):
        return f"transport is {now}"
    return ""


def unfade(
    zone: ZoneTarget, snapshot: GroupSnapshot, fade: Faded, shared: RunShared, log: ZoneLog, detail: str, only_untouched: bool
) -> ZoneResult:
    """No chime after the fade: the volumes it changed go back (with `only_untouched`, those
    nobody turned up since), and the zone is skipped."""
    problems = fade.put_back(snapshot.levels, shared.timeout, shared.timing, only_untouched)
    for problem in problems:
        log("fade", f"volume not put back on {problem}", logging.ERROR)
    if problems:
        log("fade", detail, logging.ERROR, decision="skip", outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, "; ".join([detail, *problems]), left_changed=True)
    log("fade", detail, decision="skip", outcome="skipped", levels="put back" if fade.changed else "untouched")
    return ZoneResult(zone.name, Outcome.SKIPPED, detail)


def keep(pending: PendingRestore, shared: RunShared, first: bool = False) -> None:
    """On disk before the change it makes possible: a host that dies mid-chime loses nothing."""
    if shared.pending is not None:
        shared.pending.write(pending, first=first)


def mark_restoring(kept: PendingRestore, shared: RunShared, log: ZoneLog) -> None:
    """A run killed while it puts the group back left the group's own source on it, perhaps
    stopped: the state file says so, and the recovery finishes the restore."""
    if shared.pending is None:
        return
    try:
        keep(replace(kept, restoring_at=shared.pending.stamp()), shared)
    except OSError as error:
        log("restore", f"state file not updated: {error}", logging.WARNING)


def forget(coordinator_uid: str, shared: RunShared, log: ZoneLog) -> None:
    if shared.pending is None:
        return
    try:
        shared.pending.remove(coordinator_uid)
    except OSError as error:
        log("restore", f"state file not removed (the next chime puts nothing back twice): {error}", logging.WARNING)


def never_played(shared: RunShared, detail: str) -> Watched:
    return Watched(Ending(EndKind.ERROR, time.monotonic(), detail), None, deadline_before_play(shared))


def planned_changes(levels: tuple[MemberLevel, ...], shared: RunShared, fade: Faded) -> frozenset[LevelKey]:
    """Every level the chime meant to change: after an unexpected error, any may have been."""
    return fade.changed | {change.key for change in chime_levels(levels, shared.job, fade.uids)}


def watch(coordinator: Player, group: Group, started: Started, shared: RunShared, log: ZoneLog) -> Watched:
    watcher = ChimeWatcher(coordinator, group, started.play_sent, shared, log)
    try:
        return watcher.watch()
    except PlayerError as error:
        ending = Ending(EndKind.ERROR, time.monotonic(), str(error))
    except Exception as error:  # whatever went wrong, the group is put back
        log.exception("unexpected error during the chime")
        ending = Ending(EndKind.ERROR, time.monotonic(), f"unexpected error: {error}")
    return Watched(ending, watcher.members, watcher.clock.deadline)


def refused(zone: ZoneTarget, snapshot: GroupSnapshot, failure: SwitchFailed, shared: RunShared, log: ZoneLog) -> ZoneResult:
    """The player refused the sound: its source was never replaced, but the chime's volume
    may have been set meanwhile (nothing played)."""
    changes = restore_levels(snapshot.levels, failure.changed, hold_muted=False)
    problems = apply_changes(changes, shared.timeout, shared.timing).failures
    log("play", str(failure.error), logging.ERROR, outcome="failed", changed="volumes, put back" if failure.changed else "nothing")
    for problem in problems:
        log("restore", f"volume or mute not put back on {problem}", logging.ERROR)
    return ZoneResult(zone.name, Outcome.FAILED, f"chime refused: {failure.error}", left_changed=bool(problems))


def finish(
    zone: ZoneTarget, coordinator: Player, snapshot: GroupSnapshot, started: Started, watched: Watched, shared: RunShared, log: ZoneLog
) -> ZoneResult:
    ending = watched.ending
    detail = f": {ending.detail}" if ending.detail else ""
    log("end", ending.kind.value + detail, end=ending.kind.name, chime_ms=round((ending.at - started.play_sent) * 1000))
    present = tuple(level for level in snapshot.levels if watched.members is None or level.member.uid in watched.members)
    gone = [level for level in snapshot.levels if level not in present]
    for level in gone:
        log("restore", f"{quote(level.member.name)} left the group during the chime: only its volume goes back")
    for problem in restore_untouched_levels(gone, started.changed, shared.job.volume_for, shared.timeout, shared.timing):
        log("restore", f"volume not put back on {problem}", logging.WARNING)
    if ending.kind == EndKind.TAKEN_OVER:
        return left_to_user(zone, present, started, ending, shared, log)
    task = RestoreTask(coordinator, snapshot.transport, present, started.changed, shared.timing, shared.timeout, started.faded)
    try:
        restored = restore(task, watched.deadline, log)
    except RestoreFailed as failure:
        return restore_failed(zone, present, failure, shared, log)
    return report(zone, snapshot.transport, ending, restored, present, shared, log)


def restore_failed(
    zone: ZoneTarget, present: tuple[MemberLevel, ...], failure: RestoreFailed, shared: RunShared, log: ZoneLog
) -> ZoneResult:
    """The source could not be put back: say so, and which levels could not either."""
    if not isinstance(failure.cause, (PlayerError, Mismatch)):
        log.exception("unexpected error restoring the group")
    left = levels_left(present, dict(failure.levels.left), shared.job)
    log_levels_left(left, log)
    levels = "left-changed" if left else "restored"
    log("restore", f"restore failed: {failure}", logging.ERROR, levels=levels, outcome="failed")
    return ZoneResult(
        zone.name, Outcome.FAILED, "; ".join([f"restore failed: {failure}", *(item.describe() for item in left)]), left_changed=True
    )


def log_levels_left(left: list[LevelLeft], log: ZoneLog) -> None:
    for item in left:
        log("restore", item.describe(), logging.ERROR, levels=item.settings)


def left_to_user(
    zone: ZoneTarget, present: tuple[MemberLevel, ...], started: Started, ending: Ending, shared: RunShared, log: ZoneLog
) -> ZoneResult:
    problems = restore_untouched_levels(present, started.changed, shared.job.volume_for, shared.timeout, shared.timing)
    outcome = "left-to-user" if not problems else "failed"
    log("restore", "someone took the zone over during the chime: their choice is left in place", outcome=outcome)
    if problems:
        return ZoneResult(zone.name, Outcome.FAILED, "; ".join(problems), left_changed=True)
    return ZoneResult(zone.name, Outcome.LEFT_TO_USER, ending.detail)


def report(
    zone: ZoneTarget,
    transport: Transport,
    ending: Ending,
    restored: Restored,
    present: tuple[MemberLevel, ...],
    shared: RunShared,
    log: ZoneLog,
) -> ZoneResult:
    """The coordinator is back as it was: say how the zone did."""
    left = levels_left(present, dict(restored.levels.left), shared.job, dict(restored.levels.read))
    log_levels_left(left, log)
    failures = ([] if ending.kind.heard else [f"{ending.kind.value}: {ending.detail}"]) + [item.describe() for item in left]
    log(
        "restore",
        "restored the source; some speakers were not" if left else "restored",
        logging.ERROR if failures else logging.INFO,
        attempt=restored.attempts,
        state=transport.transport_state,
        resume_gap_ms=round((restored.resumed_at - ending.at) * 1000),
        restore_ms=restored.restore_ms,
        outcome="failed" if failures else "ok" if ending.kind == EndKind.FINISHED else "restored",
    )
    if failures:
        return ZoneResult(zone.name, Outcome.FAILED, "; ".join(failures), left_changed=bool(left))
    return ZoneResult(zone.name, Outcome.CHIMED, ending.kind.value)
