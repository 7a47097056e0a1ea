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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from threading import Event

from .errors import PlayerError
from .levels import VOLUME, LevelKey, LevelStep, apply_steps
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
    left: Mapping[str, int] = field(default_factory=dict)  # by uid: the volume its last step sent

    def put_back(self, levels: Sequence[MemberLevel], timeout: float, timing: Timing, only_untouched: bool = False) -> list[str]:
        """The volumes the fade changed, back as they were (the chime never played); with
        `only_untouched`, only those still at or below what the fade left (a person who turned
        one up since keeps theirs). The speakers that could not be put back."""
        steps = [
            LevelStep(level.member.name, (level.member.uid, VOLUME),
                      functools.partial(unfade_speaker, level, self.left.get(level.member.uid) if only_untouched else None, timeout))
            for level in levels if (level.member.uid, VOLUME) in self.changed
        ]
        return apply_steps(steps, timing).failures


def unfade_speaker(level: MemberLevel, at_most: int | None, timeout: float) -> None:
    """Its volume back; with `at_most`, only if it reads no higher than that."""
    player = Player.of(level.member, timeout)
    if at_most is None or player.volume() <= at_most:
        player.set_volume(level.volume)


NO_FADE = Faded()


def fading(transport: Transport, levels: Sequence[MemberLevel], fade: float) -> tuple[MemberLevel, ...]:
    """The speakers whose music fades: those of a playing group that can be heard."""
    if not fade or not transport.was_playing:
        return ()
    return tuple(level for level in levels if not level.mute and level.volume > 0)


def fade_lead(fade: float, read_seconds: float) -> float:
    """What a fade adds to a group's switch lead: the fade, the answer to its last step, and
    the look at the group after it (has someone taken it over meanwhile?)."""
    return fade + 2 * read_seconds if fade else 0.0


def fade_until(fade: float, moment: float | None, after: float) -> float:
    """When the music is silent: `fade` seconds from now, or sooner when the switch that
    follows (`after` seconds) would otherwise send Play after the moment."""
    end = time.monotonic() + fade
    return end if moment is None else max(time.monotonic(), min(end, moment - after))


def fade_out(levels: Sequence[MemberLevel], until: float, timeout: float, timing: Timing, stop: Event) -> dict[str, int]:
    """Every speaker stepped down to 0 by `until`, side by side; by uid, the volume each was
    last sent, on the speakers this changed or may have (a speaker that refuses a step keeps
    the volume it has: it is put back all the same)."""
    running = [(level, spawn(functools.partial(fade_speaker, level, until, timeout, timing, stop))) for level in levels]
    return {level.member.uid: left for level, future in running if (left := future.result()) is not None}


def fade_speaker(level: MemberLevel, until: float, timeout: float, timing: Timing, stop: Event) -> int | None:
    """One speaker's steps, evenly spaced, the last (0) at `until`; the volume of the last step
    that may have taken (None: none)."""
    player = Player.of(level.member, timeout)
    start = time.monotonic()
    span = max(0.0, until - start)
    count = max(1, min(level.volume, int(span / timing.fade_step)))
    left: int | None = None
    for index in range(1, count + 1):
        at = start + span * index / count
        if index < count and time.monotonic() > at:
            continue  # behind: the next step catches up
        if stop.wait(max(0.0, at - time.monotonic())):
            return left  # the group is put back at once
        volume = round(level.volume * (count - index) / count)
        try:
            player.set_volume(volume)
            left = volume
        except PlayerError as error:
            return volume if error.lost else left
    return left


@dataclass(frozen=True)
class NotFadedIn:
    """The speakers a fade-in did not bring back: why, by level; by uid, the volume each read
    back at (None: not read)."""

    errors: dict[LevelKey, str] = field(default_factory=dict)
    volumes: dict[str, int | None] = field(default_factory=dict)


class NotBack(PlayerError):
    """A speaker that reads back short of its volume once the fade-in should be over."""

    def __init__(self, host: str, volume: int, wanted: int) -> None:
        super().__init__(host, "GetVolume", f"volume is {volume}, not back at {wanted}")
        self.volume = volume


def fade_in(levels: Sequence[MemberLevel], timeout: float, timing: Timing) -> NotFadedIn:
    """Each speaker ramped from silence back to its volume, side by side, and read back; the
    volumes not back, with why and where they are."""
    running = [(level, spawn(functools.partial(ramp_back, level, timeout, timing))) for level in levels]
    left = NotFadedIn()
    for level, future in running:
        try:
            future.result()
        except PlayerError as error:
            left.errors[(level.member.uid, VOLUME)] = str(error)
            left.volumes[level.member.uid] = error.volume if isinstance(error, NotBack) else None
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
    volume = player.volume()
    if volume != level.volume:
        raise NotBack(level.member.host, volume, level.volume)


def reaches(player: Player, volume: int, deadline: float, timing: Timing) -> bool:
    """Whether the speaker reads `volume` before the deadline (it is looked at as it ramps)."""
    while True:
        if player.volume() == volume:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(timing.verify_interval)
