"""The one retry helper and its policies, and the chime's clock (no player, no waiting)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sonos_chime.errors import PlayerError
from sonos_chime.retry import (
    RetryPolicy,
    lost_answer_once,
    retry,
    transient_once,
    while_busy,
)
from sonos_chime.timing import Timing
from sonos_chime.watch import ChimeClock

NO_PAUSES = Timing(refusal_pause=0.0, lost_answer_pause=0.0, busy_pause=0.0, busy_for=0.05)


def failing(*errors: Exception) -> tuple[Callable[[], str], list[int]]:
    """A step that raises each error in turn, then succeeds; and its call count."""
    calls = [0]

    def step() -> str:
        calls[0] += 1
        if calls[0] <= len(errors):
            raise errors[calls[0] - 1]
        return "done"

    return step, calls


LOST = PlayerError("192.0.2.1", "Play", "no answer within 2 s")
BUSY = PlayerError("192.0.2.1", "Play", "UPnP error 701", "701")
SEEK_REFUSED = PlayerError("192.0.2.1", "Seek", "UPnP error 711", "711")


def test_transient_errors_get_one_more_try() -> None:
    step, calls = failing(BUSY)
    assert retry(step, transient_once(NO_PAUSES)) == "done" and calls == [2]
    step, calls = failing(LOST, BUSY)
    with pytest.raises(PlayerError):
        retry(step, transient_once(NO_PAUSES))
    assert calls == [2]


def test_a_refusal_that_is_not_transient_stands_at_once() -> None:
    step, calls = failing(SEEK_REFUSED)
    with pytest.raises(PlayerError):
        retry(step, transient_once(NO_PAUSES))
    assert calls == [1]


def test_level_changes_retry_lost_answers_only() -> None:
    step, calls = failing(LOST)
    assert retry(step, lost_answer_once(NO_PAUSES)) == "done"
    step, calls = failing(BUSY)
    with pytest.raises(PlayerError):
        retry(step, lost_answer_once(NO_PAUSES))
    assert calls == [1]


def test_a_busy_player_is_asked_again_until_the_time_is_up() -> None:
    step, calls = failing(BUSY, BUSY, BUSY)
    assert retry(step, while_busy(NO_PAUSES)) == "done" and calls == [4]
    step, calls = failing(*[BUSY] * 10_000)
    with pytest.raises(PlayerError):
        retry(step, while_busy(NO_PAUSES))


def test_on_retry_hears_each_failed_attempt() -> None:
    heard: list[int] = []
    step, _ = failing(BUSY, BUSY)
    policy = RetryPolicy(retry_if=lambda _e, attempt: attempt < 3, pause=lambda _e: 0.0, attempts=None)
    assert retry(step, policy, lambda _error, attempt: heard.append(attempt)) == "done"
    assert heard == [1, 2]


def test_the_clock_bounds_the_wait_from_what_the_player_reports() -> None:
    clock = ChimeClock.start(play_sent=100.0, length=None, margin=10.0)
    assert (clock.bound, clock.deadline) == (105.0, 110.0)
    clock.last_not_playing = 100.4
    # Heard at 101.0 at position 0: it began after the last look that did not hear it.
    clock.heard(poll_sent=101.0, position=0.0, duration=2.4, margin=10.0)
    assert clock.seen_playing
    assert clock.earliest_end == pytest.approx(100.4 + 2.4)
    assert clock.bound == pytest.approx(101.0 + 2.4 + 5.0)
    assert clock.deadline == pytest.approx(101.0 + 2.4 + 10.0)


def test_a_clock_with_no_known_length_keeps_the_first_bound() -> None:
    clock = ChimeClock.start(play_sent=100.0, length=3.0, margin=10.0)
    clock.heard(poll_sent=100.5, position=0.0, duration=None, margin=10.0)
    assert (clock.earliest_end, clock.bound, clock.deadline) == (None, 108.0, 113.0)
