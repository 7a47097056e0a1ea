"""A restore whose source fails, step by step against a simulated player: the levels go back
all the same, and what could not is named with what it was (issue #19)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sonos_chime.levels import MUTE, VOLUME
from sonos_chime.plan import levels_left
from sonos_chime.restore import LevelsBack, RestoreFailed, restore_once
from sonos_chime.zonelog import ZoneLog

from program.test_plan import KITCHEN, LEFT, RIGHT, job, levels
from program.test_restore_order import QUEUE, actions, snapshot_then_chime


def kitchen(transport_state: str, faults: list[dict[str, Any]]) -> dict[str, Any]:
    return {"transition_time": 0.05, "faults": faults, "players": [{"name": "Kitchen", "state": {
        "source": "queue", "queue": QUEUE, "track": 2, "position": 40.0, "transport_state": transport_state, "volume": 20}}]}


@pytest.mark.parametrize(
    "fault",
    [
        # The first SetAVTransportURI is the chime's.
        {"kind": "upnp_error", "player": "Kitchen", "action": "SetAVTransportURI", "mode": "after", "after": 1, "code": 714},
        {"kind": "upnp_error", "player": "Kitchen", "action": "Seek", "code": 800},
        {"kind": "upnp_error", "player": "Kitchen", "action": "Play", "code": 800},
    ],
    ids=["source", "seek", "play"],
)
def test_a_paused_group_is_unmuted_and_stopped_whatever_step_of_the_source_fails(
    household: Any, media_server: Any, fault: dict[str, Any]
) -> None:
    home = household(kitchen("PAUSED_PLAYBACK", [fault]))
    task = snapshot_then_chime(home, "Kitchen", media_server.url("/chime.mp3"))
    switched = home.requests()[-1]["mono"]

    with pytest.raises(RestoreFailed) as failure:
        restore_once(task, ZoneLog("Kitchen"))

    assert failure.value.levels == LevelsBack()  # every level went back
    assert f"UPnP error {fault['code']}" in str(failure.value)
    done = actions(home, switched)
    # Muted while the source came back; stopped before it was unmuted again.
    assert done.index("SetMute") < done.index("Stop") < len(done) - 1 - done[::-1].index("SetMute")
    state = home.players["Kitchen"].state()
    assert (state.volume, state.mute, state.transport_state) == (20, False, "STOPPED")


def test_a_playing_group_whose_source_is_refused_is_back_at_its_volume(household: Any, media_server: Any) -> None:
    fault = {"kind": "upnp_error", "player": "Kitchen", "action": "SetAVTransportURI", "mode": "after", "after": 1, "code": 800}
    home = household(kitchen("PLAYING", [fault]))
    task = snapshot_then_chime(home, "Kitchen", media_server.url("/chime.mp3"))
    switched = home.requests()[-1]["mono"]

    with pytest.raises(RestoreFailed) as failure:
        restore_once(task, ZoneLog("Kitchen"))

    assert failure.value.levels == LevelsBack()
    assert "Play" not in actions(home, switched)
    state = home.players["Kitchen"].state()
    assert (state.volume, state.mute, state.transport_state) == (20, False, "STOPPED")


def test_a_level_that_did_not_go_back_is_told_as_it_is_left_and_as_it_was() -> None:
    before = levels(left=(20, False), right=(21, True), kitchen=(25, False))
    left = {
        (LEFT.uid, VOLUME): "SetVolume on 192.0.2.2: UPnP error 800",
        (LEFT.uid, MUTE): "SetMute on 192.0.2.2: no answer within 2 s",
        (RIGHT.uid, MUTE): "SetMute on 192.0.2.3: UPnP error 800",
    }

    found = levels_left(before, left, job(30, RINCON_A=12))

    assert [item.level.member for item in found] == [LEFT, RIGHT]  # one per speaker; the kitchen went back
    assert [item.settings for item in found] == ["volume,mute", "mute"]
    assert found[0].describe() == (
        '"Living Room" volume left at 12 (was 20), muted (was not): '
        "SetVolume on 192.0.2.2: UPnP error 800; SetMute on 192.0.2.2: no answer within 2 s"
    )
    assert found[1].describe() == '"Living Room" unmuted (was muted): SetMute on 192.0.2.3: UPnP error 800'
    assert levels_left(before, {}, job()) == []


def test_a_hostile_name_is_quoted_in_the_line() -> None:
    den = dataclasses.replace(KITCHEN, name='Den"\nERROR forged')
    before = (dataclasses.replace(levels(kitchen=(25, False))[0], member=den),)

    found = levels_left(before, {(KITCHEN.uid, VOLUME): "SetVolume on 192.0.2.4: UPnP error 800"}, job(None))

    assert [item.describe() for item in found] == [
        '"Den\\"\\x0aERROR forged" volume not put back (was 25): SetVolume on 192.0.2.4: UPnP error 800'
    ]


def test_a_speaker_the_fade_in_did_not_bring_back_is_told_where_it_was_read_back_not_at_the_chimes_volume() -> None:
    before = levels(left=(20, False), right=(21, True), kitchen=(25, False))
    left = {(LEFT.uid, VOLUME): "GetVolume on 192.0.2.2: volume is 7, not back at 20",
            (KITCHEN.uid, VOLUME): "RampToVolume on 192.0.2.4: no answer within 2 s"}

    found = levels_left(before, left, job(30), {LEFT.uid: 7, KITCHEN.uid: None})

    assert [item.describe() for item in found] == [
        '"Living Room" volume left at 7 (was 20): GetVolume on 192.0.2.2: volume is 7, not back at 20',
        '"Kitchen" volume not put back (was 25): RampToVolume on 192.0.2.4: no answer within 2 s',
    ]
