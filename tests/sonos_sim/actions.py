"""SOAP action handlers: each takes the player and its input arguments, returns output arguments
(in SCPD order) or raises UpnpFault with the code a real player gives."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import didl
from .descriptions import (
    HARDWARE_VERSION,
    mac_address,
    room_name,
    zone_group_state,
)
from .media import NotAudio, probe
from .model import (
    EQ_RANGES,
    Household,
    Player,
    Track,
    Transport,
    UpnpFault,
    source_kind,
)

# Transport commands a grouped non-coordinator refuses (SoCo sees 800 from real players).
COORDINATOR_ONLY = {"Play", "Pause", "Stop", "Seek", "Next", "Previous", "SetPlayMode", "SetCrossfadeMode", "ConfigureSleepTimer"}


@dataclass
class Call:
    household: Household
    player: Player
    args: dict[str, str]

    def arg(self, name: str) -> str:
        if name not in self.args:
            raise UpnpFault(402, f"missing argument {name}")
        return self.args[name]

    def int_arg(self, name: str, low: int, high: int) -> int:
        try:
            value = int(self.arg(name))
        except ValueError as exc:
            raise UpnpFault(402, f"{name} is not an integer") from exc
        if not low <= value <= high:
            raise UpnpFault(402, f"{name} out of range")
        return value

    def bool_arg(self, name: str) -> bool:
        value = self.arg(name).strip().lower()
        if value in ("1", "true", "yes"):
            return True
        if value in ("0", "false", "no"):
            return False
        raise UpnpFault(402, f"{name} is not a boolean")

    @property
    def coordinator(self) -> Player:
        return self.household.coordinator(self.player)


Result = dict[str, str]
Handler = Callable[[Call], Awaitable[Result]]
HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(service: str, action: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[(service, action)] = func
        return func

    return register


def flag(value: bool) -> str:
    return "1" if value else "0"


# ---- AVTransport: source -------------------------------------------------------------


@handles("AVTransport", "SetAVTransportURI")
async def set_av_transport_uri(call: Call) -> Result:
    household, player = call.household, call.player
    uri, metadata = call.arg("CurrentURI"), call.arg("CurrentURIMetaData")
    if player.is_bonded:
        raise UpnpFault(800, "bonded player follows its primary")
    kind = source_kind(uri)
    if kind == "member":
        target = household.by_uid.get(uri[len("x-rincon:"):])
        if target is None:
            raise UpnpFault(402, "unknown player")
        household.join(player, target)
        return {}
    if not household.is_coordinator(player):
        household.unjoin(player)
    duration, error = 0.0, None
    if kind == "http":
        try:
            result = await probe(uri, player.ip)
        except NotAudio as exc:
            raise UpnpFault(714, str(exc)) from exc
        duration, error = result.duration, result.error
    else:
        _check_source(household, player, uri, kind)
    household.set_source(player, uri, metadata, duration=duration, error=error)
    return {}


def _check_source(household: Household, player: Player, uri: str, kind: str) -> None:
    if kind in ("cloud", "cloud_queue") and uri not in household.cloud_sessions:
        raise UpnpFault(714, "cloud-controlled session is not available")
    if kind == "queue" and uri != f"x-rincon-queue:{player.uid}#0":
        raise UpnpFault(402, "not this player's queue")
    if kind == "line_in":
        owner = household.by_uid.get(uri[len("x-rincon-stream:"):])
        if owner is None or not owner.has_line_in:
            raise UpnpFault(701, "no such line-in")
    if kind == "tv" and (not player.is_soundbar or not uri.startswith(f"x-sonos-htastream:{player.uid}:")):
        raise UpnpFault(701, "no TV input on this player")
    if kind == "unknown":
        raise UpnpFault(714, "unsupported URI scheme")


@handles("AVTransport", "AddURIToQueue")
async def add_uri_to_queue(call: Call) -> Result:
    household, player = call.household, call.player
    uri = call.arg("EnqueuedURI")
    desired = call.int_arg("DesiredFirstTrackNumberEnqueued", 0, 2**31)
    track = await track_for_uri(household, player, uri, call.arg("EnqueuedURIMetaData"))
    position = len(player.queue) + 1 if desired == 0 or desired > len(player.queue) else desired
    if call.args.get("EnqueueAsNext", "0") in ("1", "true") and desired == 0:
        position = min(player.transport.track + 1, len(player.queue) + 1) if player.queue else 1
    player.queue.insert(position - 1, track)
    household.queue_changed(player)
    return {"FirstTrackNumberEnqueued": str(position), "NumTracksAdded": "1", "NewQueueLength": str(len(player.queue))}


async def track_for_uri(household: Household, player: Player, uri: str, metadata: str) -> Track:
    """The queue entry a player makes of a URI: what it knows of the file, else the metadata sent."""
    known = household.known_tracks.get(uri)
    if known is not None:
        return known.copy()
    duration = 180.0
    if source_kind(uri) == "http":
        try:
            result = await probe(uri, player.ip)
        except NotAudio as exc:
            raise UpnpFault(714, str(exc)) from exc
        duration = result.duration or duration
    return didl.track_from_metadata(uri, metadata, duration)


@handles("AVTransport", "RemoveAllTracksFromQueue")
async def remove_all_tracks(call: Call) -> Result:
    call.player.queue.clear()
    call.household.queue_changed(call.player)
    return {}


@handles("AVTransport", "RemoveTrackFromQueue")
async def remove_track(call: Call) -> Result:
    object_id = call.arg("ObjectID")
    try:
        index = int(object_id.rsplit("/", 1)[-1])
    except ValueError as exc:
        raise UpnpFault(701, "no such object") from exc
    if not 1 <= index <= len(call.player.queue):
        raise UpnpFault(701, "no such object")
    del call.player.queue[index - 1]
    call.household.queue_changed(call.player)
    return {}


# ---- AVTransport: reporting ----------------------------------------------------------


@handles("AVTransport", "GetMediaInfo")
async def get_media_info(call: Call) -> Result:
    """A member reports its own x-rincon: URI; a coordinator what the group plays."""
    household, player = call.household, call.player
    transport = player.transport
    if not household.is_coordinator(player):
        count = 0
    elif transport.kind == "queue":
        count = len(player.queue)
    else:
        count = 1 if transport.uri else 0
    return {
        "NrTracks": str(count),
        "MediaDuration": "NOT_IMPLEMENTED",
        "CurrentURI": transport.uri,
        "CurrentURIMetaData": media_metadata(household, player),
        "NextURI": "",
        "NextURIMetaData": "",
        "PlayMedium": "NONE" if transport.kind == "idle" else "NETWORK",
        "RecordMedium": "NOT_IMPLEMENTED",
        "WriteStatus": "NOT_IMPLEMENTED",
    }


def media_metadata(household: Household, player: Player) -> str:
    """GetMediaInfo's CurrentURIMetaData (and AVTransportURIMetaData in events): what the
    URI was set with; for a radio station set without any, the station's own."""
    transport = player.transport
    if transport.uri_metadata:
        return transport.uri_metadata
    if household.is_coordinator(player) and transport.kind == "radio" and transport.single_title:
        return didl.station_didl(transport.single_title)
    if household.is_coordinator(player) and transport.kind == "tv":
        return didl.tv_input_didl(player.uid)
    return ""


