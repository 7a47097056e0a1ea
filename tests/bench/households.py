"""Households the bench measures on: N groups, some of two players, mixed sources."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The sources cycle over the groups so every size mixes them: music that must resume at its
# position, a radio stream, paused music that must stay paused, and an idle player.
SOURCES = ("queue", "radio", "paused", "idle")


@dataclass(frozen=True)
class BenchHome:
    name: str
    groups: int
    latency: float
    spec: dict[str, Any]

    @property
    def coordinators(self) -> list[str]:
        return [group[0] for group in self.group_names]

    @property
    def group_names(self) -> list[list[str]]:
        return group_names(self.spec)


def player_state(source: str, volume: int) -> dict[str, Any]:
    if source == "queue":
        queue = [{"title": f"Track {n}", "duration": 240 + 10 * n} for n in range(1, 4)]
        return {"source": "queue", "queue": queue, "track": 2, "position": 61.5, "transport_state": "PLAYING", "volume": volume}
    if source == "radio":
        return {
            "source": "radio",
            "uri": "x-sonosapi-stream:s15200?sid=254&flags=8224&sn=0",
            "title": "FIP",
            "transport_state": "PLAYING",
            "volume": volume,
        }
    if source == "paused":
        queue = [{"title": "Adagio", "duration": 420}]
        return {"source": "queue", "queue": queue, "track": 1, "position": 200.0, "transport_state": "PAUSED_PLAYBACK", "volume": volume}
    return {"source": "idle", "volume": volume}


def bench_home(groups: int, latency: float, first_ip: tuple[int, int]) -> BenchHome:
    """`groups` groups; every third group has a second player; addresses from 127.<a>.<b>.2 on."""
    players: list[dict[str, Any]] = []
    group_specs: list[dict[str, Any]] = []
    a, b = first_ip
    host = 2
    for index in range(groups):
        source = SOURCES[index % len(SOURCES)]
        coordinator = f"Room {index + 1:02d}"
        players.append({"name": coordinator, "ip": f"127.{a}.{b}.{host}", "model": "Sonos One", "state": player_state(source, 20 + index)})
        host += 1
        if index % 3 == 1:
            member = f"Room {index + 1:02d} b"
            players.append({"name": member, "ip": f"127.{a}.{b}.{host}", "model": "Sonos Five", "state": {"volume": 40 - index}})
            host += 1
            group_specs.append({"coordinator": coordinator, "members": [member]})
    faults = [{"kind": "latency", "player": player["name"], "fixed": latency, "jitter": latency / 10} for player in players] if latency else []
    spec = {"household_id": f"Sonos_bench_{groups}_{int(latency * 1000)}_{a}_{b}", "players": players, "groups": group_specs, "faults": faults}
    return BenchHome(name=f"{groups} groups, {int(latency * 1000)} ms", groups=groups, latency=latency, spec=spec)


def group_names(spec: dict[str, Any]) -> list[list[str]]:
    """Each group's rooms, coordinator first (the zones of the chime: no stereo-pair half, sub
    or surround, which follow their room)."""
    members_of = {group["coordinator"]: list(group["members"]) for group in spec.get("groups", [])}
    grouped = {name for members in members_of.values() for name in members}
    return [[player["name"], *members_of.get(player["name"], [])] for player in spec["players"]
            if player["name"] not in grouped and not player.get("bonded_to")]


def with_bonded(spec: dict[str, Any], group: list[str]) -> list[str]:
    """A group's rooms and the speakers bonded to them: every speaker its chime asks and changes."""
    return [*group, *(player["name"] for player in spec["players"] if player.get("bonded_to") in group)]


def field_home() -> BenchHome:
    """tests/households/thirty-two-players.yml: Sonos's limit, as a real home mixes it."""
    path = Path(__file__).resolve().parents[1] / "households" / "thirty-two-players.yml"
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    for player in spec["players"]:
        player.pop("ip", None)  # the runner gives fresh addresses
    return BenchHome(name="32 players (the field)", groups=len(group_names(spec)), latency=0.0, spec=spec)
