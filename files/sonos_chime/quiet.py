"""Quiet hours: the times of day no chime plays in a room ("not the nursery after 19:00").

A range is `HH:MM-HH:MM` on the host's clock, start included, end not: `19:00-07:00` crosses
midnight, `00:00-24:00` is the whole day. A chime is judged at its moment (the time it is
meant to sound, not when its timer started it early).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

MINUTES_A_DAY = 24 * 60
RANGE = re.compile(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})")


@dataclass(frozen=True)
class QuietRange:
    start: int  # minutes after midnight
    end: int  # minutes after midnight, 1-1440
    text: str

    def holds(self, when: datetime) -> bool:
        minute = when.hour * 60 + when.minute
        if self.start < self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end


@dataclass(frozen=True)
class QuietHours:
    """A room's quiet hours, by its zone's name in the inventory."""

    room: str
    ranges: tuple[QuietRange, ...]


@dataclass(frozen=True)
class QuietRoom:
    """A room in its quiet hours at the chime's moment, and the range that makes it so."""

    room: str
    quiet: QuietRange


def parse_range(text: str) -> QuietRange:
    """`HH:MM-HH:MM`, or ValueError saying what is wrong with it."""
    match = RANGE.fullmatch(text.strip())
    if match is None:
        raise ValueError("is not a range of the day such as 19:00-07:00 (HH:MM-HH:MM)")
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
    start, end = start_hour * 60 + start_minute, end_hour * 60 + end_minute
    if start_hour > 23 or start_minute > 59 or end_minute > 59 or end > MINUTES_A_DAY:
        raise ValueError("names a time that is not on the clock (00:00 to 23:59; 24:00 as an end)")
    if start == end % MINUTES_A_DAY and end != MINUTES_A_DAY:
        raise ValueError("starts where it ends (the whole day is 00:00-24:00)")
    return QuietRange(start, end, f"{start_hour:02d}:{start_minute:02d}-{end_hour:02d}:{end_minute:02d}")


def quiet_room(room_uids: Iterable[str | None], quiet_rooms: Mapping[str, QuietHours], when: datetime) -> QuietRoom | None:
    """The first of the rooms (by uid: a name changes in the Sonos app, a uid does not) in its
    quiet hours at `when`, if any."""
    for uid in room_uids:
        hours = quiet_rooms.get(uid or "")
        if hours is None:
            continue
        for quiet in hours.ranges:
            if quiet.holds(when):
                return QuietRoom(hours.room, quiet)
    return None
