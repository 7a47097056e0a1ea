"""Days off by calendar (skip_calendar): during an event the run sends nothing to any speaker;
a calendar URL that fails, drips or floods costs the run its bounded fetch, and the last good
copy (or, with none, the chime) stands in."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from chime_helpers import changing_requests, outcomes, requests
from ics_samples import all_day, calendar
from sonos_chime.calendars import MAX_CALENDAR_BYTES
from sonos_chime.calendarstore import (
    CalendarStore,
    Unavailable,
    fetch_calendar,
    redirect_target,
)

ZONES = ["Living Room", "Study"]
TODAY = date.today()
INSET_DAY = calendar(all_day("Inset day", TODAY, TODAY + timedelta(days=1)))
NEXT_WEEK = calendar(all_day("Trip", TODAY + timedelta(days=7), TODAY + timedelta(days=9)))


@dataclass
class CalendarServer:
    """A calendar's URL: answers `body`, or holds its answer until released (`slow`), or
    streams more than a calendar may be without saying its length (`flood`). A path of
    `redirects` answers `redirect_status` with that Location instead, after `delay` seconds."""

    body: bytes = INSET_DAY
    mode: str = "ok"
    release: threading.Event = field(default_factory=threading.Event)
    fetches: list[str] = field(default_factory=list)
    redirects: dict[str, str] = field(default_factory=dict)
    redirect_status: int = 302
    delay: float = 0.0

    def start(self) -> ThreadingHTTPServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches.append(self.path)
                with contextlib.suppress(ConnectionError):
                    self.answer()

            def answer(self) -> None:
                time.sleep(server.delay)
                if self.path in server.redirects:
                    self.send_response(server.redirect_status)
                    self.send_header("Location", server.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if server.mode == "slow":
                    server.release.wait(60)
                self.send_response(200)
                self.send_header("Content-Type", "text/calendar")
                if server.mode == "flood":
                    self.end_headers()  # no length: read until the peer stops
                    for _ in range(3 * MAX_CALENDAR_BYTES // 65536):
                        self.wfile.write(b"X" * 65536)
                    return
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        http.daemon_threads = True
        threading.Thread(target=http.serve_forever, daemon=True).start()
        return http


@pytest.fixture
def ics() -> Iterator[tuple[CalendarServer, str]]:
    server = CalendarServer()
    http = server.start()
    yield server, f"http://127.0.0.1:{http.server_address[1]}/school/terms.ics"
    server.release.set()
    http.shutdown()
    http.server_close()


def first_run(household: Any, chime_setup: Any, url: str) -> tuple[Any, Any, Any]:
    """The household, the setup of a chime "Test" whose skip_calendar is `url`, and its first run
    (which ended well)."""
    home = household("six-player-home.yml")
    setup = chime_setup(home, ZONES, skip_calendar=url)
    run = setup.run("Test")
    assert run.returncode == 0, run.stderr
    return home, setup, run


def assert_no_speaker_touched(home: Any) -> None:
    assert requests(home.events()) == []  # not even a read


def assert_chimed(home: Any, stderr: str) -> None:
    assert outcomes(stderr) == {"Living Room": "ok", "Study": "skipped"}  # Study plays its line-in: the source policy
    assert {e["player"] for e in changing_requests(home.events()) if e["action"] == "SetAVTransportURI"} == {"Living Room"}


def test_an_event_of_the_calendar_url_touches_no_speaker_and_says_which(household: Any, chime_setup: Any,
                                                                         ics: tuple[CalendarServer, str]) -> None:
    server, url = ics
    home = household("six-player-home.yml")
    setup = chime_setup(home, ZONES, skip_calendar=url)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert 'chime="Test" skipped: an event of its calendar: "Inset day": no speaker touched' in run.stderr
    assert_no_speaker_touched(home)
    assert server.fetches == ["/school/terms.ics"]


def test_a_day_with_no_event_chimes(household: Any, chime_setup: Any, ics: tuple[CalendarServer, str]) -> None:
    server, url = ics
    server.body = NEXT_WEEK
    home = household("six-player-home.yml")
    setup = chime_setup(home, ZONES, skip_calendar=url)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert "skipped: an event" not in run.stderr and "skip_calendar" not in run.stderr
    assert_chimed(home, run.stderr)


def test_a_calendar_file_of_the_controller_reaches_the_host_and_decides(household: Any, chime_setup: Any, tmp_path: Path) -> None:
    home = household("six-player-home.yml")
    controller = tmp_path / "controller" / "our holidays.ics"
    controller.parent.mkdir()
    controller.write_bytes(INSET_DAY)
    setup = chime_setup(home, ZONES, skip_calendar=str(controller))

    run = setup.run("Test")

    assert 'chime="Test" skipped: an event of its calendar: "Inset day": no speaker touched' in run.stderr
    assert_no_speaker_touched(home)
    controller.write_bytes(NEXT_WEEK)  # the family's calendar changed: the role copies it again
    run = setup.run("Test")
    assert_chimed(home, run.stderr)


def test_a_slow_url_is_given_up_on_and_the_last_good_copy_decides(household: Any, chime_setup: Any,
                                                                  ics: tuple[CalendarServer, str]) -> None:
    server, url = ics
    home = household("six-player-home.yml")
    setup = chime_setup(home, ZONES, skip_calendar=url)
    assert "skipped: an event" in setup.run("Test").stderr  # a good copy is kept
    server.mode = "slow"

    run = setup.run("Test", timeout=30)

    assert not server.release.is_set()  # the run ended while the server still held its answer
    assert run.returncode == 0, run.stderr
    assert f'chime="Test": skip_calendar "{url}" cannot be fetched: no answer within 3 s; read the last good copy instead' in run.stderr
    assert 'skipped: an event of its calendar: "Inset day": no speaker touched' in run.stderr
    assert_no_speaker_touched(home)


def test_an_answer_that_is_no_calendar_leaves_the_last_good_copy_in_place(household: Any, chime_setup: Any,
                                                                          ics: tuple[CalendarServer, str]) -> None:
    server, url = ics
    home = household("six-player-home.yml")
    setup = chime_setup(home, ZONES, skip_calendar=url)
    setup.run("Test")
    server.body = b"<html><body>Please sign in</body></html>"

    run = setup.run("Test")

    assert "is not iCalendar" in run.stderr and "read the last good copy instead" in run.stderr
    assert 'skipped: an event of its calendar: "Inset day"' in run.stderr
    assert [path.read_bytes() for path in setup.calendar_cache.glob("*.ics")] == [INSET_DAY]
    assert_no_speaker_touched(home)


def test_a_flood_with_no_good_copy_is_cut_off_and_the_chime_plays(household: Any, chime_setup: Any,
                                                                  ics: tuple[CalendarServer, str]) -> None:
    server, url = ics
    server.mode = "flood"

    home, setup, run = first_run(household, chime_setup, url)

    assert (f'chime="Test": skip_calendar "{url}" cannot be fetched: answer cut off: larger than 2 MiB, the limit for a calendar; '
            "no good copy of it is kept: the chime plays") in run.stderr
    assert_chimed(home, run.stderr)
    assert list(setup.calendar_cache.glob("*")) == []


def test_a_redirect_is_followed_and_its_target_decides(household: Any, chime_setup: Any, ics: tuple[CalendarServer, str]) -> None:
    """A calendar published behind a share link: its Location (relative here) is fetched, and
    the copy kept is the original URL's."""
    server, target = ics
    url = target.replace("/school/terms.ics", "/share/abc?format=ics")
    server.redirects = {"/share/abc?format=ics": "/school/terms.ics"}

    home, setup, run = first_run(household, chime_setup, url)

    assert 'chime="Test" skipped: an event of its calendar: "Inset day": no speaker touched' in run.stderr
    assert "skip_calendar" not in run.stderr  # nothing went wrong on the way
    assert server.fetches == ["/share/abc?format=ics", "/school/terms.ics"]
    assert CalendarStore(setup.calendar_cache).kept(url) is not None
    assert_no_speaker_touched(home)


