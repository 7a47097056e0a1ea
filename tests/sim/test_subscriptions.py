"""An outside listener: SoCo's own event listener subscribes, as Home Assistant does, to every
service a real player events, on every visible player of every household file, and gets the
first event of each with what polling says (issue #24)."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import soco
from soco import events
from soco.data_structures_entry import from_didl_string
from soco.events import Subscription
from soco.services import Queue, Service
from sonos_sim.gena import PROPERTY_SERVICES
from sonos_sim.services import ALL_SERVICES
from sonos_sim.testing import RunningHousehold

HOUSEHOLDS = sorted((Path(__file__).parent.parent / "households").glob("*.yml"))

# homeassistant/components/sonos/speaker.py SUBSCRIPTION_SERVICES: a speaker whose
# subscription to any of these fails is marked offline.
HOME_ASSISTANT_SERVICES = ("avTransport", "renderingControl", "zoneGroupTopology", "deviceProperties", "alarmClock",
                           "contentDirectory")

# What each first event must carry, in SoCo's names (camel case to underscores).
FIRST_EVENT_VARIABLES = {
    "AVTransport": {"transport_state", "current_play_mode", "current_track_uri", "av_transport_uri",
                    "current_transport_actions", "enqueued_transport_uri_meta_data"},
    "RenderingControl": {"volume", "mute", "bass", "treble", "loudness"},
    "ZoneGroupTopology": {"zone_group_state"},
    "DeviceProperties": {"zone_name", "icon", "configuration", "invisible", "is_zone_bridge", "channel_map_set",
                         "ht_sat_chan_map_set", "more_info", "mic_enabled", "supports_audio_in"},
    # Exactly the variables of Home Assistant's alarm_event fixture.
    "AlarmClock": {"time_zone", "time_server", "time_generation", "alarm_list_version", "time_format", "date_format",
                   "daily_index_refresh_time"},
    "ContentDirectory": {"system_update_id", "container_update_i_ds", "share_index_in_progress", "favorites_update_id",
                         "saved_queues_update_id"},
    "Queue": {"update_id", "curated", "queue_owner_id"},
    "GroupRenderingControl": {"group_volume", "group_mute", "group_volume_changeable"},
}


@pytest.fixture
def soco_events() -> Iterator[None]:
    yield
    events.event_listener.stop()


def visible_players(home: RunningHousehold) -> list[soco.SoCo]:
    return [soco.SoCo(home.players[p.name].ip) for p in home.spec.players if p.bonded_to is None]


def first_event(subscription: Subscription) -> events.Event:
    # Generous: a loaded CI machine delivers 150 first events at once from thirty-two players.
    event = subscription.events.get(timeout=10.0)
    assert event.seq == "0", subscription.service.service_type
    return event


def polled(player: soco.SoCo, service: Service) -> dict[str, str]:
    """What the player answers when polled for the values its first event of `service` carries."""
    if service.service_type == "AVTransport":
        return {"transport_state": player.get_current_transport_info()["current_transport_state"]}
    if service.service_type == "DeviceProperties":
        attributes = player.deviceProperties.GetZoneAttributes()
        invisible = player.deviceProperties.GetInvisible()["CurrentInvisible"]
        return {"zone_name": attributes["CurrentZoneName"], "icon": attributes["CurrentIcon"], "invisible": invisible}
    if service.service_type == "AlarmClock":
        return {"alarm_list_version": player.alarmClock.ListAlarms()["CurrentAlarmListVersion"]}
    if service.service_type == "ContentDirectory":
        indexing = player.contentDirectory.GetShareIndexInProgress()["IsIndexing"]
        return {"share_index_in_progress": indexing}
    return {}


def check_subscription(player: soco.SoCo, service_name: str) -> None:
    """One of Home Assistant's subscriptions: a first event as polled, a renewal, an unsubscribe."""
    subscription = getattr(player, service_name).subscribe()
    assert subscription.is_subscribed, f"SUBSCRIBE to {service_name} on {player.ip_address} failed"
    try:
        check_first_event(player, subscription)
        subscription.renew()  # SUBSCRIBE with the SID: a 412 would raise
    finally:
        subscription.unsubscribe()


def check_first_event(player: soco.SoCo, subscription: Subscription) -> None:
    event = first_event(subscription)
    service = subscription.service
    missing = FIRST_EVENT_VARIABLES[service.service_type] - set(event.variables)
    assert not missing, f"{player.ip_address} {service.service_type} lacks {missing}"
    for name, value in polled(player, service).items():
        assert event.variables[name] == value, f"{player.ip_address} {service.service_type} {name}"


@pytest.mark.parametrize("household_file", HOUSEHOLDS, ids=lambda path: path.stem)
def test_home_assistants_six_subscriptions_get_their_first_event_everywhere(household, soco_events, household_file):
    home = household(household_file, ssdp=False)
    players = visible_players(home)
    events.event_listener.start(players[0])
    wanted = [(player, name) for player in players for name in HOME_ASSISTANT_SERVICES]
    # All at once, as Home Assistant subscribes: a slow player costs its latency a few times, not once per request.
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda pair: check_subscription(*pair), wanted))
    unsubscribed = [e for e in home.requests() if e["action"].startswith("UNSUBSCRIBE")]
    assert len(unsubscribed) == len(wanted)
    assert all(e["result"]["status"] == 200 for e in unsubscribed)


