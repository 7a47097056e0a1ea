"""A chime's calendar at run time: read from the host's file or fetched from its URL, bounded.

A URL is data from the network: fetched once per run within one deadline and at most
MAX_CALENDAR_BYTES (exchange.fetch), so a peer that answers slowly or without end costs the
run seconds, never the host. The last copy that read well is kept on the host and read when the
URL fails; with no good copy at all the chime plays, as it does when the holiday calendar
cannot be read: better a chime on a day off than none on a working day.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .calendars import MAX_CALENDAR_BYTES, CalendarError, CalendarSource, bounded_read
from .exchange import AnswerLimit, ExchangeError, fetch
from .moment import host_zone

# The run waits this long at most for a calendar's URL, out of the lead its timer gives it.
FETCH_SECONDS = 3.0
CALENDAR_ANSWER = AnswerLimit("a calendar", MAX_CALENDAR_BYTES)
STALE_PART_SECONDS = 60.0


class Unavailable(Exception):
    """The calendar's text could not be had; the message says why."""


@dataclass(frozen=True)
class Verdict:
    """What a chime's calendar says of its moment."""

    event: str | None  # the summary of an event that lasts over the moment: a day off
    note: str | None = None  # what went wrong on the way, for the journal


@dataclass(frozen=True)
class KeptCopy:
    data: bytes
    fetched: datetime


@dataclass(frozen=True)
class CalendarStore:
    """The folder of the last good copy of each URL's calendar, and how long a fetch may take."""

    folder: Path
    timeout: float = FETCH_SECONDS

    def copy_path(self, url: str) -> Path:
        return self.folder / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:32]}.ics"

    def keep(self, url: str, data: bytes) -> None:
        """Replace the kept copy at once (a run that reads it never sees half a file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.sweep_parts()
        handle, name = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as part:
                part.write(data)
            os.replace(name, self.copy_path(url))
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def sweep_parts(self) -> None:
        """Half-written copies of runs killed while keeping one (older than any run still writing)."""
        for part in self.folder.glob("*.part"):
            try:
                if time.time() - part.stat().st_mtime > STALE_PART_SECONDS:
                    part.unlink()
            except OSError:
                continue

    def kept(self, url: str) -> KeptCopy | None:
        path = self.copy_path(url)
        try:
            data = read_file(path)
            fetched = datetime.fromtimestamp(path.stat().st_mtime, host_zone())
        except (Unavailable, OSError):
            return None
        return KeptCopy(data, fetched)


def calendar_verdict(source: CalendarSource, moment: datetime, store: CalendarStore) -> Verdict:
    """Whether an event of the calendar lasts over `moment`, from the freshest text that reads."""
    try:
        data = fetch_calendar(source.location, store.timeout) if source.is_url else read_file(Path(source.location))
        event = bounded_read(data, moment)
    except (Unavailable, CalendarError) as error:
        return fall_back(source, moment, store, str(error))
    if not source.is_url:
        return Verdict(event)
    try:
        store.keep(source.location, data)
    except OSError as error:
        return Verdict(event, f"read well, but no copy can be kept in {store.folder} ({error.strerror or error})")
    return Verdict(event)


def fall_back(source: CalendarSource, moment: datetime, store: CalendarStore, problem: str) -> Verdict:
    copy = store.kept(source.location) if source.is_url else None
    if copy is None:
        return Verdict(None, f"{problem}; no good copy of it is kept: the chime plays")
    try:
        event = bounded_read(copy.data, moment)
    except CalendarError as error:
        return Verdict(None, f"{problem}; the copy kept {error}: the chime plays")
    return Verdict(event, f"{problem}; read the last good copy instead, fetched {copy.fetched:%Y-%m-%d %H:%M}")


def fetch_calendar(url: str, timeout: float) -> bytes:
    try:
        answer = fetch(url, CALENDAR_ANSWER, timeout)
    except ExchangeError as error:
        raise Unavailable(f"cannot be fetched: {error.detail}") from None
    if answer.status != 200:
        raise Unavailable(f"answered HTTP {answer.status}, not 200 with a calendar")
    return answer.body


def read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_CALENDAR_BYTES + 1)
    except FileNotFoundError:
        raise Unavailable("is not a file on this host") from None
    except OSError as error:
        raise Unavailable(f"cannot be read: {error.strerror or error}") from None
    if len(data) > MAX_CALENDAR_BYTES:
        raise Unavailable(f"is more than the {MAX_CALENDAR_BYTES} bytes a calendar may be")
    return data