@handles("AVTransport", "GetTransportInfo")
async def get_transport_info(call: Call) -> Result:
    transport = call.coordinator.transport
    return {"CurrentTransportState": transport.state, "CurrentTransportStatus": transport.status, "CurrentSpeed": "1"}


@handles("AVTransport", "GetPositionInfo")
async def get_position_info(call: Call) -> Result:
    household, coordinator = call.household, call.coordinator
    transport = coordinator.transport
    position = household.position(transport)
    track = household.current_track(transport)
    kind = transport.kind
    if kind == "idle":
        return _position_result("0", "0:00:00", "", "", "0:00:00")
    if track is not None:
        return _position_result(str(transport.track), didl.hms(track.duration), didl.track_didl(track), track.uri, didl.hms(position))
    if kind == "http":
        metadata = transport.uri_metadata or "NOT_IMPLEMENTED"
        return _position_result("1", didl.hms(transport.single_duration), metadata, transport.uri, didl.hms(position))
    if kind == "radio":
        return _position_result("1", "0:00:00", radio_track_metadata(transport), transport.uri, didl.hms(position))
    if kind == "tv":
        return _position_result("1", "0:00:00", didl.tv_track_didl(), transport.uri, didl.hms(position))
    return _position_result("1", "0:00:00", "NOT_IMPLEMENTED", transport.uri, didl.hms(position))


