"""What goes wrong in a real home: moved players, colliding chimes, signals, faults, takeovers."""

from __future__ import annotations

import re
import signal
from typing import Any

import pytest
import soco
from chime_helpers import (
    changing_requests,
    chime_sets,
    first_state,
    level_at,
    outcomes,
    requests,
    run_chime,
    start_chime,
    state_events,
    wait_for_event,
)

QUEUE = [{"title": "So What", "duration": 300}, {"title": "Freddie Freeloader", "duration": 300}]
RADIO_URI = "x-sonosapi-stream:s24861?sid=254&flags=8224&sn=0"


def playing_queue(volume: int, position: float = 30.0) -> dict[str, Any]:
    return {"source": "queue", "queue": QUEUE, "track": 2, "position": position, "transport_state": "PLAYING", "volume": volume}


def lone_players(*names: str, faults: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "transition_time": 0.05,
        "players": [{"name": name, "state": playing_queue(20 + index)} for index, name in enumerate(names)],
        "faults": faults or [],
        **extra,
    }


def wait_for_chime(home: Any, player: str, url: str) -> dict[str, Any]:
    return wait_for_event(home, lambda e: e["kind"] == "state" and e["player"] == player and e["action"] == "playing" and e["uri"] == url)


def assert_restored(before: Any, after: Any) -> None:
    for attribute in ("uri", "track", "transport_state", "volume", "mute", "play_mode", "coordinator_uid"):
        assert getattr(after, attribute) == getattr(before, attribute), f"{attribute}: {getattr(before, attribute)!r} -> {getattr(after, attribute)!r}"


def test_a_zone_moved_by_dhcp_is_found_by_uid(household: Any, chime_setup: Any, sounds: Any, loopback_addresses: Any) -> None:
    home = household(lone_players("Kitchen", "Office", "Den"))
    setup = chime_setup(home, ["Kitchen", "Office"])
    nobody = loopback_addresses.take(1)[0]
    # Kitchen's old address now belongs to Office; Office's old address answers nothing.
    for zone in setup.zones:
        zone["host"] = {"Kitchen": home.players["Office"].ip, "Office": nobody}.get(zone["name"], zone["host"])
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert sorted(re.findall(r'zone="([^"]*)" .*moved by DHCP', run.stderr)) == ["Kitchen", "Office"], run.stderr
    assert sorted(e["player"] for e in chime_sets(home.events(), sounds.url("/chime.mp3"))) == ["Kitchen", "Office"]
    for name, handle in home.players.items():
        assert_restored(before[name], handle.state())
    assert changing_requests(home.events(), "Den") == []


