"""`chime.py discover`: real SSDP (and --scan) against the six-player household."""

from __future__ import annotations

import ipaddress
from typing import Any

import yaml
from chime_helpers import ROOT, run_chime

SIX_PLAYER_HOME = {
    "Bedroom": ("RINCON_000E58A0001001400", "Sonos Era 100", "RINCON_000E58A0001001400"),
    "Living Room": ("RINCON_000E58A0000501400", "Sonos One", "RINCON_000E58A0000501400"),
    "Study": ("RINCON_000E58A0000901400", "Sonos Five", "RINCON_000E58A0000901400"),
    "TV Room": ("RINCON_000E58A0000701400", "Sonos Arc", "RINCON_000E58A0000701400"),
}


def expected_listing(home: Any) -> list[dict[str, str]]:
    return [
        {"name": name, "uid": uid, "host": home.players[name].ip, "model": model, "coordinator": coordinator,
         "household": home.household_id}
        for name, (uid, model, coordinator) in sorted(SIX_PLAYER_HOME.items())
    ]


def test_discover_lists_the_visible_zones_by_ssdp(household: Any) -> None:
    home = household("six-player-home.yml", ssdp=True)

    # The household's own loopback interface: searches from it reach only this household.
    run = run_chime("discover", "--interface", home.interface, "--timeout", "2")

    assert run.returncode == 0, run.stderr
    assert yaml.safe_load(run.stdout) == expected_listing(home)
    assert home.requests("M-SEARCH"), "the players were found by SSDP"


def test_discover_lists_every_household_on_the_network_each_zone_with_its_own(household: Any) -> None:
    # An S1 system beside the S2 household, both answering searches from 127.0.0.1 as on one LAN.
    home = household("six-player-home.yml", ssdp=True, ssdp_scope="household+localhost")
    legacy = household("s1-system.yml", ssdp=True, ssdp_scope="household+localhost")

    run = run_chime("discover", "--interface", "127.0.0.1", "--timeout", "2")

    assert run.returncode == 0, run.stderr
    s1_zones = [
        {"name": name, "uid": legacy.players[name].uid, "host": legacy.players[name].ip, "model": model,
         "coordinator": legacy.players[name].uid, "household": legacy.household_id}
        for name, model in (("Garage", "Sonos Play:1"), ("Workshop", "Sonos Connect"))
    ]
    listing = yaml.safe_load(run.stdout)
    assert listing == sorted(expected_listing(home) + s1_zones, key=lambda zone: zone["name"].casefold())
    assert home.household_id != legacy.household_id
    assert "2 Sonos households" in run.stderr


def test_discover_by_scanning_a_network(household: Any) -> None:
    home = household("six-player-home.yml", ssdp=False)
    addresses = [ipaddress.IPv4Address(player.ip) for player in home.players.values()]
    network = ipaddress.IPv4Network(f"{min(addresses)}/29", strict=False)
    while not all(address in network for address in addresses):
        network = network.supernet()

    run = run_chime("discover", "--scan", str(network), "--timeout", "2")

    assert run.returncode == 0, run.stderr
    assert yaml.safe_load(run.stdout) == expected_listing(home)


def test_discover_explains_what_to_try_when_nothing_answers(loopback_addresses: Any) -> None:
    unused = loopback_addresses.take(4)[0]

    run = run_chime("discover", "--scan", f"{unused}/30", "--timeout", "0.5")

    assert run.returncode == 1
    assert run.stdout == ""
    for hint in ("multicast", "--interface", "firewall", "--scan", "--timeout"):
        assert hint in run.stderr


