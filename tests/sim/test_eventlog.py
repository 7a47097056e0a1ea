"""The event log keeps the format of docs/architecture.md section 4."""

from __future__ import annotations

import datetime

import requests
import soco

CONTRACT = {
    "mono": float, "wall": str, "player": str, "uid": str, "kind": str, "args": dict,
    "transport_state": str, "uri": str, "position": float, "volume": int, "mute": bool,
}


def test_every_event_has_the_contract_fields_with_their_types(household, media_server):
    home = household("group-on-radio.yml")
    living = soco.SoCo(home.players["Living Room"].ip)
    living.volume = 31
    living.play_uri(media_server.url("/chime.wav"))
    living.pause()
    events = home.events()[1:]  # the first line is household_started
    assert {e["kind"] for e in events} == {"request", "state"}
    for event in events:
        for key, expected in CONTRACT.items():
            assert isinstance(event[key], expected), (key, event)
        assert "service" in event and "action" in event and "result" in event and "fault" in event
        assert datetime.datetime.fromisoformat(event["wall"]).tzinfo is not None
    monos = [e["mono"] for e in events]
    assert monos == sorted(monos)
    set_volume = home.requests("SetVolume")[0]
    assert (set_volume["service"], set_volume["args"]["DesiredVolume"], set_volume["result"], set_volume["volume"]) == (
        "RenderingControl", "31", {}, 31)
    assert set_volume["received"] <= set_volume["mono"]
    pause = home.events(kind="state", action="Pause")
    assert [e["player"] for e in pause] == ["Living Room", "Dining Room"]


def test_gena_renewal_and_unknown_sid(household):
    home = household("lone-player.yml")
    url = f"http://{home.players['Kitchen'].ip}:1400/MediaRenderer/RenderingControl/Event"
    first = requests.request("SUBSCRIBE", url, headers={"CALLBACK": "<http://127.0.0.1:9/>", "NT": "upnp:event", "TIMEOUT": "Second-60"}, timeout=5)
    assert first.status_code == 200 and first.headers["TIMEOUT"] == "Second-60"
    sid = first.headers["SID"]
    renewed = requests.request("SUBSCRIBE", url, headers={"SID": sid, "TIMEOUT": "Second-120"}, timeout=5)
    assert (renewed.status_code, renewed.headers["SID"], renewed.headers["TIMEOUT"]) == (200, sid, "Second-120")
    assert requests.request("SUBSCRIBE", url, headers={"SID": "uuid:nobody"}, timeout=5).status_code == 412
    assert requests.request("UNSUBSCRIBE", url, headers={"SID": sid}, timeout=5).status_code == 200
    assert requests.request("UNSUBSCRIBE", url, headers={"SID": sid}, timeout=5).status_code == 412