def test_a_redirect_loop_is_refused_and_the_last_good_copy_decides(household: Any, chime_setup: Any,
                                                                   ics: tuple[CalendarServer, str]) -> None:
    server, url = ics
    home, setup, first = first_run(household, chime_setup, url)
    assert "skipped: an event" in first.stderr  # a good copy is kept
    other = url.replace("/school/terms.ics", "/school/moved.ics")
    server.redirects = {"/school/terms.ics": "moved.ics", "/school/moved.ics": url}
    server.fetches.clear()

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert (f'chime="Test": skip_calendar "{url}" is redirected in a loop: "{other}" sends it back to "{url}"; '
            "read the last good copy instead") in run.stderr
    assert 'skipped: an event of its calendar: "Inset day": no speaker touched' in run.stderr
    assert server.fetches == ["/school/terms.ics", "/school/moved.ics"]
    assert_no_speaker_touched(home)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_each_kind_of_redirect_is_followed(ics: tuple[CalendarServer, str], status: int) -> None:
    server, target = ics
    url = target.replace("/school/terms.ics", "/old.ics")
    server.redirects, server.redirect_status = {"/old.ics": target}, status

    assert fetch_calendar(url, 3.0) == INSET_DAY


def test_more_than_three_redirects_are_refused_naming_where_it_stopped(ics: tuple[CalendarServer, str]) -> None:
    server, target = ics
    base = target.replace("/school/terms.ics", "")
    server.redirects = {f"/{hop}": f"/{hop + 1}" for hop in range(1, 5)} | {"/5": "/school/terms.ics"}

    with pytest.raises(Unavailable) as refused:
        fetch_calendar(f"{base}/1", 3.0)

    assert str(refused.value) == f'is redirected more than 3 times: "{base}/4" redirects it again'
    assert server.fetches == ["/1", "/2", "/3", "/4"]


