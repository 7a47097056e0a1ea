"""`chime.py page`: the status page, from the runs chime.py really logged and a config.

The runs are those of tests/program/test_history.py: chime.py plays the simulated household,
and its stderr becomes the journal's records. The page is read back with Python's own HTML
parser, the way a browser would see its elements and text.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import re
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from ics_samples import all_day, calendar
from sonos_chime import outlook, statuspage
from sonos_chime.calendarstore import CalendarStore
from sonos_chime.config import load_config
from sonos_chime.history import Run, ZoneOutcome, parse_message
from sonos_chime.journal import JournalRead
from sonos_chime.outlook import ChimeOutlook, iterations, outlooks, systemd_moments
from sonos_chime.statuspage import PageData, make_page, render
from sonos_chime.zonelog import setup_logging

from program import test_history
from program.test_history import Journal, runs_of
from program.test_log_lines import (
    CHIME,
    CHIME_NAME,
    HOSTILE,
    ZONE_NAMES,
    run_chime,
    write_config,
)

three_runs = test_history.three_runs  # the fixture: Bell (chimed, with its group, quiet, failed), Soft, Off

# What the page may hold: no script, no link out, no form, no image fetched.
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "span", "bdi", "ul", "li",
                "small", "br", "svg", "line", "text", "circle"}


@dataclass
class Page(HTMLParser):
    """The page as a browser reads it: its tags, its attributes, its text by section."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def count(self, tag: str, css: str) -> int:
        return sum(1 for name, attrs in self.tags if name == tag and css in (attrs.get("class") or "").split())


