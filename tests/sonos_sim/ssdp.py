"""SSDP: answer M-SEARCH on 239.255.255.250:1900, unicast from each player's own address.

Parsing and packet building are async_upnp_client.ssdp's (its parser accepts SoCo's LF-only
request). Its SsdpSearchResponder is not used: it answers for one device from one socket with
its own SERVER header, where a household needs one reply per player, sent from that player's
address, with Sonos's headers (SERVER ... Sonos/..., X-RINCON-HOUSEHOLD, X-RINCON-BOOTSEQ).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import struct
import subprocess
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from async_upnp_client.ssdp import (
    build_ssdp_packet,
    decode_ssdp_packet,
    is_valid_ssdp_packet,
)

from .model import Household, Player

if TYPE_CHECKING:
    from .server import PlayerServer

SSDP_GROUP = "239.255.255.250"
SSDP_PORT = 1900
ZONE_PLAYER = "urn:schemas-upnp-org:device:ZonePlayer:1"


def search_targets(player: Player, search_target: str) -> list[str]:
    """The ST values a player answers a search for `search_target` with."""
    own = [
        "upnp:rootdevice",
        f"uuid:{player.uid}",
        ZONE_PLAYER,
        "urn:schemas-upnp-org:device:MediaRenderer:1",
        "urn:schemas-upnp-org:device:MediaServer:1",
    ]
    if search_target == "ssdp:all":
        return own
    return [search_target] if search_target in own else []


def reply(household: Household, player: Player, search_target: str) -> bytes:
    usn = f"uuid:{player.uid}" if search_target.startswith("uuid:") else f"uuid:{player.uid}::{search_target}"
    return build_ssdp_packet(
        "HTTP/1.1 200 OK",
        {
            "CACHE-CONTROL": " max-age = 1800",
            "EXT": "",
            "LOCATION": f" http://{player.ip}:1400/xml/device_description.xml",
            "SERVER": f" {household.spec.firmware.server_header()}",
            "ST": f" {search_target}",
            "USN": f" {usn}",
            "X-RINCON-HOUSEHOLD": f" {household.spec.household_id}",
            "X-RINCON-BOOTSEQ": f" {player.boot_seq}",
            "BOOTID.UPNP.ORG": f" {player.boot_seq}",
            "X-RINCON-WIFIMODE": " 0",
            "X-RINCON-VARIANT": f" {household.spec.firmware.variant}",
        },
    )


class _Listener(asyncio.DatagramProtocol):
    def __init__(self, responder: SsdpResponder) -> None:
        self.responder = responder

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.responder.on_datagram(data, addr)


Scope = tuple[ipaddress.IPv4Network, ...]


def household_scope(player_ips: Iterable[str], extra: Iterable[str] = ()) -> Scope:
    """The searchers a household answers by default: its own network, as on a LAN.

    A player on a real interface answers the whole subnet that interface is on. Loopback is
    shared by every household on the host, so there the household's own addresses (and the
    `extra` addresses or networks given) are its network: two households never answer each other.
    """
    networks = {ipaddress.IPv4Network(f"{ip}/32") for ip in player_ips}
    networks |= {ipaddress.IPv4Network(item, strict=False) for item in extra}
    subnets = _interface_subnets()
    for ip in player_ips:
        address = ipaddress.IPv4Address(ip)
        if not address.is_loopback:
            networks |= {subnet for subnet in subnets if address in subnet}
    return tuple(sorted(networks))


def _interface_subnets() -> list[ipaddress.IPv4Network]:
    """Every IPv4 subnet configured on this host (from `ip -j`; none if it cannot tell)."""
    try:
        listing = subprocess.run(["ip", "-j", "-4", "addr", "show"], check=True, capture_output=True, text=True, timeout=5).stdout
        interfaces = json.loads(listing)
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    return [
        ipaddress.IPv4Network(f"{entry['local']}/{entry['prefixlen']}", strict=False)
        for interface in interfaces
        for entry in interface.get("addr_info", [])
        if entry.get("family") == "inet"
    ]


def addresses_scope(addresses: Iterable[str]) -> Scope:
    return tuple(ipaddress.IPv4Network(f"{ip}/32") for ip in addresses)


class SsdpResponder:
    """One multicast listener for the household; replies from per-player sockets."""

    def __init__(self, household: Household, servers: dict[str, PlayerServer], scope: Scope | None = None) -> None:
        self.household = household
        self.servers = servers
        # Networks whose searches are answered (None: all). On one shared loopback this keeps
        # concurrent households apart, as separate LANs would.
        self.scope = scope
        self._listener: asyncio.DatagramTransport | None = None
        self._senders: dict[str, socket.socket] = {}

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        sock = _multicast_socket({p.ip for p in self.household.players.values()})
        transport, _ = await loop.create_datagram_endpoint(lambda: _Listener(self), sock=sock)
        self._listener = transport
        for player in self.household.players.values():
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sender.bind((player.ip, 0))
            sender.setblocking(False)
            self._senders[player.key] = sender

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for sender in self._senders.values():
            sender.close()
        self._senders.clear()

    def on_datagram(self, data: bytes, addr: Any) -> None:
        if not is_valid_ssdp_packet(data) or not data.startswith(b"M-SEARCH"):
            return
        if self.scope is not None and not any(ipaddress.IPv4Address(addr[0]) in network for network in self.scope):
            return
        try:
            _, headers = decode_ssdp_packet(data, None, addr)
        except (ValueError, UnicodeDecodeError):  # a malformed datagram is ignored, as a player does
            return
        if headers.get("man", "").strip('"') != "ssdp:discover":
            return
        search_target = headers.get("st", "")
        for name, server in self.servers.items():
            if server.vanished:
                continue
            player = self.household.players[name]
            for target in search_targets(player, search_target):
                self._send(name, reply(self.household, player, target), addr)
            if search_targets(player, search_target):
                self.household.events.write(
                    {"player": player.name, "uid": player.uid, "kind": "request", "service": "SSDP", "action": "M-SEARCH",
                     "args": {"ST": search_target, "from": f"{addr[0]}:{addr[1]}"}, "result": {"replies": len(search_targets(player, search_target))},
                     "fault": None, **self.household.snapshot_fields(player)}
                )

    def _send(self, name: str, packet: bytes, addr: Any) -> None:
        sender = self._senders.get(name)
        if sender is None:
            return
        try:
            sender.sendto(packet, addr)
        except OSError:
            pass


def _multicast_socket(player_ips: set[str]) -> socket.socket:
    """Bound to *:1900, member of the SSDP group on every interface a player lives on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("", SSDP_PORT))
    joined = False
    for interface in sorted(player_ips | {"0.0.0.0"}):
        membership = struct.pack("4s4s", socket.inet_aton(SSDP_GROUP), socket.inet_aton(interface))
        try:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
            joined = True
        except OSError:
            continue
    if not joined:
        raise OSError("could not join the SSDP multicast group on any interface")
    sock.setblocking(False)
    return sock