def radio_track_metadata(transport: Transport) -> str:
    """A station's current track: its name and what it says is playing (r:streamContent)."""
    return didl.stream_didl(transport.single_title, transport.stream_content)


def _position_result(track: str, duration: str, metadata: str, uri: str, rel_time: str) -> Result:
    return {
        "Track": track,
        "TrackDuration": duration,
        "TrackMetaData": metadata,
        "TrackURI": uri,
        "RelTime": rel_time,
        "AbsTime": "NOT_IMPLEMENTED",
        "RelCount": "2147483647",
        "AbsCount": "2147483647",
    }


@handles("AVTransport", "GetTransportSettings")
async def get_transport_settings(call: Call) -> Result:
    return {"PlayMode": call.coordinator.transport.play_mode, "RecQualityMode": "NOT_IMPLEMENTED"}


@handles("AVTransport", "GetCrossfadeMode")
async def get_crossfade_mode(call: Call) -> Result:
    return {"CrossfadeMode": flag(call.coordinator.transport.crossfade)}


@handles("AVTransport", "GetCurrentTransportActions")
async def get_current_transport_actions(call: Call) -> Result:
    return {"Actions": call.household.transport_actions(call.player)}


@handles("AVTransport", "GetRemainingSleepTimerDuration")
async def get_sleep_timer(call: Call) -> Result:
    transport = call.coordinator.transport
    remaining = call.household.sleep_remaining(transport)
    return {
        "RemainingSleepTimerDuration": "" if remaining is None else didl.hms(remaining),
        "CurrentSleepTimerGeneration": str(transport.sleep_generation),
    }


@handles("AVTransport", "ConfigureSleepTimer")
async def configure_sleep_timer(call: Call) -> Result:
    text = call.arg("NewSleepTimerDuration")
    if not text:
        call.household.set_sleep_timer(call.player, None)
        return {}
    try:
        seconds = didl.parse_hms(text)
    except ValueError as exc:
        raise UpnpFault(402, "duration is H:MM:SS") from exc
    if not 0 <= seconds < 86400:
        raise UpnpFault(402, "duration out of range")
    call.household.set_sleep_timer(call.player, seconds)
    return {}


# ---- AVTransport: commands -----------------------------------------------------------


@handles("AVTransport", "Play")
async def play(call: Call) -> Result:
    call.household.play(call.player)
    return {}


@handles("AVTransport", "Pause")
async def pause(call: Call) -> Result:
    call.household.pause(call.player)
    return {}


@handles("AVTransport", "Stop")
async def stop(call: Call) -> Result:
    call.household.stop(call.player)
    return {}


@handles("AVTransport", "Seek")
async def seek(call: Call) -> Result:
    unit, target = call.arg("Unit"), call.arg("Target")
    if unit == "TRACK_NR":
        try:
            number = int(target)
        except ValueError as exc:
            raise UpnpFault(711, "illegal seek target") from exc
        call.household.seek_track(call.player, number)
    elif unit == "REL_TIME":
        try:
            seconds = didl.parse_hms(target)
        except ValueError as exc:
            raise UpnpFault(711, "illegal seek target") from exc
        call.household.seek_time(call.player, seconds)
    else:
        raise UpnpFault(710, "seek mode not supported")
    return {}


