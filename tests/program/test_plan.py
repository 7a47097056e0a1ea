"""The decisions made from a snapshot, before and after the chime: no player is asked."""

from __future__ import annotations

from typing import Any

from sonos_chime.job import ChimeJob
from sonos_chime.levels import MUTE, VOLUME, LevelChange
from sonos_chime.plan import (
    chime_levels,
    decide,
    hold_muted,
    restore_levels,
    unmute_after_pause,
    volume_early_is_safe,
)
from sonos_chime.snapshot import MemberLevel, Transport
from sonos_chime.sources import DEFAULT_POLICY
from sonos_chime.topology import Group, Member

LEFT = Member("RINCON_A", "Living Room", "192.0.2.2", 1400, False, "RINCON_A")
RIGHT = Member("RINCON_B", "Living Room", "192.0.2.3", 1400, True, "RINCON_A")
KITCHEN = Member("RINCON_C", "Kitchen", "192.0.2.4", 1400, False, "RINCON_C")
GROUP = Group("RINCON_A", (LEFT, RIGHT, KITCHEN))


def transport(uri: str = "x-rincon-queue:RINCON_A#0", state: str = "PLAYING") -> Transport:
    return Transport(GROUP, uri, "", state, 2, 30.0, 300.0, "NORMAL", "0")


def job(volume: int | None = 30, **room_volumes: int) -> ChimeJob:
    return ChimeJob("Test", "http://192.0.2.9/c.mp3", volume, room_volumes, DEFAULT_POLICY, (), ())


def levels(**volumes: Any) -> tuple[MemberLevel, ...]:
    by_name = {"left": LEFT, "right": RIGHT, "kitchen": KITCHEN}
    return tuple(MemberLevel(by_name[name], *value) for name, value in volumes.items())


def test_the_source_policy_decides_and_an_unknown_source_is_never_interrupted() -> None:
    assert decide(transport(), DEFAULT_POLICY).interrupt
    tv = decide(transport("x-sonos-htastream:RINCON_A:spdif"), DEFAULT_POLICY)
    assert (tv.interrupt, tv.reason) == (False, "source policy for tv is skip")
    assert decide(transport("x-sonos-htastream:RINCON_A:spdif"), {**DEFAULT_POLICY, "tv": "interrupt"}).interrupt
    unknown = decide(transport("x-new-thing:1"), {**DEFAULT_POLICY})
    assert not unknown.interrupt and "could not be put back" in unknown.reason


def test_every_speaker_of_a_room_takes_the_rooms_volume_and_is_unmuted() -> None:
    found = chime_levels(levels(left=(20, False), right=(20, True), kitchen=(30, False)), job(30, RINCON_A=12))
    assert found == [
        LevelChange(LEFT, VOLUME, 12),
        LevelChange(RIGHT, VOLUME, 12),
        LevelChange(RIGHT, MUTE, False),
    ]  # the kitchen is at the chime's volume already


def test_no_volume_leaves_volumes_alone() -> None:
    assert chime_levels(levels(left=(20, True)), job(None)) == []


def test_the_volume_is_set_before_the_switch_only_when_that_cannot_blast_the_old_music() -> None:
    quiet = levels(left=(40, False), right=(40, False), kitchen=(35, False))
    assert volume_early_is_safe(transport(), quiet, job(30))
    assert not volume_early_is_safe(transport(), quiet, job(38))  # the kitchen would get louder
    assert not volume_early_is_safe(transport(), levels(left=(40, True)), job(30))  # unmuting
    assert volume_early_is_safe(transport(state="PAUSED_PLAYBACK"), levels(left=(5, True)), job(90))  # nothing plays


def test_restore_puts_back_only_what_the_chime_changed_and_holds_a_pause_muted() -> None:
    before = levels(left=(20, False), right=(20, True), kitchen=(30, False))
    changed = frozenset({("RINCON_A", VOLUME), ("RINCON_B", VOLUME), ("RINCON_B", MUTE)})
    assert restore_levels(before, changed, hold_muted=False) == [
        LevelChange(LEFT, VOLUME, 20),
        LevelChange(RIGHT, VOLUME, 20),
        LevelChange(RIGHT, MUTE, True),
    ]
    held = restore_levels(before, changed, hold_muted=True)
    assert {change.member.uid for change in held if change.setting == MUTE and change.value is True} == {
        "RINCON_A", "RINCON_B", "RINCON_C"
    }
    # After the pause, only the speakers that were not muted are unmuted.
    assert unmute_after_pause(before) == [LevelChange(LEFT, MUTE, False), LevelChange(KITCHEN, MUTE, False)]
    assert hold_muted(transport(state="PAUSED_PLAYBACK")) and not hold_muted(transport())
