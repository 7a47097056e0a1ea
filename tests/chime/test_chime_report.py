"""scripts/chime-report.py, the checker molecule and make demo trust: it passes a real chime on
the demo's household and fails a log where a zone did not come back as it was."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "scripts" / "chime-report.py"
DEMO_HOUSEHOLD = ROOT / "molecule" / "shared" / "files" / "household.yml"
ZONES = ["Living Room", "Kitchen", "Bureau d'été", "Bathroom"]


def report(events: list[dict[str, Any]], tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    argv = [sys.executable, str(REPORT), str(log), "--url", url, "--untouched", "Chicken Coop", "--check"]
    for zone in ZONES:
        argv += ["--expect", zone]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def chimed_demo_home(household: Any, chime_setup: Any, sounds: Any, mode: str = "interrupt") -> list[dict[str, Any]]:
    """The demo household chimed; under auto, Bathroom (a Play:1: a clip there would pause its
    group) is interrupted."""
    spec = yaml.safe_load(DEMO_HOUSEHOLD.read_text(encoding="utf-8").replace("__NET__", "127.0.0"))
    spec["transition_time"] = 0.05
    home = household(spec)
    run = chime_setup(home, ZONES, mode=mode).run("Test")
    assert run.returncode == 0, run.stderr
    if mode == "auto":
        assert '"Bathroom" is a Play:1: a clip there pauses its whole group (home-assistant/core#182047): interrupted instead' \
            in run.stderr
    return home.events()


def with_bathroom_left(events: list[dict[str, Any]], **state: Any) -> list[dict[str, Any]]:
    """The log with Bathroom's last state changed, as if it had not come back as it was."""
    last = max(i for i, event in enumerate(events) if event.get("player") == "Bathroom" and event.get("transport_state"))
    return [*events[:last], {**events[last], **state}, *events[last + 1:]]


def test_a_real_chime_passes_with_the_paused_zone_paused_and_the_radio_live(
    household: Any, chime_setup: Any, sounds: Any, tmp_path: Path
) -> None:
    events = chimed_demo_home(household, chime_setup, sounds)

    checked = report(events, tmp_path, sounds.url("/chime.mp3"))

    assert checked.returncode == 0, checked.stdout
    lines = checked.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("Bathroom"))
    bathroom = lines[first:first + 3]
    assert "PAUSED_PLAYBACK" in bathroom[0] and "at 742.0s" in bathroom[0], bathroom
    assert "PAUSED_PLAYBACK" in bathroom[2] and "at 742.0s" in bathroom[2], bathroom
    radio = [line for line in lines if "x-sonosapi-stream" in line]
    assert radio and all("live radio" in line and " at " not in line for line in radio), radio


def test_a_paused_zone_left_at_another_position_fails(household: Any, chime_setup: Any, sounds: Any, tmp_path: Path) -> None:
    events = with_bathroom_left(chimed_demo_home(household, chime_setup, sounds), position=0.0)

    checked = report(events, tmp_path, sounds.url("/chime.mp3"))

    assert checked.returncode == 1
    assert "FAIL Bathroom: left PAUSED_PLAYBACK at 742.0s, found at 0.0s" in checked.stdout


def test_a_paused_zone_left_playing_fails(household: Any, chime_setup: Any, sounds: Any, tmp_path: Path) -> None:
    events = with_bathroom_left(chimed_demo_home(household, chime_setup, sounds), transport_state="PLAYING")

    checked = report(events, tmp_path, sounds.url("/chime.mp3"))

    assert checked.returncode == 1
    assert "FAIL Bathroom: transport_state was 'PAUSED_PLAYBACK' before, 'PLAYING' after" in checked.stdout


