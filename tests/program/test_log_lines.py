"""The journal says what happened, nothing else: a name (which anyone on the network can set
in the Sonos app) never writes a line of its own, and reads back exactly as it was.

A name goes into a line as `quote(name)`: in double quotes, backslash and quote escaped, every
control, line or paragraph separator and bidi formatting character as \\xNN or \\uNNNN. The
formatter escapes whatever such character is left, and indents a traceback's lines.
"""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sonos_chime.cli import build_parser, main
from sonos_chime.config import ConfigError, parse_config
from sonos_chime.discover import zones_yaml
from sonos_chime.schedule import scheduled_start
from sonos_chime.zonelog import LOG, ZoneLog, escape, quote, setup_logging

ROOT = Path(__file__).resolve().parents[2]
CHIME = ROOT / "files" / "chime.py"

FORGED = "Kitchen\nINFO chime=Bell done restored"
HOSTILE = [
    FORGED,
    "Den\rINFO zone=Den outcome=ok",
    "Hall\x1b[2K\x1b]0;owned\x07",
    "Nul\x00byte",
    "Line\u2028separator\u2029",
    "Bidi\u202eevil\u202c \u2066x\u2069 \u200fRLM\u200e \u061c",
    'Quote " in the middle',
    "Back\\slash \\x0a \\u2028 \\",
    "{{ lookup('pipe','id') }}",
    "%n %% %(levelname)s %s",
    "Tab\tDEL\x7fNEL\x85CSI\x9b",
    "Café ☕ Salle à manger 🔔",
]
SAFE = ["Café ☕ Salle à manger 🔔", "Kitchen", "Living Room", "Zoë's 'room'"]
BIDI = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
RECORD = re.compile(rf"^(?:{'|'.join(LEVELS)}) ")
TRACE_LINE = re.compile(r"^ {4}")


def unescape(text: str) -> str:
    """The inverse of zonelog.escape."""
    return re.sub(r'\\(\\|"|x[0-9a-f]{2}|u[0-9a-f]{4})', lambda m: unescaped(m.group(1)), text)


def unescaped(code: str) -> str:
    return code if code in ('\\', '"') else chr(int(code[1:], 16))


def unsafe(character: str) -> bool:
    return unicodedata.category(character) in ("Cc", "Zl", "Zp") or ord(character) in BIDI


