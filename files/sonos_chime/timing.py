"""How long chime.py waits between looks and tries. Tests may pass their own."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    locate_head_start: float = 0.25  # the zones' own hosts are asked alone this long
    lock_poll: float = 0.02  # between tries of a group lock another chime holds
    poll_until_heard: float = 0.03  # between looks until the chime is heard
    wake_interval: float = 1.0  # between looks for a takeover while the chime plays
    tight_poll_lead: float = 0.1  # look tightly from this long before the earliest end
    tight_poll_interval: float = 0.01  # at least this long between two looks near the end
    unknown_end_poll: float = 0.1  # between looks at a chime whose length nobody knows
    never_started_after: float = 0.5  # stopped this long after Play, never playing: it failed
    poll_failure_pause: float = 0.1  # after a look that got no answer
    refusal_pause: float = 0.3  # before trying again after a transient refusal (701, ...)
    lost_answer_pause: float = 0.1  # before trying again after a lost answer
    busy_for: float = 1.0  # a player starting to play may refuse a Pause (701) this long
    busy_pause: float = 0.05  # between those tries
    verify_interval: float = 0.1  # between looks at a group being put back
    switch_round_trips: float = 3.0  # snapshot, sound switched in, levels set: before Play
    switch_safety: float = 0.05  # added to that, for an answer slower than the rehearsal's
    unknown_round_trip: float = 0.25  # assumed when the rehearsal got no answer
    topology_trusted_for: float = 10.0  # a wait for a moment longer than this locates the zone again
    relocate_lead: float = 0.5  # that look at the topology starts this long before the lock is due
    fade_step: float = 0.1  # at least this long between two volume steps of a fade out
    fade_in_slack: float = 1.0  # a player's ramp back is looked at this long past its expected end
    overlay_prepare: float = 3.0  # a clip's players are connected, under the lock, this long before the moment


DEFAULT_TIMING = Timing()
