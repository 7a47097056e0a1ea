"""UPnP eventing with SoCo's own event listener: initial state, then one event per change."""

from __future__ import annotations

import queue

import pytest
import soco
from soco import events


@pytest.fixture
def soco_events():
    yield events
    events.event_listener.stop()


def next_event(subscription, timeout: float = 3.0):
    return subscription.events.get(timeout=timeout)


def test_transport_events_reach_coordinator_and_member_subscribers(household, soco_events, media_server):
    home = household("group-on-radio.yml")
    living = soco.SoCo(home.players["Living Room"].ip)
    dining = soco.SoCo(home.players["Dining Room"].ip)
    living_sub = living.avTransport.subscribe()
    dining_sub = dining.avTransport.subscribe()
    try:
        first = next_event(living_sub)
        assert (first.seq, first.variables["transport_state"]) == ("0", "PLAYING")
        assert next_event(dining_sub).variables["av_transport_uri"] == f"x-rincon:{home.players['Living Room'].uid}"
        living.pause()
        assert next_event(living_sub).variables["transport_state"] == "PAUSED_PLAYBACK"
        paused = next_event(dining_sub)
        assert (paused.seq, paused.variables["transport_state"]) == ("1", "PAUSED_PLAYBACK")
        living.play_uri(media_server.url("/chime.wav"))
        states = [next_event(living_sub).variables["transport_state"] for _ in range(4)]
        assert states == ["STOPPED", "TRANSITIONING", "PLAYING", "STOPPED"]
    finally:
        living_sub.unsubscribe()
        dining_sub.unsubscribe()


def test_rendering_and_topology_events(household, soco_events):
    home = household("group-on-radio.yml")
    living = soco.SoCo(home.players["Living Room"].ip)
    dining = soco.SoCo(home.players["Dining Room"].ip)
    rendering = living.renderingControl.subscribe()
    topology = living.zoneGroupTopology.subscribe()
    try:
        assert next_event(rendering).variables["volume"]["Master"] == "30"
        assert "zone_group_state" in next_event(topology).variables
        living.volume = 12
        assert next_event(rendering).variables["volume"]["Master"] == "12"
        dining.unjoin()
        changed = next_event(topology)
        assert changed.seq == "1"
        assert changed.variables["zone_group_state"].count("<ZoneGroup ") == 3
    finally:
        rendering.unsubscribe()
        topology.unsubscribe()
    subscribes = [e["action"] for e in home.requests() if "SUBSCRIBE" in e["action"]]
    assert subscribes.count("UNSUBSCRIBE /ZoneGroupTopology/Event") == 1


def test_a_regroup_is_one_topology_event(household, soco_events):
    home = household({
        "players": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
        "faults": [{"kind": "regroup", "at": 0.5, "groups": [{"coordinator": "A", "members": ["B", "C"]}]}],
    })
    topology = soco.SoCo(home.players["C"].ip).zoneGroupTopology.subscribe()
    try:
        assert next_event(topology).seq == "0"
        changed = next_event(topology)
        assert changed.seq == "1" and changed.variables["zone_group_state"].count("<ZoneGroup ") == 1
        with pytest.raises(queue.Empty):  # nothing else was sent
            topology.events.get(timeout=0.5)
    finally:
        topology.unsubscribe()
