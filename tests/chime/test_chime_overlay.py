"""Overlay and auto: the proof matrix again, with the chime played as an audio clip.

The households of test_chime_matrix (every source, in every position: a lone player, the
coordinator of two, a member whose coordinator is not configured, a stereo pair) chimed as the
role deploys it, with `mode: overlay` or `mode: auto`. Under overlay no player's music is
touched: every speaker of every group gets its own clip at the chime's volume, and nothing
needs putting back. Under auto, a group with a player that must not get a clip (a Play:1: it
reports AUDIO_CLIP, but a clip on it pauses its whole group) is interrupted and restored
instead, in the same run; under overlay that group is refused and left as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from chime_helpers import changing_requests, chime_sets, outcomes, requests, run_chime
from test_chime_matrix import (
    CONFIGURED,
    GROUPS,
    INTERRUPTED,
    POSITIONED,
    ROOM,
    SKIPPED,
    ZONE_VOLUMES,
    matrix_household,
)
from test_chime_moment import moment_in

ATTRIBUTES = ("uri", "track", "transport_state", "volume", "mute", "play_mode", "crossfade", "coordinator_uid")


def clips(events: list[dict[str, Any]], player: str | None = None) -> list[dict[str, Any]]:
    """Accepted loadAudioClip requests."""
    return [e for e in requests(events, "loadAudioClip", player) if (e.get("result") or {}).get("success")]


def clip_states(events: list[dict[str, Any]], player: str, action: str) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == "state" and e["player"] == player and e["action"] == action]


def assert_played_over_the_music(home: Any, speakers: list[str], before: dict[str, Any], url: str,
                                 elapsed: float) -> None:
    events = home.events()
    for speaker in speakers:
        (clip,) = clips(events, speaker)
        assert clip["args"]["streamUrl"] == url
        assert clip["args"]["volume"] == ZONE_VOLUMES.get(ROOM.get(speaker, speaker), 30), speaker
        (start,) = clip_states(events, speaker, "clip_start")
        (end,) = clip_states(events, speaker, "clip_end")
        assert end["args"]["status"] == "DONE", speaker
        assert start["transport_state"] == before[speaker].transport_state, f"{speaker}: the music changed under the clip"
        assert changing_requests(events, speaker) == [], f"{speaker}: its music was touched"
        after = home.players[speaker].state()
        for attribute in ATTRIBUTES:
            assert getattr(after, attribute) == getattr(before[speaker], attribute), f"{speaker}: {attribute}"
        if before[speaker].transport_state == "PLAYING":
            # Never stopped: the position went on by the time that passed.
            assert abs(after.position - (before[speaker].position + elapsed)) < 0.5, speaker
        else:
            assert after.position == before[speaker].position, speaker


PLAY1_REASON = '"Coord Member" is a Play:1: a clip there pauses its whole group (home-assistant/core#182047)'


def with_older_member(source: str, song_url: str) -> dict[str, Any]:
    """The matrix household with the member of Coord's group a Play:1 (its clips pause the group)."""
    spec = matrix_household(source, song_url)
    for player in spec["players"]:
        if player["name"] == "Coord Member":
            player["model"] = "Play:1"
    return spec


@dataclass(frozen=True)
class Chimed:
    home: Any
    before: dict[str, Any]
    elapsed: float
    run: Any


def chime_matrix(household: Any, chime_setup: Any, spec: dict[str, Any], mode: str) -> Chimed:
    """The matrix household's configured zones chimed in `mode`, with its states before."""
    home = household(spec)
    setup = chime_setup(home, CONFIGURED, volume=30, zone_volumes=ZONE_VOLUMES, mode=mode)
    before = {name: handle.state() for name, handle in home.players.items()}
    started = time.monotonic()
    run = setup.run("Test")
    return Chimed(home, before, time.monotonic() - started, run)


@pytest.mark.parametrize("source", INTERRUPTED)
def test_overlay_plays_a_clip_on_every_speaker_and_never_touches_the_music(household: Any, chime_setup: Any, sounds: Any,
                                                                          source: str) -> None:
    chimed = chime_matrix(household, chime_setup, matrix_household(source, sounds.url("/song.mp3")), "overlay")
    home, before, elapsed, run = chimed.home, chimed.before, chimed.elapsed, chimed.run
    assert run.returncode == 0, run.stderr
    assert "ERROR" not in run.stderr, run.stderr
    assert outcomes(run.stderr) == dict.fromkeys(CONFIGURED, "ok"), run.stderr
    speakers = [speaker for _, members in GROUPS.values() for speaker in members]
    assert_played_over_the_music(home, speakers, before, sounds.url("/chime.mp3"), elapsed)
    events = home.events()
    assert chime_sets(events, sounds.url("/chime.mp3")) == []
    assert clips(events, "Bystander") == [] and changing_requests(events, "Bystander") == []


