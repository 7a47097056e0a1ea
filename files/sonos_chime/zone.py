"""One zone, start to end: located, then under its group's lock, overlaid or interrupted and restored.

A run given a moment waits for it first, with no lock held (prepare.py).

Each zone of a run goes through this in its own thread. A zone that shares its group with
a zone listed before it in the chime stands aside: exactly one zone plays per group. Once
every zone is done, such a zone is said chimed with that zone's group (`outcome=with-group`),
or skipped as that group was (settle_stand_asides).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence

from .config import INTERRUPT_MODE
from .errors import PlayerError, ZoneFailure
from .fade import fading
from .interrupt import interrupt_group
from .job import Outcome, RunShared, ZoneResult, ZoneTarget
from .locate import Located, locate, look_again, zone_playing_for
from .lock import GroupLock
from .moment import wait_until
from .plan import decide
from .player import Player
from .prepare import switch_time, wait_unlocked, waits_long
from .quiet import QuietRoom
from .recover import recover_own_group
from .snapshot import (
    LevelReading,
    Speculation,
    TransportReading,
    read_levels,
    read_transport,
)
from .topology import Group
from .zonelog import ZoneLog, quote

LOCK_TRIES = 3  # a group that changes this often while we wait for it is reported


def run_zone(zone: ZoneTarget, shared: RunShared) -> ZoneResult:
    log = ZoneLog(zone.name)
    quiet = shared.quiet_room([zone.uid])
    if quiet is not None:
        shared.guesses.let_go(zone.uid)
        return quiet_skip(zone, quiet, log)
    speculation = speculate(zone, shared)
    try:
        return located_run(zone, shared, log, speculation)
    except Exception as error:  # a bug in one zone must not stop the others
        log.exception("unexpected error")
        return ZoneResult(zone.name, Outcome.FAILED, f"unexpected error: {error}")
    finally:
        if speculation is not None:
            speculation.lock.release()
        shared.guesses.let_go(zone.uid)


def speculate(zone: ZoneTarget, shared: RunShared) -> Speculation | None:
    """Lock and read the zone's own player while the topology is asked for (not before a
    moment: no lock is held while it is waited for, and the reads would be old by then)."""
    if zone.uid is None or shared.settings.dry_run or shared.moment is not None:
        shared.guesses.let_go(zone.uid)
        return None
    lock = GroupLock(shared.settings.runtime_dir, zone.uid)
    try:
        if not lock.try_acquire():
            shared.guesses.let_go(zone.uid)
            return None  # another chime is busy here: the usual path waits for it
    except OSError:
        shared.guesses.let_go(zone.uid)
        return None
    player = Player(zone.host, 1400, shared.timeout)
    return Speculation(lock, zone.uid, zone.host, TransportReading.start(player), LevelReading.start(player))


def located_run(zone: ZoneTarget, shared: RunShared, log: ZoneLog, speculation: Speculation | None) -> ZoneResult:
    try:
        located = locate(zone, shared, log)
        lock_at: float | None = None
        if waits_for_the_moment(zone, located, shared):
            prepared = wait_unlocked(zone, located, shared, log.in_group(located.group.label))
            located, lock_at = prepared.located, prepared.lock_at
    except ZoneFailure as error:
        log("locate", str(error), logging.ERROR, outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, str(error))
    log = log.in_group(located.group.label)
    quiet = shared.quiet_room(member.room_uid for member in located.group.members)
    if quiet is not None:
        let_go(speculation, shared)
        return quiet_skip(zone, quiet, log)
    playing_for = zone_playing_for(located, shared.job, zone)
    if playing_for.name != zone.name:
        let_go(speculation, shared)
        message = f"{quote(playing_for.name)} comes first in this chime and plays for this group"
        log("stand-aside", message, decision="stand-aside")
        # Chimed with that zone's group, if it is: settled when every zone is done (settle_stand_asides).
        return ZoneResult(zone.name, Outcome.WITH_GROUP, message, played_by=playing_for.name, group=located.group.label,
                          zone_uid=located.uid)
    if shared.settings.dry_run:
        return dry_run(zone, located, shared, log)
    if speculation is not None and not speculation.guessed(located.group):
        let_go(speculation, shared)
        speculation = None
    return locked_run(zone, located, shared, log, speculation, lock_at)


def settle_stand_asides(results: Sequence[ZoneResult]) -> list[ZoneResult]:
    """Once every zone is done, each zone that stood aside takes the outcome of the zone that
    played for its group, and says it: `outcome=with-group - chimed with "Living Room"'s
    group` (a success), or skipped with the reason that zone's group was not chimed."""
    by_zone = {result.zone: result for result in results}
    settled: dict[str, ZoneResult] = {}

    def settle(result: ZoneResult, seen: frozenset[str]) -> ZoneResult:
        if result.played_by is None or result.zone in settled:
            return settled.get(result.zone, result)
        leader = by_zone.get(result.played_by)
        if leader is not None and leader.played_by is not None and leader.zone not in seen:
            leader = settle(leader, seen | {result.zone})  # that zone stood aside in turn (its group changed)
        settled[result.zone] = standing_aside(result, leader)
        return settled[result.zone]

    return [settle(result, frozenset()) for result in results]