def read_page(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


def section(text: str, heading: str) -> str:
    """The HTML from an <h2> to the next one."""
    start = text.index(f"<h2>{heading}</h2>")
    end = text.find("<h2>", start + 1)
    return text[start:end if end != -1 else len(text)]


def zone_block(text: str, zone: str) -> str:
    """The list of one zone's last runs."""
    match = re.search(rf'<h3><bdi>{re.escape(html.escape(zone))}</bdi></h3><ul class="runs">.*?</ul>', text)
    assert match is not None, zone
    return match.group()


def page_of(runs: list[Run], outlooks_: list[Any] | None = None, now: datetime | None = None) -> str:
    return render(PageData(now or datetime.now(UTC), outlooks_ or [], runs))


# ---- last runs per zone, and the timeline


def test_each_zone_shows_its_last_run_with_its_outcome(three_runs: tuple[Journal, float]) -> None:
    journal, _ = three_runs
    runs = runs_of(journal)

    text = page_of(runs)

    runs_part = section(text, "Last runs per zone")
    for zone, outcome in [("Dining", "chimed"), ("Kitchen", "with-group"), ("Nursery", "skipped"), ("Ghost", "failed")]:
        block = zone_block(runs_part, zone)
        assert f'<span class="{outcome}"><bdi>{outcome}</bdi></span>' in block, (zone, block)
        assert "<bdi>Bell</bdi>" in block
    dining = read_page(zone_block(runs_part, "Dining")).text
    assert re.search(r"late \d+ ms · music off \d+\.\d s · restore ok", dining), dining
    assert "quiet hours" in read_page(zone_block(runs_part, "Nursery")).text
    study = read_page(zone_block(runs_part, "Study")).text
    assert "overlaid" in study and "music off none" in study  # the music played on under the clip
    no_speaker = read_page(text[text.index("<h3>No speaker touched</h3>"):]).text
    assert "Off: day-off a day off (" in no_speaker


def test_the_timeline_has_one_mark_per_run_of_the_last_seven_days(three_runs: tuple[Journal, float]) -> None:
    journal, _ = three_runs
    runs = runs_of(journal)
    old = Run(datetime.now(UTC) - timedelta(days=8), "Bell", "sonos-chime-bell.service", "done", zones=(ZoneOutcome("Dining", "chimed"),))

    page = read_page(section(page_of([old, *runs]), "Last 7 days"))

    assert [name for name, _ in page.tags].count("svg") == 1
    assert page.count("circle", "run") == 3  # the run 8 days ago is not drawn
    assert (page.count("circle", "failed"), page.count("circle", "ok"), page.count("circle", "day-off")) == (1, 1, 1)
    bell = next(attrs for name, attrs in page.tags if name == "circle" and "failed" in (attrs.get("class") or ""))
    assert 8 <= float(bell["cy"] or 0) <= 170 - 20  # within the plot: 0 ms at the baseline, 1 s at the top


def test_a_later_run_and_a_longer_interruption_draw_higher_and_larger() -> None:
    now = datetime.now(UTC)
    runs = [Run(now - timedelta(hours=hours), "Bell", "u", "done", zones=(ZoneOutcome("Den", "chimed", late_ms=late, interrupted_ms=off),))
            for hours, late, off in ((3, 5, 1000), (2, 800, 9000))]

    marks = [attrs for name, attrs in read_page(page_of(runs, now=now)).tags if name == "circle"]

    assert float(marks[1]["cy"] or 0) < float(marks[0]["cy"] or 0)
    assert float(marks[1]["r"] or 0) > float(marks[0]["r"] or 0)
    assert float(marks[1]["cx"] or 0) > float(marks[0]["cx"] or 0)


# ---- hostile names


def test_hostile_names_from_the_journal_render_as_text(household: Any, media_server: Any, tmp_path: Path) -> None:
    journal = test_history.hostile_names_journal(household, media_server, tmp_path)

    text = page_of(runs_of(journal))

    assert_only_text(text, ZONE_NAMES + [CHIME_NAME])
    assert read_page(section(text, "Last runs per zone")).count("span", "chimed") == len(ZONE_NAMES)


SCRIPTED = ["<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "</style><script>x()</script>",
            "<svg onload=alert(1)>", "&lt;b&gt; &amp;", "\u202egnp.exe", "عربي Salon"]


def test_hostile_names_from_the_config_render_as_text(tmp_path: Path) -> None:
    zones = [{"name": name, "uid": f"RINCON_{index}", "host": "192.0.2.1", "quiet_hours": ["00:00-24:00"]}
             for index, name in enumerate(SCRIPTED + HOSTILE)]
    chime = {"name": SCRIPTED[0], "url": "http://192.0.2.5:8080/chimes/a.mp3", "volume": 30, "zones": [z["name"] for z in zones],
             "schedule": ["*-*-* 08:00:00"]}
    config = load_config(write_config(tmp_path / "config.yml", [chime], zones, tmp_path / "run"))
    runs = [Run(datetime.now(UTC), SCRIPTED[1], "u", "done", zones=tuple(ZoneOutcome(name, "failed", detail=name) for name in SCRIPTED))]

    text = page_of(runs, outlooks(config, 2))

    assert_only_text(text, SCRIPTED + HOSTILE)
    assert read_page(text).count("span", "skipped") == 2 * len(zones)  # every zone quiet, at both moments


def assert_only_text(text: str, names: list[str]) -> None:
    """No element but the page's own, no attribute that runs or fetches anything, no character
    that reorders or breaks the text, and each name shown escaped, as it is."""
    page = read_page(text)
    assert {name for name, _ in page.tags} <= ALLOWED_TAGS
    assert not [attrs for _, attrs in page.tags if any(key.startswith("on") or key in ("src", "href") for key in attrs)]
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]", text)
    for name in names:
        shown = "".join(char if char.isprintable() else f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
                        for char in name)
        assert shown in page.text, name


# ---- next moments