def six_player_home_with(fault: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((ROOT / "tests" / "households" / "six-player-home.yml").read_text(encoding="utf-8"))
    return {**spec, "faults": [*spec.get("faults", []), fault]}


def test_a_responder_that_answers_the_search_and_never_its_topology_costs_only_itself(household: Any) -> None:
    # Living Room answers the search first; what it says of its household never ends in time.
    home = household(six_player_home_with({"kind": "drip", "player": "Living Room", "action": "GetZoneGroupState",
                                           "mode": "always", "interval": 0.5}), ssdp=True)

    run = run_chime("discover", "--interface", home.interface, "--timeout", "1")

    assert run.returncode == 0, run.stderr
    assert yaml.safe_load(run.stdout) == expected_listing(home)
    assert "GetZoneGroupState on " + home.players["Living Room"].ip in run.stderr


def test_a_player_whose_description_is_hostile_is_listed_without_its_model(household: Any) -> None:
    home = household(six_player_home_with({"kind": "endless_body", "player": "Study",
                                           "action": "GET /xml/device_description.xml", "mode": "always"}), ssdp=True)

    run = run_chime("discover", "--interface", home.interface, "--timeout", "2")

    assert run.returncode == 0, run.stderr
    listing = expected_listing(home)
    for entry in listing:
        if entry["name"] == "Study":
            entry["model"] = ""
    assert yaml.safe_load(run.stdout) == listing
    assert "larger than 256 KiB, the limit for a device description" in run.stderr


def every_player_refuses(spec: dict[str, Any], action: str) -> dict[str, Any]:
    faults = [{"kind": "upnp_error", "player": player["name"], "action": action, "code": 401, "mode": "always"}
              for player in spec["players"]]
    return {**spec, "faults": [*spec.get("faults", []), *faults]}


def test_the_household_comes_from_the_search_answer_when_no_player_will_say(household: Any) -> None:
    spec = yaml.safe_load((ROOT / "tests" / "households" / "six-player-home.yml").read_text(encoding="utf-8"))
    home = household(every_player_refuses(spec, "GetHouseholdID"), ssdp=True)

    run = run_chime("discover", "--interface", home.interface, "--timeout", "1")

    assert run.returncode == 0, run.stderr
    assert yaml.safe_load(run.stdout) == expected_listing(home)  # X-RINCON-HOUSEHOLD says which
    assert home.requests("GetHouseholdID") == []


def test_a_scan_lists_the_zones_of_a_player_that_will_not_say_its_household(household: Any) -> None:
    spec = yaml.safe_load((ROOT / "tests" / "households" / "six-player-home.yml").read_text(encoding="utf-8"))
    home = household(every_player_refuses(spec, "GetHouseholdID"), ssdp=False)
    network = ipaddress.IPv4Network(f"{min(ipaddress.IPv4Address(p.ip) for p in home.players.values())}/29", strict=False)
    while not all(ipaddress.IPv4Address(p.ip) in network for p in home.players.values()):
        network = network.supernet()

    run = run_chime("discover", "--scan", str(network), "--timeout", "1")

    assert run.returncode == 0, run.stderr
    assert yaml.safe_load(run.stdout) == [{**zone, "household": ""} for zone in expected_listing(home)]
    assert "no household for the zones" in run.stderr and "UPnP error 401" in run.stderr


def test_a_household_id_that_is_not_one_is_left_out_and_said(household: Any) -> None:
    spec = yaml.safe_load((ROOT / "tests" / "households" / "lone-player.yml").read_text(encoding="utf-8"))
    home = household({**spec, "household_id": "Sonos_{{ lookup('pipe', 'id') }}"}, ssdp=True, keep_household_id=True)

    run = run_chime("discover", "--interface", home.interface, "--timeout", "1")

    assert run.returncode == 0, run.stderr
    [zone] = yaml.safe_load(run.stdout)
    assert zone["name"] == "Kitchen" and zone["household"] == ""
    assert "which is not a household id" in run.stderr


def test_a_player_two_households_list_is_kept_where_it_lists_itself() -> None:
    from sonos_chime.discover import FoundZone, one_per_player
    from sonos_chime.topology import Member

    garage = Member(uid="RINCON_G", host="192.0.2.21", port=1400, name="Garage", invisible=False, room_uid="RINCON_G")
    s2_stale = FoundZone(garage, "RINCON_G", "Sonos_A", told_by="192.0.2.11")  # the S2 system has not noticed yet
    s1_own = FoundZone(garage, "RINCON_G", "Sonos_B", told_by="192.0.2.21")
    assert one_per_player({s2_stale, s1_own}) == [s1_own]
