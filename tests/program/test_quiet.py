"""Quiet ranges: start included, end not, across midnight, the whole day; and the moment judged."""

from __future__ import annotations

import time
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sonos_chime.config import ConfigError, quiet_ranges
from sonos_chime.job import ChimeJob, RunSettings, RunShared, StopRequest
from sonos_chime.locate import TopologyLookups
from sonos_chime.moment import Moment
from sonos_chime.quiet import QuietHours, QuietRoom, parse_range, quiet_room

DAY = datetime(2026, 12, 5, tzinfo=timezone(timedelta(hours=1)))


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute, second=second)


@pytest.mark.parametrize(("text", "quiet", "not_quiet"), [
    ("19:00-07:00", [at(19, 0), at(23, 59, 59), at(0, 0), at(6, 59, 59)], [at(7, 0), at(12, 0), at(18, 59, 59)]),
    ("12:00-13:30", [at(12, 0), at(13, 29, 59)], [at(11, 59, 59), at(13, 30), at(0, 0)]),
    ("00:00-24:00", [at(0, 0), at(12, 0), at(23, 59, 59)], []),
    ("22:00-24:00", [at(22, 0), at(23, 59, 59)], [at(0, 0), at(21, 59)]),
    ("23:30-00:15", [at(23, 30), at(0, 14, 59)], [at(0, 15), at(23, 29, 59)]),
])
def test_a_range_holds_from_its_start_to_just_before_its_end(text: str, quiet: list[datetime], not_quiet: list[datetime]) -> None:
    quiet_range = parse_range(text)
    assert quiet_range.text == text
    assert [quiet_range.holds(when) for when in quiet] == [True] * len(quiet)
    assert [quiet_range.holds(when) for when in not_quiet] == [False] * len(not_quiet)


@pytest.mark.parametrize(("text", "reason"), [
    ("7pm-7am", "is not a range of the day"),
    ("19:00 - 07:00", "is not a range of the day"),
    ("9:00-10:00", "is not a range of the day"),
    ("24:00-07:00", "not on the clock"),
    ("19:60-07:00", "not on the clock"),
    ("19:00-24:01", "not on the clock"),
    ("07:00-07:00", "starts where it ends"),
    ("00:00-00:00", "starts where it ends"),
])
def test_a_bad_range_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_range(text)


def test_the_config_reads_one_range_or_a_list_and_names_the_bad_item() -> None:
    assert [r.text for r in quiet_ranges("19:00-07:00", "zones[0].quiet_hours")] == ["19:00-07:00"]
    with pytest.raises(ConfigError, match=r"zones\[0\].quiet_hours\[1\]: '25:00-01:00' names a time"):
        quiet_ranges(["19:00-07:00", "25:00-01:00"], "zones[0].quiet_hours")
    with pytest.raises(ConfigError, match=r"zones\[0\].quiet_hours: expected a list"):
        quiet_ranges({"from": "19:00"}, "zones[0].quiet_hours")


def test_the_first_quiet_room_of_a_group_is_named_by_uid() -> None:
    nursery = QuietHours("Nursery", (parse_range("19:00-07:00"),))
    kitchen = QuietHours("Kitchen", (parse_range("12:00-13:00"),))
    rooms = {"RINCON_N": nursery, "RINCON_K": kitchen}
    assert quiet_room(["RINCON_L", "RINCON_K", "RINCON_N"], rooms, at(20, 0)) == QuietRoom("Nursery", nursery.ranges[0])
    assert quiet_room(["RINCON_L", "RINCON_K", "RINCON_N"], rooms, at(12, 30)) == QuietRoom("Kitchen", kitchen.ranges[0])
    assert quiet_room(["RINCON_L", "RINCON_K", None], rooms, at(20, 0)) is None


def run_shared(tmp_path: Path, moment: Moment | None, rooms: dict[str, QuietHours]) -> RunShared:
    job = ChimeJob("Test", "http://127.0.0.1/chime.mp3", 30, {}, {}, (), (), quiet_rooms=rooms)
    settings = RunSettings(request_timeout=1.0, margin=10.0, runtime_dir=tmp_path, dry_run=False, moment=moment)
    return RunShared(job=job, settings=settings, started=time.monotonic(), stop=StopRequest(), sound=Future(),
                     first_hosts=(), lookups=TopologyLookups(1.0))


def test_a_run_is_judged_at_its_moment_not_when_its_timer_started_it(tmp_path: Path) -> None:
    rooms = {"RINCON_N": QuietHours("Nursery", (parse_range("19:00-07:00"),))}
    quiet = QuietRoom("Nursery", rooms["RINCON_N"].ranges[0])
    # Started at 18:59:55 for its moment at 19:00:00: quiet.
    assert run_shared(tmp_path, Moment(wall=at(19, 0), mono=time.monotonic() + 5), rooms).quiet_room(["RINCON_N"]) == quiet
    assert run_shared(tmp_path, Moment(wall=at(18, 59, 59), mono=time.monotonic()), rooms).quiet_room(["RINCON_N"]) is None
    # Without a moment: the run's start, on the host's clock, one time for every zone.
    shared = run_shared(tmp_path, None, rooms)
    assert (shared.quiet_room(["RINCON_N"]) is not None) == rooms["RINCON_N"].ranges[0].holds(shared.started_at)


def test_a_timers_moment_in_utc_is_judged_on_the_hosts_clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # systemd's next elapse comes in UTC (schedule.py); 19:30 in Berlin is 18:30 UTC in winter.
    monkeypatch.setenv("TZ", "Europe/Berlin")
    moment = Moment.of(datetime(2026, 12, 5, 18, 30, tzinfo=UTC))
    assert (moment.wall.hour, moment.wall.minute) == (19, 30)
    rooms = {"RINCON_N": QuietHours("Nursery", (parse_range("19:00-07:00"),))}
    assert run_shared(tmp_path, moment, rooms).quiet_room(["RINCON_N"]) is not None
    # New Year's Day begins at 23:00 UTC the day before.
    new_year = Moment.of(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    assert new_year.wall.date().isoformat() == "2027-01-01"
