"""`chime.py discover`: real SSDP (and --scan) against the six-player household."""

from __future__ import annotations

import ipaddress
from typing import Any

import yaml
from chime_helpers import run_chime

SIX_PLAYER_HOME = {
    "Bedroom": ("RINCON_000E58A0001001400", "Sonos Era 100", "RINCON_000E58A0001001400"),
    "Living Room": ("RINCON_000E58A0000501400", "Sonos One", "RINCON_000E58A0000501400"),
    "Study": ("RINCON_000E58A0000901400", "Sonos Five", "RINCON_000E58A0000901400"),
    "TV Room": ("RINCON_000E58A0000701400", "Sonos Arc", "RINCON_000E58A0000701400"),
}


def expected_listing(home: Any) -> list[dict[str, str]]:
    return [
        {"name": name, "uid": uid, "host": home.players[name].ip, "model": model, "coordinator": coordinator}
        for name, (uid, model, coordinator) in sorted(SIX_PLAYER_HOME.items())
    ]


def test_discover_lists_the_visible_zones_by_ssdp(household: Any) -> None:
    home = household("six-player-home.yml", ssdp=True)

    # The household's own loopback interface: searches from it reach only this household.
    run = run_chime("discover", "--interface", home.interface, "--timeout", "2")

    assert run.returncode == 0, run.stderr
    assert yaml.safe_load(run.stdout) == expected_listing(home)
    assert home.requests("M-SEARCH"), "the players were found by SSDP"


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
