"""The state file a chime keeps until its group is put back: whole or absent, read as written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sonos_chime.levels import MUTE, VOLUME, LevelChange
from sonos_chime.pending import PendingError, PendingRestore, PendingStore, Written
from sonos_chime.recover import (
    Recovered,
    Recovery,
    as_it_goes_back,
    recover_all,
    recover_file,
)
from sonos_chime.snapshot import MemberLevel, Transport
from sonos_chime.timing import Timing
from sonos_chime.topology import Group, Member

KITCHEN = Member("RINCON_A1400", 'Kitchen "north"\u2028', "192.0.2.10", 1400, False, "RINCON_A1400")
OFFICE = Member("RINCON_B1400", "Office", "192.0.2.11", 1400, False, "RINCON_B1400")
GROUP = Group("RINCON_A1400", (KITCHEN, OFFICE))
TRANSPORT = Transport(GROUP, "x-rincon-queue:RINCON_A1400#0", "<DIDL/>", "PLAYING", 2, 100.0, 300.0, "REPEAT_ALL", "1")
LEVELS = (MemberLevel(KITCHEN, 20, False), MemberLevel(OFFICE, 12, True))


def pending() -> PendingRestore:
    changes = [LevelChange(KITCHEN, VOLUME, 35), LevelChange(OFFICE, VOLUME, 35), LevelChange(OFFICE, MUTE, False)]
    return PendingRestore("http://192.0.2.1/chimes/ding.mp3", TRANSPORT).with_levels(LEVELS, changes)


def test_a_state_file_reads_back_as_it_was_written(tmp_path: Path) -> None:
    store = PendingStore(tmp_path / "state")
    written = pending()

    store.write(written)

    assert store.read(store.path_for(GROUP.coordinator_uid)) == written
    assert written.changed == {("RINCON_A1400", VOLUME), ("RINCON_B1400", VOLUME), ("RINCON_B1400", MUTE)}
    assert dict(written.chime_volumes) == {"RINCON_A1400": 35, "RINCON_B1400": 35}


def test_a_write_cut_short_leaves_the_old_file_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PendingStore(tmp_path)
    store.write(PendingRestore("http://192.0.2.1/a.mp3", TRANSPORT))

    def power_cut(*_args: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(OSError):
        store.write(pending())

    assert store.read(store.path_for(GROUP.coordinator_uid)).chime_url == "http://192.0.2.1/a.mp3"
    assert [path.name for path in tmp_path.iterdir()] == [f"{GROUP.coordinator_uid}.json"]


def test_a_partial_write_a_killed_run_left_is_removed_and_never_read(tmp_path: Path) -> None:
    (tmp_path / ".tmpabc.partial").write_text('{"format": 1, "chime_u', encoding="utf-8")
    store = PendingStore(tmp_path)
    store.write(pending())

    assert list(store.leftovers()) == [store.path_for(GROUP.coordinator_uid)]
    assert not (tmp_path / ".tmpabc.partial").exists()


def test_an_unreadable_state_file_is_set_aside_and_the_others_go_on(tmp_path: Path) -> None:
    broken = tmp_path / "RINCON_Z1400.json"
    broken.write_text(json.dumps({"format": 1, "chime_url": "x"}), encoding="utf-8")
    with pytest.raises(PendingError):
        PendingStore(tmp_path).read(broken)
    recovery = Recovery(PendingStore(tmp_path), tmp_path / "run", 0.2, Timing())

    assert recover_file(broken, recovery) == Recovered.DROPPED
    assert not broken.exists() and (tmp_path / "RINCON_Z1400.json.unreadable").exists()
    assert recover_all(recovery) == {}


@pytest.mark.parametrize(
    ("wall", "boot", "age"),
    [
        (30.0, 30.0, 30.0),  # same boot, a half minute on
        (30.0, -3000.0, None),  # a new boot: its clock started again
        (-5.0, 30.0, None),  # the wall clock went back
        (7200.0, 30.0, None),  # the wall clock jumped (NTP after a boot without a clock)
    ],
)
def test_age_counts_only_when_both_clocks_agree(wall: float, boot: float, age: float | None) -> None:
    written = Written(wall=1_000_000.0, boot=5000.0)
    assert written.age(Written(wall=1_000_000.0 + wall, boot=5000.0 + boot)) == age


def test_long_after_a_queue_goes_back_paused_a_radio_stopped() -> None:
    old = pending()
    assert as_it_goes_back(old, resume_now=True).transport_state == "PLAYING"
    assert as_it_goes_back(old, resume_now=False).transport_state == "PAUSED_PLAYBACK"
    radio = PendingRestore(old.chime_url, Transport(GROUP, "x-sonosapi-stream:s1?sid=254", "", "PLAYING", 1, 0.0, None, "NORMAL", "0"))
    assert as_it_goes_back(radio, resume_now=False).transport_state == "STOPPED"
    # A speaker whose level is not known cannot be muted: Play then Pause could be heard.
    unknown_levels = PendingRestore(old.chime_url, TRANSPORT)
    assert as_it_goes_back(unknown_levels, resume_now=False).transport_state == "STOPPED"
