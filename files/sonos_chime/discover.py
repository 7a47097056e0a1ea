"""`chime.py discover`: the zones that answer, as YAML for the role's host_vars."""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import select
import socket
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass

import soco  # type: ignore[import-untyped]
import soco.discovery  # type: ignore[import-untyped]
import yaml
from soco.exceptions import SoCoException  # type: ignore[import-untyped]

from .config import ConfigError, ipv4
from .errors import PlayerError
from .exchange import DEVICE_DESCRIPTION, ExchangeError, exchange
from .netxml import parse_network_xml
from .player import Player
from .tasks import gather
from .topology import Member
from .zonelog import UNSAFE, quote

LOG = logging.getLogger("sonos-chime")
DEVICE_NS = "urn:schemas-upnp-org:device-1-0"
SSDP_GROUP = ("239.255.255.250", 1900)
# SoCo's search, byte for byte: what players are known to answer.
HOUSEHOLD_ID = re.compile(r"Sonos_[A-Za-z0-9_.-]{1,64}")
PLAYER_SEARCH = b'M-SEARCH * HTTP/1.1\nHOST: 239.255.255.250:1900\nMAN: "ssdp:discover"\nMX: 1\nST: urn:schemas-upnp-org:device:ZonePlayer:1\n'

DISCOVERY_HELP = """\
discover: no Sonos player answered{how}.
Likely causes and what works around them:
  - multicast is blocked: the search (UDP to 239.255.255.250:1900) does not reach the
    players, e.g. Wi-Fi client isolation, IGMP snooping or a VLAN between this host and
    them. Use --scan CIDR (e.g. --scan 192.168.1.0/24) to try TCP port 1400 on every
    address of that network instead.
  - the wrong network interface: with several (docker0, a VPN, eth0 and wlan0) the search
    may leave by one the players are not on. Use --interface ADDRESS with this host's
    address on the players' network.
  - a firewall on this host drops the players' UDP answers: allow UDP from the players
    (source port 1900), or use --scan CIDR.
  - the players are slow, asleep or on another network: raise --timeout (now {timeout:g} s)
    and check that the Sonos app sees them from this network.
"""


def discover(timeout: float, interface: str | None, scan: str | None) -> int:
    if interface is not None:
        ipv4(interface, "--interface")
    network = None if scan is None else scan_network(scan)
    soco.config.REQUEST_TIMEOUT = timeout
    zones = find_players(timeout, interface, network)
    if not zones:
        how = f" on {scan}" if scan else f" via {interface}" if interface else ""
        sys.stderr.write(DISCOVERY_HELP.format(how=how, timeout=timeout))
        return 1
    entries = gather([functools.partial(describe_zone, zone, timeout) for zone in one_per_player(zones)])
    entries.sort(key=lambda entry: (entry["name"].casefold(), entry["name"], entry["uid"]))
    households = sorted({entry["household"] for entry in entries} - {""})
    if len(households) > 1:
        LOG.warning("discover: %d Sonos households answer on this network (%s): each zone is listed with its own",
                    len(households), ", ".join(map(quote, households)))
    sys.stdout.write(zones_yaml(entries))
    return 0


@dataclass(frozen=True)
class FoundZone:
    member: Member
    coordinator_uid: str
    household: str  # the Sonos household (system) the zone is in, "" if unknown: an S1 and an S2 system may share a network
    told_by: str  # the address of the player whose topology listed it


@dataclass(frozen=True)
class SearchAnswer:
    host: str
    household: str  # its X-RINCON-HOUSEHOLD header ("" if none, or not a household id)


def household_id(text: str, source: str) -> str:
    """A household id as players write it (Sonos_ and letters, digits, _ . -), or "" said in the log."""
    if HOUSEHOLD_ID.fullmatch(text):
        return text
    if text:
        LOG.warning("discover: %s gave %s, which is not a household id", source, quote(text[:80]))
    return ""


