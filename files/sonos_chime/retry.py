"""The one way chime.py tries a step again: a policy says when, how often and after what pause."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .errors import PlayerError
from .timing import Timing

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    retry_if: Callable[[Exception, int], bool]  # (what went wrong, how many tries so far)
    pause: Callable[[Exception], float]
    attempts: int | None = 2  # tries in all; None: as long as retry_if says
    for_seconds: float | None = None  # keep trying no longer than this


def retry(step: Callable[[], T], policy: RetryPolicy, on_retry: Callable[[Exception, int], None] | None = None) -> T:
    """Run step; while it fails in a way the policy retries, pause and run it again."""
    deadline = None if policy.for_seconds is None else time.monotonic() + policy.for_seconds
    attempt = 1
    while True:
        try:
            return step()
        except Exception as error:
            out_of_time = deadline is not None and time.monotonic() >= deadline
            out_of_tries = policy.attempts is not None and attempt >= policy.attempts
            if out_of_time or out_of_tries or not policy.retry_if(error, attempt):
                raise
            if on_retry is not None:
                on_retry(error, attempt)
            time.sleep(policy.pause(error))
            attempt += 1


def transient_once(timing: Timing) -> RetryPolicy:
    """After a lost answer or a transient refusal (701, 714, 402): once more."""
    return RetryPolicy(retry_if=_transient, pause=lambda error: _pause_for(error, timing))


def lost_answer_once(timing: Timing) -> RetryPolicy:
    """After a lost answer only: a refusal stands (a fixed volume stays fixed)."""
    return RetryPolicy(retry_if=_lost, pause=lambda _error: timing.lost_answer_pause)


def while_busy(timing: Timing) -> RetryPolicy:
    """A player still starting to play answers 701 for a moment."""
    return RetryPolicy(
        retry_if=lambda error, _attempt: isinstance(error, PlayerError) and error.upnp_code == "701",
        pause=lambda _error: timing.busy_pause,
        attempts=None,
        for_seconds=timing.busy_for,
    )


def _transient(error: Exception, _attempt: int = 0) -> bool:
    return isinstance(error, PlayerError) and error.transient


def _lost(error: Exception, _attempt: int = 0) -> bool:
    return isinstance(error, PlayerError) and error.lost


def _pause_for(error: Exception, timing: Timing) -> float:
    return timing.lost_answer_pause if _lost(error) else timing.refusal_pause
