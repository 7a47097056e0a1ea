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
        ({"players": [{"name": "A", "state": {"source": "line_in", "transport_state": "PLAYING"}}]},
         "players[0].state.source: 'line_in', but a Sonos One has no line-in"),
        ({"players": [{"name": "A", "model": "Sonos Five", "state": {"source": "tv", "transport_state": "PLAYING"}}]},
         "players[0].state.source: 'tv', but a Sonos Five has no TV input"),
        ({"players": [{"name": "A"}, {"name": "B", "bonded_to": "A", "channel": "RF",
                                      "state": {"source": "radio", "uri": "x-rincon-mp3radio://r", "transport_state": "PLAYING"}}]},
         "players[1].state.source: 'radio', but a speaker bonded to 'A' plays what its room plays"),
        ({"players": [{"name": "A", "model": "Sonos Sub", "state": {"source": "radio", "uri": "x-rincon-mp3radio://r"}}]},
         "players[0].state.source: 'radio', but a Sonos Sub"),
    ],
)
def test_bad_households_name_the_key(data, message):
    with pytest.raises(HouseholdError) as raised:
        load_household(data)
    assert str(raised.value).startswith(message)


def bonded(*players: dict, groups: list | None = None) -> dict:
    """A household of the given players, plus Arc (a home theatre) and One (a speaker) to bond to."""
    return {"players": [{"name": "Arc", "model": "Sonos Arc"}, {"name": "One", "model": "Sonos One"}, *players],
            "groups": groups or []}


SUB = {"name": "Sub", "model": "Sonos Sub", "bonded_to": "One", "channel": "SW"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bonded(SUB, {"name": "Sub 2", "model": "Sonos Sub", "bonded_to": "Sub", "channel": "SW"}),
         "players[3].bonded_to: 'Sub' is itself bonded"),
        (bonded({"name": "Sub", "model": "Sonos Sub"}, {"name": "Sub 2", "model": "Sonos Sub", "bonded_to": "Sub", "channel": "SW"}),
         "players[3].bonded_to: 'Sub 2' is bonded to 'Sub', a Sub: a Sub bonds to a room's speaker, nothing bonds to it"),
        (bonded({"name": "R", "bonded_to": "One", "channel": "RF"}, {"name": "R2", "bonded_to": "R", "channel": "RF"}),
         "players[3].bonded_to: 'R' is itself bonded"),
        (bonded({"name": "Left", "bonded_to": "One", "channel": "LR"}, {"name": "Right", "bonded_to": "One", "channel": "RR"}),
         "players[2].channel: 'Left' is a surround (LR) of 'One', a Sonos One: surrounds bond to a home-theatre player"),
        (bonded(SUB, {"name": "Sub 2", "model": "Sonos Sub", "bonded_to": "One", "channel": "SW"}),
         "players[3].bonded_to: 'Sub 2' would be a second Sub of 'One' (it has 'Sub')"),
        (bonded({"name": "R", "bonded_to": "One", "channel": "RF"}, {"name": "R2", "bonded_to": "One", "channel": "RF"}),
         "players[3].bonded_to: 'R2' would be a second right speaker of 'One' (it has 'R')"),
        (bonded({"name": "Sub", "model": "Sonos Sub", "bonded_to": "One", "channel": "RF"}),
         "players[2].channel: 'Sub' (Sonos Sub) on RF: a Sub takes channel SW"),
        (bonded({"name": "Woofer", "model": "Sonos One", "bonded_to": "Arc", "channel": "SW"}),
         "players[2].channel: 'Woofer' (Sonos One) on SW: channel SW is a Sub's"),
        (bonded({"name": "Left", "bonded_to": "Arc", "channel": "LR"}),
         "players: 'Arc' has one surround (LR): surrounds come in pairs, LR with RR"),
        (bonded({"name": "R", "bonded_to": "Arc", "channel": "RF"}, {"name": "Left", "bonded_to": "Arc", "channel": "LR"},
                {"name": "Right", "bonded_to": "Arc", "channel": "RR"}),
         "players: 'Arc' has a stereo partner and surrounds: a stereo pair takes a Sub, not surrounds"),
        (bonded(SUB, groups=[{"coordinator": "Arc", "members": ["Sub"]}]),
         "groups[0]: 'Sub' is bonded and follows its primary, not a group"),
        (bonded({"name": "R", "bonded_to": "One", "channel": "RF"}, groups=[{"coordinator": "R", "members": ["Arc"]}]),
         "groups[0]: 'R' is bonded and follows its primary, not a group"),
    ],
    ids=["sub-bonded-to-a-bonded-sub", "sub-bonded-to-a-sub", "partner-of-a-partner", "surrounds-on-a-speaker",
         "two-subs", "two-right-speakers", "sub-as-right-speaker", "speaker-as-sub", "one-surround",
         "pair-with-surrounds", "sub-in-a-group", "partner-coordinating-a-group"],
)
def test_check_refuses_a_topology_no_real_system_can_produce(data, message):
    with pytest.raises(HouseholdError) as raised:
        load_household(data)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    "players",
    [
        [SUB],  # one speaker and a Sub
        [{"name": "R", "bonded_to": "One", "channel": "RF"}, SUB],  # a stereo pair and a Sub
        [{"name": "Sub", "model": "Sonos Sub", "bonded_to": "Arc", "channel": "SW"},
         {"name": "Left", "bonded_to": "Arc", "channel": "LR"}, {"name": "Right", "bonded_to": "Arc", "channel": "RR"}],
    ],
    ids=["speaker-and-sub", "pair-and-sub", "home-theatre"],
)
def test_check_accepts_what_real_systems_form(players):
    assert load_household(bonded(*players)).players


def test_a_model_may_be_named_as_the_hardware_names_itself():
    spec = load_household({"players": [{"name": "A", "model": "Sonos Play:1"}, {"name": "B", "model": "Sonos Connect"}]})
    assert [p.model for p in spec.players] == ["Play:1", "Connect"]


def test_the_check_command_names_the_player_and_the_reason(tmp_path, capsys):
    from sonos_sim.__main__ import main

    path = tmp_path / "home.yml"
    path.write_text("players:\n  - {name: One}\n  - {name: Sub, model: Sonos Sub, bonded_to: One, channel: SW}\n"
                    "  - {name: Sub 2, model: Sonos Sub, bonded_to: One, channel: SW}\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert "players[2].bonded_to: 'Sub 2' would be a second Sub of 'One' (it has 'Sub')" in capsys.readouterr().err