def went_to(group: Group, result: ZoneResult) -> ZoneResult:
    """The result of the zone that played for `group`: the zones that stood aside for it look
    for themselves in its players."""
    return dataclasses.replace(result, played_for=group.uids)


def standing_aside(result: ZoneResult, leader: ZoneResult | None) -> ZoneResult:
    log = ZoneLog(result.zone).in_group(result.group)
    name = quote(str(result.played_by))
    if leader is not None and leader.outcome.chimed and result.zone_uid in leader.played_for:
        log("stand-aside", f"chimed with {name}'s group", outcome="with-group")
        return dataclasses.replace(result, outcome=Outcome.WITH_GROUP, detail=f"chimed with {name}'s group",
                                   played_for=leader.played_for)
    if leader is None or (leader.outcome.chimed and not leader.played_for):
        detail = f"{name} was to play for this group and left no result"
    elif leader.outcome.chimed:
        detail = f"{name} chimed a group this zone was no longer in (the groups changed)"
    elif leader.outcome == Outcome.FAILED:
        detail = f"{name} plays for this group, which failed: {leader.detail}"
    else:
        detail = f"{name} plays for this group, which was skipped: {leader.detail}"
    log("stand-aside", detail, outcome="skipped")
    return dataclasses.replace(result, outcome=Outcome.SKIPPED, detail=detail)


def quiet_skip(zone: ZoneTarget, quiet: QuietRoom, log: ZoneLog) -> ZoneResult:
    """Nothing is sent to a group with a room in its quiet hours: it would hear the chime."""
    where = "" if quiet.room == zone.name else " (in this zone's group)"
    message = f"{quote(quiet.room)}{where} is in its quiet hours ({quiet.quiet.text}): nothing sent"
    log("quiet", message, decision="skip", reason="quiet hours", outcome="skipped")
    return ZoneResult(zone.name, Outcome.SKIPPED, message)


def waits_for_the_moment(zone: ZoneTarget, located: Located, shared: RunShared) -> bool:
    """A zone that plays for its group waits; one that stands aside waits only when the group
    may change before the moment (it may play for the group it is in by then)."""
    if shared.moment is None or shared.settings.dry_run:
        return False
    return zone_playing_for(located, shared.job, zone).name == zone.name or waits_long(shared)


def let_go(speculation: Speculation | None, shared: RunShared) -> None:
    """A guess that was wrong, or a zone that stands aside: its lock is another zone's now."""
    if speculation is not None:
        speculation.lock.release()
        shared.guesses.let_go(speculation.uid)


