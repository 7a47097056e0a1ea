"""Players, their transports (the playback clock) and the group topology of one household.

Everything here runs on the household's event loop thread; timers on that loop move the
transport on (TRANSITIONING -> PLAYING, next queue track, end of a single URI) at the moment
it happens, so the event log shows each change when a real player would make it.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .eventlog import EventLog
from .hardware import Hardware
from .schema import (
    CLIP_PAUSES_GROUP,
    MODELS,
    GroupSpec,
    HouseholdSpec,
    PlayerSpec,
    TrackSpec,
    room_name_problem,
)


class UpnpFault(Exception):
    """Answer the current SOAP request with a UPnP error (HTTP 500, UPnPError/errorCode)."""

    def __init__(self, code: int, description: str = "") -> None:
        super().__init__(f"UPnP error {code} {description}".strip())
        self.code = code
        self.description = description


TOPOLOGY_CAUSES = frozenset({"join", "unjoin", "regroup", "became_coordinator", "forgotten", "rejoined", "renamed"})
RENDERING_CAUSES = frozenset(
    {"SetVolume", "SetRelativeVolume", "SetMute", "SetBass", "SetTreble", "SetLoudness", "ramp", "ramp_end", "SetGroupVolume", "SetGroupMute",
     "clip_start", "clip_end"}
)
DUCKED_SHARE = 0.25  # the music's reported volume while an audio clip plays over it


def change_kind(cause: str) -> str:
    """Which evented service a state change concerns: topology, rendering or transport."""
    if cause in TOPOLOGY_CAUSES:
        return "topology"
    if cause in RENDERING_CAUSES:
        return "rendering"
    return "transport"

RADIO_PREFIXES = ("x-sonosapi-stream:", "x-sonosapi-radio:", "x-rincon-mp3radio:", "aac:", "hls-radio:", "x-sonosapi-hls:")
CLOUD_PREFIXES = ("x-sonos-vli:", "x-rincon-airplay:", "x-sonos-spotify:")


def source_kind(uri: str) -> str:
    """Classify a transport URI the way the architecture's source policy does."""
    if not uri:
        return "idle"
    if uri.startswith("x-rincon-queue:"):
        return "queue" if uri.endswith("#0") else "cloud_queue"
    if uri.startswith("x-rincon:"):
        return "member"
    if uri.startswith(("http://", "https://")):
        return "http"
    if uri.startswith("x-rincon-stream:"):
        return "line_in"
    if uri.startswith("x-sonos-htastream:"):
        return "tv"
    if uri.startswith(CLOUD_PREFIXES):
        return "cloud"
    if uri.startswith(RADIO_PREFIXES):
        return "radio"
    return "unknown"


# EQ types a player answers GetEQ/SetEQ for: default and allowed range.
EQ_DEFAULTS = {
    "DialogLevel": 0, "NightMode": 0, "SpeechEnhanceEnabled": 0, "SubGain": 0, "SubEnable": 1,
    "SubCrossover": 80, "SurroundEnable": 1, "SurroundLevel": 0, "MusicSurroundLevel": 0,
    "SurroundMode": 0, "HeightChannelLevel": 0, "AudioDelay": 0,
}
EQ_RANGES = {
    "DialogLevel": (0, 1), "NightMode": (0, 1), "SpeechEnhanceEnabled": (0, 1), "SubGain": (-15, 15),
    "SubEnable": (0, 1), "SubCrossover": (50, 110), "SurroundEnable": (0, 1), "SurroundLevel": (-15, 15),
    "MusicSurroundLevel": (-15, 15), "SurroundMode": (0, 1), "HeightChannelLevel": (-10, 10), "AudioDelay": (0, 5),
}


def album_art_path(uri: str) -> str:
    """The /getaa path a player serves a track's cover from (escapes in lower case, as players write them)."""
    quoted = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(uri, safe=""))
    return f"/getaa?u={quoted}&v=1"


