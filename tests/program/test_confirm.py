"""A step whose answer is lost is looked at before it counts as failed (no player, no waiting)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sonos_chime.confirm import confirmed
from sonos_chime.errors import PlayerError

LOST = PlayerError("192.0.2.1", "Play", "no answer within 2 s")
REFUSED = PlayerError("192.0.2.1", "Play", "UPnP error 701", "701")
LOOK_LOST = PlayerError("192.0.2.1", "GetTransportInfo", "no answer within 2 s")


def raising(error: Exception) -> Callable[[], None]:
    def step() -> None:
        raise error

    return step


def looking(answer: bool | Exception) -> tuple[Callable[[], bool], list[int]]:
    """A look at the player that answers `answer` (or raises it); and how often it was asked."""
    asked = [0]

    def took() -> bool:
        asked[0] += 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    return took, asked


def test_a_lost_answer_to_a_step_the_player_took_stands() -> None:
    took, asked = looking(True)
    confirmed(raising(LOST), took)
    assert asked == [1]


@pytest.mark.parametrize("answer", [False, LOOK_LOST], ids=["not_taken", "look_unanswered"])
def test_a_lost_answer_to_a_step_not_seen_taken_is_raised_as_it_was(answer: bool | Exception) -> None:
    took, _ = looking(answer)
    with pytest.raises(PlayerError) as raised:
        confirmed(raising(LOST), took)
    assert raised.value is LOST


def test_a_refusal_stands_without_a_look() -> None:
    took, asked = looking(True)
    with pytest.raises(PlayerError) as raised:
        confirmed(raising(REFUSED), took)
    assert raised.value is REFUSED and asked == [0]


def test_an_answered_step_is_not_looked_at() -> None:
    took, asked = looking(False)
    confirmed(lambda: None, took)
    assert asked == [0]
