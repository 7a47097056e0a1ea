"""The S2 local API on port 1443 beyond audio clips, as the public clients speak it: Home
Assistant's sonos-websocket and aiosonos, and raw frames for what neither client sends.

Asserted on the simulator's event log and on what SOAP (SoCo) reads back afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import soco
from aiosonos.api.models import AudioClipPriority
from aiosonos.client import SonosLocalApiClient
from aiosonos.exceptions import FailedCommand
from sonos_websocket import SonosWebsocket
from sonos_websocket.exception import Unsupported

from .helpers import wait_for

API_KEY = "123e4567-e89b-12d3-a456-426655440000"


def home_spec() -> dict[str, Any]:
    """Den (a stereo pair) playing with Kitchen in its group, Loft (a first Play:5) alone."""
    return {
        "transition_time": 0.05,
        "players": [
            {"name": "Den", "model": "Sonos One",
             "state": {"source": "queue", "queue": [{"title": "Long", "duration": 600}], "position": 30.0,
                       "transport_state": "PLAYING", "volume": 40}},
            {"name": "Den R", "model": "Sonos One", "bonded_to": "Den", "channel": "RF", "state": {"volume": 40}},
            {"name": "Kitchen", "model": "Sonos One", "state": {"volume": 20}},
            {"name": "Loft", "model": "Play:5", "state": {"volume": 20}},
        ],
        "groups": [{"coordinator": "Den", "members": ["Kitchen"]}],
    }


class LocalSocket:
    """One raw connection to a player's /websocket/api: commands and their replies, events set aside."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.events: list[list[dict[str, Any]]] = []

    async def send(self, namespace: str, command: str, body: dict[str, Any] | None = None,
                   **targets: str) -> tuple[dict[str, Any], dict[str, Any]]:
        command_id = uuid.uuid4().hex
        await self.socket.send_str(json.dumps(
            [{"namespace": namespace, "command": command, "cmdId": command_id, **targets}, body or {}]))
        while True:
            header, reply = json.loads((await asyncio.wait_for(self.socket.receive(), 10)).data)
            if header.get("cmdId") == command_id:
                return header, reply
            self.events.append([header, reply])


@contextlib.asynccontextmanager
async def local_socket(ip: str) -> AsyncIterator[LocalSocket]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    async with aiohttp.ClientSession() as session, session.ws_connect(
        f"wss://{ip}:1443/websocket/api", ssl=context, headers={"X-Sonos-Api-Key": API_KEY},
        protocols=("v1.api.smartspeaker.audio",),
    ) as socket:
        yield LocalSocket(socket)


def clip_events(home: Any, player: str) -> list[dict[str, Any]]:
    return [e for e in home.events(player=player, kind="state") if e["action"] in ("clip_start", "clip_end")]


def wait_for_clip_end(home: Any, player: str, count: int = 1) -> list[dict[str, Any]]:
    wait_for(lambda: len(home.events(player=player, action="clip_end")) >= count, timeout=15)
    return clip_events(home, player)


# ---- Home Assistant's client: sonos-websocket


