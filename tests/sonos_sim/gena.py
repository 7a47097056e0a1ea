"""UPnP eventing (GENA): SUBSCRIBE / renew / UNSUBSCRIBE and NOTIFY with LastChange.

A player sends the full current state as the first event of a subscription, then one event
per change, each with the next SEQ, from its own address. Evented here: AVTransport and
RenderingControl (LastChange) of the player, ZoneGroupTopology (ZoneGroupState), and the
services of propertysets.py: DeviceProperties, AlarmClock, ContentDirectory, Queue,
GroupRenderingControl and ConnectionManager, each sent again only when what it says has changed.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import aiohttp

from . import didl, propertysets
from .actions import media_metadata, radio_track_metadata
from .descriptions import zone_group_state
from .model import Household, Player, Track, Transport
from .soap import xml_text

EVENTED = {
    "/MediaRenderer/AVTransport/Event": "AVTransport",
    "/MediaRenderer/RenderingControl/Event": "RenderingControl",
    "/ZoneGroupTopology/Event": "ZoneGroupTopology",
    "/DeviceProperties/Event": "DeviceProperties",
    "/AlarmClock/Event": "AlarmClock",
    "/MediaServer/ContentDirectory/Event": "ContentDirectory",
    "/MediaRenderer/Queue/Event": "Queue",
    "/MediaRenderer/GroupRenderingControl/Event": "GroupRenderingControl",
    "/MediaRenderer/ConnectionManager/Event": "ConnectionManager",
    "/MediaServer/ConnectionManager/Event": "ConnectionManager",
}
PROPERTY_SERVICES = {
    "DeviceProperties": propertysets.device_properties,
    "AlarmClock": propertysets.alarm_clock,
    "ContentDirectory": propertysets.content_directory,
    "Queue": propertysets.queue,
    "GroupRenderingControl": propertysets.group_rendering_control,
    "ConnectionManager": propertysets.connection_manager,
}
DEFAULT_TIMEOUT = 3600


@dataclass
class Subscription:
    sid: str
    player: Player
    service: str
    callback: str
    expires: float
    seq: int = 0
    last_body: str = ""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SubscriptionError(Exception):
    """Answer with this HTTP status (412 unknown SID, 400 bad request)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class Gena:
    def __init__(self, household: Household) -> None:
        self.household = household
        self.subscriptions: dict[str, Subscription] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._settling: set[str] = set()
        household.listeners.append(self.on_change)

    def subscribe(self, player: Player, path: str, headers: dict[str, str]) -> tuple[Subscription, int]:
        timeout = _requested_timeout(headers.get("TIMEOUT"))
        sid = headers.get("SID")
        if sid:
            existing = self.subscriptions.get(sid)
            if existing is None or existing.expires < time.monotonic():
                raise SubscriptionError(412)
            existing.expires = time.monotonic() + timeout
            return existing, timeout
        callback = headers.get("CALLBACK", "").strip()
        if not (callback.startswith("<") and callback.endswith(">")) or headers.get("NT") != "upnp:event":
            raise SubscriptionError(412)
        subscription = Subscription(
            sid=f"uuid:{player.uid}_sub{uuid.uuid4().int % 10**10:010d}",
            player=player,
            service=EVENTED[path],
            callback=callback[1:-1].split("><")[0],
            expires=time.monotonic() + timeout,
        )
        self.subscriptions[subscription.sid] = subscription
        self._send(subscription)
        return subscription, timeout

    def unsubscribe(self, headers: dict[str, str]) -> None:
        if self.subscriptions.pop(headers.get("SID", ""), None) is None:
            raise SubscriptionError(412)

    def on_change(self, player: Player, kind: str) -> None:
        """Send an event to every live subscription the change of `kind` on `player` concerns."""
        now = time.monotonic()
        for subscription in list(self.subscriptions.values()):
            if subscription.expires < now:
                del self.subscriptions[subscription.sid]
            elif subscription.service == "ZoneGroupTopology" and kind == "topology":
                self._send_when_settled(subscription, only_if_changed=False)
            elif subscription.service in PROPERTY_SERVICES:
                self._send_when_settled(subscription, only_if_changed=True)
            elif self._concerns(subscription, player, kind):
                self._send(subscription)

    def _send_when_settled(self, subscription: Subscription, only_if_changed: bool) -> None:
        """One regroup or SetGroupVolume touches many players but is one change: one event,
        with the state once all of it is done (and, for property services, only if it differs)."""
        if subscription.sid in self._settling:
            return
        self._settling.add(subscription.sid)

        def flush() -> None:
            self._settling.discard(subscription.sid)
            if subscription.sid not in self.subscriptions:
                return
            if not only_if_changed or self._body(subscription) != subscription.last_body:
                self._send(subscription)

        asyncio.get_running_loop().call_soon(flush)

    def _concerns(self, subscription: Subscription, player: Player, kind: str) -> bool:
        if subscription.service == "ZoneGroupTopology":
            return kind == "topology"
        if subscription.service == "RenderingControl":
            return kind == "rendering" and subscription.player is player
        if kind == "rendering":
            return False
        return subscription.player is player or self.household.coordinator(subscription.player) is player

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()

    def _send(self, subscription: Subscription) -> None:
        body = self._body(subscription)
        subscription.last_body = body
        task = asyncio.get_running_loop().create_task(self._notify(subscription, body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify(self, subscription: Subscription, body: str) -> None:
        async with subscription.lock:
            if subscription.seq == 0:
                # The first event follows the SUBSCRIBE answer, which carries the SID it refers to.
                await asyncio.sleep(0.05)
            seq = subscription.seq
            subscription.seq += 1
            headers = {"Content-Type": 'text/xml; charset="utf-8"', "NT": "upnp:event", "NTS": "upnp:propchange",
                       "SID": subscription.sid, "SEQ": str(seq)}
            connector = aiohttp.TCPConnector(local_addr=(subscription.player.ip, 0), force_close=True)
            try:
                async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=5)) as session:
                    await session.request("NOTIFY", subscription.callback, data=body.encode("utf-8"), headers=headers)
            except (aiohttp.ClientError, OSError, TimeoutError):
                # A player keeps the subscription when one NOTIFY fails; the controller renews or lapses it.
                pass

    def _body(self, subscription: Subscription) -> str:
        if subscription.service in PROPERTY_SERVICES:
            return propertysets.propertyset(PROPERTY_SERVICES[subscription.service](self.household, subscription.player))
        if subscription.service == "ZoneGroupTopology":
            properties = {"ZoneGroupState": zone_group_state(self.household)}
        elif subscription.service == "AVTransport":
            properties = {"LastChange": self._av_last_change(subscription.player)}
        else:
            properties = {"LastChange": self._rc_last_change(subscription.player)}
        inner = "".join(f"<e:property><{name}>{xml_text(value)}</{name}></e:property>" for name, value in properties.items())
        return f'<e:propertyset xmlns:e="urn:schemas-upnp-org:event-1-0">{inner}</e:propertyset>'

    def _av_last_change(self, player: Player) -> str:
        return av_transport_last_change(self.household, player)

    def _rc_last_change(self, player: Player) -> str:
        return rendering_control_last_change(player)