def test_next_moments_say_the_day_off_and_the_quiet_zones(tmp_path: Path) -> None:
    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).date()
    zones = [{"name": "Nursery", "uid": "RINCON_1", "host": "192.0.2.1", "quiet_hours": ["07:30-08:30"]},
             {"name": "Kitchen", "uid": "RINCON_2", "host": "192.0.2.2", "quiet_hours": ["20:00-21:00"]}]
    chimes = [{"name": "School bell", "url": "http://192.0.2.5:8080/chimes/a.mp3", "volume": 30, "zones": ["Kitchen", "Nursery"],
               "schedule": ["*-*-* 08:00:00"], "skip_dates": [tomorrow.isoformat()]},
              {"name": "Alarm", "url": "http://192.0.2.5:8080/chimes/a.mp3", "volume": 30, "zones": ["Nursery"],
               "schedule": ["*-*-* 08:00:00"], "ignore_quiet_hours": True}]
    config = load_config(write_config(tmp_path / "config.yml", chimes, zones, tmp_path / "run"))

    bell, alarm = outlooks(config, 5)
    text = read_page(render(PageData(datetime.now(UTC), [bell, alarm], []))).text

    assert len(bell.moments) == 5 and all(moment.at.hour == 8 for moment in bell.moments)
    off = [moment for moment in bell.moments if moment.day_off is not None]
    assert [moment.at.date() for moment in off] == [tomorrow]
    assert off[0].day_off == f"a day off ({tomorrow.isoformat()}, skip_dates)"
    assert all([(quiet.zone, quiet.hours) for quiet in moment.quiet] == [("Nursery", "07:30-08:30")]
               for moment in bell.moments)
    assert all(moment.quiet == () and moment.day_off is None for moment in alarm.moments)
    assert f"day off: a day off ({tomorrow.isoformat()}, skip_dates)" in text
    assert text.count("quiet: Nursery (07:30-08:30)") == 4  # not on the day off: nothing plays at all


def test_next_moments_say_a_calendars_day_off_from_its_file_or_the_copy_kept_of_its_url(tmp_path: Path) -> None:
    today = datetime.now().astimezone().date()
    secret = "https://calendar.invalid/private/s3cr3t/basic.ics"  # never fetched: a copy is kept
    (tmp_path / "terms.ics").write_bytes(calendar(all_day("Half <b>term</b>", today + timedelta(days=2), today + timedelta(days=3))))
    CalendarStore(tmp_path / "kept").keep(secret, calendar(all_day("Family trip", today + timedelta(days=1), today + timedelta(days=2))))
    zones = [{"name": "Kitchen", "uid": "RINCON_2", "host": "192.0.2.2"}]
    chimes = [{"name": name, "url": "http://192.0.2.5:8080/chimes/a.mp3", "volume": 30, "zones": ["Kitchen"],
               "schedule": ["*-*-* 12:00:00"], "skip_calendar": where}
              for name, where in (("File", str(tmp_path / "terms.ics")), ("Url", secret), ("Nothing kept", secret + "?2"))]
    config = load_config(write_config(tmp_path / "config.yml", chimes, zones, tmp_path / "run"))
    config = dataclasses.replace(config, settings=dataclasses.replace(config.settings, calendar_cache=tmp_path / "kept"))

    by_file, by_url, nothing = outlooks(config, 4)
    text = render(PageData(datetime.now(UTC), [by_file, by_url, nothing], []))

    def days_off(outlook: ChimeOutlook) -> list[tuple[int, str | None]]:
        return [((moment.at.date() - today).days, moment.day_off) for moment in outlook.moments if moment.day_off]
    assert days_off(by_file) == [(2, 'an event of its calendar: "Half <b>term</b>"')]
    assert days_off(by_url) == [(1, 'an event of its calendar: "Family trip"')]
    assert days_off(nothing) == [] and "no copy of its calendar kept yet" in nothing.note
    assert "Half &lt;b&gt;term&lt;/b&gt;" in text and "<b>" not in text
    assert "s3cr3t" not in text  # a calendar's secret address is never shown


def test_next_moments_come_from_systemd_on_the_hosts_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Paris")

    moments = systemd_moments(["*-12-24 08:00:00", "*-12-25 08:00:00"], 3)

    assert [moment.astimezone(UTC).strftime("%m-%d %H:%M") for moment in moments] == ["12-24 07:00", "12-25 07:00", "12-24 07:00"]
    assert moments[2].year == moments[0].year + 1


