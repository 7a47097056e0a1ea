"""skip_calendar: which moments an iCalendar makes days off, what a calendar source may be, and
what a run reads when the calendar cannot be had."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ics_samples import all_day, calendar, event, timed
from sonos_chime.calendars import (
    MAX_CALENDAR_BYTES,
    READ_SECONDS,
    CalendarError,
    CalendarSource,
    bounded_read,
    check_file,
    check_frame,
    child_answer,
    parse_calendar_source,
    read_calendar,
)
from sonos_chime.calendarstore import CalendarStore, calendar_verdict

BERLIN = ZoneInfo("Europe/Berlin")


def at(*parts: int) -> datetime:
    """A moment on the host's clock (Berlin, for these tests)."""
    return datetime(*parts, tzinfo=BERLIN)  # type: ignore[misc]


WEEKLY = calendar(event("Choir practice", "DTSTART;TZID=Europe/Berlin:20261202T170000",
                        "DTEND;TZID=Europe/Berlin:20261202T183000", "RRULE:FREQ=WEEKLY;BYDAY=WE",
                        "EXDATE;TZID=Europe/Berlin:20261216T170000"))


@pytest.mark.parametrize(("moment", "summary"), [
    (at(2026, 12, 2, 17, 30), "Choir practice"),  # the first
    (at(2026, 12, 9, 17, 0), "Choir practice"),  # a week on, at its very start
    (at(2026, 12, 9, 18, 30), None),  # its end is not in it
    (at(2026, 12, 10, 17, 30), None),  # a Thursday
    (at(2026, 12, 16, 17, 30), None),  # the week EXDATE takes out
    (at(2027, 3, 31, 18, 0), "Choir practice"),  # after the clocks went forward: still 17:00 Berlin time
])
def test_a_weekly_event_is_a_day_off_each_time_it_recurs_but_its_exdate(moment: datetime, summary: str | None) -> None:
    assert read_calendar(WEEKLY, moment) == summary


HOLIDAYS = calendar(all_day("Christmas holidays", date(2026, 12, 21), date(2027, 1, 4)))


@pytest.mark.parametrize(("moment", "summary"), [
    (at(2026, 12, 20, 23, 59), None),
    (at(2026, 12, 21, 0, 0), "Christmas holidays"),
    (at(2027, 1, 1, 12, 0), "Christmas holidays"),  # across the new year
    (at(2027, 1, 3, 23, 59), "Christmas holidays"),
    (at(2027, 1, 4, 0, 0), None),  # DTEND is the first day back
])
def test_an_all_day_event_covers_its_days_on_the_hosts_clock(moment: datetime, summary: str | None) -> None:
    assert read_calendar(HOLIDAYS, moment) == summary


def test_an_all_day_event_is_read_on_the_hosts_own_calendar_day() -> None:
    # 00:30 in Berlin on the 21st is still the 20th in UTC: the host's day decides.
    assert read_calendar(HOLIDAYS, at(2026, 12, 21, 0, 30)) == "Christmas holidays"
    assert read_calendar(HOLIDAYS, datetime(2026, 12, 20, 23, 30, tzinfo=ZoneInfo("UTC"))) is None


NEW_YORK_MEETING = calendar(timed("Board meeting", datetime(2026, 12, 7, 9, 0), datetime(2026, 12, 7, 10, 0), "America/New_York"))


@pytest.mark.parametrize(("moment", "summary"), [
    (at(2026, 12, 7, 9, 30), None),  # 9:30 in Berlin is 3:30 in New York
    (at(2026, 12, 7, 15, 0), "Board meeting"),  # 9:00 in New York
    (at(2026, 12, 7, 15, 59), "Board meeting"),
    (at(2026, 12, 7, 16, 0), None),
])
def test_a_timed_event_with_a_tzid_is_read_in_its_own_zone(moment: datetime, summary: str | None) -> None:
    assert read_calendar(NEW_YORK_MEETING, moment) == summary


def test_a_cancelled_event_is_no_day_off_and_one_without_a_summary_still_is() -> None:
    text = calendar(all_day("Trip", date(2026, 12, 7), date(2026, 12, 8), "STATUS:CANCELLED"),
                    event("", "DTSTART;VALUE=DATE:20261208", "DTEND;VALUE=DATE:20261209"))
    assert read_calendar(text, at(2026, 12, 7, 12, 0)) is None
    assert read_calendar(text, at(2026, 12, 8, 12, 0)) == "an event with no summary"


@pytest.mark.parametrize(("data", "reason"), [
    (b"<html><body>Sign in</body></html>", "is not iCalendar"),
    (b"", "is not iCalendar"),
    (calendar(event("Broken", "DTSTART:tomorrow")), "has an event that cannot be read"),
    (calendar(event("Broken", "DTSTART:20261201T100000", "RRULE:FREQ=SOMETIMES")), "has an event that cannot be read"),
    (b"BEGIN:VCALENDAR\r\n" + b"X" * MAX_CALENDAR_BYTES, "more than the"),
])
def test_a_text_that_is_no_calendar_says_why(data: bytes, reason: str) -> None:
    with pytest.raises(CalendarError, match=reason):
        read_calendar(data, at(2026, 12, 7, 12, 0))


@pytest.mark.parametrize("text", ["https://calendar.example.org/ical/abc%40group/basic.ics", "http://192.168.1.5:8080/family.ics",
                                  "/etc/sonos-chime/calendars/bell.ics"])
def test_a_source_is_an_http_url_or_a_path_on_the_host(text: str) -> None:
    assert parse_calendar_source(text) == CalendarSource(text)
    assert parse_calendar_source(text).is_url == text.startswith("http")


