"""A chime host that dies mid-chime: the next thing that starts puts every speaker back.

chime.py is killed with SIGKILL while its chime plays (as the kernel's OOM killer or a power
cut ends it: nothing of it runs after), then `chime.py recover` or the next chime runs. The
simulator's final state and event log say what came back, and how.
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import soco
from chime_helpers import (
    ChimeSetup,
    Run,
    first_state,
    run_chime,
    start_chime,
    state_events,
    wait_for_event,
)
from test_chime_moment import moment_in
from test_chime_scenarios import QUEUE, RADIO_URI

HOURS = 3 * 3600.0


def kitchen_and_office(faults: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Kitchen plays its queue mid-track for itself and Office (muted, quieter)."""
    return {
        "transition_time": 0.05,
        "faults": faults or [],
        "players": [
            {"name": "Kitchen", "state": {"source": "queue", "queue": QUEUE, "track": 2, "position": 100.0,
                                          "transport_state": "PLAYING", "volume": 20}},
            {"name": "Office", "state": {"volume": 12, "mute": True}},
        ],
        "groups": [{"coordinator": "Kitchen", "members": ["Office"]}],
    }


def killed_mid_chime(home: Any, setup: ChimeSetup, url: str) -> Run:
    started = setup.start("Test")
    wait_for_event(home, lambda e: e["kind"] == "state" and e["player"] == "Kitchen" and e["action"] == "playing" and e["uri"] == url)
    started.signal(signal.SIGKILL)
    return started.finish(timeout=10)


@dataclass(frozen=True)
class Killed:
    """Kitchen and Office as they were, their chime's run killed while it plays long.mp3."""

    home: Any
    setup: ChimeSetup
    before: dict[str, Any]
    url: str


def killed_household(household: Any, chime_setup: Any, sounds: Any, faults: list[dict[str, Any]] | None = None) -> Killed:
    home = household(kitchen_and_office(faults=faults))
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3", volume=35)
    before = snapshot_of(home)
    killed_mid_chime(home, setup, url)
    return Killed(home, setup, before, url)


def recover(setup: ChimeSetup, *extra: str) -> Run:
    return run_chime("recover", "--config", str(setup.path), *extra, timeout=60)


def state_files(setup: ChimeSetup) -> list[Path]:
    return sorted(setup.state_dir.glob("*.json"))


def snapshot_of(home: Any) -> dict[str, Any]:
    return {name: handle.state() for name, handle in home.players.items()}


def assert_back(before: dict[str, Any], home: Any, transport_state: str | None = None) -> None:
    for name, was in before.items():
        now = home.players[name].state()
        for attribute in ("uri", "track", "volume", "mute", "play_mode", "coordinator_uid"):
            assert getattr(now, attribute) == getattr(was, attribute), f"{name}.{attribute}: {getattr(was, attribute)!r} -> {getattr(now, attribute)!r}"
        assert now.transport_state == (transport_state or was.transport_state), f"{name}: {now.transport_state}"
    kitchen_was, kitchen = before["Kitchen"], home.players["Kitchen"].state()
    assert kitchen_was.position - 1.0 <= kitchen.position < kitchen_was.position + 15.0  # players report whole seconds


