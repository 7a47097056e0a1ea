"""Outside listeners as their users run them (issue #24 part 6).

- SoCo's asyncio event listener (soco.events_asyncio), called the way Home Assistant's Sonos
  integration calls it (homeassistant/components/sonos/speaker.py: the six services of
  SUBSCRIPTION_SERVICES, `subscribe(auto_renew=True, requested_timeout=SUBSCRIPTION_TIMEOUT)`
  all at once, the callback set on the subscription afterwards, unsubscribe all at once).
- async_upnp_client's DLNA renderer profile (DmrDevice on an AiohttpNotifyServer), as Home
  Assistant's dlna_dmr integration runs it: AVTransport, RenderingControl and ConnectionManager.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import defusedxml.ElementTree as ET
import pytest
import soco
from async_upnp_client.aiohttp import AiohttpNotifyServer, AiohttpRequester
from async_upnp_client.client import UpnpService, UpnpStateVariable
from async_upnp_client.client_factory import UpnpFactory
from async_upnp_client.profiles.dlna import DmrDevice, TransportState
from soco import events_asyncio
from soco.events_base import Event, SubscriptionBase
from sonos_sim.testing import RunningHousehold

from .test_subscriptions import (
    FIRST_EVENT_VARIABLES,
    HOME_ASSISTANT_SERVICES,
    HOUSEHOLDS,
    polled,
    visible_players,
)

# homeassistant/components/sonos/const.py
SUBSCRIPTION_TIMEOUT = 1200

# What speaker.py and media.py read beyond FIRST_EVENT_VARIABLES: the crossfade switch and,
# on a soundbar, the home-theatre controls (async_update_volume).
HOME_ASSISTANT_READS = {
    **FIRST_EVENT_VARIABLES,
    "AVTransport": FIRST_EVENT_VARIABLES["AVTransport"] | {"current_crossfade_mode", "current_track_meta_data",
                                                           "current_track_duration", "number_of_tracks"},
    "RenderingControl": FIRST_EVENT_VARIABLES["RenderingControl"] | {"sub_enabled", "sub_gain", "sub_crossover"},
}
SOUNDBAR_READS = {"dialog_level", "speech_enhance_enabled", "night_mode", "surround_enabled", "surround_level",
                  "music_surround_level", "audio_delay"}

# Generous: a loaded CI machine delivers nearly two hundred first events at once from thirty-two players.
EVENT_TIMEOUT = 10.0

Notified = list[tuple[str, str]]


@pytest.fixture
def asyncio_listener(monkeypatch: pytest.MonkeyPatch) -> Iterator[Notified]:
    """SoCo set up as Home Assistant sets it up (EVENTS_MODULE = events_asyncio), with a listener
    and subscription map of this test's own; yields every NOTIFY (SID, SEQ) the listener got,
    including those for SIDs it no longer knows."""
    monkeypatch.setattr(soco.config, "EVENTS_MODULE", events_asyncio)
    monkeypatch.setattr(events_asyncio, "subscriptions_map", events_asyncio.SubscriptionsMapAio())
    monkeypatch.setattr(events_asyncio, "event_listener", events_asyncio.EventListener())
    notified: Notified = []
    notify = events_asyncio.EventNotifyHandler.notify

    async def recording_notify(self: events_asyncio.EventNotifyHandler, request: Any) -> Any:
        notified.append((request.headers["sid"], request.headers["seq"]))
        return await notify(self, request)

    monkeypatch.setattr(events_asyncio.EventNotifyHandler, "notify", recording_notify)
    yield notified


def run_with_listener(coroutine: Any) -> None:
    """Run a test's coroutine; the listener stops on the same loop, whatever happens."""

    async def run() -> None:
        try:
            await coroutine
        finally:
            await events_asyncio.event_listener.async_stop()

    asyncio.run(run())


