"""The local API of S2 players on port 1443 (TLS): audio clips over the websocket.

What a controller such as aiosonos or Home Assistant's sonos-websocket meets on a real player:
`GET /api/v1/players/local/info` (the discovery info: ids, websocket URL, capabilities) and
the websocket at `/websocket/api`, both behind the `X-Sonos-Api-Key` header, the socket with
subprotocol `v1.api.smartspeaker.audio`. Every message is a JSON array `[header, body]`.
This module serves `audioClip:1` (`subscribe`, `unsubscribe`, `loadAudioClip`,
`cancelAudioClip`, `audioClipStatus` events) and hands the other namespaces to controlapi.py.
A command without namespace or command (sonos-websocket's way to learn the household id) is
refused, its reply header carrying the householdId as every reply does.

Clips follow docs.sonos.com/reference/audioclip: without a streamUrl the built-in CHIME plays;
with one the clip is CUSTOM whatever clipType says. Priorities: a LOW clip cannot interrupt a
HIGH one (it waits for it to end), a HIGH one interrupts another HIGH one only after that has
played HIGH_PROTECTED_SECONDS, every other interruption is allowed (the interrupted clip ends
INTERRUPTED). A clip plays over the music: the transport goes on, the reported volume is ducked
until the clip ends (model.DUCKED_SHARE). On a model whose clips pause its group
(schema.CLIP_PAUSES_GROUP: the Play:1) the group's music is paused while the clip plays and
resumed when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from aiohttp import WSMsgType, web

from . import controlapi
from .controlapi import PORT, Command, Refused, device_info, websocket_url
from .faults import Decision, FaultInjector
from .media import NotAudio, probe
from .model import ClipPause, Household, Player

API_KEY = "123e4567-e89b-12d3-a456-426655440000"  # the local API's key, the same on every player
PROTOCOL = "v1.api.smartspeaker.audio"
NAMESPACE = "audioClip:1"
OVERLAY_TYPES = ("audio/mpeg", "audio/mp3", "audio/wav", "audio/x-wav", "audio/wave")
PRIORITIES = ("LOW", "HIGH")
CLIP_TYPES = ("CHIME", "CUSTOM")
HIGH_PROTECTED_SECONDS = 10.0  # docs: a HIGH clip interrupts another HIGH one after it played this long
BUILT_IN_CHIME_SECONDS = 1.5  # the firmware's CHIME sound; its exact length is not published
NAME_LIMIT, APP_ID_LIMIT = 64, 127  # docs: loadAudioClip's name and appId lengths


def self_signed_context(directory: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate, as every player has its own."""
    key, cert = directory / "player.key", directory / "player.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=Sonos",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def household_tls() -> ssl.SSLContext:
    with tempfile.TemporaryDirectory(prefix="sonos-sim-tls-") as directory:
        return self_signed_context(Path(directory))


@dataclass
class Clip:
    id: str
    name: str
    app_id: str
    priority: str
    clip_type: str
    led: str
    stream_url: str | None  # None: the built-in CHIME
    volume: int | None
    status: str = "ACTIVE"
    error_code: str | None = None
    started: float | None = None  # when its sound began (monotonic)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    paused: ClipPause | None = None  # the group's music it holds paused (schema.CLIP_PAUSES_GROUP)

    @property
    def sounding(self) -> bool:
        return self.started is not None and self.status == "ACTIVE"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "_objectType": "audioClip", "id": self.id, "name": self.name, "appId": self.app_id,
            "priority": self.priority, "clipType": self.clip_type, "status": self.status,
            "clipLEDBehavior": self.led,
        }
        if self.error_code is not None:
            body["errorCode"] = self.error_code
        return body


