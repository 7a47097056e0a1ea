"""Switching a group to the chime: the sound in, the chime's levels set, Play."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from .confirm import confirmed, now_playing, source_is
from .errors import PlayerError
from .fade import NO_FADE, Faded
from .job import RunShared
from .levels import LevelChange, LevelKey, apply_changes
from .moment import sleep_until
from .plan import chime_levels, volume_early_is_safe
from .player import Player
from .retry import retry, transient_once
from .snapshot import MemberLevel, Transport
from .tasks import spawn
from .wire import chime_metadata
from .zonelog import ZoneLog, quote


@dataclass(frozen=True)
class Started:
    play_sent: float  # monotonic time Play was sent
    changed: frozenset[LevelKey]  # levels the chime changed, or may have: to put back
    faded: frozenset[str] = frozenset()  # speakers (by uid) whose music faded out: it fades back in


class SwitchFailed(Exception):
    """The chime could not be started; `changed` says which levels to put back."""

    def __init__(self, error: PlayerError, changed: frozenset[LevelKey]) -> None:
        super().__init__(str(error))
        self.error = error
        self.changed = changed

    @property
    def sound_refused(self) -> bool:
        """The player refused the sound: its source was never replaced."""
        return self.error.action == "SetAVTransportURI" and not self.error.lost


def start_switch(coordinator: Player, shared: RunShared) -> Future[None]:
    """SetAVTransportURI (which stops the old source) is sent as soon as the transport is
    known; the speakers' levels are still being read meanwhile, and are needed only after.
    Its answer lost even when tried again, the player's source tells whether it took."""
    job = shared.job
    set_uri = functools.partial(coordinator.set_uri, job.url, chime_metadata(job.name))
    tried = functools.partial(retry, set_uri, transient_once(shared.timing))
    return spawn(functools.partial(confirmed, tried, source_is(coordinator, job.url)))


def switch_in(
    coordinator: Player,
    transport: Transport,
    levels: Sequence[MemberLevel],
    switching: Future[None],
    shared: RunShared,
    log: ZoneLog,
    fade: Faded = NO_FADE,
) -> Started:
    """Finish switching the group to the chime at the chime's levels, then Play."""
    changes = chime_levels(levels, shared.job, fade.uids)
    changed = fade.changed
    try:
        if not fade.uids and volume_early_is_safe(transport, levels, shared.job):
            changed |= set_levels(changes, shared, log)
            switching.result()
        else:
            # Raising the volume while the old music plays (or has faded out) would blast it: switch first.
            switching.result()
            changed |= set_levels(changes, shared, log)
        if shared.moment is not None:
            sleep_until(shared.moment.mono)  # a stop requested meanwhile ends the chime once it plays
        play_sent = time.monotonic()
        confirmed(functools.partial(retry, coordinator.play, transient_once(shared.timing)), now_playing(coordinator))
    except PlayerError as error:
        raise SwitchFailed(error, changed) from error
    latency_ms = round((time.monotonic() - shared.started) * 1000)
    lateness = {} if shared.moment is None else {"late_ms": shared.moment.ms_after(play_sent)}
    log("play", "chime started", url=shared.job.url, start_latency_ms=latency_ms, **lateness)
    return Started(play_sent=play_sent, changed=changed, faded=fade.uids)


def set_levels(changes: Sequence[LevelChange], shared: RunShared, log: ZoneLog) -> frozenset[LevelKey]:
    """The chime's volume and unmute: a speaker that refuses (a fixed line-out volume, say)
    keeps its level and is not put back; one that does not answer will be."""
    results = apply_changes(changes, shared.timeout, shared.timing)
    for step, error in results.refused:
        log("play", f"{quote(step.speaker)} kept its {step.key[1]}: {error}", logging.WARNING)
    for step, error in results.lost:
        log("play", f"{quote(step.speaker)} did not answer: {error}", logging.WARNING)
    return results.maybe_changed