@dataclass
class Track:
    uri: str
    title: str
    duration: float
    artist: str = ""
    album: str = ""
    album_art: str = ""

    @classmethod
    def from_spec(cls, spec: TrackSpec) -> Track:
        return cls(uri=spec.uri, title=spec.title, duration=spec.duration, artist=spec.artist, album=spec.album,
                   album_art=album_art_path(spec.uri))

    def copy(self) -> Track:
        return Track(self.uri, self.title, self.duration, self.artist, self.album, self.album_art)


@dataclass
class SavedQueue:
    """A Sonos playlist (SQ:<number>), kept by the household, the same from every player."""

    number: int
    title: str
    tracks: list[Track]
    update_id: int = 1

    @property
    def object_id(self) -> str:
        return f"SQ:{self.number}"


@dataclass
class Transport:
    """What a group coordinator plays. Position is anchor_position + elapsed while PLAYING."""

    uri: str = ""
    uri_metadata: str = ""
    single_duration: float = 0.0
    single_title: str = ""
    stream_content: str = ""
    track: int = 1
    state: str = "STOPPED"
    status: str = "OK"
    anchor_position: float = 0.0
    anchor_mono: float = field(default_factory=time.monotonic)
    play_mode: str = "NORMAL"
    crossfade: bool = False
    playback_error: str | None = None
    timer: asyncio.TimerHandle | None = None
    sleep_timer: asyncio.TimerHandle | None = None
    sleep_generation: int = 0
    clip_pause: ClipPause | None = None  # the clips that paused it now (schema.CLIP_PAUSES_GROUP)

    @property
    def kind(self) -> str:
        return source_kind(self.uri)


@dataclass
class ClipPause:
    """A group's music paused by clips on a model whose clips pause its group."""

    transport: Transport
    anchor_mono: float  # the transport's when paused: any command since (Pause, Play, Seek, Stop) moved it
    clips: int = 1  # the clips holding it: the music plays on when the last ends

    def untouched(self) -> bool:
        """Paused as the clip left it: nobody has played, paused, moved or stopped it since."""
        return self.transport.state == "PAUSED_PLAYBACK" and self.transport.anchor_mono == self.anchor_mono


@dataclass(frozen=True)
class PlayerState:
    """A snapshot of what a player reports, for tests (see docs/architecture.md section 4)."""

    transport_state: str
    uri: str
    track: int
    position: float
    volume: int
    mute: bool
    bass: int
    treble: int
    loudness: bool
    play_mode: str
    crossfade: bool
    coordinator_uid: str
    transport_status: str = "OK"
    queue_length: int = 0


