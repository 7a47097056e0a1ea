"""Calendar days off (skip_calendar): a chime does not play while an event of its calendar lasts.

A chime's calendar is an iCalendar file the role copied to the host, or an http(s) URL: a
school's term calendar, a family's vacation calendar. An event covers the chime's moment when
it lasts over it on the host's clock: an all-day event its whole days, a timed one from its
start to its end (its own time zone respected), recurring events every time they recur.

Reading the text needs `icalendar` and `recurring-ical-events`, imported only when a chime has
a calendar; what a calendar source may be is checked with the standard library alone, so that
preflight checks it on the controller (calendarstore.py fetches and keeps the copies).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

# A calendar larger than this is refused, fetched or read (a school year of events is a few
# hundred KiB): parsing more would take the lead of a chime on a small Pi.
MAX_CALENDAR_BYTES = 2 * 1024 * 1024
# A URL of plain characters: no spaces, quotes or controls to end up in a log or a request line.
URL_CHARACTERS = re.compile(r"[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")
SUMMARY_LENGTH = 120
# Reading is bounded in time and memory, not only in bytes: one line (RRULE:FREQ=SECONDLY from
# 2020) expands for hours. The bound holds the reader's own start too (Python and icalendar:
# 0.2 s on amd64, seconds on a Pi Zero or under emulation), so it is not tight: a calendar that
# takes this long is late for the chime's moment anyway. Preflight on the controller: CHECK_SECONDS.
READ_SECONDS = 8.0
CHECK_SECONDS = 10.0
READ_MEMORY_BYTES = 512 * 1024 * 1024
CONTENT_LINE = re.compile(r"[A-Za-z0-9-]+[;:]")  # NAME;PARAM=...:value or NAME:value (RFC 5545, 3.1)


class CalendarError(Exception):
    """The calendar's text is not an iCalendar this module can read; the message says why."""


@dataclass(frozen=True)
class CalendarSource:
    """Where a chime's calendar is: a path on the host, or an http(s) URL."""

    location: str

    @property
    def is_url(self) -> bool:
        return urlsplit(self.location).scheme in ("http", "https")


def parse_calendar_source(text: str) -> CalendarSource:
    """An absolute path or an http(s) URL without credentials, or ValueError saying why."""
    if text.startswith("/"):
        if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text):
            raise ValueError("is a path with control characters")
        return CalendarSource(text)
    check_url(text)
    return CalendarSource(text)


def check_url(text: str) -> None:
    """An http(s) URL of plain characters, with a host and no user name or password (a URL
    with credentials would leave them in every log line that names it)."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError as error:
        raise ValueError(f"is not a usable URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("is not an http(s) URL (or an absolute path on the host)")
    if parts.username is not None or parts.password is not None:
        raise ValueError("carries credentials (user:password@); give a URL that needs none, such as a calendar's secret address")
    if not URL_CHARACTERS.fullmatch(text):
        raise ValueError("holds characters a URL does not (spaces, quotes, controls, non-ASCII): percent-encode them")


def parse_calendar(data: bytes) -> Any:
    """The calendar in `data` (an icalendar.Calendar), or CalendarError."""
    import icalendar  # a chime with no calendar never pays for it

    if len(data) > MAX_CALENDAR_BYTES:
        raise CalendarError(f"is {len(data)} bytes, more than the {MAX_CALENDAR_BYTES} a calendar may be")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as error:  # noqa: BLE001 - whatever the parser raises, the text is no calendar
        raise CalendarError(f"is not iCalendar: {short(error)}") from None
    if getattr(calendar, "name", None) != "VCALENDAR":
        raise CalendarError("is not iCalendar: it holds no VCALENDAR")
    return calendar


def covering_event(calendar: Any, moment: datetime) -> str | None:
    """The summary of an event of `calendar` that lasts over `moment` (a time zone-aware time
    on the host's clock, whose zone all-day and floating events are read in), or None."""
    import recurring_ical_events  # type: ignore[import-untyped]

    try:
        events = recurring_ical_events.of(calendar).between(moment, moment + timedelta(seconds=1))
        covering = [event for event in events if str(event.get("STATUS", "")).upper() != "CANCELLED"]
    except Exception as error:  # noqa: BLE001 - a broken rule or date surfaces only here
        raise CalendarError(f"has an event that cannot be read: {short(error)}") from None
    if not covering:
        return None
    summary = str(covering[0].get("SUMMARY", "")).strip()
    return summary[:SUMMARY_LENGTH] if summary else "an event with no summary"


def read_calendar(data: bytes, moment: datetime) -> str | None:
    """parse_calendar and covering_event, in this process: unbounded (bounded_read bounds it)."""
    return covering_event(parse_calendar(data), moment)


def bounded_read(data: bytes, moment: datetime, seconds: float = READ_SECONDS) -> str | None:
    """read_calendar in a child process that may take `seconds` and READ_MEMORY_BYTES at most:
    a calendar that would take longer is a CalendarError, never a run that hangs."""
    return bounded_reads(data, [moment], seconds)[0]


def bounded_reads(data: bytes, moments: Sequence[datetime], seconds: float = READ_SECONDS) -> list[str | None]:
    """bounded_read of several moments, in one child (the status page asks five per chime)."""
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    search_path = os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH", "")]))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sonos_chime.calendars", str(seconds), *(moment.isoformat() for moment in moments)],
            input=data, capture_output=True, timeout=seconds, check=False,
            env={**os.environ, "PYTHONPATH": search_path},
        )
    except subprocess.TimeoutExpired:
        raise CalendarError(f"takes more than {seconds:g} s to read (too many events or recurrences)") from None
    except OSError as error:
        raise CalendarError(f"cannot be read: {error.strerror or error}") from None
    events = child_answer(done)
    if len(events) != len(moments):
        raise CalendarError("cannot be read: its reader answered for other moments than asked")
    return events


