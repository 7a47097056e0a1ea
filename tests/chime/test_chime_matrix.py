"""The proof matrix: every kind of source, in every position a zone can be in.

One household per source, with the four positions side by side, chimed as the role deploys
it: one chime.py process for all the chime's zones, from the config.yml the role's own code
renders. The positions: a lone player, the coordinator of two, a member of two whose
coordinator is not configured, and a stereo pair; plus a bystander nobody configured.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from chime_helpers import (
    changing_requests,
    chime_sets,
    first_state,
    level_at,
    outcomes,
    state_events,
)

QUEUE = [
    {"title": "So What", "duration": 300},
    {"title": "Freddie Freeloader", "duration": 300},
    {"title": "Blue in Green", "duration": 300},
]
RADIO_URI = "x-sonosapi-stream:s24861?sid=254&flags=8224&sn=0"


def source_state(source: str, song_url: str) -> dict[str, Any]:
    return {
        "queue_mid_track": {"source": "queue", "queue": QUEUE, "track": 2, "position": 100.0,
                            "transport_state": "PLAYING", "play_mode": "REPEAT_ALL", "crossfade": True},
        "queue_last_track": {"source": "queue", "queue": QUEUE, "track": 3, "position": 150.0,
                             "transport_state": "PLAYING"},
        "radio": {"source": "radio", "uri": RADIO_URI, "title": "Radio Paradise", "transport_state": "PLAYING"},
        "plain_uri": {"source": "http", "uri": song_url, "duration": 300.0, "position": 42.0,
                      "transport_state": "PLAYING"},
        "idle": {"source": "idle"},
        "paused_queue": {"source": "queue", "queue": QUEUE, "track": 2, "position": 100.0,
                         "transport_state": "PAUSED_PLAYBACK", "play_mode": "SHUFFLE_NOREPEAT"},
        "stopped_queue": {"source": "queue", "queue": QUEUE, "track": 3, "transport_state": "STOPPED"},
        "line_in": {"source": "line_in", "transport_state": "PLAYING"},
        "tv": {"source": "tv", "transport_state": "PLAYING"},
        "cloud": {"source": "cloud", "uri": "x-sonos-vli:RINCON_000E58CAFE0001400:1,spotify:7c1b3a2e",
                  "transport_state": "PLAYING"},
        "cloud_queue": {"source": "cloud_queue", "queue": QUEUE, "transport_state": "PLAYING"},
    }[source]


def matrix_household(source: str, song_url: str) -> dict[str, Any]:
    # Line-in and TV need a player that has them: the Amp has both.
    model = "Sonos Amp" if source in ("line_in", "tv") else "Sonos One"
    state = source_state(source, song_url)
    return {
        "transition_time": 0.05,
        "players": [
            {"name": "Lone", "model": model, "state": {**state, "volume": 25}},
            {"name": "Coord", "model": model, "state": {**state, "volume": 40}},
            {"name": "Coord Member", "state": {"volume": 12, "mute": True}},
            {"name": "Host", "model": model, "state": {**state, "volume": 18}},
            {"name": "Guest", "state": {"volume": 33}},
            {"name": "Pair", "model": model, "state": {**state, "volume": 20}},
            {"name": "Pair Right", "model": model, "bonded_to": "Pair", "channel": "RF", "state": {"volume": 21}},
            {"name": "Bystander", "state": {"source": "queue", "queue": QUEUE, "transport_state": "PLAYING",
                                            "volume": 50}},
        ],
        "groups": [
            {"coordinator": "Coord", "members": ["Coord Member"]},
            {"coordinator": "Host", "members": ["Guest"]},
        ],
    }


CONFIGURED = ["Lone", "Coord", "Guest", "Pair"]
# configured zone -> (coordinator that plays, every speaker that hears it)
GROUPS = {
    "Lone": ("Lone", ["Lone"]),
    "Coord": ("Coord", ["Coord", "Coord Member"]),
    "Guest": ("Host", ["Host", "Guest"]),
    "Pair": ("Pair", ["Pair", "Pair Right"]),
}
# zone_volumes by zone (room): the pair's hidden half takes its room's volume too.
ZONE_VOLUMES = {"Guest": 22, "Pair": 26}
ROOM = {"Pair Right": "Pair"}
INTERRUPTED = ["queue_mid_track", "queue_last_track", "radio", "plain_uri", "idle", "paused_queue", "stopped_queue"]
SKIPPED = ["line_in", "tv", "cloud", "cloud_queue"]
POSITIONED = ("queue_mid_track", "queue_last_track", "plain_uri", "paused_queue", "stopped_queue")
# A fade (issue #21 part 3) where the music plays, and where it does not (nothing to fade).
FADED = ["queue_mid_track", "radio", "plain_uri", "paused_queue"]
FADE = 1.0


def start_matrix(household: Any, chime_setup: Any, sounds: Any, source: str, fade: float = 0.0) -> tuple[Any, Any]:
    home = household(matrix_household(source, sounds.url("/song.mp3")))
    setup = chime_setup(home, CONFIGURED, volume=30, zone_volumes=ZONE_VOLUMES, **({"fade": fade} if fade else {}))
    return home, setup


def music_left(events: list[dict[str, Any]], coordinator: str, url: str, fade: float) -> float:
    """When the music was left: the chime switched in; with a fade, its first step (the music
    resumes where the fade began)."""
    switched = first_state(events, coordinator, "SetAVTransportURI", uri=url)["mono"]
    if not fade:
        return switched
    return min(e["received"] for e in changing_requests(events, coordinator) if e["action"] == "SetVolume")


@pytest.mark.parametrize(("source", "fade"), [*((source, 0.0) for source in INTERRUPTED), *((source, FADE) for source in FADED)])
def test_every_position_chimes_once_and_is_restored_exactly(
    household: Any, chime_setup: Any, sounds: Any, source: str, fade: float
) -> None:
    home, setup = start_matrix(household, chime_setup, sounds, source, fade)
    url = sounds.url("/chime.mp3")
    before = {name: handle.state() for name, handle in home.players.items()}
    before_mono = time.monotonic()

    run = setup.run("Test")

    after_mono = time.monotonic()
    after = {name: handle.state() for name, handle in home.players.items()}
    events = home.events()
    assert run.returncode == 0, run.stderr
    assert "ERROR" not in run.stderr, run.stderr
    assert outcomes(run.stderr) == dict.fromkeys(CONFIGURED, "ok"), run.stderr

    # Played once per group, on its coordinator, and nowhere else.
    played_on = sorted(event["player"] for event in chime_sets(events, url))
    assert played_on == sorted(coordinator for coordinator, _ in GROUPS.values())
    assert changing_requests(events, "Bystander") == []
    assert after["Bystander"].transport_state == "PLAYING"

    for zone, (coordinator, speakers) in GROUPS.items():
        heard = first_state(events, coordinator, "playing", uri=url)
        # Never cut short: the first change after the chime started comes after its end.
        ended = first_state(events, coordinator, "end_of_media", uri=url)
        later = [e for e in changing_requests(events, coordinator) if e["mono"] > heard["mono"]]
        assert later and min(e["mono"] for e in later) >= ended["mono"], f"{zone}: restored before the chime ended"
        for speaker in speakers:
            expected_volume = ZONE_VOLUMES.get(ROOM.get(speaker, speaker), 30)
            level = level_at(events, speaker, heard["mono"], (before[speaker].volume, before[speaker].mute))
            assert level == (expected_volume, False), f"{zone}: {speaker} heard the chime at {level}"
            # No burst: never louder than before while the old source still played.
            for event in state_events(events, speaker):
                if event["mono"] < heard["mono"] and event["uri"] == before[speaker].uri and event["transport_state"] == "PLAYING":
                    assert event["volume"] <= before[speaker].volume, f"{speaker} got louder before the chime"
        if fade and before[coordinator].transport_state == "PLAYING":
            switched = first_state(events, coordinator, "SetAVTransportURI", uri=url)["mono"]
            for speaker in (speaker for speaker in speakers if not before[speaker].mute):
                assert level_at(events, speaker, switched, (before[speaker].volume, False)) == (0, False), f"{zone}: {speaker} not faded out"
        for speaker in speakers:
            old, new = before[speaker], after[speaker]
            for attribute in ("uri", "track", "transport_state", "volume", "mute", "play_mode", "crossfade", "coordinator_uid"):
                assert getattr(new, attribute) == getattr(old, attribute), f"{zone}/{speaker}: {attribute} {getattr(old, attribute)!r} -> {getattr(new, attribute)!r}"
        if source in POSITIONED:
            old, new = before[coordinator], after[coordinator]
            if old.transport_state == "PLAYING":
                interrupted = music_left(events, coordinator, url, fade)
                resumed = [e for e in state_events(events, coordinator) if e["action"] == "playing" and e["uri"] == old.uri]
                assert resumed, f"{zone}: never resumed"
                expected = old.position + (interrupted - before_mono) + (after_mono - resumed[-1]["mono"])
            else:
                expected = old.position
            assert abs(new.position - expected) <= 1.0, f"{zone}: position {new.position}, expected {expected:.2f}\n{run.stderr}"


@pytest.mark.parametrize("source", SKIPPED)
def test_sources_that_cannot_resume_are_left_alone(household: Any, chime_setup: Any, sounds: Any, source: str) -> None:
    home, setup = start_matrix(household, chime_setup, sounds, source)
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")

    after = {name: handle.state() for name, handle in home.players.items()}
    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == dict.fromkeys(CONFIGURED, "skipped"), run.stderr
    assert run.stderr.count(f"source policy for {source} is skip") == len(CONFIGURED), run.stderr
    assert changing_requests(home.events()) == []
    for name in home.players:
        assert after[name].uri == before[name].uri
        assert after[name].transport_state == before[name].transport_state
        assert after[name].volume == before[name].volume


def test_a_source_policy_can_interrupt_line_in(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(matrix_household("line_in", sounds.url("/song.mp3")))
    setup = chime_setup(home, ["Lone"], volume=30, sources={"line_in": "interrupt"})
    before = home.players["Lone"].state()

    run = setup.run("Test")

    after = home.players["Lone"].state()
    assert run.returncode == 0, run.stderr
    assert len(chime_sets(home.events(), sounds.url("/chime.mp3"))) == 1
    assert (after.uri, after.transport_state, after.volume) == (before.uri, "PLAYING", before.volume)
