"""SoCo's Snapshot: interrupt each source in each state with a chime, then restore."""

from __future__ import annotations

import pytest
import soco
from soco.exceptions import SoCoUPnPException
from soco.snapshot import Snapshot
from sonos_sim.mediaserver import silent_wav

from .helpers import wait_for

QUEUE = [{"title": "One", "duration": 300}, {"title": "Two", "duration": 300}, {"title": "Three", "duration": 300}]


def single(state: dict, model: str = "Sonos Five") -> dict:
    return {"transition_time": 0.05, "players": [{"name": "Den", "model": model, "state": {"volume": 20, **state}}]}


def chime_and_restore(home, media_server, snapshot_queue: bool = False) -> soco.SoCo:
    den = soco.SoCo(home.players["Den"].ip)
    snapshot = Snapshot(den, snapshot_queue=snapshot_queue)
    snapshot.snapshot()
    den.volume = 45
    den.play_uri(media_server.add("/blip.wav", "audio/x-wav", silent_wav(0.3)), title="Chime")
    wait_for(lambda: home.players["Den"].state().transport_state == "STOPPED" and home.events(action="end_of_media"), timeout=4)
    snapshot.restore()
    return den


@pytest.mark.parametrize("transport_state", ["PLAYING", "PAUSED_PLAYBACK", "STOPPED"])
@pytest.mark.parametrize("snapshot_queue", [False, True])
def test_queue_is_restored_with_track_position_and_mode(household, media_server, transport_state, snapshot_queue):
    home = household(single({"source": "queue", "queue": QUEUE, "track": 2, "position": 42.0,
                             "transport_state": transport_state, "play_mode": "SHUFFLE_NOREPEAT", "bass": 3}))
    chime_and_restore(home, media_server, snapshot_queue)
    wait_for(lambda: home.players["Den"].state().transport_state != "TRANSITIONING")
    state = home.players["Den"].state()
    assert state.uri == f"x-rincon-queue:{home.players['Den'].uid}#0"
    assert state.track == 2
    assert state.play_mode == "SHUFFLE_NOREPEAT"
    assert (state.volume, state.bass) == (20, 3)
    expected = {"PLAYING": "PLAYING", "PAUSED_PLAYBACK": "STOPPED", "STOPPED": "STOPPED"}[transport_state]
    assert state.transport_state == expected
    if transport_state != "STOPPED":
        assert 42.0 <= state.position < 44.0
    assert state.queue_length == 3


def test_radio_is_restored_and_plays_again(household, media_server):
    uri = "x-sonosapi-stream:s44255?sid=254&flags=8224&sn=0"
    home = household(single({"source": "radio", "uri": uri, "title": "FIP", "transport_state": "PLAYING"}))
    den = chime_and_restore(home, media_server)
    wait_for(lambda: home.players["Den"].state().transport_state == "PLAYING")
    assert home.players["Den"].state().uri == uri
    assert den.get_current_media_info()["channel"] == "FIP"


def test_line_in_is_restored(household, media_server):
    home = household(single({"source": "line_in", "transport_state": "PLAYING"}))
    chime_and_restore(home, media_server)
    wait_for(lambda: home.players["Den"].state().transport_state == "PLAYING")
    assert home.players["Den"].state().uri == f"x-rincon-stream:{home.players['Den'].uid}"


def test_idle_player_is_left_idle_with_its_volume(household, media_server):
    home = household(single({}))
    chime_and_restore(home, media_server)
    state = home.players["Den"].state()
    assert state.transport_state == "STOPPED" and state.volume == 20
    assert state.uri.startswith("http://")  # Snapshot does not clear a URI it never saved


def test_cloud_session_is_gone_for_good_once_replaced(household, media_server):
    uri = "x-sonos-vli:RINCON_000E58A0001001400:1,spotify:7c1b3a2e"
    home = household(single({"source": "cloud", "uri": uri, "transport_state": "PLAYING"}))
    den = soco.SoCo(home.players["Den"].ip)
    snapshot = Snapshot(den)
    snapshot.snapshot()
    den.play_uri(media_server.url("/chime.wav"))
    wait_for(lambda: home.events(action="end_of_media"), timeout=4)
    with pytest.raises(SoCoUPnPException) as raised:
        snapshot.restore()
    assert raised.value.error_code == "714"
    state = home.players["Den"].state()
    assert state.uri != uri and state.volume == 20


