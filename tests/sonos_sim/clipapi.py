"""The local API of S2 players on port 1443 (TLS): audio clips over the websocket.

What a controller such as aiosonos or Home Assistant's sonos-websocket meets on a real player:
`GET /api/v1/players/local/info` (the discovery info: ids, websocket URL, capabilities) and
the websocket at `/websocket/api`, both behind the `X-Sonos-Api-Key` header, the socket with
subprotocol `v1.api.smartspeaker.audio`. Every message is a JSON array `[header, body]`.
Of the namespaces only `audioClip:1` is served: `subscribe`, `unsubscribe` and
`loadAudioClip`, with `audioClipStatus` events. A clip plays over the music: the transport
goes on, the reported volume is ducked until the clip ends (model.DUCKED_SHARE). On a model
whose clips pause its group (schema.CLIP_PAUSES_GROUP: the Play:1) the group's music is paused
while the clip plays and resumed when it ends.
"""

from __future__ import annotations

import asyncio
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

from .descriptions import room_name
from .faults import Decision, FaultInjector
from .media import NotAudio, probe
from .model import Household, Player

PORT = 1443
API_KEY = "123e4567-e89b-12d3-a456-426655440000"  # the local API's key, the same on every player
PROTOCOL = "v1.api.smartspeaker.audio"
NAMESPACE = "audioClip:1"
OVERLAY_TYPES = ("audio/mpeg", "audio/mp3", "audio/wav", "audio/x-wav", "audio/wave")
CAPABILITIES = ("CLOUD", "PLAYBACK", "AIRPLAY", "VOICE")


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


