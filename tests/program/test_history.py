"""`chime.py history`: the last runs, read back from the journal lines the program wrote.

The journal here is what chime.py itself wrote to stderr when it chimed the simulated household,
each line made a record as `journalctl -o json` gives it: the log lines and their reader are one
contract, and a change to either that breaks it fails here.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sonos_chime.cli import UsageError, build_parser
from sonos_chime.history import Run, json_records, read_runs
from sonos_chime.historytable import chime_runs, show_history, shown, table
from sonos_chime.journal import (
    UNITS,
    JournalRead,
    journal_command,
    newest_lines,
    read_journal,
)
from sonos_chime.schedule import Start, log_start
from sonos_chime.statuspage import settled_reader
from sonos_chime.zonelog import LOG, escape, setup_logging, unescape

from program.test_log_lines import (
    CHIME,
    CHIME_NAME,
    HOSTILE,
    ROOMS,
    ROOT,
    ZONE_NAMES,
    run_chime,
    unsafe,
    write_config,
)

QUEUE = {"source": "queue", "queue": [{"title": "So What", "duration": 300}], "transport_state": "PLAYING", "volume": 20}
BOOT = "0f3c2a"
EPOCH_US = 1_780_000_000_000_000


@dataclass
class Journal:
    """Records of the chime services, as journalctl writes them: one JSON object a line."""

    lines: list[str]
    next_us: int = EPOCH_US

    def add(self, stderr: str, pid: int, unit: str = "sonos-chime-bell.service", invocation: str | None = None) -> None:
        """The lines as the journal keeps them; `invocation`: systemd's id of the service's start
        (none for a run by hand)."""
        for text in stderr.splitlines():
            self.next_us = max(self.next_us + 1, time.time_ns() // 1000)
            record = {"MESSAGE": text, "_PID": str(pid), "_BOOT_ID": BOOT, "_SYSTEMD_UNIT": unit,
                      "__REALTIME_TIMESTAMP": str(self.next_us), "__CURSOR": "s=x"}
            if invocation is not None:
                record["_SYSTEMD_INVOCATION_ID"] = invocation
            self.lines.append(json.dumps(record))

    def read(self, full: bool = False) -> JournalRead:
        return JournalRead(tuple(self.lines), full)


def history(journal: Journal, *args: str, full: bool = False) -> str:
    options = build_parser().parse_args(["history", *args])
    out = io.StringIO()
    assert show_history(options.last, options.chime, options.json, lambda _records: journal.read(full), out) == 0
    return out.getvalue()


def runs_of(journal: Journal, last: int = 20) -> list[Run]:
    return read_runs(json_records(journal.lines), last)


def quiet_now() -> str:
    now = datetime.now().astimezone()
    return f"{now - timedelta(minutes=2):%H:%M}-{now + timedelta(minutes=30):%H:%M}"


def household_config(household: Any, media_server: Any, loopback_addresses: Any, tmp_path: Path) -> Path:
    home = household({"transition_time": 0.05, "players": [
        {"name": "Kitchen", "state": QUEUE}, {"name": "Dining", "state": {"volume": 30}},
        {"name": "Nursery", "state": QUEUE}, {"name": "Study", "model": "Sonos One", "state": QUEUE}],
        "groups": [{"coordinator": "Kitchen", "members": ["Dining"]}]}, ssdp=False)
    zones = [{"name": name, "uid": player.uid, "host": player.ip} for name, player in home.players.items()]
    zones.append({"name": "Ghost", "uid": "RINCON_000E58DEAD0001400", "host": loopback_addresses.take(1)[0]})
    next(zone for zone in zones if zone["name"] == "Nursery")["quiet_hours"] = [quiet_now()]
    url = media_server.url("/chime.wav")
    today = date.today()
    chimes = [{"name": "Bell", "url": url, "volume": 30, "zones": ["Dining", "Kitchen", "Nursery", "Ghost"]},
              {"name": "Soft", "url": url, "volume": 30, "zones": ["Study"], "mode": "overlay"},
              {"name": "Off", "url": url, "volume": 30, "zones": ["Study"], "skip_dates": [f"{today}..{today + timedelta(days=1)}"]}]
    return write_config(tmp_path / "config.yml", chimes, zones, tmp_path / "run")


@pytest.fixture
def three_runs(household: Any, media_server: Any, loopback_addresses: Any, tmp_path: Path) -> tuple[Journal, float]:
    """Bell at a moment (a zone chimed, one with its group, one quiet, one unreachable), Soft
    over the music, Off on a day off: three processes, as three services would run them."""
    config = str(household_config(household, media_server, loopback_addresses, tmp_path))
    moment = round(time.time() + 2.0, 3)
    journal = Journal([])
    bell = run_chime("play", "--at", f"@{moment}", "--config", config, "--", "Bell")
    assert bell.returncode == 1, bell.stderr  # Ghost failed
    journal.add(bell.stderr, 101)
    soft = run_chime("play", "--config", config, "--", "Soft")
    assert soft.returncode == 0, soft.stderr
    journal.add(soft.stderr, 102, "sonos-chime-soft.service")
    off = run_chime("play", "--config", config, "--", "Off")
    assert off.returncode == 0, off.stderr
    journal.add(off.stderr, 103, "sonos-chime-off.service")
    return journal, moment


# ---- runs read back


def test_each_zone_of_a_run_reads_back_with_its_outcome(three_runs: tuple[Journal, float]) -> None:
    journal, moment = three_runs

    bell, soft, off = runs_of(journal)

    assert (bell.chime, bell.status, bell.unit) == ("Bell", "done", "sonos-chime-bell.service")
    assert bell.at.timestamp() == pytest.approx(moment, abs=0.001)  # the moment, not when the run began
    zones = {zone.zone: zone for zone in bell.zones}
    assert {name: zone.outcome for name, zone in zones.items()} == {
        "Dining": "chimed", "Kitchen": "with-group", "Nursery": "skipped", "Ghost": "failed"}
    dining = zones["Dining"]
    assert dining.late_ms is not None and 0 <= dining.late_ms < 500
    assert dining.interrupted_ms is not None and dining.interrupted_ms >= 900  # the 1 s chime, then the resume
    assert dining.restore == "ok"
    assert zones["Kitchen"].detail == 'with "Dining"\'s group'
    # The range was written a moment ago: a minute may have turned since.
    assert re.fullmatch(r'"Nursery" is in its quiet hours \(\d\d:\d\d-\d\d:\d\d\): nothing sent', zones["Nursery"].detail)
    assert zones["Ghost"].detail and zones["Ghost"].restore is None
    assert bell.took_ms is not None and bell.took_ms > 0
    assert [(zone.zone, zone.outcome, zone.interrupted_ms, zone.restore) for zone in soft.zones] == [("Study", "overlaid", 0, None)]
    assert (off.chime, off.status, off.zones) == ("Off", "day-off", ())
    assert off.detail.startswith("a day off (") and off.detail.endswith(", skip_dates)")


def test_the_table_has_a_row_per_zone_and_the_last_runs(three_runs: tuple[Journal, float]) -> None:
    journal, _ = three_runs

    text = history(journal)
    last_two = history(journal, "--last", "2")
    bell_only = history(journal, "--chime", "Bell")

    rows = text.splitlines()
    assert rows[0].split() == ["MOMENT", "CHIME", "ZONE", "OUTCOME", "LATE", "MUSIC", "OFF", "RESTORE", "DETAIL"]
    assert len(rows) == 1 + 4 + 1 + 1
    assert rows[1].split()[2] == "Bell" and all(row.startswith(" ") for row in rows[2:5])  # one moment, one chime a run
    for zone, outcome in [("Dining", "chimed"), ("Kitchen", "with-group"), ("Nursery", "skipped"), ("Ghost", "failed")]:
        assert [row for row in rows[1:5] if re.search(rf"  {zone} +{outcome}  ", row)], (zone, text)
    dining = next(row for row in rows[1:5] if "  Dining  " in row)
    assert re.search(r"  chimed +\d+ ms +\d\.\d s +ok$", dining), dining
    assert rows[5].split()[2:5] == ["Soft", "Study", "overlaid"]
    assert rows[6].split()[2:5] == ["Off", "-", "day-off"]
    assert [row.split()[2] for row in last_two.splitlines()[1:]] == ["Soft", "Off"]
    assert len(bell_only.splitlines()) == 1 + 4
    parsed = json.loads(history(journal, "--json"))
    assert [run["chime"] for run in parsed] == ["Bell", "Soft", "Off"]
    assert next(zone for zone in parsed[0]["zones"] if zone["zone"] == "Kitchen") == {"zone": "Kitchen", "outcome": "with-group", "detail": 'with "Dining"\'s group',
                                     "late_ms": None, "interrupted_ms": None, "restore": None}


def hostile_names_journal(household: Any, media_server: Any, tmp_path: Path) -> Journal:
    """The journal of one chime on rooms and a chime with test_log_lines' hostile names."""
    home = household({"transition_time": 0.05, "players": [{"name": room, "state": QUEUE} for room in ROOMS]}, ssdp=False)
    zones = [{"name": name, "uid": home.players[room].uid, "host": home.players[room].ip} for name, room in zip(ZONE_NAMES, ROOMS, strict=True)]
    chime = {"name": CHIME_NAME, "url": media_server.url("/chime.wav"), "volume": 30, "zones": ZONE_NAMES}
    config = write_config(tmp_path / "config.yml", [chime], zones, tmp_path / "run")
    run = run_chime("play", "--config", str(config), "--", CHIME_NAME)
    assert run.returncode == 0, run.stderr
    journal = Journal([])
    journal.add(run.stderr, 7)
    return journal