def written_hours_ago(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    for key in ("written", "restoring_at"):
        if document.get(key):
            document[key] = {**document[key], "wall": document[key]["wall"] - HOURS, "boot": document[key]["boot"] - HOURS}
    path.write_text(json.dumps(document), encoding="utf-8")


def kill_while_restoring(home: Any, setup: ChimeSetup) -> None:
    """The restore's Play (Kitchen's second) is never answered: the run is killed waiting on it,
    its group back on its queue, stopped."""
    started = setup.start("Test")
    wait_for_event(home, lambda e: e["kind"] == "request" and e["action"] == "Play" and e.get("injected") == "no_answer")
    started.signal(signal.SIGKILL)
    started.finish(timeout=10)


PLAY_UNANSWERED_ONCE = [{"kind": "no_answer", "player": "Kitchen", "action": "Play", "mode": "once", "after": 1}]


def test_killed_mid_chime_then_recovered_soon_after_the_music_plays_on(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(kitchen_and_office())
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3", volume=35)
    before = snapshot_of(home)

    killed = killed_mid_chime(home, setup, url)
    assert killed.returncode == -signal.SIGKILL
    assert home.players["Kitchen"].state().uri == url
    assert [path.name for path in state_files(setup)] == [f"{home.players['Kitchen'].uid}.json"]

    run = recover(setup)

    assert run.returncode == 0, run.stderr
    assert "outcome=restored" in run.stderr, run.stderr
    assert_back(before, home)
    assert state_files(setup) == []


def test_recovered_hours_later_everything_goes_back_but_nothing_plays(household: Any, chime_setup: Any, sounds: Any) -> None:
    killed = killed_household(household, chime_setup, sounds)
    home, setup, before = killed.home, killed.setup, killed.before
    [path] = state_files(setup)
    written_hours_ago(path)
    recovering = home.events()[-1]["mono"]

    run = recover(setup)

    assert run.returncode == 0, run.stderr
    assert "outcome=held" in run.stderr, run.stderr
    assert_back(before, home, transport_state="PAUSED_PLAYBACK")
    # Never heard on the way: every speaker muted whenever the old queue played.
    for name in ("Kitchen", "Office"):
        for event in state_events(home.events(), name):
            if event["mono"] > recovering and event["transport_state"] == "PLAYING" and event["uri"] == before["Kitchen"].uri:
                assert event["mute"], event


def test_recovery_leaves_what_a_person_started_since(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(kitchen_and_office())
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3", volume=35)
    killed_mid_chime(home, setup, url)
    kitchen, office = home.players["Kitchen"], home.players["Office"]
    transport = soco.SoCo(kitchen.ip).avTransport
    transport.SetAVTransportURI([("InstanceID", 0), ("CurrentURI", RADIO_URI), ("CurrentURIMetaData", "")])
    transport.Play([("InstanceID", 0), ("Speed", 1)])
    soco.SoCo(office.ip).volume = 50

    run = recover(setup)

    assert run.returncode == 0, run.stderr
    assert "outcome=left_to_user" in run.stderr, run.stderr
    wait_for_event(home, lambda e: e["kind"] == "state" and e["action"] == "playing" and e["uri"] == RADIO_URI)
    assert (kitchen.state().uri, kitchen.state().transport_state) == (RADIO_URI, "PLAYING")
    assert kitchen.state().volume == 20  # still at the chime's: nobody chose it
    assert office.state().volume == 50  # a person's choice
    assert state_files(setup) == []


# With every answer of Kitchen taking 0.7 s, a recovery beside the zones that took the
# group's lock would hold it longer than the zone waits for it: the chime would fail.
@pytest.mark.parametrize("faults", [[], [{"kind": "latency", "player": "Kitchen", "fixed": 0.7}]], ids=["prompt", "slow"])
def test_the_next_chime_puts_back_what_the_killed_one_left_before_its_snapshot(
    household: Any, chime_setup: Any, sounds: Any, faults: list[dict[str, Any]]
) -> None:
    killed = killed_household(household, chime_setup, sounds, faults)
    home, setup, before = killed.home, killed.setup, killed.before

    setup.chimes[0]["sound"] = "chime.mp3"
    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert "outcome=restored" in run.stderr and "outcome=ok" in run.stderr, run.stderr
    assert_back(before, home)
    assert state_files(setup) == []


def test_a_player_that_answers_again_after_the_run_gave_up_is_put_back(household: Any, chime_setup: Any, sounds: Any) -> None:
    # Kitchen answers the lookup, the snapshot and the chime, then refuses connections for 6 s:
    # longer than the run waits for it (the chime's length plus a 1 s margin).
    home = household(kitchen_and_office(faults=[{"kind": "vanish", "player": "Kitchen", "after": 12, "how": "refuse", "duration": 6.0}]))
    setup = chime_setup(home, ["Kitchen"], volume=35, settings={"margin": 1.0, "request_timeout": 0.5})
    before = snapshot_of(home)

    run = setup.run("Test")
    assert run.returncode == 1, run.stderr
    assert len(state_files(setup)) == 1, run.stderr

    recovered = recover(setup, "--wait", "30", "--every", "0.5")

    assert recovered.returncode == 0, recovered.stderr
    returned = first_state(home.events(), "Kitchen", "returned")
    assert "outcome=restored" in recovered.stderr, recovered.stderr
    assert recovered.ended > returned["mono"]
    assert_back(before, home)
    assert state_files(setup) == []


def test_hours_after_a_run_killed_while_restoring_the_familys_own_queue_is_theirs(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(kitchen_and_office(faults=PLAY_UNANSWERED_ONCE))
    setup = chime_setup(home, ["Kitchen"], volume=35, settings={"request_timeout": 20.0})
    kill_while_restoring(home, setup)
    [path] = state_files(setup)
    written_hours_ago(path)
    # The next morning the family plays track 1 of their queue, louder, and unmutes Office.
    kitchen, office = soco.SoCo(home.players["Kitchen"].ip), soco.SoCo(home.players["Office"].ip)
    kitchen.play_from_queue(0)
    kitchen.volume = 45
    office.mute = False
    wait_for_event(home, lambda e: e["kind"] == "state" and e["player"] == "Office" and e["action"] == "SetMute")
    theirs = home.players["Kitchen"].state()

    run = recover(setup)

    assert "outcome=left_to_user" in run.stderr, run.stderr
    now = home.players["Kitchen"].state()
    assert (now.uri, now.track, now.volume) == (theirs.uri, theirs.track, 45)
    assert now.transport_state in ("PLAYING", "TRANSITIONING")
    assert home.players["Office"].state().mute is False
    assert state_files(setup) == []


def test_a_recovery_killed_while_restoring_is_finished_by_the_next(household: Any, chime_setup: Any, sounds: Any) -> None:
    # The chime's Play (Kitchen's first) is answered; the recovery's Play (the second) is not.
    home = household(kitchen_and_office(faults=PLAY_UNANSWERED_ONCE))
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3", volume=35, settings={"request_timeout": 20.0})
    before = snapshot_of(home)
    killed_mid_chime(home, setup, url)
    recovering = start_chime("recover", "--config", str(setup.path))
    wait_for_event(home, lambda e: e["kind"] == "request" and e["action"] == "Play" and e.get("injected") == "no_answer")
    recovering.signal(signal.SIGKILL)
    recovering.finish(timeout=10)

    run = recover(setup)

    assert run.returncode == 0 and "outcome=restored" in run.stderr, run.stderr
    assert_back(before, home)
    assert state_files(setup) == []


def test_the_next_chime_finds_a_moved_player_by_its_uid_and_puts_it_back(household: Any, chime_setup: Any, sounds: Any) -> None:
    killed = killed_household(household, chime_setup, sounds)
    home, setup, before = killed.home, killed.setup, killed.before
    [path] = state_files(setup)
    document = json.loads(path.read_text(encoding="utf-8"))
    for member in document["transport"]["group"]["members"]:
        member["host"] = "127.0.0.254"  # where the killed run knew it: DHCP has moved it since
    path.write_text(json.dumps(document), encoding="utf-8")

    setup.chimes[0]["sound"] = "chime.mp3"
    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert_back(before, home)
    assert state_files(setup) == []


def test_a_paused_group_whose_levels_were_not_kept_goes_back_stopped_never_heard(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    spec = kitchen_and_office(faults=[{"kind": "no_answer", "player": "Office", "action": "GetVolume"}])
    spec["players"][0]["state"]["transport_state"] = "PAUSED_PLAYBACK"
    home = household(spec)
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3", volume=35, settings={"request_timeout": 20.0})
    started = setup.start("Test")
    wait_for_event(home, lambda e: e["kind"] == "state" and e["player"] == "Kitchen" and e.get("uri") == url)
    started.signal(signal.SIGKILL)  # Office's level is still being read: the file has none
    started.finish(timeout=10)
    recovering = home.events()[-1]["mono"]

    run = recover(setup)

    assert run.returncode == 0, run.stderr
    assert [e for e in home.events() if e["mono"] > recovering and e["kind"] == "request" and e["action"] == "Play"] == []
    kitchen = home.players["Kitchen"].state()
    assert (kitchen.uri, kitchen.transport_state) == (spec_uri(home), "STOPPED")
    assert state_files(setup) == []


def spec_uri(home: Any) -> str:
    return f"x-rincon-queue:{home.players['Kitchen'].uid}#0"


def test_a_leftover_on_a_speaker_regrouped_since_goes_back_before_the_next_chimes_snapshot(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    home = household(kitchen_and_office())
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3", volume=35)
    killed_mid_chime(home, setup, url)
    # The family regroups: Office leaves, then Kitchen joins Office (Office coordinates now).
    kitchen, office = soco.SoCo(home.players["Kitchen"].ip), soco.SoCo(home.players["Office"].ip)
    office.unjoin()
    kitchen.join(office)
    joined = f"x-rincon:{home.players['Office'].uid}"
    wait_for_event(home, lambda e: e["kind"] == "state" and e["player"] == "Kitchen" and e.get("uri") == joined)

    setup.chimes[0]["sound"] = "chime.mp3"
    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    # The killed chime's levels (35, unmuted) are not what the next chime puts back.
    assert (home.players["Kitchen"].state().volume, home.players["Office"].state().volume) == (20, 12)
    assert home.players["Office"].state().mute is True
    assert state_files(setup) == []


# Each step of a chime on Kitchen's group, held there (its request gets no answer) while the
# run is killed: the chime's sound switched in, its volume set, its Play; the restore's
# source, seek and Play. Kitchen's requests of each kind, counted from 0.
KILL_STEPS = {
    "switch-in": ("SetAVTransportURI", 0),
    "chime-volume": ("SetVolume", 0),
    "chime-play": ("Play", 0),
    "restore-source": ("SetAVTransportURI", 1),
    "restore-seek": ("Seek", 0),
    "restore-play": ("Play", 1),
}


@pytest.mark.parametrize("step", list(KILL_STEPS))
def test_killed_at_any_step_every_speaker_comes_back(household: Any, chime_setup: Any, sounds: Any, step: str) -> None:
    action, after = KILL_STEPS[step]
    home = household(kitchen_and_office(faults=[{"kind": "no_answer", "player": "Kitchen", "action": action, "mode": "once", "after": after}]))
    setup = chime_setup(home, ["Kitchen"], volume=35, settings={"request_timeout": 20.0})
    before = snapshot_of(home)
    started = setup.start("Test")
    wait_for_event(home, lambda e: e["kind"] == "request" and e["action"] == action and e.get("injected") == "no_answer")
    started.signal(signal.SIGKILL)
    started.finish(timeout=10)

    run = recover(setup)

    assert run.returncode == 0, run.stderr
    assert_back(before, home)
    assert state_files(setup) == []


def test_a_level_the_recovery_cannot_put_back_keeps_the_snapshot(household: Any, chime_setup: Any, sounds: Any) -> None:
    # Office takes the chime's volume and unmute, then answers no level change: the run and the
    # recovery after it both leave it changed. Its snapshot stays for a later try.
    faults = [{"kind": "no_answer", "player": "Office", "action": action, "mode": "after", "after": 1} for action in ("SetVolume", "SetMute")]
    home = household(kitchen_and_office(faults=faults))
    setup = chime_setup(home, ["Kitchen"], volume=35, settings={"request_timeout": 0.5})
    run = setup.run("Test")
    assert run.returncode == 1 and len(state_files(setup)) == 1, run.stderr

    recovered = recover(setup)

    assert recovered.returncode == 1 and "outcome=later" in recovered.stderr, recovered.stderr
    assert len(state_files(setup)) == 1
    assert (home.players["Office"].state().volume, home.players["Office"].state().mute) == (35, False)


def test_a_source_refused_for_good_does_not_stop_every_later_chime(household: Any, chime_setup: Any, sounds: Any) -> None:
    # Kitchen takes the chime, then refuses every source after it (its stream expired, say).
    faults = [{"kind": "upnp_error", "player": "Kitchen", "action": "SetAVTransportURI", "mode": "after", "after": 1, "code": 714}]
    home = household(kitchen_and_office(faults=faults))
    setup = chime_setup(home, ["Kitchen"], volume=35)
    first = setup.run("Test")
    assert first.returncode == 1, first.stderr

    second = setup.run("Test")

    assert "not put back yet" not in second.stderr, second.stderr
    assert "outcome=dropped" in second.stderr, second.stderr
    # The second chime took its own snapshot (Kitchen refuses its sound too, here): no file left
    # to stop the next one; the levels went back.
    assert state_files(setup) == []
    assert (home.players["Office"].state().volume, home.players["Office"].state().mute) == (12, True)


def test_before_a_moment_a_leftover_goes_back_before_the_wait_not_at_the_moment(household: Any, chime_setup: Any, sounds: Any) -> None:
    killed = killed_household(household, chime_setup, sounds)
    home, setup, before = killed.home, killed.setup, killed.before
    setup.chimes[0]["sound"] = "chime.mp3"

    run = setup.run("Test", None, "--at", moment_in(3.0)[0])

    assert run.returncode == 0, run.stderr
    steps = [line.split(" step=")[1].split(" ")[0] for line in run.stderr.splitlines() if " step=" in line]
    assert steps.index("recover") < steps.index("prepare") < steps.index("play"), steps
    assert_back(before, home)
    assert state_files(setup) == []
