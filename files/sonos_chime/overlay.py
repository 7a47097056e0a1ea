"""Overlay: the chime as an audio clip on every player of a group, over the music.

S2 players with the AUDIO_CLIP capability play a clip sent to their local websocket API
(wss://<player>:1443, spoken by aiosonos) and duck their music under it: nothing is stopped,
so nothing is put back. Every player gets its own command, both halves of a stereo pair
included. A group is overlaid only if every player in it can take the clip; otherwise, under
`auto`, zone.py interrupts it instead, and under `overlay` it is left as it was and reported.
A clip a player did not answer is neither accepted nor refused: the player's clip statuses
tell whether it played, and the group is never interrupted after it, so no chime is heard twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import orjson
from aiosonos.api.models import AudioClip, AudioClipStatusEvent, AudioClipType
from aiosonos.api.websockets import SonosLocalWebSocketsApi
from aiosonos.const import LOCAL_API_TOKEN
from aiosonos.exceptions import SonosException
from aiosonos.utils import create_ssl_context

from .clipmodels import misbehaving
from .config import AUTO_MODE
from .errors import PlayerError
from .exchange import LOCAL_API_MESSAGE, AnswerLimit
from .job import Outcome, RunShared, ZoneResult, ZoneTarget
from .moment import wait_until
from .plan import decide_source
from .player import Player, describe_network_error
from .sound import SoundCheck
from .topology import Group, Member
from .zonelog import ZoneLog, quote

T = TypeVar("T")
APP_ID = "com.github.sonos-chime"
CAPABILITY = "AUDIO_CLIP"
ENDED = frozenset({"DONE", "DISMISSED", "INTERRUPTED", "ERROR", "INACTIVE"})


@dataclass(frozen=True)
class ClipPlayer:
    """A player ready for the clip: connected, subscribed to its clip statuses."""

    member: Member
    player_id: str
    api: SonosLocalWebSocketsApi
    listener: asyncio.Task[None]
    statuses: asyncio.Queue[AudioClip]


@dataclass(frozen=True)
class Unable:
    """A player of the group that cannot take a clip, and why."""

    member: Member
    reason: str


@dataclass(frozen=True)
class ClipSent:
    player: ClipPlayer
    sent: float
    clip_id: str | None  # None: refused, or not answered
    refusal: str = ""
    unanswered: bool = False  # no answer in time: the player may be playing the clip all the same

    @property
    def refused(self) -> bool:
        return self.clip_id is None and not self.unanswered

    def is_this(self, clip: AudioClip, name: str) -> bool:
        """Whether a clip status is about the clip sent. Without an answer its id is unknown:
        this app's clip of the chime's name is it (the zone's lock keeps other chimes off the player)."""
        if self.clip_id is not None:
            return clip.get("id") == self.clip_id
        return clip.get("appId") == APP_ID and clip.get("name") == name


@dataclass(frozen=True)
class ClipEnd:
    member: Member
    status: str  # a clip status (DONE, ERROR, ...), or "NO-END" when none came in time
    at: float
    detail: str = ""


class FallBack(Exception):
    """The group cannot be overlaid and nothing was changed: under auto it is interrupted
    instead, under overlay it fails."""


def overlay_group(zone: ZoneTarget, group: Group, shared: RunShared, log: ZoneLog) -> ZoneResult | None:
    """The clip on every player of a locked group. None: interrupt it instead (auto only)."""
    fallback = shared.job.mode == AUTO_MODE
    coordinator = Player.of(group.coordinator, shared.timeout)
    try:
        uri = coordinator.media_info().get("CurrentURI", "")
    except PlayerError as error:
        log("snapshot", f"could not read the source: {error}", logging.ERROR, outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, f"snapshot: {error}")
    decision = decide_source(uri, shared.job.policy)
    log = log.playing(decision.kind)
    if not decision.interrupt:
        log("decide", decision.reason, decision="skip", outcome="skipped")
        return ZoneResult(zone.name, Outcome.SKIPPED, decision.reason)
    sound = shared.sound.result()
    problem = sound_problem(sound)
    if problem is not None:
        return cannot_overlay(zone, log, problem, fallback and sound.reachable is not False)
    try:
        return asyncio.run(overlay_async(zone, group, shared, log, fallback))
    except FallBack as reason:
        return cannot_overlay(zone, log, str(reason), fallback)


def sound_problem(sound: SoundCheck) -> str | None:
    if sound.reachable is not True:
        return f"sound unreachable, nothing changed: {sound.detail}"
    if not sound.plays_as_clip:
        return "the sound is neither MP3 nor WAV: audio clips play only those"
    return None


def cannot_overlay(zone: ZoneTarget, log: ZoneLog, reason: str, fallback: bool) -> ZoneResult | None:
    """None under auto (the group is interrupted instead); under overlay the zone fails as it was."""
    if fallback:
        log("overlay", f"{reason}: interrupted instead", mode="interrupt")
        return None
    log("overlay", f"{reason}, nothing changed", logging.ERROR, decision="skip", outcome="failed")
    return ZoneResult(zone.name, Outcome.FAILED, reason)


async def overlay_async(zone: ZoneTarget, group: Group, shared: RunShared, log: ZoneLog, fallback: bool) -> ZoneResult:
    connector = aiohttp.TCPConnector(ssl=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        ready = await asyncio.gather(*(connect(member, session, shared.timeout) for member in group.members))
        players = [each for each in ready if isinstance(each, ClipPlayer)]
        try:
            unable = [each for each in ready if isinstance(each, Unable)]
            if unable:
                raise FallBack(reasons(f"{quote(each.member.name)} {each.reason}" for each in unable))
            log("overlay", "every player takes clips", decision="overlay", players=len(players),
                ready_ms=round((time.monotonic() - started) * 1000))
            return await play_clips(zone, players, shared, log, fallback)
        finally:
            await asyncio.gather(*(disconnect(player) for player in players))


def reasons(said: Iterable[str]) -> str:
    """Each reason once: both halves of a stereo pair carry their room's name and say the same."""
    return "; ".join(dict.fromkeys(said))


class BoundedWebsockets:
    """The session as aiosonos sees it: its websocket reads messages up to LOCAL_API_MESSAGE
    (aiosonos asks for no limit at all), and one that was larger is remembered."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def ws_connect(self, url: str, **options: Any) -> aiohttp.ClientWebSocketResponse:
        socket: aiohttp.ClientWebSocketResponse = await self._session.ws_connect(
            url, **{**options, "max_msg_size": LOCAL_API_MESSAGE.max_bytes})
        self._sockets.append(socket)
        return socket

    def oversized(self) -> str | None:
        if any(socket.close_code == aiohttp.WSCloseCode.MESSAGE_TOO_BIG for socket in self._sockets):
            return f"sent a message larger than {LOCAL_API_MESSAGE.describe()}"
        return None


async def read_limited(response: aiohttp.ClientResponse, limit: AnswerLimit) -> bytes:
    if response.content_length is not None and response.content_length > limit.max_bytes:
        raise ValueError(f"answer of {response.content_length} bytes refused: larger than {limit.describe()}")
    body = bytearray()
    while chunk := await response.content.read(64 * 1024):
        body += chunk
        if len(body) > limit.max_bytes:
            raise ValueError(f"answer cut off: larger than {limit.describe()}")
    return bytes(body)


async def discovery_info(session: aiohttp.ClientSession, host: str) -> dict[str, Any]:
    """The player's local API info (aiosonos's get_discovery_info reads any size of answer)."""
    url = f"https://{host}:1443/api/v1/players/local/info"
    headers = {"X-Sonos-Api-Key": LOCAL_API_TOKEN}
    async with session.get(url, headers=headers, ssl=create_ssl_context()) as response:
        response.raise_for_status()
        # orjson, as aiosonos reads its messages: json raises RecursionError, not ValueError, on deep nesting.
        info = orjson.loads(await read_limited(response, LOCAL_API_MESSAGE))
    if not isinstance(info, dict) or not isinstance(info.get("device", {}), dict):
        raise ValueError("the player's info is not the local API's")  # noqa: TRY004 - what the player sent, not a caller's bug
    missing = [key for key in ("websocketUrl", "playerId") if not isinstance(info.get(key), str)]
    if missing:
        raise ValueError(f"the player's info has no {missing[0]}")
    return info


async def connect(member: Member, session: aiohttp.ClientSession, timeout: float) -> ClipPlayer | Unable:
    """Discovery info (the capability), the websocket, and a subscription to clip statuses."""
    try:
        async with asyncio.timeout(timeout):
            info = await discovery_info(session, member.host)
    except (aiohttp.ClientError, OSError, TimeoutError, ValueError) as error:
        return Unable(member, f"has no local API ({describe_network_error(error, timeout)})")
    known = misbehaving(info.get("device", {}))
    if known is not None:
        return Unable(member, known.reason())
    capabilities = info.get("device", {}).get("capabilities", [])
    if not isinstance(capabilities, list) or CAPABILITY not in capabilities:
        model = info.get("device", {}).get("modelDisplayName", "this model")
        return Unable(member, f"cannot play clips ({model} lacks {CAPABILITY})")
    statuses: asyncio.Queue[AudioClip] = asyncio.Queue()

    def on_status(event: AudioClipStatusEvent) -> None:
        for clip in event.get("audioClips", []):
            statuses.put_nowait(clip)

    websockets = BoundedWebsockets(session)
    api = SonosLocalWebSocketsApi(info["websocketUrl"], websockets)  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(timeout):
            await api.connect()
    except (SonosException, TimeoutError) as error:
        return Unable(member, f"refused the websocket: {error}")
    listener = asyncio.create_task(api.start_listening())
    try:
        await answer_of(api.audio_clip.subscribe(info["playerId"], on_status), timeout)
    except (SonosException, TimeoutError, ConnectionError) as error:
        await api.disconnect()
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        oversized = websockets.oversized()
        if oversized is not None:
            return Unable(member, oversized)
        if isinstance(error, TimeoutError):  # no clip was sent: interrupting instead cannot chime twice
            return Unable(member, f"did not answer the clip subscription within {timeout:g} s")
        return Unable(member, f"refused the clip subscription: {error or type(error).__name__}")
    return ClipPlayer(member, info["playerId"], api, listener, statuses)


async def answer_of(command: Awaitable[T], timeout: float) -> T:
    """A websocket command's answer within `timeout`. When the player's socket fails (a message
    too large, a reset), aiosonos cancels the answers it waits for: that is the player's
    doing, a ConnectionError here, not a cancellation of this task."""
    try:
        async with asyncio.timeout(timeout):
            return await command
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        raise ConnectionError("its websocket closed before the answer") from None


async def disconnect(player: ClipPlayer) -> None:
    await player.api.disconnect()
    player.listener.cancel()
    await asyncio.gather(player.listener, return_exceptions=True)


async def play_clips(zone: ZoneTarget, players: Sequence[ClipPlayer], shared: RunShared, log: ZoneLog, fallback: bool) -> ZoneResult:
    if shared.moment is not None:
        await asyncio.to_thread(wait_until, shared.moment.mono, shared.stop)
    if shared.stop.is_set():
        log("decide", "stop requested before the chime", decision="skip", outcome="skipped")
        return ZoneResult(zone.name, Outcome.SKIPPED, "stopped before the chime")
    sent = await asyncio.gather(*(send_clip(player, shared) for player in players))
    refused = [each for each in sent if each.refused]
    # A clip not answered may be playing: only a group that refused it everywhere is interrupted.
    maybe_playing = [each for each in sent if not each.refused]
    if not maybe_playing and fallback:
        raise FallBack(reasons(f"{quote(each.player.member.name)} refused the clip ({each.refusal})" for each in refused))
    log_sent(sent, shared, log)
    ends = await asyncio.gather(*(clip_end(each, shared) for each in maybe_playing))
    for each, end in zip(maybe_playing, ends, strict=True):
        if each.unanswered:
            log_unanswered(each, end, log)
    if fallback and ends and all(end.status == "ERROR" for end in ends):
        raise FallBack("every player gave up on the clip (" + "; ".join(end.detail for end in ends) + ")")
    return report(zone, sent, ends, log)


def log_sent(sent: Sequence[ClipSent], shared: RunShared, log: ZoneLog) -> None:
    accepted = [each for each in sent if each.clip_id is not None]
    first = min(each.sent for each in sent)
    lateness = {} if shared.moment is None else {"late_ms": shared.moment.ms_after(first)}
    if accepted:
        summary, level = "clip started", logging.INFO
    elif any(each.unanswered for each in sent):
        summary, level = "clip sent, not answered", logging.WARNING
    else:
        summary, level = "clip refused", logging.ERROR
    log("play", summary, level, url=shared.job.url, start_latency_ms=round((first - shared.started) * 1000),
        players=len(accepted), **lateness)
    for each in sent:
        if each.refused:
            log("play", f"{quote(each.player.member.name)} refused the clip: {each.refusal}", logging.ERROR)
        elif each.unanswered:
            log("play", f"{quote(each.player.member.name)} did not answer the clip ({each.refusal}): "
                "waiting for its status, and not interrupting, so that it is never heard twice", logging.WARNING)


def log_unanswered(sent: ClipSent, end: ClipEnd, log: ZoneLog) -> None:
    """What the player did with a clip it did not answer, as its status told."""
    name = quote(sent.player.member.name)
    if end.status == "NO-END":
        log("play", f"{name} did not answer the clip and no status of it came: it may have been heard; "
            "not interrupted, so that it is never heard twice", logging.ERROR)
    else:
        log("play", f"{name} did not answer the clip; its status shows it played (ended {end.status})", logging.WARNING)


async def send_clip(player: ClipPlayer, shared: RunShared) -> ClipSent:
    sent = time.monotonic()
    try:
        clip = await answer_of(player.api.audio_clip.load_audio_clip(
            player.player_id, shared.job.name, APP_ID, stream_url=shared.job.url,
            volume=shared.job.volume_for(player.member), clip_type=AudioClipType.CUSTOM,
        ), shared.timeout)
    except SonosException as error:
        return ClipSent(player, sent, None, str(getattr(error, "error_code", "") or error))
    except TimeoutError:
        return ClipSent(player, sent, None, f"no answer within {shared.timeout:g} s", unanswered=True)
    except ConnectionError as error:  # the clip may have been taken before the socket closed
        return ClipSent(player, sent, None, str(error), unanswered=True)
    return ClipSent(player, sent, str(clip.get("id", "")))


async def clip_end(sent: ClipSent, shared: RunShared) -> ClipEnd:
    """The clip's last status, as the player's events report it; the run's deadline bounds the wait."""
    length = shared.sound_length() or 0.0
    deadline = sent.sent + length + shared.settings.margin
    member = sent.player.member
    while True:
        try:
            clip = await asyncio.wait_for(sent.player.statuses.get(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            return ClipEnd(member, "NO-END", time.monotonic(), f"no end reported within {length + shared.settings.margin:.0f} s")
        status = str(clip.get("status", ""))
        if sent.is_this(clip, shared.job.name) and status in ENDED:
            detail = str(clip.get("errorCode", "")) if status == "ERROR" else ""
            return ClipEnd(member, status, time.monotonic(), f"{quote(member.name)}: {detail}" if detail else "")


def report(zone: ZoneTarget, sent: Sequence[ClipSent], ends: Sequence[ClipEnd], log: ZoneLog) -> ZoneResult:
    first = min(each.sent for each in sent)
    failures = [f"{quote(each.player.member.name)} refused the clip ({each.refusal})" for each in sent if each.refused]
    failures += [f"{quote(end.member.name)}: {end.status}{' ' + end.detail if end.detail else ''}" for end in ends if end.status != "DONE"]
    statuses: dict[str, Any] = {"end": ",".join(sorted({end.status for end in ends})) or "none"}
    last = max((end.at for end in ends), default=first)
    log("end", "clip ended" if ends else "no clip played", logging.ERROR if failures else logging.INFO,
        chime_ms=round((last - first) * 1000), **statuses)
    if failures:
        log("overlay", "; ".join(failures), logging.ERROR, outcome="failed")
        return ZoneResult(zone.name, Outcome.FAILED, "; ".join(failures))
    log("overlay", "nothing to put back: the music played on", outcome="ok")
    return ZoneResult(zone.name, Outcome.OVERLAID, "clip ended")