def test_hostile_names_read_back_exactly_and_print_on_their_own_row(household: Any, media_server: Any, tmp_path: Path) -> None:
    journal = hostile_names_journal(household, media_server, tmp_path)

    [read] = runs_of(journal)
    text = history(journal)

    assert read.chime == CHIME_NAME
    assert {zone.zone: zone.outcome for zone in read.zones} == dict.fromkeys(ZONE_NAMES, "chimed")
    rows = text.splitlines()
    assert len(rows) == 1 + len(ZONE_NAMES)
    assert not [char for char in text if unsafe(char) and char != "\n"]
    assert not any(row.startswith(("INFO", "Kitchen", "Attic")) for row in rows)
    assert shown(CHIME_NAME)[:23] in rows[1]
    assert {zone["zone"] for zone in json.loads(history(journal, "--json"))[0]["zones"]} == set(ZONE_NAMES)


def test_a_run_killed_before_its_summary_is_shown_under_its_chime(household: Any, media_server: Any, loopback_addresses: Any,
                                                                  tmp_path: Path) -> None:
    """Review #21: the chime's name came only from the summary (or day-off) line, so `--chime`
    (chime_now.yml's "the run per zone") left out the very run a timeout's kill cut short."""
    config = household_config(household, media_server, loopback_addresses, tmp_path)
    run = run_chime("play", "--at", f"@{round(time.time() + 1.0, 3)}", "--zone", "Dining", "--config", str(config), "--", "Bell")
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    killed = [line for line in lines[: next(index for index, line in enumerate(lines) if " done in " in line)]
              if "step=end" not in line and "step=restore" not in line]  # killed while the chime played
    journal = Journal([])
    journal.add("\n".join(killed), 12)

    [read] = read_runs(json_records(journal.lines), 5, chime="Bell")
    rows = history(journal, "--chime", "Bell").splitlines()

    assert (read.chime, read.status) == ("Bell", "unfinished")
    assert [(zone.zone, zone.outcome) for zone in read.zones] == [("Dining", "unfinished")]
    assert len(rows) == 2 and rows[1].split()[2:5] == ["Bell", "Dining", "unfinished"]
    assert read_runs(json_records(journal.lines), 5, chime="Soft") == []