def test_cloud_queue_is_not_restored_by_snapshot(household, media_server):
    home = household(single({"source": "cloud_queue", "transport_state": "PLAYING"}))
    chime_and_restore(home, media_server)
    assert home.players["Den"].state().uri.startswith("http://")


def test_tv_is_restored_on_the_soundbar(household, media_server):
    home = household(single({"source": "tv", "transport_state": "PLAYING"}, model="Sonos Arc"))
    chime_and_restore(home, media_server)
    wait_for(lambda: home.players["Den"].state().transport_state == "PLAYING")
    assert home.players["Den"].state().uri == f"x-sonos-htastream:{home.players['Den'].uid}:spdif"


def test_every_zone_of_the_six_player_home_survives_snapshot_chime_restore(household, media_server):
    home = household("six-player-home.yml")
    before = {name: handle.state() for name, handle in home.players.items()}
    coordinators = [soco.SoCo(home.players[n].ip) for n in ("Living Room", "TV Room", "Study")]
    snapshots = [Snapshot(zone) for zone in coordinators]
    for snapshot in snapshots:
        snapshot.snapshot()
    for zone in coordinators:
        zone.play_uri(media_server.url("/chime.wav"))
    wait_for(lambda: len(home.events(kind="state", action="end_of_media")) >= 3, timeout=5)
    for snapshot in snapshots:
        snapshot.restore()
    wait_for(lambda: all(h.state().transport_state != "TRANSITIONING" for h in home.players.values()))
    for name in ("TV Room", "Study"):
        after = home.players[name].state()
        assert (after.uri, after.transport_state, after.volume) == (before[name].uri, "PLAYING", before[name].volume)
    living = home.players["Living Room"].state()
    assert (living.uri, living.track, living.transport_state) == (before["Living Room"].uri, 2, "STOPPED")
    assert 100.0 <= living.position < 101.0
    assert home.players["Living Room (right)"].state().coordinator_uid == home.players["Living Room"].uid


STREAM_CASES = [
    (source, state)
    for source in ("radio", "http", "line_in", "tv")
    for state in ("PLAYING", "PAUSED_PLAYBACK", "STOPPED")
    if not (source == "tv" and state == "PAUSED_PLAYBACK")  # a TV input cannot be paused
]


@pytest.mark.parametrize(("source", "transport_state"), STREAM_CASES)
def test_streams_restore_to_the_same_uri_and_play_only_if_they_were_playing(household, media_server, source, transport_state):
    state = {"source": source, "transport_state": transport_state, "title": "Station"}
    if source == "radio":
        state["uri"] = "x-rincon-mp3radio://radio.example/stream.mp3"
    if source == "http":
        state["uri"] = media_server.url("/long.mp3")
        state["duration"] = 30.0
        state["position"] = 5.0
    home = household(single(state, model="Sonos Arc" if source == "tv" else "Sonos Five"))
    before = home.players["Den"].state()
    chime_and_restore(home, media_server)
    wait_for(lambda: home.players["Den"].state().transport_state != "TRANSITIONING")
    after = home.players["Den"].state()
    assert after.uri == before.uri
    assert after.transport_state == ("PLAYING" if transport_state == "PLAYING" else "STOPPED")
    assert after.volume == 20


def test_group_member_snapshot_restores_its_volume_and_the_group_survives(household, media_server):
    home = household("group-on-radio.yml")
    living = soco.SoCo(home.players["Living Room"].ip)
    dining = soco.SoCo(home.players["Dining Room"].ip)
    snapshots = [Snapshot(living), Snapshot(dining)]
    assert [s.snapshot() for s in snapshots] == [True, False]
    living.group.volume = 60
    living.play_uri(media_server.url("/chime.wav"))
    wait_for(lambda: home.events(kind="state", action="end_of_media", player="Dining Room"), timeout=4)
    for snapshot in snapshots:
        snapshot.restore()
    wait_for(lambda: home.players["Living Room"].state().transport_state == "PLAYING")
    assert (home.players["Living Room"].state().volume, home.players["Dining Room"].state().volume) == (30, 22)
    assert home.players["Dining Room"].state().coordinator_uid == home.players["Living Room"].uid
    assert home.players["Dining Room"].state().transport_state == "PLAYING"