def test_favorites_event_is_what_home_assistant_reads(household, soco_events):
    """favorites.py takes the number after FV:2 in ContainerUpdateIDs and the last one of FavoritesUpdateID."""
    home = household("lone-player.yml", ssdp=False)
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    subscription = kitchen.contentDirectory.subscribe()
    try:
        variables = first_event(subscription).variables
        browsed = kitchen.music_library.get_sonos_favorites()
        assert f"FV:2,{browsed.update_id}" in variables["container_update_i_ds"]
        assert int(variables["favorites_update_id"].split(",")[-1]) == browsed.update_id
    finally:
        subscription.unsubscribe()


def test_group_rendering_and_queue_events_agree_with_polling(household, soco_events):
    home = household("group-on-radio.yml", ssdp=False)
    living = soco.SoCo(home.players["Living Room"].ip)
    dining = soco.SoCo(home.players["Dining Room"].ip)
    group_rendering = living.groupRenderingControl.subscribe()
    member_group_rendering = dining.groupRenderingControl.subscribe()
    queue_service = Queue(living)
    queue_subscription = queue_service.subscribe()
    try:
        first = first_event(group_rendering).variables
        assert first["group_volume"] == str(living.group.volume)
        assert first["group_mute"] == ("1" if living.group.mute else "0")
        assert first_event(member_group_rendering).variables["group_volume"] == first["group_volume"]
        browsed = queue_service.Browse([("QueueID", 0), ("StartingIndex", 0), ("RequestedCount", 1)])
        assert first_event(queue_subscription).variables["update_id"] == browsed["UpdateID"]
        living.group.volume = 10
        changed = group_rendering.events.get(timeout=3.0)
        assert (changed.seq, changed.variables["group_volume"]) == ("1", str(living.group.volume))
    finally:
        for subscription in (group_rendering, member_group_rendering, queue_subscription):
            subscription.unsubscribe()


def test_a_rename_is_a_device_properties_event(household, soco_events):
    home = household("lone-player.yml", ssdp=False)
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    subscription = kitchen.deviceProperties.subscribe()
    try:
        assert first_event(subscription).variables["zone_name"] == "Kitchen"
        kitchen.player_name = "Scullery"
        renamed = subscription.events.get(timeout=3.0)
        assert (renamed.seq, renamed.variables["zone_name"]) == ("1", "Scullery")
        kitchen.volume = 5  # a change DeviceProperties does not carry: no event
        with pytest.raises(queue.Empty):
            subscription.events.get(timeout=0.5)
    finally:
        subscription.unsubscribe()


def test_every_variable_sent_is_declared_evented(household):
    home = household("thirty-two-players.yml", ssdp=False)
    declared = {service.name: set(service.evented) for service in ALL_SERVICES}
    for player in home.model.players.values():
        for service, properties in PROPERTY_SERVICES.items():
            names = {name for name, _ in properties(home.model, player)}
            assert names <= declared[service], f"{service} sends undeclared {names - declared[service]}"


# ---- events and polling agree (issue #24 part 2) ------------------------------------------

SOURCE_STATES = {
    "queue": {"source": "queue", "queue": [{"title": "One", "duration": 300}, {"title": "Two", "duration": 200}], "track": 2,
              "position": 42.0, "transport_state": "PLAYING", "play_mode": "SHUFFLE_NOREPEAT"},
    "radio": {"source": "radio", "uri": "x-sonosapi-stream:s44255?sid=254&flags=8224&sn=0", "title": "FIP",
              "stream_content": "Miles Davis - So What", "transport_state": "PLAYING"},
    "http": {"source": "http", "uri": "http://127.0.0.1:9/long.mp3", "title": "Long", "duration": 30.0, "position": 5.0,
             "transport_state": "PAUSED_PLAYBACK"},
    "line_in": {"source": "line_in", "transport_state": "PLAYING"},
    "tv": {"source": "tv", "transport_state": "PLAYING"},
    "idle": {},
    "cloud": {"source": "cloud", "uri": "x-sonos-vli:RINCON_000E58A0001001400:1,spotify:7c1b3a2e", "transport_state": "PLAYING"},
    # A music service's app playing its own queue on the player (Sonos app "cloud queue").
    "cloud_queue": {"source": "cloud_queue", "transport_state": "PAUSED_PLAYBACK"},
    # Den follows Hall, which plays the radio: a member reports its x-rincon: URI.
    "member": {},
}


def didl_summary(value: object) -> tuple[str, str]:
    """(title, stream content) of DIDL metadata however it arrives: parsed by SoCo's event
    parser, as a SOAP answer's string, or none ("" in events, NOT_IMPLEMENTED when polled)."""
    parsed = didl_parsed(value)
    return (parsed.get("title", ""), parsed.get("stream_content", "") or "")


