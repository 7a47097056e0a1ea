"""The local websocket API on port 1443, spoken to by aiosonos (Music Assistant's client)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
import soco
from aiosonos.api import SonosLocalWebSocketsApi
from aiosonos.api.models import AudioClipPriority, AudioClipType
from aiosonos.exceptions import FailedCommand
from aiosonos.utils import get_discovery_info

from .helpers import wait_for


def mixed_home() -> dict[str, Any]:
    return {
        "transition_time": 0.05,
        "players": [
            {"name": "Den", "model": "Sonos One",
             "state": {"source": "queue", "queue": [{"title": "Long", "duration": 600}], "position": 30.0,
                       "transport_state": "PLAYING", "volume": 40}},
            {"name": "Den R", "model": "Sonos One", "bonded_to": "Den", "channel": "RF", "state": {"volume": 40}},
            {"name": "Attic", "model": "Play:1", "state": {"volume": 20}},
            {"name": "Loft", "model": "Play:5", "state": {"volume": 20}},
        ],
    }


def grouped_home(coordinator_model: str, member_model: str) -> dict[str, Any]:
    """Hall playing a queue, with Nook in its group."""
    return {
        "transition_time": 0.05,
        "players": [
            {"name": "Hall", "model": coordinator_model,
             "state": {"source": "queue", "queue": [{"title": "Long", "duration": 600}], "position": 30.0,
                       "transport_state": "PLAYING", "volume": 40}},
            {"name": "Nook", "model": member_model, "state": {"volume": 20}},
            {"name": "Porch", "model": "Sonos One",
             "state": {"source": "radio", "uri": "x-sonosapi-stream:s44255?sid=254", "transport_state": "PLAYING",
                       "volume": 25}},
        ],
        "groups": [{"coordinator": "Hall", "members": ["Nook"]}],
    }


@contextlib.asynccontextmanager
async def subscribed(ip: str, on_event: Callable[[dict[str, Any]], None]) -> AsyncIterator[tuple[Any, str]]:
    """The player's websocket, subscribed to its clip statuses: (the API, the player id)."""
    async with aiohttp.ClientSession() as session:
        info = await get_discovery_info(session, ip)
        api = SonosLocalWebSocketsApi(info["websocketUrl"], session)
        await api.connect()
        listening = asyncio.create_task(api.start_listening())
        try:
            await api.audio_clip.subscribe(info["playerId"], on_event)
            yield api, info["playerId"]
        finally:
            await api.disconnect()
            listening.cancel()


async def load_clip(api: Any, player_id: str, url: str, volume: int | None = 30) -> dict[str, Any]:
    return await api.audio_clip.load_audio_clip(
        player_id, "test chime", "com.example.sonos-chime", stream_url=url, volume=volume, clip_type=AudioClipType.CUSTOM,
    )


async def clip_session(ip: str, url: str, volume: int | None = 30) -> dict[str, Any]:
    """Discovery info, subscribe, loadAudioClip; the clip's statuses as the events said them."""
    statuses: list[str] = []
    ended = asyncio.Event()

    def on_event(body: dict[str, Any]) -> None:
        for clip in body["audioClips"]:
            statuses.append(clip["status"])
            if clip["status"] != "ACTIVE":
                ended.set()

    async with subscribed(ip, on_event) as (api, player_id):
        try:
            reply = await load_clip(api, player_id, url, volume)
        except FailedCommand as refusal:
            return {"refused": refusal.error_code}
        await asyncio.wait_for(ended.wait(), 10)
        return {"reply": reply, "statuses": statuses}


def test_discovery_info_names_the_capability_per_model(household):
    home = household(mixed_home())

    async def infos() -> dict[str, list[str]]:
        async with aiohttp.ClientSession() as session:
            return {name: (await get_discovery_info(session, home.players[name].ip))["device"]["capabilities"]
                    for name in ("Den", "Attic", "Loft")}

    capabilities = asyncio.run(infos())
    assert "AUDIO_CLIP" in capabilities["Den"]
    assert "AUDIO_CLIP" in capabilities["Attic"]  # a Play:1 reports it, as real ones do
    assert "AUDIO_CLIP" not in capabilities["Loft"]  # the first Play:5 does not


