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


# Two Play:1s and a Sub as a real system reports them (SoCo/SoCo#870): the Sub is an invisible
# ZoneGroupMember with the pair's ChannelMapSet, its own entry SW.
PAIR_WITH_SUB = (
    "<ZoneGroupState><ZoneGroups>"
    '<ZoneGroup Coordinator="RINCON_L" ID="RINCON_L:12">'
    '<ZoneGroupMember UUID="RINCON_L" Location="http://192.0.2.2:1400/xml/device_description.xml" ZoneName="Den"'
    ' ChannelMapSet="RINCON_L:LF,LF;RINCON_R:RF,RF;RINCON_S:SW,SW"/>'
    '<ZoneGroupMember UUID="RINCON_R" Location="http://192.0.2.3:1400/xml/device_description.xml" ZoneName="Den"'
    ' ChannelMapSet="RINCON_L:LF,LF;RINCON_R:RF,RF;RINCON_S:SW,SW" Invisible="1"/>'
    '<ZoneGroupMember UUID="RINCON_S" Location="http://192.0.2.4:1400/xml/device_description.xml" ZoneName="Den"'
    ' ChannelMapSet="RINCON_L:LF,LF;RINCON_R:RF,RF;RINCON_S:SW,SW" Invisible="1"/>'
    "</ZoneGroup>"
    '<ZoneGroup Coordinator="RINCON_P" ID="RINCON_P:13">'
    '<ZoneGroupMember UUID="RINCON_P" Location="http://192.0.2.5:1400/xml/device_description.xml" ZoneName="Office"'
    ' ChannelMapSet="RINCON_P:LF,RF;RINCON_Q:SW,SW"/>'
    '<ZoneGroupMember UUID="RINCON_Q" Location="http://192.0.2.6:1400/xml/device_description.xml" ZoneName="Office"'
    ' ChannelMapSet="RINCON_P:LF,RF;RINCON_Q:SW,SW" Invisible="1"/>'
    "</ZoneGroup>"
    "</ZoneGroups></ZoneGroupState>"
)


def test_a_sub_bonded_to_a_pair_or_a_speaker_is_no_member_of_its_own() -> None:
    topology = parse_topology(PAIR_WITH_SUB)
    den, office = topology.group_of("RINCON_L"), topology.group_of("RINCON_P")
    assert den is not None and office is not None
    assert [(m.uid, m.room_uid) for m in den.members] == [("RINCON_L", "RINCON_L"), ("RINCON_R", "RINCON_L")]
    assert [m.uid for m in office.members] == ["RINCON_P"]
    assert topology.group_of("RINCON_S") is None and topology.group_of("RINCON_Q") is None
