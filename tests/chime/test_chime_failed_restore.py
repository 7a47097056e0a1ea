"""A restore that keeps failing (issue #19): the source may stay lost, the levels never do.

Whatever the source does (SetAVTransportURI, Seek or Play refused every time, a speaker
refusing its own level), every speaker of the group ends at the volume and mute it had
before the chime, or the journal says, speaker by speaker, which level was left changed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from chime_helpers import first_state, outcomes, state_events

QUEUE = [{"title": "So What", "duration": 300}, {"title": "Freddie Freeloader", "duration": 300}]
RADIO_URI = "x-sonosapi-stream:s24861?sid=254&flags=8224&sn=0"
PAUSED_QUEUE = {"source": "queue", "queue": QUEUE, "track": 2, "position": 100.0, "transport_state": "PAUSED_PLAYBACK"}
PLAYING_RADIO = {"source": "radio", "uri": RADIO_URI, "title": "Radio Paradise", "transport_state": "PLAYING"}


def refused(action: str, code: int, player: str = "Kitchen", after: int = 0) -> dict[str, Any]:
    """Every call of the action after the first `after` answers the UPnP error."""
    mode = {"mode": "after", "after": after} if after else {}
    return {"kind": "upnp_error", "player": player, "action": action, "code": code, **mode}


def grouped(state: dict[str, Any], faults: list[dict[str, Any]]) -> dict[str, Any]:
    """Kitchen plays `state` for itself, Dining and a muted Den."""
    return {
        "transition_time": 0.05,
        "faults": faults,
        "players": [
            {"name": "Kitchen", "state": {**state, "volume": 20}},
            {"name": "Dining", "state": {"volume": 21}},
            {"name": "Den", "state": {"volume": 12, "mute": True}},
        ],
        "groups": [{"coordinator": "Kitchen", "members": ["Dining", "Den"]}],
    }


def paired(state: dict[str, Any], faults: list[dict[str, Any]]) -> dict[str, Any]:
    """A stereo pair: Pair plays `state`, its hidden half Pair Right is muted."""
    return {
        "transition_time": 0.05,
        "faults": faults,
        "players": [
            {"name": "Pair", "state": {**state, "volume": 20}},
            {"name": "Pair Right", "bonded_to": "Pair", "channel": "RF", "state": {"volume": 21, "mute": True}},
        ],
    }


def levels(home: Any) -> dict[str, tuple[int, bool]]:
    return {name: (handle.state().volume, handle.state().mute) for name, handle in home.players.items()}


def restore_failed_line(stderr: str, zone: str) -> str:
    lines = [line for line in stderr.splitlines() if f'zone="{zone}"' in line and "restore failed" in line]
    assert len(lines) == 1, stderr
    return lines[0]


def assert_never_heard_after_the_chime(home: Any, coordinator: str, url: str, before_uri: str) -> None:
    """Once the chime ended, nothing the group played before was heard again."""
    ended = first_state(home.events(), coordinator, "end_of_media", uri=url)
    for event in state_events(home.events(), coordinator):
        if event["mono"] > ended["mono"] and event["transport_state"] == "PLAYING" and event["uri"] == before_uri:
            assert event["mute"], event


@pytest.mark.parametrize("code", [714, 800])
def test_a_paused_group_whose_source_is_refused_ends_stopped_at_its_own_levels(
    household: Any, chime_setup: Any, sounds: Any, code: int
) -> None:
    # The first SetAVTransportURI is the chime's; every later one (the restore's) is refused.
    home = household(grouped(PAUSED_QUEUE, [refused("SetAVTransportURI", code, after=1)]))
    setup = chime_setup(home, ["Kitchen"])
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "failed"}, run.stderr
    assert levels(home) == before, run.stderr
    kitchen = home.players["Kitchen"].state()
    assert kitchen.transport_state == "STOPPED"  # on the chime, which it would not leave
    assert "levels=restored" in restore_failed_line(run.stderr, "Kitchen")
    assert "left at" not in run.stderr


def test_a_paused_queue_whose_seek_is_refused_ends_stopped_on_it_at_its_own_levels(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    home = household(grouped(PAUSED_QUEUE, [refused("Seek", 800)]))
    setup = chime_setup(home, ["Kitchen"])
    before_uri = home.players["Kitchen"].state().uri
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    assert levels(home) == before, run.stderr
    kitchen = home.players["Kitchen"].state()
    assert (kitchen.uri, kitchen.transport_state) == (before_uri, "STOPPED")
    assert "levels=restored" in restore_failed_line(run.stderr, "Kitchen")
    assert_never_heard_after_the_chime(home, "Kitchen", sounds.url("/chime.mp3"), before_uri)


def test_a_paused_queue_whose_play_is_refused_is_never_heard_and_keeps_its_levels(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    home = household(grouped(PAUSED_QUEUE, [refused("Play", 800, after=1)]))
    setup = chime_setup(home, ["Kitchen"])
    before_uri = home.players["Kitchen"].state().uri
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    assert levels(home) == before, run.stderr
    kitchen = home.players["Kitchen"].state()
    assert (kitchen.uri, kitchen.track, kitchen.transport_state) == (before_uri, 2, "STOPPED")
    assert "levels=restored" in restore_failed_line(run.stderr, "Kitchen")


def test_a_paused_queue_whose_pause_is_refused_is_stopped_before_it_is_unmuted(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    # The chime never pauses: every Pause is the restore's, and it is refused.
    home = household(grouped(PAUSED_QUEUE, [refused("Pause", 800)]))
    setup = chime_setup(home, ["Kitchen"])
    before_uri = home.players["Kitchen"].state().uri
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    assert levels(home) == before, run.stderr
    kitchen = home.players["Kitchen"].state()
    assert (kitchen.uri, kitchen.track, kitchen.transport_state) == (before_uri, 2, "STOPPED")
    assert_never_heard_after_the_chime(home, "Kitchen", sounds.url("/chime.mp3"), before_uri)
    assert "levels=restored" in restore_failed_line(run.stderr, "Kitchen")


@pytest.mark.parametrize(("action", "code"), [("SetAVTransportURI", 714), ("SetAVTransportURI", 800), ("Play", 800)])
def test_a_playing_radio_whose_restore_is_refused_keeps_its_levels(
    household: Any, chime_setup: Any, sounds: Any, action: str, code: int
) -> None:
    home = household(grouped(PLAYING_RADIO, [refused(action, code, after=1)]))
    setup = chime_setup(home, ["Kitchen"])
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    assert levels(home) == before, run.stderr
    assert home.players["Kitchen"].state().transport_state == "STOPPED"
    assert "levels=restored" in restore_failed_line(run.stderr, "Kitchen")


@pytest.mark.parametrize("state", [PAUSED_QUEUE, PLAYING_RADIO], ids=["paused_queue", "playing_radio"])
def test_both_halves_of_a_pair_keep_their_levels_when_the_source_is_refused(
    household: Any, chime_setup: Any, sounds: Any, state: dict[str, Any]
) -> None:
    home = household(paired(state, [refused("SetAVTransportURI", 714, player="Pair", after=1)]))
    setup = chime_setup(home, ["Pair"], zone_volumes={"Pair": 26})
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    heard = first_state(home.events(), "Pair", "playing", uri=sounds.url("/chime.mp3"))
    assert (heard["volume"], heard["mute"]) == (26, False)  # the chime did change them
    assert levels(home) == before, run.stderr
    assert home.players["Pair"].state().transport_state == "STOPPED"
    assert "levels=restored" in restore_failed_line(run.stderr, "Pair")


def test_a_level_that_cannot_be_put_back_is_named_with_what_it_was(household: Any, chime_setup: Any, sounds: Any) -> None:
    # Dining takes the chime's volume (its first SetVolume) and the restore's silent mute
    # (its first SetMute), then refuses both on the way back; the source is refused too.
    faults = [
        refused("SetAVTransportURI", 800, after=1),
        refused("SetVolume", 800, player="Dining", after=1),
        refused("SetMute", 800, player="Dining", after=1),
    ]
    home = household(grouped(PAUSED_QUEUE, faults))
    setup = chime_setup(home, ["Kitchen"])
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    after = levels(home)
    assert after["Dining"] == (30, True)
    assert {name: level for name, level in after.items() if name != "Dining"} == {
        name: level for name, level in before.items() if name != "Dining"
    }
    assert "levels=left-changed" in restore_failed_line(run.stderr, "Kitchen")
    left = [line for line in run.stderr.splitlines() if "step=restore" in line and " left at " in line]
    assert len(left) == 1, run.stderr  # one line per speaker
    assert re.search(
        r'^ERROR zone="Kitchen" .*step=restore .*levels=volume,mute - "Dining" volume left at 30 \(was 21\), '
        r"muted \(was not\): SetVolume on .*UPnP error 800.*SetMute on .*UPnP error 800",
        left[0],
    ), left[0]


def no_answer(action: str, player: str = "Kitchen") -> dict[str, Any]:
    return {"kind": "no_answer", "player": player, "action": action}


@pytest.mark.parametrize(
    "faults",
    [[refused("Pause", 800), refused("Stop", 800)], [no_answer("Pause"), no_answer("Stop")]],
    ids=["refused", "no_answer"],
)
def test_a_paused_queue_that_cannot_be_paused_or_stopped_is_left_muted_and_says_so(
    household: Any, chime_setup: Any, sounds: Any, faults: list[dict[str, Any]]
) -> None:
    # Play is answered, Pause and Stop never are: the old queue plays again, so every
    # speaker that was not muted stays muted (silent, at its own volume) and is named.
    home = household(grouped(PAUSED_QUEUE, faults))
    setup = chime_setup(home, ["Kitchen"], settings={"request_timeout": 1.0})
    before_uri = home.players["Kitchen"].state().uri
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "failed"}, run.stderr
    kitchen = home.players["Kitchen"].state()
    # It plays (TRANSITIONING for the simulator's first moments of it): only the mutes keep it silent.
    assert kitchen.uri == before_uri
    assert kitchen.transport_state in ("PLAYING", "TRANSITIONING"), kitchen.transport_state
    assert levels(home) == {**before, "Kitchen": (20, True), "Dining": (21, True)}, run.stderr
    assert_never_heard_after_the_chime(home, "Kitchen", sounds.url("/chime.mp3"), before_uri)
    assert "levels=left-changed" in restore_failed_line(run.stderr, "Kitchen")
    assert "levels=restored" not in run.stderr
    left = sorted(line for line in run.stderr.splitlines() if "step=restore" in line and "(was not)" in line)
    assert len(left) == 2, run.stderr  # one line per speaker that was not muted: not Den
    for line, name in zip(left, ["Dining", "Kitchen"]):
        assert re.search(
            rf'^ERROR zone="Kitchen" .*step=restore .*levels=mute - "{name}" muted \(was not\): could not stop the music$', line
        ), line


def test_a_mute_left_by_an_earlier_restore_attempt_is_undone_or_named(household: Any, chime_setup: Any, sounds: Any) -> None:
    # The restore's first SetAVTransportURI is refused (714: tried once more). Attempt 1 mutes
    # Dining for the pause (its first SetMute) and Dining refuses the unmute; attempt 2 Dining
    # refuses the mute again, and the unmute: it is still muted from attempt 1, and named.
    faults = [
        {**refused("SetAVTransportURI", 714), "mode": "once", "after": 1},
        refused("SetMute", 800, player="Dining", after=1),
    ]
    home = household(grouped(PAUSED_QUEUE, faults))
    setup = chime_setup(home, ["Kitchen"])
    before_uri = home.players["Kitchen"].state().uri
    before = levels(home)

    run = setup.run("Test")

    assert run.returncode == 1, run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "failed"}, run.stderr
    assert "attempt=1" in run.stderr  # the first attempt did fail
    kitchen = home.players["Kitchen"].state()
    assert (kitchen.uri, kitchen.track, kitchen.transport_state) == (before_uri, 2, "PAUSED_PLAYBACK")
    assert levels(home) == {**before, "Dining": (21, True)}, run.stderr
    left = [line for line in run.stderr.splitlines() if "step=restore" in line and '"Dining"' in line]
    assert len(left) == 1, run.stderr
    assert re.search(
        r'^ERROR zone="Kitchen" .*step=restore .*levels=mute - "Dining" muted \(was not\): SetMute on .*UPnP error 800', left[0]
    ), left[0]
    assert "outcome=ok" not in run.stderr