def test_a_play1_names_its_model_in_its_info(household):
    home = household(mixed_home())

    async def device() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            return (await get_discovery_info(session, home.players["Attic"].ip))["device"]

    info = asyncio.run(device())
    assert (info["modelDisplayName"], info["model"]) == ("Play:1", "S1")  # hardware.py: the S2 capture of a Play:1


def transport_changes(home: Any, player: str) -> list[tuple[str, str]]:
    """(cause, transport state) of the player's state events, clip and group changes only."""
    causes = ("clip_start", "clip_end", "clip_paused_group", "clip_resumed_group")
    return [(e["action"], e["transport_state"]) for e in home.events(player=player, kind="state") if e["action"] in causes]


def test_a_clip_on_a_play1_pauses_its_whole_group_while_it_plays(household, media_server):
    home = household(grouped_home("Sonos One", "Play:1"))
    result = asyncio.run(clip_session(home.players["Nook"].ip, media_server.url("/chime.mp3")))
    assert result["statuses"] == ["DONE"]
    assert transport_changes(home, "Nook") == [
        ("clip_start", "PLAYING"), ("clip_paused_group", "PAUSED_PLAYBACK"),
        ("clip_end", "PAUSED_PLAYBACK"), ("clip_resumed_group", "PLAYING")]
    # The coordinator, a Sonos One, is paused with it: every room of the group goes quiet.
    assert transport_changes(home, "Hall") == [("clip_paused_group", "PAUSED_PLAYBACK"), ("clip_resumed_group", "PLAYING")]
    (paused,) = home.events(player="Hall", action="clip_paused_group")
    (resumed,) = home.events(player="Hall", action="clip_resumed_group")
    assert resumed["mono"] - paused["mono"] == pytest.approx(2.0, abs=0.3)  # the clip's length
    # The music stood still under the clip: the resume's event is written a moment after the
    # music restarts (a fresh-clone CI run saw 30.013 against 30.012), never seconds on.
    assert resumed["position"] == pytest.approx(paused["position"], abs=0.01)
    assert not home.events(player="Porch", action="clip_paused_group")  # another group plays on
    assert home.players["Hall"].state().transport_state == "PLAYING"
    assert not [e for e in home.requests() if e["action"] in ("Pause", "Play", "Stop")]


def test_a_clip_on_a_play1_playing_alone_pauses_its_own_music(household, media_server):
    home = household({**grouped_home("Play:1", "Sonos One"), "groups": []})
    asyncio.run(clip_session(home.players["Hall"].ip, media_server.url("/chime.mp3")))
    assert transport_changes(home, "Hall") == [
        ("clip_start", "PLAYING"), ("clip_paused_group", "PAUSED_PLAYBACK"),
        ("clip_end", "PAUSED_PLAYBACK"), ("clip_resumed_group", "PLAYING")]


def test_a_clip_on_a_sonos_one_with_a_play1_coordinator_pauses_nothing(household, media_server):
    home = household(grouped_home("Play:1", "Sonos One"))
    asyncio.run(clip_session(home.players["Nook"].ip, media_server.url("/chime.mp3")))
    assert transport_changes(home, "Nook") == [("clip_start", "PLAYING"), ("clip_end", "PLAYING")]
    assert transport_changes(home, "Hall") == []


def test_a_clip_on_a_play1_whose_group_is_paused_changes_nothing_else(household, media_server):
    spec = grouped_home("Sonos One", "Play:1")
    spec["players"][0]["state"]["transport_state"] = "PAUSED_PLAYBACK"
    home = household(spec)
    asyncio.run(clip_session(home.players["Nook"].ip, media_server.url("/chime.mp3")))
    assert transport_changes(home, "Nook") == [("clip_start", "PAUSED_PLAYBACK"), ("clip_end", "PAUSED_PLAYBACK")]
    assert home.players["Hall"].state().transport_state == "PAUSED_PLAYBACK"


