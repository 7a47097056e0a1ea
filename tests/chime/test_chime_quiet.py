"""Quiet hours (sonos_chime_quiet_hours): a group with a room in its quiet hours hears nothing.

The matrix household (a lone player, a coordinator with a member, a member whose coordinator is
not configured, a stereo pair), chimed as the role deploys it, with quiet ranges around the
host's clock now (the chime's moment: a run without --at is due at once).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from chime_helpers import (
    changing_requests,
    chime_sets,
    first_state,
    level_at,
    outcomes,
    requests,
)
from ics_samples import all_day, calendar
from test_chime_matrix import (
    CONFIGURED,
    FADE,
    GROUPS,
    INTERRUPTED,
    SKIPPED,
    ZONE_VOLUMES,
    matrix_household,
)

ATTRIBUTES = ("uri", "track", "transport_state", "volume", "mute", "play_mode", "crossfade", "coordinator_uid")


def day_range(start: datetime, end: datetime) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def now_quiet() -> str:
    """A range of the day that holds now and for the rest of the test (crossing midnight if it must)."""
    now = datetime.now().astimezone()
    return day_range(now - timedelta(minutes=2), now + timedelta(minutes=30))


def later_quiet() -> str:
    now = datetime.now().astimezone()
    return day_range(now + timedelta(hours=2), now + timedelta(hours=3))


def quiet_setup(household: Any, chime_setup: Any, sounds: Any, **chime: Any) -> tuple[Any, Any, dict[str, Any], str]:
    """The household, its chime, each speaker's state before, and the range that holds now (as
    written: a minute may turn before the test reads the journal)."""
    home = household(matrix_household("queue_mid_track", sounds.url("/song.mp3")))
    now = now_quiet()
    quiet = {"Lone": now, "Coord Member": [later_quiet(), now], "Pair": later_quiet()}
    setup = chime_setup(home, CONFIGURED, volume=30, zone_volumes=ZONE_VOLUMES, settings={"quiet_hours": quiet}, **chime)
    before = {name: handle.state() for name, handle in home.players.items()}
    return home, setup, before, now


def assert_untouched(home: Any, before: dict[str, Any], speakers: list[str]) -> None:
    events = home.events()
    for speaker in speakers:
        assert changing_requests(events, speaker) == [], speaker
        assert requests(events, "loadAudioClip", speaker) == [], speaker
        after = home.players[speaker].state()
        for attribute in ATTRIBUTES:
            assert getattr(after, attribute) == getattr(before[speaker], attribute), f"{speaker}: {attribute}"


@pytest.mark.parametrize("mode", ["interrupt", "auto"])
def test_a_group_with_a_room_in_its_quiet_hours_is_left_as_it_is(household: Any, chime_setup: Any, sounds: Any,
                                                                 mode: str) -> None:
    home, setup, before, now = quiet_setup(household, chime_setup, sounds, mode=mode)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Lone": "skipped", "Coord": "skipped", "Guest": "ok", "Pair": "ok"}, run.stderr
    assert f'"Lone" is in its quiet hours ({now}): nothing sent' in run.stderr
    assert f'"Coord Member" (in this zone\'s group) is in its quiet hours ({now}): nothing sent' in run.stderr
    assert_untouched(home, before, ["Lone", "Coord", "Coord Member"])
    # The rest chimed: Pair's quiet range is later today, Guest's group has none.
    events = home.events()
    if mode == "interrupt":
        assert sorted(e["player"] for e in chime_sets(events, sounds.url("/chime.mp3"))) == ["Host", "Pair"]
    else:
        assert {e["player"] for e in requests(events, "loadAudioClip")} == {"Host", "Guest", "Pair", "Pair Right"}


def test_a_chime_that_ignores_quiet_hours_plays_everywhere(household: Any, chime_setup: Any, sounds: Any) -> None:
    home, setup, _, _ = quiet_setup(household, chime_setup, sounds, ignore_quiet_hours=True)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == dict.fromkeys(CONFIGURED, "ok"), run.stderr
    assert "quiet hours" not in run.stderr
    assert sorted(e["player"] for e in chime_sets(home.events(), sounds.url("/chime.mp3"))) == ["Coord", "Host", "Lone", "Pair"]


def test_a_dry_run_names_the_zones_the_chime_will_skip_for_quiet_hours(household: Any, chime_setup: Any, sounds: Any) -> None:
    home, setup, before, now = quiet_setup(household, chime_setup, sounds)

    run = setup.run("Test", None, "--dry-run")

    assert run.returncode == 0, run.stderr
    assert f'"Lone" is in its quiet hours ({now})' in run.stderr
    assert f'"Coord Member" (in this zone\'s group) is in its quiet hours ({now})' in run.stderr
    assert "dry run, nothing changed: would interrupt" in run.stderr  # the others: as ever
    assert_untouched(home, before, list(home.players))


# ---- the proof matrix's sources, with a quiet room, a fade and a day off (issue #21)


@pytest.mark.parametrize("source", [*INTERRUPTED, *SKIPPED])
def test_every_source_keeps_its_quiet_group_exactly_while_the_others_fade_and_come_back(
    household: Any, chime_setup: Any, sounds: Any, source: str
) -> None:
    """Coord's member is in its quiet hours: its group is left exactly as it was. The others
    chime with a fade, where their source lets them, and end exactly as they were."""
    home = household(matrix_household(source, sounds.url("/song.mp3")))
    now = now_quiet()
    setup = chime_setup(home, CONFIGURED, volume=30, zone_volumes=ZONE_VOLUMES, settings={"quiet_hours": {"Coord Member": now}},
                        fade=FADE)
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    played = "ok" if source in INTERRUPTED else "skipped"
    assert outcomes(run.stderr) == {"Lone": played, "Coord": "skipped", "Guest": played, "Pair": played}, run.stderr
    assert f'"Coord Member" (in this zone\'s group) is in its quiet hours ({now}): nothing sent' in run.stderr
    assert_untouched(home, before, ["Coord", "Coord Member"])
    events = home.events()
    expected = sorted(GROUPS[zone][0] for zone in ("Lone", "Guest", "Pair")) if source in INTERRUPTED else []
    assert sorted(e["player"] for e in chime_sets(events, sounds.url("/chime.mp3"))) == expected
    for zone in ("Lone", "Guest", "Pair") if source in INTERRUPTED else ():  # every speaker of each group with music
        coordinator, speakers = GROUPS[zone]
        if before[coordinator].transport_state == "PLAYING":
            switched = first_state(events, coordinator, "SetAVTransportURI", uri=sounds.url("/chime.mp3"))["mono"]
            for speaker in (speaker for speaker in speakers if not before[speaker].mute):
                assert level_at(events, speaker, switched, (before[speaker].volume, False)) == (0, False), f"{zone}: {speaker} not faded out"
    for name, handle in home.players.items():
        after = handle.state()
        for attribute in ATTRIBUTES:
            assert getattr(after, attribute) == getattr(before[name], attribute), f"{source}: {name}: {attribute}"


@pytest.mark.parametrize("day_off", ["skip_dates", "skip_calendar"])
def test_a_day_off_sends_nothing_to_any_position_quiet_or_fading(household: Any, chime_setup: Any, sounds: Any,
                                                                  tmp_path: Any, day_off: str) -> None:
    home = household(matrix_household("queue_mid_track", sounds.url("/song.mp3")))
    today = datetime.now().astimezone().date()
    off: dict[str, Any] = {"skip_dates": [str(today)]}
    if day_off == "skip_calendar":
        path = tmp_path / "family.ics"
        path.write_bytes(calendar(all_day("Inset day", today, today + timedelta(days=1))))
        off = {"skip_calendar": str(path)}
    setup = chime_setup(home, CONFIGURED, volume=30, settings={"quiet_hours": {"Coord Member": now_quiet()}}, fade=FADE, **off)
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert 'chime="Test" skipped: ' in run.stderr and ": no speaker touched" in run.stderr, run.stderr
    assert requests(home.events()) == []  # not even a read
    assert_untouched(home, before, list(home.players))
