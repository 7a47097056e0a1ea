"""The household as one GetZoneGroupState answer describes it: groups, their members, rooms."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urlparse

from .netxml import parse_network_xml


@dataclass(frozen=True)
class Member:
    """A speaker of a group that has its own volume.

    `room_uid` is the uid of the room it belongs to: its own, or for the hidden half of a
    stereo pair the visible half's. Subs and surrounds (Satellite elements) are not members:
    they follow their soundbar's volume, as the Sonos app treats them.
    """

    uid: str
    name: str
    host: str
    port: int
    invisible: bool
    room_uid: str


@dataclass(frozen=True)
class Group:
    coordinator_uid: str
    members: tuple[Member, ...]

    @property
    def coordinator(self) -> Member:
        return next(member for member in self.members if member.uid == self.coordinator_uid)

    @property
    def uids(self) -> frozenset[str]:
        return frozenset(member.uid for member in self.members)

    @property
    def label(self) -> str:
        visible = [member.name for member in self.members if not member.invisible]
        return "+".join(dict.fromkeys(visible)) or self.coordinator_uid


@dataclass(frozen=True)
class Topology:
    groups: tuple[Group, ...]

    def group_of(self, uid: str) -> Group | None:
        return next((group for group in self.groups if uid in group.uids), None)

    def uid_at(self, host: str) -> str | None:
        for group in self.groups:
            for member in group.members:
                if member.host == host:
                    return member.uid
        return None


def parse_topology(payload: str) -> Topology:
    """Raises ET.ParseError for a document that is not XML, or a member with no usable Location."""
    root = parse_network_xml(payload)
    container = root.find("ZoneGroups")
    groups: list[Group] = []
    for group_element in (container if container is not None else root).findall("ZoneGroup"):
        elements = group_element.findall("ZoneGroupMember")
        rooms = room_uids(elements)
        members = tuple(parse_member(element, rooms) for element in elements if not is_bonded_sub(element))
        coordinator = group_element.get("Coordinator", "")
        if members and any(member.uid == coordinator for member in members):
            groups.append(Group(coordinator_uid=coordinator, members=members))
    return Topology(groups=tuple(groups))


def is_bonded_sub(element: ET.Element) -> bool:
    """A Sub bonded to a stereo pair or a single speaker: real players list it as an invisible
    ZoneGroupMember whose own ChannelMapSet entry is SW (`...;RINCON_SUB:SW,SW`), not as a
    Satellite. It follows its room's volume, as the app treats it: no member of its own."""
    uid = element.get("UUID", "")
    for entry in element.get("ChannelMapSet", "").split(";"):
        owner, _, channels = entry.partition(":")
        if owner == uid:
            return channels.split(",")[0] == "SW"
    return False


def room_uids(elements: list[ET.Element]) -> dict[str, str]:
    """uid -> the uid of the visible speaker of its stereo pair (ChannelMapSet)."""
    visible = {element.get("UUID", "") for element in elements if element.get("Invisible") != "1"}
    rooms: dict[str, str] = {}
    for element in elements:
        bonded = [entry.partition(":")[0] for entry in element.get("ChannelMapSet", "").split(";") if entry]
        primary = next((uid for uid in bonded if uid in visible), None)
        if primary is not None:
            rooms.update({uid: primary for uid in bonded})
    return rooms


def parse_member(element: ET.Element, rooms: dict[str, str]) -> Member:
    uid = element.get("UUID", "")
    name = element.get("ZoneName", "")
    try:
        location = urlparse(element.get("Location", ""))
        port = location.port or 1400
    except ValueError as error:  # a port out of range or not a number, a broken IPv6 address
        raise ET.ParseError(f"{name!r} ({uid}) has no usable Location: {error}") from error
    return Member(
        uid=uid,
        name=name,
        host=location.hostname or "",
        port=port,
        invisible=element.get("Invisible") == "1",
        room_uid=rooms.get(uid, uid),
    )