@pytest.mark.parametrize("mode", ["overlay", "auto"])
@pytest.mark.parametrize("source", SKIPPED)
def test_overlay_and_auto_keep_to_the_source_policy(household: Any, chime_setup: Any, sounds: Any, source: str, mode: str) -> None:
    home = household(with_older_member(source, sounds.url("/song.mp3")))
    setup = chime_setup(home, CONFIGURED, volume=30, mode=mode)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == dict.fromkeys(CONFIGURED, "skipped"), run.stderr
    assert clips(home.events()) == [] and changing_requests(home.events()) == []


@pytest.mark.parametrize("source", INTERRUPTED)
def test_auto_overlays_where_it_can_and_interrupts_the_group_that_cannot(household: Any, chime_setup: Any, sounds: Any,
                                                                        source: str) -> None:
    chimed = chime_matrix(household, chime_setup, with_older_member(source, sounds.url("/song.mp3")), "auto")
    home, before, elapsed, run = chimed.home, chimed.before, chimed.elapsed, chimed.run
    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == dict.fromkeys(CONFIGURED, "ok"), run.stderr
    assert f"{PLAY1_REASON}: interrupted instead" in run.stderr
    overlaid = [speaker for zone, (_, members) in GROUPS.items() if zone != "Coord" for speaker in members]
    assert_played_over_the_music(home, overlaid, before, sounds.url("/chime.mp3"), elapsed)
    events = home.events()
    # Coord's group: snapshot and restore, on its coordinator, and no clip anywhere in it.
    assert [e["player"] for e in chime_sets(events, sounds.url("/chime.mp3"))] == ["Coord"]
    assert requests(events, "loadAudioClip", "Coord") == [] and requests(events, "loadAudioClip", "Coord Member") == []
    assert [e for e in events if e["action"] == "clip_paused_group"] == []
    for speaker in ("Coord", "Coord Member"):
        after = home.players[speaker].state()
        for attribute in ATTRIBUTES:
            assert getattr(after, attribute) == getattr(before[speaker], attribute), f"{speaker}: {attribute}"
    if source in POSITIONED and before["Coord"].transport_state != "PLAYING":
        assert home.players["Coord"].state().position == before["Coord"].position


@pytest.mark.parametrize("source", ["queue_mid_track", "radio", "paused_queue"])
def test_overlay_refuses_the_group_with_a_play1_and_leaves_it_as_it_was(household: Any, chime_setup: Any, sounds: Any,
                                                                       source: str) -> None:
    chimed = chime_matrix(household, chime_setup, with_older_member(source, sounds.url("/song.mp3")), "overlay")
    home, before, elapsed, run = chimed.home, chimed.before, chimed.elapsed, chimed.run
    assert run.returncode == 1, run.stderr
    assert outcomes(run.stderr) == {**dict.fromkeys(CONFIGURED, "ok"), "Coord": "failed"}, run.stderr
    assert f"{PLAY1_REASON}, nothing changed" in run.stderr
    overlaid = [speaker for zone, (_, members) in GROUPS.items() if zone != "Coord" for speaker in members]
    assert_played_over_the_music(home, overlaid, before, sounds.url("/chime.mp3"), elapsed)
    events = home.events()
    for speaker in ("Coord", "Coord Member"):
        assert requests(events, "loadAudioClip", speaker) == [] and changing_requests(events, speaker) == [], speaker
        assert [e for e in events if e["player"] == speaker and e["kind"] == "state"] == [], speaker
        after = home.players[speaker].state()
        for attribute in ATTRIBUTES:
            assert getattr(after, attribute) == getattr(before[speaker], attribute), f"{speaker}: {attribute}"