def test_lateness_is_timed_from_the_moment_and_a_play_before_it_fails(household: Any, chime_setup: Any, sounds: Any, tmp_path: Path) -> None:
    spec = yaml.safe_load(DEMO_HOUSEHOLD.read_text(encoding="utf-8").replace("__NET__", "127.0.0"))
    spec["transition_time"] = 0.05
    home = household(spec)
    moment = round(time.time()) + 3
    run = chime_setup(home, ZONES).run("Test", None, "--at", f"@{moment}")
    assert run.returncode == 0, run.stderr
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(event) + "\n" for event in home.events()), encoding="utf-8")

    def checked(at: float) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, str(REPORT), str(log), "--url", sounds.url("/chime.mp3"), "--moment", f"@{at}", "--late-ms", "100", "--check"]
        return subprocess.run(argv, capture_output=True, text=True, check=False)

    on_time = checked(moment)
    assert on_time.returncode == 0, on_time.stdout
    timed = next(line for line in on_time.stdout.splitlines() if line.startswith("lateness"))
    assert timed.count(" ms") == 3, timed  # Living Room (with Kitchen), Bureau d'été, Bathroom
    early = checked(moment + 1)
    assert early.returncode == 1 and "ms after the moment" in early.stdout, early.stdout


def auto_report(events: list[dict[str, Any]], tmp_path: Path, url: str) -> subprocess.CompletedProcess[str]:
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    argv = [sys.executable, str(REPORT), str(log), "--url", url, "--expect", "Bathroom", "--untouched", "Chicken Coop",
            "--overlaid", "Living Room", "--overlaid", "Kitchen", "--overlaid", "Bureau d'été", "--check"]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def test_auto_passes_with_clips_over_the_music_and_the_older_player_restored(
    household: Any, chime_setup: Any, sounds: Any, tmp_path: Path
) -> None:
    events = chimed_demo_home(household, chime_setup, sounds, "auto")

    checked = auto_report(events, tmp_path, sounds.url("/chime.mp3"))

    assert checked.returncode == 0, checked.stdout
    assert "3 played it over their music" in checked.stdout
    assert checked.stdout.count("clip over the music: PLAYING") == 3, checked.stdout


def test_an_overlaid_zone_whose_music_stopped_under_the_clip_fails(
    household: Any, chime_setup: Any, sounds: Any, tmp_path: Path
) -> None:
    events = chimed_demo_home(household, chime_setup, sounds, "auto")
    start = next(i for i, e in enumerate(events) if e.get("player") == "Bureau d'été" and e["action"] == "clip_start")
    stopped = {**events[start], "action": "Stop", "transport_state": "STOPPED", "mono": events[start]["mono"] + 0.1}
    events = [*events[:start + 1], stopped, *events[start + 1:]]

    checked = auto_report(events, tmp_path, sounds.url("/chime.mp3"))

    assert checked.returncode == 1
    assert "FAIL Bureau d'été: its music changed under the clip" in checked.stdout


def renamed_at_the_end(events: list[dict[str, Any]], renames: dict[str, str]) -> list[dict[str, Any]]:
    """The log as if each room of `renames` had been given its new name after the chime (a
    `renamed` event of the simulator, its state as it was)."""
    after = events[-1]["mono"]
    for i, (old, new) in enumerate(renames.items(), start=1):
        last = next(event for event in reversed(events) if event.get("player") == old and event.get("transport_state"))
        events = [*events, {**last, "player": new, "kind": "state", "action": "renamed", "args": {"from": old, "to": new},
                            "mono": after + i * 0.001}]
    return events


HOSTILE_RENAMES = {
    "Living Room": "Den\nFAIL Kitchen: forged\nOK: all fine",
    "Kitchen": "{{ lookup('pipe', 'touch /tmp/pwned') }}",
    "Bathroom": '\u200fBath \u202e"tub" \\ \x1b[2J\u2028%n',
}