class HomeAssistantSubscription:
    """One of SonosSpeaker._subscriptions, with the events its callback was given."""

    def __init__(self, subscription: SubscriptionBase) -> None:
        self.subscription = subscription
        self.received: asyncio.Queue[Event] = asyncio.Queue()
        subscription.callback = self.received.put_nowait
        # An event that came before the callback was set waits on SoCo's own queue.
        while not subscription.events.empty():
            self.received.put_nowait(subscription.events.get_nowait())

    @classmethod
    async def create(cls, player: soco.SoCo, service_name: str, timeout: int = SUBSCRIPTION_TIMEOUT) -> HomeAssistantSubscription:
        subscription = await getattr(player, service_name).subscribe(auto_renew=True, requested_timeout=timeout)
        return cls(subscription)

    async def next_event(self) -> Event:
        return await asyncio.wait_for(self.received.get(), EVENT_TIMEOUT)


async def eventually(condition: Callable[[], Any], timeout: float = EVENT_TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)
    return value


def check_as_home_assistant_reads(event: Event, soundbar: bool) -> None:
    """Every variable Home Assistant reads is there, in the form its parsing takes."""
    service_type = event.service.service_type
    variables = event.variables
    wanted = HOME_ASSISTANT_READS[service_type] | (SOUNDBAR_READS if soundbar and service_type == "RenderingControl" else set())
    missing = wanted - set(variables)
    assert not missing, f"{event.service.soco.ip_address} {service_type} lacks {missing}"
    if service_type == "RenderingControl":
        int(variables["volume"]["Master"])
        assert {variables["mute"]["Master"], variables["loudness"]["Master"]} <= {"0", "1"}
        int(variables["bass"]), int(variables["treble"])
    elif service_type == "ZoneGroupTopology":
        ET.fromstring(variables["zone_group_state"])
    elif service_type == "DeviceProperties":
        bool(int(variables["mic_enabled"]))
    elif service_type == "AlarmClock":
        int(variables["alarm_list_version"].split(":")[-1])
    elif service_type == "ContentDirectory":
        assert "FV:2," in variables["container_update_i_ds"]
        int(variables["favorites_update_id"].split(",")[-1])
    elif service_type == "AVTransport":
        assert variables["transport_state"] in ("PLAYING", "PAUSED_PLAYBACK", "STOPPED", "TRANSITIONING")
        bool(int(variables["current_crossfade_mode"]))


def polled_as_evented(player: soco.SoCo, event: Event) -> dict[str, Any]:
    """What polling says of the values checked, in the event's form."""
    if event.service.service_type == "RenderingControl":
        return {"volume": {**event.variables["volume"], "Master": str(player.volume)},
                "mute": {**event.variables["mute"], "Master": "1" if player.mute else "0"}}
    return polled(player, event.service)


def home_assistant_services(home: RunningHousehold) -> list[tuple[soco.SoCo, str, bool]]:
    soundbars = {home.players[name].ip for name, player in home.model.players.items() if player.is_soundbar}
    return [(player, name, player.ip_address in soundbars) for player in visible_players(home) for name in HOME_ASSISTANT_SERVICES]


@pytest.mark.parametrize("household_file", HOUSEHOLDS, ids=lambda path: path.stem)
def test_home_assistants_asyncio_subscriptions_everywhere(household, asyncio_listener, household_file):
    home = household(household_file, ssdp=False)
    wanted = home_assistant_services(home)
    sids: list[str] = []

    async def scenario() -> None:
        created = await asyncio.gather(*(HomeAssistantSubscription.create(player, name) for player, name, _ in wanted))
        sids.extend(created.subscription.sid for created in created)
        for (player, _, soundbar), subscribed in zip(wanted, created, strict=True):
            assert subscribed.subscription.timeout == SUBSCRIPTION_TIMEOUT
            event = await subscribed.next_event()
            assert event.seq == "0", event.service.service_type
            check_as_home_assistant_reads(event, soundbar)
            for name, value in (await asyncio.to_thread(polled_as_evented, player, event)).items():
                assert event.variables[name] == value, f"{player.ip_address} {event.service.service_type} {name}"
        await asyncio.gather(*(subscribed.subscription.renew() for subscribed in created))
        assert [subscribed.subscription.sid for subscribed in created] == sids
        await asyncio.gather(*(subscribed.subscription.unsubscribe() for subscribed in created))

    run_with_listener(scenario())
    log = home.requests()
    renewals = [e for e in log if e["action"].startswith("SUBSCRIBE") and e["args"].get("SID")]
    assert sorted(e["args"]["SID"] for e in renewals) == sorted(sids)
    assert all(e["result"] == {"status": 200, "SID": e["args"]["SID"]} for e in renewals)
    unsubscribed = [e for e in log if e["action"].startswith("UNSUBSCRIBE")]
    assert sorted(e["args"]["SID"] for e in unsubscribed) == sorted(sids)
    assert all(e["result"]["status"] == 200 for e in unsubscribed)


