"""Gentle fades (`fade`, issue #21 part 3), read on the simulator's event log: the music steps
down to silence before the chime is switched in, the chime still starts at the moment, and the
music comes back silent and ramps up to exactly the volume each speaker had."""

from __future__ import annotations

import json
import re
import signal
from typing import Any

import pytest
import soco
from chime_helpers import (
    ChimeSetup,
    changing_requests,
    chime_sets,
    level_at,
    outcomes,
    requests,
    run_chime,
    state_events,
    wait_for_event,
)
from test_chime_moment import moment_in
from test_chime_scenarios import QUEUE, RADIO_URI

FADE = 1.5
ON_TIME = 0.25  # seconds after the moment the chime's Play may reach the player (a loaded test host)
VOLUMES = {"Kitchen": 24, "Office": 12}  # heard: they fade
MUTED = ("Den", 15)  # muted: nothing to fade


def group_playing(faults: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Kitchen plays its queue for itself, Office and a muted Den."""
    return {
        "transition_time": 0.05,
        "faults": faults or [],
        "players": [
            {"name": "Kitchen", "state": {"source": "queue", "queue": QUEUE, "track": 2, "position": 100.0,
                                          "transport_state": "PLAYING", "volume": VOLUMES["Kitchen"]}},
            {"name": "Office", "state": {"volume": VOLUMES["Office"]}},
            {"name": MUTED[0], "state": {"volume": MUTED[1], "mute": True}},
        ],
        "groups": [{"coordinator": "Kitchen", "members": ["Office", MUTED[0]]}],
    }


def group_playing_with_a_port() -> dict[str, Any]:
    """The same, with a Port in the group: its line-out volume is fixed (it refuses every step)."""
    spec = group_playing()
    spec["players"].append({"name": "Port", "model": "Sonos Port", "state": {"volume": 100, "output_fixed": True}})
    spec["groups"][0]["members"].append("Port")
    return spec


def fading_setup(home: Any, chime_setup: Any, fade: float = FADE) -> ChimeSetup:
    return chime_setup(home, ["Kitchen"], volume=30, fade=fade)


def volumes_set(events: list[dict[str, Any]], player: str, before: float) -> list[int]:
    return [int(e["args"]["DesiredVolume"]) for e in requests(events, "SetVolume", player) if e["received"] < before and not e.get("fault")]


def assert_back_as_they_were(home: Any) -> None:
    for name, volume in VOLUMES.items():
        state = home.players[name].state()
        assert (state.volume, state.mute) == (volume, False), name
    den = home.players[MUTED[0]].state()
    assert (den.volume, den.mute) == (MUTED[1], True)
    kitchen = home.players["Kitchen"].state()
    assert (kitchen.transport_state, kitchen.track) == ("PLAYING", 2)


def test_the_music_fades_out_the_chime_plays_at_the_moment_and_the_music_fades_back_in_to_its_volume(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    home = household(group_playing())
    setup = fading_setup(home, chime_setup)
    # Time to start and find the group before the fade's lead begins, even on a busy machine (a
    # run that starts late shortens its fade rather than be late).
    at, moment = moment_in(6.0)

    run = setup.run("Test", None, "--at", at)

    assert run.returncode == 0, run.stderr
    assert set(outcomes(run.stderr).values()) == {"ok"}, run.stderr
    assert "faded out" in run.stderr and "faded in" in run.stderr and "not back" not in run.stderr, run.stderr
    events = home.events()
    (switched,) = chime_sets(events, sounds.url("/chime.mp3"))
    for name, volume in VOLUMES.items():
        steps = volumes_set(events, name, switched["received"])
        # Down before the chime is switched in, step by step, to silence.
        assert len(steps) >= 5 and steps == sorted(steps, reverse=True) and steps[0] < volume and steps[-1] == 0, (name, steps)
        (first_step,) = [e for e in requests(events, "SetVolume", name) if int(e["args"]["DesiredVolume"]) == steps[0]][:1]
        assert switched["received"] - first_step["received"] >= FADE - 0.3, (name, switched["received"] - first_step["received"])
    assert volumes_set(events, MUTED[0], switched["received"]) == []
    plays = requests(events, "Play", "Kitchen")
    chime_play, resume_play = plays[0], plays[-1]
    assert chime_play["received"] > switched["received"]
    assert moment - 0.002 <= chime_play["received"] <= moment + ON_TIME, chime_play["received"] - moment
    for name, volume in VOLUMES.items():
        # The music resumes silent, then the player's own ramp brings it up to exactly its volume.
        assert level_at(events, name, resume_play["received"], (volume, False)) == (0, False), name
        ramp = [e["volume"] for e in state_events(events, name) if e["action"] == "ramp" and e["mono"] > resume_play["received"]]
        assert len(ramp) >= 3 and ramp == sorted(ramp) and ramp[-1] == volume, (name, ramp)
        (ramped,) = requests(events, "RampToVolume", name)
        assert ramped["args"]["RampType"] == "AUTOPLAY_RAMP_TYPE" and int(ramped["args"]["DesiredVolume"]) == volume
        # Read back once the ramp is over.
        assert [e for e in requests(events, "GetVolume", name) if e["received"] > ramped["received"]][-1]["result"] == {
            "CurrentVolume": str(volume)}
    assert_back_as_they_were(home)


def test_a_player_that_refuses_the_ramp_still_chimes_and_gets_its_volume_back_exactly(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    home = household(group_playing(faults=[{"kind": "upnp_error", "action": "RampToVolume", "code": 701, "mode": "always"}]))
    setup = fading_setup(home, chime_setup)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert set(outcomes(run.stderr).values()) == {"ok"}, run.stderr
    events = home.events()
    assert chime_sets(events, sounds.url("/chime.mp3"))
    for name, volume in VOLUMES.items():
        (refused,) = requests(events, "RampToVolume", name)
        assert refused["fault"], refused
        after = [int(e["args"]["DesiredVolume"]) for e in requests(events, "SetVolume", name) if e["received"] > refused["received"]]
        assert after == [volume], (name, after)
    assert not [e for e in events if e["kind"] == "state" and e["action"] == "ramp"]
    assert_back_as_they_were(home)


def test_a_run_killed_mid_fade_loses_no_volume(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(group_playing())
    setup = fading_setup(home, chime_setup, fade=3.0)
    at, _moment = moment_in(5.0)
    started = setup.start("Test", "--at", at)
    wait_for_event(home, lambda e: e["kind"] == "request" and e["action"] == "SetVolume" and e["player"] == "Kitchen"
                   and 0 < int(e["args"]["DesiredVolume"]) < VOLUMES["Kitchen"] - 2)
    started.signal(signal.SIGKILL)
    started.finish(timeout=10)
    assert home.players["Kitchen"].state().volume < VOLUMES["Kitchen"]
    assert not chime_sets(home.events(), sounds.url("/chime.mp3"))
    (kept,) = [json.loads(path.read_text(encoding="utf-8")) for path in setup.state_dir.glob("*.json")]
    assert {level["volume"] for level in kept["levels"]} == {*VOLUMES.values(), MUTED[1]}  # the volumes before the fade

    run = run_chime("recover", "--config", str(setup.path), timeout=60)

    assert run.returncode == 0, run.stderr
    assert_back_as_they_were(home)
    assert list(setup.state_dir.glob("*.json")) == []


def test_under_auto_the_interrupted_group_fades_and_the_overlaid_one_is_left_to_its_clip(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    playing = {"source": "queue", "queue": QUEUE, "track": 2, "position": 100.0, "transport_state": "PLAYING"}
    home = household({"transition_time": 0.05, "players": [
        {"name": "One", "model": "Sonos One", "state": {**playing, "volume": 22}},
        {"name": "Old", "model": "Play:1", "state": {**playing, "volume": 18}},  # a clip there pauses its group
    ]})
    setup = chime_setup(home, ["One", "Old"], volume=30, mode="auto", fade=1.0)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"One": "ok", "Old": "ok"}, run.stderr
    events = home.events()
    (switched,) = chime_sets(events, sounds.url("/chime.mp3"))
    assert switched["player"] == "Old"
    steps = volumes_set(events, "Old", switched["received"])
    assert len(steps) >= 3 and steps[-1] == 0 and steps == sorted(steps, reverse=True), steps
    assert [int(e["args"]["DesiredVolume"]) for e in requests(events, "RampToVolume", "Old")] == [18]
    assert requests(events, "RampToVolume", "One") == [] and 0 not in volumes_set(events, "One", float("inf"))
    assert [e for e in events if e["kind"] == "state" and e["player"] == "One" and e["action"] == "clip_start"]
    assert (home.players["One"].state().volume, home.players["Old"].state().volume) == (22, 18)


def test_a_speaker_that_refuses_the_steps_down_keeps_its_volume_and_the_group_still_chimes(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    home = household(group_playing_with_a_port())
    setup = fading_setup(home, chime_setup)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "ok"}, run.stderr
    events = home.events()
    (switched,) = chime_sets(events, sounds.url("/chime.mp3"))
    assert [e["fault"] is not None for e in requests(events, "SetVolume", "Port") if e["received"] < switched["received"]] == [True]
    assert volumes_set(events, "Kitchen", switched["received"])[-1] == 0
    assert requests(events, "RampToVolume", "Port") == []
    assert home.players["Port"].state().volume == 100
    assert_back_as_they_were(home)


def mid_fade(home: Any) -> None:
    """Until Kitchen's fade has taken a few steps down, not yet to silence."""
    wait_for_event(home, lambda e: e["kind"] == "request" and e["action"] == "SetVolume" and e["player"] == "Kitchen"
                   and 0 < int(e["args"]["DesiredVolume"]) < VOLUMES["Kitchen"] - 2)


def test_a_stop_during_the_fade_out_puts_the_volumes_back_and_never_chimes(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(group_playing())
    setup = fading_setup(home, chime_setup, fade=3.0)
    at, _moment = moment_in(5.0)
    started = setup.start("Test", "--at", at)
    mid_fade(home)

    started.signal(signal.SIGTERM)
    run = started.finish(timeout=20)

    assert outcomes(run.stderr) == {"Kitchen": "skipped"}, run.stderr
    assert "stopped before the chime" in run.stderr, run.stderr
    events = home.events()
    assert not chime_sets(events, sounds.url("/chime.mp3")), "a stop mid-fade still switched the chime in"
    assert requests(events, "Play") == [] and requests(events, "Pause") == [] and requests(events, "Stop") == []
    assert_back_as_they_were(home)
    assert list(setup.state_dir.glob("*.json")) == []


def test_someone_who_picks_the_radio_during_the_fade_out_gets_no_chime_and_the_volumes_back(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    home = household(group_playing())
    setup = fading_setup(home, chime_setup, fade=3.0)
    started = setup.start("Test")
    mid_fade(home)
    kitchen = soco.SoCo(home.players["Kitchen"].ip)
    kitchen.avTransport.SetAVTransportURI([("InstanceID", 0), ("CurrentURI", RADIO_URI), ("CurrentURIMetaData", "")])
    kitchen.avTransport.Play([("InstanceID", 0), ("Speed", 1)])

    run = started.finish(timeout=20)

    assert outcomes(run.stderr) == {"Kitchen": "skipped"}, run.stderr
    assert "someone took the zone over during the fade" in run.stderr, run.stderr
    events = home.events()
    assert not chime_sets(events, sounds.url("/chime.mp3")), "the chime replaced the radio chosen during the fade"
    after = home.players["Kitchen"].state()
    assert (after.uri, after.transport_state, after.volume) == (RADIO_URI, "PLAYING", VOLUMES["Kitchen"])
    assert home.players["Office"].state().volume == VOLUMES["Office"]
    den = home.players[MUTED[0]].state()
    assert (den.volume, den.mute) == (MUTED[1], True)
    assert list(setup.state_dir.glob("*.json")) == []


def test_someone_who_presses_pause_during_the_fade_out_is_left_paused(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(group_playing())
    setup = fading_setup(home, chime_setup, fade=3.0)
    started = setup.start("Test")
    mid_fade(home)
    soco.SoCo(home.players["Kitchen"].ip).pause()

    run = started.finish(timeout=20)

    assert outcomes(run.stderr) == {"Kitchen": "skipped"}, run.stderr
    assert not chime_sets(home.events(), sounds.url("/chime.mp3"))
    kitchen = home.players["Kitchen"].state()
    assert (kitchen.transport_state, kitchen.track, kitchen.volume) == ("PAUSED_PLAYBACK", 2, VOLUMES["Kitchen"])
    assert home.players["Office"].state().volume == VOLUMES["Office"]


def test_a_run_killed_during_the_fade_in_is_finished_by_the_recovery_which_says_the_levels_went_back(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    home = household(group_playing(faults=[{"kind": "no_answer", "action": "RampToVolume", "mode": "always"}]))
    setup = fading_setup(home, chime_setup)
    started = setup.start("Test")
    wait_for_event(home, lambda e: e["kind"] == "request" and e["action"] == "RampToVolume")
    started.signal(signal.SIGKILL)
    started.finish(timeout=10)

    run = run_chime("recover", "--config", str(setup.path), timeout=60)

    assert run.returncode == 0, run.stderr
    assert "levels put back" in run.stderr and "left as they set it" not in run.stderr, run.stderr
    assert_back_as_they_were(home)
    assert list(setup.state_dir.glob("*.json")) == []


def test_a_speaker_the_fade_never_reached_is_not_kept_on_disk_as_faded(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(group_playing_with_a_port())
    setup = fading_setup(home, chime_setup)
    started = setup.start("Test")
    wait_for_event(home, lambda e: e["kind"] == "request" and e["action"] == "Play" and e["player"] == "Kitchen")
    (kept,) = [json.loads(path.read_text(encoding="utf-8")) for path in setup.state_dir.glob("*.json")]

    run = started.finish(timeout=20)

    assert run.returncode == 0, run.stderr
    assert sorted(kept["faded"]) == sorted(home.players[name].uid for name in VOLUMES)
    assert home.players["Port"].state().volume == 100


def paused(spec: dict[str, Any]) -> dict[str, Any]:
    spec["players"][0]["state"]["transport_state"] = "PAUSED_PLAYBACK"
    return spec


@pytest.mark.parametrize(("spec", "chime", "would"), [
    (group_playing, {}, f"interrupt, fading the music down over {FADE:g} s before the chime (and back up after)"),
    (lambda: paused(group_playing()), {}, "interrupt"),  # no music to fade
    (group_playing, {"sources": {"queue": "skip"}}, "skip"),
], ids=["playing", "paused", "skipped"])
def test_a_dry_run_says_it_would_fade_the_music_it_would_interrupt(household: Any, chime_setup: Any, spec: Any,
                                                                   chime: dict[str, Any], would: str) -> None:
    home = household(spec())
    setup = chime_setup(home, ["Kitchen"], volume=30, fade=FADE, **chime)

    run = setup.run("Test", None, "--dry-run")

    assert run.returncode == 0, run.stderr
    assert re.findall(r" - dry run, nothing changed: would (.*)$", run.stderr, re.MULTILINE) == [would], run.stderr
    assert changing_requests(home.events()) == []
