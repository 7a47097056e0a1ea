"""The timer's early start, checked against systemd's own calendar: every moment of the
expression, `lead` seconds earlier, and nothing else, over hundreds of elapses.

systemd-analyze enumerates both the chime's expression and the shifted ones the role
writes; the test compares the instants in UTC. Day, hour and minute boundaries, lists,
time zones inside the expression, and the days the clocks change.
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sonos_chime.schedule import (
    Elapse,
    ScheduleError,
    Start,
    early_start_for,
    lead_expressions,
    parse_elapses,
)

ITERATIONS = 400


def normalized(expression: str) -> str:
    out = analyze(expression)
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.strip().startswith("Normalized form:"))


def analyze(*expressions: str, iterations: int = 1) -> str:
    done = subprocess.run(
        ["systemd-analyze", "calendar", f"--iterations={iterations}", "--", *expressions],
        capture_output=True, text=True, check=True, env={**os.environ, "TZ": "UTC"},
    )
    return done.stdout


def elapses(expression: str, iterations: int = ITERATIONS) -> list[datetime]:
    """The expression's next elapses in UTC (the host's local time is UTC here)."""
    out = analyze(expression, iterations=iterations)
    return [
        datetime.strptime(line.split(": ", 1)[1], "%a %Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
        for line in out.splitlines()
        if line.strip().startswith(("Next elapse:", "Iter. #")) and line.endswith(" UTC")
    ]


def compare(expression: str, lead: int) -> tuple[list[datetime], list[datetime]]:
    """(moments with no early start, early starts with no moment) within the window the
    enumeration covers."""
    moments = elapses(expression)
    enumerated = [elapses(shifted) for shifted in lead_expressions(normalized(expression), lead)]
    horizon = min([moments[-1] - timedelta(seconds=lead), *(found[-1] for found in enumerated if found)])
    starts = sorted({t for found in enumerated for t in found if t <= horizon})
    wanted = [t - timedelta(seconds=lead) for t in moments if t - timedelta(seconds=lead) <= horizon]
    now = datetime.now(UTC)
    missing = [t + timedelta(seconds=lead) for t in wanted if t not in set(starts) and t > now]
    extra = [t for t in starts if t not in set(wanted)]
    return missing, extra


@pytest.mark.parametrize("lead", [5, 59])
@pytest.mark.parametrize(
    "expression",
    [
        "Mon..Fri 17:30",
        "daily",  # midnight: the day boundary
        "Mon..Fri 00:00",  # a weekday list at midnight: Monday's start is Sunday's end
        "Mon,Wed,Sat 00:00:03",
        "hourly",  # the hour boundary
        "*:0/15",  # the minute boundary, every quarter
        "minutely",
        "*-*-* 08,12,17:00,30:00",  # lists of times
        "*-*-* 06:59:58,59",
        "*-*-01 00:00",  # a month's first: the month before's last day (28, 29, 30 or 31)
        "*-03-01 00:00",  # 29 February in leap years, 28 otherwise
        "*-01-01 00:00",  # the year boundary
        "2027..2030-01-01 00:00",
        "*-*~01 00:00",  # a month's last day
        "*-*-31 00:00",  # only months with 31 days
        "*-12-* 00:00",
        "Mon *-*-01..07 00:00",  # the first Monday: its eve is a Sunday, maybe in the month before
        "2027-*-* 00:00:00",
        "*-*-* 00:00:00 UTC",
        "Mon..Fri 17:30 America/New_York",  # a time zone inside the expression, across its DST changes
        "*-*-* 00:00:02 Asia/Kolkata",
        "Sat,Sun 00:00 Australia/Lord_Howe",  # half-hour DST
    ],
)
def test_the_early_start_is_every_moment_lead_seconds_before_and_nothing_else(expression: str, lead: int) -> None:
    assert compare(expression, lead) == ([], [])


def dst_change_near(moment: datetime, zone: str) -> bool:
    tz = ZoneInfo(zone)
    return (moment - timedelta(hours=2)).astimezone(tz).utcoffset() != (moment + timedelta(hours=2)).astimezone(tz).utcoffset()


@pytest.mark.parametrize(("expression", "zone"), [("*-*-* 03:00:00 Europe/Berlin", "Europe/Berlin"), ("*-*-* 02:00:02 America/New_York", "America/New_York")])
def test_the_nights_the_clocks_change_touch_only_moments_within_the_lead_after_the_change(expression: str, zone: str) -> None:
    """Every other moment of those nights is started its lead early. Going forward, a lead
    that does not exist is skipped by systemd (03:00:00 in Berlin is not played that night),
    and a moment that does not exist is played at its lead, at once (02:00:02 in New York).
    Going back, a lead whose time comes twice starts an hour early: that run does nothing."""
    lead = 5
    missing, extra = compare(expression, lead)
    assert missing or extra, "a year of elapses holds the changes of the clock"
    assert all(dst_change_near(t, zone) for t in missing + extra), (missing, extra)
    own_line = elapses(expression)
    went_back = 0
    for start in extra:
        moment = min(t for t in own_line if t > start)
        decided = early_start_for(Elapse(moment, zone), start + timedelta(seconds=0.2), lead, 1.0)
        if moment - start == timedelta(hours=1, seconds=lead):
            assert decided == Start(None, not_yet=True)
            went_back += 1
        else:
            assert decided == Start(None) and moment - start > timedelta(hours=12)  # no moment that day: at once
    assert went_back == 1, extra


def test_a_run_not_started_by_the_lead_plays_at_once() -> None:
    moment = datetime(2027, 6, 1, 17, 30, tzinfo=UTC)
    elapse = Elapse(moment, "Europe/Berlin")
    assert early_start_for(elapse, moment - timedelta(seconds=4.9), 5, 1.0) == Start(moment)  # the timer's lead
    assert early_start_for(elapse, moment - timedelta(seconds=2), 5, 1.0) == Start(moment)  # started a little late
    assert early_start_for(elapse, moment - timedelta(minutes=10), 5, 1.0) == Start(None)  # by hand, or a catch-up
    assert early_start_for(None, moment, 5, 1.0) == Start(None)  # never again


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("*-02-29 00:00", "29 February"),
        ("*-*~28 00:00", "from a month's end"),
        ("17:30:00.5", "fractional seconds"),
    ],
)
def test_what_cannot_be_started_early_is_refused_naming_the_reason(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=reason):
        lead_expressions(normalized(expression), 5)


def test_the_next_moment_is_read_from_systemds_output_in_utc() -> None:
    out = """  Original form: Mon..Fri 17:30
Normalized form: Mon..Fri *-*-* 17:30:00
    Next elapse: Fri 2026-12-04 17:30:00 CET
       (in UTC): Fri 2026-12-04 16:30:00 UTC
       From now: 19h left

Normalized form: *-*-* 03:00:00 Europe/Berlin
    Next elapse: Fri 2026-12-04 02:00:00 UTC
       From now: 4h 47min left
"""
    assert parse_elapses(out) == [
        Elapse(datetime(2026, 12, 4, 16, 30, tzinfo=UTC), None),
        Elapse(datetime(2026, 12, 4, 2, 0, tzinfo=UTC), "Europe/Berlin"),
    ]
