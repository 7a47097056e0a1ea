"""Issue #23: a device on a player's address answers the way no Sonos does (a body that never
ends, an answer that drips, one far larger than any player sends, malformed or hostile XML, a
websocket message too large). It costs the chime that one zone, never the host.

Kitchen (healthy, on its queue) and Den (the hostile one, on radio) are chimed in one run, as
the service does. In every case: Kitchen is chimed once and put back exactly; Den is left
exactly as it was; the run ends (by its deadline, not the peer's); the process's peak memory
stays far within the unit's MemoryMax (the role's default); and the journal names Den and what
its answer did.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

import pytest
from chime_helpers import CHIME, ROOT, outcomes, requests, state_events

ATTRIBUTES = ("uri", "track", "transport_state", "volume", "mute", "play_mode", "crossfade", "coordinator_uid")
QUEUE = [{"title": "So What", "duration": 300}, {"title": "Freddie Freeloader", "duration": 300}]
RADIO = {"source": "radio", "uri": "x-sonosapi-stream:s15200?sid=254&flags=8224&sn=0", "title": "FIP", "transport_state": "PLAYING"}
REQUEST_TIMEOUT = 1.0
UNIT_MEMORY_MAX_KIB = 192 * 1024  # roles/sonos_chime/defaults/main.yml: sonos_chime_memory_max_mib
SPAWN = ROOT / "tests" / "bench" / "spawn.py"


@dataclass(frozen=True)
class Hostile:
    fault: dict[str, Any]
    said: str  # what the journal says of Den's answer
    mode: str = "interrupt"
    # Den's outcome: "failed" (left exactly as it was) or "ok" (the topology came from Kitchen:
    # Den's own answers to it were only checks along the way, so Den was chimed and put back).
    den: str = "failed"


CASES = {
    "endless body": Hostile({"kind": "endless_body", "action": "GetMediaInfo"},
                            "answer cut off: larger than 256 KiB, the limit for a SOAP answer"),
    "drip from the status line": Hostile({"kind": "drip", "action": "GetMediaInfo", "interval": 0.2, "start": "status"},
                                         f"no answer within {REQUEST_TIMEOUT:g} s"),
    "drip of the body": Hostile({"kind": "drip", "action": "GetMediaInfo", "interval": 0.2, "start": "body"},
                                f"an answer begun but not finished within {REQUEST_TIMEOUT:g} s"),
    "64 MiB SOAP answer": Hostile({"kind": "oversized", "action": "GetMediaInfo"},
                                  "answer of 67108864 bytes refused: larger than 256 KiB, the limit for a SOAP answer"),
    "64 MiB topology": Hostile({"kind": "oversized", "action": "GetZoneGroupState"},
                               "larger than 1 MiB, the limit for a topology answer", den="ok"),
    "malformed XML": Hostile({"kind": "malformed_xml", "action": "GetMediaInfo"}, "unreadable answer"),
    "billion laughs": Hostile({"kind": "hostile_xml", "action": "GetMediaInfo", "payload": "laughs"},
                              "unreadable answer: refused: DTDForbidden"),
    "external entity": Hostile({"kind": "hostile_xml", "action": "GetMediaInfo", "payload": "external"},
                               "unreadable answer: refused: DTDForbidden"),
    "8 MiB websocket message": Hostile({"kind": "oversized", "action": "subscribe", "size": 8 * 1024 * 1024},
                                       "sent a message larger than 1 MiB, the limit for a local API message", mode="overlay"),
}


def household_with(fault: dict[str, Any]) -> dict[str, Any]:
    return {
        "transition_time": 0.05,
        "faults": [{**fault, "player": "Den"}],
        "players": [
            {"name": "Kitchen", "state": {"source": "queue", "queue": QUEUE, "track": 2, "position": 30.0,
                                          "transport_state": "PLAYING", "volume": 20}},
            {"name": "Den", "state": {**RADIO, "volume": 25}},
        ],
    }


@dataclass(frozen=True)
class MeasuredRun:
    returncode: int
    stderr: str
    peak_rss_kib: int


def run_measured(args: list[str], timeout: float) -> MeasuredRun:
    """chime.py to its end, with its own peak RSS (wait4's, as make bench and molecule take it)."""
    return measured([sys.executable, str(CHIME), *args], timeout)


def measured(argv: list[str], timeout: float) -> MeasuredRun:
    """Run by bench's spawn.py, a small process of its own: Linux keeps the RSS high-water mark
    across exec, so a command spawned straight from pytest would count pytest's size as its peak."""
    with tempfile.NamedTemporaryFile("r", encoding="utf-8", suffix=".log") as log:
        spawner = subprocess.Popen([sys.executable, str(SPAWN), json.dumps([argv]), log.name], stdout=subprocess.PIPE,
                                   text=True, cwd=ROOT, start_new_session=True)
        try:
            output, _ = spawner.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(spawner.pid, signal.SIGKILL)
            spawner.communicate()
            pytest.fail(f"{argv[-3:]} did not end by itself within {timeout:g} s:\n{log.read()}")
        figures = json.loads(output)
        return MeasuredRun(figures["codes"][0], log.read(), figures["peak"])


def test_the_peak_measured_is_the_commands_not_pytests() -> None:
    ballast = bytearray(UNIT_MEMORY_MAX_KIB * 1024)
    ballast[::4096] = b"x" * len(ballast[::4096])  # resident, not only reserved
    run = measured([sys.executable, "-c", "pass"], timeout=30.0)
    assert (run.returncode, run.peak_rss_kib < UNIT_MEMORY_MAX_KIB // 4) == (0, True), f"peak {run.peak_rss_kib} KiB"
    del ballast


@pytest.mark.parametrize("case", CASES)
def test_a_hostile_answer_costs_its_zone_only(household: Any, chime_setup: Any, sounds: Any, case: str) -> None:
    hostile = CASES[case]
    home = household(household_with(hostile.fault))
    setup = chime_setup(home, ["Kitchen", "Den"], settings={"request_timeout": REQUEST_TIMEOUT, "margin": 3.0}, mode=hostile.mode)
    setup.write()
    url = sounds.url("/chime.mp3")
    before = {name: handle.state() for name, handle in home.players.items()}

    run = run_measured(setup.play_args("Test"), timeout=60.0)

    events = home.events()
    assert [e for e in events if e.get("injected") == hostile.fault["kind"]], f"the fault never fired\n{run.stderr}"
    assert outcomes(run.stderr).get("Den") == hostile.den, run.stderr
    den_lines = [line for line in run.stderr.splitlines() if 'zone="Den"' in line]
    assert any(hostile.said in line for line in den_lines), "\n".join(den_lines)
    assert run.returncode == (1 if hostile.den == "failed" else 0), run.stderr
    assert run.peak_rss_kib < UNIT_MEMORY_MAX_KIB // 2, f"peak {run.peak_rss_kib} KiB"
    if hostile.mode == "interrupt":
        for name, times in (("Kitchen", 1), ("Den", 1 if hostile.den == "ok" else 0)):
            heard = [e for e in state_events(events, name) if e["action"] == "playing" and e["uri"] == url]
            assert len(heard) == times, f"{name}\n{run.stderr}"
    else:
        assert [e for e in requests(events, "loadAudioClip", "Kitchen") if (e.get("result") or {}).get("success")], run.stderr
    for name, handle in home.players.items():
        after = handle.state()
        for attribute in ATTRIBUTES:
            assert getattr(after, attribute) == getattr(before[name], attribute), f"{name}: {attribute}\n{run.stderr}"
    assert not [e for e in events if e.get("action") == "GET /xxe-canary"], "an external entity was fetched"
    assert list(setup.state_dir.glob("*.json")) == [], run.stderr
