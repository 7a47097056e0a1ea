"""Each chime's next moments, as the status page shows them: systemd's own calendar for the
times, the chime's days off and its zones' quiet hours applied to each.

Nothing here touches a speaker or the network: a skip_calendar URL is read from the copy the
last run kept (calendarstore), never fetched, so the page says what the runs will decide.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .calendars import CalendarError, bounded_reads
from .calendarstore import CalendarStore, Unavailable, read_file
from .config import ChimeConfig, Config
from .moment import host_zone
from .zonelog import quote

Calendar = Callable[[Sequence[str], int], list[datetime]]


@dataclass(frozen=True)
class QuietZone:
    zone: str
    hours: str  # the range that holds at the moment, as written (19:00-07:00)


@dataclass(frozen=True)
class NextMoment:
    at: datetime  # on the host's clock
    day_off: str | None  # why the chime does not play then (None: it plays)
    quiet: tuple[QuietZone, ...] = ()  # zones left alone for their quiet hours


@dataclass(frozen=True)
class ChimeOutlook:
    chime: str
    zones: tuple[str, ...]
    moments: tuple[NextMoment, ...]
    note: str = ""  # why no moment could be had, or what the calendar could not tell


def systemd_moments(schedule: Sequence[str], count: int) -> list[datetime]:
    """The next `count` moments of the schedule, by `systemd-analyze calendar --iterations`
    (the host's clock and time zone), each expression asked on its own and merged."""
    found: set[datetime] = set()
    for expression in schedule:
        done = subprocess.run(["systemd-analyze", "calendar", f"--iterations={count}", "--", expression],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ValueError(f"systemd-analyze calendar {quote(expression)}: {done.stderr.strip() or done.returncode}")
        found.update(iterations(done.stdout))
    return sorted(found)[:count]


def iterations(output: str) -> list[datetime]:
    """Every elapse of `systemd-analyze calendar --iterations` output, in UTC: an elapse line is
    on the host's clock, followed by its `(in UTC)` line unless the host's clock is UTC."""
    found: list[datetime] = []
    for line in output.splitlines():
        label, _, value = line.strip().partition(": ")
        elapse = label == "Next elapse" or label.startswith("Iter. #")
        if label == "(in UTC)" or (elapse and value.endswith(" UTC")):
            found.append(datetime.strptime(value, "%a %Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC))
    return found


def calendar_text(chime: ChimeConfig, store: CalendarStore) -> tuple[bytes | None, str]:
    """The chime's calendar as the next run would read it: its file, or the copy kept of its URL."""
    source = chime.skip_calendar
    if source is None:
        return None, ""
    if source.is_url:
        kept = store.kept(source.location)
        return (kept.data, "") if kept is not None else (None, "no copy of its calendar kept yet: days off by it are not shown")
    try:
        return read_file(Path(source.location)), ""
    except Unavailable as error:
        return None, f"its calendar {error}"


def day_off(chime: ChimeConfig, when: datetime, event: str | None) -> str | None:
    """What cli.day_off_reason decides, from what is already on the host (`event`: the
    calendar's event at `when`, read beforehand)."""
    try:
        reason = chime.days_off.reason(when.date())
    except Exception:  # noqa: BLE001 - the run plays when the holidays cannot be told; so says the page
        reason = None
    if reason is not None or event is None:
        return reason
    return f"an event of its calendar: {quote(event)}"


def calendar_events(text: bytes | None, walls: Sequence[datetime]) -> tuple[list[str | None], str]:
    """The calendar's event at each moment, read in one bounded child; with a note when it
    cannot be read (the runs then play)."""
    if text is None:
        return [None] * len(walls), ""
    try:
        return bounded_reads(text, walls), ""
    except CalendarError as error:
        return [None] * len(walls), f"its calendar {error}: the chime plays"


def quiet_zones(config: Config, chime: ChimeConfig, when: datetime) -> tuple[QuietZone, ...]:
    if chime.ignore_quiet_hours:
        return ()
    found = []
    for name in chime.zones:
        holding = [hours for hours in config.zone(name).quiet_hours if hours.holds(when)]
        if holding:
            found.append(QuietZone(name, holding[0].text))
    return tuple(found)


def chime_outlook(config: Config, chime: ChimeConfig, count: int, calendar: Calendar = systemd_moments) -> ChimeOutlook:
    if not chime.schedule:
        return ChimeOutlook(chime.name, chime.zones, (), "no schedule: played by hand only")
    try:
        moments = calendar(chime.schedule, count)
    except (OSError, ValueError) as error:
        return ChimeOutlook(chime.name, chime.zones, (), f"no next moment from systemd ({error})")
    if not moments:  # a one-off date already past: systemd says `Next elapse: never`
        return ChimeOutlook(chime.name, chime.zones, (), "no next moment: its schedule has none left")
    text, note = calendar_text(chime, CalendarStore(config.settings.calendar_cache))
    zone = host_zone()
    walls = [moment.astimezone(zone) for moment in moments]
    events, unread = calendar_events(text, walls)
    return ChimeOutlook(chime.name, chime.zones,
                        tuple(NextMoment(wall, day_off(chime, wall, event), quiet_zones(config, chime, wall))
                              for wall, event in zip(walls, events, strict=True)),
                        "; ".join(filter(None, [note, unread])))


def outlooks(config: Config, count: int, calendar: Calendar = systemd_moments) -> list[ChimeOutlook]:
    return [chime_outlook(config, chime, count, calendar) for chime in config.chimes]
