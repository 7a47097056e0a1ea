"""Gentle fades (README: "Gentle fades"): the music fades out before the chime, and back in after.

Out: each speaker's volume is stepped down to silence over the chime's `fade` seconds, before
the chime is switched in, inside the lead (prepare.py starts the group's switch that much
earlier, so Play still goes at the moment). A player's own RampToVolume does not fit here:
the one ramp that starts from the volume there is (SLEEP_TIMER_RAMP_TYPE) moves 1.25 steps a
second, 24 s from 30 to 0; the fast one (AUTOPLAY_RAMP_TYPE) starts by jumping to 0 (SoCo's
`ramp_to_volume`, SoCo/SoCo#506).

In: the restore puts the music back silent (volume 0, before Play). Once the group reads back
as it was, each faded speaker ramps back up by its own AUTOPLAY_RAMP_TYPE ramp (from 0 at 50
steps a second: 0.6 s to 30), then its volume is read back. A player that refuses the ramp,
or is not at its volume when the ramp should be over, is set to it directly and read back.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Event

from .errors import PlayerError
from .levels import VOLUME, LevelKey, LevelStep
from .player import Player
from .snapshot import MemberLevel, Transport
from .tasks import spawn
from .timing import Timing

FADE_IN_RAMP = "AUTOPLAY_RAMP_TYPE"
FADE_IN_RATE = 50.0  # steps a second of that ramp, after it set the volume to 0


@dataclass(frozen=True)
class Faded:
    """A group's music faded out: on which speakers (by uid; they come back by a ramp), and
    the volumes the fade changed, or may have."""

    uids: frozenset[str] = frozenset()
    changed: frozenset[LevelKey] = frozenset()


NO_FADE = Faded()


def fading(transport: Transport, levels: Sequence[MemberLevel], fade: float) -> tuple[MemberLevel, ...]:
    """The speakers whose music fades: those of a playing group that can be heard."""
    if not fade or not transport.was_playing:
        return ()
    return tuple(level for level in levels if not level.mute and level.volume > 0)


def fade_lead(fade: float, read_seconds: float) -> float:
    """What a fade adds to a group's switch lead: the fade, and the answer to its last step."""
    return fade + read_seconds if fade else 0.0


def fade_until(fade: float, moment: float | None, after: float) -> float:
    """When the music is silent: `fade` seconds from now, or sooner when the switch that
    follows (`after` seconds) would otherwise send Play after the moment."""
    end = time.monotonic() + fade
    return end if moment is None else max(time.monotonic(), min(end, moment - after))


def fade_out(levels: Sequence[MemberLevel], until: float, timeout: float, timing: Timing, stop: Event) -> frozenset[LevelKey]:
    """Every speaker stepped down to 0 by `until`, side by side; the volumes this changed, or
    may have (a speaker that refuses a step keeps the volume it has: it is put back all the same)."""
    running = [(level, spawn(functools.partial(fade_speaker, level, until, timeout, timing, stop))) for level in levels]
    return frozenset((level.member.uid, VOLUME) for level, future in running if future.result())


def fade_speaker(level: MemberLevel, until: float, timeout: float, timing: Timing, stop: Event) -> bool:
    """One speaker's steps, evenly spaced, the last (0) at `until`; whether any may have taken."""
    player = Player.of(level.member, timeout)
    start = time.monotonic()
    span = max(0.0, until - start)
    count = max(1, min(level.volume, int(span / timing.fade_step)))
    touched = False
    for index in range(1, count + 1):
        at = start + span * index / count
        if index < count and time.monotonic() > at:
            continue  # behind: the next step catches up
        if stop.wait(max(0.0, at - time.monotonic())):
            return touched  # the group is put back at once
        try:
            player.set_volume(round(level.volume * (count - index) / count))
            touched = True
        except PlayerError as error:
            return touched or error.lost
    return touched


def fade_in(levels: Sequence[MemberLevel], timeout: float, timing: Timing) -> dict[LevelKey, str]:
    """Each speaker ramped from silence back to its volume, side by side, and read back; the
    volumes not back, with why."""
    running = [(level, spawn(functools.partial(ramp_back, level, timeout, timing))) for level in levels]
    left: dict[LevelKey, str] = {}
    for level, future in running:
        try:
            future.result()
        except PlayerError as error:
            left[(level.member.uid, VOLUME)] = str(error)
    return left


def ramp_back(level: MemberLevel, timeout: float, timing: Timing) -> None:
    """The player's own ramp; refused, or short of the volume when it should be over: set."""
    player = Player.of(level.member, timeout)
    try:
        player.ramp_to_volume(level.volume, FADE_IN_RAMP)
        if reaches(player, level.volume, time.monotonic() + level.volume / FADE_IN_RATE + timing.fade_in_slack, timing):
            return
    except PlayerError as error:
        if error.lost:
            raise
    step = LevelStep(level.member.name, (level.member.uid, VOLUME), functools.partial(player.set_volume, level.volume),
                     lambda: player.volume() == level.volume)
    step.run(timing)
    if player.volume() != level.volume:
        raise PlayerError(level.member.host, "GetVolume", f"volume is not back at {level.volume}")


def reaches(player: Player, volume: int, deadline: float, timing: Timing) -> bool:
    """Whether the speaker reads `volume` before the deadline (it is looked at as it ramps)."""
    while True:
        if player.volume() == volume:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(timing.verify_interval)