def test_a_dry_run_says_what_each_zone_would_do(household: Any, media_server: Any, loopback_addresses: Any, tmp_path: Path) -> None:
    config = household_config(household, media_server, loopback_addresses, tmp_path)
    run = run_chime("play", "--dry-run", "--zone", "Dining", "--config", str(config), "--", "Bell")
    assert run.returncode == 0, run.stderr
    journal = Journal([])
    journal.add(run.stderr, 11)

    [read] = runs_of(journal)

    assert [(zone.zone, zone.outcome, zone.detail) for zone in read.zones] == [
        ("Dining", "skipped", "dry run, nothing changed: would interrupt")]


def test_shown_escapes_what_could_mislead_and_leaves_plain_names() -> None:
    assert shown("Living Room") == "Living Room"
    assert shown("Café ☕") == "Café ☕"
    assert shown("Hall\x1b[2K") == '"Hall\\x1b[2K"'
    assert shown("a\nINFO b") == '"a\\x0aINFO b"'
    assert shown("\u202eevil") == '"\\u202eevil"'
    assert shown('say "hi" \\') == '"say \\"hi\\" \\\\"'
    assert shown(" padded") == '" padded"'
    assert shown("") == '""'
    assert shown("zero\u200bwidth\U000e0001") == '"zero\\u200bwidth\\U000e0001"'