@dataclass
class Player:
    spec: PlayerSpec
    ip: str
    transport: Transport
    queue: list[Track]
    volume: int
    mute: bool
    bass: int
    treble: int
    loudness: bool
    output_fixed: bool
    eq: dict[str, int] = field(default_factory=lambda: dict(EQ_DEFAULTS))
    channel_volume: dict[str, int] = field(default_factory=lambda: {"LF": 100, "RF": 100})
    channel_mute: dict[str, bool] = field(default_factory=lambda: {"LF": False, "RF": False})
    led_on: bool = True
    boot_seq: int = 42
    requests_served: int = 0
    queue_update_id: int = 1
    ducked: bool = False  # an audio clip plays over the music: what it reports is lowered
    room: str = ""  # the room name it reports now (SetZoneAttributes renames it); spec.name at start
    icon: str = "x-rincon-roomicon:living"
    configuration: str = "1"
    ramp: asyncio.Task[None] | None = field(default=None, compare=False, repr=False)  # a RampToVolume under way

    @property
    def reported_volume(self) -> int:
        """What GetVolume and events say: the music's volume, ducked under a clip."""
        return round(self.volume * DUCKED_SHARE) if self.ducked else self.volume

    @property
    def name(self) -> str:
        """The name the player reports now: the household file's, or what it was renamed to."""
        return self.room or self.spec.name

    @property
    def key(self) -> str:
        """The household file's name: never changes, names the player in the file's groups,
        bonds and faults, and in the household's tables."""
        return self.spec.name

    @property
    def uid(self) -> str:
        return self.spec.uid

    @property
    def hardware(self) -> Hardware:
        """The model's row of hardware.py: what the description and the local API name it."""
        return MODELS[self.spec.model]

    @property
    def model_number(self) -> str:
        return self.hardware.model_number

    @property
    def has_line_in(self) -> bool:
        return self.hardware.line_in

    @property
    def is_soundbar(self) -> bool:
        """A home-theatre player: it lists HTControl and takes surrounds and a Sub as satellites."""
        return self.hardware.home_theatre

    @property
    def is_bonded(self) -> bool:
        return self.spec.bonded_to is not None

    @property
    def plays_clips(self) -> bool:
        """The AUDIO_CLIP capability of the local websocket API (newer S2 players)."""
        return self.hardware.plays_clips

    @property
    def clip_pauses_group(self) -> bool:
        """A clip on it pauses its group's music while it plays (schema.CLIP_PAUSES_GROUP)."""
        return self.spec.model in CLIP_PAUSES_GROUP


