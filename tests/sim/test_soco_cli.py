"""The `sonos` command line of soco-cli against the simulator (players named by address)."""

from __future__ import annotations

import shutil
import subprocess

from .helpers import wait_for

RADIO = "group-on-radio.yml"
SONOS = shutil.which("sonos") or "sonos"


def sonos(*args: str) -> str:
    result = subprocess.run([SONOS, *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_volume_and_mute(household):
    home = household(RADIO)
    living = home.players["Living Room"]
    assert sonos(living.ip, "volume") == "30"
    sonos(living.ip, "volume", "41")
    sonos(living.ip, "mute", "on")
    assert sonos(living.ip, "mute") == "on"
    state = living.state()
    assert (state.volume, state.mute) == (41, True)


def test_play_uri_pause_and_track_info(household, media_server):
    home = household(RADIO)
    office = home.players["Office"]
    sonos(office.ip, "play_uri", media_server.url("/long.mp3"), "Long")
    wait_for(lambda: office.state().transport_state == "PLAYING")
    assert office.state().uri == media_server.url("/long.mp3")
    sonos(office.ip, "pause")
    assert office.state().transport_state == "PAUSED_PLAYBACK"
    assert sonos(office.ip, "state") == "PAUSED_PLAYBACK"
    track = sonos(home.players["Living Room"].ip, "track")
    assert "FIP" in track and "So What" in track


def test_groups_group_and_ungroup(household):
    home = household(RADIO)
    living, office = home.players["Living Room"], home.players["Office"]
    groups = sonos(living.ip, "groups").splitlines()
    assert sorted(line.strip() for line in groups) == ["Living Room: Dining Room", "Office:"]
    sonos(office.ip, "group", living.ip)
    assert office.state().coordinator_uid == living.uid
    assert "Living Room: " in sonos(living.ip, "groups") and "Office" in sonos(living.ip, "groups").splitlines()[0]
    sonos(office.ip, "ungroup")
    assert office.state().coordinator_uid == office.uid
    assert sonos(living.ip, "zones") == '"Living Room", "Office", "Dining Room"' or set(
        sonos(living.ip, "zones").replace('"', "").split(", ")
    ) == {"Living Room", "Office", "Dining Room"}


def test_track_info_queue_and_indexing_across_the_six_player_home(household):
    home = household("six-player-home.yml")
    players = home.players
    living_track = sonos(players["Living Room"].ip, "track")
    assert "paused" in living_track and "Freddie Freeloader" in living_track
    queue = sonos(players["Living Room"].ip, "queue").splitlines()
    assert len(queue) == 3 and queue[1].lstrip().startswith("*") and "Freddie Freeloader" in queue[1]
    assert "Line In" in sonos(players["Study"].ip, "track")
    assert sonos(players["TV Room"].ip, "playback") == "PLAYING"
    assert sonos(players["Bedroom"].ip, "is_indexing") == "no"
