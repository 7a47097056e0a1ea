"""In-process households for tests: fresh loopback addresses, handles, parsed events."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
import socket
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import PlayerState
from .schema import HouseholdSpec, load_household
from .server import ThreadedHousehold
from .ssdp import addresses_scope


class LoopbackAddresses:
    """Hands out 127.0.x.y addresses never used before in this process.

    The start depends on the process id so that consecutive pytest runs do not reuse the
    addresses (and TIME_WAIT connections) of the previous run either.
    """

    def __init__(self) -> None:
        first_block = 20 + os.getpid() % 200
        self._addresses: Iterator[str] = (
            f"127.0.{x}.{y}" for x in itertools.chain(range(first_block, 255), range(1, first_block)) for y in range(2, 255)
        )
        self._serial = itertools.count(1)

    def take(self, count: int) -> list[str]:
        return [next(self._addresses) for _ in range(count)]

    def household_id(self) -> str:
        return f"Sonos_sim{os.getpid():08d}{next(self._serial):06d}"


SSDP_GROUP = "239.255.255.250"


def loopback_multicast_works(timeout: float = 0.5) -> bool:
    """Does a datagram sent to the SSDP group with IP_MULTICAST_IF=127.0.0.1 come back?"""
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        receiver.bind(("", 0))
        membership = struct.pack("4s4s", socket.inet_aton(SSDP_GROUP), socket.inet_aton("127.0.0.1"))
        receiver.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        receiver.settimeout(timeout)
        sender.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        probe = os.urandom(8)
        sender.sendto(probe, (SSDP_GROUP, receiver.getsockname()[1]))
        while True:
            if receiver.recv(64) == probe:
                return True
    except OSError:
        return False
    finally:
        receiver.close()
        sender.close()


@functools.cache
def ensure_loopback_multicast() -> None:
    """Make SSDP work on lo, changing the system only if it does not already (needs root)."""
    if loopback_multicast_works():
        return
    for command in (["ip", "link", "set", "lo", "multicast", "on"], ["ip", "route", "replace", f"{SSDP_GROUP}/32", "dev", "lo"]):
        subprocess.run(command, check=False, capture_output=True)
    if not loopback_multicast_works():
        raise RuntimeError("multicast on the loopback interface does not work: SSDP tests cannot run (need root to fix)")


@dataclass(frozen=True)
class PlayerHandle:
    name: str
    ip: str
    uid: str
    _running: ThreadedHousehold

    def state(self) -> PlayerState:
        return self._running.state(self.name)


SSDP_SCOPES = ("household", "household+localhost", "any")


class RunningHousehold:
    """What the `household` fixture returns (docs/architecture.md section 4).

    `interface` is a loopback address of its own for this household's controllers: searches
    sent with interface_addr=interface reach only this household. With ssdp_scope "household"
    (the default) only searches from interface and the player addresses are answered;
    "household+localhost" answers searches from 127.0.0.1 too (as does every household on the
    host that says so); "any" answers everything, as on a real LAN.
    """

    def __init__(
        self,
        spec: HouseholdSpec,
        ips: list[str],
        interface: str,
        events_path: str | None = None,
        ssdp: bool = True,
        ssdp_scope: str = "household",
    ) -> None:
        if ssdp_scope not in SSDP_SCOPES:
            raise ValueError(f"ssdp_scope: {ssdp_scope!r} is not one of {', '.join(SSDP_SCOPES)}")
        overrides = {player.name: ip for player, ip in zip(spec.players, ips, strict=True)}
        self.spec = spec
        self.household_id = spec.household_id
        self.interface = interface
        localhost = {"127.0.0.1"} if "localhost" in ssdp_scope else set()
        scope = None if ssdp_scope == "any" else addresses_scope({interface, *ips} | localhost)
        self._running = ThreadedHousehold(spec, overrides, events_path=events_path, ssdp=ssdp, ssdp_scope=scope)
        self.players = {p.name: PlayerHandle(p.name, overrides[p.name], p.uid, self._running) for p in spec.players}
        self._running.start()

    def events(self, **match: Any) -> list[dict[str, Any]]:
        """Parsed events, optionally only those whose fields equal `match` (e.g. kind="state")."""
        return [e for e in self._running.events_log.events() if all(e.get(k) == v for k, v in match.items())]

    def requests(self, action: str | None = None, player: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.events(kind="request") if (action is None or e["action"] == action) and (player is None or e["player"] == player)]

    def call(self, coroutine: Any) -> Any:
        """Run a coroutine on the household's loop (for tests poking the model directly)."""
        return self._running.call(coroutine)

    @property
    def model(self) -> Any:
        return self._running.runtime.household

    def stop(self) -> None:
        self._running.stop()


def start_household(
    source: str | Path | dict[str, Any],
    addresses: LoopbackAddresses,
    events_path: str | None = None,
    ssdp: bool = True,
    ssdp_scope: str = "household",
    keep_household_id: bool = False,
) -> RunningHousehold:
    spec = load_household(source)
    if ssdp:
        ensure_loopback_multicast()
    if not keep_household_id:
        # SoCo caches topology per household id for the whole process: keep each test's apart.
        spec = dataclasses.replace(spec, household_id=addresses.household_id())
    interface, *ips = addresses.take(len(spec.players) + 1)
    return RunningHousehold(spec, ips, interface, events_path=events_path, ssdp=ssdp, ssdp_scope=ssdp_scope)
