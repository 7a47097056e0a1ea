"""The playback clock: TRANSITIONING, position, queue advance, http URIs fetched for real."""

from __future__ import annotations

import time

import pytest
import soco
from soco.exceptions import SoCoUPnPException
from sonos_sim.mediaserver import silent_mp3

from .helpers import state_changes, wait_for


def short_queue(transport_state: str = "STOPPED", play_mode: str = "NORMAL") -> dict:
    return {
        "transition_time": 0.05,
        "players": [
            {
                "name": "Den",
                "state": {
                    "source": "queue",
                    "queue": [{"title": "One", "duration": 0.6}, {"title": "Two", "duration": 0.4}],
                    "transport_state": transport_state,
                    "play_mode": play_mode,
                },
            }
        ],
    }


def test_play_goes_through_transitioning_then_plays_and_advances(household):
    home = household(short_queue())
    den = soco.SoCo(home.players["Den"].ip)
    den.play()
    assert den.get_current_transport_info()["current_transport_state"] == "TRANSITIONING"
    wait_for(lambda: home.players["Den"].state().track == 2)
    wait_for(lambda: home.players["Den"].state().transport_state == "STOPPED", timeout=3)
    changes = state_changes(home.events(), "Den")
    assert changes == [
        ("Play", "TRANSITIONING"),
        ("playing", "PLAYING"),
        ("next_track", "PLAYING"),
        ("end_of_media", "STOPPED"),
    ]
    stamps = {e["action"]: e["mono"] for e in home.events(kind="state", player="Den")}
    assert 0.04 <= stamps["playing"] - stamps["Play"] < 0.3
    assert 0.55 <= stamps["next_track"] - stamps["playing"] < 1.0
    assert home.players["Den"].state().track == 1


def test_repeat_all_wraps_to_the_first_track(household):
    home = household(short_queue(play_mode="REPEAT_ALL"))
    soco.SoCo(home.players["Den"].ip).play()
    wait_for(lambda: len(home.events(kind="state", action="next_track")) >= 2, timeout=3)
    tracks = [e["track"] for e in home.events(kind="state", action="next_track")][:2]
    assert tracks == [2, 1]


def test_position_advances_while_playing_and_freezes_when_paused(household):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    info = kitchen.get_current_track_info()
    assert info["playlist_position"] == "2" and info["title"] == "All Blues" and info["duration"] == "0:11:33"
    first = home.players["Kitchen"].state().position
    time.sleep(0.3)
    second = home.players["Kitchen"].state().position
    assert 0.25 <= second - first < 0.6
    kitchen.pause()
    paused = home.players["Kitchen"].state()
    time.sleep(0.2)
    assert home.players["Kitchen"].state().position == paused.position
    assert paused.transport_state == "PAUSED_PLAYBACK"


def test_seek_and_illegal_seek(household):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    kitchen.seek("0:02:00")
    assert 120 <= home.players["Kitchen"].state().position < 121
    with pytest.raises(SoCoUPnPException) as raised:
        kitchen.seek("1:00:00")
    assert raised.value.error_code == "711"
    kitchen.play_from_queue(2, start=False)
    assert home.players["Kitchen"].state().track == 3


def test_pause_when_stopped_is_701_and_play_on_idle_is_701(household):
    home = household({"players": [{"name": "Idle"}]})
    idle = soco.SoCo(home.players["Idle"].ip)
    for command in (idle.pause, idle.play):
        with pytest.raises(SoCoUPnPException) as raised:
            command()
        assert raised.value.error_code == "701"
    assert home.players["Idle"].state().transport_state == "STOPPED"


def test_http_uri_is_fetched_from_the_player_address_and_stops_at_its_end(household, media_server):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    url = media_server.url("/chime.mp3")
    kitchen.play_uri(url, title="Chime")
    assert (home.players["Kitchen"].ip, "/chime.mp3") in media_server.requests
    wait_for(lambda: home.players["Kitchen"].state().transport_state == "PLAYING")
    info = kitchen.get_current_track_info()
    assert info["duration"] == "0:00:02" and info["uri"] == url
    wait_for(lambda: home.players["Kitchen"].state().transport_state == "STOPPED", timeout=4)
    events = {e["action"]: e["mono"] for e in home.events(kind="state", player="Kitchen")}
    assert 1.95 <= events["end_of_media"] - events["playing"] < 2.6
    final = home.players["Kitchen"].state()
    assert final.uri == url and final.position == 0.0


def test_wav_duration_comes_from_its_header(household, media_server):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    kitchen.play_uri(media_server.url("/chime.wav"), start=False)
    assert kitchen.get_current_track_info()["duration"] == "0:00:01"


def test_long_mp3_without_xing_header_gets_its_full_duration_and_seeks(household, media_server):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    url = media_server.add("/song.mp3", "audio/mpeg", silent_mp3(300.0))
    kitchen.play_uri(url, start=False)
    assert kitchen.get_current_track_info()["duration"] == "0:05:00"
    kitchen.seek("0:00:43")
    assert home.players["Kitchen"].state().position == 43.0


def test_not_audio_is_714_at_set_uri_and_source_is_kept(household, media_server):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    with pytest.raises(SoCoUPnPException) as raised:
        kitchen.play_uri(media_server.url("/page.html"))
    assert raised.value.error_code == "714"
    assert home.players["Kitchen"].state().uri == "x-rincon-queue:RINCON_000E58A0000101400#0"
    assert [e["fault"] for e in home.requests("SetAVTransportURI")] == [714]