@handles("AVTransport", "Next")
async def next_track(call: Call) -> Result:
    call.household.next_track(call.player, 1)
    return {}


@handles("AVTransport", "Previous")
async def previous_track(call: Call) -> Result:
    call.household.next_track(call.player, -1)
    return {}


@handles("AVTransport", "SetPlayMode")
async def set_play_mode(call: Call) -> Result:
    mode = call.arg("NewPlayMode")
    if mode not in ("NORMAL", "REPEAT_ALL", "REPEAT_ONE", "SHUFFLE_NOREPEAT", "SHUFFLE", "SHUFFLE_REPEAT_ONE"):
        raise UpnpFault(402, "invalid play mode")
    if call.player.transport.kind != "queue":
        raise UpnpFault(712, "play mode not supported for this source")
    call.player.transport.play_mode = mode
    call.household.log_state(call.player, "SetPlayMode")
    return {}


@handles("AVTransport", "SetCrossfadeMode")
async def set_crossfade_mode(call: Call) -> Result:
    call.player.transport.crossfade = call.bool_arg("CrossfadeMode")
    call.household.log_state(call.player, "SetCrossfadeMode")
    return {}


@handles("AVTransport", "BecomeCoordinatorOfStandaloneGroup")
async def become_standalone(call: Call) -> Result:
    if call.player.is_bonded:
        raise UpnpFault(800, "bonded player follows its primary")
    call.household.unjoin(call.player)
    return {"DelegatedGroupCoordinatorID": "", "NewGroupID": call.household.group_id(call.player)}


# ---- RenderingControl -------------------------------------------------------------


def _set_volume(call: Call, player: Player, volume: int, cause: str) -> None:
    if player.output_fixed:
        raise UpnpFault(701, "output is fixed")
    cancel_ramp(player)
    player.volume = max(0, min(100, volume))
    call.household.log_state(player, cause)


def _channel(call: Call) -> str:
    channel = call.args.get("Channel", "Master")
    if channel not in ("Master", "LF", "RF"):
        raise UpnpFault(402, "unknown channel")
    return channel


@handles("RenderingControl", "GetVolume")
async def get_volume(call: Call) -> Result:
    channel = _channel(call)
    volume = call.player.reported_volume if channel == "Master" else call.player.channel_volume[channel]
    return {"CurrentVolume": str(volume)}


@handles("RenderingControl", "SetVolume")
async def set_volume(call: Call) -> Result:
    channel = _channel(call)
    desired = call.int_arg("DesiredVolume", 0, 100)
    if channel == "Master":
        _set_volume(call, call.player, desired, "SetVolume")
    else:
        call.player.channel_volume[channel] = desired
        call.household.log_state(call.player, "SetVolume")
    return {}


@handles("RenderingControl", "SetRelativeVolume")
async def set_relative_volume(call: Call) -> Result:
    _set_volume(call, call.player, call.player.volume + call.int_arg("Adjustment", -100, 100), "SetRelativeVolume")
    return {"NewVolume": str(call.player.volume)}


@handles("RenderingControl", "GetMute")
async def get_mute(call: Call) -> Result:
    channel = _channel(call)
    mute = call.player.mute if channel == "Master" else call.player.channel_mute[channel]
    return {"CurrentMute": flag(mute)}


@handles("RenderingControl", "SetMute")
async def set_mute(call: Call) -> Result:
    channel = _channel(call)
    desired = call.bool_arg("DesiredMute")
    if channel == "Master":
        call.player.mute = desired
    else:
        call.player.channel_mute[channel] = desired
    call.household.log_state(call.player, "SetMute")
    return {}


@handles("RenderingControl", "GetBass")
async def get_bass(call: Call) -> Result:
    return {"CurrentBass": str(call.player.bass)}


@handles("RenderingControl", "SetBass")
async def set_bass(call: Call) -> Result:
    call.player.bass = call.int_arg("DesiredBass", -10, 10)
    call.household.log_state(call.player, "SetBass")
    return {}


