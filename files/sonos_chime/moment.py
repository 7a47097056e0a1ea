"""Playing on the moment: when a chime is due, and how early each group starts switching.

A run given a moment (`--at`) does everything that changes nothing first: start-up,
config, locate, a rehearsal read of each group that times its round trip. Each group then
waits, reads its snapshot afresh (so the position put back is the one the music stopped
at), switches the chime in, and sends Play at the moment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as time_of_day
from pathlib import Path
from threading import Event
from zoneinfo import ZoneInfo

from .timing import Timing

LATEST_AHEAD = timedelta(days=1)  # a moment further ahead is a mistake, not a plan
EARLIEST_PAST = timedelta(minutes=1)  # a moment this late still plays, at once
LOCALTIME = Path("/etc/localtime")


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
        """`wall` on the host's clock (a timer's next elapse comes in UTC, `--at` may carry an
        offset): quiet hours and days off are the host's hours and days."""
        ahead = (wall - datetime.now().astimezone()).total_seconds()
        return cls(wall=wall.astimezone(host_zone()), mono=time.monotonic() + ahead)

    def ms_after(self, mono: float) -> int:
        """How late `mono` is for the moment, in milliseconds (negative: early)."""
        return round((mono - self.mono) * 1000)


def host_zone(environ: Mapping[str, str] = os.environ, localtime: Path = LOCALTIME) -> tzinfo:
    """The host's time zone with its rules, where the C library finds it: TZ when set
    (`Europe/Berlin`, `:Europe/Berlin`, a file's path; empty is UTC), else /etc/localtime.
    A TZ zoneinfo cannot read (a POSIX rule such as `CET-1CEST,M3.5.0,M10.5.0/3`) or a host
    without a tz database gives the offset of now: right until the next change of offset."""
    try:
        if "TZ" not in environ:
            return _zone_in(localtime)
        return _zone_named(environ["TZ"].removeprefix(":"))
    except (OSError, ValueError, KeyError):  # zoneinfo's "no such zone" is a KeyError
        return datetime.now().astimezone().tzinfo or UTC


def _zone_named(name: str) -> tzinfo:
    if not name:
        return UTC
    return _zone_in(Path(name)) if name.startswith("/") else ZoneInfo(name)


def _zone_in(path: Path) -> tzinfo:
    with path.open("rb") as file:
        return ZoneInfo.from_file(file, key=str(path))


def host_now() -> datetime:
    """Now on the host's clock, with its zone's rules: what parse_moment reads times against
    (datetime.now().astimezone() knows only today's offset)."""
    return datetime.now(host_zone())


def parse_moment(text: str, now: datetime) -> datetime:
    """The moment `--at TEXT` names, read against `now` (aware; its tzinfo is the host's
    zone, as host_now() gives it). Raises MomentError naming the reason.

    - `@SECONDS` since the epoch.
    - An ISO 8601 date and time: as given when it has an offset, else on the host's clock
      on that date, as below.
    - `HH:MM[:SS[.fff]]` on the host's clock: the occurrence nearest now, yesterday's,
      today's or tomorrow's (of two as near, the one ahead). `00:00:00` at 23:59:58 is the
      coming midnight, 2 s ahead; `23:59:50` at 00:00:10 is 20 s late and plays at once;
      `17:00` at 17:30 is refused as passed, not waited for until tomorrow: a time of day
      is tomorrow's only when today's is more than half a day behind.

    The offset is that of the moment itself, not of now: `03:30`, given at 01:50 on the
    night Berlin moves to summer time, is 03:30+02:00. On such a night a time the clock
    skips (02:30) is read as the clock would have shown it without the jump, with the
    offset before it (PEP 495's fold=0): 02:30+01:00, which is 03:30+02:00. It still plays
    that night, and times in the gap keep their order. On the night the clock goes back,
    a time it shows twice (02:30) is whichever of the two is nearest now, by the rule
    above; to name the other, give an ISO 8601 time with its offset.

    A moment more than a day ahead, or more than a minute behind, is refused.
    """
    if now.tzinfo is None:
        raise TypeError("parse_moment needs an aware now, on the host's zone")
    moment = _parse(text.strip(), now, now.tzinfo)
    ahead = moment.astimezone(UTC) - now.astimezone(UTC)  # in UTC: one zone's datetimes subtract as wall times
    if ahead > LATEST_AHEAD:
        raise MomentError(f"{text!r} is more than a day ahead")
    if -ahead > EARLIEST_PAST:
        raise MomentError(f"{text!r} passed {round(-ahead.total_seconds())} s ago")
    return moment


def _parse(text: str, now: datetime, zone: tzinfo) -> datetime:
    try:
        if text.startswith("@"):
            return datetime.fromtimestamp(float(text[1:]), zone)
        if "T" not in text and " " not in text and "-" not in text:
            return _nearest(_occurrences(_time_of_day(text), now.date(), zone), now).astimezone(zone)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError) as error:
        raise MomentError(f"{text!r} is not a time (HH:MM[:SS[.fff]]), an ISO 8601 date and time, or @SECONDS: {error}") from None
    if moment.tzinfo is not None:
        return moment
    return _nearest(_instants(moment, zone), now).astimezone(zone)


def _time_of_day(text: str) -> time_of_day:
    form = "%H:%M:%S.%f" if "." in text else "%H:%M:%S" if text.count(":") == 2 else "%H:%M"
    return datetime.strptime(text, form).time()


def _occurrences(clock: time_of_day, today: date, zone: tzinfo) -> list[datetime]:
    """Every instant (in UTC) the clock shows `clock` the day before, on and after `today`."""
    days = (today - timedelta(days=1), today, today + timedelta(days=1))
    return [instant for day in days for instant in _instants(datetime.combine(day, clock), zone)]


def _instants(wall: datetime, zone: tzinfo) -> list[datetime]:
    """The instants (in UTC) the clock of `zone` shows the naive `wall`: one; two in an hour
    the clock repeats; in an hour it skips, the one it would have been (fold=0)."""
    readings = sorted({wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)})
    shown = [instant for instant in readings if instant.astimezone(zone).replace(tzinfo=None) == wall]
    return shown or [wall.replace(tzinfo=zone, fold=0).astimezone(UTC)]


def _nearest(instants: Iterable[datetime], now: datetime) -> datetime:
    """The instant nearest now; of two as near, the one ahead."""
    reference = now.astimezone(UTC)
    return min(instants, key=lambda instant: (abs(instant - reference), instant < reference))


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