def test_a_clip_plays_over_the_music_ducks_it_and_ends_done(household, media_server):
    home = household(mixed_home())
    den = home.players["Den"]
    result = asyncio.run(clip_session(den.ip, media_server.url("/chime.mp3")))
    assert result["reply"]["status"] == "ACTIVE"
    assert result["statuses"] == ["DONE"]
    clip_events = home.events(player="Den", kind="state")
    start = next(e for e in clip_events if e["action"] == "clip_start")
    end = next(e for e in clip_events if e["action"] == "clip_end")
    assert start["args"]["volume"] == 30 and start["args"]["duration"] == pytest.approx(2.0, abs=0.1)
    assert end["args"]["status"] == "DONE"
    assert end["mono"] - start["mono"] == pytest.approx(2.0, abs=0.3)
    # The music never stopped: still playing, its position moved on by the clip's length.
    assert start["transport_state"] == end["transport_state"] == "PLAYING"
    assert end["position"] - start["position"] == pytest.approx(end["mono"] - start["mono"], abs=0.2)
    assert start["volume"] == 10  # ducked to a quarter of 40 while the clip plays
    assert den.state().volume == 40
    assert not any(e["action"] in ("Pause", "Stop", "SetAVTransportURI") for e in home.requests(player="Den"))


def test_the_ducked_volume_is_what_soco_reads_during_the_clip(household, media_server):
    home = household(mixed_home())

    async def read_during_clip() -> int:
        session_task = asyncio.create_task(clip_session(home.players["Den"].ip, media_server.url("/chime.mp3")))
        await asyncio.to_thread(wait_for, lambda: home.events(player="Den", action="clip_start"))
        ducked = await asyncio.to_thread(lambda: soco.SoCo(home.players["Den"].ip).volume)
        await session_task
        return ducked

    assert asyncio.run(read_during_clip()) == 10
    assert soco.SoCo(home.players["Den"].ip).volume == 40


def test_an_older_player_refuses_the_clip_and_keeps_its_state(household, media_server):
    home = household(mixed_home())
    before = home.players["Loft"].state()
    result = asyncio.run(clip_session(home.players["Loft"].ip, media_server.url("/chime.mp3")))
    assert result["refused"] == "ERROR_NOT_CAPABLE"
    assert home.players["Loft"].state() == before
    assert not home.events(player="Loft", action="clip_start")


def test_each_half_of_a_stereo_pair_plays_only_what_it_is_sent(household, media_server):
    home = household(mixed_home())
    asyncio.run(clip_session(home.players["Den R"].ip, media_server.url("/chime.wav")))
    assert home.events(player="Den R", action="clip_start")
    assert not home.events(player="Den", action="clip_start")


def test_a_sound_it_cannot_play_is_accepted_then_ends_in_error_and_plays_nothing(household, media_server):
    home = household(mixed_home())
    result = asyncio.run(clip_session(home.players["Den"].ip, media_server.url("/page.html")))
    assert result["reply"]["status"] == "ACTIVE"
    assert result["statuses"] == ["ERROR"]
    assert not home.events(player="Den", action="clip_start")
    assert home.players["Den"].state().volume == 40


def test_without_the_api_key_the_websocket_is_refused(household):
    home = household(mixed_home())

    async def connect() -> int:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        async with aiohttp.ClientSession() as session:
            try:
                await session.ws_connect(f"wss://{home.players['Den'].ip}:1443/websocket/api", ssl=context)
            except aiohttp.WSServerHandshakeError as error:
                return error.status
        return 101

    assert asyncio.run(connect()) == 403