def test_a_clip_is_sent_at_the_moment_to_every_speaker(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(matrix_household("queue_mid_track", sounds.url("/song.mp3")))
    setup = chime_setup(home, CONFIGURED, volume=30, mode="overlay")
    at, moment = moment_in(2.0)

    run = setup.run("Test", None, "--at", at)

    assert run.returncode == 0, run.stderr
    received = [e["received"] for e in clips(home.events())]
    assert len(received) == 7  # every speaker of the four groups, the pair's hidden half included
    assert min(received) >= moment - 0.002, f"a clip {moment - min(received):.3f} s early"
    assert run.stderr.count("late_ms=") == len(CONFIGURED), run.stderr


def refusing(spec: dict[str, Any], player: str) -> dict[str, Any]:
    return {**spec, "faults": [{"kind": "upnp_error", "player": player, "action": "loadAudioClip", "code": 701,
                                "mode": "always"}]}


def test_a_refused_clip_fails_the_zone_under_overlay_and_leaves_it_as_it_was(household: Any, chime_setup: Any,
                                                                             sounds: Any) -> None:
    home = household(refusing(matrix_household("radio", sounds.url("/song.mp3")), "Lone"))
    setup = chime_setup(home, ["Lone"], volume=30, mode="overlay")
    before = home.players["Lone"].state()

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    assert outcomes(run.stderr) == {"Lone": "failed"}, run.stderr
    assert '"Lone" refused the clip' in run.stderr
    after = home.players["Lone"].state()
    assert (after.uri, after.transport_state, after.volume) == (before.uri, before.transport_state, before.volume)
    assert changing_requests(home.events()) == [] and clip_states(home.events(), "Lone", "clip_start") == []


def test_a_refused_clip_falls_back_to_interrupt_under_auto(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(refusing(matrix_household("radio", sounds.url("/song.mp3")), "Lone"))
    setup = chime_setup(home, ["Lone"], volume=30, mode="auto")
    before = home.players["Lone"].state()

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Lone": "ok"}, run.stderr
    assert "interrupted instead" in run.stderr
    assert [e["player"] for e in chime_sets(home.events(), sounds.url("/chime.mp3"))] == ["Lone"]
    after = home.players["Lone"].state()
    assert (after.uri, after.transport_state, after.volume) == (before.uri, before.transport_state, before.volume)


def test_a_sound_clips_cannot_play_is_refused_before_any_player_is_touched(household: Any, sounds: Any, tmp_path: Any) -> None:
    home = household(matrix_household("radio", sounds.url("/song.mp3")))

    run = run_chime("play-uri", sounds.url("/page.html"), "--host", home.players["Lone"].ip, "--mode", "overlay",
                    "--runtime-dir", str(tmp_path))

    assert run.returncode != 0
    assert "'page.html' cannot be overlaid (mode overlay): audio clips play MP3 and WAV only" in run.stderr
    assert [e for e in home.events(kind="request") if e["player"] == "Lone"] == []


def test_a_dry_run_under_overlay_says_so_and_sends_nothing(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(matrix_household("radio", sounds.url("/song.mp3")))
    setup = chime_setup(home, ["Lone"], volume=30, mode="overlay")

    run = setup.run("Test", None, "--dry-run")

    assert run.returncode == 0, run.stderr
    assert "would chime (mode overlay" in run.stderr, run.stderr
    assert clips(home.events()) == [] and changing_requests(home.events()) == []


def answering_late(spec: dict[str, Any], player: str, delay: float | None) -> dict[str, Any]:
    """The player plays the clip it is sent; its answer is lost (delay None) or comes `delay` s later."""
    late = {} if delay is None else {"delay": delay}
    return {**spec, "faults": [{"kind": "late_answer", "player": player, "action": "loadAudioClip", **late}]}


@pytest.mark.parametrize("delay", [None, 1.5], ids=["lost", "late"])
def test_a_clip_played_without_its_answer_is_heard_once_under_auto(household: Any, chime_setup: Any, sounds: Any,
                                                                  delay: float | None) -> None:
    home = household(answering_late(matrix_household("radio", sounds.url("/song.mp3")), "Lone", delay))
    setup = chime_setup(home, ["Lone"], volume=30, mode="auto", settings={"request_timeout": 0.5})
    before = home.players["Lone"].state()

    run = setup.run("Test")

    events = home.events()
    assert len(clip_states(events, "Lone", "clip_start")) == 1, run.stderr
    assert chime_sets(events, sounds.url("/chime.mp3")) == [], run.stderr  # never played again by interrupting
    assert changing_requests(events, "Lone") == [], run.stderr  # the music never stopped
    after = home.players["Lone"].state()
    for attribute in ATTRIBUTES:
        assert getattr(after, attribute) == getattr(before, attribute), attribute
    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Lone": "ok"}, run.stderr
    assert '"Lone" did not answer the clip; its status shows it played' in run.stderr


def test_a_clip_without_its_answer_or_a_status_in_time_is_never_chimed_again(household: Any, chime_setup: Any,
                                                                             sounds: Any) -> None:
    # With no margin the clip's end comes just after the zone's deadline: nothing is seen of it in time.
    home = household(answering_late(matrix_household("radio", sounds.url("/song.mp3")), "Lone", None))
    setup = chime_setup(home, ["Lone"], volume=30, mode="auto", settings={"request_timeout": 0.5, "margin": 0.0})
    before = home.players["Lone"].state()

    run = setup.run("Test")

    events = home.events()
    assert len(clip_states(events, "Lone", "clip_start")) == 1, run.stderr
    assert chime_sets(events, sounds.url("/chime.mp3")) == [] and changing_requests(events, "Lone") == [], run.stderr
    after = home.players["Lone"].state()
    assert (after.uri, after.transport_state, after.volume) == (before.uri, before.transport_state, before.volume)
    assert run.returncode == 1 and outcomes(run.stderr) == {"Lone": "failed"}, run.stderr
    assert '"Lone" did not answer the clip and no status of it came' in run.stderr
    assert "not interrupted, so that it is never heard twice" in run.stderr


@pytest.mark.parametrize("delay", [None, 1.5], ids=["lost", "late"])
def test_a_clip_subscription_without_its_answer_is_interrupted_instead_and_heard_once(household: Any, chime_setup: Any,
                                                                                     sounds: Any, delay: float | None) -> None:
    spec = answering_late(matrix_household("radio", sounds.url("/song.mp3")), "Lone", delay)
    spec["faults"][0]["action"] = "subscribe"
    home = household(spec)
    setup = chime_setup(home, ["Lone"], volume=30, mode="auto", settings={"request_timeout": 0.5})
    before = home.players["Lone"].state()

    run = setup.run("Test")

    events = home.events()
    assert clips(events, "Lone") == [] and clip_states(events, "Lone", "clip_start") == [], run.stderr
    assert [e["player"] for e in chime_sets(events, sounds.url("/chime.mp3"))] == ["Lone"], run.stderr
    after = home.players["Lone"].state()
    for attribute in ATTRIBUTES:
        assert getattr(after, attribute) == getattr(before, attribute), attribute
    assert run.returncode == 0 and outcomes(run.stderr) == {"Lone": "ok"}, run.stderr
    assert '"Lone" did not answer the clip subscription within 0.5 s: interrupted instead' in run.stderr


def test_auto_interrupts_a_stereo_pair_of_play1s_once_and_says_why_once(household: Any, chime_setup: Any, sounds: Any) -> None:
    spec = matrix_household("queue_mid_track", sounds.url("/song.mp3"))
    for player in spec["players"]:
        if player["name"] in ("Pair", "Pair Right"):
            player["model"] = "Play:1"
    chimed = chime_matrix(household, chime_setup, spec, "auto")
    home, before, run = chimed.home, chimed.before, chimed.run
    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == dict.fromkeys(CONFIGURED, "ok"), run.stderr
    reason = '"Pair" is a Play:1: a clip there pauses its whole group (home-assistant/core#182047)'
    assert run.stderr.count(reason) == 1 and f"{reason}: interrupted instead" in run.stderr, run.stderr
    events = home.events()
    assert [e["player"] for e in chime_sets(events, sounds.url("/chime.mp3"))] == ["Pair"]
    for speaker in ("Pair", "Pair Right"):
        assert requests(events, "loadAudioClip", speaker) == [], speaker
        after = home.players[speaker].state()
        for attribute in ATTRIBUTES:
            assert getattr(after, attribute) == getattr(before[speaker], attribute), f"{speaker}: {attribute}"


def test_auto_interrupts_every_group_of_an_s1_system_and_says_it_has_no_local_api(household: Any, chime_setup: Any,
                                                                                  sounds: Any) -> None:
    # An S1 system serves nothing on port 1443: auto takes the interrupt path everywhere.
    spec = {**matrix_household("queue_mid_track", sounds.url("/song.mp3")), "system": "S1"}
    chimed = chime_matrix(household, chime_setup, spec, "auto")
    home, before, run = chimed.home, chimed.before, chimed.run
    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == dict.fromkeys(CONFIGURED, "ok"), run.stderr
    events = home.events()
    assert requests(events, "loadAudioClip") == []
    assert sorted(e["player"] for e in chime_sets(events, sounds.url("/chime.mp3"))) == sorted(c for c, _ in GROUPS.values())
    for zone, (_, members) in GROUPS.items():
        assert f'"{zone}" has no local API (' in run.stderr, run.stderr
        for speaker in members:
            after = home.players[speaker].state()
            for attribute in ATTRIBUTES:
                assert getattr(after, attribute) == getattr(before[speaker], attribute), f"{speaker}: {attribute}"