def zones_seen_by(host: str, timeout: float, household: str = "") -> set[FoundZone]:
    """The household as the player at `host` tells it, read by chime.py's bounded exchange and
    defused parser, not by SoCo's requests, which read any answer whole however long it takes.
    `household`: its id from the search's answer; asked for when not given."""
    player = Player(host, 1400, timeout)
    topology = player.topology()
    household = household or household_asked(player)
    return {FoundZone(member, group.coordinator_uid, household, host) for group in topology.groups for member in group.members}


def household_asked(player: Player) -> str:
    """Its household (GetHouseholdID), or "" when it will not say: its zones are listed all the same."""
    try:
        return household_id(player.household_id(), f"GetHouseholdID on {player.host}")
    except PlayerError as error:
        LOG.warning("discover: no household for the zones %s lists: %s", player.host, error)
        return ""


def one_per_player(zones: set[FoundZone]) -> list[FoundZone]:
    """Each player once, however many players told of it; where two households list one player
    (it moved from one system to the other), as it tells of itself."""
    unique: dict[str, FoundZone] = {}
    for zone in sorted(zones, key=lambda zone: (zone.member.uid, zone.told_by != zone.member.host, zone.household,
                                                zone.coordinator_uid, zone.member.host)):
        kept = unique.setdefault(zone.member.uid, zone)
        if kept.household != zone.household:
            LOG.warning("discover: %s is listed by two households (%s, %s): kept in %s", quote(zone.member.name),
                        quote(kept.household), quote(zone.household), quote(kept.household))
    return list(unique.values())


class Responder(soco.SoCo):  # type: ignore[misc]
    """An address that answered SoCo's scan (soco.config.SOCO_CLASS while it runs)."""

    @functools.cached_property
    def found(self) -> set[FoundZone]:
        return zones_seen_by(self.ip_address, float(soco.config.REQUEST_TIMEOUT))

    @property
    def is_visible(self) -> bool:
        return any(zone.member.host == self.ip_address and not zone.member.invisible for zone in self.found)

    @property
    def visible_zones(self) -> set[FoundZone]:
        return {zone for zone in self.found if not zone.member.invisible}

    @property
    def all_zones(self) -> set[FoundZone]:
        return self.found


class ListingDumper(yaml.SafeDumper):
    """Text with a control, separator or bidi character is written double-quoted, where YAML
    escapes line breaks: plain or single-quoted, PyYAML writes U+0085 as it is, and reading
    it back turns it into a line break or a space."""


def represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style='"' if UNSAFE.search(text) else None)


ListingDumper.add_representer(str, represent_text)


