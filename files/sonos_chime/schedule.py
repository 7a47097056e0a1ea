"""A chime's schedule: the timer's early start, and the moment a run started early plays at.

The role writes each chime's timer with the chime's own OnCalendar expressions shifted back
by the lead (`lead_expressions`), on the expression's own wall clock. A run started by the
timer asks systemd for the chime's next moment (`next_moment`) and waits for it if the
timer's wall clock says it is due within the lead (`early_start_for`), the way the timer
itself counted.

Expressions are taken in the normalized form `systemd-analyze calendar` prints:
`[WEEKDAYS ]YEAR-MONTH-DAY HOUR:MINUTE:SECOND[ TIMEZONE]`. Standard library only: the role's
preflight imports this module on the controller.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from .config import LONGEST_LEAD
from .zonelog import quote

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
SECONDS, MINUTES, HOURS = frozenset(range(60)), frozenset(range(60)), frozenset(range(24))
MONTHS, DAYS = frozenset(range(1, 13)), frozenset(range(1, 32))
YEARS = (1970, 2199)  # what systemd's calendar accepts
EARLY_START_SLACK = 1.0  # seconds: clocks read a little apart
LOG = logging.getLogger("sonos-chime")

NORMALIZED = re.compile(
    r"^(?:(?P<weekdays>[A-Za-z.,]+) )?(?P<years>[^-\s]+)-(?P<months>[^-~\s]+)(?P<sep>[-~])(?P<days>\S+) "
    r"(?P<hours>[^:\s]+):(?P<minutes>[^:\s]+):(?P<seconds>\S+)(?: (?P<zone>\S+))?$"
)


class ScheduleError(ValueError):
    """An expression the lead cannot be taken from: the message says why."""


@dataclass(frozen=True)
class Spec:
    """One normalized expression as sets of values (None: any weekday, any year)."""

    weekdays: frozenset[int] | None
    years: frozenset[int] | None
    months: frozenset[int]
    from_end: bool  # days counted from the month's end (`~`): 1 is the last day
    days: frozenset[int]
    hours: frozenset[int]
    minutes: frozenset[int]
    seconds: frozenset[int]
    zone: str | None


# ---- reading and writing the normalized form


def parse_normalized(expression: str) -> Spec:
    match = NORMALIZED.match(expression.strip())
    if match is None:
        raise ScheduleError(f"{expression!r} is not in systemd's normalized calendar form")
    part = match.groupdict()
    if "." in part["seconds"]:
        raise ScheduleError(f"{expression!r} has fractional seconds: chimes are timed to the whole second")
    return Spec(
        weekdays=None if part["weekdays"] is None else weekday_set(part["weekdays"]),
        years=None if part["years"] == "*" else values(part["years"], *YEARS),
        months=values(part["months"], 1, 12),
        from_end=part["sep"] == "~",
        days=values(part["days"], 1, 31),
        hours=values(part["hours"], 0, 23),
        minutes=values(part["minutes"], 0, 59),
        seconds=values(part["seconds"], 0, 59),
        zone=part["zone"],
    )


def values(text: str, low: int, high: int) -> frozenset[int]:
    """`*`, `5`, `1..7`, `0/15`, `*/2`, `1..20/5` and comma lists of them."""
    found: set[int] = set()
    for item in text.split(","):
        head, _, step = item.partition("/")
        first, _, last = head.partition("..")
        start = low if first == "*" else int(first)
        end = int(last) if last else (high if step or first == "*" else start)
        found.update(range(start, end + 1, int(step) if step else 1))
    return frozenset(value for value in found if low <= value <= high)


def weekday_set(text: str) -> frozenset[int]:
    found: set[int] = set()
    for item in text.split(","):
        first, _, last = item.partition("..")
        start, end = WEEKDAYS.index(first[:3].title()), WEEKDAYS.index((last or first)[:3].title())
        found.update(range(start, end + 1))
    return frozenset(found)


def format_spec(spec: Spec) -> str:
    weekdays = "" if spec.weekdays is None or len(spec.weekdays) == 7 else weekday_text(spec.weekdays) + " "
    years = "*" if spec.years is None else value_text(spec.years, frozenset(), 4)
    date = f"{years}-{value_text(spec.months, MONTHS)}{'~' if spec.from_end else '-'}{value_text(spec.days, DAYS)}"
    clock = ":".join(value_text(part, full) for part, full in ((spec.hours, HOURS), (spec.minutes, MINUTES), (spec.seconds, SECONDS)))
    return f"{weekdays}{date} {clock}" + (f" {spec.zone}" if spec.zone else "")


def runs(numbers: frozenset[int]) -> list[tuple[int, int]]:
    ordered = sorted(numbers)
    found: list[tuple[int, int]] = []
    for number in ordered:
        if found and found[-1][1] == number - 1:
            found[-1] = (found[-1][0], number)
        else:
            found.append((number, number))
    return found


def value_text(numbers: frozenset[int], full: frozenset[int], width: int = 2) -> str:
    if numbers == full:
        return "*"
    return ",".join(
        f"{a:0{width}d}" if a == b else f"{a:0{width}d},{b:0{width}d}" if b == a + 1 else f"{a:0{width}d}..{b:0{width}d}"
        for a, b in runs(numbers)
    )


def weekday_text(days: frozenset[int]) -> str:
    return ",".join(WEEKDAYS[a] if a == b else f"{WEEKDAYS[a]},{WEEKDAYS[b]}" if b == a + 1 else f"{WEEKDAYS[a]}..{WEEKDAYS[b]}" for a, b in runs(days))


# ---- the shift


def lead_expressions(normalized: str, lead: int) -> list[str]:
    """The expression's moments, `lead` seconds earlier on its own wall clock, as OnCalendar
    expressions. Raises ScheduleError for what cannot be written that way, saying why."""
    if not 1 <= lead <= LONGEST_LEAD:
        raise ScheduleError(f"a lead of {lead} s is not within 1-{LONGEST_LEAD}")
    spec = parse_normalized(normalized)
    same_minute = frozenset(s - lead for s in spec.seconds if s >= lead)
    minute_before = frozenset(s - lead + 60 for s in spec.seconds if s < lead)
    pieces = [replace(spec, seconds=same_minute)] if same_minute else []
    if minute_before:
        pieces += a_minute_earlier(replace(spec, seconds=minute_before))
    return [format_spec(piece) for piece in merged(pieces)]


def a_minute_earlier(spec: Spec) -> list[Spec]:
    pieces = [replace(spec, minutes=frozenset(m - 1 for m in spec.minutes if m >= 1))] if spec.minutes - {0} else []
    if 0 in spec.minutes:
        pieces += an_hour_earlier(replace(spec, minutes=frozenset({59})))
    return pieces


def an_hour_earlier(spec: Spec) -> list[Spec]:
    pieces = [replace(spec, hours=frozenset(h - 1 for h in spec.hours if h >= 1))] if spec.hours - {0} else []
    if 0 in spec.hours:
        pieces += a_day_earlier(replace(spec, hours=frozenset({23})))
    return pieces


def a_day_earlier(spec: Spec) -> list[Spec]:
    weekdays = None if spec.weekdays is None else frozenset((day - 1) % 7 for day in spec.weekdays)
    return [
        replace(spec, weekdays=weekdays, years=years, months=months, from_end=from_end, days=days)
        for years, months, from_end, days in dates_before(spec)
    ]


DatePart = tuple[frozenset[int] | None, frozenset[int], bool, frozenset[int]]


def dates_before(spec: Spec) -> list[DatePart]:
    """The days before the expression's days, as (years, months, from the end, days)."""
    years, months, days = spec.years, spec.months, spec.days
    if spec.from_end:
        if max(days) >= 28:
            raise ScheduleError(f"its midnight moments fall on day ~{max(days)} from a month's end, whose eve may be in the month before")
        return [(years, months, True, frozenset(day + 1 for day in days))]
    if months == MONTHS and days == DAYS:
        if years is None:
            return [(None, MONTHS, False, DAYS)]
        return [(years, frozenset(range(1, 12)), False, DAYS), (years, frozenset({12}), False, frozenset(range(1, 31))),
                (years_before(years), frozenset({12}), False, frozenset({31}))]
    if 2 in months and 29 in days:
        raise ScheduleError("its midnight moments include 29 February, whose eve is 28 February only in leap years")
    months_by_days: dict[frozenset[int], set[int]] = {}
    eve_of_first: set[int] = set()  # months whose 1st is a moment: the eve is the month before's last day
    for month in sorted(months):
        in_month = frozenset(day for day in days if day <= MONTH_DAYS[month])
        eves = frozenset(day - 1 for day in in_month if day >= 2)
        if eves:
            months_by_days.setdefault(eves, set()).add(month)
        if 1 in in_month:
            eve_of_first.add(month - 1)
    parts: list[DatePart] = [(years, frozenset(ms), False, eves) for eves, ms in months_by_days.items()]
    if eve_of_first - {0}:
        parts.append((years, frozenset(eve_of_first - {0}), True, frozenset({1})))
    if 0 in eve_of_first:
        parts.append((years_before(years), frozenset({12}), False, frozenset({31})))
    return parts


