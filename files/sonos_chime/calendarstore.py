"""A chime's calendar at run time: read from the host's file or fetched from its URL, bounded.

A URL is data from the network: fetched once per run within one deadline and at most
MAX_CALENDAR_BYTES (exchange.fetch), its redirects followed (at most MAX_REDIRECTS, to http(s)
URLs) within the same deadline, so a peer that answers slowly or without end costs the
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
from urllib.parse import urljoin, urlsplit

from .calendars import (
    MAX_CALENDAR_BYTES,
    URL_CHARACTERS,
    CalendarError,
    CalendarSource,
    bounded_read,
    check_url,
)
from .exchange import AnswerLimit, Deadline, ExchangeError, fetch
from .moment import host_zone
from .zonelog import quote

# The run waits this long at most for a calendar's URL, out of the lead its timer gives it.
FETCH_SECONDS = 3.0
CALENDAR_ANSWER = AnswerLimit("a calendar", MAX_CALENDAR_BYTES)
STALE_PART_SECONDS = 60.0
# A calendar published behind a share link or http -> https is a redirect or two away; more
# than this is a server that sends its callers round.
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})


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
    """The calendar at `url`, following up to MAX_REDIRECTS redirects to http(s) URLs: every hop
    within the one deadline of `timeout` seconds and the size a calendar may be."""
    deadline = Deadline(timeout)
    visited = [url]
    while True:
        current = visited[-1]
        where = "" if current == url else f" (at {quote(current)}, where it is redirected)"
        try:
            answer = fetch(current, CALENDAR_ANSWER, deadline)
        except ExchangeError as error:
            raise Unavailable(f"cannot be fetched: {error.detail}{where}") from None
        if answer.status == 200:
            return answer.body
        if answer.status not in REDIRECTS:
            raise Unavailable(f"answered HTTP {answer.status}, not 200 with a calendar{where}")
        if len(visited) > MAX_REDIRECTS:
            raise Unavailable(f"is redirected more than {MAX_REDIRECTS} times: {quote(current)} redirects it again")
        target = redirect_target(current, answer.status, answer.location)
        if target in visited:
            raise Unavailable(f"is redirected in a loop: {quote(current)} sends it back to {quote(target)}")
        visited.append(target)


def redirect_target(current: str, status: int, location: str | None) -> str:
    """Where a redirect from `current` leads: its Location, resolved against `current`, if that
    is an http(s) URL such as a calendar's own may be (check_url), and not http from https;
    else Unavailable."""
    if not location:
        raise Unavailable(f"answered HTTP {status} with no Location to follow, at {quote(current)}")
    location = location.strip()
    # Checked as sent (urljoin drops a tab or line break unseen), and not repeated: it may carry
    # credentials, or be 64 KiB long.
    if not URL_CHARACTERS.fullmatch(location):
        raise Unavailable(f"is redirected by {quote(current)} to a URL that holds characters a URL does not")
    target = urljoin(current, location)
    scheme = urlsplit(target).scheme
    if scheme not in ("http", "https"):
        raise Unavailable(f"is redirected by {quote(current)} to a {scheme}: URL; only http(s) is followed")
    if scheme == "http" and urlsplit(current).scheme == "https":  # whoever is on the way would write the calendar
        raise Unavailable(f"is redirected by {quote(current)} from https to http: {quote(target)}; only https is followed from https")
    try:
        check_url(target)
    except ValueError as error:
        raise Unavailable(f"is redirected by {quote(current)} to a URL that {error}") from None
    return target


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