@dataclass
class ClipServer:
    """One player's port 1443: its discovery info, its websocket, the clips it plays."""

    household: Household
    player: Player
    faults: FaultInjector
    tls: ssl.SSLContext
    answering: Callable[[], bool]  # False while the player has vanished
    runner: web.AppRunner | None = None
    subscribers: set[web.WebSocketResponse] = field(default_factory=set)
    clips: list[Clip] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def websocket_url(self) -> str:
        return websocket_url(self.player)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/websocket/api", self.websocket)
        app.router.add_get("/api/v1/players/local/info", self.local_info)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, self.player.ip, PORT, ssl_context=self.tls, reuse_address=True).start()

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        for socket in list(self.subscribers):
            await socket.close()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    # ---- HTTP

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("X-Sonos-Api-Key") == API_KEY

    async def local_info(self, request: web.Request) -> web.Response:
        if not self.answering():
            raise web.HTTPServiceUnavailable()
        if not self._authorised(request):
            return web.json_response({"_objectType": "globalError", "errorCode": "ERROR_NOT_AUTHORIZED"}, status=401)
        self._log(NAMESPACE, "GET /api/v1/players/local/info", {}, {"status": 200})
        return web.json_response(self.discovery_info())

    def discovery_info(self) -> dict[str, Any]:
        coordinator = self.household.coordinator(self.player)
        return {
            "_objectType": "discoveryInfo",
            "device": device_info(self.household, self.player),
            "householdId": self.household.spec.household_id,
            "locationId": f"lc_{self.household.active_zone_id}",
            "playerId": self.player.uid,
            "groupId": self.household.group_id(coordinator),
            "websocketUrl": self.websocket_url,
            "restUrl": f"https://{self.player.ip}:{PORT}/api",
        }

    # ---- the websocket

    async def websocket(self, request: web.Request) -> web.StreamResponse:
        if not self.answering():
            raise web.HTTPServiceUnavailable()
        if not self._authorised(request):
            return web.Response(status=403, text="missing or wrong X-Sonos-Api-Key")
        socket = web.WebSocketResponse(protocols=(PROTOCOL,), compress=True)
        await socket.prepare(request)
        try:
            async for message in socket:
                if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._receive(socket, message.data)
        finally:
            self.subscribers.discard(socket)
        return socket

    async def _receive(self, socket: web.WebSocketResponse, data: str | bytes) -> None:
        try:
            header, body = parse_message(data)
        except Refused as refusal:
            await self._send(socket, self._error_header({}, refusal), refusal)
            return
        received = time.monotonic()
        command = header["command"]
        service = header["namespace"]
        decision = self.faults.decide(self.player.key, command)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.reset:
            self._log(service, command, body, None, injected="reset", received=received)
            await socket.close()
            return
        if decision.no_answer:
            self._log(service, command, body, None, injected="no_answer", received=received)
            return
        withheld = decision if decision.late_answer else None
        pad_to = _oversized(decision)
        noted = decision if withheld is not None or pad_to is not None else None
        try:
            if decision.upnp_error is not None:
                raise Refused("ERROR_COMMAND_FAILED", f"injected fault {decision.upnp_error}")
            reply, then = self._command(socket, Command(self.household, self.player, header, body))
        except Refused as refusal:
            self._log(service, command, body, {"success": False, "errorCode": refusal.code}, received=received,
                      withheld=noted)
            await self._answer(socket, self._error_header(header, refusal), refusal, withheld, pad_to)
            return
        self._log(service, command, body, {"success": True, **({"id": reply["id"]} if "id" in reply else {})},
                  received=received, withheld=noted)
        await self._answer(socket, self._reply_header(header, reply), reply, withheld, pad_to)
        if then is not None:
            self._spawn(then)

    async def _answer(self, socket: web.WebSocketResponse, header: dict[str, Any], body: dict[str, Any] | Refused,
                      withheld: Decision | None, pad_to: int | None) -> None:
        """The command's reply frame; with late_answer, sent `answer_delay` later or never (its
        effects, such as a clip's playing and its status events, go on meanwhile)."""
        if withheld is None:
            await self._send(socket, header, body, pad_to)
        elif withheld.answer_delay is not None:
            self._spawn(self._send_later(withheld.answer_delay, socket, header, body, pad_to))

    async def _send_later(self, delay: float, socket: web.WebSocketResponse, header: dict[str, Any],
                          body: dict[str, Any] | Refused, pad_to: int | None) -> None:
        await asyncio.sleep(delay)
        await self._send(socket, header, body, pad_to)

    def _command(self, socket: web.WebSocketResponse, command: Command) -> tuple[dict[str, Any], Any]:
        """The reply's body, and what to start once it is sent (or None)."""
        if command.header["namespace"] in (NAMESPACE, "audioClip"):  # aiosonos unsubscribes without the version
            return self._audio_clip(socket, command)
        handle = controlapi.handler(command.header["namespace"], command.header["command"])
        return handle(command), None

    def _audio_clip(self, socket: web.WebSocketResponse, command: Command) -> tuple[dict[str, Any], Any]:
        command.own_player()
        name = command.header["command"]
        if name == "subscribe":
            self.subscribers.add(socket)
            return {}, None
        if name == "unsubscribe":
            self.subscribers.discard(socket)
            return {}, None
        if name == "loadAudioClip":
            clip = self._new_clip(command.body)
            return clip.body(), self._play(clip)
        if name == "cancelAudioClip":
            return {}, self._finish(self._clip_named(command.body), "DISMISSED")
        raise Refused("ERROR_UNSUPPORTED_COMMAND", f"unknown command {name!r} in {NAMESPACE!r}")

    def _clip_named(self, body: dict[str, Any]) -> Clip:
        clip_id = body.get("id")
        if not isinstance(clip_id, str) or not clip_id:
            raise Refused("ERROR_MISSING_PARAMETERS", "Missing required value: id")
        clip = next((clip for clip in self.clips if clip.id == clip_id and clip.status == "ACTIVE"), None)
        if clip is None:
            raise Refused("ERROR_AUDIO_CLIP_ID_NOT_FOUND", f"no audio clip {clip_id!r}")
        return clip

    def _new_clip(self, body: dict[str, Any]) -> Clip:
        if not self.player.plays_clips:
            raise Refused("ERROR_NOT_CAPABLE", "this player cannot play audio clips")
        name = required_text(body, "name", NAME_LIMIT)
        app_id = required_text(body, "appId", APP_ID_LIMIT)
        priority = one_of(body, "priority", PRIORITIES)
        clip_type = one_of(body, "clipType", CLIP_TYPES)
        stream_url = body.get("streamUrl")
        if stream_url is not None:
            if not is_http_url(stream_url):
                raise Refused("ERROR_INVALID_PARAMETER", "streamUrl must be an http(s) URL")
            clip_type = "CUSTOM"  # docs: a streamUrl implies CUSTOM
        elif clip_type == "CUSTOM":
            raise Refused("ERROR_MISSING_PARAMETERS", "Missing required value: streamUrl (clipType CUSTOM)")
        volume = body.get("volume")
        if volume is not None and (isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100):
            raise Refused("ERROR_INVALID_PARAMETER", "volume must be a whole number within 0-100")
        clip = Clip(id=str(uuid.uuid4()), name=name, app_id=app_id, priority=priority, clip_type=clip_type,
                    led=str(body.get("clipLEDBehavior", "NONE")), stream_url=stream_url, volume=volume)
        self.clips.append(clip)
        return clip

    async def _play(self, clip: Clip) -> None:
        """Take its turn, fetch the clip, duck the music under it, then report its end."""
        await self._take_turn(clip)
        if clip.status != "ACTIVE":
            return  # cancelled while it waited
        duration = await self._sound_length(clip)
        if duration is None or clip.status != "ACTIVE":
            return
        clip.started = time.monotonic()
        self.player.ducked = True
        self._log_clip("clip_start", clip, duration=round(duration, 3))
        self._pause_group(clip)
        await asyncio.sleep(duration)
        if clip.status == "ACTIVE":
            await self._finish(clip, "DONE")

    async def _take_turn(self, clip: Clip) -> None:
        """Wait for the earlier clips it may not interrupt, then interrupt the others."""
        while (blocking := self._blocking(clip)) is not None:
            other, wait = blocking
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(other.ended.wait(), wait)
        for other in self._earlier(clip):
            if clip.paused is None:  # the group stays paused from one clip to the next
                clip.paused, other.paused = other.paused, None
            await self._finish(other, "INTERRUPTED")

    def _earlier(self, clip: Clip) -> list[Clip]:
        earlier = self.clips[: self.clips.index(clip)] if clip in self.clips else []
        return [other for other in earlier if other.status == "ACTIVE"]

    def _blocking(self, clip: Clip) -> tuple[Clip, float | None] | None:
        """An earlier clip `clip` may not interrupt yet, and how long at most to wait for it."""
        for other in self._earlier(clip):
            if other.priority != "HIGH":
                continue
            if clip.priority == "LOW":
                return other, None
            played = 0.0 if other.started is None else time.monotonic() - other.started
            if played < HIGH_PROTECTED_SECONDS:
                return other, HIGH_PROTECTED_SECONDS - played
        return None

    async def _sound_length(self, clip: Clip) -> float | None:
        """The clip's length; None if the player cannot play it (it then ends in ERROR)."""
        if clip.stream_url is None:
            return BUILT_IN_CHIME_SECONDS
        try:
            found = await probe(clip.stream_url, self.player.ip, content_types=OVERLAY_TYPES)
        except NotAudio:
            found = None
        if found is None or found.error is not None:
            # A real player accepts a clip it cannot play, then reports an error and plays nothing.
            clip.error_code = "ERROR_AUDIO_CLIP_MEDIA_ERROR"
            await self._finish(clip, "ERROR")
            return None
        return found.duration

    async def _finish(self, clip: Clip, status: str) -> None:
        if clip.status != "ACTIVE":
            return  # ended meanwhile (cancelled and done at once)
        clip.status = status
        clip.ended.set()
        if not any(other.sounding for other in self.clips):
            self.player.ducked = False
        self._log_clip("clip_end", clip, status=status)
        self._resume_group(clip)
        await self._event()
        self.clips = [other for other in self.clips if other.status == "ACTIVE"]

    def _pause_group(self, clip: Clip) -> None:
        if self.player.clip_pauses_group and clip.paused is None:
            clip.paused = self.household.pause_for_clip(self.player)

    def _resume_group(self, clip: Clip) -> None:
        if clip.paused is not None:
            self.household.resume_after_clip(clip.paused)
            clip.paused = None

    async def _event(self) -> None:
        header = {"namespace": NAMESPACE, "householdId": self.household.spec.household_id, "playerId": self.player.uid,
                  "type": "audioClipStatus", "name": "audioClipStatus"}
        body = {"_objectType": "audioClipStatus", "audioClips": [clip.body() for clip in self.clips]}
        for socket in list(self.subscribers):
            if not socket.closed:
                await socket.send_str(json.dumps([header, body]))

    # ---- messages and the event log

    def _reply_header(self, header: dict[str, Any], reply: dict[str, Any]) -> dict[str, Any]:
        namespace = header.get("namespace", NAMESPACE)
        kind = "audioClip" if namespace.startswith("audioClip") else reply.get("_objectType", "none")
        return {"namespace": namespace, "householdId": self.household.spec.household_id,
                "response": header.get("command", ""), "success": True, "type": kind,
                "cmdId": header.get("cmdId", ""), "playerId": self.player.uid}

    def _error_header(self, header: dict[str, Any], refusal: Refused) -> dict[str, Any]:
        return {**self._reply_header(header, {}), "success": False, "type": refusal.kind}

    async def _send(self, socket: web.WebSocketResponse, header: dict[str, Any], body: dict[str, Any] | Refused,
                    pad_to: int | None = None) -> None:
        if isinstance(body, Refused):
            body = body.body()
        if not socket.closed:
            await socket.send_str(padded_json([header, body], pad_to))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _log(self, service: str, action: str, args: dict[str, Any], result: dict[str, Any] | None,
             injected: str | None = None, received: float | None = None, withheld: Decision | None = None) -> None:
        event: dict[str, Any] = {"player": self.player.name, "uid": self.player.uid, "kind": "request", "service": service,
                                 "action": action, "args": args, "result": result, "fault": None,
                                 **self.household.snapshot_fields(self.player)}
        if injected is not None:
            event["injected"] = injected
        if withheld is not None:
            event.update({"injected": withheld.injected, **withheld.withheld})
        if received is not None:
            event["received"] = received
        self.household.events.write(event)

    def _log_clip(self, cause: str, clip: Clip, **args: Any) -> None:
        self.household.events.write({"player": self.player.name, "uid": self.player.uid, "kind": "state", "service": None,
                                     "action": cause, "args": {"clip": clip.id, "name": clip.name, "url": clip.stream_url,
                                                               "volume": clip.volume, **args},
                                     "result": None, "fault": None, **self.household.snapshot_fields(self.player)})
        for listener in self.household.listeners:
            listener(self.player, "rendering")


