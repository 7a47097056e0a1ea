"""Volume and mute changes on the speakers of a group, made at once."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .confirm import confirmed
from .errors import PlayerError
from .player import Player
from .retry import lost_answer_once, retry
from .tasks import spawn
from .timing import Timing
from .topology import Member
from .zonelog import quote

VOLUME = "volume"
MUTE = "mute"
LevelKey = tuple[str, str]  # (uid, VOLUME | MUTE)


@dataclass(frozen=True)
class LevelChange:
    """One setting of one speaker, to be made."""

    member: Member
    setting: str  # VOLUME | MUTE
    value: int | bool

    @property
    def key(self) -> LevelKey:
        return (self.member.uid, self.setting)


@dataclass(frozen=True)
class LevelStep:
    """A change as a call: the speaker it is made on, and what it touches."""

    speaker: str
    key: LevelKey
    call: Callable[[], None]
    took: Callable[[], bool] | None = None  # after a lost answer: whether the speaker made the change

    @classmethod
    def of(cls, change: LevelChange, timeout: float) -> LevelStep:
        player = Player.of(change.member, timeout)
        if change.setting == VOLUME:
            volume = int(change.value)
            return cls(change.member.name, change.key, functools.partial(player.set_volume, volume),
                       lambda: player.volume() == volume)
        mute = bool(change.value)
        return cls(change.member.name, change.key, functools.partial(player.set_mute, mute), lambda: player.mute() == mute)

    def run(self, timing: Timing) -> None:
        """The call, tried once more after a lost answer; still lost, the speaker is looked at."""
        tried = functools.partial(retry, self.call, lost_answer_once(timing))
        if self.took is None:
            tried()
        else:
            confirmed(tried, self.took)


@dataclass(frozen=True)
class LevelResults:
    """How a batch went: a speaker that refused kept its level; one that did not answer may
    or may not have changed."""

    applied: tuple[LevelStep, ...] = ()
    refused: tuple[tuple[LevelStep, PlayerError], ...] = ()
    lost: tuple[tuple[LevelStep, PlayerError], ...] = ()

    @property
    def maybe_changed(self) -> frozenset[LevelKey]:
        return frozenset(step.key for step in self.applied) | {step.key for step, _ in self.lost}

    @property
    def failures(self) -> list[str]:
        return [f"{quote(step.speaker)}: {error}" for step, error in self.refused + self.lost]

    @property
    def failed(self) -> dict[LevelKey, PlayerError]:
        """The levels whose change was refused or not answered, with why."""
        return {step.key: error for step, error in self.refused + self.lost}


def apply_changes(changes: Sequence[LevelChange], timeout: float, timing: Timing) -> LevelResults:
    return apply_steps([LevelStep.of(change, timeout) for change in changes], timing)


def apply_steps(steps: Sequence[LevelStep], timing: Timing) -> LevelResults:
    """Make the changes at once; a speaker that fails never holds up the rest. A lost answer
    is tried once more; a refusal stands (a fixed volume stays fixed)."""
    running = [(step, spawn(functools.partial(step.run, timing))) for step in steps]
    applied: list[LevelStep] = []
    refused: list[tuple[LevelStep, PlayerError]] = []
    lost: list[tuple[LevelStep, PlayerError]] = []
    for step, future in running:
        try:
            future.result()
            applied.append(step)
        except PlayerError as error:
            (lost if error.lost else refused).append((step, error))
    return LevelResults(tuple(applied), tuple(refused), tuple(lost))
