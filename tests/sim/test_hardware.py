"""Each model describes itself as the hardware does (hardware.py), and bonded sets are listed
in ZoneGroupState as real players list them.

CITED repeats, for the rows a capture covers, what the capture says; a row of hardware.py that
drifts from it fails here as well as the description the simulator serves.
"""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from typing import Any

import aiohttp
import pytest
import requests
import soco
from aiosonos.utils import get_discovery_info
from sonos_sim.hardware import HARDWARE

from .helpers import EventSink

DEVICE = "{urn:schemas-upnp-org:device-1-0}"
API_DOCS = "svrooij/sonos-api-docs generator/sonos-docs/data/"
ROOT = ("AlarmClock", "MusicServices", "DeviceProperties", "SystemProperties", "ZoneGroupTopology", "GroupManagement", "QPlay")

# key -> modelName, modelNumber, displayName (None: no capture), extra root services, source.
CITED: dict[str, tuple[str, str, str | None, set[str], str]] = {
    "Sonos One": ("Sonos One", "S18", "One", set(), API_DOCS + "sonos-S18-2.json"),
    "Sonos One SL": ("Sonos One SL", "S38", None, set(), API_DOCS + "sonos-S38-2.json"),
    "Sonos Era 100": ("Sonos Era 100", "S39", None, {"AudioIn"}, API_DOCS + "sonos-S39-2.json"),
    "Play:1": ("Sonos Play:1", "S1", "Play:1", set(), API_DOCS + "sonos-S1-2.json"),
    "Play:5": ("Sonos Play:5", "S6", "Play:5", {"AudioIn"}, API_DOCS + "sonos-S6-2.json"),
    "Sonos Move": ("Sonos Move", "S17", None, set(), API_DOCS + "sonos-S17-2.json"),
    "Sonos Port": ("Sonos Port", "S23", "Port", {"AudioIn"}, "wez/wez-sonos data/device_spec.xml"),
    "Sonos Amp": ("Sonos Amp", "S16", None, {"AudioIn", "HTControl"}, API_DOCS + "sonos-S16-2.json"),
    "Sonos Beam": ("Sonos Beam", "S14", None, {"HTControl"}, API_DOCS + "sonos-S14-2.json"),
    "Sonos Arc": ("Sonos Arc", "S19", None, {"HTControl"}, API_DOCS + "sonos-S19-2.json"),
    "Sonos Playbar": ("Sonos Playbar", "S9", None, {"HTControl"}, API_DOCS + "sonos-S9-2.json"),
    "Sonos Sub": ("Sonos Sub", "Sub", None, set(), API_DOCS + "sonos-Sub-2.json"),
}


def one_of_each() -> dict[str, Any]:
    players: list[dict[str, Any]] = [{"name": key, "model": key} for key in HARDWARE]
    for player in players:
        if player["model"] == "Sonos Sub":
            player.update(bonded_to="Sonos Arc", channel="SW")
    return {"players": players}


def root_device(ip: str) -> ET.Element:
    answer = requests.get(f"http://{ip}:1400/xml/device_description.xml", timeout=5)
    answer.raise_for_status()
    return ET.fromstring(answer.content).find(f"{DEVICE}device")


def test_the_table_cites_a_source_for_every_row():
    assert set(CITED) | {"Sonos Five", "Connect"} == set(HARDWARE)
    for row in HARDWARE.values():
        assert row.source and row.display_source, row.key


def test_every_model_describes_itself_as_the_hardware_does(household):
    home = household(one_of_each())
    seen = {}
    for key, row in HARDWARE.items():
        device = root_device(home.players[key].ip)
        services = [s.findtext(f"{DEVICE}serviceId").rpartition(":")[2] for s in device.iter(f"{DEVICE}service")]
        root_services = services[: len(services) - 8]  # the MediaServer's 2 and the MediaRenderer's 6 follow
        seen[key] = {
            "modelName": device.findtext(f"{DEVICE}modelName"),
            "modelDescription": device.findtext(f"{DEVICE}modelDescription"),
            "friendlyName": device.findtext(f"{DEVICE}friendlyName"),
            "modelNumber": device.findtext(f"{DEVICE}modelNumber"),
            "displayName": device.findtext(f"{DEVICE}displayName"),
            "services": tuple(root_services),
        }
        assert seen[key] == {
            "modelName": row.model_name, "modelDescription": row.model_name,
            "friendlyName": f"{home.players[key].ip} - {row.model_name}", "modelNumber": row.model_number,
            "displayName": row.display_name, "services": row.root_services,
        }, key
        for name, value in row.extra:
            assert device.findtext(f"{DEVICE}{name}") == value, (key, name)
    for key, (model_name, number, display, extra, source) in CITED.items():
        got = seen[key]
        assert (got["modelName"], got["modelNumber"]) == (model_name, number), source
        assert display is None or got["displayName"] == display, source
        assert set(got["services"]) == set(ROOT) | extra, source


