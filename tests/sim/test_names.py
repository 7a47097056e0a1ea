"""Room names are anyone's to choose: the simulator serves any name XML 1.0 can carry exactly,
everywhere a player reports one, and renames a room at run time as the Sonos app does
(DeviceProperties SetZoneAttributes, which SoCo's player_name setter sends).

Anyone on a home network with the Sonos app can rename a room, and any device can answer
discovery as a player: these names are what a controller must be ready for. Each is read back
the ways a controller reads names: SoCo (ZoneGroupState), soco.discover and by_name, the
device description, GetZoneAttributes, a raw GENA subscriber, the local API on port 1443,
and the event log.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any
from xml.parsers.expat import ExpatError

import pytest
import requests
import soco
from soco import discovery
from sonos_sim.clipapi import API_KEY
from sonos_sim.schema import HouseholdError, load_household

from .helpers import EventSink, soap_post, wait_for

# The local API's certificate is self-signed, as a real player's is.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

DEVICE_PROPERTIES = "urn:schemas-upnp-org:service:DeviceProperties:1"
ZGT_EVENT = "/ZoneGroupTopology/Event"

# Every one a valid room name: what a controller must carry through exactly.
HOSTILE = {
    "template": "{{ lookup('pipe', 'touch /tmp/pwned') }}",
    "quotes and specifiers": 'Kid\'s "Room" \\ %n %% $HOME',
    "unit file lines": "Den\n[Service]\nExecStartPre=+/bin/sh -c id",
    "forged log line": "Hall\nINFO chime=Dinner zone=Hall step=restore outcome=ok restored",
    "carriage return": "Attic\rINFO chime=x restored",
    "bidi controls": "Office \u200fRLM \u202eRLO evil",
    "markup": "<b>&amp;</b> ]]> <!-- -->",
    "emoji": "🔔 Chime Room 🎵",
    "line separators": "one\u2028two\u2029three\x85four",
    "tab and C1 CSI": "tab\there \x9b31mred",
    "spaces around": "  Porch  ",
}
# What XML 1.0 cannot carry: no player can hold these, and a rename to one is refused.
UNCARRIABLE = {"NUL": "Null\x00Room", "ESC": "Esc\x1b[31mRoom", "BEL": "Bell\x07", "form feed": "Page\x0cbreak"}


def home_named(names: list[str]) -> dict[str, Any]:
    return {"players": [{"name": name, "state": {"volume": 10 + i}} for i, name in enumerate(names)]}


def fresh(ip: str) -> soco.SoCo:
    """SoCo's instance for `ip`, its cached topology forgotten (a controller starting afresh)."""
    player = soco.SoCo(ip)
    player.zone_group_state.clear_cache()
    return player


def zone_names_in(zone_group_state: str) -> dict[str, str]:
    """uid -> ZoneName of every member in a ZoneGroupState document, parsed as any controller does."""
    root = ET.fromstring(zone_group_state)
    return {member.get("UUID", ""): member.get("ZoneName", "") for member in root.iter("ZoneGroupMember")}


def description(ip: str) -> ET.Element:
    answer = requests.get(f"http://{ip}:1400/xml/device_description.xml", timeout=5)
    answer.raise_for_status()
    return ET.fromstring(answer.content)


def described_names(ip: str) -> tuple[str, str]:
    """roomName of the ZonePlayer, and the room part of the MediaRenderer's friendlyName."""
    ns = {"d": "urn:schemas-upnp-org:device-1-0"}
    root = description(ip)
    room = root.findtext("d:device/d:roomName", namespaces=ns)
    renderer = next(
        device for device in root.iterfind(".//d:deviceList/d:device", ns)
        if device.findtext("d:deviceType", namespaces=ns) == "urn:schemas-upnp-org:device:MediaRenderer:1"
    )
    friendly = renderer.findtext("d:friendlyName", namespaces=ns) or ""
    return room or "", friendly.rsplit(" - ", 1)[0]


def local_api_name(ip: str) -> str:
    answer = requests.get(f"https://{ip}:1443/api/v1/players/local/info", headers={"X-Sonos-Api-Key": API_KEY},
                          verify=False, timeout=5)
    answer.raise_for_status()
    return answer.json()["device"]["name"]


def rename_by_soap(ip: str, name_xml: str) -> requests.Response:
    """SetZoneAttributes as a controller that writes its own XML sends it (name_xml already escaped)."""
    return soap_post(ip, "/DeviceProperties/Control", DEVICE_PROPERTIES, "SetZoneAttributes",
                     f"<DesiredZoneName>{name_xml}</DesiredZoneName><DesiredIcon></DesiredIcon><DesiredConfiguration></DesiredConfiguration>")


