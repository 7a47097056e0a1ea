"""Before a moment (`--at`): the wait, with no lock held.

A moment may be up to a day ahead. The group's lock is taken only when its switch must
begin (`switch_lead` before the moment), so another chime on the group meanwhile takes its
turn instead of giving up. A group found long ago may have changed since: after a wait
longer than the topology is trusted for, the zone is located again first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .config import INTERRUPT_MODE
from .fade import fade_lead
from .job import RunShared, ZoneTarget
from .locate import Located, look_again
from .moment import switch_lead, wait_until
from .recover import recover_before_the_wait
from .snapshot import rehearse
from .topology import Group
from .zonelog import ZoneLog


@dataclass(frozen=True)
class Prepared:
    """Where the zone is when its lock is due, and when that is (monotonic)."""

    located: Located
    lock_at: float


def wait_unlocked(zone: ZoneTarget, located: Located, shared: RunShared, log: ZoneLog) -> Prepared:
    """Wait, holding no lock, until the group's lock is due; locate the zone again when the
    wait was long. A stop ends the wait early."""
    recover_before_the_wait(located.group, shared.settings)
    long_wait = waits_long(shared)
    lock_at = lock_time(located.group, shared, log)
    wake_at = lock_at - shared.timing.relocate_lead if long_wait else lock_at
    if not wait_until(wake_at, shared.stop) or not long_wait:
        return Prepared(located, lock_at)
    again = look_again(located, zone, shared, log)
    moved = again.group.coordinator_uid != located.group.coordinator_uid or again.group.uids != located.group.uids
    log.in_group(again.group.label)("locate", "found again after the wait", regrouped="yes" if moved else "no")
    return Prepared(again, lock_at)


def waits_long(shared: RunShared) -> bool:
    """Whether the moment is further ahead than the topology is trusted for."""
    assert shared.moment is not None
    return shared.moment.mono - time.monotonic() > shared.timing.topology_trusted_for


def lock_time(group: Group, shared: RunShared, log: ZoneLog) -> float:
    """When the group's lock is taken: its switch's start, or for a clip the time the players
    take to get ready (their connections are made under the lock)."""
    if shared.job.mode == INTERRUPT_MODE:
        return switch_time(group, shared, log)
    assert shared.moment is not None
    log("prepare", "waiting for the moment, no lock held", moment=shared.moment.wall.isoformat(timespec="milliseconds"))
    return shared.moment.mono - shared.timing.overlay_prepare


def switch_time(group: Group, shared: RunShared, log: ZoneLog) -> float:
    """Time the group's reads: when its switch must begin for Play to go at the moment."""
    assert shared.moment is not None
    took = rehearse(group, shared.timeout)
    keeping = shared.pending.rehearse() if shared.pending is not None else 0.0
    # Before the chime's Play the snapshot is kept on disk twice (pending.py): that too; and
    # the music's fade, part of the lead (fade.py).
    read = took if took is not None else shared.timing.unknown_round_trip
    lead = switch_lead(read, shared.timing) + 2 * keeping + fade_lead(shared.job.fade, read)
    switch_at = shared.moment.mono - lead
    log(
        "prepare",
        "ready, waiting for the moment" if switch_at > time.monotonic() else "ready, late for the moment",
        read_ms=round(took * 1000) if took is not None else "no-answer",
        switch_lead_ms=round(lead * 1000),
        keep_ms=round(keeping * 1000, 1),
        moment=shared.moment.wall.isoformat(timespec="milliseconds"),
    )
    return switch_at
