"""A chime's schedule: the timer's early start, and the moment a run started early plays at.

The role writes each chime's timer with the chime's own OnCalendar expressions shifted back
by the lead (`lead_expressions`), on the expression's own wall clock. A run started by the
timer asks systemd for the chime's next moment (`next_moment`) and waits for it if the
timer's wall clock says it is due within the lead (`early_start_for`), the way the timer
itself counted. A run its timer started with no moment within the lead (a `persistent`
catch-up, a clock that jumped) plays at once only if the chime's last moment passed at most
`too_late` seconds before (`late_start_for`); else it does nothing, and says so.

Expressions are taken in the normalized form `systemd-analyze calendar` prints:
`[WEEKDAYS ]YEAR-MONTH-DAY HOUR:MINUTE:SECOND[ TIMEZONE]`. Standard library only: the role's
preflight imports this module on the controller.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import time
from calendar import monthrange
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from .config import DEFAULT_TOO_LATE, LONGEST_LEAD
from .moment import host_zone
from .zonelog import quote

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
SECONDS, MINUTES, HOURS = frozenset(range(60)), frozenset(range(60)), frozenset(range(24))
MONTHS, DAYS = frozenset(range(1, 13)), frozenset(range(1, 32))
YEARS = (1970, 2199)  # what systemd's calendar accepts
EARLY_START_SLACK = 1.0  # seconds: clocks read a little apart
# systemd (251 and later) gives a service its timer started the trigger's time on the monotonic
# clock. It keeps giving it to later starts by hand (`systemctl start`, chime_now) too, with the
# old trigger's time: only a trigger of a moment ago is this run's.
TIMER_TRIGGERED_AT = "TRIGGER_TIMER_MONOTONIC_USEC"
TRIGGER_FRESH_FOR = 60.0  # seconds between the timer's trigger and this run's start, at most
LOOK_BACK_DAYS = 400  # how far back a late run looks for the moment it was due, to name it
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


@dataclass(frozen=True)
class Calendar:
    """systemd's reading of a schedule: each expression's normalized form, and the next elapse."""

    forms: list[str]
    next: Elapse | None  # None: never again


def ask_calendar(expressions: Sequence[str]) -> Calendar:
    """The schedule as systemd reads it now."""
    done = subprocess.run(["systemd-analyze", "calendar", "--", *expressions], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ScheduleError(f"systemd-analyze calendar: {done.stderr.strip() or done.returncode}")
    elapses = parse_elapses(done.stdout)
    return Calendar(parse_forms(done.stdout), min(elapses, key=lambda elapse: elapse.at) if elapses else None)


def parse_forms(output: str) -> list[str]:
    """Each expression's normalized form, from `systemd-analyze calendar`'s blocks."""
    lines = (line.strip().partition(": ") for line in output.splitlines())
    return [value for label, _, value in lines if label == "Normalized form"]


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
    return None if elapse.zone is None else zone_named(elapse.zone)


def zone_named(name: str) -> tzinfo:
    return UTC if name == "UTC" else ZoneInfo(name)


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
    missed: bool = False  # its timer started it too long after its moment: nothing
    due: datetime | None = None  # the moment a missed run was due (None: none found)

    @property
    def plays(self) -> bool:
        return not (self.not_yet or self.missed)


def early_start_for(elapse: Elapse | None, now: datetime, lead: float, slack: float) -> Start:
    """A run the timer's lead started waits for its moment. Anything else (a catch-up, a
    start by hand) plays at once. The night the clocks go back, a lead whose wall-clock time
    comes twice is taken the first time, an hour early: that run does nothing."""
    if elapse is None or not 0.0 <= wall_seconds_until(elapse, now) <= lead + slack:
        return Start(None)
    if (elapse.at - now).total_seconds() > lead + slack:
        return Start(None, not_yet=True)
    return Start(elapse.at)


def late_start_for(previous: datetime | None, now: datetime, too_late: float) -> Start:
    """A run its timer started with no moment within the lead: at once if the chime's last
    moment passed at most `too_late` seconds ago, else not at all."""
    if previous is not None and (now - previous).total_seconds() <= too_late:
        return Start(None)
    return Start(None, missed=True, due=previous)


def previous_moment(forms: Sequence[str], now: datetime) -> datetime | None:
    """The schedule's latest moment at or before now, within LOOK_BACK_DAYS (None: none)."""
    found = [moment for form in forms if (moment := latest_of(parse_normalized(form), now)) is not None]
    return max(found, default=None)