class Household:
    """The whole home: players, groups, playback clocks and the event log."""

    def __init__(self, spec: HouseholdSpec, events: EventLog, ip_overrides: dict[str, str] | None = None) -> None:
        self.spec = spec
        self.events = events
        self.loop: asyncio.AbstractEventLoop | None = None
        self.transition_time = spec.transition_time
        self.players: dict[str, Player] = {}
        self.by_uid: dict[str, Player] = {}
        self.coordinator_of: dict[str, str] = {}
        self.group_ids: dict[str, str] = {}
        self._group_serial = 0
        self.known_tracks: dict[str, Track] = {}
        self.cloud_sessions: set[str] = set()
        self.listeners: list[Callable[[Player, str], None]] = []
        self.forgotten: set[str] = set()
        self.saved_queues: dict[int, SavedQueue] = {}
        self.saved_queues_update_id = 1
        self.next_saved_queue = 0
        # Sonos favourites (FV:2/<number>): the item's DIDL as the controller created it.
        self.favorites: dict[int, str] = {}
        self.favorites_update_id = 1
        self.next_favorite = 1
        self.system_strings: dict[str, str] = {}
        self.active_zone_id = str(uuid.UUID(bytes=zlib.crc32(spec.household_id.encode()).to_bytes(4, "big") * 4))
        for player_spec in spec.players:
            ip = (ip_overrides or {}).get(player_spec.name, player_spec.ip)
            player = _player_from_spec(player_spec, ip)
            self.players[player.key] = player
            self.by_uid[player.uid] = player
            for track in player.queue:
                self.known_tracks[track.uri] = track
            if player.transport.kind in ("cloud", "cloud_queue"):
                self.cloud_sessions.add(player.transport.uri)
        self.apply_groups(spec.groups, log=False)

    # ---- clock ------------------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the clocks: anchor every transport now and arm its timers."""
        self.loop = loop
        now = time.monotonic()
        for player in self.players.values():
            player.transport.anchor_mono = now
            if player.transport.state == "PLAYING":
                self._arm_end_timer(player)

    def position(self, transport: Transport) -> float:
        position = transport.anchor_position
        if transport.state == "PLAYING":
            position += time.monotonic() - transport.anchor_mono
        duration = self.duration(transport)
        return min(position, duration) if duration > 0 else position

    def duration(self, transport: Transport) -> float:
        """Length of what plays now; 0 for endless sources (radio, line-in, TV, cloud)."""
        owner = self._owner(transport)
        if transport.kind == "queue":
            if 1 <= transport.track <= len(owner.queue):
                return owner.queue[transport.track - 1].duration
            return 0.0
        if transport.kind == "http":
            return transport.single_duration
        return 0.0

    def current_track(self, transport: Transport) -> Track | None:
        owner = self._owner(transport)
        if transport.kind == "queue" and 1 <= transport.track <= len(owner.queue):
            return owner.queue[transport.track - 1]
        return None

    def _owner(self, transport: Transport) -> Player:
        for player in self.players.values():
            if player.transport is transport:
                return player
        raise LookupError("transport without a player")

    # ---- topology ---------------------------------------------------------------

    def coordinator(self, player: Player) -> Player:
        if player.spec.bonded_to is not None:
            return self.coordinator(self.players[player.spec.bonded_to])
        return self.by_uid[self.coordinator_of[player.uid]]

    def is_coordinator(self, player: Player) -> bool:
        return not player.is_bonded and self.coordinator(player) is player

    def group_members(self, coordinator: Player) -> list[Player]:
        """Every player following `coordinator`, coordinator first, bonded ones included."""
        members = [p for p in self.players.values() if self.coordinator(p) is coordinator and p.uid not in self.forgotten]
        return sorted(members, key=lambda p: (p is not coordinator, list(self.players).index(p.key)))

    def visible_members(self, coordinator: Player) -> list[Player]:
        return [p for p in self.group_members(coordinator) if not p.is_bonded]

    def coordinators(self) -> list[Player]:
        return [p for p in self.players.values() if self.is_coordinator(p) and p.uid not in self.forgotten]

    def forget(self, player: Player) -> None:
        """The others drop a vanished player from the topology; its group carries on without it."""
        self._hand_over_group(player)
        if not player.is_bonded:
            self.coordinator_of[player.uid] = player.uid
        self.forgotten.add(player.uid)
        self._topology_changed()
        self.log_state(player, "forgotten")

    def remember(self, player: Player) -> None:
        """A forgotten player that is back is listed again, standing alone (its group went on)."""
        self.forgotten.discard(player.uid)
        self._topology_changed()
        self.log_state(player, "rejoined")

    def group_id(self, coordinator: Player) -> str:
        if coordinator.uid not in self.group_ids:
            self._group_serial += 1
            # Real ids are the creating player's uid and a 32-bit number (e.g. RINCON_...:3426502563).
            number = zlib.crc32(f"{self.spec.household_id}/{coordinator.uid}/{self._group_serial}".encode())
            self.group_ids[coordinator.uid] = f"{coordinator.uid}:{number}"
        return self.group_ids[coordinator.uid]

    def apply_groups(self, groups: tuple[GroupSpec, ...], log: bool = True) -> None:
        """Make the topology exactly `groups`; players named nowhere stand alone."""
        for player in self.players.values():
            if player.spec.bonded_to is not None:
                player.transport.uri = f"x-rincon:{self.players[player.spec.bonded_to].uid}"
            else:
                self._set_coordinator(player, player)
        for group in groups:
            coordinator = self.players[group.coordinator]
            for name in group.members:
                self._set_coordinator(self.players[name], coordinator)
        self.group_ids.clear()
        if log:
            for player in self.players.values():
                self.log_state(player, "regroup")

    def _set_coordinator(self, player: Player, coordinator: Player) -> None:
        previous = self.coordinator_of.get(player.uid)
        self.coordinator_of[player.uid] = coordinator.uid
        if coordinator is player:
            if previous is not None and previous != player.uid:
                self._leave_to_standalone(player)
        else:
            self._cancel_timer(player.transport)
            player.transport.uri = f"x-rincon:{coordinator.uid}"
            player.transport.uri_metadata = ""
            player.transport.state = "STOPPED"

    def _leave_to_standalone(self, player: Player) -> None:
        """After leaving a group a player is stopped on its own queue (or idle if it has none)."""
        transport = player.transport
        self._cancel_timer(transport)
        transport.uri = f"x-rincon-queue:{player.uid}#0" if player.queue else ""
        transport.uri_metadata = ""
        transport.state = "STOPPED"
        transport.track = 1
        transport.anchor_position = 0.0

    def join(self, player: Player, target: Player) -> None:
        """`player` follows `target`'s group (SetAVTransportURI x-rincon:<uid>)."""
        coordinator = self.coordinator(target)
        if coordinator is player:
            raise UpnpFault(402, "cannot join own group")
        self._hand_over_group(player)
        self._set_coordinator(player, coordinator)
        self.group_ids.pop(player.uid, None)
        self._topology_changed()
        self.log_state(player, "join")

    def unjoin(self, player: Player) -> None:
        """BecomeCoordinatorOfStandaloneGroup."""
        if self.is_coordinator(player):
            self._hand_over_group(player)
        else:
            self.coordinator_of[player.uid] = player.uid
            self._leave_to_standalone(player)
        self._topology_changed()
        self.log_state(player, "unjoin")

    def _hand_over_group(self, leaving: Player) -> None:
        """A coordinator leaving its group hands the transport to the next member."""
        if not self.is_coordinator(leaving):
            return
        others = [p for p in self.visible_members(leaving) if p is not leaving]
        if not others:
            return
        heir = others[0]
        group_id = self.group_ids.pop(leaving.uid, None)
        if group_id is not None:  # the group goes on under its heir, with its id; the one who left stands alone anew
            self.group_ids[heir.uid] = group_id
        self._cancel_timer(leaving.transport)
        heir.transport = leaving.transport
        leaving.transport = Transport()
        for member in others:
            self.coordinator_of[member.uid] = heir.uid
        if heir.transport.state == "TRANSITIONING":
            heir.transport.timer = self._call_later(self.transition_time, lambda: self._transition_done(heir))
        self._arm_end_timer(heir)
        self._leave_to_standalone(leaving)
        self.coordinator_of[leaving.uid] = leaving.uid
        for member in others:
            if member is not heir:
                member.transport.uri = f"x-rincon:{heir.uid}"
        self.log_state(heir, "became_coordinator")

    def _topology_changed(self) -> None:
        self._group_serial += 1

    def rename(self, player: Player, name: str) -> None:
        """SetZoneAttributes: the room gets a new name, as in the Sonos app. A bonded speaker
        (stereo pair half, satellite) renames its room, its primary. Any string XML 1.0 can
        carry is taken exactly as sent (402 otherwise, as for any invalid argument)."""
        problem = room_name_problem(name)
        if problem is not None:
            raise UpnpFault(402, f"DesiredZoneName {problem}")
        room = self.players[player.spec.bonded_to] if player.spec.bonded_to is not None else player
        old = room.name
        if old == name:
            return
        room.room = name
        self._topology_changed()
        self.events.write({"player": room.name, "uid": room.uid, "kind": "state", "service": None, "action": "renamed",
                           "args": {"from": old, "to": name}, "result": None, "fault": None, **self.snapshot_fields(room)})
        for listener in self.listeners:
            listener(room, change_kind("renamed"))

    # ---- transport --------------------------------------------------------------

    def set_source(self, player: Player, uri: str, metadata: str, duration: float = 0.0, error: str | None = None) -> None:
        """Replace what the coordinator plays. The old source is gone; a cloud session for good."""
        transport = player.transport
        old_uri = transport.uri
        self._cancel_timer(transport)
        if old_uri != uri and source_kind(old_uri) in ("cloud", "cloud_queue"):
            self.cloud_sessions.discard(old_uri)
        keep_track = source_kind(uri) == "queue" and transport.kind == "queue"
        transport.uri = uri
        transport.uri_metadata = metadata
        transport.single_duration = duration
        transport.single_title = ""
        transport.stream_content = ""
        transport.playback_error = error
        transport.status = "OK"
        transport.state = "STOPPED"
        transport.anchor_position = 0.0
        if not keep_track:
            transport.track = 1
        self.log_state(player, "SetAVTransportURI")

    def play(self, player: Player) -> None:
        transport = player.transport
        if transport.kind == "idle" or (transport.kind == "queue" and not player.queue):
            raise UpnpFault(701, "nothing to play")
        if transport.state in ("PLAYING", "TRANSITIONING"):
            return
        transport.anchor_position = self.position(transport)
        transport.state = "TRANSITIONING"
        transport.status = "OK"
        self.log_state(player, "Play")
        self._arm_transition(player)

    def _arm_transition(self, player: Player) -> None:
        self._cancel_timer(player.transport)
        player.transport.timer = self._call_later(self.transition_time, lambda: self._transition_done(player))

    def _transition_done(self, player: Player) -> None:
        transport = player.transport
        transport.timer = None
        if transport.playback_error is not None:
            transport.state = "STOPPED"
            transport.status = "ERROR_OCCURRED"
            transport.anchor_position = 0.0
            self.log_state(player, f"playback_failed: {transport.playback_error}")
            return
        transport.state = "PLAYING"
        transport.anchor_mono = time.monotonic()
        self.log_state(player, "playing")
        self._arm_end_timer(player)

    def pause(self, player: Player) -> None:
        transport = player.transport
        if transport.state not in ("PLAYING", "TRANSITIONING"):
            raise UpnpFault(701, "not playing")
        if transport.kind == "tv":
            raise UpnpFault(701, "TV input cannot pause")
        self._freeze(transport)
        transport.state = "PAUSED_PLAYBACK"
        self.log_state(player, "Pause")

    def pause_for_clip(self, player: Player) -> ClipPause | None:
        """A clip starts on a model whose clips pause its group: the music of the coordinator it
        follows pauses (a state event per member), or stays paused for the clips already holding
        it. The pause the clip holds, or None if nothing played."""
        coordinator = self.coordinator(player)
        transport = coordinator.transport
        held = transport.clip_pause
        if held is not None and held.untouched():
            held.clips += 1
            return held
        if transport.state not in ("PLAYING", "TRANSITIONING") or transport.kind == "tv":
            return None
        self._freeze(transport)
        transport.state = "PAUSED_PLAYBACK"
        transport.clip_pause = ClipPause(transport, transport.anchor_mono)
        self.log_state(coordinator, "clip_paused_group")
        return transport.clip_pause

    def resume_after_clip(self, pause: ClipPause) -> None:
        """A clip that paused the group ended: once no clip holds the pause, the music plays on
        from where it paused, with whichever player coordinates it now, unless someone paused,
        moved, stopped or replaced it meanwhile."""
        pause.clips -= 1
        transport = pause.transport
        if pause.clips > 0 or transport.clip_pause is not pause:
            return
        transport.clip_pause = None
        if not pause.untouched():
            return
        coordinator = self._owner(transport)
        transport.state = "PLAYING"
        transport.anchor_mono = time.monotonic()
        self.log_state(coordinator, "clip_resumed_group")
        self._arm_end_timer(coordinator)

    def stop(self, player: Player) -> None:
        transport = player.transport
        self._freeze(transport)
        transport.anchor_position = 0.0
        transport.state = "STOPPED"
        self.log_state(player, "Stop")

    def seek_track(self, player: Player, track: int, cause: str = "Seek") -> None:
        transport = player.transport
        if transport.kind != "queue":
            raise UpnpFault(701, "not on the queue")
        if not 1 <= track <= len(player.queue):
            raise UpnpFault(711, "illegal seek target")
        self._cancel_timer(transport)
        transport.track = track
        self._moved(player, 0.0, cause)

    def seek_time(self, player: Player, seconds: float) -> None:
        transport = player.transport
        if transport.kind not in ("queue", "http"):
            raise UpnpFault(701, "cannot seek in this source")
        duration = self.duration(transport)
        if seconds < 0 or (duration > 0 and seconds > duration):
            raise UpnpFault(711, "illegal seek target")
        self._cancel_timer(transport)
        self._moved(player, seconds, "Seek")

    def _moved(self, player: Player, position: float, cause: str) -> None:
        """After a seek: playing goes on from there, a transition in progress still completes
        (a real player buffers at the new place, then plays), paused and stopped stay so."""
        transport = player.transport
        transport.anchor_position = position
        transport.anchor_mono = time.monotonic()
        self.log_state(player, cause)
        if transport.state == "TRANSITIONING":
            self._arm_transition(player)
        else:
            self._arm_end_timer(player)

    def next_track(self, player: Player, step: int) -> None:
        transport = player.transport
        if transport.kind != "queue":
            raise UpnpFault(701, "not on the queue")
        target = transport.track + step
        if transport.play_mode in ("REPEAT_ALL", "SHUFFLE") and player.queue:
            target = (target - 1) % len(player.queue) + 1
        if not 1 <= target <= len(player.queue):
            raise UpnpFault(711, "no such track")
        self.seek_track(player, target, "Next" if step > 0 else "Previous")

    def transport_actions(self, player: Player) -> str:
        """CurrentTransportActions, the same in events and in GetCurrentTransportActions."""
        coordinator = self.coordinator(player)
        transport = coordinator.transport
        kind = transport.kind if coordinator is player else "member"
        if kind == "member":
            return "Stop, Play"
        if kind == "idle":
            return "Set"
        actions = ["Set", "Stop"]
        if kind not in ("line_in", "tv"):
            actions.append("Pause")
        actions.append("Play")
        if kind in ("queue", "http"):
            actions.append("X_DLNA_SeekTime")
        if kind == "queue":
            repeat = transport.play_mode in ("REPEAT_ALL", "SHUFFLE")
            if repeat or transport.track < len(coordinator.queue):
                actions.append("Next")
            actions.append("X_DLNA_SeekTrackNr")
            if repeat or transport.track > 1:
                actions.append("Previous")
        return ", ".join(actions)

    def set_sleep_timer(self, player: Player, seconds: float | None) -> None:
        """ConfigureSleepTimer: at the end, the transport pauses (a real player's sleep)."""
        transport = player.transport
        if transport.sleep_timer is not None:
            transport.sleep_timer.cancel()
            transport.sleep_timer = None
        transport.sleep_generation += 1
        if seconds is not None:
            transport.sleep_timer = self._call_later(seconds, lambda: self._fall_asleep(player))
        self.log_state(player, "ConfigureSleepTimer")

    def sleep_remaining(self, transport: Transport) -> float | None:
        if transport.sleep_timer is None or self.loop is None:
            return None
        return max(0.0, transport.sleep_timer.when() - self.loop.time())

    def _fall_asleep(self, player: Player) -> None:
        transport = player.transport
        transport.sleep_timer = None
        if transport.state in ("PLAYING", "TRANSITIONING"):
            self._freeze(transport)
            transport.state = "PAUSED_PLAYBACK" if transport.kind != "tv" else "STOPPED"
        self.log_state(player, "sleep_timer_expired")

    def queue_changed(self, player: Player) -> None:
        player.queue_update_id += 1
        transport = player.transport
        if transport.kind == "queue" and transport.track > max(1, len(player.queue)):
            self._freeze(transport)
            transport.track = 1
            transport.anchor_position = 0.0
            transport.state = "STOPPED"
        self.log_state(player, "queue_changed")

    def _freeze(self, transport: Transport) -> None:
        transport.anchor_position = self.position(transport)
        transport.anchor_mono = time.monotonic()
        self._cancel_timer(transport)

    def _arm_end_timer(self, player: Player) -> None:
        transport = player.transport
        if transport.state != "PLAYING":
            return
        duration = self.duration(transport)
        if duration <= 0:
            return
        remaining = max(0.0, duration - self.position(transport))
        self._cancel_timer(transport)
        transport.timer = self._call_later(remaining, lambda: self._end_of_track(player))

    def _end_of_track(self, player: Player) -> None:
        transport = player.transport
        transport.timer = None
        if transport.kind == "queue":
            following = self._following_track(player)
            if following is not None:
                transport.track = following
                transport.anchor_position = 0.0
                transport.anchor_mono = time.monotonic()
                self.log_state(player, "next_track")
                self._arm_end_timer(player)
                return
            transport.track = 1
        transport.anchor_position = 0.0
        transport.anchor_mono = time.monotonic()
        transport.state = "STOPPED"
        self.log_state(player, "end_of_media")

    def _following_track(self, player: Player) -> int | None:
        transport = player.transport
        if transport.play_mode in ("REPEAT_ONE", "SHUFFLE_REPEAT_ONE"):
            return transport.track
        if transport.track < len(player.queue):
            return transport.track + 1
        if transport.play_mode in ("REPEAT_ALL", "SHUFFLE"):
            return 1
        return None

    def _cancel_timer(self, transport: Transport) -> None:
        if transport.timer is not None:
            transport.timer.cancel()
            transport.timer = None

    def _call_later(self, delay: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        assert self.loop is not None, "household not attached to a loop"
        return self.loop.call_later(delay, callback)

    # ---- reporting --------------------------------------------------------------

    def state_of(self, player: Player) -> PlayerState:
        coordinator = self.coordinator(player)
        transport = coordinator.transport
        return PlayerState(
            transport_state=transport.state,
            uri=player.transport.uri if coordinator is not player else transport.uri,
            track=transport.track,
            position=round(self.position(transport), 3),
            volume=player.reported_volume,
            mute=player.mute,
            bass=player.bass,
            treble=player.treble,
            loudness=player.loudness,
            play_mode=transport.play_mode,
            crossfade=transport.crossfade,
            coordinator_uid=coordinator.uid,
            transport_status=transport.status,
            queue_length=len(player.queue),
        )

    def snapshot_fields(self, player: Player) -> dict[str, Any]:
        state = self.state_of(player)
        return {
            "transport_state": state.transport_state,
            "uri": state.uri,
            "track": state.track,
            "position": state.position,
            "volume": state.volume,
            "mute": state.mute,
        }

    def log_state(self, player: Player, cause: str) -> None:
        """One state event for `player` and, if it coordinates, one per follower."""
        affected = self.group_members(player) if self.is_coordinator(player) else []
        if player not in affected:
            affected.insert(0, player)
        for each in affected:
            self.events.write(
                {
                    "player": each.name,
                    "uid": each.uid,
                    "kind": "state",
                    "service": None,
                    "action": cause,
                    "args": {},
                    "result": None,
                    "fault": None,
                    **self.snapshot_fields(each),
                }
            )
        for listener in self.listeners:
            listener(player, change_kind(cause))


def _player_from_spec(spec: PlayerSpec, ip: str) -> Player:
    state = spec.state
    queue = [Track.from_spec(t) for t in state.queue]
    transport = Transport(
        uri=state.uri,
        uri_metadata="",
        single_duration=state.duration,
        single_title=state.title,
        stream_content=state.stream_content,
        track=state.track,
        state=state.transport_state if state.source != "idle" else "STOPPED",
        anchor_position=state.position,
        play_mode=state.play_mode,
        crossfade=state.crossfade,
    )
    return Player(
        spec=spec,
        ip=ip,
        transport=transport,
        queue=queue,
        volume=100 if state.output_fixed else state.volume,
        mute=state.mute,
        bass=state.bass,
        treble=state.treble,
        loudness=state.loudness,
        output_fixed=state.output_fixed,
        room=spec.name,
    )