def assert_reported_everywhere(home: Any, key: str, name: str) -> None:
    """Every way a controller reads the room's name gives `name`, exactly."""
    handle = home.players[key]
    player = fresh(handle.ip)
    assert player.player_name == name
    assert player.get_speaker_info(refresh=True)["zone_name"] == name
    assert player.deviceProperties.GetZoneAttributes()["CurrentZoneName"] == name
    assert player.deviceProperties.GetZoneAttributes()["CurrentTargetRoomName"] == name
    assert described_names(handle.ip) == (name, name)
    state = player.zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"]
    assert zone_names_in(state)[handle.uid] == name
    assert player.group.label == name
    assert local_api_name(handle.ip) == name


def test_a_household_file_names_its_rooms_anything(household):
    names = list(HOSTILE.values())
    home = household(home_named(names), ssdp_scope="household")

    for name in names:
        assert_reported_everywhere(home, name, name)
    found = soco.discover(timeout=2, interface_addr=home.interface)
    assert found is not None and sorted(zone.player_name for zone in found) == sorted(names)
    for name in (HOSTILE["template"], HOSTILE["unit file lines"], HOSTILE["bidi controls"]):
        located = discovery.by_name(name, interface_addr=home.interface)
        assert located is not None and located.ip_address == home.players[name].ip
    logged = {event["player"] for event in home.events() if event.get("player")}
    assert logged == set(names)


@pytest.mark.parametrize("label", [label for label in HOSTILE if label != "carriage return"])
def test_soco_renames_a_room_and_every_reader_sees_the_new_name(household, label):
    name = HOSTILE[label]
    home = household(home_named(["Kitchen", "Study"]), ssdp_scope="household")
    kitchen = home.players["Kitchen"]

    fresh(kitchen.ip).player_name = name

    assert_reported_everywhere(home, "Kitchen", name)
    assert fresh(home.players["Study"].ip).player_name == "Study"
    found = soco.discover(timeout=2, interface_addr=home.interface)
    assert found is not None and {zone.player_name for zone in found} == {name, "Study"}
    assert [e["args"] for e in home.events(action="renamed")] == [{"from": "Kitchen", "to": name}]
    later = [e for e in home.events() if e.get("uid") == kitchen.uid][-3:]
    assert {e["player"] for e in later} == {name}


def test_a_carriage_return_arrives_as_sent_only_as_a_character_reference(household):
    """XML turns a raw CR into LF when it parses (XML 1.0, 2.11): SoCo writes the name as it
    is, so a real player, like the simulator, gets LF for it; a controller that writes &#13;
    gets its CR. Either way what the player then reports is what it holds, exactly."""
    home = household(home_named(["Kitchen"]), ssdp_scope="household")
    kitchen = home.players["Kitchen"]

    fresh(kitchen.ip).player_name = "Attic\rINFO"
    assert fresh(kitchen.ip).player_name == "Attic\nINFO"

    assert rename_by_soap(kitchen.ip, "Attic&#13;INFO chime=x restored").status_code == 200
    assert_reported_everywhere(home, "Kitchen", HOSTILE["carriage return"])


def test_a_rename_is_a_topology_event(household):
    home = household(home_named(["Kitchen", "Study"]))
    kitchen = home.players["Kitchen"]
    sink = EventSink(home.interface)
    try:
        sink.subscribe(home.players["Study"].ip, ZGT_EVENT)
        first = sink.wait(1)[0]
        fresh(kitchen.ip).player_name = HOSTILE["unit file lines"]
        second = sink.wait(2)[1]
    finally:
        sink.close()
    names = [zone_names_in(ET.fromstring(body).findtext(".//ZoneGroupState") or "") for body in (first, second)]
    assert names[0][kitchen.uid] == "Kitchen"
    assert names[1][kitchen.uid] == HOSTILE["unit file lines"]


def test_renaming_a_stereo_pair_half_renames_its_room(household):
    home = household({"players": [{"name": "Den"}, {"name": "Den R", "bonded_to": "Den", "channel": "RF"}]})

    fresh(home.players["Den R"].ip).player_name = HOSTILE["template"]

    for key in ("Den", "Den R"):
        handle = home.players[key]
        assert described_names(handle.ip)[0] == HOSTILE["template"]
        state = fresh(handle.ip).zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"]
        assert set(zone_names_in(state).values()) == {HOSTILE["template"]}
    assert fresh(home.players["Den"].ip).player_name == HOSTILE["template"]


