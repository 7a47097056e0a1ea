"""The UPnP surface: descriptions, SOAP envelopes, faults, topology document."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
import soco
from soco.exceptions import SoCoUPnPException
from sonos_sim.services import ALL_SERVICES

from .helpers import soap_post

LONE = "lone-player.yml"
HOME = "six-player-home.yml"


def soap(ip: str, control_url: str, service: str, action: str, args: str = "<InstanceID>0</InstanceID>") -> requests.Response:
    return soap_post(ip, control_url, f"urn:schemas-upnp-org:service:{service}:1", action, args)


def test_speaker_info_from_device_description(household):
    home = household(LONE)
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    info = kitchen.get_speaker_info(refresh=True)
    assert info["zone_name"] == "Kitchen"
    assert info["uid"] == "RINCON_000E58A0000101400"
    assert info["model_name"] == "Sonos One"
    assert info["model_number"] == "S18"
    assert info["serial_number"].endswith(":E")
    assert info["software_version"] and info["hardware_version"] and info["display_version"]
    assert kitchen.player_name == "Kitchen"
    assert kitchen.household_id == home.household_id


def test_every_service_description_soco_knows_parses_in_soco(household):
    home = household(LONE)
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    attribute = {"AVTransport": "avTransport", "AlarmClock": "alarmClock"}
    checked = 0
    for service in ALL_SERVICES:
        soco_service = getattr(kitchen, attribute.get(service.name, service.name[0].lower() + service.name[1:]), None)
        if soco_service is None or service.name in ("AudioIn", "HTControl"):  # not on a Sonos One
            continue
        declared = {action.name: action for action in soco_service.actions}
        assert set(declared) == {a.name for a in service.actions}
        for action in service.actions:
            assert [a.name for a in declared[action.name].in_args] == list(action.inputs)
        checked += 1
    assert checked >= 9


def test_device_description_lists_embedded_devices_and_fixed_urls(household):
    home = household(LONE)
    text = requests.get(f"http://{home.players['Kitchen'].ip}:1400/xml/device_description.xml", timeout=5).text
    root = ET.fromstring(text)
    ns = {"d": "urn:schemas-upnp-org:device-1-0"}
    device_types = [e.text for e in root.iter("{urn:schemas-upnp-org:device-1-0}deviceType")]
    assert device_types == [
        "urn:schemas-upnp-org:device:ZonePlayer:1",
        "urn:schemas-upnp-org:device:MediaServer:1",
        "urn:schemas-upnp-org:device:MediaRenderer:1",
    ]
    control_urls = {e.text for e in root.iterfind(".//d:controlURL", ns)}
    assert "/MediaRenderer/AVTransport/Control" in control_urls
    assert "/MediaServer/ContentDirectory/Control" in control_urls
    assert root.findtext(".//d:UDN", namespaces=ns) == "uuid:RINCON_000E58A0000101400"
    missing = requests.get(f"http://{home.players['Kitchen'].ip}:1400/nothing", timeout=5)
    assert missing.status_code == 404 and "Sonos/" in missing.headers["Server"]


def test_unknown_action_is_upnp_401_and_missing_argument_is_402(household):
    home = household(LONE)
    ip = home.players["Kitchen"].ip
    unknown = soap(ip, "/MediaRenderer/AVTransport/Control", "AVTransport", "Fly")
    assert unknown.status_code == 500
    assert "<errorCode>401</errorCode>" in unknown.text
    missing = soap(ip, "/MediaRenderer/RenderingControl/Control", "RenderingControl", "SetVolume", "<InstanceID>0</InstanceID><Channel>Master</Channel>")
    assert missing.status_code == 500
    assert "<errorCode>402</errorCode>" in missing.text
    assert missing.headers["Content-Type"] == 'text/xml; charset="utf-8"'
    faults = [e["fault"] for e in home.requests() if e["action"] in ("Fly", "SetVolume")]
    assert faults == [401, 402]


def test_out_of_range_volume_is_soco_upnp_exception_402(household):
    home = household(LONE)
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    with pytest.raises(SoCoUPnPException) as raised:
        kitchen.renderingControl.SetVolume([("InstanceID", 0), ("Channel", "Master"), ("DesiredVolume", 101)])
    assert raised.value.error_code == "402"
    assert home.players["Kitchen"].state().volume == 25


def test_non_ascii_room_name_round_trips(household):
    home = household({"players": [{"name": "Küche Süd", "state": {"volume": 9}}]})
    player = soco.SoCo(home.players["Küche Süd"].ip)
    assert player.player_name == "Küche Süd"
    assert player.get_speaker_info(refresh=True)["zone_name"] == "Küche Süd"


def test_same_topology_from_every_player_with_invisible_members_and_satellites(household):
    home = household(HOME)
    documents = {
        soco.SoCo(p.ip).zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"] for p in home.players.values()
    }
    assert len(documents) == 1
    living = soco.SoCo(home.players["Living Room"].ip)
    assert {z.player_name for z in living.visible_zones} == {"Living Room", "TV Room", "Study", "Bedroom"}
    assert len(living.all_zones) == 6
    right = soco.SoCo(home.players["Living Room (right)"].ip)
    sub = soco.SoCo(home.players["TV Room Sub"].ip)
    assert not right.is_visible
    assert sub.is_satellite and sub.is_subwoofer
    assert soco.SoCo(home.players["TV Room"].ip).has_subwoofer
    assert soco.SoCo(home.players["TV Room"].ip).has_satellites
    assert right.channel == "RF"
    assert living.is_coordinator


def test_zone_group_attributes_and_household_id(household):
    home = household("group-on-radio.yml")
    dining = soco.SoCo(home.players["Dining Room"].ip)
    attributes = dining.zoneGroupTopology.GetZoneGroupAttributes()
    assert attributes["CurrentZoneGroupName"] == "Living Room + 1"
    assert attributes["CurrentZonePlayerUUIDsInGroup"].split(",") == ["RINCON_000E58A0000201400", "RINCON_000E58A0000301400"]
    assert dining.deviceProperties.GetHouseholdID()["CurrentHouseholdID"] == home.household_id
    assert soco.SoCo(home.players["Office"].ip).renderingControl.GetOutputFixed([("InstanceID", 0)])["CurrentFixed"] == "0"