@pytest.mark.parametrize(
    ("message", "code"),
    [("[{}, {}]", "ERROR_MISSING_PARAMETERS"), ("not json", "ERROR_INVALID_SYNTAX"), ("[{}]", "ERROR_INVALID_SYNTAX"),
     ("[" * 100_000, "ERROR_INVALID_SYNTAX")],
    ids=["empty_command", "not_json", "no_body", "nested_too_deep"],
)
def test_a_malformed_message_gets_a_global_error_with_the_household(household, message, code):
    """docs.sonos.com/docs/globalerror: a header without a required value is ERROR_MISSING_PARAMETERS."""
    home = household(mixed_home())

    async def send_raw(text: str) -> list[Any]:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        headers = {"X-Sonos-Api-Key": "123e4567-e89b-12d3-a456-426655440000"}
        async with aiohttp.ClientSession() as session, session.ws_connect(
            f"wss://{home.players['Den'].ip}:1443/websocket/api", ssl=context, headers=headers,
            protocols=("v1.api.smartspeaker.audio",),
        ) as socket:
            await socket.send_str(text)
            return json.loads((await socket.receive()).data)

    header, body = asyncio.run(send_raw(message))
    assert header["success"] is False and header["type"] == "globalError"
    assert header["householdId"] == home.model.spec.household_id
    assert body["_objectType"] == "globalError" and body["errorCode"] == code


async def clip_without_its_answer(ip: str, url: str, wait: float) -> dict[str, Any]:
    """loadAudioClip, waiting `wait` seconds for its answer; then the clip's statuses until it ends."""
    statuses: list[dict[str, Any]] = []
    ended = asyncio.Event()

    def on_event(body: dict[str, Any]) -> None:
        statuses.extend(body["audioClips"])
        ended.set()

    async with subscribed(ip, on_event) as (api, player_id):
        reply: dict[str, Any] | None = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                reply = await load_clip(api, player_id, url)
        await asyncio.wait_for(ended.wait(), 10)
        return {"reply": reply, "statuses": statuses}


@pytest.mark.parametrize(
    ("fault", "answered"),
    [({"mode": "once"}, False), ({"mode": "once", "delay": 1.0}, False), ({"mode": "once", "delay": 0.2}, True)],
    ids=["lost", "late", "late_in_time"],
)
def test_a_clip_whose_answer_is_withheld_still_plays_and_reports_its_end(household, media_server, fault, answered):
    spec = {**mixed_home(), "faults": [{"kind": "late_answer", "player": "Den", "action": "loadAudioClip", **fault}]}
    home = household(spec)
    result = asyncio.run(clip_without_its_answer(home.players["Den"].ip, media_server.url("/chime.wav"), wait=0.5))
    assert (result["reply"] is not None) is answered  # the client waits 0.5 s for the answer
    (status,) = result["statuses"]
    assert (status["status"], status["appId"], status["name"]) == ("DONE", "com.example.sonos-chime", "test chime")
    (request,) = home.requests("loadAudioClip")
    assert request["injected"] == "late_answer" and request["result"] == {"success": True, "id": status["id"]}
    assert request["answer"] == ("late" if "delay" in fault else "lost")
    assert [e["action"] for e in home.events(player="Den", kind="state") if e["action"].startswith("clip_")] == [
        "clip_start", "clip_end"]


def two_play1_home() -> dict[str, Any]:
    """Hall (a Sonos One) playing, with two Play:1s, Nook and Snug, in its group."""
    spec = grouped_home("Sonos One", "Play:1")
    spec["players"].append({"name": "Snug", "model": "Play:1", "state": {"volume": 20}})
    spec["groups"] = [{"coordinator": "Hall", "members": ["Nook", "Snug"]}]
    return spec