def test_auto_renewal_keeps_the_sid_and_an_unsubscribed_sid_gets_nothing_more(household, asyncio_listener):
    home = household("lone-player.yml", ssdp=False)
    player = soco.SoCo(home.players["Kitchen"].ip)
    renewals: dict[str, list[dict[str, Any]]] = {}

    def renewals_of(sid: str) -> list[dict[str, Any]]:
        renewals[sid] = [e for e in home.requests() if e["action"].startswith("SUBSCRIBE") and e["args"].get("SID") == sid]
        return renewals[sid]

    async def scenario() -> None:
        # Renewed at 85 % of two seconds, as SoCo does at 85 % of Home Assistant's 1200.
        short = await HomeAssistantSubscription.create(player, "renderingControl", timeout=2)
        kept = await HomeAssistantSubscription.create(player, "renderingControl")
        dropped = await HomeAssistantSubscription.create(player, "renderingControl")
        for subscribed in (short, kept, dropped):
            assert (await subscribed.next_event()).seq == "0"
        # Two renewals: the second comes after the first two seconds would have run out.
        await eventually(lambda: len(renewals_of(short.subscription.sid)) >= 2)
        await dropped.subscription.unsubscribe()
        for seq, volume in (("1", 7), ("2", 9)):
            await asyncio.to_thread(setattr, player, "volume", volume)
            for subscribed in (short, kept):
                event = await subscribed.next_event()
                assert (event.seq, event.variables["volume"]["Master"]) == (seq, str(volume))
        assert dropped.received.empty()
        assert [seq for sid, seq in asyncio_listener if sid == dropped.subscription.sid] == ["0"]
        await asyncio.gather(short.subscription.unsubscribe(), kept.subscription.unsubscribe())

    run_with_listener(scenario())
    sid = next(iter(renewals))
    assert all(e["result"] == {"status": 200, "SID": sid} for e in renewals[sid])


# ---- async_upnp_client --------------------------------------------------------------------

DMR_SERVICES = ("urn:upnp-org:serviceId:AVTransport", "urn:upnp-org:serviceId:RenderingControl",
                "urn:upnp-org:serviceId:ConnectionManager")
LAST_CHANGE = {"urn:upnp-org:serviceId:AVTransport": "{urn:schemas-upnp-org:metadata-1-0/AVT/}",
               "urn:upnp-org:serviceId:RenderingControl": "{urn:schemas-upnp-org:metadata-1-0/RCS/}"}


def last_change_values(service_id: str, last_change: str) -> dict[str, str]:
    """InstanceID 0 of a LastChange, as a DLNA controller reads it: name -> val (Master channel)."""
    namespace = LAST_CHANGE[service_id]
    instance = ET.fromstring(last_change).find(f"{namespace}InstanceID")
    return {element.tag.split("}")[1]: element.get("val") for element in instance
            if element.get("channel") in (None, "Master")}


class Renderer:
    """A DmrDevice on its own notify server, with the state variables each event carried."""

    def __init__(self, device: Any, notify_server: AiohttpNotifyServer) -> None:
        self.dmr = DmrDevice(device, notify_server.event_handler)
        self.events: dict[str, list[dict[str, str]]] = {}
        self.dmr.on_event = self.on_event

    def on_event(self, service: UpnpService, state_variables: list[UpnpStateVariable]) -> None:
        if state_variables:  # DmrDevice passes the LastChange it has taken apart on as an empty change
            self.events.setdefault(service.service_id, []).append({v.name: v.value for v in state_variables})

    @property
    def service_ids(self) -> set[str]:
        return set(self.events)

    def last_change(self, service_id: str) -> str:
        """The first LastChange of the service, as the player sent it (DmrDevice also passes on the
        variables it took from it, one by one)."""
        return next(event["LastChange"] for event in self.events[service_id] if "LastChange" in event)


