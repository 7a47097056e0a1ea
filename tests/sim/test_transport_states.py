"""Every transport command in every transport state, TRANSITIONING included, read back by SoCo.

A real player finishes a transition whatever arrives during it: a Seek, Next or Previous sent
right after Play (SoCo's play_from_queue does Seek then Play) moves the track or position and
the transport still reaches PLAYING.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import soco
from soco.exceptions import SoCoUPnPException

from .helpers import wait_for

TRACK_SECONDS = 300


def den(transport_state: str) -> dict:
    return {
        "transition_time": 0.4,
        "players": [{"name": "Den", "state": {
            "source": "queue",
            "queue": [{"title": f"Track {n}", "duration": TRACK_SECONDS} for n in (1, 2, 3)],
            "track": 2,
            "position": 10.0 if transport_state != "STOPPED" else 0.0,
            "transport_state": transport_state,
        }}],
    }


@dataclass(frozen=True)
class Outcome:
    state: str  # what the transport settles in
    track: int
    position: float  # at least, when it settles
    fault: str | None = None


COMMANDS: dict[str, Callable[[soco.SoCo], None]] = {
    "Play": lambda zone: zone.play(),
    "Pause": lambda zone: zone.pause(),
    "Stop": lambda zone: zone.stop(),
    "Seek REL_TIME": lambda zone: zone.seek("0:01:00"),
    "Seek TRACK_NR": lambda zone: zone.seek(track=2),
    "Next": lambda zone: zone.next(),
    "Previous": lambda zone: zone.previous(),
}

# (command, state before) -> outcome. Positions are where the paused/stopped transport stands or
# where a playing one started from.
EXPECTED = {
    ("Play", "STOPPED"): Outcome("PLAYING", 2, 0.0),
    ("Play", "PLAYING"): Outcome("PLAYING", 2, 10.0),
    ("Play", "PAUSED_PLAYBACK"): Outcome("PLAYING", 2, 10.0),
    ("Play", "TRANSITIONING"): Outcome("PLAYING", 2, 0.0),
    ("Pause", "STOPPED"): Outcome("STOPPED", 2, 0.0, fault="701"),
    ("Pause", "PLAYING"): Outcome("PAUSED_PLAYBACK", 2, 10.0),
    ("Pause", "PAUSED_PLAYBACK"): Outcome("PAUSED_PLAYBACK", 2, 10.0, fault="701"),
    ("Pause", "TRANSITIONING"): Outcome("PAUSED_PLAYBACK", 2, 0.0),
    ("Stop", "STOPPED"): Outcome("STOPPED", 2, 0.0),
    ("Stop", "PLAYING"): Outcome("STOPPED", 2, 0.0),
    ("Stop", "PAUSED_PLAYBACK"): Outcome("STOPPED", 2, 0.0),
    ("Stop", "TRANSITIONING"): Outcome("STOPPED", 2, 0.0),
    **{("Seek REL_TIME", state): Outcome(settled, 2, 60.0) for state, settled in (
        ("STOPPED", "STOPPED"), ("PLAYING", "PLAYING"), ("PAUSED_PLAYBACK", "PAUSED_PLAYBACK"), ("TRANSITIONING", "PLAYING"))},
    **{(command, state): Outcome(settled, track, 0.0)
       for command, track in (("Seek TRACK_NR", 3), ("Next", 3), ("Previous", 1))
       for state, settled in (("STOPPED", "STOPPED"), ("PLAYING", "PLAYING"), ("PAUSED_PLAYBACK", "PAUSED_PLAYBACK"),
                              ("TRANSITIONING", "PLAYING"))},
}


def start_in(household, state: str):
    """A household whose one player is in `state` (TRANSITIONING: just after Play)."""
    home = household(den("STOPPED" if state == "TRANSITIONING" else state))
    zone = soco.SoCo(home.players["Den"].ip)
    if state == "TRANSITIONING":
        zone.play()
        assert zone.get_current_transport_info()["current_transport_state"] == "TRANSITIONING"
    return home, zone


def seconds(hms: str) -> float:
    hours, minutes, secs = (int(part) for part in hms.split(":"))
    return hours * 3600 + minutes * 60 + secs


@pytest.mark.parametrize(("command", "state"), sorted(EXPECTED), ids=[f"{c}-{s}" for c, s in sorted(EXPECTED)])
def test_command_in_state(household, command, state):
    expected = EXPECTED[(command, state)]
    home, zone = start_in(household, state)
    playing_before = len(home.events(kind="state", action="playing"))
    fault = None
    try:
        COMMANDS[command](zone)
    except SoCoUPnPException as exc:
        fault = exc.error_code
    assert fault == expected.fault
    if expected.state == "PLAYING" and state in ("STOPPED", "PAUSED_PLAYBACK", "TRANSITIONING"):
        # The transition completes: the event log shows it reach PLAYING after the command.
        wait_for(lambda: len(home.events(kind="state", action="playing")) > playing_before, timeout=3)
    info = zone.get_current_transport_info()
    track = zone.get_current_track_info()
    assert info["current_transport_state"] == expected.state
    assert int(track["playlist_position"]) == expected.track
    position = seconds(track["position"])
    if expected.state == "PLAYING":
        assert expected.position <= position <= expected.position + 2
    else:
        assert position == expected.position


def test_seek_then_play_right_after_play_from_queue_plays(household):
    """SoCo's play_from_queue (SetAVTransportURI, Seek TRACK_NR, Play) then seek() and play(),
    as SoCo's integration suite restores a player: no transport is left TRANSITIONING."""
    home, zone = start_in(household, "PLAYING")
    zone.play_from_queue(0)
    zone.seek("0:00:30")
    zone.play()
    wait_for(lambda: home.players["Den"].state().transport_state == "PLAYING", timeout=3)
    state = home.players["Den"].state()
    assert state.track == 1 and 30.0 <= state.position < 32.0
    causes = [e["action"] for e in home.events(kind="state")]
    assert causes[-1] == "playing"