@handles("RenderingControl", "GetTreble")
async def get_treble(call: Call) -> Result:
    return {"CurrentTreble": str(call.player.treble)}


@handles("RenderingControl", "SetTreble")
async def set_treble(call: Call) -> Result:
    call.player.treble = call.int_arg("DesiredTreble", -10, 10)
    call.household.log_state(call.player, "SetTreble")
    return {}


@handles("RenderingControl", "GetLoudness")
async def get_loudness(call: Call) -> Result:
    return {"CurrentLoudness": flag(call.player.loudness)}


@handles("RenderingControl", "SetLoudness")
async def set_loudness(call: Call) -> Result:
    call.player.loudness = call.bool_arg("DesiredLoudness")
    call.household.log_state(call.player, "SetLoudness")
    return {}


@handles("RenderingControl", "GetEQ")
async def get_eq(call: Call) -> Result:
    eq_type = call.arg("EQType")
    if eq_type not in call.player.eq:
        raise UpnpFault(402, "unknown EQ type")
    return {"CurrentValue": str(call.player.eq[eq_type])}


@handles("RenderingControl", "SetEQ")
async def set_eq(call: Call) -> Result:
    eq_type = call.arg("EQType")
    if eq_type not in call.player.eq:
        raise UpnpFault(402, "unknown EQ type")
    low, high = EQ_RANGES[eq_type]
    call.player.eq[eq_type] = call.int_arg("DesiredValue", low, high)
    return {}


@handles("RenderingControl", "GetOutputFixed")
async def get_output_fixed(call: Call) -> Result:
    return {"CurrentFixed": flag(call.player.output_fixed)}


@handles("RenderingControl", "SetOutputFixed")
async def set_output_fixed(call: Call) -> Result:
    if not call.player.has_line_in:
        raise UpnpFault(701, "output cannot be fixed on this model")
    call.player.output_fixed = call.bool_arg("DesiredFixed")
    return {}


@handles("RenderingControl", "GetSupportsOutputFixed")
async def get_supports_output_fixed(call: Call) -> Result:
    return {"CurrentSupportsFixed": flag(call.player.has_line_in)}


@handles("RenderingControl", "GetRoomCalibrationStatus")
async def get_room_calibration(call: Call) -> Result:
    return {"RoomCalibrationEnabled": "0", "RoomCalibrationAvailable": "0"}


@dataclass(frozen=True)
class RampProfile:
    """How a real player ramps (SoCo's ramp_to_volume, from SoCo/SoCo#506): where it starts,
    how long it waits first, and how many volume steps a second it moves."""

    from_zero: bool
    wait: float
    rate: float


RAMP_PROFILES = {
    "SLEEP_TIMER_RAMP_TYPE": RampProfile(from_zero=False, wait=0.0, rate=1.25),  # from the volume it has
    "ALARM_RAMP_TYPE": RampProfile(from_zero=True, wait=30.0, rate=2.5),  # to 0, about 30 s, then up
    "AUTOPLAY_RAMP_TYPE": RampProfile(from_zero=True, wait=0.0, rate=50.0),  # to 0, then quickly up
}


@handles("RenderingControl", "RampToVolume")
async def ramp_to_volume(call: Call) -> Result:
    player, household = call.player, call.household
    target = call.int_arg("DesiredVolume", 0, 100)
    profile = RAMP_PROFILES.get(call.arg("RampType"))
    if profile is None:
        raise UpnpFault(402, "invalid ramp type")
    if player.output_fixed:
        raise UpnpFault(701, "output is fixed")
    start = 0 if profile.from_zero else player.volume
    speedup = household.spec.ramp_speedup
    seconds = abs(target - start) / profile.rate / speedup
    cancel_ramp(player)
    if profile.from_zero and player.volume != 0:
        player.volume = 0
        household.log_state(player, "ramp")
    player.ramp = asyncio.get_running_loop().create_task(_ramp(call, player, start, target, profile.wait / speedup, seconds))
    # RampTime is the ramp's length in whole seconds, rounded down, without the wait.
    return {"RampTime": str(int(seconds))}


