"""Faults from the household file: latency, UPnP errors, resets, silence, vanishing, regroup."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import soco
from soco.exceptions import SoCoUPnPException
from soco.snapshot import Snapshot

from .helpers import wait_for


def one_player(*faults: dict, **state: object) -> dict:
    return {"players": [{"name": "Den", "state": {"volume": 20, **state}}], "faults": list(faults)}


def test_latency_is_per_request_and_requests_stay_concurrent(household):
    home = household(one_player({"kind": "latency", "player": "Den", "fixed": 0.3, "jitter": 0.05}))
    den = soco.SoCo(home.players["Den"].ip)
    started = time.monotonic()
    assert den.volume == 20
    single = time.monotonic() - started
    assert 0.3 <= single < 0.6
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        volumes = list(pool.map(lambda _: soco.SoCo(home.players["Den"].ip).renderingControl.GetVolume(
            [("InstanceID", 0), ("Channel", "Master")])["CurrentVolume"], range(8)))
    assert volumes == ["20"] * 8
    assert time.monotonic() - started < 1.0  # 8 x 0.3 s would be 2.4 s if serialised
    delays = [e["delay"] for e in home.requests("GetVolume")]
    assert len(delays) == 9 and all(0.3 <= d <= 0.35 for d in delays)


@pytest.mark.parametrize(
    ("mode", "after", "expected"),
    [
        ("once", 0, ["701", None, None]),
        ("once", 1, [None, "701", None]),
        ("always", None, ["701", "701", "701"]),
        ("after", 2, [None, None, "701"]),
    ],
)
def test_upnp_error_modes(household, mode, after, expected):
    fault = {"kind": "upnp_error", "action": "SetVolume", "code": 701, "mode": mode}
    if after is not None:
        fault["after"] = after
    home = household(one_player(fault))
    den = soco.SoCo(home.players["Den"].ip)
    outcomes = []
    for volume in (30, 31, 32):
        try:
            den.volume = volume
            outcomes.append(None)
        except SoCoUPnPException as exc:
            outcomes.append(exc.error_code)
    assert outcomes == expected
    logged = [e["fault"] for e in home.requests("SetVolume")]
    assert logged == [None if o is None else int(o) for o in outcomes]
    assert den.volume == max([v for v, o in zip((30, 31, 32), outcomes, strict=True) if o is None], default=20)


def test_reset_once_on_the_second_play_only(household):
    home = household(one_player({"kind": "reset", "action": "Play", "mode": "once", "after": 1},
                                source="radio", uri="x-rincon-mp3radio://r.example/s"))
    den = soco.SoCo(home.players["Den"].ip)
    den.play()
    den.stop()
    with pytest.raises(requests.exceptions.ConnectionError):
        den.play()
    den.play()
    assert [e.get("injected") for e in home.requests("Play")] == [None, "reset", None]
    wait_for(lambda: home.players["Den"].state().transport_state == "PLAYING")


def test_connection_reset(household):
    home = household(one_player({"kind": "reset", "action": "GetMute", "mode": "once"}))
    den = soco.SoCo(home.players["Den"].ip)
    with pytest.raises(requests.exceptions.ConnectionError):
        den.mute  # noqa: B018 - the property is the request
    assert den.mute is False
    assert [e.get("injected") for e in home.requests("GetMute")] == ["reset", None]


def test_no_answer_costs_the_client_its_timeout(household):
    home = household(one_player({"kind": "no_answer", "action": "GetTransportInfo"}))
    den = soco.SoCo(home.players["Den"].ip)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        den.avTransport.GetTransportInfo([("InstanceID", 0)], timeout=0.5)
    assert 0.5 <= time.monotonic() - started < 1.5
    assert den.volume == 20  # other actions still answer
    assert home.requests("GetTransportInfo")[0]["injected"] == "no_answer"


def test_player_vanishes_after_n_requests(household):
    home = household(one_player({"kind": "vanish", "player": "Den", "after": 3}))
    den = soco.SoCo(home.players["Den"].ip)
    for _ in range(3):
        assert den.renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")])["CurrentVolume"] == "20"
    with pytest.raises(requests.exceptions.ConnectionError):
        den.renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")])
    with pytest.raises(requests.exceptions.ConnectionError) as refused:
        den.renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")])
    assert "refused" in str(refused.value).lower()
    assert len(home.requests("GetVolume")) == 3


def test_silent_vanish_costs_every_later_request_its_timeout(household):
    home = household(one_player({"kind": "vanish", "player": "Den", "after": 1, "how": "silent"}))
    den = soco.SoCo(home.players["Den"].ip)
    assert den.renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")])["CurrentVolume"] == "20"
    for _ in range(2):
        started = time.monotonic()
        with pytest.raises(requests.exceptions.Timeout):
            den.renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")], timeout=0.4)
        assert 0.4 <= time.monotonic() - started < 1.2
    assert [e["args"] for e in home.events(action="vanished")] == [{"how": "silent"}]


def test_regroup_at_a_given_moment(household):
    home = household({
        "players": [{"name": "A", "state": {"source": "radio", "uri": "x-rincon-mp3radio://r.example/s", "transport_state": "PLAYING"}},
                    {"name": "B"}, {"name": "C"}],
        "groups": [{"coordinator": "A", "members": ["B"]}],
        "faults": [{"kind": "regroup", "at": 0.5, "groups": [{"coordinator": "C", "members": ["A"]}]}],
    })
    a, b, c = (home.players[n] for n in "ABC")
    assert b.state().coordinator_uid == a.uid
    wait_for(lambda: a.state().coordinator_uid == c.uid, timeout=3)
    assert b.state().coordinator_uid == b.uid
    assert a.state().uri == f"x-rincon:{c.uid}"
    zone = soco.SoCo(b.ip)
    zone.zone_group_state.clear_cache()
    assert {m.player_name for m in zone.group.members} == {"B"}
    regroup = home.events(kind="state", action="regroup")
    started = home.events(action="household_started")[0]["mono"]
    assert regroup and 0.45 <= regroup[0]["mono"] - started < 0.8


def test_flaky_home_restore_fails_once_with_402_and_the_slow_player_is_slow(household, media_server):
    home = household("flaky-home.yml")
    lounge = soco.SoCo(home.players["Lounge"].ip)
    snapshot = Snapshot(lounge)
    snapshot.snapshot()
    lounge.play_uri(media_server.url("/chime.wav"))
    with pytest.raises(SoCoUPnPException) as raised:
        snapshot.restore()
    assert raised.value.error_code == "402"
    snapshot.restore()
    wait_for(lambda: home.players["Lounge"].state().transport_state == "PLAYING")
    assert home.players["Lounge"].state().uri.startswith("x-sonosapi-stream:")
    started = time.monotonic()
    assert soco.SoCo(home.players["Porch"].ip).volume == 40
    assert 0.25 <= time.monotonic() - started < 0.6


def forgotten_from(home, gone, other) -> soco.SoCo:
    """Time out once on the silent player, wait until the others forget it; `other`, fresh."""
    with pytest.raises(requests.exceptions.Timeout):
        soco.SoCo(gone.ip).renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")], timeout=0.3)
    wait_for(lambda: home.events(action="forgotten"), timeout=3)
    zone = soco.SoCo(other.ip)
    zone.zone_group_state.clear_cache()
    return zone


def test_a_vanished_player_is_dropped_from_the_topology_after_forget_after(household):
    home = household({
        "players": [{"name": "A", "state": {"source": "radio", "uri": "x-rincon-mp3radio://r.example/s", "transport_state": "PLAYING"}},
                    {"name": "B"}, {"name": "C"}],
        "groups": [{"coordinator": "A", "members": ["B"]}],
        "faults": [{"kind": "vanish", "player": "A", "after": 0, "how": "silent", "forget_after": 0.3}],
    })
    a, b = home.players["A"], home.players["B"]
    zone = forgotten_from(home, a, b)
    assert {z.player_name for z in zone.all_zones} == {"B", "C"}
    assert zone.is_coordinator and b.state().uri.startswith("x-rincon-mp3radio:")
    assert f'<VanishedDevices><Device UUID="{a.uid}"' in zone.zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"]


def test_a_player_gone_for_a_while_answers_again_with_its_state(household):
    home = household(one_player({"kind": "vanish", "player": "Den", "after": 1, "duration": 0.5}, volume=33))
    den = soco.SoCo(home.players["Den"].ip)
    assert den.volume == 33
    with pytest.raises(requests.exceptions.ConnectionError):
        den.volume  # noqa: B018 - the property is the request
    wait_for(lambda: home.events(action="returned"), timeout=3)
    assert den.volume == 33
    assert [(e["action"], e["args"]) for e in home.events(kind="state") if e["action"] in ("vanished", "returned")] == [
        ("vanished", {"how": "refuse", "duration": 0.5}), ("returned", {})]
    vanished, returned = home.events(action="vanished")[0], home.events(action="returned")[0]
    assert 0.45 <= returned["mono"] - vanished["mono"] < 1.0
    den.volume = 40  # it does not vanish a second time
    assert den.volume == 40


def test_a_silent_player_dropped_from_the_topology_is_listed_again_once_back(household):
    home = household({
        "players": [{"name": "A"}, {"name": "B"}],
        "faults": [{"kind": "vanish", "player": "A", "after": 0, "how": "silent", "forget_after": 0.2, "duration": 0.8}],
    })
    a, b = home.players["A"], home.players["B"]
    zone = forgotten_from(home, a, b)
    assert {z.player_name for z in zone.all_zones} == {"B"}
    wait_for(lambda: home.events(action="rejoined"), timeout=3)
    zone.zone_group_state.clear_cache()
    assert {z.player_name for z in zone.all_zones} == {"A", "B"}
    assert soco.SoCo(a.ip).renderingControl.GetVolume([("InstanceID", 0), ("Channel", "Master")], timeout=2)["CurrentVolume"] == "20"
    causes = [e["action"] for e in home.events(kind="state", player="A") if e["action"] in ("vanished", "forgotten", "returned", "rejoined")]
    assert causes == ["vanished", "forgotten", "rejoined", "returned"]


def test_duration_is_only_for_vanish():
    from sonos_sim.schema import HouseholdError, load_household

    with pytest.raises(HouseholdError, match=r"faults\[0\]\.duration: only meaningful with kind vanish"):
        load_household(one_player({"kind": "reset", "action": "Play", "duration": 2}))


def test_a_lost_answer_costs_the_client_its_timeout_but_the_request_is_carried_out(household):
    home = household(one_player({"kind": "late_answer", "action": "SetVolume", "mode": "once"}))
    den = soco.SoCo(home.players["Den"].ip)
    with pytest.raises(requests.exceptions.Timeout):
        den.renderingControl.SetVolume([("InstanceID", 0), ("Channel", "Master"), ("DesiredVolume", 33)], timeout=0.4)
    assert den.volume == 33  # carried out; the next call answers as usual
    (event,) = home.requests("SetVolume")
    assert (event["injected"], event["answer"], event["result"], event["volume"]) == ("late_answer", "lost", {}, 33)


@pytest.mark.parametrize(("delay", "client_timeout"), [(0.3, 2.0), (1.0, 0.3)], ids=["in_time", "after_the_timeout"])
def test_a_late_answer_comes_after_its_delay_and_the_request_is_carried_out(household, delay, client_timeout):
    home = household(one_player({"kind": "late_answer", "action": "SetVolume", "delay": delay}))
    den = soco.SoCo(home.players["Den"].ip)
    started = time.monotonic()
    try:
        den.renderingControl.SetVolume([("InstanceID", 0), ("Channel", "Master"), ("DesiredVolume", 33)],
                                       timeout=client_timeout)
        answered = True
    except requests.exceptions.Timeout:
        answered = False
    waited = time.monotonic() - started
    assert answered is (delay < client_timeout)
    assert min(delay, client_timeout) <= waited < min(delay, client_timeout) + 0.5
    assert den.volume == 33
    (event,) = home.requests("SetVolume")
    assert (event["injected"], event["answer"], event["answer_delay"], event["volume"]) == ("late_answer", "late", delay, 33)


def test_delay_is_only_for_late_answer():
    from sonos_sim.schema import HouseholdError, load_household

    with pytest.raises(HouseholdError, match=r"faults\[0\]\.delay: only meaningful with kind late_answer"):
        load_household(one_player({"kind": "no_answer", "action": "Play", "delay": 2}))


def test_a_plain_get_can_lose_its_answer_too(household):
    home = household(one_player({"kind": "late_answer", "action": "GET /xml/device_description.xml", "mode": "once"}))
    url = f"http://{home.players['Den'].ip}:1400/xml/device_description.xml"
    with pytest.raises(requests.exceptions.Timeout):
        requests.get(url, timeout=0.4)
    assert requests.get(url, timeout=2).status_code == 200
    first, second = home.requests("GET /xml/device_description.xml")
    assert (first["injected"], first["answer"], first["result"]) == ("late_answer", "lost", {"status": 200})
    assert "injected" not in second