async def start_renderer(home: RunningHousehold, name: str) -> tuple[Renderer, AiohttpNotifyServer]:
    requester = AiohttpRequester()
    device = await UpnpFactory(requester, non_strict=True).async_create_device(
        f"http://{home.players[name].ip}:1400/xml/device_description.xml")
    assert DmrDevice.is_profile_device(device)
    notify_server = AiohttpNotifyServer(requester, source=(home.interface, 0))
    await notify_server.async_start_server()
    return Renderer(device, notify_server), notify_server


def test_async_upnp_client_renderer_profile_subscribes_renews_and_unsubscribes(household):
    home = household({"players": [{"name": "Den", "model": "Sonos Five", "state": {
        "volume": 23, "source": "queue", "queue": [{"title": "One", "duration": 300}], "transport_state": "PLAYING"}}]},
        ssdp=False)
    sids: list[str] = []

    async def scenario() -> None:
        renderer, notify_server = await start_renderer(home, "Den")
        handler = notify_server.event_handler
        try:
            await renderer.dmr.async_subscribe_services(auto_resubscribe=True)
            await eventually(lambda: renderer.service_ids >= set(DMR_SERVICES))
            services = {service_id: renderer.dmr.profile_device.service_id(service_id) for service_id in DMR_SERVICES}
            transport = last_change_values(DMR_SERVICES[0], renderer.last_change(DMR_SERVICES[0]))
            rendering = last_change_values(DMR_SERVICES[1], renderer.last_change(DMR_SERVICES[1]))
            protocols = renderer.events[DMR_SERVICES[2]][0]
            # Polled as its users poll: the profile's own actions.
            avt, rc, cm = services.values()
            info = await avt.action("GetTransportInfo").async_call(InstanceID=0)
            position = await avt.action("GetPositionInfo").async_call(InstanceID=0)
            volume = await rc.action("GetVolume").async_call(InstanceID=0, Channel="Master")
            protocol_info = await cm.action("GetProtocolInfo").async_call()
            assert (transport["TransportState"], transport["CurrentTrackURI"]) == (info["CurrentTransportState"], position["TrackURI"])
            assert rendering["Volume"] == str(volume["CurrentVolume"]) == "23"
            assert (protocols["SinkProtocolInfo"], protocols["SourceProtocolInfo"]) == (protocol_info["Sink"], protocol_info["Source"])
            sids.extend(handler.sid_for_service(service) for service in services.values())
            for service, sid in zip(services.values(), sids, strict=True):
                renewed_sid, _ = await handler.async_resubscribe(service)
                assert renewed_sid == sid
            await renderer.dmr.async_unsubscribe_services()
        finally:
            await notify_server.async_stop_server()

    asyncio.run(scenario())
    log = home.requests()
    assert sorted(e["result"]["SID"] for e in log if e["action"].startswith("SUBSCRIBE") and e["args"].get("SID")) == sorted(sids)
    unsubscribed = [e for e in log if e["action"].startswith("UNSUBSCRIBE")]
    assert sorted(e["args"]["SID"] for e in unsubscribed) == sorted(sids)
    assert all(e["result"]["status"] == 200 for e in unsubscribed)


def test_async_upnp_client_renderer_profile_reads_state_from_events(household):
    home = household({"players": [{"name": "Den", "state": {"volume": 23, "source": "radio", "transport_state": "PLAYING",
                                                             "uri": "x-sonosapi-stream:s44255?sid=254&flags=8224&sn=0"}}]},
                     ssdp=False)

    async def scenario() -> None:
        renderer, notify_server = await start_renderer(home, "Den")
        try:
            await renderer.dmr.async_subscribe_services()
            await eventually(lambda: renderer.service_ids >= set(DMR_SERVICES))
            assert (renderer.dmr.transport_state, renderer.dmr.volume_level) == (TransportState.PLAYING, 0.23)
        finally:
            await renderer.dmr.async_unsubscribe_services()
            await notify_server.async_stop_server()

    asyncio.run(scenario())