def test_sonos_websocket_plays_a_clip_as_home_assistant_calls_it(household, media_server):
    """homeassistant/components/sonos/speaker.py: SonosWebsocket(ip, player_id=uid, session=...),
    then media_player.py's announce: play_clip(url, volume=...) and `response["success"]`."""
    home = household(home_spec())
    den = home.players["Den"]
    url = media_server.url("/chime.mp3")

    async def announce() -> tuple[dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            websocket = SonosWebsocket(den.ip, player_id=den.uid, session=session)
            try:
                response, clip = await websocket.play_clip(url, volume=30)
            finally:
                await websocket.close()
            return response, clip

    response, clip = asyncio.run(announce())
    assert response["success"] is True and response["type"] == "audioClip"
    assert clip["clipType"] == "CUSTOM" and clip["status"] == "ACTIVE"  # a streamUrl makes it CUSTOM
    start, end = wait_for_clip_end(home, "Den")
    assert (start["action"], start["args"]["url"], start["args"]["volume"]) == ("clip_start", url, 30)
    assert (end["action"], end["args"]["status"], end["args"]["clip"]) == ("clip_end", "DONE", clip["id"])
    assert den.state().volume == 40


def test_sonos_websocket_on_its_own_asks_the_household_and_groups_first(household, media_server):
    """Without a player id (its CLI, python -m sonos_websocket) it sends an empty command for the
    household id, then groups:1 getGroups to find itself by websocketUrl and AUDIO_CLIP."""
    home = household(home_spec())
    kitchen = home.players["Kitchen"]

    async def play() -> tuple[str, dict[str, Any]]:
        websocket = SonosWebsocket(kitchen.ip)
        try:
            household_id = await websocket.get_household_id()
            response, _ = await websocket.play_clip(media_server.url("/chime.wav"))
        finally:
            await websocket.close()
        return household_id, response

    household_id, response = asyncio.run(play())
    assert household_id == home.model.spec.household_id
    assert response["success"] is True
    assert [e["action"] for e in home.requests(player="Kitchen")] == ["getGroups", "loadAudioClip"]
    assert [e["action"] for e in wait_for_clip_end(home, "Kitchen")] == ["clip_start", "clip_end"]


def test_sonos_websocket_cancels_a_clip(household, media_server):
    home = household(home_spec())
    den = home.players["Den"]

    async def play_then_cancel() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            websocket = SonosWebsocket(den.ip, player_id=den.uid, session=session)
            try:
                _, clip = await websocket.play_clip(media_server.url("/long.mp3"))
                await asyncio.to_thread(wait_for, lambda: home.events(player="Den", action="clip_start"))
                response, _ = await websocket.cancel_clip(clip["id"])
            finally:
                await websocket.close()
            return response

    assert asyncio.run(play_then_cancel())["success"] is True
    start, end = wait_for_clip_end(home, "Den")
    assert end["args"]["status"] == "DISMISSED" and end["mono"] - start["mono"] < 5
    assert den.state().volume == 40  # no longer ducked


def test_sonos_websocket_finds_no_clips_on_an_older_player(household, media_server):
    """Its own lookup raises Unsupported; with a player id (Home Assistant) the refusal is a
    globalError, on which Home Assistant plays the media the ordinary way instead."""
    home = household(home_spec())
    loft = home.players["Loft"]

    async def both_ways() -> tuple[bool, dict[str, Any], dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            alone = SonosWebsocket(loft.ip, session=session)
            try:
                await alone.play_clip(media_server.url("/chime.wav"))
                unsupported = False
            except Unsupported:
                unsupported = True
            await alone.close()
            as_home_assistant = SonosWebsocket(loft.ip, player_id=loft.uid, session=session)
            response, body = await as_home_assistant.play_clip(media_server.url("/chime.wav"))
            await as_home_assistant.close()
            return unsupported, response, body

    unsupported, response, body = asyncio.run(both_ways())
    assert unsupported
    assert (response["success"], response["type"], body["errorCode"]) == (False, "globalError", "ERROR_NOT_CAPABLE")
    assert not home.events(player="Loft", action="clip_start")


# ---- aiosonos, as Music Assistant uses it


def test_aiosonos_client_reads_household_groups_volume_and_plays_a_clip(household, media_server):
    home = household(home_spec())
    den = home.players["Den"]

    async def session_of_a_controller() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            client = SonosLocalApiClient(den.ip, session)
            await client.connect()
            ready = asyncio.Event()
            listening = asyncio.create_task(client.start_listening(ready))
            try:
                await asyncio.wait_for(ready.wait(), 10)
                assert client.player.group is not None
                group = client.get_group(client.player.group.id)
                seen: dict[str, Any] = {"household": client.household_id, "groups": sorted(g.name for g in client.groups),
                        "group_players": group.player_ids, "playback": group.playback_state,
                        "volume": client.player.volume_level,
                        "group_volume": (await client.api.group_volume.get_volume(group.id))["volume"]}
                await client.player.set_volume(55)
                clip = await client.player.play_audio_clip(media_server.url("/chime.wav"), volume=25)
                seen["clip"] = clip
                await asyncio.to_thread(wait_for, lambda: home.events(player="Den", action="clip_end"), 15)
                return seen
            finally:
                await client.disconnect()
                listening.cancel()

    seen = asyncio.run(session_of_a_controller())
    assert seen["household"] == home.model.spec.household_id
    assert seen["groups"] == ["Den + 1", "Loft"]
    assert seen["group_players"] == [den.uid, home.players["Kitchen"].uid]
    assert seen["playback"] == "PLAYBACK_STATE_PLAYING"
    assert (seen["volume"], seen["group_volume"]) == (40, 30)
    assert seen["clip"]["clipType"] == "CUSTOM"
    assert soco.SoCo(den.ip).volume == 55
    start, end = clip_events(home, "Den")
    assert start["args"]["volume"] == 25 and end["args"]["status"] == "DONE"


# ---- groups:1


def test_get_groups_lists_every_group_and_player_from_the_household_state(household):
    home = household(home_spec())
    den, kitchen, loft = (home.players[name] for name in ("Den", "Kitchen", "Loft"))
    household_id = home.model.spec.household_id

    async def groups() -> tuple[dict[str, Any], dict[str, Any]]:
        async with local_socket(kitchen.ip) as socket:
            return await socket.send("groups:1", "getGroups", {"includeDeviceInfo": True}, householdId=household_id)

    header, body = asyncio.run(groups())
    assert header["success"] is True and header["type"] == "groups"
    by_coordinator = {group["coordinatorId"]: group for group in body["groups"]}
    assert by_coordinator[den.uid]["playerIds"] == [den.uid, kitchen.uid]
    assert by_coordinator[den.uid]["playbackState"] == "PLAYBACK_STATE_PLAYING"
    assert by_coordinator[loft.uid]["playbackState"] == "PLAYBACK_STATE_IDLE"
    players = {player["name"]: player for player in body["players"]}
    assert sorted(players) == ["Den", "Kitchen", "Loft"]  # the pair is one player of two devices
    assert players["Den"]["deviceIds"] == [den.uid, home.players["Den R"].uid]
    assert players["Kitchen"]["websocketUrl"] == f"wss://{kitchen.ip}:1443/websocket/api"
    assert "AUDIO_CLIP" in players["Kitchen"]["capabilities"]
    assert "AUDIO_CLIP" not in players["Loft"]["capabilities"]
    assert [device["model"] for device in players["Den"]["devices"]] == ["S18", "S18"]


def test_a_stereo_pair_and_a_home_theatre_in_another_group_are_each_one_player_of_all_their_devices(household):
    spec = home_spec()
    spec["players"] += [
        {"name": "TV", "model": "Sonos Arc", "state": {"volume": 30}},
        {"name": "TV Sub", "model": "Sonos Sub", "bonded_to": "TV", "channel": "SW", "state": {"volume": 30}},
        {"name": "TV Left", "model": "Sonos One SL", "bonded_to": "TV", "channel": "LR", "state": {"volume": 30}},
        {"name": "TV Right", "model": "Sonos One SL", "bonded_to": "TV", "channel": "RR", "state": {"volume": 30}},
    ]
    spec["groups"] = [{"coordinator": "Kitchen", "members": ["Den", "TV"]}]
    home = household(spec)
    uid = {name: player.uid for name, player in home.players.items()}

    async def groups() -> dict[str, Any]:
        async with local_socket(home.players["Kitchen"].ip) as socket:
            return (await socket.send("groups:1", "getGroups", householdId=home.model.spec.household_id))[1]

    body = asyncio.run(groups())
    (group,) = [group for group in body["groups"] if group["coordinatorId"] == uid["Kitchen"]]
    assert (group["name"], group["playerIds"]) == ("Kitchen + 2", [uid["Kitchen"], uid["Den"], uid["TV"]])
    players = {player["name"]: player["deviceIds"] for player in body["players"]}
    assert players == {"Kitchen": [uid["Kitchen"]], "Den": [uid["Den"], uid["Den R"]],
                       "TV": [uid["TV"], uid["TV Sub"], uid["TV Left"], uid["TV Right"]], "Loft": [uid["Loft"]]}


def test_a_group_command_with_the_id_of_a_group_its_coordinator_left_says_where_the_group_went(household):
    home = household(home_spec())
    den, kitchen = home.players["Den"], home.players["Kitchen"]

    async def after_den_leaves() -> tuple[dict[str, Any], dict[str, Any]]:
        async with local_socket(den.ip) as socket:
            _, info = await socket.send("groups:1", "getGroups", householdId=home.model.spec.household_id)
            group_id = next(g["id"] for g in info["groups"] if g["coordinatorId"] == den.uid)
            await asyncio.to_thread(soco.SoCo(den.ip).unjoin)  # Kitchen carries the group on
            return await socket.send("groupVolume:1", "setVolume", {"volume": 5}, groupId=group_id)

    header, body = asyncio.run(after_den_leaves())
    assert (header["success"], header["type"]) == (False, "groupCoordinatorChanged")
    assert (body["groupStatus"], body["playerId"]) == ("GROUP_STATUS_MOVED", kitchen.uid)
    assert soco.SoCo(den.ip).volume == 40


# ---- playerVolume:1, groupVolume:1, playback:1


def test_a_volume_set_over_the_websocket_is_what_soap_reads_and_is_logged(household):
    home = household(home_spec())
    kitchen = home.players["Kitchen"]

    async def set_volume() -> list[tuple[dict[str, Any], dict[str, Any]]]:
        async with local_socket(kitchen.ip) as socket:
            return [await socket.send("playerVolume:1", "setVolume", {"volume": 55}, playerId=kitchen.uid),
                    await socket.send("playerVolume:1", "setMute", {"muted": True}, playerId=kitchen.uid),
                    await socket.send("playerVolume:1", "getVolume", playerId=kitchen.uid)]

    (set_header, _), _, (_, volume) = asyncio.run(set_volume())
    assert set_header["success"] is True
    assert volume == {"_objectType": "playerVolume", "volume": 55, "muted": True, "fixed": False}
    speaker = soco.SoCo(kitchen.ip)
    assert (speaker.volume, speaker.mute) == (55, True)
    changes = [(e["action"], e["volume"], e["mute"]) for e in home.events(player="Kitchen", kind="state")
               if e["action"] in ("SetVolume", "SetMute")]
    assert changes == [("SetVolume", 55, False), ("SetMute", 55, True)]
    (request,) = home.requests("setVolume", player="Kitchen")
    assert request["service"] == "playerVolume:1" and request["result"] == {"success": True}


def test_group_volume_is_the_coordinators_and_moves_every_member(household):
    home = household(home_spec())
    den, kitchen = home.players["Den"], home.players["Kitchen"]

    async def group_commands() -> dict[str, Any]:
        async with local_socket(den.ip) as socket:
            _, info = await socket.send("groups:1", "getGroups", householdId=home.model.spec.household_id)
            group_id = next(g["id"] for g in info["groups"] if g["coordinatorId"] == den.uid)
            before = await socket.send("groupVolume:1", "getVolume", groupId=group_id)
            await socket.send("groupVolume:1", "setVolume", {"volume": 50}, groupId=group_id)
            status = await socket.send("playback:1", "getPlaybackStatus", groupId=group_id)
        async with local_socket(kitchen.ip) as socket:
            elsewhere = await socket.send("groupVolume:1", "getVolume", groupId=group_id)
        return {"before": before[1], "status": status[1], "elsewhere": elsewhere}

    seen = asyncio.run(group_commands())
    assert seen["before"]["volume"] == 30
    assert (soco.SoCo(den.ip).volume, soco.SoCo(kitchen.ip).volume) == (60, 40)  # each moved by 20
    assert soco.SoCo(den.ip).group.volume == 50
    assert seen["status"]["playbackState"] == "PLAYBACK_STATE_PLAYING"
    assert seen["status"]["positionMillis"] >= 30000
    header, body = seen["elsewhere"]  # Kitchen does not coordinate the group: it points to Den
    assert (header["success"], header["type"]) == (False, "groupCoordinatorChanged")
    assert (body["groupStatus"], body["playerId"]) == ("GROUP_STATUS_MOVED", den.uid)


# ---- audioClip:1


async def load(socket: LocalSocket, player_id: str, **body: Any) -> dict[str, Any]:
    header, reply = await socket.send("audioClip:1", "loadAudioClip",
                                      {"name": "test", "appId": "com.example.sonos-chime", **body}, playerId=player_id)
    assert header["success"] is True, reply
    return reply


def test_a_high_clip_interrupts_a_low_one(household, media_server):
    home = household(home_spec())
    den = home.players["Den"]

    async def low_then_high() -> tuple[dict[str, Any], dict[str, Any]]:
        async with local_socket(den.ip) as socket:
            low = await load(socket, den.uid, streamUrl=media_server.url("/long.mp3"), priority="LOW")
            await asyncio.to_thread(wait_for, lambda: home.events(player="Den", action="clip_start"))
            high = await load(socket, den.uid, streamUrl=media_server.url("/chime.wav"), priority="HIGH")
            return low, high

    low, high = asyncio.run(low_then_high())
    events = wait_for_clip_end(home, "Den", count=2)
    assert [(e["action"], e["args"]["clip"], e["args"].get("status")) for e in events] == [
        ("clip_start", low["id"], None), ("clip_end", low["id"], "INTERRUPTED"),
        ("clip_start", high["id"], None), ("clip_end", high["id"], "DONE")]


def test_a_low_clip_waits_for_a_high_one_to_end(household, media_server):
    home = household(home_spec())
    den = home.players["Den"]

    async def high_then_low() -> tuple[dict[str, Any], dict[str, Any]]:
        async with local_socket(den.ip) as socket:
            high = await load(socket, den.uid, streamUrl=media_server.url("/chime.mp3"), priority="HIGH")
            await asyncio.to_thread(wait_for, lambda: home.events(player="Den", action="clip_start"))
            low = await load(socket, den.uid, streamUrl=media_server.url("/chime.wav"))
            return high, low

    high, low = asyncio.run(high_then_low())
    events = wait_for_clip_end(home, "Den", count=2)
    assert [(e["action"], e["args"]["clip"], e["args"].get("status")) for e in events] == [
        ("clip_start", high["id"], None), ("clip_end", high["id"], "DONE"),
        ("clip_start", low["id"], None), ("clip_end", low["id"], "DONE")]


def test_without_a_stream_url_the_built_in_chime_plays(household):
    """docs.sonos.com/reference/audiocliptype: CHIME, the default, is the firmware's own sound."""
    home = household(home_spec())
    den = home.players["Den"]

    async def chime() -> Any:
        async with aiohttp.ClientSession() as session:
            client = SonosLocalApiClient(den.ip, session)
            await client.connect()
            listening = asyncio.create_task(client.api.start_listening())
            try:
                return await client.api.audio_clip.load_audio_clip(
                    den.uid, "doorbell", "com.example.sonos-chime", priority=AudioClipPriority.HIGH)
            finally:
                await client.disconnect()
                listening.cancel()

    clip = asyncio.run(chime())
    assert (clip["clipType"], clip["priority"]) == ("CHIME", "HIGH")
    start, end = wait_for_clip_end(home, "Den")
    assert start["args"]["url"] is None and start["args"]["duration"] == pytest.approx(1.5)
    assert end["args"]["status"] == "DONE"


def test_a_stream_url_is_a_custom_clip_whatever_clip_type_says(household, media_server):
    """aiosonos sends clipType CHIME unless told otherwise; the streamUrl is what plays (#24)."""
    home = household(home_spec())
    den = home.players["Den"]

    async def load_with_default_type() -> dict[str, Any]:
        async with local_socket(den.ip) as socket:
            return await load(socket, den.uid, streamUrl=media_server.url("/chime.wav"), clipType="CHIME")

    assert asyncio.run(load_with_default_type())["clipType"] == "CUSTOM"
    start, _ = wait_for_clip_end(home, "Den")
    assert start["args"]["url"] == media_server.url("/chime.wav")


REFUSALS = [
    ("queue:1", "getQueue", {}, "own", "ERROR_UNSUPPORTED_NAMESPACE"),
    ("audioClip:1", "skipAudioClip", {}, "own", "ERROR_UNSUPPORTED_COMMAND"),
    ("playerVolume:1", "getVolume", {}, "other", "ERROR_INVALID_OBJECT_ID"),
    ("playerVolume:1", "getVolume", {}, None, "ERROR_MISSING_PARAMETERS"),
    ("playerVolume:1", "setVolume", {"volume": 101}, "own", "ERROR_INVALID_PARAMETER"),
    ("audioClip:1", "cancelAudioClip", {"id": "no-such-clip"}, "own", "ERROR_AUDIO_CLIP_ID_NOT_FOUND"),
    ("audioClip:1", "loadAudioClip", {"name": "n", "appId": "a", "clipType": "CUSTOM"}, "own",
     "ERROR_MISSING_PARAMETERS"),
    ("audioClip:1", "loadAudioClip", {"name": "n", "appId": "a", "priority": "URGENT"}, "own",
     "ERROR_INVALID_PARAMETER"),
    ("audioClip:1", "loadAudioClip", {"name": "n" * 65, "appId": "a"}, "own", "ERROR_INVALID_PARAMETER"),
    ("audioClip:1", "loadAudioClip", {"name": "n", "appId": "a", "streamUrl": "http://[::1/chime.mp3"}, "own",
     "ERROR_INVALID_PARAMETER"),
]


@pytest.mark.parametrize(("namespace", "command", "body", "target", "code"), REFUSALS,
                         ids=[f"{r[1]}-{r[4]}" for r in REFUSALS])
def test_what_a_player_refuses_it_answers_with_its_error_code(household, namespace, command, body, target, code):
    """docs.sonos.com/docs/globalerror and /reference/audioclip-parameters."""
    home = household(home_spec())
    den = home.players["Den"]
    targets = {"own": {"playerId": den.uid}, "other": {"playerId": home.players["Kitchen"].uid}, None: {}}[target]

    async def refused() -> tuple[dict[str, Any], dict[str, Any]]:
        async with local_socket(den.ip) as socket:
            return await socket.send(namespace, command, body, **targets)

    header, reply = asyncio.run(refused())
    assert (header["success"], header["type"], reply["errorCode"]) == (False, "globalError", code)
    assert header["householdId"] == home.model.spec.household_id
    (request,) = home.requests(command, player="Den")
    assert request["result"] == {"success": False, "errorCode": code}
    assert not clip_events(home, "Den")


def test_aiosonos_raises_the_players_error_code(household):
    home = household(home_spec())
    den = home.players["Den"]

    async def cancel_unknown() -> str:
        async with aiohttp.ClientSession() as session:
            client = SonosLocalApiClient(den.ip, session)
            await client.connect()
            listening = asyncio.create_task(client.api.start_listening())
            try:
                await client.api.send_command("audioClip", "cancelAudioClip", {"id": "gone"}, playerId=den.uid)
            except FailedCommand as refusal:
                return refusal.error_code
            finally:
                await client.disconnect()
                listening.cancel()
            return "answered"

    assert asyncio.run(cancel_unknown()) == "ERROR_AUDIO_CLIP_ID_NOT_FOUND"
