"""Never at the wrong hour (issue #19): a run its timer starts too long after the chime's
moment (a persistent catch-up after a night off, a clock that jumped) does not play, and says
why; a run started by hand always plays. Times here are fixed, not read from the clock."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sonos_chime.schedule import Start, late_start_for, previous_moment, scheduled_start

BERLIN = ZoneInfo("Europe/Berlin")
EVENING_BELL = "Mon..Fri *-*-* 17:30:00 Europe/Berlin"  # systemd's normalized form


def test_a_catch_up_within_the_limit_plays_at_once_and_one_past_it_does_not() -> None:
    moment = datetime(2026, 3, 9, 17, 30, tzinfo=BERLIN)

    assert late_start_for(moment, moment + timedelta(seconds=300), 300) == Start(None)
    assert late_start_for(moment, moment + timedelta(seconds=301), 300) == Start(None, missed=True, due=moment)
    assert late_start_for(moment, moment + timedelta(hours=9), 300) == Start(None, missed=True, due=moment)
    assert late_start_for(None, moment, 300) == Start(None, missed=True, due=None)  # no moment at all: never the right hour


@pytest.mark.parametrize(("now", "due"), [
    # Saturday 02:00 after a week's evenings: Friday's bell is the one a night off missed.
    (datetime(2026, 3, 14, 2, 0, tzinfo=BERLIN), datetime(2026, 3, 13, 17, 30, tzinfo=BERLIN)),
    # Monday morning: the last bell rang on Friday.
    (datetime(2026, 3, 16, 8, 0, tzinfo=BERLIN), datetime(2026, 3, 13, 17, 30, tzinfo=BERLIN)),
    # The moment itself is its own latest moment.
    (datetime(2026, 3, 10, 17, 30, tzinfo=BERLIN), datetime(2026, 3, 10, 17, 30, tzinfo=BERLIN)),
    # One second before it: yesterday's.
    (datetime(2026, 3, 10, 17, 29, 59, tzinfo=BERLIN), datetime(2026, 3, 9, 17, 30, tzinfo=BERLIN)),
    # Read on another clock: the expression's own zone counts (16:31 UTC is 17:31 in Berlin in March).
    (datetime(2026, 3, 10, 16, 31, tzinfo=UTC), datetime(2026, 3, 10, 17, 30, tzinfo=BERLIN)),
])
def test_the_moment_a_late_run_was_due_is_the_schedules_latest_before_now(now: datetime, due: datetime) -> None:
    assert previous_moment([EVENING_BELL], now) == due


def test_of_several_expressions_the_latest_moment_counts_and_a_past_date_is_one() -> None:
    now = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    forms = ["*-*~01 12:00:00 UTC", "2026-12-05 01:15:00 UTC", "2020-01-01 10:00:00 UTC"]

    assert previous_moment(forms, now) == datetime(2026, 12, 5, 1, 15, tzinfo=UTC)
    assert previous_moment(["*-*~01 12:00:00 UTC"], now) == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert previous_moment(["2037-01-01 10:00:00 UTC"], now) is None


def timer_trigger(seconds_ago: float = 0.5) -> dict[str, str]:
    """What systemd gives a service its timer triggered `seconds_ago` (and, with an old trigger's
    time, every later start by hand too)."""
    return {"TRIGGER_UNIT": "sonos-chime-bell.timer", "TRIGGER_TIMER_MONOTONIC_USEC": str(int((time.monotonic() - seconds_ago) * 1e6))}


def hours_ago(hours: float) -> str:
    """A one-off schedule that passed `hours` ago, as a user writes it (UTC, whole seconds)."""
    return (datetime.now(UTC) - timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_a_run_its_timer_started_hours_late_is_not_played_and_the_journal_says_why(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="sonos-chime")

    start = scheduled_start("Bell", [hours_ago(2)], 5, 300, environ=timer_trigger())

    assert not start.plays and start.missed
    (line,) = [record.getMessage() for record in caplog.records]
    assert line.startswith('chime="Bell" was due at ') and "its timer started it 2 h 00 min late" in line, line
    assert "too_late (300 s): not played" in line, line


@pytest.mark.parametrize("environ", [{}, timer_trigger(seconds_ago=3600)], ids=["never-triggered", "triggered-an-hour-ago"])
def test_a_run_by_hand_is_never_refused(environ: dict[str, str]) -> None:
    """chime_now and `systemctl start` run the same `--at next`; once the timer has fired,
    systemd passes them its last trigger too (seen on Debian 12's systemd 252)."""
    start = scheduled_start("Bell", [hours_ago(2)], 5, 300, environ=environ)

    assert start == Start(None) and start.plays


def test_a_timer_catch_up_within_the_limit_plays_at_once() -> None:
    start = scheduled_start("Bell", [hours_ago(1 / 60)], 5, 300, environ=timer_trigger())

    assert start == Start(None) and start.plays