@pytest.mark.parametrize("path", ["/missing.mp3", "unreachable"])
def test_missing_or_unreachable_uri_fails_after_play(household, media_server, path):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    url = "http://127.0.0.1:9/nothing.mp3" if path == "unreachable" else media_server.url(path)
    kitchen.play_uri(url)
    wait_for(lambda: home.players["Kitchen"].state().transport_status != "OK")
    info = kitchen.get_current_transport_info()
    assert info["current_transport_state"] == "STOPPED"
    assert info["current_transport_status"] == "ERROR_OCCURRED"
    assert any(e["action"].startswith("playback_failed") for e in home.events(kind="state"))


def test_queue_browse_add_and_clear(household):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    queue = kitchen.get_queue()
    assert [item.title for item in queue] == ["Blue in Green", "All Blues", "Flamenco Sketches"]
    assert queue.total_matches == 3
    kitchen.clear_queue()
    assert len(kitchen.get_queue()) == 0
    for item in queue:
        kitchen.add_uri_to_queue(item.get_uri())
    assert [item.title for item in kitchen.get_queue()] == ["Blue in Green", "All Blues", "Flamenco Sketches"]
    assert home.players["Kitchen"].state().queue_length == 3


def test_volume_mute_eq_and_ramp(household):
    home = household({"ramp_speedup": 40.0, "players": [{"name": "Den", "state": {"volume": 10}}]})
    den = soco.SoCo(home.players["Den"].ip)
    den.volume = 33
    den.mute = True
    den.bass = -4
    den.treble = 6
    den.loudness = False
    assert (den.volume, den.mute, den.bass, den.treble, den.loudness) == (33, True, -4, 6, False)
    # A sleep timer ramp goes from the volume there is at 1.25 steps a second: 16 s, 0.4 s here.
    assert den.ramp_to_volume(53) == 0
    wait_for(lambda: home.players["Den"].state().volume == 53, timeout=2)
    state = home.players["Den"].state()
    assert (state.mute, state.bass, state.treble, state.loudness) == (True, -4, 6, False)
    ramp_volumes = [e["volume"] for e in home.events(kind="state", action="ramp")]
    assert ramp_volumes == sorted(ramp_volumes) and len(ramp_volumes) > 2 and ramp_volumes[0] > 33
    wait_for(lambda: home.events(kind="state", action="ramp_end"), timeout=2)


def test_an_autoplay_ramp_starts_from_silence(household):
    home = household({"players": [{"name": "Den", "state": {"volume": 40}}]})
    den = soco.SoCo(home.players["Den"].ip)
    assert den.ramp_to_volume(30, "AUTOPLAY_RAMP_TYPE") == 0  # 50 steps a second: 0.6 s
    wait_for(lambda: home.events(kind="state", action="ramp_end"), timeout=3)
    ramp_volumes = [e["volume"] for e in home.events(kind="state", action="ramp")]
    assert ramp_volumes[0] == 0 and ramp_volumes[-1] == 30 and ramp_volumes == sorted(ramp_volumes)
    assert den.ramp_to_volume(10) == 16  # a sleep timer ramp at its real speed: 20 steps in 16 s
    den.volume = 30  # and a volume set ends it


def test_line_in_of_another_player_can_be_selected_but_not_of_a_player_without_one(household):
    home = household({"players": [{"name": "Port", "model": "Sonos Port"}, {"name": "One", "model": "Sonos One"}]})
    one = soco.SoCo(home.players["One"].ip)
    one.switch_to_line_in(soco.SoCo(home.players["Port"].ip))
    assert home.players["One"].state().uri == f"x-rincon-stream:{home.players['Port'].uid}"
    with pytest.raises(SoCoUPnPException) as raised:
        one.switch_to_line_in()
    assert raised.value.error_code == "701"
    with pytest.raises(SoCoUPnPException):
        one.switch_to_tv()


def test_sleep_timer_pauses_the_transport_when_it_runs_out(household):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    kitchen.set_sleep_timer(1)
    remaining = kitchen.get_sleep_timer()
    assert remaining in (0, 1)
    wait_for(lambda: home.players["Kitchen"].state().transport_state == "PAUSED_PLAYBACK", timeout=3)
    assert kitchen.get_sleep_timer() is None
    kitchen.set_sleep_timer(600)
    kitchen.set_sleep_timer(None)
    assert kitchen.get_sleep_timer() is None


def test_next_wraps_in_repeat_all_and_is_711_at_the_end_in_normal(household):
    home = household("lone-player.yml")
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    kitchen.play_from_queue(2, start=False)
    kitchen.next()
    assert home.players["Kitchen"].state().track == 1
    kitchen.play_mode = "NORMAL"
    kitchen.play_from_queue(2, start=False)
    with pytest.raises(SoCoUPnPException) as raised:
        kitchen.next()
    assert raised.value.error_code == "711"


def test_balance_sets_the_channels_and_leaves_the_master_volume(household):
    home = household({"players": [{"name": "Den", "model": "Sonos Arc", "state": {"volume": 30}}]})
    den = soco.SoCo(home.players["Den"].ip)
    den.balance = (100, 60)
    assert den.balance == (100, 60)
    assert den.volume == 30
    den.night_mode = True
    den.audio_delay = 3
    assert (den.night_mode, den.audio_delay, den.surround_enabled) == (True, 3, True)
    assert den.get_speaker_info(refresh=True)["player_icon"] == "/img/icon-S19.png"