def test_a_rename_keeps_icon_and_configuration_soco_leaves_empty(household):
    home = household(home_named(["Kitchen"]))
    kitchen = fresh(home.players["Kitchen"].ip)
    before = kitchen.deviceProperties.GetZoneAttributes()

    kitchen.player_name = "Pantry"

    after = kitchen.deviceProperties.GetZoneAttributes()
    assert (after["CurrentIcon"], after["CurrentConfiguration"]) == (before["CurrentIcon"], before["CurrentConfiguration"])
    assert after["CurrentZoneName"] == "Pantry"


@pytest.mark.parametrize("label", list(UNCARRIABLE))
def test_a_name_xml_cannot_carry_is_refused_with_402(household, label):
    name = UNCARRIABLE[label]
    home = household(home_named(["Kitchen"]))
    kitchen = home.players["Kitchen"]
    code = ord(next(ch for ch in name if not ch.isprintable()))

    raw = rename_by_soap(kitchen.ip, name)  # the character as it is
    by_reference = rename_by_soap(kitchen.ip, f"Kitchen&#{code};2")  # or as a character reference
    with pytest.raises(ExpatError):  # SoCo parses its own request (to log it) and never sends it
        fresh(kitchen.ip).player_name = name

    for answer in (raw, by_reference):
        assert answer.status_code == 500 and "<errorCode>402</errorCode>" in answer.text
    assert fresh(kitchen.ip).player_name == "Kitchen"
    assert [event["fault"] for event in home.requests("SetZoneAttributes")] == [402, 402]
    assert not home.events(action="renamed")


def test_an_empty_name_is_refused_and_a_missing_one_kept(household):
    home = household(home_named(["Kitchen"]))
    kitchen = home.players["Kitchen"]

    assert "<errorCode>402</errorCode>" in rename_by_soap(kitchen.ip, "").text
    icon_only = soap_post(kitchen.ip, "/DeviceProperties/Control", DEVICE_PROPERTIES, "SetZoneAttributes",
                          "<DesiredIcon>x-rincon-roomicon:kitchen</DesiredIcon>")
    assert icon_only.status_code == 200
    attributes = fresh(kitchen.ip).deviceProperties.GetZoneAttributes()
    assert (attributes["CurrentZoneName"], attributes["CurrentIcon"]) == ("Kitchen", "x-rincon-roomicon:kitchen")


@pytest.mark.parametrize("label", list(UNCARRIABLE))
def test_a_household_file_with_a_name_xml_cannot_carry_is_refused(label):
    with pytest.raises(HouseholdError, match=r"players\[0\]\.name: holds .* XML 1\.0 cannot carry"):
        load_household(home_named([UNCARRIABLE[label]]))


def test_the_event_log_keeps_one_event_a_line(household, tmp_path):
    """json.dumps leaves U+2028, U+2029 and NEL raw; str.splitlines breaks lines at them."""
    path = tmp_path / "events.jsonl"
    name = HOSTILE["line separators"]
    home = household(home_named([name]), events_path=str(path))
    assert fresh(home.players[name].ip).player_name == name
    home.stop()

    text = path.read_text(encoding="utf-8")
    assert "\u2028" not in text and "\u2029" not in text and "\x85" not in text
    events = [json.loads(line) for line in text.splitlines()]
    assert {event["player"] for event in events if event.get("player")} == {name}


def test_serve_prints_one_line_a_player(tmp_path):
    """`serve` lists each player on a line of its own whatever its name."""
    from sonos_sim.__main__ import shown

    assert shown("Living Room") == "Living Room"
    assert shown("Bureau d'été 🔔") == "Bureau d'été 🔔"
    for name in (HOSTILE["unit file lines"], HOSTILE["bidi controls"], HOSTILE["line separators"], HOSTILE["carriage return"]):
        assert len(shown(name).splitlines()) == 1 and json.loads(shown(name)) == name


def test_renames_show_in_order_in_the_event_log(household):
    home = household(home_named(["Kitchen"]))
    kitchen = home.players["Kitchen"]
    player = fresh(kitchen.ip)
    for name in (HOSTILE["template"], HOSTILE["emoji"], "Kitchen"):
        player.player_name = name
    renames = wait_for(lambda: home.events(action="renamed"))
    assert [(e["player"], e["args"]["from"], e["args"]["to"]) for e in renames] == [
        (HOSTILE["template"], "Kitchen", HOSTILE["template"]),
        (HOSTILE["emoji"], HOSTILE["template"], HOSTILE["emoji"]),
        ("Kitchen", HOSTILE["emoji"], "Kitchen"),
    ]
    assert {e["uid"] for e in renames} == {kitchen.uid}