def years_before(years: frozenset[int] | None) -> frozenset[int] | None:
    return None if years is None else frozenset(year - 1 for year in years)


MERGEABLE = ("weekdays", "years", "months", "days", "hours", "minutes", "seconds")


def merged(pieces: list[Spec]) -> list[Spec]:
    """Pieces that differ in one set only, written as one (fewer OnCalendar lines)."""
    pieces = list(dict.fromkeys(pieces))
    changed = True
    while changed:
        changed = False
        for i, a in enumerate(pieces):
            for j in range(i + 1, len(pieces)):
                union = union_of(a, pieces[j])
                if union is not None:
                    pieces[i], changed = union, True
                    del pieces[j]
                    break
            if changed:
                break
    return pieces


def union_of(a: Spec, b: Spec) -> Spec | None:
    differing = [f.name for f in fields(Spec) if getattr(a, f.name) != getattr(b, f.name)]
    if len(differing) != 1 or differing[0] not in MERGEABLE:
        return None
    name = differing[0]
    mine, theirs = getattr(a, name), getattr(b, name)
    united: frozenset[int] | None = None if mine is None or theirs is None else mine | theirs
    return replace(a, **{name: united})  # type: ignore[arg-type]  # a set-valued field, by MERGEABLE


# ---- at run time: the moment a run started early plays at