AVT_NAMESPACES = 'xmlns="urn:schemas-upnp-org:metadata-1-0/AVT/" xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/"'
VALID_PLAY_MODES = {"queue": "SHUFFLE,REPEAT,REPEATONE,CROSSFADE", "member": "CROSSFADE", "http": "CROSSFADE"}


def av_transport_last_change(household: Household, player: Player) -> str:
    """The whole AVTransport state, in the order and with the r: names a player sends it."""
    values = _av_values(household, player)
    parts = "".join(f'<{name} val="{escape(value, {chr(34): "&quot;"})}"/>' for name, value in values)
    return f"<Event {AVT_NAMESPACES}><InstanceID val=\"0\">{parts}</InstanceID></Event>"


def _av_values(household: Household, player: Player) -> list[tuple[str, str]]:
    coordinator = household.coordinator(player)
    transport = coordinator.transport
    kind = transport.kind if coordinator is player else "member"
    track = household.current_track(transport) if kind == "queue" else None
    following = coordinator.queue[transport.track] if track is not None and transport.track < len(coordinator.queue) else None
    own_uri = player.transport.uri if kind == "member" else transport.uri
    duration = household.duration(transport) if kind in ("queue", "http") else 0.0
    return [
        ("TransportState", transport.state),
        ("CurrentPlayMode", transport.play_mode),
        ("CurrentCrossfadeMode", "1" if transport.crossfade else "0"),
        ("NumberOfTracks", str(len(coordinator.queue)) if kind == "queue" else ("0" if kind == "idle" else "1")),
        ("CurrentTrack", str(transport.track) if kind != "idle" else "0"),
        ("CurrentSection", "0"),
        ("CurrentTrackURI", track.uri if track else ("" if kind == "idle" else own_uri)),
        ("CurrentTrackDuration", didl.hms(duration) if duration else ""),
        ("CurrentTrackMetaData", current_track_metadata(track, transport, kind)),
        ("r:NextTrackURI", following.uri if following else ""),
        ("r:NextTrackMetaData", didl.track_didl(following) if following else ""),
        # A station is what was enqueued: Home Assistant names it from this (components/sonos/media.py).
        ("r:EnqueuedTransportURI", transport.uri if kind == "radio" else ""),
        ("r:EnqueuedTransportURIMetaData", media_metadata(household, coordinator) if kind == "radio" else ""),
        ("PlaybackStorageMedium", "NONE" if kind == "idle" else "NETWORK"),
        ("AVTransportURI", own_uri),
        ("AVTransportURIMetaData", media_metadata(household, player) if kind != "member" else ""),
        ("NextAVTransportURI", ""),
        ("NextAVTransportURIMetaData", ""),
        ("CurrentTransportActions", household.transport_actions(player)),
        ("r:CurrentValidPlayModes", VALID_PLAY_MODES.get(kind, "")),
        ("r:DirectControlClientID", ""),
        ("r:DirectControlIsSuspended", "0"),
        ("r:DirectControlAccountID", ""),
        ("TransportStatus", transport.status),
        ("r:SleepTimerGeneration", str(transport.sleep_generation)),
        ("r:AlarmRunning", "0"),
        ("r:SnoozeRunning", "0"),
        ("r:RestartPending", "0"),
        ("TransportPlaySpeed", "NOT_IMPLEMENTED"),
        ("CurrentMediaDuration", "NOT_IMPLEMENTED"),
        ("RecordStorageMedium", "NOT_IMPLEMENTED"),
        ("PossiblePlaybackStorageMedia", "NONE, NETWORK"),
        ("PossibleRecordStorageMedia", "NOT_IMPLEMENTED"),
        ("RecordMediumWriteStatus", "NOT_IMPLEMENTED"),
        ("CurrentRecordQualityMode", "NOT_IMPLEMENTED"),
        ("PossibleRecordQualityModes", "NOT_IMPLEMENTED"),
    ]