@pytest.mark.parametrize(("text", "reason"), [
    ("webcal://example.org/a.ics", "not an http"),
    ("file:///etc/passwd", "not an http"),
    ("terms.ics", "not an http"),
    ("https://me:secret@example.org/a.ics", "carries credentials"),
    ("https://example.org/a b.ics", "holds characters a URL does not"),
    ("https://example.org/a.ics\n", "holds characters a URL does not"),
    ("https://exämple.org/a.ics", "holds characters a URL does not"),
    ("https://example.org:99999/a.ics", "is not a usable URL"),
    ("/etc/sonos-chime/calendars/a\x1b.ics", "control characters"),
])
def test_a_source_that_is_neither_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_calendar_source(text)


def test_the_controller_checks_a_files_frame_and_reads_it(tmp_path: Path) -> None:
    good = tmp_path / "good.ics"
    good.write_bytes(HOLIDAYS)
    check_file(str(good))
    check_frame(HOLIDAYS)
    with pytest.raises(ValueError, match="is not a file on the controller"):
        check_file(str(tmp_path / "missing.ics"))
    with pytest.raises(CalendarError, match="does not begin with BEGIN:VCALENDAR"):
        check_frame(b"<!doctype html>\n<p>Not found</p>\n")
    with pytest.raises(CalendarError, match="line 2 is not a content line"):
        check_frame(b"BEGIN:VCALENDAR\r\nthis is prose\r\nEND:VCALENDAR\r\n")


def test_a_hosts_file_is_read_and_a_missing_one_plays_and_says_so(tmp_path: Path) -> None:
    store = CalendarStore(tmp_path / "kept")
    (tmp_path / "bell.ics").write_bytes(HOLIDAYS)

    found = calendar_verdict(CalendarSource(str(tmp_path / "bell.ics")), at(2026, 12, 24, 17, 0), store)
    missing = calendar_verdict(CalendarSource(str(tmp_path / "none.ics")), at(2026, 12, 24, 17, 0), store)

    assert (found.event, found.note) == ("Christmas holidays", None)
    assert (missing.event, missing.note) == (None, "is not a file on this host; no good copy of it is kept: the chime plays")
    assert not (tmp_path / "kept").exists()  # only a URL's copy is kept


# One line that expands for hours: an event every second since 2020.
EVERY_SECOND = calendar(event("tick", "DTSTART:20200101T000000Z", "DTEND:20200101T000000Z", "RRULE:FREQ=SECONDLY"))
VERDICT = """
import sys
from datetime import datetime, timezone
from pathlib import Path
from sonos_chime.calendars import CalendarSource
from sonos_chime.calendarstore import CalendarStore, calendar_verdict
print(calendar_verdict(CalendarSource(sys.argv[1]), datetime(2026, 12, 7, 8, 0, 30, tzinfo=timezone.utc),
                       CalendarStore(Path(sys.argv[2]))).note)
"""


def test_a_calendar_that_expands_without_end_is_given_up_on_and_the_chime_plays(tmp_path: Path) -> None:
    """The run's verdict comes within its READ_SECONDS: the chime plays and the journal says why
    (the run is its own process here, so that an unbounded read fails the test, not hangs it)."""
    path = tmp_path / "tick.ics"
    path.write_bytes(EVERY_SECOND)
    try:
        done = subprocess.run([sys.executable, "-c", VERDICT, str(path), str(tmp_path / "kept")],
                              capture_output=True, text=True, timeout=READ_SECONDS + 20, check=True)
    except subprocess.TimeoutExpired:
        raise AssertionError("the calendar's verdict did not come: a run would hang until systemd kills it") from None
    assert done.stdout.strip() == (f"takes more than {READ_SECONDS:g} s to read (too many events or recurrences); "
                                   "no good copy of it is kept: the chime plays"), done.stdout + done.stderr


def test_preflight_refuses_a_calendar_that_takes_too_long_to_read(tmp_path: Path) -> None:
    path = tmp_path / "tick.ics"
    path.write_bytes(EVERY_SECOND)
    with pytest.raises(CalendarError, match=r"takes more than 0\.5 s to read"):
        check_file(str(path), seconds=0.5)


def test_a_calendar_read_in_its_own_process_says_what_an_event_is() -> None:
    assert bounded_read(WEEKLY, at(2026, 12, 9, 17, 0)) == "Choir practice"
    assert bounded_read(WEEKLY, at(2026, 12, 10, 17, 30)) is None
    with pytest.raises(CalendarError, match="is not iCalendar"):
        bounded_read(b"BEGIN:VCALENDAR\r\nnonsense", at(2026, 12, 9, 17, 0))


@pytest.mark.parametrize(("returncode", "stderr", "said"), [
    (-9, b"", "its reader was killed by signal 9 (its memory or time ran out)"),
    (1, b"Traceback...\nMemoryError\n", "its reader exited 1 (its memory or time ran out)"),
    (1, b"Traceback...\nImportError: no icalendar\n", "its reader exited 1"),
])
def test_a_reader_that_dies_is_a_calendar_that_cannot_be_read(returncode: int, stderr: bytes, said: str) -> None:
    with pytest.raises(CalendarError) as raised:
        child_answer(subprocess.CompletedProcess([], returncode, b"", stderr))
    assert str(raised.value) == f"cannot be read: {said}"


def test_a_copy_half_written_by_a_killed_run_is_swept_when_the_next_keeps_one(tmp_path: Path) -> None:
    store = CalendarStore(tmp_path)
    stale, fresh = tmp_path / "tmpold.part", tmp_path / "tmpnew.part"
    for part in (stale, fresh):
        part.write_bytes(b"BEGIN:VCALENDAR")
    os.utime(stale, (0, 0))

    store.keep("https://school.example.org/terms.ics", WEEKLY)

    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([fresh.name, store.copy_path("https://school.example.org/terms.ics").name])