def test_a_chime_whose_schedule_has_no_moment_left_says_so_and_shows_no_date(tmp_path: Path) -> None:
    """A one-off date already past: systemd says `Next elapse: never`; the page says so plainly,
    and a schedule with a moment left beside it is not touched by it."""
    chimes = [{"name": name, "url": URL, "volume": 30, "zones": ["Kitchen"], "schedule": schedule}
              for name, schedule in (("Once", ["2020-01-01 08:00:00"]), ("Daily too", ["2020-01-01 08:00:00", "*-*-* 12:00:00"]))]
    config = load_config(write_config(tmp_path / "config.yml", chimes, PAGE_ZONES, tmp_path / "run"))

    once, daily = outlooks(config, 3)
    page = render(PageData(datetime.now(UTC), [once, daily], []))
    block = page[page.index("<h3><bdi>Once</bdi></h3>"):page.index("<h3><bdi>Daily too</bdi></h3>")]

    assert (once.moments, once.note) == ((), "no next moment: its schedule has none left")
    assert "no next moment: its schedule has none left" in read_page(block).text
    assert "<li>" not in block and "2020" not in block and " Jan " not in block
    assert [moment.at.hour for moment in daily.moments] == [12, 12, 12] and daily.note == ""


def test_the_elapses_of_systemd_analyze_are_read_in_utc() -> None:
    output = ("Normalized form: *-*-* 08:00:00\n    Next elapse: Mon 2026-12-07 08:00:00 CET\n"
              "       (in UTC): Mon 2026-12-07 07:00:00 UTC\n       From now: 2 days left\n"
              "       Iter. #2: Tue 2026-12-08 08:00:00 CET\n       (in UTC): Tue 2026-12-08 07:00:00 UTC\n")
    in_utc = "    Next elapse: Mon 2026-12-07 08:00:00 UTC\n       Iter. #2: Tue 2026-12-08 08:00:00 UTC\n"

    assert [moment.hour for moment in iterations(output)] == [7, 7]
    assert [moment.hour for moment in iterations(in_utc)] == [8, 8]


# ---- the command


def test_chime_py_page_writes_one_readable_file_at_once(tmp_path: Path) -> None:
    zones = [{"name": "Kitchen", "uid": "RINCON_2", "host": "192.0.2.2"}]
    chime = {"name": "Dinner", "url": "http://192.0.2.5:8080/chimes/a.mp3", "volume": 30, "zones": ["Kitchen"], "schedule": ["daily"]}
    config = write_config(tmp_path / "config.yml", [chime], zones, tmp_path / "run")
    folder = tmp_path / "status"
    folder.mkdir()
    (folder / "index.html").write_text("old")
    umask = os.umask(0o077)  # the service's UMask
    try:
        done = run_chime("page", "--config", str(config), "--output", str(folder / "index.html"))
    finally:
        os.umask(umask)

    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in folder.iterdir()) == ["index.html"]
    assert stat.S_IMODE((folder / "index.html").stat().st_mode) == 0o644  # nginx reads it
    assert "<bdi>Dinner</bdi>" in (folder / "index.html").read_text(encoding="utf-8")


def test_a_page_that_cannot_be_written_says_so_and_fails_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = [{"name": "Kitchen", "uid": "RINCON_2", "host": "192.0.2.2"}]
    config = load_config(write_config(tmp_path / "config.yml", [], zones, tmp_path / "run"))
    setup_logging(False)

    status = make_page(config, tmp_path / "missing" / "index.html", 5, 20, lambda _records: JournalRead((), False, "no access"))

    assert status == 1
    assert "cannot write the status page" in capsys.readouterr().err


PAGE_ZONES = [{"name": "Kitchen", "uid": "RINCON_2", "host": "192.0.2.2"}]
URL = "http://192.0.2.5:8080/chimes/a.mp3"