def latest_of(spec: Spec, now: datetime) -> datetime | None:
    """The expression's latest moment at or before now, on its own wall clock. A time the
    clock skips is taken as the clock would have shown it without the jump (fold=0)."""
    zone = host_zone() if spec.zone is None else zone_named(spec.zone)
    local = now.astimezone(zone)
    for back in range(LOOK_BACK_DAYS + 1):
        day = local.date() - timedelta(days=back)
        if not day_matches(spec, day):
            continue
        for clock in clocks_down_from(spec, local.time() if back == 0 else None):
            moment = datetime.combine(day, clock, zone)
            if moment <= now:
                return moment
    return None


def day_matches(spec: Spec, day: date) -> bool:
    day_number = monthrange(day.year, day.month)[1] - day.day + 1 if spec.from_end else day.day
    return (
        (spec.years is None or day.year in spec.years)
        and day.month in spec.months
        and day_number in spec.days
        and (spec.weekdays is None or day.weekday() in spec.weekdays)
    )


def clocks_down_from(spec: Spec, until: time_of_day | None) -> Iterator[time_of_day]:
    """The expression's times of day, latest first, none after `until` (None: from midnight's eve)."""
    limit = (23, 59, 59) if until is None else (until.hour, until.minute, until.second)
    for hour in sorted((h for h in spec.hours if h <= limit[0]), reverse=True):
        for minute in sorted((m for m in spec.minutes if (hour, m) <= limit[:2]), reverse=True):
            for second in sorted((s for s in spec.seconds if (hour, minute, s) <= limit), reverse=True):
                yield time_of_day(hour, minute, second)


def scheduled_start(
    chime: str, schedule: Sequence[str], lead: int, too_late: int = DEFAULT_TOO_LATE, environ: Mapping[str, str] = os.environ
) -> Start:
    """`--at next`: how this run of the chime goes, from its schedule and systemd's calendar.
    Only a run its timer started can be too late: one started by hand always plays."""
    if not schedule:
        LOG.warning("chime=%s --at next: the config gives no schedule: playing at once", quote(chime))
        return Start(None)
    now = datetime.now(UTC)
    try:
        calendar = ask_calendar(schedule)
        start = early_start_for(calendar.next, now, lead, EARLY_START_SLACK)
        if start.moment is None and not start.not_yet and started_by_its_timer(environ, time.monotonic()):
            start = late_start_for(previous_moment(calendar.forms, now), now, too_late)
    except (ScheduleError, OSError, ValueError, KeyError) as error:  # zoneinfo's "no such zone" is a KeyError
        LOG.warning("chime=%s --at next: no moment from systemd (%s): playing at once", quote(chime), error)
        return Start(None)
    log_start(chime, start, now, too_late)
    return start


def started_by_its_timer(environ: Mapping[str, str], now_mono: float) -> bool:
    """Whether a timer triggered this run: its trigger, as systemd passes it, a moment ago."""
    try:
        triggered = int(environ[TIMER_TRIGGERED_AT]) / 1_000_000
    except (KeyError, ValueError):
        return False
    return 0.0 <= now_mono - triggered <= TRIGGER_FRESH_FOR


def log_start(chime: str, start: Start, now: datetime, too_late: int) -> None:
    if start.missed and start.due is not None:
        late = round((now - start.due).total_seconds())
        LOG.warning(
            "chime=%s was due at %s: its timer started it %s late, more than too_late (%d s): not played",
            quote(chime), start.due.astimezone(host_zone()).isoformat(timespec="seconds"), span(late), too_late,
        )
    elif start.missed:
        LOG.warning("chime=%s started by its timer, but no moment of its schedule in the last %d days: not played",
                    quote(chime), LOOK_BACK_DAYS)
    elif start.not_yet:
        LOG.warning("chime=%s started an hour early: the clocks go back before its moment; not played tonight", quote(chime))
    elif start.moment is None:
        LOG.info("chime=%s not started early for a moment (by hand, or a catch-up): playing at once", quote(chime))


def span(seconds: int) -> str:
    """`45 s`, `7 min 05 s`, `9 h 03 min`: how late, as a person reads it."""
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