def current_track_metadata(track: Track | None, transport: Transport, kind: str) -> str:
    """What GetPositionInfo's TrackMetaData says, but "" where it answers NOT_IMPLEMENTED."""
    if track is not None:
        return didl.track_didl(track)
    if kind == "radio":
        return radio_track_metadata(transport)
    return didl.tv_track_didl() if kind == "tv" else ""


def rendering_control_last_change(player: Player) -> str:
    """Volume and Mute for Master, LF and RF; Loudness for Master; then the EQ a player reports."""
    volumes = {"Master": player.reported_volume, **player.channel_volume}
    mutes = {"Master": player.mute, **player.channel_mute}
    parts = "".join(f'<Volume channel="{channel}" val="{value}"/>' for channel, value in volumes.items())
    parts += "".join(f'<Mute channel="{channel}" val="{int(value)}"/>' for channel, value in mutes.items())
    parts += (
        f'<Bass val="{player.bass}"/><Treble val="{player.treble}"/><Loudness channel="Master" val="{int(player.loudness)}"/>'
        f'<OutputFixed val="{int(player.output_fixed)}"/><HeadphoneConnected val="0"/><SpeakerSize val="5"/>'
        f'<SubGain val="{player.eq["SubGain"]}"/><SubCrossover val="{player.eq["SubCrossover"]}"/><SubPolarity val="0"/>'
        f'<SubEnabled val="{player.eq["SubEnable"]}"/>'
    )
    if player.is_soundbar:
        parts += "".join(f'<{name} val="{player.eq[name]}"/>' for name in ("DialogLevel", "SpeechEnhanceEnabled", "SurroundLevel",
                                                                         "MusicSurroundLevel", "AudioDelay", "NightMode"))
        parts += f'<SurroundEnabled val="{player.eq["SurroundEnable"]}"/>'
    parts += '<SonarEnabled val="0"/><SonarCalibrationAvailable val="0"/><PresetNameList val="FactoryDefaults"/>'
    return f'<Event xmlns="urn:schemas-upnp-org:metadata-1-0/RCS/"><InstanceID val="0">{parts}</InstanceID></Event>'


def _requested_timeout(header: str | None) -> int:
    if not header or not header.lower().startswith("second-"):
        return DEFAULT_TIMEOUT
    value = header[len("second-"):]
    if value == "infinite":
        return DEFAULT_TIMEOUT
    try:
        return max(1, min(int(value), 86400))
    except ValueError:
        return DEFAULT_TIMEOUT