def test_two_chimes_in_the_same_second_take_turns(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"])
    setup.chimes.append({"name": "Second", "sound": "chime2.mp3", "schedule": "daily", "volume": 40, "zones": ["Kitchen"]})
    setup.write()
    before = home.players["Kitchen"].state()

    first, second = (start_chime(*setup.play_args(name)) for name in ("Test", "Second"))
    runs = [first.finish(), second.finish()]

    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    sources = [e["args"]["CurrentURI"] for e in requests(home.events(), "SetAVTransportURI", "Kitchen")]
    chimes = {sounds.url("/chime.mp3"), sounds.url("/chime2.mp3")}
    # One after the other: chime, original, chime, original; never chime over chime.
    assert len(sources) == 4 and set(sources[0::2]) == chimes, sources
    assert sources[1] == sources[3] == before.uri
    waited = [run for run in runs if "waited for another chime" in run.stderr]
    assert len(waited) == 1
    assert f"uri={before.uri}" in waited[0].stderr  # it saw the real original, not the first chime
    assert_restored(before, home.players["Kitchen"].state())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_chime_restores_at_once(household: Any, chime_setup: Any, sounds: Any, signum: signal.Signals) -> None:
    home = household(lone_players("Kitchen"))
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3")
    before = home.players["Kitchen"].state()

    started = setup.start("Test")
    wait_for_chime(home, "Kitchen", url)
    started.signal(signum)
    run = started.finish(timeout=10)

    assert run.returncode == 0, run.stderr
    assert f"{signum.name} received" in run.stderr
    # At once: the 30-second chime never reached its end; the music came back before.
    assert [e for e in state_events(home.events(), "Kitchen") if e["action"] == "end_of_media" and e["uri"] == url] == []
    assert_restored(before, home.players["Kitchen"].state())


def test_an_unreachable_zone_does_not_delay_the_others(household: Any, chime_setup: Any, sounds: Any, loopback_addresses: Any) -> None:
    home = household(lone_players("Kitchen", "Office", "Attic", faults=[{"kind": "no_answer", "player": "Attic"}]))
    setup = chime_setup(home, ["Kitchen", "Ghost", "Attic", "Office"], settings={"request_timeout": 1.0})
    setup.zones.append({"name": "Ghost", "uid": "RINCON_000E58DEAD0001400", "host": loopback_addresses.take(1)[0]})
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")  # every zone of the chime, in one process

    assert run.returncode == 1, run.stderr
    events = home.events()
    url = sounds.url("/chime.mp3")
    plays = {e["player"]: e["mono"] for e in requests(events, "Play") if e["uri"] == url}
    assert sorted(plays) == ["Kitchen", "Office"]
    # The healthy zones did not wait for Attic: they played before chime.py could even have
    # given up on Attic's first request (the request timeout is 1 s).
    first_to_attic = min(e["mono"] for e in requests(events, player="Attic"))
    assert max(plays.values()) < first_to_attic + 1.0, run.stderr
    for name in ("Kitchen", "Office"):
        assert_restored(before[name], home.players[name].state())
    assert changing_requests(events, "Attic") == []
    assert_restored(before["Attic"], home.players["Attic"].state())
    assert 'zone="Ghost"' in run.stderr and "outcome=failed" in run.stderr
    assert 'zone="Attic"' in run.stderr


def test_701_on_restore_is_retried_once(household: Any, chime_setup: Any, sounds: Any) -> None:
    faults = [{"kind": "upnp_error", "player": "Kitchen", "action": "Seek", "mode": "once", "code": 701}]
    home = household(lone_players("Kitchen", faults=faults))
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert "attempt=2" in run.stderr
    assert [e["fault"] for e in requests(home.events(), "Seek") if e["fault"]]
    assert_restored(before, home.players["Kitchen"].state())


@pytest.mark.parametrize(
    ("action", "code"),
    [("SetAVTransportURI", 402), ("SetAVTransportURI", 701), ("Play", 701)],
)
def test_a_transient_error_on_the_restore_of_a_radio_is_retried(
    household: Any, chime_setup: Any, sounds: Any, action: str, code: int
) -> None:
    # The second call of the action is the restore's; only that one fails.
    faults = [{"kind": "upnp_error", "player": "Kitchen", "action": action, "mode": "once", "after": 1, "code": code}]
    home = household({"transition_time": 0.05, "faults": faults, "players": [
        {"name": "Kitchen", "state": {"source": "radio", "uri": RADIO_URI, "title": "Radio Paradise",
                                      "transport_state": "PLAYING", "volume": 20}}]})
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert f"UPnP error {code}" in run.stderr and "attempt=2" in run.stderr
    wait_for_event(home, lambda e: e["kind"] == "state" and e["action"] == "playing" and e["uri"] == RADIO_URI)
    assert_restored(before, home.players["Kitchen"].state())


def test_701_on_play_of_the_chime_is_retried_once(household: Any, chime_setup: Any, sounds: Any) -> None:
    faults = [{"kind": "upnp_error", "player": "Kitchen", "action": "Play", "mode": "once", "code": 701}]
    home = household(lone_players("Kitchen", faults=faults))
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    first_state(home.events(), "Kitchen", "playing", uri=sounds.url("/chime.mp3"))
    assert_restored(before, home.players["Kitchen"].state())


def test_a_restore_that_keeps_failing_is_reported(household: Any, chime_setup: Any, sounds: Any) -> None:
    # The first Play (the chime) works; every later one (the restore) answers 701.
    faults = [{"kind": "upnp_error", "player": "Kitchen", "action": "Play", "mode": "after", "after": 1, "code": 701}]
    home = household(lone_players("Kitchen", faults=faults))
    setup = chime_setup(home, ["Kitchen"])

    run = setup.run("Test")

    assert run.returncode == 1
    assert "restore failed" in run.stderr
    after = home.players["Kitchen"].state()
    # The source and position are back, at the old volume, even though it could not play.
    assert after.uri.startswith("x-rincon-queue:") and after.volume == 20


def test_a_sound_url_that_404s_changes_nothing(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"], sound="missing.mp3")
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 1
    assert "HTTP 404" in run.stderr and "nothing changed" in run.stderr
    assert changing_requests(home.events()) == []
    assert_restored(before, home.players["Kitchen"].state())


def test_one_process_plays_per_group_the_first_zone_in_config_order(household: Any, chime_setup: Any, sounds: Any) -> None:
    spec = lone_players("Kitchen", "Dining", "Office")
    spec["groups"] = [{"coordinator": "Kitchen", "members": ["Dining"]}]
    home = household(spec)
    setup = chime_setup(home, ["Dining", "Kitchen"])
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert [e["player"] for e in chime_sets(home.events(), sounds.url("/chime.mp3"))] == ["Kitchen"]
    assert '"Dining" comes first in this chime and plays for this group' in run.stderr
    assert outcomes(run.stderr) == {"Kitchen": "with-group", "Dining": "ok"}
    for name, handle in home.players.items():
        assert_restored(before[name], handle.state())
    assert changing_requests(home.events(), "Office") == []


def test_someone_taking_over_during_the_chime_is_left_alone(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3")
    kitchen = home.players["Kitchen"]

    started = setup.start("Test")
    wait_for_chime(home, "Kitchen", url)
    transport = soco.SoCo(kitchen.ip).avTransport
    transport.SetAVTransportURI([("InstanceID", 0), ("CurrentURI", RADIO_URI), ("CurrentURIMetaData", "")])
    transport.Play([("InstanceID", 0), ("Speed", 1)])
    run = started.finish(timeout=15)

    assert run.returncode == 0, run.stderr
    assert "took the zone over" in run.stderr
    wait_for_event(home, lambda e: e["kind"] == "state" and e["action"] == "playing" and e["uri"] == RADIO_URI)
    after = kitchen.state()
    assert (after.uri, after.transport_state) == (RADIO_URI, "PLAYING")
    assert after.volume == 20  # the chime's volume is not left behind


def test_a_member_regrouped_away_during_the_chime_is_left_alone(household: Any, chime_setup: Any, sounds: Any) -> None:
    spec = lone_players("Kitchen", "Dining")
    spec["groups"] = [{"coordinator": "Kitchen", "members": ["Dining"]}]
    spec["faults"] = [{"kind": "regroup", "at": 1.5, "groups": []}]
    home = household(spec)
    url = sounds.url("/long.mp3")
    setup = chime_setup(home, ["Kitchen"], sound="long.mp3", volume=35)
    before = home.players["Kitchen"].state()
    before_dining = home.players["Dining"].state()

    started = setup.start("Test")
    wait_for_chime(home, "Kitchen", url)
    regrouped = wait_for_event(home, lambda e: e["kind"] == "state" and e["action"] == "regroup")
    # chime.py looks at the group (once a second): then it knows Dining left.
    wait_for_event(home, lambda e: e["kind"] == "request" and e["action"] == "GetZoneGroupState"
                   and e["player"] == "Kitchen" and e["mono"] > regrouped["mono"])
    started.signal()
    run = started.finish(timeout=15)

    assert run.returncode == 0, run.stderr
    assert '"Dining" left the group during the chime: only its volume goes back' in run.stderr
    dining_changes = [e["action"] for e in changing_requests(home.events(), "Dining") if e["mono"] > regrouped["mono"]]
    assert dining_changes == ["SetVolume"]  # its new source and group are left alone
    dining = home.players["Dining"].state()
    assert (dining.volume, dining.coordinator_uid) == (before_dining.volume, home.players["Dining"].uid)
    assert_restored(before, home.players["Kitchen"].state())


def test_zone_picks_zones_by_hand(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen", "Office"))
    setup = chime_setup(home, ["Kitchen", "Office"])
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test", "Office")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Office": "ok"}
    assert [e["player"] for e in chime_sets(home.events(), sounds.url("/chime.mp3"))] == ["Office"]
    assert changing_requests(home.events(), "Kitchen") == []
    for name, handle in home.players.items():
        assert_restored(before[name], handle.state())


def test_zone_plays_the_named_zones_group_though_another_zone_of_it_comes_first(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    """Kitchen comes first in the chime and shares Bedroom's group, but is not in this run:
    it plays for no one, so Bedroom chimes the group (issue #19)."""
    spec = lone_players("Kitchen", "Bedroom", "Office")
    spec["groups"] = [{"coordinator": "Kitchen", "members": ["Bedroom"]}]
    home = household(spec)
    setup = chime_setup(home, ["Kitchen", "Bedroom", "Office"])
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test", "Bedroom")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Bedroom": "ok"}, run.stderr
    events = home.events()
    assert [e["player"] for e in chime_sets(events, sounds.url("/chime.mp3"))] == ["Kitchen"]
    first_state(events, "Kitchen", "playing", uri=sounds.url("/chime.mp3"))
    assert changing_requests(events, "Office") == []
    for name, handle in home.players.items():
        assert_restored(before[name], handle.state())


def test_dry_run_decides_and_changes_nothing(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"])

    run = setup.run("Test", None, "--dry-run")

    assert run.returncode == 0
    assert "would interrupt" in run.stderr
    assert changing_requests(home.events()) == []


def test_play_uri_by_hand(household: Any, sounds: Any, tmp_path: Any) -> None:
    home = household(lone_players("Kitchen", "Office"))
    before = {name: handle.state() for name, handle in home.players.items()}
    url = sounds.url("/chime2.mp3")

    run = run_chime(
        "play-uri", url, "--host", home.players["Kitchen"].ip, "--host", home.players["Office"].ip,
        "--volume", "15", "--runtime-dir", str(tmp_path), "--state-dir", str(tmp_path / "state"),
    )

    assert run.returncode == 0, run.stderr
    assert sorted(e["player"] for e in chime_sets(home.events(), url)) == ["Kitchen", "Office"]
    for name, handle in home.players.items():
        heard = first_state(home.events(), name, "playing", uri=url)
        assert heard["volume"] == 15
        assert_restored(before[name], handle.state())


def test_a_sound_the_player_refuses_changes_nothing(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household(lone_players("Kitchen"))
    setup = chime_setup(home, ["Kitchen"], sound="page.mp3")
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 1
    assert "UPnP error 714" in run.stderr and "changed=nothing" in run.stderr
    assert {e["action"] for e in changing_requests(home.events())} == {"SetAVTransportURI"}
    assert all(e["fault"] for e in changing_requests(home.events()))
    assert_restored(before, home.players["Kitchen"].state())


def test_a_refused_sound_on_an_idle_player_puts_the_volume_back(household: Any, chime_setup: Any, sounds: Any) -> None:
    # Nothing plays, so the chime volume is set together with the sound, which is refused.
    home = household({"players": [{"name": "Kitchen", "state": {"volume": 12, "mute": True}}]})
    setup = chime_setup(home, ["Kitchen"], sound="page.mp3")
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 1
    assert "changed=\"volumes, put back\"" in run.stderr
    assert_restored(before, home.players["Kitchen"].state())


def test_a_connection_reset_while_reading_is_read_again(household: Any, chime_setup: Any, sounds: Any) -> None:
    faults = [{"kind": "reset", "player": "Kitchen", "action": "GetPositionInfo", "mode": "once"}]
    home = household(lone_players("Kitchen", faults=faults))
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert "reading again" in run.stderr
    assert len(chime_sets(home.events(), sounds.url("/chime.mp3"))) == 1
    assert_restored(before, home.players["Kitchen"].state())


def test_a_member_that_vanishes_mid_chime_does_not_keep_the_music_off(household: Any, chime_setup: Any, sounds: Any) -> None:
    spec = lone_players("Kitchen", "Dining")
    spec["groups"] = [{"coordinator": "Kitchen", "members": ["Dining"]}]
    # Dining answers its volume, its mute and the chime's volume change, then is gone.
    spec["faults"] = [{"kind": "vanish", "player": "Dining", "after": 3}]
    home = household(spec)
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 1
    assert '"Dining" volume left at 30 (was 21)' in run.stderr, run.stderr
    after = home.players["Kitchen"].state()
    assert (after.uri, after.track, after.volume) == (before.uri, before.track, before.volume)
    assert after.transport_state in ("PLAYING", "TRANSITIONING")


def test_a_coordinator_that_goes_silent_mid_chime_ends_the_run_in_bounded_time(household: Any, chime_setup: Any, sounds: Any) -> None:
    # Kitchen answers the lookup, the snapshot and the chime, then accepts and never answers.
    faults = [{"kind": "vanish", "player": "Kitchen", "after": 14, "how": "silent"}]
    home = household(lone_players("Kitchen", "Office", faults=faults))
    setup = chime_setup(home, ["Kitchen", "Office"], settings={"request_timeout": 0.5, "margin": 3.0})
    before = home.players["Office"].state()

    run = setup.run("Test")

    assert run.returncode == 1
    assert 'zone="Kitchen" group="Kitchen" step=play' in run.stderr  # it did chime first
    # It gave up on Kitchen at the zone's deadline: the sound's length plus the margin.
    events = home.events()
    play = next(e for e in requests(events, "Play", "Kitchen") if e["uri"] == sounds.url("/chime.mp3"))
    assert max(e["mono"] for e in requests(events, player="Kitchen")) <= play["mono"] + 1.2 + 3.0, run.stderr
    assert 'zone="Kitchen"' in run.stderr and "outcome=failed" in run.stderr
    assert_restored(before, home.players["Office"].state())


def test_a_speaker_with_a_fixed_volume_keeps_it_and_the_rest_chimes(household: Any, chime_setup: Any, sounds: Any) -> None:
    spec = lone_players("Kitchen")
    spec["players"].append({"name": "Port", "model": "Sonos Port", "state": {"volume": 100, "output_fixed": True}})
    spec["groups"] = [{"coordinator": "Kitchen", "members": ["Port"]}]
    home = household(spec)
    setup = chime_setup(home, ["Kitchen"])
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert '"Port" kept its volume' in run.stderr
    heard = first_state(home.events(), "Kitchen", "playing", uri=sounds.url("/chime.mp3"))
    assert heard["volume"] == 30
    setters = [e for e in requests(home.events(), "SetVolume", "Port") if not e["fault"]]
    assert setters == []
    for name, handle in home.players.items():
        assert_restored(before[name], handle.state())


def test_a_member_whose_volume_cannot_be_read_is_left_alone(household: Any, chime_setup: Any, sounds: Any) -> None:
    spec = lone_players("Kitchen", "Dining")
    spec["groups"] = [{"coordinator": "Kitchen", "members": ["Dining"]}]
    spec["faults"] = [{"kind": "no_answer", "player": "Dining", "action": "GetVolume"}]
    home = household(spec)
    setup = chime_setup(home, ["Kitchen"], settings={"request_timeout": 0.5})
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert '"Dining" left as it is' in run.stderr
    assert [e["player"] for e in chime_sets(home.events(), sounds.url("/chime.mp3"))] == ["Kitchen"]
    assert changing_requests(home.events(), "Dining") == []
    for name, handle in home.players.items():
        assert_restored(before[name], handle.state())


def test_an_idle_player_that_refuses_an_empty_source_is_left_stopped_on_its_queue(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    faults = [{"kind": "upnp_error", "player": "Kitchen", "action": "SetAVTransportURI", "mode": "once", "after": 1, "code": 402}]
    home = household({"faults": faults, "players": [{"name": "Kitchen", "state": {"volume": 12}}]})
    setup = chime_setup(home, ["Kitchen"])

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert "stopped on its queue instead" in run.stderr
    after = home.players["Kitchen"].state()
    assert (after.uri, after.transport_state, after.volume) == (f"x-rincon-queue:{home.players['Kitchen'].uid}#0", "STOPPED", 12)


def test_a_slow_start_is_not_mistaken_for_the_end(household: Any, chime_setup: Any, sounds: Any) -> None:
    # The player buffers for 0.8 s (TRANSITIONING) before the chime is heard.
    spec = lone_players("Kitchen")
    spec["transition_time"] = 0.8
    home = household(spec)
    url = sounds.url("/chime.mp3")
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    events = home.events()
    heard = first_state(events, "Kitchen", "playing", uri=url)
    ended = first_state(events, "Kitchen", "end_of_media", uri=url)
    restored = [e for e in changing_requests(events, "Kitchen") if e["mono"] > heard["mono"]]
    assert ended["mono"] - heard["mono"] >= 1.1
    assert min(e["mono"] for e in restored) >= ended["mono"]
    assert_restored(before, home.players["Kitchen"].state())


def test_a_paused_queue_never_comes_back_playing(household: Any, chime_setup: Any, sounds: Any) -> None:
    # The chime never pauses: the restore's Pause is the first call, and it answers 701 twice.
    faults = [{"kind": "upnp_error", "player": "Kitchen", "action": "Pause", "mode": "once", "after": 0, "code": 701},
              {"kind": "upnp_error", "player": "Kitchen", "action": "Pause", "mode": "once", "after": 1, "code": 701}]
    spec = {"transition_time": 0.3, "faults": faults, "players": [{"name": "Kitchen", "state": {
        "source": "queue", "queue": QUEUE, "track": 2, "position": 100.0, "transport_state": "PAUSED_PLAYBACK", "volume": 20}}]}
    home = household(spec)
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    after = home.players["Kitchen"].state()
    assert_restored(before, after)
    assert abs(after.position - before.position) < 1.0
    # It was never heard: muted whenever the transport played the old queue.
    for event in state_events(home.events(), "Kitchen"):
        if event["transport_state"] == "PLAYING" and event["uri"] == before.uri:
            assert event["mute"], event


def test_zone_volumes_set_every_speaker_of_the_room_as_sonos_treats_it(household: Any, chime_setup: Any, sounds: Any) -> None:
    # A stereo pair grouped with a lone speaker, and a home theatre with a sub and surrounds.
    spec = lone_players("Living Room", "Kitchen")
    spec["players"] += [
        {"name": "Living Room R", "bonded_to": "Living Room", "channel": "RF", "state": {"volume": 23}},
        {"name": "TV Room", "model": "Sonos Beam", "state": playing_queue(24)},
        {"name": "TV Sub", "model": "Sonos Sub", "bonded_to": "TV Room", "channel": "SW", "state": {"volume": 40}},
        {"name": "TV Left", "bonded_to": "TV Room", "channel": "LR", "state": {"volume": 41}},
        {"name": "TV Right", "bonded_to": "TV Room", "channel": "RR", "state": {"volume": 42}},
    ]
    spec["groups"] = [{"coordinator": "Living Room", "members": ["Kitchen"]}]
    home = household(spec)
    setup = chime_setup(home, ["Living Room", "Kitchen", "TV Room"], zone_volumes={"Living Room": 12, "Kitchen": 18, "TV Room": 15})
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    events = home.events()
    url = sounds.url("/chime.mp3")
    expected = {"Living Room": 12, "Living Room R": 12, "Kitchen": 18, "TV Room": 15}
    for speaker, volume in expected.items():
        coordinator = "TV Room" if speaker == "TV Room" else "Living Room"
        heard = first_state(events, coordinator, "playing", uri=url)
        assert level_at(events, speaker, heard["mono"], (before[speaker].volume, before[speaker].mute)) == (volume, False), speaker
    # Sub and surrounds follow their soundbar, as in the Sonos app: chime.py never sets them.
    for satellite in ("TV Sub", "TV Left", "TV Right"):
        assert changing_requests(events, satellite) == []
    for name, handle in home.players.items():
        assert_restored(before[name], handle.state())


def test_a_player_gone_for_a_moment_mid_chime_is_restored_once_it_is_back(household: Any, chime_setup: Any, sounds: Any) -> None:
    # Kitchen answers the lookup, the snapshot and the chime, then refuses connections for 3 s.
    faults = [{"kind": "vanish", "player": "Kitchen", "after": 12, "how": "refuse", "duration": 3.0}]
    home = household(lone_players("Kitchen", faults=faults))
    setup = chime_setup(home, ["Kitchen"])
    before = home.players["Kitchen"].state()

    run = setup.run("Test")

    events = home.events()
    returned = first_state(events, "Kitchen", "returned")
    assert first_state(events, "Kitchen", "vanished")["mono"] < returned["mono"]
    assert [e for e in changing_requests(events, "Kitchen") if e["mono"] > returned["mono"]], run.stderr
    assert "restored" in run.stderr and "restore failed" not in run.stderr, run.stderr
    assert_restored(before, home.players["Kitchen"].state())


def test_a_zone_whose_group_another_zone_played_for_is_said_chimed_with_that_group(
    household: Any, chime_setup: Any, sounds: Any
) -> None:
    spec = lone_players("Living Room", "Bureau d'été", "Kitchen")
    spec["groups"] = [{"coordinator": "Living Room", "members": ["Bureau d'été"]}]
    home = household(spec)
    setup = chime_setup(home, ["Living Room", "Bureau d'été", "Kitchen"])

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert sorted([e["player"] for e in chime_sets(home.events(), sounds.url("/chime.mp3"))]) == ["Kitchen", "Living Room"]
    assert outcomes(run.stderr) == {"Living Room": "ok", "Bureau d'été": "with-group", "Kitchen": "ok"}, run.stderr
    assert ('INFO zone="Bureau d\'été" group="Living Room+Bureau d\'été" step=stand-aside outcome=with-group'
            ' - chimed with "Living Room"\'s group') in run.stderr.splitlines(), run.stderr
    done = next(line for line in run.stderr.splitlines() if ' done in ' in line)
    assert '"Bureau d\'été" chimed with "Living Room"\'s group' in done and "skipped" not in done, done


def test_a_zone_whose_group_was_skipped_by_the_zone_playing_for_it_is_skipped_with_the_reason(
    household: Any, chime_setup: Any
) -> None:
    spec = lone_players("Living Room", "Bureau d'été")
    spec["players"][0].update(model="Sonos Arc", state={"source": "tv", "transport_state": "PLAYING"})
    spec["groups"] = [{"coordinator": "Living Room", "members": ["Bureau d'été"]}]
    home = household(spec)
    setup = chime_setup(home, ["Living Room", "Bureau d'été"])

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert changing_requests(home.events()) == []
    assert outcomes(run.stderr) == {"Living Room": "skipped", "Bureau d'été": "skipped"}, run.stderr
    assert ('step=stand-aside outcome=skipped - "Living Room" plays for this group, which was skipped: '
            'source policy for tv is skip') in run.stderr, run.stderr
    assert "chimed with" not in run.stderr, run.stderr


def test_a_household_at_sonos_limit_is_chimed_whole_in_one_run(household: Any, chime_setup: Any, sounds: Any) -> None:
    """32 players (tests/households/thirty-two-players.yml), every zone in one chime, as the
    service runs it: each group is chimed or, by its source's policy, skipped; every speaker
    ends as it was; the chime is heard once on each group that was chimed."""
    home = household("thirty-two-players.yml")
    rooms = sorted({zone["name"] for zone in chime_setup(home, []).zones})
    setup = chime_setup(home, rooms, settings={"margin": 4.0})
    url = sounds.url("/chime.mp3")
    before = {name: handle.state() for name, handle in home.players.items()}

    run = setup.run("Test", timeout=120.0)

    assert len(home.players) == 32 and len(rooms) == 26
    assert run.returncode == 0, run.stderr
    said = outcomes(run.stderr)
    assert set(said) == set(rooms), run.stderr
    assert set(said.values()) <= {"ok", "with-group", "skipped"}, said
    events = home.events()
    chimed = {name for name, outcome in said.items() if outcome == "ok"}
    for name, handle in home.players.items():
        assert_restored(before[name], handle.state())
    uids = {spec.uid: spec.name for spec in home.spec.players}
    for coordinator in {before[name].coordinator_uid for name in chimed}:
        player = uids[coordinator]
        heard = [e for e in state_events(events, player) if e["action"] == "playing" and e["uri"] == url]
        assert len(heard) == 1, f"{player}: heard {len(heard)} times\n{run.stderr}"
    # One zone chimes for each group; the groups on TV, line-in and a cloud session are skipped
    # by the default source policy; every other of the 20 groups was chimed.
    assert len(chimed) == 13, said
    for room in ("Living Room", "Den", "Study", "Basement", "Library", "Bedroom", "Kids Room"):
        assert said[room] == "skipped" and room not in chimed, room


PAIR_WITH_SUB = {"players": [
    {"name": "Den", "model": "Sonos One", "state": {
        "source": "queue", "queue": [{"title": "So What", "duration": 562}], "track": 1, "position": 30.0,
        "transport_state": "PLAYING", "volume": 20}},
    {"name": "Den (right)", "model": "Sonos One", "bonded_to": "Den", "channel": "RF", "state": {"volume": 20}},
    {"name": "Den Sub", "model": "Sonos Sub", "bonded_to": "Den", "channel": "SW"},
]}


@pytest.mark.parametrize("mode", ["interrupt", "auto"])
def test_a_sub_bonded_to_a_stereo_pair_follows_its_room_and_is_never_set(household: Any, chime_setup: Any,
                                                                         mode: str) -> None:
    # Real players list such a Sub as an invisible ZoneGroupMember (SoCo/SoCo#870): it has no
    # volume of its own to set, and takes no clip.
    home = household(PAIR_WITH_SUB)
    sub_before = home.players["Den Sub"].state()
    setup = chime_setup(home, ["Den"], volume=35, mode=mode)

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert outcomes(run.stderr) == {"Den": "ok"}, run.stderr
    events = home.events()
    assert [e for e in events if e["kind"] == "request" and e["player"] == "Den Sub" and e["service"] != "SSDP"] == []
    assert home.players["Den Sub"].state().volume == sub_before.volume
    assert "cannot play clips" not in run.stderr