class Refused(Exception):
    """A command the player answers with a globalError."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class Clip:
    id: str
    name: str
    app_id: str
    priority: str
    clip_type: str
    led: str
    stream_url: str
    volume: int | None
    status: str = "ACTIVE"
    error_code: str | None = None
    paused: Player | None = None  # the coordinator whose music the clip paused
    paused_uri: str = ""  # what it played then: resumed only if it still is

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
        return f"wss://{self.player.ip}:{PORT}/websocket/api"

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
        self._log("GET /api/v1/players/local/info", {}, {"status": 200})
        return web.json_response(self.discovery_info())

    def discovery_info(self) -> dict[str, Any]:
        coordinator = self.household.coordinator(self.player)
        capabilities = list(CAPABILITIES) + (["AUDIO_CLIP"] if self.player.plays_clips else [])
        if self.player.has_line_in:
            capabilities.append("LINE_IN")
        return {
            "_objectType": "discoveryInfo",
            "device": {
                "_objectType": "deviceInfo", "id": self.player.uid, "primaryDeviceId": "",
                "serialNumber": f"00-0E-58-{self.player.uid[-6:]}:0", "model": self.player.model_number,
                "modelDisplayName": self.player.spec.model, "color": "Black", "capabilities": capabilities,
                "apiVersion": "1.41.0", "minApiVersion": "1.1.0", "name": room_name(self.household, self.player),
                "websocketUrl": self.websocket_url, "softwareVersion": "85.0-64200", "hwVersion": "1.8.1.2-2.0",
                "swGen": 2,
            },
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
            await self._send(socket, self._error_header({}, "globalError"), refusal)
            return
        received = time.monotonic()
        command = header.get("command", "")
        decision = self.faults.decide(self.player.key, command)
        if decision.delay:
            await asyncio.sleep(decision.delay)
        if decision.reset:
            self._log(command, body, None, injected="reset", received=received)
            await socket.close()
            return
        if decision.no_answer:
            self._log(command, body, None, injected="no_answer", received=received)
            return
        withheld = decision if decision.late_answer else None
        pad_to = _oversized(decision)
        noted = decision if withheld is not None or pad_to is not None else None
        try:
            if decision.upnp_error is not None:
                raise Refused("ERROR_COMMAND_FAILED", f"injected fault {decision.upnp_error}")
            reply, then = self._command(socket, header, body)
        except Refused as refusal:
            self._log(command, body, {"success": False, "errorCode": refusal.code}, received=received, withheld=noted)
            await self._answer(socket, self._error_header(header, "globalError"), refusal, withheld, pad_to)
            return
        self._log(command, body, {"success": True, **({"id": reply["id"]} if "id" in reply else {})}, received=received,
                  withheld=noted)
        await self._answer(socket, self._reply_header(header), reply, withheld, pad_to)
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

    def _command(self, socket: web.WebSocketResponse, header: dict[str, Any], body: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        namespace = header.get("namespace")
        if namespace not in (NAMESPACE, "audioClip"):  # aiosonos unsubscribes without the version
            raise Refused("ERROR_INVALID_NAMESPACE", f"namespace {namespace!r} is not served")
        if header.get("playerId") != self.player.uid:
            raise Refused("ERROR_INVALID_PARAMETER", "the local API speaks only for its own player")
        command = header.get("command")
        if command == "subscribe":
            self.subscribers.add(socket)
            return {}, None
        if command == "unsubscribe":
            self.subscribers.discard(socket)
            return {}, None
        if command == "loadAudioClip":
            clip = self._new_clip(body)
            return clip.body(), self._play(clip)
        raise Refused("ERROR_INVALID_COMMAND", f"unknown command {command!r}")

    def _new_clip(self, body: dict[str, Any]) -> Clip:
        if not self.player.plays_clips:
            raise Refused("ERROR_NOT_CAPABLE", "this player cannot play audio clips")
        for key in ("name", "appId"):
            if not isinstance(body.get(key), str) or not body[key]:
                raise Refused("ERROR_MISSING_PARAMETERS", f"{key} is required")
        stream_url = body.get("streamUrl")
        if not isinstance(stream_url, str) or urlparse(stream_url).scheme not in ("http", "https"):
            raise Refused("ERROR_INVALID_PARAMETER", "streamUrl must be an http(s) URL")
        volume = body.get("volume")
        if volume is not None and (isinstance(volume, bool) or not isinstance(volume, int) or not 0 <= volume <= 100):
            raise Refused("ERROR_INVALID_PARAMETER", "volume must be a whole number within 0-100")
        clip = Clip(
            id=str(uuid.uuid4()), name=body["name"], app_id=body["appId"], priority=str(body.get("priority", "LOW")),
            clip_type=str(body.get("clipType", "CHIME")), led=str(body.get("clipLEDBehavior", "NONE")),
            stream_url=stream_url, volume=volume,
        )
        self.clips.append(clip)
        return clip

    async def _play(self, clip: Clip) -> None:
        """Fetch the clip, duck the music under it, then report its end; a later clip ends an earlier one."""
        for other in self.clips:
            if other is not clip and other.status == "ACTIVE":
                await self._finish(other, "INTERRUPTED")
        try:
            found = await probe(clip.stream_url, self.player.ip, content_types=OVERLAY_TYPES)
        except NotAudio:
            found = None
        if found is None or found.error is not None:
            # A real player accepts a clip it cannot play, then reports an error and plays nothing.
            clip.error_code = "ERROR_AUDIO_CLIP_DOWNLOAD_FAILED" if found is not None else "ERROR_AUDIO_CLIP_FORMAT"
            await self._finish(clip, "ERROR")
            return
        if clip.status != "ACTIVE":
            return
        self.player.ducked = True
        self._log_clip("clip_start", clip, duration=round(found.duration, 3))
        self._pause_group(clip)
        await asyncio.sleep(found.duration)
        if clip.status == "ACTIVE":
            await self._finish(clip, "DONE")

    async def _finish(self, clip: Clip, status: str) -> None:
        was_playing = clip.status == "ACTIVE" and self.player.ducked
        clip.status = status
        if was_playing and not any(other.status == "ACTIVE" for other in self.clips):
            self.player.ducked = False
        self._log_clip("clip_end", clip, status=status)
        self._resume_group(clip)
        await self._event()
        self.clips = [other for other in self.clips if other.status == "ACTIVE"]

    def _pause_group(self, clip: Clip) -> None:
        if not self.player.clip_pauses_group:
            return
        clip.paused = self.household.pause_for_clip(self.player)
        if clip.paused is not None:
            clip.paused_uri = clip.paused.transport.uri

    def _resume_group(self, clip: Clip) -> None:
        if clip.paused is not None:
            self.household.resume_after_clip(clip.paused, clip.paused_uri)
            clip.paused = None

    async def _event(self) -> None:
        header = {"namespace": NAMESPACE, "householdId": self.household.spec.household_id, "playerId": self.player.uid,
                  "type": "audioClipStatus", "name": "audioClipStatus"}
        body = {"_objectType": "audioClipStatus", "audioClips": [clip.body() for clip in self.clips]}
        for socket in list(self.subscribers):
            if not socket.closed:
                await socket.send_str(json.dumps([header, body]))

    # ---- messages and the event log

    def _reply_header(self, header: dict[str, Any]) -> dict[str, Any]:
        return {"namespace": header.get("namespace", NAMESPACE), "householdId": self.household.spec.household_id,
                "response": header.get("command", ""), "success": True, "type": "audioClip",
                "cmdId": header.get("cmdId", ""), "playerId": self.player.uid}

    def _error_header(self, header: dict[str, Any], kind: str) -> dict[str, Any]:
        return {**self._reply_header(header), "success": False, "type": kind}

    async def _send(self, socket: web.WebSocketResponse, header: dict[str, Any], body: dict[str, Any] | Refused,
                    pad_to: int | None = None) -> None:
        if isinstance(body, Refused):
            body = {"_objectType": "globalError", "errorCode": body.code, "reason": body.reason}
        if not socket.closed:
            await socket.send_str(padded_json([header, body], pad_to))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _log(self, action: str, args: dict[str, Any], result: dict[str, Any] | None, injected: str | None = None,
             received: float | None = None, withheld: Decision | None = None) -> None:
        event: dict[str, Any] = {"player": self.player.name, "uid": self.player.uid, "kind": "request", "service": NAMESPACE,
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
    except (ValueError, UnicodeDecodeError):
        raise Refused("ERROR_INVALID_SYNTAX", "not JSON") from None
    if not (isinstance(message, list) and len(message) == 2 and all(isinstance(part, dict) for part in message)):
        raise Refused("ERROR_INVALID_SYNTAX", "a message is an array of a header and a body")
    header, body = message
    if not header.get("namespace") or not header.get("command"):
        raise Refused("ERROR_INVALID_SYNTAX", "the header names no namespace or command")
    return header, body
