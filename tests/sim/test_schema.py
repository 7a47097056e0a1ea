"""The household file is validated, and errors name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest
from sonos_sim.schema import HouseholdError, load_household

HOUSEHOLDS = Path(__file__).parent.parent / "households"


@pytest.mark.parametrize("path", sorted(HOUSEHOLDS.glob("*.yml")), ids=lambda p: p.name)
def test_example_households_load(path):
    spec = load_household(path)
    assert spec.players


def test_example_households_have_what_the_issue_asks_for():
    home = load_household(HOUSEHOLDS / "six-player-home.yml")
    sources = {p.state.source for p in home.players}
    assert {"queue", "tv", "line_in", "cloud"} <= sources
    assert any(p.channel == "RF" for p in home.players) and any(p.channel == "SW" for p in home.players)
    assert any(p.state.transport_state == "PAUSED_PLAYBACK" and p.state.source == "queue" for p in home.players)
    assert len(home.players) == 6
    radio = load_household(HOUSEHOLDS / "group-on-radio.yml")
    assert len(radio.players) == 3 and radio.groups[0].members == ("Dining Room",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"players": [{"name": "A", "colour": "red"}]}, "players[0].colour: unknown key"),
        ({"players": [{"name": "A", "state": {"volume": 140}}]}, "players[0].state.volume: 140 is not within 0-100"),
        ({"players": [{"name": "A", "state": {"source": "queue"}}]}, "players[0].state.queue: source queue needs"),
        ({"players": [{"name": "A"}, {"name": "A"}]}, "players[1].name: 'A' is used twice"),
        ({"players": [{"name": "A"}], "groups": [{"coordinator": "B"}]}, "groups[0].coordinator: no player named 'B'"),
        ({"players": [{"name": "A"}], "faults": [{"kind": "explode"}]}, "faults[0].kind: 'explode' is not one of"),
        ({"players": [{"name": "A", "model": "Gramophone"}]}, "players[0].model: 'Gramophone'"),
        ({"players": [{"name": "A", "ip": "kitchen"}]}, "players[0].ip: 'kitchen' is not an IPv4 address"),
        ({"players": []}, "players: a household needs at least one player"),
        ({"players": [{"name": "A"}], "faults": [{"kind": "latency"}]}, "faults[0].player: a latency fault needs a player"),
        ({"players": [{"name": "A"}], "faults": [{"kind": "reset", "after": 2}]}, "faults[0].after: only meaningful with mode"),
    ],
)
def test_bad_households_name_the_key(data, message):
    with pytest.raises(HouseholdError) as raised:
        load_household(data)
    assert str(raised.value).startswith(message)