def test_the_local_api_names_the_model_as_the_hardware_does(household):
    home = household({"players": [{"name": "Attic", "model": "Play:1"}, {"name": "Den", "model": "Sonos One"},
                                  {"name": "Hall", "model": "Sonos Era 100"}]})

    async def devices() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            return {name: (await get_discovery_info(session, player.ip))["device"] for name, player in home.players.items()}

    found = {name: (device["modelDisplayName"], device["model"]) for name, device in asyncio.run(devices()).items()}
    assert found == {"Attic": ("Play:1", "S1"), "Den": ("One", "S18"), "Hall": ("Era 100", "S39")}


PAIR_WITH_SUB = {
    "players": [
        {"name": "Bedroom", "model": "Play:1", "uid": "RINCON_949F3E7284EA01400"},
        {"name": "Bedroom R", "model": "Play:1", "uid": "RINCON_949F3E72935401400", "bonded_to": "Bedroom", "channel": "RF"},
        {"name": "Bedroom Sub", "model": "Sonos Sub", "uid": "RINCON_949F3E309EA401400", "bonded_to": "Bedroom",
         "channel": "SW"},
        {"name": "Office", "model": "Sonos One", "uid": "RINCON_000E5855842601400"},
        {"name": "Office Sub", "model": "Sonos Sub", "uid": "RINCON_000E58980FE001400", "bonded_to": "Office",
         "channel": "SW"},
        {"name": "TV Room", "model": "Sonos Beam"},
        {"name": "TV Sub", "model": "Sonos Sub", "bonded_to": "TV Room", "channel": "SW"},
    ],
}


def test_a_stereo_pair_with_a_sub_carries_one_channel_map_on_every_member(household):
    """SoCo/SoCo#870: two Play:1s and a Sub, three ZoneGroupMembers with the same ChannelMapSet;
    a speaker and a Sub: "P:LF,RF;S:SW,SW"; a Sub of a home theatre stays a Satellite."""
    home = household(PAIR_WITH_SUB)
    state = ET.fromstring(soco.SoCo(home.players["Office"].ip).zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"])
    rooms: dict[str, list[ET.Element]] = {}
    for member in state.iter("ZoneGroupMember"):
        rooms.setdefault(member.get("ZoneName"), []).append(member)
    bedroom = {m.get("UUID"): m for m in rooms["Bedroom"]}
    assert set(bedroom) == {"RINCON_949F3E7284EA01400", "RINCON_949F3E72935401400", "RINCON_949F3E309EA401400"}
    pair_map = "RINCON_949F3E7284EA01400:LF,LF;RINCON_949F3E72935401400:RF,RF;RINCON_949F3E309EA401400:SW,SW"
    assert {m.get("ChannelMapSet") for m in bedroom.values()} == {pair_map}
    assert not any(m.get("HTSatChanMapSet") for m in bedroom.values())
    assert [m.get("Invisible") for m in bedroom.values()] == [None, "1", "1"]
    assert {m.get("ChannelMapSet") for m in rooms["Office"]} == {
        "RINCON_000E5855842601400:LF,RF;RINCON_000E58980FE001400:SW,SW"}
    (beam,) = rooms["TV Room"]
    sub = home.players["TV Sub"].uid
    assert beam.get("ChannelMapSet") is None and beam.get("HTSatChanMapSet") == f"{home.players['TV Room'].uid}:LF,RF;{sub}:SW"
    assert [s.get("UUID") for s in beam.iter("Satellite")] == [sub]
    # SoCo reads the set as one room: the Sub is a subwoofer of it, the right speaker its RF.
    zones = {zone.uid: zone for zone in soco.SoCo(home.players["Bedroom"].ip).all_zones}
    assert zones["RINCON_949F3E309EA401400"].is_subwoofer and zones["RINCON_949F3E7284EA01400"].has_subwoofer
    assert zones["RINCON_949F3E72935401400"].channel == "RF"


def test_device_properties_events_carry_the_same_channel_map(household):
    home = household(PAIR_WITH_SUB)
    events = EventSink(home.interface)
    names = ("Bedroom", "Bedroom R", "Bedroom Sub")
    try:
        for name in names:
            events.subscribe(home.players[name].ip, "/DeviceProperties/Event")
        bodies = events.wait(len(names))
    finally:
        events.close()
    maps = []
    for body in bodies:
        properties = ET.fromstring(body).iter("{urn:schemas-upnp-org:event-1-0}property")
        maps += [child.text for prop in properties for child in prop if child.tag == "ChannelMapSet"]
    assert maps == ["RINCON_949F3E7284EA01400:LF,LF;RINCON_949F3E72935401400:RF,RF;RINCON_949F3E309EA401400:SW,SW"] * 3


@pytest.mark.parametrize("key", ["Play:1", "Play:5", "Connect"])
def test_the_old_model_keys_still_name_the_hardware_by_its_own_name(household, key):
    home = household({"players": [{"name": "Room", "model": key}]})
    assert root_device(home.players["Room"].ip).findtext(f"{DEVICE}modelName") == "Sonos " + key
