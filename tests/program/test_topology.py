"""One GetZoneGroupState answer: groups, members with a volume of their own, rooms."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from sonos_chime.topology import parse_topology

PAYLOAD = (
    "<ZoneGroupState><ZoneGroups>"
    '<ZoneGroup Coordinator="RINCON_A" ID="RINCON_A:3426502563">'
    '<ZoneGroupMember UUID="RINCON_A" Location="http://192.0.2.2:1400/xml/device_description.xml" ZoneName="Living Room"'
    ' ChannelMapSet="RINCON_A:LF,LF;RINCON_B:RF,RF"/>'
    '<ZoneGroupMember UUID="RINCON_B" Location="http://192.0.2.3:1400/xml/device_description.xml" ZoneName="Living Room"'
    ' ChannelMapSet="RINCON_A:LF,LF;RINCON_B:RF,RF" Invisible="1"/>'
    '<ZoneGroupMember UUID="RINCON_C" Location="http://192.0.2.4:1400/xml/device_description.xml" ZoneName="TV Room"'
    ' HTSatChanMapSet="RINCON_C:LF,RF;RINCON_D:SW">'
    '<Satellite UUID="RINCON_D" Location="http://192.0.2.5:1400/xml/device_description.xml" ZoneName="TV Room"'
    ' HTSatChanMapSet="RINCON_C:LF,RF;RINCON_D:SW" Invisible="1"/>'
    "</ZoneGroupMember></ZoneGroup>"
    '<ZoneGroup Coordinator="RINCON_E" ID="RINCON_E:17">'
    '<ZoneGroupMember UUID="RINCON_E" Location="http://192.0.2.6:1410/xml/device_description.xml" ZoneName="Office"/>'
    "</ZoneGroup>"
    "</ZoneGroups><VanishedDevices/></ZoneGroupState>"
)


def test_groups_list_every_speaker_with_a_volume_of_its_own() -> None:
    topology = parse_topology(PAYLOAD)
    group = topology.group_of("RINCON_C")
    assert group is not None and group.coordinator_uid == "RINCON_A"
    # The sub follows its soundbar: it is not a member with a volume of its own.
    assert [member.uid for member in group.members] == ["RINCON_A", "RINCON_B", "RINCON_C"]
    assert group.label == "Living Room+TV Room"
    assert topology.group_of("RINCON_D") is None
    assert topology.group_of("RINCON_X") is None


def test_both_halves_of_a_stereo_pair_belong_to_the_visible_ones_room() -> None:
    group = parse_topology(PAYLOAD).group_of("RINCON_A")
    assert group is not None
    rooms = {member.uid: member.room_uid for member in group.members}
    assert rooms == {"RINCON_A": "RINCON_A", "RINCON_B": "RINCON_A", "RINCON_C": "RINCON_C"}
    assert [member.invisible for member in group.members] == [False, True, False]


def test_hosts_and_ports_come_from_each_location() -> None:
    topology = parse_topology(PAYLOAD)
    office = topology.group_of("RINCON_E")
    assert office is not None and (office.coordinator.host, office.coordinator.port) == ("192.0.2.6", 1410)
    assert topology.uid_at("192.0.2.4") == "RINCON_C"
    assert topology.uid_at("192.0.2.99") is None


def test_a_group_whose_coordinator_is_not_listed_is_left_out() -> None:
    payload = (
        '<ZoneGroupState><ZoneGroups><ZoneGroup Coordinator="RINCON_Z" ID="RINCON_Z:1">'
        '<ZoneGroupMember UUID="RINCON_A" Location="http://192.0.2.2:1400/x" ZoneName="A"/>'
        "</ZoneGroup></ZoneGroups></ZoneGroupState>"
    )
    assert parse_topology(payload).groups == ()


@pytest.mark.parametrize("location", ["http://192.0.2.2:99999/xml", "http://192.0.2.2:abc/xml", "http://[::1/xml"])
def test_a_member_whose_location_is_no_url_makes_the_answer_unreadable(location: str) -> None:
    payload = PAYLOAD.replace("http://192.0.2.6:1410/xml/device_description.xml", location)
    with pytest.raises(ET.ParseError, match="Office"):
        parse_topology(payload)