def didl_parsed(value: object) -> dict[str, object]:
    """All of DIDL metadata as SoCo parses it ({} for none), to compare an event's with an answer's."""
    if isinstance(value, str):
        if not value.startswith("<DIDL"):
            return {}
        value = from_didl_string(value)[0]
    return value.to_dict() if hasattr(value, "to_dict") else {}


def no_duration_as_none(value: str) -> str | None:
    """A track without a duration: "" in an event, 0:00:00 or NOT_IMPLEMENTED when polled."""
    return None if value in ("", "0:00:00", "NOT_IMPLEMENTED") else value


def polled_transport(player: soco.SoCo) -> dict[str, object]:
    """The AVTransport and RenderingControl values a first event also carries, as polled, in SoCo's event names."""
    position = player.avTransport.GetPositionInfo([("InstanceID", 0)])
    media = player.avTransport.GetMediaInfo([("InstanceID", 0)])
    info = player.avTransport.GetTransportInfo([("InstanceID", 0)])
    return {
        "transport_state": info["CurrentTransportState"],
        "transport_status": info["CurrentTransportStatus"],
        "current_play_mode": player.avTransport.GetTransportSettings([("InstanceID", 0)])["PlayMode"],
        "current_transport_actions": player.avTransport.GetCurrentTransportActions([("InstanceID", 0)])["Actions"],
        "current_track": position["Track"],
        "current_track_uri": position["TrackURI"],
        "current_track_duration": no_duration_as_none(position["TrackDuration"]),
        "current_track_meta_data": didl_parsed(position["TrackMetaData"]),
        "number_of_tracks": media["NrTracks"],
        "av_transport_uri": media["CurrentURI"],
        "av_transport_uri_meta_data": didl_parsed(media["CurrentURIMetaData"]),
        "next_av_transport_uri": media["NextURI"],
        "next_av_transport_uri_meta_data": didl_parsed(media["NextURIMetaData"]),
        "playback_storage_medium": media["PlayMedium"],
        "volume": str(player.volume),
        "mute": "1" if player.mute else "0",
    }


def evented_transport(player: soco.SoCo) -> dict[str, object]:
    subscriptions = (player.avTransport.subscribe(), player.renderingControl.subscribe())
    try:
        transport, rendering = (first_event(subscription).variables for subscription in subscriptions)
    finally:
        for subscription in subscriptions:
            subscription.unsubscribe()
    values = {name: transport[name] for name in ("transport_state", "transport_status", "current_play_mode",
                                                 "current_transport_actions", "current_track", "current_track_uri",
                                                 "number_of_tracks", "av_transport_uri", "next_av_transport_uri",
                                                 "playback_storage_medium")}
    values["current_track_duration"] = no_duration_as_none(transport["current_track_duration"])
    for name in ("current_track_meta_data", "av_transport_uri_meta_data", "next_av_transport_uri_meta_data"):
        values[name] = didl_parsed(transport[name])
    values["volume"], values["mute"] = rendering["volume"]["Master"], rendering["mute"]["Master"]
    return {**values, "enqueued": didl_summary(transport["enqueued_transport_uri_meta_data"])}


MEMBER_DISAGREES = pytest.mark.xfail(strict=True, reason=(
    "a member's event says CurrentTrackURI x-rincon:<coordinator>, no track metadata and NumberOfTracks 1, as Home "
    "Assistant expects (speaker.py async_dispatch_media_update); polled, it answers the coordinator's track and NrTracks 0: "
    "no public capture of a member's GetPositionInfo/GetMediaInfo found yet to say which side to change"))


@pytest.mark.parametrize("source", [pytest.param(s, marks=MEMBER_DISAGREES) if s == "member" else s for s in SOURCE_STATES])
def test_first_transport_and_rendering_events_say_what_polling_says(household, soco_events, source):
    model = "Sonos Arc" if source == "tv" else "Sonos Five"
    spec = {"players": [{"name": "Den", "model": model, "state": {"volume": 20, **SOURCE_STATES[source]}}]}
    if source == "member":
        spec["players"].append({"name": "Hall", "state": SOURCE_STATES["radio"]})
        spec["groups"] = [{"coordinator": "Hall", "members": ["Den"]}]
    home = household(spec, ssdp=False)
    den = soco.SoCo(home.players["Den"].ip)
    evented = evented_transport(den)
    enqueued = evented.pop("enqueued")
    assert evented == polled_transport(den)
    if source == "radio":
        # Home Assistant names the station from EnqueuedTransportURIMetaData and the song from
        # CurrentTrackMetaData's stream content (components/sonos/media.py).
        assert enqueued[0] == "FIP"
        track = evented["current_track_meta_data"]
        assert (track["title"], track["stream_content"]) == ("FIP", "Miles Davis - So What")
    if source == "tv":
        # Home Assistant's tv_event fixture (a real Arc's event, tests/components/sonos/conftest.py).
        uri_metadata, track = evented["av_transport_uri_meta_data"], evented["current_track_meta_data"]
        assert (uri_metadata["item_id"], uri_metadata["parent_id"], uri_metadata["title"]) == ("spdif-input", "0", home.players["Den"].uid)
        assert (track["item_id"], track["title"], track.get("resources", [])) == ("-1", " ", [])