def test_two_runs_ending_together_are_both_on_the_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bell's page read the journal before Dinner's run was in it, and was slower to render: the
    pages are written one at a time, so the one written last has Dinner too."""
    config = load_config(write_config(tmp_path / "config.yml", [], PAGE_ZONES, tmp_path / "run"))
    now = datetime.now(UTC)
    runs = {name: Run(now, name, f"sonos-chime-{name}.service", "done", zones=(ZoneOutcome("Kitchen", "chimed"),))
            for name in ("Bell", "Dinner")}
    monkeypatch.setattr(statuspage, "chime_runs", lambda journal, _last, _chime: [runs[name] for name in journal.lines])
    page = tmp_path / "index.html"
    bell_reading, dinner_written = threading.Event(), threading.Event()

    def bell_reader(_records: int) -> JournalRead:
        bell_reading.set()
        dinner_written.wait(1)  # without one writer at a time, Dinner's page is written meanwhile
        return JournalRead(("Bell",), False)

    def dinner() -> None:
        make_page(config, page, 1, 20, lambda _records: JournalRead(("Bell", "Dinner"), False), lambda _s, _c: [])
        dinner_written.set()

    bell = threading.Thread(target=make_page, args=(config, page, 1, 20, bell_reader, lambda _s, _c: []))
    bell.start()
    assert bell_reading.wait(5)
    dinner_thread = threading.Thread(target=dinner)
    dinner_thread.start()
    bell.join()
    dinner_thread.join()

    assert "<bdi>Dinner</bdi>" in page.read_text(encoding="utf-8")


def off_today(tmp_path: Path) -> Path:
    """A config whose chime Dinner is off today: its run writes its closing line and touches no speaker."""
    today = datetime.now().date()
    chime = {"name": "Dinner", "url": URL, "volume": 30, "zones": ["Kitchen"], "schedule": ["daily"],
             "skip_dates": [f"{today - timedelta(days=1)}..{today + timedelta(days=1)}"]}
    return write_config(tmp_path / "config.yml", [chime], PAGE_ZONES, tmp_path / "run")


def test_the_page_after_a_run_waits_for_the_journal_to_hold_the_runs_closing_line(tmp_path: Path,
                                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """journald indexes a run's last lines after the run has ended, seconds later on a loaded
    Pi: the page written after the run reads the journal again until its run is closed."""
    config_path = off_today(tmp_path)
    off = run_chime("play", "--config", str(config_path), "--", "Dinner")
    assert off.returncode == 0, off.stderr
    closed, other = Journal([]), Journal([])
    closed.add(off.stderr, 104, "sonos-chime-dinner.service", invocation="run-1")
    other.add(off.stderr, 103, "sonos-chime-dinner.service", invocation="run-0")
    reads: list[int] = []

    def lagging(_records: int) -> JournalRead:
        reads.append(1)
        return other.read() if len(reads) < 3 else JournalRead((*other.lines, *closed.lines), False)

    page = tmp_path / "index.html"
    config = load_config(config_path)
    caplog.set_level(logging.INFO, logger="sonos-chime")
    make_page(config, page, 1, 20, statuspage.settled_reader(lagging, "run-1", seconds=30, pause=0.01), lambda _s, _c: [])

    assert len(reads) == 3
    assert page.read_text(encoding="utf-8").count('class="day-off"') == 2  # run-0's and run-1's
    # What molecule reads in the page unit's journal; not a line history takes for a run's.
    assert "run run-1: its closing line read from the journal (3 reads)" in caplog.messages
    assert all(parse_message(f"INFO {text}", datetime.now(UTC)) is None for text in caplog.messages)


def test_the_page_stops_waiting_for_a_run_the_journal_never_closes(caplog: pytest.LogCaptureFixture) -> None:
    reads: list[int] = []

    def never(_records: int) -> JournalRead:
        reads.append(1)
        return JournalRead((), False)

    journal = statuspage.settled_reader(never, "run-1", seconds=0.2, pause=0.01)(20)

    assert journal.lines == ()
    assert len(reads) > 1
    assert caplog.messages == ["run run-1: its closing line is not in the journal after 0.2 s: the page shows the run as it is"]


def page_after_a_run(tmp_path: Path, result: str, page: Path) -> subprocess.CompletedProcess[str]:
    """`chime.py page` as the page's unit runs it after Dinner's run (invocation 0123abcd, ended
    with `result`), with a journalctl on PATH that holds the run's lines from its third read on
    (each read counted in tmp_path/reads)."""
    config_path = off_today(tmp_path)
    off = run_chime("play", "--config", str(config_path), "--", "Dinner")
    assert off.returncode == 0, off.stderr
    journal = Journal([])
    journal.add(off.stderr, 104, "sonos-chime-dinner.service", invocation="0123abcd")
    (tmp_path / "late.jsonl").write_text("".join(line + "\n" for line in journal.lines), encoding="utf-8")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "journalctl"
    fake.write_text(f"""#!/bin/sh
