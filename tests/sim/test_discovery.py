"""Discovery as SoCo does it: SSDP M-SEARCH on loopback, scan_network, by_name.

Every search names a loopback interface (interface_addr), so no datagram leaves the host,
and it is the household's own `interface`, so households of other test processes running
at the same time do not answer.
"""

from __future__ import annotations

import ipaddress
import socket
import xml.etree.ElementTree as ET

import pytest
import requests
import soco
from soco import discovery

RADIO = "group-on-radio.yml"
HOME = "six-player-home.yml"


def covering_network(home) -> str:
    addresses = [ipaddress.IPv4Address(p.ip) for p in home.players.values()]
    network = ipaddress.IPv4Network(f"{min(addresses)}/29", strict=False)
    while not all(a in network for a in addresses):
        network = network.supernet()
    return str(network)


def test_discover_on_loopback_returns_the_visible_zones(household):
    home = household(HOME, ssdp_scope="household")
    found = soco.discover(timeout=2, interface_addr=home.interface)
    assert found is not None
    assert {z.player_name for z in found} == {"Living Room", "TV Room", "Study", "Bedroom"}
    assert {z.ip_address for z in found} <= {p.ip for p in home.players.values()}
    searches = home.requests("M-SEARCH")
    assert searches and searches[0]["args"]["ST"] == "urn:schemas-upnp-org:device:ZonePlayer:1"
    everything = soco.discover(timeout=2, interface_addr=home.interface, include_invisible=True)
    assert len(everything) == 6


def test_ssdp_reply_is_unicast_from_the_players_address_with_sonos_headers(household):
    home = household(RADIO, ssdp_scope="household")
    request = (
        b"M-SEARCH * HTTP/1.1\nHOST: 239.255.255.250:1900\nMAN: \"ssdp:discover\"\nMX: 1\nST: ssdp:all"
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(home.interface))
    sock.settimeout(1.0)
    sock.sendto(request, ("239.255.255.250", 1900))
    replies: list[tuple[str, str]] = []
    try:
        while True:
            data, addr = sock.recvfrom(2048)
            replies.append((addr[0], data.decode()))
    except TimeoutError:
        pass
    finally:
        sock.close()
    ours = [(ip, text) for ip, text in replies if home.household_id in text]
    office = home.players["Office"]
    from_office = [text for ip, text in ours if ip == office.ip]
    assert len(from_office) == 5  # rootdevice, uuid, ZonePlayer, MediaRenderer, MediaServer
    zone_player = next(t for t in from_office if "ST: urn:schemas-upnp-org:device:ZonePlayer:1" in t)
    assert f"LOCATION: http://{office.ip}:1400/xml/device_description.xml" in zone_player
    assert "Sonos/" in zone_player and "X-RINCON-BOOTSEQ:" in zone_player
    assert f"USN: uuid:{office.uid}::urn:schemas-upnp-org:device:ZonePlayer:1" in zone_player


def test_scan_network_on_a_loopback_range(household):
    home = household(RADIO, ssdp_scope="household")
    found = discovery.scan_network(networks_to_scan=[covering_network(home)], scan_timeout=0.5, max_threads=16)
    assert found is not None
    assert {z.player_name for z in found} == {"Living Room", "Dining Room", "Office"}


def test_by_name_finds_the_player(household):
    home = household(RADIO, ssdp_scope="household")
    office = discovery.by_name("Office", interface_addr=home.interface)
    assert office is not None and office.ip_address == home.players["Office"].ip
    assert discovery.by_name("Attic", interface_addr=home.interface) is None


def test_vanished_player_no_longer_answers_ssdp(household):
    home = household({"players": [{"name": "Gone"}], "faults": [{"kind": "vanish", "player": "Gone", "after": 1}]}, ssdp_scope="household")
    gone = soco.SoCo(home.players["Gone"].ip)
    assert gone.volume == 20
    with pytest.raises(requests.exceptions.ConnectionError):
        gone.volume  # noqa: B018 - the property is the request
    assert soco.discover(timeout=1, interface_addr=home.interface, household_id=home.household_id) is None
    assert home.events(action="vanished")


def test_searches_from_outside_the_scope_are_not_answered(household):
    home = household(RADIO, ssdp_scope="household")
    other = household(RADIO, ssdp_scope="household")
    found = soco.discover(timeout=1, interface_addr=other.interface, household_id=home.household_id)
    assert found is None
    assert {z.ip_address for z in soco.discover(timeout=2, interface_addr=other.interface)} <= {p.ip for p in other.players.values()}
    assert not home.requests("M-SEARCH")


def test_an_s1_system_beside_s2_answers_as_its_firmware_and_soco_tells_them_apart(household):
    modern = household(HOME, ssdp_scope="household+localhost")
    legacy = household("s1-system.yml", ssdp_scope="household+localhost")
    garage = legacy.players["Garage"]

    # SoCo's discover filters SSDP answers by X-RINCON-HOUSEHOLD.
    s1 = soco.discover(timeout=2, interface_addr="127.0.0.1", household_id=legacy.household_id)
    s2 = soco.discover(timeout=2, interface_addr="127.0.0.1", household_id=modern.household_id)
    assert {z.player_name for z in s1} == {"Garage", "Workshop"}
    assert {z.player_name for z in s2} == {"Living Room", "TV Room", "Study", "Bedroom"}

    # S1 firmware: swGen 1 and a 57.x version wherever a player states its version
    # (a Play:1 on S1: <modelNumber>S1</modelNumber> ... <softwareVersion>57.13-34140</softwareVersion><swGen>1</swGen>).
    description = requests.get(f"http://{garage.ip}:1400/xml/device_description.xml", timeout=2).text
    assert "<swGen>1</swGen>" in description and "<softwareVersion>57." in description
    assert "<apiVersion>" not in description
    assert "<variant>0</variant>" in description
    assert requests.get(f"http://{garage.ip}:1400/status", timeout=2).headers["Server"].startswith("Linux UPnP/1.0 Sonos/57.")
    info = soco.SoCo(garage.ip).get_speaker_info(refresh=True)
    assert info["software_version"].startswith("57.") and info["display_version"].startswith("11.")
    state = soco.SoCo(garage.ip).zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"]
    members = ET.fromstring(state).iter("ZoneGroupMember")
    assert {(m.get("SWGen"), m.get("SSLPort")) for m in members} == {("1", None)}
    modern_description = requests.get(f"http://{modern.players['Study'].ip}:1400/xml/device_description.xml", timeout=2).text
    assert "<swGen>2</swGen>" in modern_description and "<apiVersion>" in modern_description

    # No local API on port 1443: the connection is refused, as on a player whose port is closed.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((garage.ip, 1443), timeout=2).close()
    socket.create_connection((modern.players["Study"].ip, 1443), timeout=2).close()
