"""--at's moments, read from the forms people and timers write, and the switch's lead."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sonos_chime.moment import (
    MomentError,
    host_now,
    host_zone,
    parse_moment,
    switch_lead,
)
from sonos_chime.timing import Timing

BERLIN_WINTER = timezone(timedelta(hours=1))
NOW = datetime(2026, 12, 3, 17, 29, 55, 250000, tzinfo=BERLIN_WINTER)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17:30", datetime(2026, 12, 3, 17, 30, tzinfo=BERLIN_WINTER)),
        ("17:30:00", datetime(2026, 12, 3, 17, 30, tzinfo=BERLIN_WINTER)),
        ("17:30:00.500", datetime(2026, 12, 3, 17, 30, 0, 500000, tzinfo=BERLIN_WINTER)),
        ("2026-12-03T16:30:00Z", datetime(2026, 12, 3, 17, 30, tzinfo=BERLIN_WINTER)),
        ("2026-12-04T00:00:00+01:00", datetime(2026, 12, 4, 0, 0, tzinfo=BERLIN_WINTER)),
        (f"@{datetime(2026, 12, 3, 16, 30, tzinfo=UTC).timestamp()}", datetime(2026, 12, 3, 17, 30, tzinfo=BERLIN_WINTER)),
        ("17:29:30", datetime(2026, 12, 3, 17, 29, 30, tzinfo=BERLIN_WINTER)),  # late: plays at once
    ],
)
def test_a_moment_is_read_as_people_and_timers_write_it(text: str, expected: datetime) -> None:
    assert parse_moment(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("half past five", "is not a time"),
        ("17:61", "is not a time"),
        ("2026-12-05T17:30:00+01:00", "more than a day ahead"),
        ("17:00", "passed 1795 s ago"),
        ("@1e30", "is not a time"),
    ],
)
def test_a_moment_that_cannot_be_kept_names_the_reason(text: str, reason: str) -> None:
    with pytest.raises(MomentError, match=reason):
        parse_moment(text, NOW)


BERLIN = ZoneInfo("Europe/Berlin")  # 2025-03-30 02:00 CET -> 03:00 CEST; 2025-10-26 03:00 CEST -> 02:00 CET
NEW_YORK = ZoneInfo("America/New_York")  # 2025-03-09 02:00 EST -> 03:00 EDT; 2025-11-02 02:00 EDT -> 01:00 EST


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        # Given before the change, read with the offset of the moment itself.
        (datetime(2025, 3, 30, 1, 50, tzinfo=BERLIN), "03:30", "2025-03-30T03:30:00+02:00"),
        (datetime(2025, 10, 26, 1, 50, tzinfo=BERLIN), "03:30", "2025-10-26T03:30:00+01:00"),
        # The evening before: the coming night's time, on that night's offset.
        (datetime(2025, 3, 29, 23, 0, tzinfo=BERLIN), "03:30", "2025-03-30T03:30:00+02:00"),
        (datetime(2025, 11, 1, 22, 0, tzinfo=NEW_YORK), "08:00", "2025-11-02T08:00:00-05:00"),
        (datetime(2025, 3, 8, 21, 0, tzinfo=NEW_YORK), "07:15:30", "2025-03-09T07:15:30-04:00"),
        # Midnight, two seconds ahead: the coming one, not the one a day ago.
        (datetime(2025, 3, 8, 23, 59, 58, tzinfo=NEW_YORK), "00:00:00", "2025-03-09T00:00:00-05:00"),
        (datetime(2025, 3, 29, 23, 59, 58, tzinfo=BERLIN), "00:00", "2025-03-30T00:00:00+01:00"),
        # Just before the clock jumped is as late as real time says: 40 s, it plays at once.
        (datetime(2025, 3, 30, 3, 0, 30, tzinfo=BERLIN), "01:59:50", "2025-03-30T01:59:50+01:00"),
        # Just after midnight, a moment just before it is late, not a day ahead: it plays at once.
        (datetime(2025, 3, 9, 0, 0, 10, tzinfo=NEW_YORK), "23:59:50", "2025-03-08T23:59:50-05:00"),
        # A time the clock skips is read as the clock would have shown it without the jump.
        (datetime(2025, 3, 30, 1, 50, tzinfo=BERLIN), "02:30", "2025-03-30T03:30:00+02:00"),
        (datetime(2025, 3, 9, 1, 0, tzinfo=NEW_YORK), "02:15", "2025-03-09T03:15:00-04:00"),
        # A time the clock shows twice: the occurrence nearest now.
        (datetime(2025, 10, 26, 1, 50, tzinfo=BERLIN), "02:30", "2025-10-26T02:30:00+02:00"),
        (datetime(2025, 10, 26, 2, 10, fold=1, tzinfo=BERLIN), "02:30", "2025-10-26T02:30:00+01:00"),
        (datetime(2025, 11, 2, 1, 20, fold=1, tzinfo=NEW_YORK), "01:45", "2025-11-02T01:45:00-05:00"),
        # An ISO 8601 time without an offset: the host's clock on that date, the same way.
        (datetime(2025, 3, 30, 1, 50, tzinfo=BERLIN), "2025-03-30T03:30", "2025-03-30T03:30:00+02:00"),
        (datetime(2025, 10, 26, 2, 10, fold=1, tzinfo=BERLIN), "2025-10-26 02:30", "2025-10-26T02:30:00+01:00"),
    ],
)
def test_a_wall_clock_time_is_read_on_the_host_clock_of_the_day_it_falls(now: datetime, text: str, expected: str) -> None:
    assert parse_moment(text, now).isoformat() == expected


@pytest.mark.parametrize(
    ("now", "text", "reason"),
    [
        # Nearer behind than ahead: a mistake, not a plan for tomorrow.
        (datetime(2025, 3, 30, 3, 40, tzinfo=BERLIN), "03:30", "passed 600 s ago"),
        (datetime(2025, 11, 2, 7, 0, tzinfo=NEW_YORK), "01:00", "passed 21600 s ago"),
        # The fall-back hour's first 02:30 just passed; to mean the second, give its offset.
        (datetime(2025, 10, 26, 2, 40, tzinfo=BERLIN), "02:30", "passed 600 s ago"),
    ],
)
def test_a_wall_clock_time_nearer_behind_than_ahead_is_refused(now: datetime, text: str, reason: str) -> None:
    with pytest.raises(MomentError, match=reason):
        parse_moment(text, now)


def test_the_host_zone_is_the_one_tz_names_with_its_rules() -> None:
    for value in ("America/New_York", ":America/New_York"):
        zone = host_zone({"TZ": value})
        assert datetime(2025, 1, 15, 12, tzinfo=zone).utcoffset() == timedelta(hours=-5)
        assert datetime(2025, 7, 15, 12, tzinfo=zone).utcoffset() == timedelta(hours=-4)
    assert datetime(2025, 7, 15, 12, tzinfo=host_zone({"TZ": ""})).utcoffset() == timedelta(0)


def test_without_tz_the_host_zone_is_etc_localtime(tmp_path: Path) -> None:
    # The tz database every test here reads Europe/Berlin from (Debian's tzdata).
    source = next(Path(folder) / "Europe" / "Berlin" for folder in zoneinfo.TZPATH if (Path(folder) / "Europe" / "Berlin").is_file())
    localtime = tmp_path / "localtime"
    localtime.write_bytes(source.read_bytes())
    zone = host_zone({}, localtime)
    assert datetime(2025, 3, 30, 3, 30, tzinfo=zone).utcoffset() == timedelta(hours=2)
    assert datetime(2025, 3, 30, 1, 30, tzinfo=zone).utcoffset() == timedelta(hours=1)


def test_a_tz_zoneinfo_cannot_read_falls_back_to_the_offset_of_now() -> None:
    zone = host_zone({"TZ": "CET-1CEST,M3.5.0,M10.5.0/3"})
    assert zone.utcoffset(None) == datetime.now().astimezone().utcoffset()


def test_now_carries_the_host_zone_rules_not_only_todays_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    """What --at reads wall-clock times against: a time later today, after a change of
    offset, takes the offset of its own moment."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    now = host_now()
    assert now.replace(year=2025, month=3, day=30, hour=1, minute=30).utcoffset() == timedelta(hours=1)
    assert now.replace(year=2025, month=3, day=30, hour=3, minute=30).utcoffset() == timedelta(hours=2)


def test_the_switch_starts_earlier_for_a_slower_group_and_never_later_than_the_safety() -> None:
    timing = Timing(switch_round_trips=3.0, switch_safety=0.05)
    assert switch_lead(0.0, timing) == pytest.approx(0.05)
    assert switch_lead(0.02, timing) == pytest.approx(0.11)
    assert switch_lead(0.1, timing) > switch_lead(0.02, timing)