def cancel_ramp(player: Player) -> None:
    """A player has one volume: a new ramp or a volume set replaces a ramp under way."""
    if player.ramp is not None:
        player.ramp.cancel()
        player.ramp = None


async def _ramp(call: Call, player: Player, start: int, target: int, wait: float, seconds: float) -> None:
    await asyncio.sleep(wait)
    begin = time.monotonic()
    while True:
        fraction = 1.0 if seconds <= 0 else min(1.0, (time.monotonic() - begin) / seconds)
        volume = round(start + (target - start) * fraction)
        if volume != player.volume:
            player.volume = volume
            call.household.log_state(player, "ramp")
        if fraction >= 1.0:
            call.household.log_state(player, "ramp_end")
            player.ramp = None
            return
        await asyncio.sleep(0.05)


# ---- GroupRenderingControl ---------------------------------------------------------


def _require_coordinator(call: Call) -> list[Player]:
    if not call.household.is_coordinator(call.player):
        raise UpnpFault(701, "group rendering is answered by the coordinator")
    return call.household.visible_members(call.player)


def group_volume(members: list[Player]) -> int:
    return round(sum(p.volume for p in members) / len(members))


def group_mute(members: list[Player]) -> bool:
    return all(p.mute for p in members)


@handles("GroupRenderingControl", "GetGroupVolume")
async def get_group_volume(call: Call) -> Result:
    return {"CurrentVolume": str(group_volume(_require_coordinator(call)))}


@handles("GroupRenderingControl", "SetGroupVolume")
async def set_group_volume(call: Call) -> Result:
    _scale_group_volume(call, call.int_arg("DesiredVolume", 0, 100))
    return {}


@handles("GroupRenderingControl", "SetRelativeGroupVolume")
async def set_relative_group_volume(call: Call) -> Result:
    members = _require_coordinator(call)
    _scale_group_volume(call, max(0, min(100, group_volume(members) + call.int_arg("Adjustment", -100, 100))))
    return {"NewVolume": str(group_volume(members))}


def _scale_group_volume(call: Call, desired: int) -> None:
    """Like a player: keep the members' proportions, move the average to `desired`."""
    members = _require_coordinator(call)
    current = group_volume(members)
    for member in members:
        if member.output_fixed:
            continue
        if current == 0:
            member.volume = desired
        else:
            member.volume = max(0, min(100, round(member.volume + (desired - current))))
        call.household.log_state(member, "SetGroupVolume")


@handles("GroupRenderingControl", "GetGroupMute")
async def get_group_mute(call: Call) -> Result:
    return {"CurrentMute": flag(group_mute(_require_coordinator(call)))}


@handles("GroupRenderingControl", "SetGroupMute")
async def set_group_mute(call: Call) -> Result:
    mute = call.bool_arg("DesiredMute")
    for member in _require_coordinator(call):
        member.mute = mute
        call.household.log_state(member, "SetGroupMute")
    return {}


@handles("GroupRenderingControl", "SnapshotGroupVolume")
async def snapshot_group_volume(call: Call) -> Result:
    _require_coordinator(call)
    return {}


# ---- ZoneGroupTopology, DeviceProperties, ContentDirectory, AlarmClock --------------


@handles("ZoneGroupTopology", "GetZoneGroupState")
async def get_zone_group_state(call: Call) -> Result:
    return {"ZoneGroupState": zone_group_state(call.household)}


@handles("ZoneGroupTopology", "GetZoneGroupAttributes")
async def get_zone_group_attributes(call: Call) -> Result:
    household, coordinator = call.household, call.coordinator
    members = household.visible_members(coordinator)
    name = room_name(household, coordinator) + (f" + {len(members) - 1}" if len(members) > 1 else "")
    return {
        "CurrentZoneGroupName": name,
        "CurrentZoneGroupID": household.group_id(coordinator),
        "CurrentZonePlayerUUIDsInGroup": ",".join(p.uid for p in household.group_members(coordinator)),
        "CurrentMuseHouseholdId": household.spec.household_id + ".0",
    }