def locked_run(
    zone: ZoneTarget,
    located: Located,
    shared: RunShared,
    log: ZoneLog,
    speculation: Speculation | None,
    switch_at: float | None = None,
) -> ZoneResult:
    """Under the group's lock; another chime playing on the group first is waited for.
    `switch_at`: when the switch begins for the moment, as timed before the lock (None: now)."""
    for _try in range(LOCK_TRIES):
        lock = speculation.lock if speculation is not None else GroupLock(
            shared.settings.runtime_dir, located.group.coordinator_uid
        )
        try:
            waited = False if speculation is not None else wait_for_lock(lock, located.group.coordinator_uid, shared)
        except (TimeoutError, OSError) as error:
            return lock_failed(zone, shared, log, error)
        try:
            if waited:
                # Another chime played on this group meanwhile: it may have changed.
                refreshed = look_again(located, zone, shared, log)
                if refreshed.group.coordinator_uid != located.group.coordinator_uid:
                    located, speculation = refreshed, None
                    continue
                located = refreshed
                log("lock", "waited for another chime on this group", waited="yes")
                quiet = shared.quiet_room(member.room_uid for member in located.group.members)
                if quiet is not None:  # a quiet room joined the group meanwhile
                    return quiet_skip(zone, quiet, log)
            if recover_own_group(located.group, shared.settings):
                speculation = None  # its reads saw what the earlier chime left
            if shared.job.mode != INTERRUPT_MODE:
                from .overlay import (
                    overlay_group,  # aiohttp's import is slow: interrupt chimes never pay it
                )

                overlaid = overlay_group(zone, located.group, shared, log)
                if overlaid is not None:
                    return went_to(located.group, overlaid)
                switch_at = None  # the clip's time to get ready is not the switch's
            if shared.moment is not None:
                wait_for_the_moment(located.group, shared, log, switch_at)
                speculation = None  # its reads are old by now: the snapshot is read afresh
            return went_to(located.group, interrupt_group(zone, located.group, shared, log, speculation))
        finally:
            lock.release()
    return ZoneResult(zone.name, Outcome.FAILED, "the group kept changing")


def wait_for_the_moment(group: Group, shared: RunShared, log: ZoneLog, switch_at: float | None) -> None:
    """Wait until the group's switch must begin for Play to go at the moment (timed now if it
    was not before the lock)."""
    wait_until(switch_at if switch_at is not None else switch_time(group, shared, log), shared.stop)


def wait_for_lock(lock: GroupLock, coordinator_uid: str, shared: RunShared) -> bool:
    """True if another chime held the group first; a zone of this run that guessed it
    coordinates the group is waited for before, and is no other chime."""
    deadline = shared.origin + shared.settings.margin / 2
    shared.guesses.wait(coordinator_uid, deadline - time.monotonic())
    return lock.acquire(deadline, shared.stop, shared.timing.lock_poll)


def lock_failed(zone: ZoneTarget, shared: RunShared, log: ZoneLog, error: Exception) -> ZoneResult:
    if shared.stop.is_set():
        log("lock", "stopped while waiting for another chime", outcome="skipped")
        return ZoneResult(zone.name, Outcome.SKIPPED, "stopped before the chime")
    log("lock", str(error), logging.ERROR, outcome="failed")
    return ZoneResult(zone.name, Outcome.FAILED, str(error))


def dry_run(zone: ZoneTarget, located: Located, shared: RunShared, log: ZoneLog) -> ZoneResult:
    try:
        transport, pending = read_transport(located.group, shared.timeout, shared.timing, log)
        log = log.playing(transport.kind)
        levels = read_levels(pending, shared.timeout, log)
    except PlayerError as error:
        log("snapshot", str(error), logging.ERROR, outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, str(error))
    decision = decide(transport, shared.job.policy)
    word, reason, how = decision.word, decision.reason, ""
    if decision.interrupt and shared.job.mode != INTERRUPT_MODE:
        word = f"chime (mode {shared.job.mode}: a clip where every player can take one)"
    elif decision.interrupt and fading(transport, levels, shared.job.fade):
        how = f", fading the music down over {shared.job.fade:g} s before the chime (and back up after)"
    sound = shared.sound.result()
    if decision.interrupt and sound.reachable is False:
        word, reason, how = "skip", f"sound unreachable: {sound.detail}", ""
    log("decide", f"dry run, nothing changed: would {word}{how}", decision=word, reason=reason)
    return ZoneResult(zone.name, Outcome.SKIPPED, f"dry run: would {word}{how}")