def zones_yaml(entries: list[dict[str, str]]) -> str:
    """The listing as YAML: data, so any name (line breaks, quotes, `{{ }}`) reads back exactly."""
    return yaml.dump(entries, Dumper=ListingDumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


def scan_network(text: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        raise ConfigError(f"--scan: {text!r} is not an IPv4 network such as 192.168.1.0/24") from None


def find_players(timeout: float, interface: str | None, network: ipaddress.IPv4Network | None) -> set[FoundZone] | None:
    if network is None:
        return zones_by_search(timeout, interface)
    searcher = soco.config.SOCO_CLASS
    soco.config.SOCO_CLASS = Responder
    try:
        found = soco.discovery.scan_network(networks_to_scan=[str(network)], scan_timeout=min(timeout, 1.0),
                                            multi_household=True)
    except (OSError, PlayerError, SoCoException) as error:
        LOG.error("discover: %s", error)
        return None
    finally:
        soco.config.SOCO_CLASS = searcher
    return set(found) if found else None


def zones_by_search(timeout: float, interface: str | None) -> set[FoundZone] | None:
    """The visible zones of every household that answers the search: each responder not yet
    told of by another player is asked for its household. SoCo's discover asks only the first
    that answers: a second system on the network (S1 beside S2) would go unseen, and a device
    that answers as Sonos and then not with its household would hide every player."""
    found: set[FoundZone] = set()
    for answer in responders(timeout, interface):
        if any(zone.member.host == answer.host and zone.household == answer.household for zone in found):
            continue  # its household told of it already (a player that moved to another system is asked)
        try:
            found |= zones_seen_by(answer.host, timeout, answer.household)
        except PlayerError as error:
            LOG.warning("discover: %s answered the search but not with its household: %s", answer.host, error)
    return {zone for zone in found if not zone.member.invisible} or None


def responders(timeout: float, interface: str | None) -> Iterator[SearchAnswer]:
    """Each address that answers the search as Sonos, once, in the order of their answers: those
    that came within `timeout` of the search, however long the caller takes between two."""
    sockets = sent_search(search_sockets(interface))
    answered: set[str] = set()
    end = time.monotonic() + timeout
    try:
        while sockets:
            left = end - time.monotonic()
            ready, _, _ = select.select(sockets, [], [], max(0.0, min(left, 0.1)))
            if not ready and left <= 0:
                return
            for each in ready:
                data, (host, _) = each.recvfrom(1024)
                if b"Sonos" in data and host not in answered:
                    answered.add(host)
                    yield SearchAnswer(host, household_id(answer_household(data), f"{host}'s search answer"))
    finally:
        for each in sockets:
            each.close()


def answer_household(data: bytes) -> str:
    """The X-RINCON-HOUSEHOLD header of a search's answer ("" if none)."""
    for line in data.decode("utf-8", errors="replace").splitlines()[1:]:
        name, _, value = line.partition(":")
        if name.strip().casefold() == "x-rincon-household":
            return value.strip()
    return ""


def search_addresses(interface: str | None) -> list[str]:
    """This host's addresses to search from: the one given, or those SoCo's discover would take."""
    return [interface] if interface is not None else sorted(soco.discovery._find_ipv4_addresses())


def search_sockets(interface: str | None) -> list[socket.socket]:
    sockets = []
    for address in search_addresses(interface):
        search = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        try:
            search.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 4)  # UPnP 1.0's
            search.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(address))
        except OSError as error:
            search.close()
            LOG.warning("discover: cannot search from %s: %s", address, error)
            continue
        sockets.append(search)
    return sockets


def sent_search(sockets: list[socket.socket]) -> list[socket.socket]:
    """The sockets the search went out on, three times each (UDP may lose one); the others closed."""
    sent = []
    for search in sockets:
        try:
            for _ in range(3):
                search.sendto(PLAYER_SEARCH, SSDP_GROUP)
        except OSError as error:
            search.close()
            LOG.warning("discover: the search did not go out from %s: %s", search.getsockname()[0], error)
            continue
        sent.append(search)
    return sent


def describe_zone(zone: FoundZone, timeout: float) -> dict[str, str]:
    return {
        "name": zone.member.name,
        "uid": zone.member.uid,
        "host": zone.member.host,
        "model": model_name(zone.member.host, timeout),
        "coordinator": zone.coordinator_uid,
        "household": zone.household,
    }


def model_name(host: str, timeout: float) -> str:
    """The player's model, or "" when its description cannot be read (the listing is complete without it)."""
    try:
        answer = exchange(host, 1400, "GET", "/xml/device_description.xml", DEVICE_DESCRIPTION, timeout)
        if answer.status != 200:
            LOG.warning("discover: no model for %s: its device description: HTTP %d", host, answer.status)
            return ""
        return parse_network_xml(answer.body).findtext(f"{{{DEVICE_NS}}}device/{{{DEVICE_NS}}}modelName") or ""
    except ExchangeError as error:
        LOG.warning("discover: no model for %s: its device description: %s", host, error.detail)
    except ET.ParseError as error:
        LOG.warning("discover: no model for %s: its device description is unreadable: %s", host, error)
    return ""