@handles("DeviceProperties", "GetHouseholdID")
async def get_household_id(call: Call) -> Result:
    return {"CurrentHouseholdID": call.household.spec.household_id}


@handles("DeviceProperties", "GetZoneAttributes")
async def get_zone_attributes(call: Call) -> Result:
    room = _room(call)
    return {
        "CurrentZoneName": room.name,
        "CurrentIcon": room.icon,
        "CurrentConfiguration": room.configuration,
        "CurrentTargetRoomName": room.name,
    }


@handles("DeviceProperties", "SetZoneAttributes")
async def set_zone_attributes(call: Call) -> Result:
    """Rename the room (what the Sonos app and SoCo's player_name setter send). SoCo sends
    DesiredZoneName, DesiredIcon and DesiredConfiguration, the latter two empty; an argument
    left out keeps what the room has (an empty icon or configuration too); an empty name is 402.
    The name is taken exactly as it arrives."""
    room = _room(call)
    if "DesiredZoneName" in call.args:
        call.household.rename(call.player, call.args["DesiredZoneName"])  # 402 for "" and what XML cannot carry
    room.icon = call.args.get("DesiredIcon") or room.icon
    room.configuration = call.args.get("DesiredConfiguration") or room.configuration
    return {}


def _room(call: Call) -> Player:
    return room_of(call.household, call.player)


def room_of(household: Household, player: Player) -> Player:
    """The player that holds the room's name: a bonded speaker's primary, else itself."""
    bonded_to = player.spec.bonded_to
    return household.players[bonded_to] if bonded_to is not None else player


@handles("DeviceProperties", "GetZoneInfo")
async def get_zone_info(call: Call) -> Result:
    return {
        "SerialNumber": mac_address(call.player).replace(":", "-") + ":E",
        "SoftwareVersion": call.household.spec.firmware.software_version,
        "DisplaySoftwareVersion": call.household.spec.firmware.display_version,
        "HardwareVersion": HARDWARE_VERSION,
        "IPAddress": call.player.ip,
        "MACAddress": mac_address(call.player).upper(),
        "CopyrightInfo": "© 2004-2026 Sonos, Inc. All Rights Reserved.",
        "ExtraInfo": "",
        "HTAudioIn": "0",
        "Flags": "0",
    }


@handles("DeviceProperties", "GetInvisible")
async def get_invisible(call: Call) -> Result:
    return {"CurrentInvisible": flag(call.player.is_bonded)}


@handles("DeviceProperties", "GetLEDState")
async def get_led_state(call: Call) -> Result:
    return {"CurrentLEDState": "On" if call.player.led_on else "Off"}


@handles("DeviceProperties", "SetLEDState")
async def set_led_state(call: Call) -> Result:
    state = call.arg("DesiredLEDState")
    if state not in ("On", "Off"):
        raise UpnpFault(402, "LED state is On or Off")
    call.player.led_on = state == "On"
    return {}


@handles("DeviceProperties", "GetButtonLockState")
async def get_button_lock_state(call: Call) -> Result:
    return {"CurrentButtonLockState": "Off"}


@handles("ContentDirectory", "GetShareIndexInProgress")
async def get_share_index_in_progress(call: Call) -> Result:
    return {"IsIndexing": "0"}


@handles("ContentDirectory", "GetAlbumArtistDisplayOption")
async def get_album_artist_display_option(call: Call) -> Result:
    return {"AlbumArtistDisplayOption": "WMP"}


@handles("ContentDirectory", "RefreshShareIndex")
async def refresh_share_index(call: Call) -> Result:
    return {}


@handles("AlarmClock", "ListAlarms")
async def list_alarms(call: Call) -> Result:
    return {"CurrentAlarmList": "<Alarms></Alarms>", "CurrentAlarmListVersion": alarm_list_version(call.player)}


def alarm_list_version(player: Player) -> str:
    """The list never changes here (no alarms): one version, in firmware's "<uid>:<n>" form."""
    return f"{player.uid}:1"