# ---- what the journal may hold besides


LINES = [
    'INFO zone="Kitchen" group="Kitchen" step=play source=queue url=http://192.0.2.5/c.mp3 start_latency_ms=80 late_ms=2 - chime started',
    'INFO zone="Kitchen" group="Kitchen" step=end source=queue end=FINISHED chime_ms=1200 - the chime ended',
    'ERROR zone="Kitchen" group="Kitchen" step=restore source=queue levels=restored outcome=failed - restore failed: source is \'x\'',
    'INFO zone="Den" group="Den" step=decide source=tv decision=skip outcome=skipped - source policy for tv is skip',
]


def test_a_run_cut_short_is_unfinished_with_what_its_zones_said() -> None:
    journal = Journal([])
    journal.add("\n".join(LINES[:2]), 5)

    [run] = runs_of(journal)

    assert (run.chime, run.status) == (None, "unfinished")
    assert [(zone.zone, zone.outcome, zone.late_ms, zone.restore) for zone in run.zones] == [("Kitchen", "unfinished", 2, None)]
    assert "unfinished" in history(journal).splitlines()[1]


def test_a_zone_line_says_the_outcome_when_the_summary_is_missing() -> None:
    journal = Journal([])
    journal.add("\n".join(LINES), 5)

    [run] = runs_of(journal)

    assert [(zone.zone, zone.outcome, zone.restore, zone.detail) for zone in run.zones] == [
        ("Kitchen", "failed", "failed", "restore failed: source is 'x'"),
        ("Den", "skipped", None, "source policy for tv is skip")]


def test_a_group_put_back_for_an_earlier_run_is_not_a_zone_of_this_one() -> None:
    journal = Journal([])
    journal.add("\n".join([
        'WARNING zone="Attic" group="Attic" step=recover outcome=restored - left by a chime that did not finish: restored',
        'WARNING step=recover - 1 group(s) not put back yet; the next chime or recovery tries again',
        LINES[3],
        'INFO chime="Bell" done in 40 ms: "Den" skipped',
    ]), 5)

    [run] = runs_of(journal)

    assert (run.chime, run.status, [(zone.zone, zone.outcome) for zone in run.zones]) == ("Bell", "done", [("Den", "skipped")])


def program_lines(write: Callable[[], None]) -> str:
    """What chime.py writes to stderr when `write` logs: through the logging it sets up."""
    stream = io.StringIO()
    saved, sys.stderr = sys.stderr, stream
    try:
        setup_logging(verbose=False)
        write()
    finally:
        sys.stderr = saved
    return stream.getvalue()


def test_a_timer_start_too_late_is_not_played_and_says_why() -> None:
    now = datetime.now().astimezone()
    journal = Journal([])
    journal.add(program_lines(lambda: log_start(CHIME_NAME, Start(None, missed=True, due=now - timedelta(hours=2)), now, 600)), 9)

    [run] = runs_of(journal)
    text = history(journal)

    assert (run.chime, run.status, run.zones) == (CHIME_NAME, "not-played", ())
    assert run.detail.startswith("was due at ") and run.detail.endswith("more than too_late (600 s): not played")
    assert len(text.splitlines()) == 2 and "  not-played  " in text