def test_renamed_rooms_are_reported_under_their_names_one_line_each(
    household: Any, chime_setup: Any, sounds: Any, tmp_path: Path
) -> None:
    events = renamed_at_the_end(chimed_demo_home(household, chime_setup, sounds), HOSTILE_RENAMES)
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(event, ensure_ascii=False) + "\n" for event in events), encoding="utf-8")
    zones = [HOSTILE_RENAMES.get(zone, zone) for zone in ZONES]
    argv = [sys.executable, str(REPORT), str(log), "--url", sounds.url("/chime.mp3"), "--untouched", "Chicken Coop", "--check"]
    for zone in zones:
        argv += ["--expect", zone]

    checked = subprocess.run(argv, capture_output=True, text=True, check=False)

    assert checked.returncode == 0, checked.stdout
    lines = checked.stdout.split("\n")
    assert lines[-1] == "" and all(line.isprintable() for line in lines), lines
    assert not [line for line in lines if line.startswith(("FAIL", "OK: all fine"))]
    assert lines[-2].startswith("OK: 4 zone(s) chimed")
    shown = {
        "Living Room": '"Den\\nFAIL Kitchen: forged\\nOK: all fine"',
        "Kitchen": "{{ lookup('pipe', 'touch /tmp/pwned') }}",
        "Bathroom": '"\\u200fBath \\u202e\\"tub\\" \\\\ \\x1b[2J\\u2028%n"',
    }
    for old, printed in shown.items():
        rows = [line for line in lines if line.startswith(printed + " ")]
        assert len(rows) == 1 and "before:" in rows[0], (old, lines)
    assert "(grouped with " + shown["Living Room"] + ", which played the chime)" in checked.stdout
    assert not [line for line in lines if line.startswith(("Living Room", "Bathroom"))], "a renamed room is one speaker"


def test_a_renamed_room_that_did_not_come_back_fails_on_one_line(
    household: Any, chime_setup: Any, sounds: Any, tmp_path: Path
) -> None:
    events = with_bathroom_left(chimed_demo_home(household, chime_setup, sounds), transport_state="PLAYING")
    events = renamed_at_the_end(events, {"Bathroom": HOSTILE_RENAMES["Bathroom"]})
    log = tmp_path / "events.jsonl"
    log.write_text("".join(json.dumps(event) + "\n" for event in events), encoding="utf-8")
    argv = [sys.executable, str(REPORT), str(log), "--url", sounds.url("/chime.mp3"), "--expect", HOSTILE_RENAMES["Bathroom"],
            "--expect", "Nowhere\nOK", "--check"]

    checked = subprocess.run(argv, capture_output=True, text=True, check=False)

    assert checked.returncode == 1
    fails = [line for line in checked.stdout.split("\n") if line.startswith("FAIL")]
    assert fails == [
        'FAIL "\\u200fBath \\u202e\\"tub\\" \\\\ \\x1b[2J\\u2028%n": transport_state was \'PAUSED_PLAYBACK\' before, \'PLAYING\' after',
        'FAIL "Nowhere\\nOK": never played the chime',
    ], checked.stdout


def with_member_level_first(events: list[dict[str, Any]], member: str, coordinator: str, url: str) -> list[dict[str, Any]]:
    """The log as when a member's chime volume landed before its coordinator's first change
    (chime.py sets a group's levels alongside the switch; molecule saw this order once)."""
    coordinator_changes = [e for e in events if e.get("player") == coordinator and e.get("kind") in ("request", "state")
                           and not str(e.get("action") or "").startswith("Get") and e.get("mono") is not None]
    switch = next(e for e in coordinator_changes if url in str(e.get("uri") or "") or url in json.dumps(e.get("args") or {}))
    first_change = max((e for e in coordinator_changes if e["mono"] <= switch["mono"]), key=lambda e: e["mono"])
    first_set = min(e["mono"] for e in events if e.get("player") == member and e.get("action") == "SetVolume")
    moved = [{**e, "mono": first_change["mono"] - 0.002} if e.get("player") == member and e.get("action") == "SetVolume"
             and e["mono"] == first_set else e for e in events]
    return sorted(moved, key=lambda e: e.get("mono", 0.0))


def test_a_member_whose_chime_level_came_before_its_coordinators_switch_is_judged_from_before_it(
    household: Any, chime_setup: Any, sounds: Any, tmp_path: Path
) -> None:
    url = sounds.url("/chime.mp3")
    events = with_member_level_first(chimed_demo_home(household, chime_setup, sounds), "Kitchen", "Living Room", url)

    checked = report(events, tmp_path, url)

    assert checked.returncode == 0, checked.stdout
    kitchen = next(line for line in checked.stdout.splitlines() if line.startswith("Kitchen"))
    assert "vol 18" in kitchen, checked.stdout