def _oversized(decision: Decision) -> int | None:
    """The size an oversized fault pads the reply frame to. The other hostile kinds spoil HTTP
    answers on port 1400 only: a command they match is answered as usual."""
    if decision.hostile is None or decision.hostile.kind != "oversized":
        return None
    return decision.hostile.size


def padded_json(message: list[Any], pad_to: int | None) -> str:
    """The message as JSON, padded with whitespace before its closing bracket to `pad_to`
    bytes (ASCII: json.dumps escapes everything else)."""
    text = json.dumps(message)
    if pad_to is None or len(text) >= pad_to:
        return text
    return text[:-1] + " " * (pad_to - len(text)) + "]"


def parse_message(data: str | bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):  # json raises RecursionError, not ValueError, on deep nesting
        raise Refused("ERROR_INVALID_SYNTAX", "not JSON") from None
    if not (isinstance(message, list) and len(message) == 2 and all(isinstance(part, dict) for part in message)):
        raise Refused("ERROR_INVALID_SYNTAX", "a message is an array of a header and a body")
    header, body = message
    for key in ("namespace", "command"):
        if not isinstance(header.get(key), str) or not header[key]:
            # docs.sonos.com/docs/globalerror: a required header value missing
            raise Refused("ERROR_MISSING_PARAMETERS", f"Missing required value:[0].{key}")
    return header, body


def is_http_url(value: object) -> bool:
    try:
        return isinstance(value, str) and urlparse(value).scheme in ("http", "https")
    except ValueError:  # an unclosed IPv6 bracket
        return False


def required_text(body: dict[str, Any], key: str, limit: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise Refused("ERROR_MISSING_PARAMETERS", f"Missing required value: {key}")
    if len(value) > limit:
        raise Refused("ERROR_INVALID_PARAMETER", f"{key} is longer than {limit} characters")
    return value


def one_of(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    """The body's value of an enumeration; the first allowed value (the default) if absent."""
    value = body.get(key, allowed[0])
    if value not in allowed:
        raise Refused("ERROR_INVALID_PARAMETER", f"{key} must be one of {', '.join(allowed)}")
    return str(value)
