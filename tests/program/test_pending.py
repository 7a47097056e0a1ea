"""The state file a chime keeps until its group is put back: whole or absent, read as written."""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sonos_chime.levels import MUTE, VOLUME, LevelChange
from sonos_chime.pending import (
    PendingError,
    PendingRestore,
    PendingStore,
    Written,
    boot_token,
)
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


WRITTEN = Written(1_000_000.0, 5000.0, "boot-1")


def pending() -> PendingRestore:
    changes = [LevelChange(KITCHEN, VOLUME, 35), LevelChange(OFFICE, VOLUME, 35), LevelChange(OFFICE, MUTE, False)]
    return PendingRestore("http://192.0.2.1/chimes/ding.mp3", TRANSPORT, WRITTEN).with_levels(LEVELS, changes)


def test_a_state_file_reads_back_as_it_was_written(tmp_path: Path) -> None:
    store = PendingStore(tmp_path / "state")
    written = pending()

    store.write(written)

    assert store.read(store.path_for(GROUP.coordinator_uid)) == written
    assert written.changed == {("RINCON_A1400", VOLUME), ("RINCON_B1400", VOLUME), ("RINCON_B1400", MUTE)}
    assert dict(written.chime_volumes) == {"RINCON_A1400": 35, "RINCON_B1400": 35}


def test_a_write_cut_short_leaves_the_old_file_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = PendingStore(tmp_path)
    store.write(PendingRestore("http://192.0.2.1/a.mp3", TRANSPORT, WRITTEN))

    def power_cut(*_args: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", power_cut)
    with pytest.raises(OSError):
        store.write(pending())

    assert store.read(store.path_for(GROUP.coordinator_uid)).chime_url == "http://192.0.2.1/a.mp3"
    assert [path.name for path in tmp_path.iterdir()] == [f"{GROUP.coordinator_uid}.json"]


def test_a_partial_write_a_killed_run_left_is_removed_and_never_read(tmp_path: Path) -> None:
    killed, in_progress = tmp_path / ".tmpabc.partial", tmp_path / ".tmpdef.partial"
    killed.write_text('{"format": 1, "chime_u', encoding="utf-8")
    os.utime(killed, (time.time() - 3600, time.time() - 3600))
    in_progress.write_text('{"format": 1, "chime_u', encoding="utf-8")  # another process's, being written
    store = PendingStore(tmp_path)
    store.write(pending())

    assert list(store.leftovers()) == [store.path_for(GROUP.coordinator_uid)]
    assert not killed.exists() and in_progress.exists()


def test_a_first_write_never_replaces_an_earlier_chimes_snapshot(tmp_path: Path) -> None:
    store = PendingStore(tmp_path)
    store.write(PendingRestore("http://192.0.2.1/a.mp3", TRANSPORT, WRITTEN), first=True)
    with pytest.raises(FileExistsError):
        store.write(pending(), first=True)
    assert store.read(store.path_for(GROUP.coordinator_uid)).chime_url == "http://192.0.2.1/a.mp3"
    store.write(pending())  # the run's own later writes replace its own
    assert store.read(store.path_for(GROUP.coordinator_uid)) == pending()


def test_a_file_of_another_version_or_with_new_fields_is_kept(tmp_path: Path) -> None:
    store = PendingStore(tmp_path)
    store.write(pending())
    path = store.path_for(GROUP.coordinator_uid)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["transport"]["added_later"] = 1
    document["transport"]["group"]["members"][0]["added_later"] = 2
    path.write_text(json.dumps(document), encoding="utf-8")
    assert store.read(path) == pending()  # fields a newer chime.py added are left out
    path.write_text(json.dumps({**document, "format": 2}), encoding="utf-8")
    recovery = Recovery(store, tmp_path / "run", 0.2, Timing())
    assert recover_file(path, recovery) == Recovered.LATER and path.exists()


def test_a_file_gone_between_the_listing_and_the_reading_was_put_back(tmp_path: Path) -> None:
    store = PendingStore(tmp_path)
    store.write(pending())
    [path] = store.leftovers()
    store.remove(GROUP.coordinator_uid)  # the chime that wrote it finished meanwhile
    assert recover_file(path, Recovery(store, tmp_path / "run", 0.2, Timing())) == Recovered.GONE


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
    ("wall", "boot", "boot_id", "age"),
    [
        (30.0, 30.0, "boot-1", 30.0),  # same boot, a half minute on
        (30.0, -3000.0, "boot-2", None),  # a new boot: its clock started again
        # A new boot on a Pi without a clock or NTP: the wall clock restarts from the same saved
        # time, and both clocks agree; only the boot's name tells.
        (30.0, 30.0, "boot-2", None),
        (-5.0, 30.0, "boot-1", None),  # the wall clock went back
        (7200.0, 30.0, "boot-1", None),  # the wall clock jumped (NTP after a boot without a clock)
    ],
)
def test_age_counts_only_on_one_boot_when_both_clocks_agree(wall: float, boot: float, boot_id: str, age: float | None) -> None:
    assert WRITTEN.age(Written(WRITTEN.wall + wall, WRITTEN.boot + boot, boot_id)) == age
    assert Written(WRITTEN.wall, WRITTEN.boot, "").age(Written(WRITTEN.wall + 1, WRITTEN.boot + 1, "")) is None


def test_a_boot_is_named_once_in_the_runtime_folder(tmp_path: Path) -> None:
    first = boot_token(tmp_path / "run")
    assert len(first) == 32 and boot_token(tmp_path / "run") == first
    assert boot_token(tmp_path / "other") != first  # a new tmpfs: a new boot


def test_long_after_a_queue_goes_back_paused_a_radio_stopped() -> None:
    old = pending()
    assert as_it_goes_back(old, resume_now=True).transport_state == "PLAYING"
    assert as_it_goes_back(old, resume_now=False).transport_state == "PAUSED_PLAYBACK"
    radio = PendingRestore(old.chime_url, Transport(GROUP, "x-sonosapi-stream:s1?sid=254", "", "PLAYING", 1, 0.0, None, "NORMAL", "0"),
                           WRITTEN)
    assert as_it_goes_back(radio, resume_now=False).transport_state == "STOPPED"
    # A speaker whose level is not known cannot be muted: Play then Pause could be heard.
    unknown_levels = PendingRestore(old.chime_url, TRANSPORT, WRITTEN)
    assert as_it_goes_back(unknown_levels, resume_now=False).transport_state == "STOPPED"
    paused = replace(TRANSPORT, transport_state="PAUSED_PLAYBACK")
    assert as_it_goes_back(PendingRestore(old.chime_url, paused, WRITTEN), resume_now=True).transport_state == "STOPPED"
    assert as_it_goes_back(replace(old, transport=paused), resume_now=True).transport_state == "PAUSED_PLAYBACK"