@dataclass(frozen=True)
class Elapse:
    at: datetime  # aware
    zone: str | None  # the expression's own time zone; None: the host's


def next_moment(expressions: Sequence[str]) -> Elapse | None:
    """The schedule's next elapse after now, as systemd computes it (None: never again)."""
    done = subprocess.run(["systemd-analyze", "calendar", "--", *expressions], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ScheduleError(f"systemd-analyze calendar: {done.stderr.strip() or done.returncode}")
    elapses = parse_elapses(done.stdout)
    return min(elapses, key=lambda elapse: elapse.at) if elapses else None


def parse_elapses(output: str) -> list[Elapse]:
    """Each expression's next elapse, from `systemd-analyze calendar`'s blocks."""
    found: list[Elapse] = []
    zone: str | None = None
    pending: str | None = None
    for line in output.splitlines() + [""]:
        label, _, value = line.strip().partition(": ")
        if label == "(in UTC)":
            pending = value
        elif pending is not None:
            found.append(Elapse(datetime.strptime(pending, "%a %Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC), zone))
            pending = None
        if label == "Normalized form":
            zone = parse_normalized(value).zone
        elif label == "Next elapse" and value.endswith(" UTC"):
            pending = value
    return found


def zone_of(elapse: Elapse) -> tzinfo | None:
    """The expression's time zone; None: the host's local time."""
    if elapse.zone is None:
        return None
    return UTC if elapse.zone == "UTC" else ZoneInfo(elapse.zone)


def wall_seconds_until(elapse: Elapse, now: datetime) -> float:
    """Seconds from now to the elapse on the expression's own wall clock, as the timer
    counted them: the night the clocks go back, an hour less than on the real clock."""
    zone = zone_of(elapse)

    def wall(moment: datetime) -> datetime:
        return (moment.astimezone(zone) if zone is not None else moment.astimezone()).replace(tzinfo=None)
    return (wall(elapse.at) - wall(now)).total_seconds()


@dataclass(frozen=True)
class Start:
    """How a run started by `--at next` goes: at a moment, at once, or not at all."""

    moment: datetime | None  # None: at once
    not_yet: bool = False  # started an hour early, the clocks go back before the moment: nothing


def early_start_for(elapse: Elapse | None, now: datetime, lead: float, slack: float) -> Start:
    """A run the timer's lead started waits for its moment. Anything else (a catch-up, a
    start by hand) plays at once. The night the clocks go back, a lead whose wall-clock time
    comes twice is taken the first time, an hour early: that run does nothing."""
    if elapse is None or not 0.0 <= wall_seconds_until(elapse, now) <= lead + slack:
        return Start(None)
    if (elapse.at - now).total_seconds() > lead + slack:
        return Start(None, not_yet=True)
    return Start(elapse.at)


def scheduled_start(chime: str, schedule: Sequence[str], lead: int) -> Start:
    """`--at next`: how this run of the chime goes, from its schedule and systemd's calendar."""
    if not schedule:
        LOG.warning("chime=%s --at next: the config gives no schedule: playing at once", quote(chime))
        return Start(None)
    now = datetime.now(UTC)
    try:
        elapse = next_moment(schedule)
    except (ScheduleError, OSError, ValueError) as error:
        LOG.warning("chime=%s --at next: no next moment from systemd (%s): playing at once", quote(chime), error)
        return Start(None)
    start = early_start_for(elapse, now, lead, EARLY_START_SLACK)
    if start.not_yet:
        LOG.warning("chime=%s started an hour early: the clocks go back before its moment; not played tonight", quote(chime))
    elif start.moment is None:
        LOG.info("chime=%s not started early for a moment (by hand, or a catch-up): playing at once", quote(chime))
    return start
