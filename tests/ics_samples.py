"""iCalendar texts for the skip_calendar tests, written as a school or a family would export them."""

from __future__ import annotations

from datetime import date, datetime


def calendar(*events: str) -> bytes:
    body = "".join(events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//sonos-chime tests//EN\r\n{body}END:VCALENDAR\r\n".encode()


def event(summary: str, *lines: str, uid: str = "") -> str:
    props = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VEVENT\r\nUID:{uid or summary}@tests\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\n{props}END:VEVENT\r\n"


def all_day(summary: str, first: date, after_last: date, *lines: str) -> str:
    """An all-day event from `first` up to `after_last` (excluded, as DTEND is)."""
    return event(summary, f"DTSTART;VALUE=DATE:{first:%Y%m%d}", f"DTEND;VALUE=DATE:{after_last:%Y%m%d}", *lines)


def timed(summary: str, start: datetime, end: datetime, zone: str, *lines: str) -> str:
    """A timed event on `zone`'s clock (TZID)."""
    return event(summary, f"DTSTART;TZID={zone}:{start:%Y%m%dT%H%M%S}", f"DTEND;TZID={zone}:{end:%Y%m%dT%H%M%S}", *lines)
