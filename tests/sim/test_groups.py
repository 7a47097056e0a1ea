"""Groups: coordinator/member semantics, join/unjoin/partymode, refusals."""

from __future__ import annotations

import pytest
import soco
from soco.exceptions import SoCoSlaveException, SoCoUPnPException

from .helpers import wait_for

RADIO = "group-on-radio.yml"


def zones(home):
    return {name: soco.SoCo(handle.ip) for name, handle in home.players.items()}


def test_member_reports_coordinator_and_follows_its_transport(household):
    home = household(RADIO)
    z = zones(home)
    dining = home.players["Dining Room"].state()
    assert dining.uri == "x-rincon:RINCON_000E58A0000201400"
    assert dining.coordinator_uid == "RINCON_000E58A0000201400"
    assert z["Dining Room"].get_current_transport_info()["current_transport_state"] == "PLAYING"
    z["Living Room"].pause()
    assert z["Dining Room"].get_current_transport_info()["current_transport_state"] == "PAUSED_PLAYBACK"
    paused = [e["player"] for e in home.events(kind="state", action="Pause")]
    assert paused == ["Living Room", "Dining Room"]


def test_transport_command_to_a_member_is_refused_with_800(household):
    home = household(RADIO)
    dining = zones(home)["Dining Room"]
    with pytest.raises(SoCoSlaveException):
        dining.play_uri("x-rincon-mp3radio://example.org/stream")
    with pytest.raises(SoCoUPnPException) as raised:
        dining.avTransport.Pause([("InstanceID", 0)])
    assert raised.value.error_code == "800"
    assert home.players["Living Room"].state().transport_state == "PLAYING"


def test_join_unjoin_and_partymode_change_the_topology(household):
    home = household(RADIO)
    z = zones(home)
    z["Office"].join(z["Living Room"])
    z["Living Room"].zone_group_state.clear_cache()
    assert z["Living Room"].group.members == {z["Living Room"], z["Dining Room"], z["Office"]}
    assert home.players["Office"].state().transport_state == "PLAYING"
    z["Dining Room"].unjoin()
    z["Living Room"].zone_group_state.clear_cache()
    assert z["Dining Room"].group.members == {z["Dining Room"]}
    assert home.players["Dining Room"].state().transport_state == "STOPPED"
    assert home.players["Dining Room"].state().uri == ""
    z["Dining Room"].partymode()
    z["Living Room"].zone_group_state.clear_cache()
    assert len(z["Dining Room"].group.members) == 3
    assert z["Dining Room"].group.coordinator == z["Dining Room"]


def test_member_switching_source_leaves_the_group(household, media_server):
    home = household(RADIO)
    z = zones(home)
    z["Dining Room"].unjoin()
    z["Dining Room"].play_uri(media_server.url("/chime.wav"))
    z["Living Room"].zone_group_state.clear_cache()
    assert z["Living Room"].group.members == {z["Living Room"]}
    assert home.players["Living Room"].state().transport_state == "PLAYING"


def test_coordinator_leaving_hands_the_group_to_the_next_member(household):
    home = household(RADIO)
    z = zones(home)
    z["Living Room"].join(z["Office"])
    living = home.players["Living Room"].state()
    dining = home.players["Dining Room"].state()
    assert living.coordinator_uid == home.players["Office"].uid
    assert dining.coordinator_uid == home.players["Dining Room"].uid
    assert dining.uri.startswith("x-sonosapi-stream:") and dining.transport_state == "PLAYING"


def test_group_volume_keeps_proportions_and_group_mute(household):
    home = household(RADIO)
    living = zones(home)["Living Room"]
    assert living.group.volume == 26
    living.group.volume = 36
    assert (home.players["Living Room"].state().volume, home.players["Dining Room"].state().volume) == (40, 32)
    living.group.mute = True
    assert home.players["Dining Room"].state().mute and home.players["Living Room"].state().mute


def test_a_coordinator_leaving_mid_transition_leaves_the_heir_playing(household):
    home = household({
        "transition_time": 0.3,
        "players": [{"name": "A", "state": {"source": "radio", "uri": "x-rincon-mp3radio://r.example/s"}}, {"name": "B"}, {"name": "C"}],
        "groups": [{"coordinator": "A", "members": ["B"]}],
    })
    a, c = soco.SoCo(home.players["A"].ip), soco.SoCo(home.players["C"].ip)
    a.play()
    a.join(c)
    b_state = home.players["B"].state()
    assert (b_state.coordinator_uid, b_state.transport_state) == (home.players["B"].uid, "TRANSITIONING")
    wait_for(lambda: home.players["B"].state().transport_state == "PLAYING", timeout=2)
    assert home.players["A"].state().coordinator_uid == home.players["C"].uid