echo x >> {tmp_path}/reads
[ "$(wc -l < {tmp_path}/reads)" -ge 3 ] && cat {tmp_path}/late.jsonl
exit 0
""", encoding="utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "MONITOR_INVOCATION_ID": "0123abcd",
           "MONITOR_SERVICE_RESULT": result}
    return subprocess.run([sys.executable, str(CHIME), "page", "--config", str(config_path), "--output", str(page)],
                          capture_output=True, text=True, timeout=60, env=env, check=False)


def test_chime_py_page_started_after_a_run_waits_for_its_runs_lines(tmp_path: Path) -> None:
    """The deployed wiring: systemd gives the page's unit, started by the chime's OnSuccess=, the
    run's MONITOR_INVOCATION_ID and MONITOR_SERVICE_RESULT; the journalctl on PATH holds the
    run's closing line from its third read on."""
    page = tmp_path / "index.html"

    done = page_after_a_run(tmp_path, "success", page)

    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "reads").read_text().splitlines()) == 3
    assert 'class="day-off"' in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(("result", "reads"), [
    ("exit-code", 3),  # a zone failed: chime.py wrote its summary, then exited 1 (the page a household needs most)
    ("signal", 1),  # killed: there is no closing line to wait for
    ("timeout", 1),
])
def test_the_page_after_a_run_that_exited_by_itself_waits_for_it_a_killed_one_does_not(tmp_path: Path, result: str,
                                                                                        reads: int) -> None:
    """systemd's MONITOR_SERVICE_RESULT: `exit-code` is a run that ended by itself with an error
    (its closing line was written); `signal`, `timeout` and the like ended it from outside."""

    done = page_after_a_run(tmp_path, result, tmp_path / "index.html")

    assert done.returncode == 0, done.stderr
    assert len((tmp_path / "reads").read_text().splitlines()) == reads


def test_a_calendar_is_read_once_per_chime_for_all_its_moments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read is a Python of its own that may take 2 s: one per chime, not one per moment."""
    today = datetime.now().astimezone().date()
    (tmp_path / "terms.ics").write_bytes(calendar(all_day("Half term", today + timedelta(days=2), today + timedelta(days=3))))
    chimes = [{"name": f"Bell {i}", "url": URL, "volume": 30, "zones": ["Kitchen"], "schedule": ["*-*-* 12:00:00"],
               "skip_calendar": str(tmp_path / "terms.ics")} for i in range(4)]
    config = load_config(write_config(tmp_path / "config.yml", chimes, PAGE_ZONES, tmp_path / "run"))
    reads: list[int] = []
    real = outlook.bounded_reads
    monkeypatch.setattr(outlook, "bounded_reads", lambda data, moments, *a: reads.append(len(moments)) or real(data, moments, *a))

    found = outlook.outlooks(config, 5)

    assert reads == [5, 5, 5, 5]
    assert [[moment.day_off is not None for moment in chime.moments] for chime in found] == [
        [moment.at.date() == today + timedelta(days=2) for moment in chime.moments] for chime in found]


RUN_ON_WEDNESDAY = Run(datetime(2026, 12, 2, 10, 0, tzinfo=UTC), "Bell", "sonos-chime-bell.service", "done",
                       zones=(ZoneOutcome("Kitchen", "chimed"),))


def test_the_timelines_day_labels_name_the_day_under_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ticks at the host's midnights: written Tuesday 23:00, a run on Wednesday 10:00 is under "Wed"."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    try:
        svg = render(PageData(datetime(2026, 12, 8, 23, 0, tzinfo=UTC), [], [RUN_ON_WEDNESDAY]))
    finally:
        monkeypatch.undo()
        time.tzset()
    cx = float(re.search(r'<circle class="run[^"]*" cx="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    labels = [(float(x), day) for x, day in re.findall(r'<text x="([\d.]+)" y="\d+">(\w{3})</text>', svg)]
    assert [day for x, day in labels if x - 4 <= cx][-1] == "Wed", (cx, labels)