async def clip_during(home: Any, player: str, url: str, during: Callable[[], Any], **load: Any) -> None:
    """A clip on `player`; once it has paused the group, `during` runs (in a thread); then its end."""
    ended = asyncio.Event()

    def on_event(body: dict[str, Any]) -> None:
        if any(clip["status"] != "ACTIVE" for clip in body["audioClips"]):
            ended.set()

    async with subscribed(home.players[player].ip, on_event) as (api, player_id):
        await api.audio_clip.load_audio_clip(player_id, "test chime", "com.example.sonos-chime", stream_url=url,
                                             clip_type=AudioClipType.CUSTOM, **load)
        await asyncio.to_thread(wait_for, lambda: home.events(action="clip_paused_group"))
        await asyncio.to_thread(during)
        await asyncio.wait_for(ended.wait(), 10)


def group_pauses(home: Any, player: str) -> list[str]:
    return [e["action"] for e in home.events(player=player, kind="state")
            if e["action"] in ("clip_paused_group", "clip_resumed_group")]


def test_music_paused_by_the_user_during_a_play1_clip_stays_paused(household, media_server):
    home = household(grouped_home("Sonos One", "Play:1"))
    hall = soco.SoCo(home.players["Hall"].ip)

    def play_then_pause() -> None:
        hall.play()
        wait_for(lambda: home.players["Hall"].state().transport_state == "PLAYING")
        hall.pause()

    asyncio.run(clip_during(home, "Nook", media_server.url("/chime.mp3"), play_then_pause))
    assert group_pauses(home, "Hall") == ["clip_paused_group"]
    assert home.players["Hall"].state().transport_state == "PAUSED_PLAYBACK"


def test_the_music_a_play1_clip_paused_plays_on_with_the_coordinator_it_was_handed_to(household, media_server):
    home = household(grouped_home("Sonos One", "Play:1"))
    leave = soco.SoCo(home.players["Hall"].ip).unjoin  # Nook now coordinates the paused music
    asyncio.run(clip_during(home, "Nook", media_server.url("/chime.mp3"), leave))
    assert group_pauses(home, "Nook") == ["clip_paused_group", "clip_resumed_group"]
    assert home.players["Nook"].state().transport_state == "PLAYING"
    assert home.players["Hall"].state().transport_state == "STOPPED"


def test_the_group_stays_paused_until_the_last_play1_clip_in_it_ends(household, media_server):
    home = household(two_play1_home())
    url = media_server.url("/chime.mp3")

    def second_clip() -> None:
        time.sleep(1.0)
        asyncio.run(clip_session(home.players["Snug"].ip, url))

    asyncio.run(clip_during(home, "Nook", url, second_clip))
    assert group_pauses(home, "Hall") == ["clip_paused_group", "clip_resumed_group"]
    (resumed,) = home.events(player="Hall", action="clip_resumed_group")
    (snug_end,) = home.events(player="Snug", action="clip_end")
    assert resumed["mono"] >= snug_end["mono"]


def test_a_high_clip_interrupting_a_low_one_on_a_play1_keeps_the_group_paused(household, media_server):
    home = household(grouped_home("Sonos One", "Play:1"))
    url = media_server.url("/chime.mp3")

    def interrupt() -> None:
        async def high() -> None:
            async with subscribed(home.players["Nook"].ip, lambda body: None) as (api, player_id):
                await api.audio_clip.load_audio_clip(player_id, "urgent", "com.example.other", stream_url=url,
                                                     clip_type=AudioClipType.CUSTOM, priority=AudioClipPriority.HIGH)
                await asyncio.to_thread(wait_for, lambda: len(home.events(player="Nook", action="clip_end")) == 2, 10)

        asyncio.run(high())

    asyncio.run(clip_during(home, "Nook", url, interrupt))
    assert [e["args"]["status"] for e in home.events(player="Nook", action="clip_end")] == ["INTERRUPTED", "DONE"]
    assert group_pauses(home, "Hall") == ["clip_paused_group", "clip_resumed_group"]
    assert home.players["Hall"].state().transport_state == "PLAYING"