def outside_quotes(text: str) -> str:
    """The text with every quoted value emptied: what the program itself wrote."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


def quoted_values(key: str, text: str) -> list[str]:
    """Every `key="..."` value of the text, unescaped."""
    return [unescape(value) for value in re.findall(rf'\b{key}="((?:[^"\\]|\\.)*)"', text)]


def assert_journal_safe(text: str) -> list[str]:
    """Every line is a record (`LEVEL ...`) or a traceback's indented line; no unsafe character
    but the line ends is left. Returns the lines."""
    assert not [character for character in text if unsafe(character) and character != "\n"], text
    lines = text.rstrip("\n").split("\n")
    assert RECORD.match(lines[0]), lines
    for line in lines:
        assert RECORD.match(line) or TRACE_LINE.match(line), line
        assert not line.startswith(("INFO chime=Bell", "INFO zone=Den")), line
    return lines


@pytest.fixture
def journal() -> Iterator[io.StringIO]:
    """What chime.py would write to stderr, through the logging it sets up."""
    stream = io.StringIO()
    saved = sys.stderr
    sys.stderr = stream
    try:
        setup_logging(verbose=True)
    finally:
        sys.stderr = saved
    yield stream


# ---- the escaping contract


@pytest.mark.parametrize("name", HOSTILE + SAFE)
def test_a_quoted_name_is_one_safe_token_and_reads_back(name: str) -> None:
    quoted = quote(name)

    assert quoted == f'"{escape(name)}"'
    assert not any(unsafe(character) for character in quoted)
    assert re.fullmatch(r'"(?:[^"\\]|\\.)*"', quoted)
    assert unescape(quoted[1:-1]) == name


def test_the_escapes_as_the_contract_says() -> None:
    assert quote("") == '""'
    assert quote("Kitchen") == '"Kitchen"'
    assert quote("Living Room") == '"Living Room"'
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert quote("a\nb\rc\td\x00e\x1bf\x7fg\x85h\x9fi") == '"a\\x0ab\\x0dc\\x09d\\x00e\\x1bf\\x7fg\\x85h\\x9fi"'
    assert quote("\u2028\u2029\u202e\u200f\u061c\u2066") == '"\\u2028\\u2029\\u202e\\u200f\\u061c\\u2066"'
    for name in SAFE:
        assert quote(name) == f'"{name}"'  # accents, emoji, apostrophes stay as they are


def test_exactly_the_unsafe_characters_are_escaped() -> None:
    for code in range(sys.maxunicode + 1):
        character = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        expected = "\\" + character if character in '\\"' else character
        if unsafe(character):
            expected = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
        assert escape(character) == expected, hex(code)


# ---- lines as the program writes them


@pytest.mark.parametrize("name", HOSTILE)
def test_a_zone_line_keeps_to_its_line(journal: io.StringIO, name: str) -> None:
    log = ZoneLog(name).in_group(name).playing("queue")

    log("play", f"{quote(name)} kept its volume: refused", logging.WARNING, reason=name, url="http://192.0.2.5/c.mp3")
    log("restore", "restored", outcome="ok", restore_ms=12)
    LOG.info("chime=%s done in %d ms: %s", quote(name), 5, f"{quote(name)} chimed")

    text = journal.getvalue()
    lines = assert_journal_safe(text)
    assert len(lines) == 3
    assert quoted_values("zone", text) == [name, name]
    assert quoted_values("group", text) == [name, name]
    assert quoted_values("reason", text) == [name]
    assert quoted_values("chime", text) == [name]
    assert f'- {quote(name)} kept its volume' in lines[0]
    assert "outcome=ok restore_ms=12" in lines[1]  # the program's own words stay bare
    assert "url=http://192.0.2.5/c.mp3" in lines[0]


@pytest.mark.parametrize("name", HOSTILE)
def test_whatever_is_left_unquoted_is_escaped_by_the_formatter(journal: io.StringIO, name: str) -> None:
    LOG.warning("poll failed: %s", name)  # an error text from a player, say

    lines = assert_journal_safe(journal.getvalue())
    assert len(lines) == 1


def test_a_traceback_is_indented_and_escaped(journal: io.StringIO) -> None:
    try:
        raise ValueError("\n".join(HOSTILE))
    except ValueError:
        ZoneLog(FORGED).exception(f"unexpected error with {quote(FORGED)}")

    lines = assert_journal_safe(journal.getvalue())
    assert lines[0] == f"ERROR zone={quote(FORGED)} unexpected error with {quote(FORGED)}"
    assert lines[1] == "    Traceback (most recent call last):"
    assert all(line.startswith("    ") for line in lines[1:])
    assert "    ValueError: Kitchen" in lines
    assert "    INFO chime=Bell done restored" in lines  # the message's own line, indented


def test_a_library_record_goes_through_the_same_formatter(journal: io.StringIO) -> None:
    logging.getLogger("soco.somewhere").error("player said %s", FORGED)

    lines = assert_journal_safe(journal.getvalue())
    assert lines == ["ERROR player said Kitchen\\x0aINFO chime=Bell done restored"]


@pytest.mark.parametrize("name", HOSTILE)
def test_the_schedule_names_the_chime_quoted(journal: io.StringIO, name: str) -> None:
    scheduled_start(name, (), 5)

    text = journal.getvalue()
    assert_journal_safe(text)
    assert quoted_values("chime", text) == [name]


def test_an_unknown_key_is_named_quoted() -> None:
    config = {"zones": [{"name": "Kitchen", "uid": "RINCON_1", "host": "192.0.2.20"}],
              "chimes": [{"name": FORGED, "url": "http://192.0.2.5/c.mp3", "volume": 30, "zones": ["Kitchen"], FORGED: 1}]}

    with pytest.raises(ConfigError) as refused:
        parse_config(config)

    assert str(refused.value).startswith(f"chimes[0] ({quote(FORGED)}): unknown key {quote(FORGED)} (known: ")
    assert not [character for character in str(refused.value) if unsafe(character)]


@pytest.mark.parametrize("name", [*HOSTILE, "Next\x85line", "\x85", "a\u2028b"])
def test_discover_yaml_reads_back_every_name(name: str) -> None:
    entries = [{"name": name, "uid": "RINCON_000E58A0001101400", "host": "192.0.2.20", "model": "Sonos One",
                "coordinator": "RINCON_000E58A0001101400"}, {"name": "Kitchen", "uid": "RINCON_2", "host": "192.0.2.21",
                                                             "model": "Sonos One", "coordinator": "RINCON_2"}]

    assert yaml.safe_load(zones_yaml(entries)) == entries


# ---- the command line: errors, and the chime's name after --


def write_config(path: Path, chimes: list[dict[str, Any]], zones: list[dict[str, str]], runtime_dir: Path) -> Path:
    document = {"settings": {"runtime_dir": str(runtime_dir), "request_timeout": 2.0, "margin": 5.0},
                "zones": zones, "chimes": chimes}
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_command_line_errors_quote_the_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    zones = [{"name": name, "uid": f"RINCON_{index}", "host": "192.0.2.20"} for index, name in enumerate(HOSTILE)]
    chime = {"name": HOSTILE[2], "url": "http://192.0.2.5/c.mp3", "volume": 30, "zones": HOSTILE}
    config = write_config(tmp_path / "config.yml", [chime], zones, tmp_path / "run")

    assert main(["play", "--config", str(config), "--", FORGED]) == 2
    assert main(["play", "--config", str(config), "--zone", HOSTILE[1] + "x", "--", HOSTILE[2]]) == 2

    text = capsys.readouterr().err
    lines = assert_journal_safe(text)
    assert len(lines) == 2
    assert lines[0].startswith(f"ERROR CHIME: no chime named {quote(FORGED)} in ")
    assert lines[0].endswith(f"(known: {quote(HOSTILE[2])})")
    assert lines[1] == (f"ERROR --zone: {quote(HOSTILE[1] + 'x')} is not a zone of chime {quote(HOSTILE[2])} "
                        f"(its zones: {', '.join(quote(name) for name in HOSTILE)})")


NAMES_AFTER_SEPARATOR = ["-h", "--help", "-v", "--verbose", "--zone", "--zone=Kitchen", "--", "--at", "--config=/x",
                         "-", "-1", "-x", "--dry-run", "- spaced", "Bell"]


@pytest.mark.parametrize("name", NAMES_AFTER_SEPARATOR)
def test_the_name_after_the_separator_is_taken_as_given(name: str) -> None:
    args = build_parser().parse_args(["play", "--at", "next", "--config", "/etc/sonos-chime/config.yml", "-v", "--", name])

    assert args.chime == name
    assert (args.command, args.at, args.config, args.verbose, args.zone, args.dry_run) == (
        "play", "next", "/etc/sonos-chime/config.yml", True, None, False)


@pytest.mark.parametrize("name", ["-v", "--verbose"])
def test_a_verbose_looking_name_does_not_make_the_run_verbose(tmp_path: Path, name: str) -> None:
    assert build_parser().parse_args(["play", "--config", "/c.yml", "--", name]).verbose is False
    config = write_config(tmp_path / "config.yml", [], [], tmp_path / "run")

    assert main(["play", "--config", str(config), "--", name]) == 2  # no such chime
    assert LOG.level == logging.INFO
    assert main(["play", "-v", "--config", str(config), "--", name]) == 2
    assert LOG.level == logging.DEBUG


# ---- whole runs against the simulated household


def run_chime(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHIME), *args], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)


# Room names the Sonos app could set (XML carries them), and config names that hold anything.
ROOMS = [FORGED, "Line\u2028sep \u202eevil\u202c \u200f %n %% \t\x7f\x85", "Hall \"q\" \\ {{ lookup('pipe','id') }} Café 🔔"]
ZONE_NAMES = [FORGED, "Attic\x1b[2K\x00\rINFO zone=Den outcome=ok", ROOMS[2]]
CHIME_NAME = "Bell\nINFO chime=Bell done restored \x1b]0;owned\x07 \u2066%s{{ x }}"


def test_a_whole_run_with_hostile_names_writes_only_its_own_lines(household: Any, media_server: Any, tmp_path: Path) -> None:
    home = household({"transition_time": 0.05, "players": [
        {"name": room, "state": {"source": "queue", "queue": [{"title": "So What", "duration": 300}],
                                 "transport_state": "PAUSED_PLAYBACK", "volume": 20}} for room in ROOMS]}, ssdp=False)
    players = [home.players[room] for room in ROOMS]
    zones = [{"name": name, "uid": player.uid, "host": player.ip} for name, player in zip(ZONE_NAMES, players, strict=True)]
    chime = {"name": CHIME_NAME, "url": media_server.url("/chime.wav"), "volume": 30, "zones": ZONE_NAMES}
    config = write_config(tmp_path / "config.yml", [chime], zones, tmp_path / "run")

    run = run_chime("play", "--at", "next", "--config", str(config), "--", CHIME_NAME)

    assert run.returncode == 0, run.stderr
    lines = assert_journal_safe(run.stderr)
    assert all(RECORD.match(line) for line in lines), run.stderr  # no traceback either
    assert set(quoted_values("zone", run.stderr)) == set(ZONE_NAMES)
    assert set(quoted_values("group", run.stderr)) == set(ROOMS)
    assert set(quoted_values("chime", run.stderr)) == {CHIME_NAME}
    for name in ZONE_NAMES:
        assert f"zone={quote(name)} group=" in run.stderr
    for room in ROOMS:
        assert f"group={quote(room)} step=" in run.stderr
    for word in ("Kitchen", "Attic", "Line", "Hall", "Bell", "evil", "lookup", "Café"):
        assert word not in outside_quotes(run.stderr), run.stderr  # a name only ever in quotes
    done = [line for line in lines if " done in " in line]
    assert len(done) == 1 and done[0].startswith(f"INFO chime={quote(CHIME_NAME)} done in ")
    assert all(f"{quote(name)} chimed" in done[0] for name in ZONE_NAMES)
    assert len(home.requests("Play")) >= 2 * len(ROOMS)  # each chimed, then put back


def test_a_chime_named_like_an_option_plays(household: Any, media_server: Any, tmp_path: Path) -> None:
    home = household({"transition_time": 0.05, "players": [{"name": "Kitchen"}]}, ssdp=False)
    player = home.players["Kitchen"]
    url = media_server.url("/chime.wav")
    chimes = [{"name": "-h", "url": url, "volume": 30, "zones": ["Kitchen"]}]
    config = write_config(tmp_path / "config.yml", chimes, [{"name": "Kitchen", "uid": player.uid, "host": player.ip}], tmp_path / "run")

    played = run_chime("play", "--at", "next", "--config", str(config), "--", "-h")
    missing = run_chime("play", "--at", "next", "--config", str(config), "-v", "--", "--help")

    assert played.returncode == 0, played.stderr
    assert played.stdout == "" and "usage:" not in played.stderr
    assert 'chime="-h" done in ' in played.stderr
    assert [e["args"]["CurrentURI"] for e in home.requests("SetAVTransportURI")][:1] == [url]
    assert missing.returncode == 2, missing.stdout
    assert missing.stdout == ""
    assert 'ERROR CHIME: no chime named "--help"' in missing.stderr and '(known: "-h")' in missing.stderr