def test_garbled_and_foreign_records_are_passed_over() -> None:
    journal = Journal([])
    journal.add("\n".join(LINES), 5)
    whole = list(journal.lines)
    journal.lines = [
        whole[0][: len(whole[0]) // 2],  # cut off mid-record
        "not json at all \x1b[2J",
        "[1, 2, 3]",
        json.dumps({"MESSAGE": None, "_PID": "5", "__REALTIME_TIMESTAMP": "1"}),
        json.dumps({"MESSAGE": "INFO zone=\"Kitchen\" step=play", "_PID": "5", "__REALTIME_TIMESTAMP": "soon"}),
        json.dumps({"MESSAGE": list(b"INFO zone=\"Caf\xe9\" group=\"x\" step=decide outcome=skipped - \xff"), "_PID": "5",
                    "_BOOT_ID": BOOT, "_SYSTEMD_UNIT": "sonos-chime-bell.service", "__REALTIME_TIMESTAMP": str(EPOCH_US)}),
        json.dumps({"MESSAGE": "    Traceback (most recent call last):", "_PID": "5", "__REALTIME_TIMESTAMP": str(EPOCH_US)}),
        json.dumps({"MESSAGE": 'INFO zone="Kit', "_PID": "5", "__REALTIME_TIMESTAMP": str(EPOCH_US)}),
        *whole[1:],
    ]

    [run] = runs_of(journal)
    text = history(journal)

    assert [(zone.zone, zone.outcome) for zone in run.zones] == [("Caf\ufffd", "skipped"), ("Kitchen", "failed"), ("Den", "skipped")]
    assert run.zones[1].late_ms is None  # its play line was the one cut off
    assert len(text.splitlines()) == 1 + 3


def test_a_full_window_leaves_out_the_run_it_may_have_cut() -> None:
    journal = Journal([])
    journal.add("\n".join(LINES[1:]), 5)
    journal.add('INFO chime="Bell" skipped: a day off (2026-12-24, skip_dates): no speaker touched', 6)

    assert [run.status for run in runs_of(journal)] == ["unfinished", "day-off"]
    assert [row.split()[2] for row in history(journal, full=True).splitlines()[1:]] == ["Bell"]


def test_two_starts_of_a_service_with_one_pid_are_two_runs() -> None:
    """PIDs come round again within a boot (pid_max 32768 on 32-bit Raspberry Pi OS): systemd's
    invocation id tells the two starts apart. A run by hand has none: its boot and PID do."""
    journal = Journal([])
    journal.add("\n".join([LINES[3], 'INFO chime="Bell" done in 40 ms: "Den" skipped']), 5, invocation="a1")
    journal.add("\n".join(LINES[:2]), 5, invocation="b2")
    journal.add(LINES[3], 5)

    assert [(run.chime, run.status, [zone.zone for zone in run.zones]) for run in runs_of(journal)] == [
        ("Bell", "done", ["Den"]), (None, "unfinished", ["Kitchen"]), (None, "unfinished", ["Den"])]
    assert "_SYSTEMD_INVOCATION_ID" in next(arg for arg in journal_command(10) if arg.startswith("--output-fields="))


def test_the_page_units_records_make_no_run() -> None:
    """The journal read is every sonos-chime-*.service: the page's instances too. What the page
    writes (which run it waited for, or that it stopped waiting; what journalctl said) and
    systemd's lines about its instance are no run on the page or in `chime.py history`."""
    invocation = "0123456789abcdef0123456789abcdef"
    journal = Journal([])
    journal.add("\n".join([LINES[3], 'INFO chime="Bell" done in 40 ms: "Den" skipped']), 5, invocation=invocation)
    closed = JournalRead(tuple(journal.lines), False)
    page = "sonos-chime-page@sonos-chime-bell.service"
    journal.add(program_lines(lambda: settled_reader(lambda _records: closed, invocation)(10)), 6, unit=page, invocation="c3")
    journal.add(program_lines(lambda: settled_reader(lambda _records: JournalRead((), False), "d4", seconds=0.01, pause=0.001)(10)),
                7, unit=f"sonos-chime-page@failed-{page.removeprefix('sonos-chime-page@')}", invocation="e5")
    journal.add(program_lines(lambda: LOG.warning("journalctl: %s", "No journal files were found.")), 8, unit=page, invocation="f6")
    journal.add("\n".join([f"Starting {page} - Sonos chime: the status page (sonos-chime-bell)...",
                           f"{page}: Deactivated successfully.", f"Finished {page} - Sonos chime: the status page."]), 1,
                unit="init.scope")
    said = [json.loads(line)["MESSAGE"] for line in journal.lines if "page@" in json.loads(line)["_SYSTEMD_UNIT"]]

    assert said[0] == f"INFO run {invocation}: its closing line read from the journal (1 read)"
    assert len(said) == 3
    assert [(run.chime, run.unit, run.status) for run in runs_of(journal)] == [("Bell", "sonos-chime-bell.service", "done")]
    assert [run.unit for run in chime_runs(journal.read(), 20, None)] == ["sonos-chime-bell.service"]
    assert len(history(journal).splitlines()) == 1 + 1


def test_no_runs_says_so() -> None:
    assert history(Journal([])) == "no chime runs in the journal\n"
    assert table([]).splitlines() == ["MOMENT  CHIME  ZONE  OUTCOME  LATE  MUSIC OFF  RESTORE  DETAIL"]


# ---- reading the journal


def test_journalctl_is_asked_for_the_chime_units_bounded() -> None:
    command = journal_command(1234)

    assert command[0] == "journalctl"
    assert "--output=json" in command and "--all" in command and "--lines=1234" in command
    assert f"--unit={UNITS}" in command and UNITS == "sonos-chime-*.service"
    assert "--quiet" not in command  # journalctl's word that this user cannot read the system's journal


def test_what_journalctl_says_is_passed_on_and_no_journalctl_is_an_error(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()

    assert show_history(5, None, False, lambda _records: JournalRead((), False, "Hint: You are currently not seeing messages"), out) == 0
    assert show_history(5, None, False, lambda _records: read_journal(1, ["/nonexistent/journalctl"]), out) == 1

    assert out.getvalue() == "no chime runs in the journal\n"
    assert [record.levelname for record in caplog.records] == ["WARNING", "ERROR"]
    assert "not seeing messages" in caplog.records[0].getMessage()
    assert "cannot read the journal" in caplog.records[1].getMessage()


def test_the_records_come_from_the_command_and_what_it_says_on_stderr(tmp_path: Path) -> None:
    script = tmp_path / "journalctl.py"
    script.write_text("import sys\nprint('{\"MESSAGE\": \"x\"}')\nprint('{\"MESSAGE\": \"y\"}')\n"
                      "print('No journal files were opened due to insufficient permissions.', file=sys.stderr)\n")

    read = read_journal(2, [sys.executable, str(script)])

    assert [json.loads(line)["MESSAGE"] for line in read.lines] == ["x", "y"]
    assert read.full and read.error == "No journal files were opened due to insufficient permissions."
    assert read_journal(5, [sys.executable, str(script)]).full is False


def test_only_the_newest_lines_are_kept_within_the_bound() -> None:
    kept, dropped = newest_lines((f"{index:09d}\n" for index in range(10)), limit=35)

    assert (list(kept), dropped) == (["000000007\n", "000000008\n", "000000009\n"], True)
    kept, dropped = newest_lines(["a\n"], limit=35)
    assert (list(kept), dropped) == (["a\n"], False)


def test_history_is_a_subcommand_of_chime_py() -> None:
    done = subprocess.run([sys.executable, str(CHIME), "history", "--help"], capture_output=True, text=True, cwd=ROOT,
                          check=True, timeout=60)

    assert "--last N" in done.stdout and "--chime NAME" in done.stdout and "--json" in done.stdout
    for wrong in ("0", "-3", "x", "1.5"):
        with pytest.raises(UsageError, match="--last"):
            build_parser().parse_args(["history", "--last", wrong])


def test_unescape_gives_back_every_name_escape_wrote() -> None:
    for name in [*HOSTILE, *ZONE_NAMES, CHIME_NAME, "".join(chr(code) for code in range(0x2100) if not 0xD800 <= code <= 0xDFFF)]:
        assert unescape(escape(name)) == name