@pytest.mark.parametrize(("location", "said"), [
    ("webcal://calendar.example.org/terms.ics", "to a webcal: URL; only http(s) is followed"),
    ("file:///etc/passwd", "to a file: URL; only http(s) is followed"),
    ("https://me:hunter2@calendar.example.org/terms.ics", "to a URL that carries credentials"),
    # Python's URL parsing drops a tab or line break wherever it is: the Location is checked as sent.
    ("/school/moved\t.ics", "to a URL that holds characters a URL does not"),
    ("https://me:hunter2@calendar.example.org/a b.ics", "to a URL that holds characters a URL does not"),
])
def test_a_redirect_to_what_is_no_http_url_is_refused(ics: tuple[CalendarServer, str], location: str, said: str) -> None:
    server, url = ics
    server.redirects = {"/school/terms.ics": location}

    with pytest.raises(Unavailable) as refused:
        fetch_calendar(url, 3.0)

    assert str(refused.value).startswith(f'is redirected by "{url}" {said}')
    assert "hunter2" not in str(refused.value)
    assert server.fetches == ["/school/terms.ics"]


def test_the_redirects_share_the_one_fetch_deadline(ics: tuple[CalendarServer, str]) -> None:
    """Each hop answers in 0.6 s, so four take 2.4 s: more than the fetch's 1.5 s in all,
    though each alone is well within it. With a budget per hop the target would answer."""
    server, target = ics
    base = target.replace("/school/terms.ics", "")
    server.redirects, server.delay = {"/1": "/2", "/2": "/3", "/3": "/school/terms.ics"}, 0.6

    with pytest.raises(Unavailable) as refused:
        fetch_calendar(f"{base}/1", 1.5)

    assert str(refused.value).startswith("cannot be fetched: no answer within 1.5 s")


def test_a_redirect_from_https_to_http_is_refused() -> None:
    """The household gave an https URL: a redirect to plain http would let whoever is on the way
    write the calendar (and so silence the chimes by days off); http to https is followed."""
    with pytest.raises(Unavailable) as refused:
        redirect_target("https://calendar.example.org/terms.ics", 301, "http://calendar.example.org/terms.ics")

    assert str(refused.value) == ('is redirected by "https://calendar.example.org/terms.ics" from https to http: '
                                  '"http://calendar.example.org/terms.ics"; only https is followed from https')
    assert redirect_target("http://calendar.example.org/a", 301, "https://calendar.example.org/a") == "https://calendar.example.org/a"
    assert redirect_target("https://calendar.example.org/a", 302, "/b") == "https://calendar.example.org/b"
