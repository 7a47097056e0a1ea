"""`chime.py discover`: the zones that answer, as YAML for the role's host_vars."""

from __future__ import annotations

import functools
import ipaddress
import logging
import sys
import xml.etree.ElementTree as ET
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
from .zonelog import UNSAFE

LOG = logging.getLogger("sonos-chime")
DEVICE_NS = "urn:schemas-upnp-org:device-1-0"

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
    try:
        entries = gather([functools.partial(describe_zone, zone, timeout) for zone in zones])
    except (OSError, PlayerError, ExchangeError, ET.ParseError) as error:
        LOG.error("discover: a player answered the search but not the questions after it: %s", error)
        return 1
    entries.sort(key=lambda entry: (entry["name"].casefold(), entry["name"], entry["uid"]))
    sys.stdout.write(zones_yaml(entries))
    return 0


@dataclass(frozen=True)
class FoundZone:
    member: Member
    coordinator_uid: str


class Responder(soco.SoCo):  # type: ignore[misc]
    """An address that answered SoCo's search or scan (soco.config.SOCO_CLASS while they run).
    What it says of its household is read by chime.py's bounded exchange and defused parser,
    not by SoCo's requests, which read any answer whole however long it takes."""

    @property
    def found(self) -> set[FoundZone]:
        topology = Player(self.ip_address, 1400, float(soco.config.REQUEST_TIMEOUT)).topology()
        return {FoundZone(member, group.coordinator_uid) for group in topology.groups for member in group.members}

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
    searcher = soco.config.SOCO_CLASS
    soco.config.SOCO_CLASS = Responder
    try:
        if network is not None:
            found = soco.discovery.scan_network(networks_to_scan=[str(network)], scan_timeout=min(timeout, 1.0))
        else:
            found = soco.discover(timeout=timeout, interface_addr=interface)
    except (OSError, PlayerError, SoCoException) as error:
        LOG.error("discover: %s", error)
        return None
    finally:
        soco.config.SOCO_CLASS = searcher
    return set(found) if found else None


def describe_zone(zone: FoundZone, timeout: float) -> dict[str, str]:
    return {
        "name": zone.member.name,
        "uid": zone.member.uid,
        "host": zone.member.host,
        "model": model_name(zone.member.host, timeout),
        "coordinator": zone.coordinator_uid,
    }


def model_name(host: str, timeout: float) -> str:
    answer = exchange(host, 1400, "GET", "/xml/device_description.xml", DEVICE_DESCRIPTION, timeout)
    if answer.status != 200:
        raise PlayerError(host, "device description", f"HTTP {answer.status}")
    return parse_network_xml(answer.body).findtext(f"{{{DEVICE_NS}}}device/{{{DEVICE_NS}}}modelName") or ""
