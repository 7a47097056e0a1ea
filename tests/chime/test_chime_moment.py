"""`--at`: everything that changes nothing before the moment, Play at the moment, and the
music put back from where it was stopped, not from where it was first read."""

from __future__ import annotations

import signal
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import soco
from chime_helpers import (
    changing_requests,
    chime_sets,
    outcomes,
    requests,
    run_chime,
    start_chime,
    wait_for_event,
)

QUEUE = [{"title": "So What", "duration": 300}, {"title": "Freddie Freeloader", "duration": 300}]


def playing(volume: int, position: float = 30.0) -> dict[str, Any]:
    return {"source": "queue", "queue": QUEUE, "track": 2, "position": position, "transport_state": "PLAYING", "volume": volume}


def lone_players(*names: str) -> dict[str, Any]:
    return {"transition_time": 0.05, "players": [{"name": name, "state": playing(20 + n)} for n, name in enumerate(names)]}


def moment_in(seconds: float) -> tuple[str, float]:
    """A moment `seconds` ahead, as --at takes it (ISO 8601, milliseconds), and on the monotonic clock."""
    wall, mono = datetime.now().astimezone(), time.monotonic()
    moment = (wall + timedelta(seconds=seconds)).replace(microsecond=(wall.microsecond // 1000) * 1000)
    return moment.isoformat(timespec="milliseconds"), mono + (moment - wall).total_seconds()


def seconds_of(rel_time: str) -> float:
    hours, minutes, seconds = (int(part) for part in rel_time.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def first_read(home: Any, player: str) -> dict[str, Any]:
    """The run's first look at the player: it has started, nothing is changed yet."""
    return wait_for_event(home, lambda e: e["kind"] == "request" and e["player"] == player and e["action"] == "GetTransportInfo")


def test_every_group_gets_play_at_the_moment_and_not_before(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen", "Office", "Den"))
    setup = chime_setup(home, ["Kitchen", "Office", "Den"])
    at, moment = moment_in(2.0)

    run = setup.run("Test", None, "--at", at)

    assert run.returncode == 0, run.stderr
    events = home.events()
    for player in ("Kitchen", "Office", "Den"):
        (switched,) = [e for e in chime_sets(events, sounds.url("/chime.mp3")) if e["player"] == player]
        plays = [e for e in requests(events, "Play", player) if e["received"] > switched["received"]]
        assert plays, f"{player}: no Play after the chime was switched in"
        # Everything before Play changes nothing audible but the stop; Play itself waits for the moment.
        assert plays[0]["received"] >= moment - 0.002, f"{player}: Play {moment - plays[0]['received']:.3f} s early"
    assert run.stderr.count("late_ms=") == 3, run.stderr
    assert set(outcomes(run.stderr).values()) == {"ok"}, run.stderr


def test_the_music_resumes_from_where_it_was_stopped_not_where_it_was_first_read(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"])
    before, before_at = home.players["Kitchen"].state(), time.monotonic()
    at, _moment = moment_in(3.0)

    run = setup.run("Test", None, "--at", at)

    assert run.returncode == 0, run.stderr
    events = home.events()
    (switched,) = chime_sets(events, sounds.url("/chime.mp3"))
    stopped_at = before.position + (switched["received"] - before_at)
    first_look = seconds_of(requests(events, "GetPositionInfo", "Kitchen")[0]["result"]["RelTime"])
    (seek,) = [e for e in requests(events, "Seek", "Kitchen") if e["args"].get("Unit") == "REL_TIME"]
    resumed_from = seconds_of(seek["args"]["Target"])
    assert stopped_at - first_look > 1.5, "the test needs the music to play on between the first look and the stop"
    assert abs(resumed_from - stopped_at) < 1.0, (resumed_from, stopped_at, first_look)
    after = home.players["Kitchen"].state()
    assert (after.uri, after.track, after.transport_state, after.volume) == (before.uri, before.track, "PLAYING", before.volume)


def test_a_zone_paused_before_the_moment_is_chimed_as_paused_and_stays_paused(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"])
    at, _moment = moment_in(3.0)

    started = setup.start("Test", "--at", at)
    first_read(home, "Kitchen")
    soco.SoCo(home.players["Kitchen"].ip).pause()
    paused = home.players["Kitchen"].state()
    run = started.finish(timeout=30)

    assert run.returncode == 0, run.stderr
    assert "state=PAUSED_PLAYBACK" in run.stderr, run.stderr
    after = home.players["Kitchen"].state()
    assert after.transport_state == "PAUSED_PLAYBACK"
    assert (after.uri, after.track) == (paused.uri, paused.track)
    assert abs(after.position - paused.position) < 1.0, (after.position, paused.position)


def test_a_stop_before_the_moment_changes_nothing(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()
    at, _moment = moment_in(20.0)

    started = setup.start("Test", "--at", at)
    wait_for_prepared(started)
    started.signal(signal.SIGTERM)
    run = started.finish(timeout=30)

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "skipped"}, run.stderr
    assert changing_requests(home.events()) == []
    after = home.players["Kitchen"].state()
    assert (after.uri, after.transport_state, after.volume) == (before.uri, "PLAYING", before.volume)


def assert_playing_as_before(before: Any, after: Any) -> None:
    """What a restore puts back exactly, for a player that was playing its queue."""
    put_back = (after.uri, after.track, after.transport_state, after.volume, after.mute, after.coordinator_uid)
    assert put_back == (before.uri, before.track, "PLAYING", before.volume, before.mute, before.coordinator_uid), (before, after)


def test_another_chime_on_the_group_plays_while_a_run_waits_for_its_moment(household: Any, chime_setup: Any, sounds: Any) -> None:
    """Issue #19: the wait holds no lock. Today's run held it all along, and a chime by hand
    meanwhile gave up ('held by another chime') once its margin was spent."""
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()
    by_hand = sounds.url("/chime2.mp3")
    at, moment = moment_in(8.0)

    waiting = setup.start("Test", "--at", at)
    wait_for_prepared(waiting)
    other = run_chime("play-uri", by_hand, "--host", home.players["Kitchen"].ip, "--runtime-dir", str(setup.runtime_dir))
    run = waiting.finish(timeout=30)

    assert other.returncode == 0, other.stderr
    assert outcomes(other.stderr) == {home.players["Kitchen"].ip: "ok"}, other.stderr
    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "ok"}, run.stderr
    events = home.events()
    (other_set,) = chime_sets(events, by_hand)
    (own_set,) = chime_sets(events, sounds.url("/chime.mp3"))
    assert other_set["received"] < own_set["received"] < moment
    play = next(e for e in requests(events, "Play", "Kitchen") if e["received"] > own_set["received"])
    assert play["received"] >= moment - 0.002, f"Play {moment - play['received']:.3f} s early"
    assert_playing_as_before(before, home.players["Kitchen"].state())


def test_a_chime_holding_the_group_at_the_moment_is_waited_for_then_the_group_is_chimed(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    """Another chime takes the group just before this run's switch is due: the run waits for
    it (bounded by half the margin after the moment, as before), plays late, and both put
    the group back."""
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()
    by_hand = sounds.url("/chime2.mp3")
    at, moment = moment_in(4.0)
    other_at = datetime.fromisoformat(at) - timedelta(seconds=0.3)

    waiting = setup.start("Test", "--at", at)
    other = start_chime("play-uri", by_hand, "--host", home.players["Kitchen"].ip, "--runtime-dir", str(setup.runtime_dir),
                        "--at", other_at.isoformat(timespec="milliseconds")).finish(timeout=30)
    run = waiting.finish(timeout=30)

    assert other.returncode == 0 and outcomes(other.stderr) == {home.players["Kitchen"].ip: "ok"}, other.stderr
    assert run.returncode == 0 and outcomes(run.stderr) == {"Kitchen": "ok"}, run.stderr
    assert "waited for another chime on this group" in run.stderr, run.stderr
    events = home.events()
    (other_set,) = chime_sets(events, by_hand)
    (own_set,) = chime_sets(events, sounds.url("/chime.mp3"))
    assert other_set["received"] < moment < own_set["received"]
    assert_playing_as_before(before, home.players["Kitchen"].state())


def test_a_group_changed_during_a_long_wait_is_found_again_and_chimed_as_it_is(household: Any, chime_setup: Any, sounds: Any) -> None:
    """Kitchen stands alone when the run starts and has joined Office's group by the moment
    (more than Timing.topology_trusted_for later): the chime plays on Office's group, and
    both speakers are put back, Kitchen still in the group it joined."""
    home = household(lone_players("Kitchen", "Office"))
    setup = chime_setup(home, ["Kitchen"], volume=35)
    kitchen, office = home.players["Kitchen"], home.players["Office"]
    at, _moment = moment_in(13.0)

    waiting = setup.start("Test", "--at", at)
    wait_for_prepared(waiting)
    soco.SoCo(kitchen.ip).join(soco.SoCo(office.ip))
    joined = wait_for_event(home, lambda e: e["kind"] == "state" and e["player"] == "Kitchen" and e["action"] == "join")
    before = {"Kitchen": kitchen.state(), "Office": office.state()}
    run = waiting.finish(timeout=40)

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "ok"}, run.stderr
    events = home.events()
    assert [e["player"] for e in chime_sets(events, sounds.url("/chime.mp3"))] == ["Office"]
    for name in ("Kitchen", "Office"):
        chime_volumes = [e for e in requests(events, "SetVolume", name) if e["mono"] > joined["mono"] and e["args"]["DesiredVolume"] == "35"]
        assert chime_volumes, f"{name}: never set to the chime's volume"
    assert before["Kitchen"].coordinator_uid == office.uid
    assert_playing_as_before(before["Office"], office.state())
    after = kitchen.state()
    assert (after.coordinator_uid, after.volume, after.mute) == (office.uid, before["Kitchen"].volume, before["Kitchen"].mute)


def test_a_zone_that_stood_aside_plays_for_the_group_it_is_in_after_a_long_wait(household: Any, chime_setup: Any, sounds: Any) -> None:
    """Office shares Kitchen's group when the run starts, and has left it by the moment: it
    plays for its own group then, and Kitchen for its own."""
    spec = lone_players("Kitchen", "Office")
    spec["groups"] = [{"coordinator": "Kitchen", "members": ["Office"]}]
    home = household(spec)
    setup = chime_setup(home, ["Kitchen", "Office"])
    at, _moment = moment_in(13.0)

    waiting = setup.start("Test", "--at", at)
    wait_for_prepared(waiting)
    soco.SoCo(home.players["Office"].ip).unjoin()
    wait_for_event(home, lambda e: e["kind"] == "state" and e["player"] == "Office" and e["action"] == "unjoin")
    before = {name: home.players[name].state() for name in ("Kitchen", "Office")}
    run = waiting.finish(timeout=40)

    assert run.returncode == 0, run.stderr
    assert sorted(e["player"] for e in chime_sets(home.events(), sounds.url("/chime.mp3"))) == ["Kitchen", "Office"]
    assert "stand-aside" not in run.stderr, run.stderr
    for name, earlier in before.items():
        after = home.players[name].state()
        assert (after.uri, after.track, after.transport_state, after.volume, after.coordinator_uid) == (
            earlier.uri, earlier.track, earlier.transport_state, earlier.volume, earlier.coordinator_uid), name


def wait_for_prepared(started: Any) -> None:
    """Until the run says it waits for the moment (its stderr, read line by line)."""
    assert started.process.stderr is not None
    seen: list[str] = []
    for line in started.process.stderr:
        seen.append(line)
        if "step=prepare" in line:
            return
    raise AssertionError("the run ended without preparing: " + "".join(seen))


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        ("tomorrow", "is not a time"),
        ("25:00", "is not a time"),
        ("@nonsense", "is not a time"),
        ((datetime.now().astimezone() + timedelta(days=2)).isoformat(), "more than a day ahead"),
        ((datetime.now().astimezone() - timedelta(minutes=5)).isoformat(), "passed"),
    ],
)
def test_a_moment_that_cannot_be_kept_is_refused_and_changes_nothing(household: Any, chime_setup: Any, sounds: Any, at: str, reason: str) -> None:
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"])

    run = setup.run("Test", None, "--at", at)

    assert run.returncode == 2, run.stderr
    assert "--at" in run.stderr and reason in run.stderr, run.stderr
    assert requests(home.events()) == []


def test_a_run_its_timer_started_early_plays_at_the_scheduled_moment(household: Any, chime_setup: Any, sounds: Any) -> None:
    """`--at next`, as the service runs it: the moment is the chime's next elapse by systemd."""
    home = household(lone_players("Kitchen", "Office"))
    wall, mono = datetime.now().astimezone(), time.monotonic()
    moment = (wall + timedelta(seconds=3)).replace(microsecond=0)
    setup = chime_setup(home, ["Kitchen", "Office"], schedule=moment.strftime("%Y-%m-%d %H:%M:%S"))

    run = setup.run("Test", None, "--at", "next")

    assert run.returncode == 0, run.stderr
    due = mono + (moment - wall).total_seconds()
    events = home.events()
    for player in ("Kitchen", "Office"):
        (switched,) = [e for e in chime_sets(events, sounds.url("/chime.mp3")) if e["player"] == player]
        play = next(e for e in requests(events, "Play", player) if e["received"] > switched["received"])
        assert play["received"] >= due - 0.002, f"{player}: Play {due - play['received']:.3f} s before the moment"
    assert run.stderr.count("late_ms=") == 2, run.stderr


def test_a_run_not_started_by_its_timer_plays_at_once(household: Any, chime_setup: Any, sounds: Any) -> None:
    """By hand (chime_now starts the service), or a catch-up: the next moment is far away."""
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"], schedule="Mon..Fri 2037-*-* 17:30")

    run = setup.run("Test", None, "--at", "next")

    assert run.returncode == 0, run.stderr
    assert "playing at once" in run.stderr and "late_ms=" not in run.stderr, run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "ok"}, run.stderr



def timer_start(seconds_ago: float = 0.5) -> dict[str, str]:
    """What systemd gives a service its timer triggered `seconds_ago` (and later starts by hand)."""
    return {"TRIGGER_UNIT": "sonos-chime-test.timer", "TRIGGER_TIMER_MONOTONIC_USEC": str(int((time.monotonic() - seconds_ago) * 1e6))}


def passed(ago: timedelta) -> str:
    """A one-off schedule whose moment passed `ago`, on the host's clock."""
    return (datetime.now().astimezone() - ago).strftime("%Y-%m-%d %H:%M:%S")


def test_a_run_its_timer_started_hours_after_the_moment_touches_no_speaker(household: Any, chime_setup: Any, sounds: Any) -> None:
    """A persistent catch-up at boot, or a clock that jumped: no bugle at 2 AM (issue #19)."""
    home = household(lone_players("Kitchen"))
    before = home.players["Kitchen"].state()
    setup = chime_setup(home, ["Kitchen"], schedule=passed(timedelta(hours=3)))

    run = setup.run("Test", None, "--at", "next", env=timer_start())

    assert run.returncode == 0, run.stderr
    assert requests(home.events()) == []
    assert 'chime="Test" was due at ' in run.stderr and "3 h 00 min late" in run.stderr and "not played" in run.stderr, run.stderr
    after = home.players["Kitchen"].state()
    assert (after.uri, after.transport_state, after.volume) == (before.uri, "PLAYING", before.volume)


def test_a_run_by_hand_or_a_catch_up_within_the_limit_plays_at_once(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    hours_ago = chime_setup(home, ["Kitchen"], schedule=passed(timedelta(hours=3)))
    # chime_now, `systemctl start`: systemd passes the timer's last trigger, an hour old
    by_hand = hours_ago.run("Test", None, "--at", "next", env=timer_start(seconds_ago=3600))
    a_minute_ago = chime_setup(home, ["Kitchen"], schedule=passed(timedelta(minutes=1)))
    catch_up = a_minute_ago.run("Test", None, "--at", "next", env=timer_start())

    for run in (by_hand, catch_up):
        assert run.returncode == 0, run.stderr
        assert "playing at once" in run.stderr and outcomes(run.stderr) == {"Kitchen": "ok"}, run.stderr
    assert len(chime_sets(home.events(), sounds.url("/chime.mp3"))) == 2