def child_answer(done: subprocess.CompletedProcess[bytes]) -> list[str | None]:
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        reason = f"was killed by signal {-done.returncode}" if done.returncode < 0 else f"exited {done.returncode}"
        limit = " (its memory or time ran out)" if done.returncode < 0 or b"MemoryError" in done.stderr else ""
        raise CalendarError(f"cannot be read: its reader {reason}{limit}") from None
    if "error" in answer:
        raise CalendarError(str(answer["error"]))
    return [None if event is None else str(event) for event in answer["events"]]


def child_main(argv: list[str]) -> int:
    """`python -m sonos_chime.calendars SECONDS MOMENT...`: the calendar on stdin, the verdicts
    as JSON on stdout ({"events": [summary or null, ...]} or {"error": why})."""
    seconds, moments = float(argv[0]), [datetime.fromisoformat(text) for text in argv[1:]]
    cpu = int(seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_AS, (READ_MEMORY_BYTES, READ_MEMORY_BYTES))
    answer: dict[str, object]
    try:
        calendar = parse_calendar(sys.stdin.buffer.read(MAX_CALENDAR_BYTES + 1))
        answer = {"events": [covering_event(calendar, moment) for moment in moments]}
    except CalendarError as error:
        answer = {"error": str(error)}
    except MemoryError:
        answer = {"error": f"cannot be read in {READ_MEMORY_BYTES // (1024 * 1024)} MiB (too many events or recurrences)"}
    sys.stdout.write(json.dumps(answer))
    return 0


def check_file(path: str, seconds: float = CHECK_SECONDS) -> None:
    """A controller's calendar file, as preflight checks it: a file, no larger than chime.py
    reads, framed as iCalendar; read in full where the controller has icalendar too."""
    if not os.path.isfile(path):
        raise ValueError(f"is not a file on the controller ({path})")
    if os.path.getsize(path) > MAX_CALENDAR_BYTES:
        raise ValueError(f"is {os.path.getsize(path)} bytes, more than the {MAX_CALENDAR_BYTES} a calendar may be")
    with open(path, "rb") as file:
        data = file.read()
    check_frame(data)
    if all(importlib.util.find_spec(name) for name in ("icalendar", "recurring_ical_events")):
        bounded_read(data, datetime.now().astimezone(), seconds)


def check_frame(data: bytes) -> None:
    """UTF-8 content lines from BEGIN:VCALENDAR to END:VCALENDAR: what the standard library can
    tell of an iCalendar text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CalendarError("is not iCalendar: not UTF-8 text") from None
    lines = [line for line in re.sub(r"\r?\n[ \t]", "", text).splitlines() if line.strip()]
    if not lines or lines[0].strip().upper() != "BEGIN:VCALENDAR" or lines[-1].strip().upper() != "END:VCALENDAR":
        raise CalendarError("is not iCalendar: it does not begin with BEGIN:VCALENDAR and end with END:VCALENDAR")
    for number, line in enumerate(lines, 1):
        if not CONTENT_LINE.match(line):
            raise CalendarError(f"is not iCalendar: line {number} is not a content line ({line[:40]!r})")


def short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:160] or type(error).__name__


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
