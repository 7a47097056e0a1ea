"""Restore, step by step against a simulated player: what goes back, and in which order."""

from __future__ import annotations

from typing import Any

from sonos_chime.levels import VOLUME
from sonos_chime.player import Player
from sonos_chime.restore import LevelsBack, RestoreTask, read_back, restore_once
from sonos_chime.snapshot import read_levels, read_transport
from sonos_chime.timing import Timing
from sonos_chime.zonelog import ZoneLog

QUEUE = [{"title": "So What", "duration": 300}, {"title": "Blue in Green", "duration": 300}]
FAST = Timing(verify_interval=0.02)


def snapshot_then_chime(home: Any, name: str, chime_url: str) -> RestoreTask:
    """Snapshot the player's group as chime.py does, then switch it to the chime at volume 50."""
    player = Player(home.players[name].ip, 1400, 2.0)
    group = player.topology().groups[0]
    log = ZoneLog(name)
    transport, pending = read_transport(group, 2.0, FAST, log)
    levels = read_levels(pending, 2.0, log)
    player.set_uri(chime_url, "")
    player.set_volume(50)
    changed = frozenset({(group.coordinator_uid, VOLUME)})
    return RestoreTask(player, transport, levels, changed, FAST, 2.0)


def actions(home: Any, after: float) -> list[str]:
    return [e["action"] for e in home.requests() if e["mono"] > after and e["action"] in
            ("SetAVTransportURI", "Seek", "SetVolume", "SetMute", "Play", "Pause", "Stop")]


def test_levels_and_source_go_back_before_play(household: Any, media_server: Any) -> None:
    home = household({"transition_time": 0.05, "players": [{"name": "Kitchen", "state": {
        "source": "queue", "queue": QUEUE, "track": 2, "position": 40.0, "transport_state": "PLAYING", "volume": 20}}]})
    task = snapshot_then_chime(home, "Kitchen", media_server.url("/chime.mp3"))
    switched = home.requests()[-1]["mono"]

    levels = restore_once(task, ZoneLog("Kitchen"))

    assert levels == LevelsBack()  # nothing left changed
    done = actions(home, switched)
    assert done[-1] == "Play"
    assert {"SetAVTransportURI", "Seek", "SetVolume"} <= set(done[:-1])
    assert "SetMute" not in done  # the chime did not change it
    assert read_back(task) == ""
    state = home.players["Kitchen"].state()
    assert (state.track, state.volume, state.mute, state.transport_state) == (2, 20, False, "PLAYING")


def test_a_pause_comes_back_paused_and_silent(household: Any, media_server: Any) -> None:
    home = household({"transition_time": 0.05, "players": [{"name": "Kitchen", "state": {
        "source": "queue", "queue": QUEUE, "track": 2, "position": 40.0, "transport_state": "PAUSED_PLAYBACK", "volume": 20}}]})
    task = snapshot_then_chime(home, "Kitchen", media_server.url("/chime.mp3"))
    switched = home.requests()[-1]["mono"]

    restore_once(task, ZoneLog("Kitchen"))

    done = actions(home, switched)
    # Muted before the Play that brings the queue back, paused, then unmuted: never heard.
    assert done.index("SetMute") < done.index("Play") < done.index("Pause") < len(done) - 1 - done[::-1].index("SetMute")
    assert read_back(task) == ""
    state = home.players["Kitchen"].state()
    assert (state.transport_state, state.track, state.volume, state.mute) == ("PAUSED_PLAYBACK", 2, 20, False)
    assert abs(state.position - 40.0) < 1.0
