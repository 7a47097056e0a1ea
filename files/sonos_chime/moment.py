"""Playing on the moment: when a chime is due, and how early each group starts switching.

A run given a moment (`--at`) does everything that changes nothing first: start-up,
config, locate, a rehearsal read of each group that times its round trip. Each group then
waits, reads its snapshot afresh (so the position put back is the one the music stopped
at), switches the chime in, and sends Play at the moment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Event

from .timing import Timing

LATEST_AHEAD = timedelta(days=1)  # a moment further ahead is a mistake, not a plan
EARLIEST_PAST = timedelta(minutes=1)  # a moment this late still plays, at once


class MomentError(ValueError):
    """--at names no moment chime.py can keep."""


@dataclass(frozen=True)
class Moment:
    """One instant on two clocks: the wall clock it was asked for, and the monotonic clock
    the run waits on (which no clock change moves)."""

    wall: datetime
    mono: float

    @classmethod
    def of(cls, wall: datetime) -> Moment:
        ahead = (wall - datetime.now().astimezone()).total_seconds()
        return cls(wall=wall, mono=time.monotonic() + ahead)

    def ms_after(self, mono: float) -> int:
        """How late `mono` is for the moment, in milliseconds (negative: early)."""
        return round((mono - self.mono) * 1000)


def parse_moment(text: str, now: datetime) -> datetime:
    """`17:30:00.000` (today, local time), an ISO 8601 date and time (local unless it says
    otherwise), or `@SECONDS` since the epoch. Raises MomentError naming the reason."""
    moment = _parse(text.strip(), now)
    if moment - now > LATEST_AHEAD:
        raise MomentError(f"{text!r} is more than a day ahead")
    if now - moment > EARLIEST_PAST:
        raise MomentError(f"{text!r} passed {round((now - moment).total_seconds())} s ago")
    return moment


def _parse(text: str, now: datetime) -> datetime:
    try:
        if text.startswith("@"):
            return datetime.fromtimestamp(float(text[1:]), now.tzinfo)
        if "T" not in text and " " not in text and "-" not in text:
            clock = datetime.strptime(text, "%H:%M:%S.%f" if "." in text else "%H:%M:%S" if text.count(":") == 2 else "%H:%M")
            return now.replace(hour=clock.hour, minute=clock.minute, second=clock.second, microsecond=clock.microsecond)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError) as error:
        raise MomentError(f"{text!r} is not a time (HH:MM[:SS[.fff]]), an ISO 8601 date and time, or @SECONDS: {error}") from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def switch_lead(read_seconds: float, timing: Timing) -> float:
    """How long before the moment a group starts its final snapshot: the snapshot, the sound
    switched in and the levels set each take about one round trip, as long as the rehearsal's
    read took; the safety covers a slower answer. Play itself waits for the moment."""
    return timing.switch_round_trips * read_seconds + timing.switch_safety


def sleep_until(mono: float) -> None:
    remaining = mono - time.monotonic()
    if remaining > 0:
        time.sleep(remaining)


def wait_until(mono: float, stop: Event) -> bool:
    """Sleep until `mono` on the monotonic clock; False if a stop was requested first."""
    remaining = mono - time.monotonic()
    if remaining > 0:
        return not stop.wait(remaining)
    return not stop.is_set()
