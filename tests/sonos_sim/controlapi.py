"""The Control API namespaces a player's local websocket serves besides `audioClip:1`.

What controllers ask before they play a clip (Home Assistant's sonos-websocket, aiosonos):
`groups:1` getGroups, and for the groups and players it lists `playerVolume:1`,
`groupVolume:1`, `playback:1` getPlaybackStatus and `playbackMetadata:1` getMetadataStatus
(docs.sonos.com/reference: groups, playerVolume, groupVolume, playback, playbackMetadata).
Every answer is read from, and every change made to, the household state SOAP uses; a change
logs the state event its SOAP twin logs (SetVolume, SetGroupVolume, ...), so GENA events and
GetVolume follow it.

Errors are the Control API's globalError codes (docs.sonos.com/docs/globalerror): an unknown
namespace ERROR_UNSUPPORTED_NAMESPACE, an unknown command ERROR_UNSUPPORTED_COMMAND, a target
id that is not this player ERROR_INVALID_OBJECT_ID, a missing target or body parameter
ERROR_MISSING_PARAMETERS, a bad value ERROR_INVALID_PARAMETER. A group command sent to a player
that does not coordinate that group is answered `groupCoordinatorChanged` (success false, no
errorCode), as aiosonos expects of a player's local socket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .descriptions import room_name
from .model import Household, Player

PORT = 1443
CAPABILITIES = ("CLOUD", "PLAYBACK", "AIRPLAY", "VOICE")
API_VERSION = "1.41.0"
MIN_API_VERSION = "1.1.0"
SOFTWARE_VERSION = "85.0-64200"
PLAYBACK_STATES = {
    "PLAYING": "PLAYBACK_STATE_PLAYING",
    "PAUSED_PLAYBACK": "PLAYBACK_STATE_PAUSED",
    "TRANSITIONING": "PLAYBACK_STATE_BUFFERING",
    "STOPPED": "PLAYBACK_STATE_IDLE",
}
PLAY_MODES = {  # AVTransport's PlayMode as playModes: (repeat, repeatOne, shuffle)
    "NORMAL": (False, False, False),
    "REPEAT_ALL": (True, False, False),
    "REPEAT_ONE": (False, True, False),
    "SHUFFLE_NOREPEAT": (False, False, True),
    "SHUFFLE": (True, False, True),
    "SHUFFLE_REPEAT_ONE": (False, True, True),
}


class Refused(Exception):
    """A command the player answers with success false: a globalError unless `reply` says otherwise."""

    def __init__(self, code: str, reason: str, reply: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.reply = reply

    @property
    def kind(self) -> str:
        """The reply header's type."""
        return "globalError" if self.reply is None else str(self.reply["_objectType"])

    def body(self) -> dict[str, Any]:
        if self.reply is not None:
            return self.reply
        return {"_objectType": "globalError", "errorCode": self.code, "reason": self.reason}


def websocket_url(player: Player) -> str:
    return f"wss://{player.ip}:{PORT}/websocket/api"


def capabilities(player: Player) -> list[str]:
    found = list(CAPABILITIES) + (["AUDIO_CLIP"] if player.plays_clips else [])
    if player.has_line_in:
        found.append("LINE_IN")
    return found


def device_info(household: Household, player: Player) -> dict[str, Any]:
    return {
        "_objectType": "deviceInfo", "id": player.uid, "primaryDeviceId": "",
        "serialNumber": f"00-0E-58-{player.uid[-6:]}:0", "model": player.model_number,
        "modelDisplayName": player.hardware.display_name, "color": "Black", "capabilities": capabilities(player),
        "apiVersion": API_VERSION, "minApiVersion": MIN_API_VERSION, "name": room_name(household, player),
        "websocketUrl": websocket_url(player), "softwareVersion": SOFTWARE_VERSION, "hwVersion": "1.8.1.2-2.0",
        "swGen": 2,
    }


@dataclass(frozen=True)
class Command:
    """One command to this player's socket: its header and body."""

    household: Household
    player: Player
    header: dict[str, Any]
    body: dict[str, Any]

    def target(self, key: str) -> str:
        value = self.header.get(key)
        if not isinstance(value, str) or not value:
            raise Refused("ERROR_MISSING_PARAMETERS", f"Missing required value:[0].{key}")
        return value

    def own_player(self) -> Player:
        if self.target("playerId") != self.player.uid:
            raise Refused("ERROR_INVALID_OBJECT_ID", "the local API speaks only for its own player")
        return self.player

    def own_household(self) -> None:
        if self.target("householdId") != self.household.spec.household_id:
            raise Refused("ERROR_INVALID_OBJECT_ID", "not this player's household")

    def coordinated_group(self) -> list[Player]:
        """The members of the group named by groupId, if this player coordinates it."""
        group_id = self.target("groupId")
        coordinator = named_group(self.household, group_id)
        if coordinator is not self.player:
            raise Refused("groupCoordinatorChanged", "not this player's group",
                          coordinator_changed(self.household, coordinator))
        return self.household.visible_members(coordinator)

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.body.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Refused("ERROR_INVALID_PARAMETER", f"{key} must be a whole number within {low}-{high}")
        return value

    def flag(self, key: str) -> bool | None:
        value = self.body.get(key)
        if value is not None and not isinstance(value, bool):
            raise Refused("ERROR_INVALID_PARAMETER", f"{key} must be true or false")
        return value


def named_group(household: Household, group_id: str) -> Player | None:
    return next((c for c in household.coordinators() if household.group_id(c) == group_id), None)


def coordinator_changed(household: Household, coordinator: Player | None) -> dict[str, Any]:
    """What a player answers a group command for a group it does not coordinate."""
    if coordinator is None:
        return {"_objectType": "groupCoordinatorChanged", "groupStatus": "GROUP_STATUS_GONE"}
    return {"_objectType": "groupCoordinatorChanged", "groupStatus": "GROUP_STATUS_MOVED",
            "groupName": group_name(household, coordinator), "playerId": coordinator.uid,
            "websocketUrl": websocket_url(coordinator)}


# ---- groups:1


def group_name(household: Household, coordinator: Player) -> str:
    others = len(household.visible_members(coordinator)) - 1
    name = room_name(household, coordinator)
    return f"{name} + {others}" if others else name


def group_body(household: Household, coordinator: Player) -> dict[str, Any]:
    return {"_objectType": "group", "id": household.group_id(coordinator), "name": group_name(household, coordinator),
            "coordinatorId": coordinator.uid, "playbackState": PLAYBACK_STATES[coordinator.transport.state],
            "playerIds": [member.uid for member in household.visible_members(coordinator)]}


def player_body(household: Household, player: Player, with_devices: bool) -> dict[str, Any]:
    """A player as getGroups lists it: a stereo pair or home theatre is one player of several devices."""
    devices = [player, *(p for p in household.group_members(household.coordinator(player)) if p.spec.bonded_to == player.key)]
    body: dict[str, Any] = {
        "_objectType": "player", "id": player.uid, "name": room_name(household, player),
        "websocketUrl": websocket_url(player), "softwareVersion": SOFTWARE_VERSION, "apiVersion": API_VERSION,
        "minApiVersion": MIN_API_VERSION, "capabilities": capabilities(player), "deviceIds": [d.uid for d in devices],
    }
    if with_devices:
        body["devices"] = [device_info(household, device) for device in devices]
    return body


def get_groups(command: Command) -> dict[str, Any]:
    command.own_household()
    household = command.household
    coordinators = household.coordinators()
    players = [member for coordinator in coordinators for member in household.visible_members(coordinator)]
    with_devices = command.body.get("includeDeviceInfo") is True
    return {"_objectType": "groups", "partial": False,
            "groups": [group_body(household, coordinator) for coordinator in coordinators],
            "players": [player_body(household, player, with_devices) for player in players]}


# ---- playerVolume:1


def player_volume(command: Command) -> dict[str, Any]:
    player = command.own_player()
    return {"_objectType": "playerVolume", "volume": player.reported_volume, "muted": player.mute,
            "fixed": player.output_fixed}


def set_player_volume(command: Command, cause: str, volume: int | None, muted: bool | None) -> dict[str, Any]:
    player = command.own_player()
    if volume is None and muted is None:
        raise Refused("ERROR_MISSING_PARAMETERS", "Missing required value: volume or muted")
    if volume is not None:
        if player.output_fixed:
            raise Refused("ERROR_COMMAND_FAILED", "the player's volume is fixed")
        player.volume = max(0, min(100, volume))
    if muted is not None:
        player.mute = muted
    command.household.log_state(player, cause if volume is not None else "SetMute")
    return {}


def set_volume(command: Command) -> dict[str, Any]:
    return set_player_volume(command, "SetVolume", command.integer("volume", 0, 100), command.flag("muted"))


def set_relative_volume(command: Command) -> dict[str, Any]:
    delta = command.integer("volumeDelta", -100, 100)
    target = None if delta is None else command.own_player().volume + delta
    return set_player_volume(command, "SetRelativeVolume", target, command.flag("muted"))


def set_mute(command: Command) -> dict[str, Any]:
    muted = command.flag("muted")
    if muted is None:
        raise Refused("ERROR_MISSING_PARAMETERS", "Missing required value: muted")
    return set_player_volume(command, "SetMute", None, muted)


# ---- groupVolume:1


def average_volume(members: list[Player]) -> int:
    return round(sum(member.volume for member in members) / len(members))


def group_volume(command: Command) -> dict[str, Any]:
    members = command.coordinated_group()
    return {"_objectType": "groupVolume", "volume": average_volume(members),
            "muted": all(member.mute for member in members), "fixed": all(member.output_fixed for member in members)}


def scale_group_volume(command: Command, members: list[Player], desired: int) -> None:
    """As SetGroupVolume does: every member moves by the same step, so their proportions stay."""
    step = desired - average_volume(members)
    for member in members:
        if not member.output_fixed:
            member.volume = max(0, min(100, member.volume + step))
        command.household.log_state(member, "SetGroupVolume")


def set_group_volume(command: Command) -> dict[str, Any]:
    members = command.coordinated_group()
    volume = command.integer("volume", 0, 100)
    if volume is None:
        raise Refused("ERROR_MISSING_PARAMETERS", "Missing required value: volume")
    scale_group_volume(command, members, volume)
    return {}


def set_relative_group_volume(command: Command) -> dict[str, Any]:
    members = command.coordinated_group()
    delta = command.integer("volumeDelta", -100, 100)
    if delta is None:
        raise Refused("ERROR_MISSING_PARAMETERS", "Missing required value: volumeDelta")
    scale_group_volume(command, members, max(0, min(100, average_volume(members) + delta)))
    return {}


def set_group_mute(command: Command) -> dict[str, Any]:
    members = command.coordinated_group()
    muted = command.flag("muted")
    if muted is None:
        raise Refused("ERROR_MISSING_PARAMETERS", "Missing required value: muted")
    for member in members:
        member.mute = muted
        command.household.log_state(member, "SetGroupMute")
    return {}


# ---- playback:1 and playbackMetadata:1


def playback_actions(household: Household, coordinator: Player) -> dict[str, Any]:
    """The transport's CurrentTransportActions, as playback:1 names them."""
    actions = {action.strip() for action in household.transport_actions(coordinator).split(",")}
    return {"_objectType": "playbackAction", "canPlay": "Play" in actions, "canPause": "Pause" in actions,
            "canStop": "Stop" in actions, "canSkip": "Next" in actions, "canSkipBack": "Previous" in actions,
            "canSkipToPrevious": "Previous" in actions, "canSeek": "X_DLNA_SeekTime" in actions,
            "canRepeat": "X_DLNA_SeekTrackNr" in actions, "canRepeatOne": "X_DLNA_SeekTrackNr" in actions,
            "canShuffle": "X_DLNA_SeekTrackNr" in actions, "canCrossfade": "X_DLNA_SeekTrackNr" in actions}


def play_modes(coordinator: Player) -> dict[str, Any]:
    repeat, repeat_one, shuffle = PLAY_MODES.get(coordinator.transport.play_mode, (False, False, False))
    return {"_objectType": "playModes", "repeat": repeat, "repeatOne": repeat_one, "shuffle": shuffle,
            "crossfade": coordinator.transport.crossfade}


def playback_status(command: Command) -> dict[str, Any]:
    coordinator = command.coordinated_group()[0]
    household = command.household
    return {"_objectType": "playbackStatus", "playbackState": PLAYBACK_STATES[coordinator.transport.state],
            "isDucking": coordinator.ducked, "positionMillis": round(household.position(coordinator.transport) * 1000),
            "previousPositionMillis": 0, "playModes": play_modes(coordinator),
            "availablePlaybackActions": playback_actions(household, coordinator)}


def metadata_status(command: Command) -> dict[str, Any]:
    coordinator = command.coordinated_group()[0]
    track = command.household.current_track(coordinator.transport)
    if track is None:
        return {"_objectType": "metadataStatus"}
    return {"_objectType": "metadataStatus", "currentItem": {
        "_objectType": "item", "track": {"_objectType": "track", "name": track.title,
                                         "durationMillis": round(track.duration * 1000)}}}


# ---- dispatch


def accepted(command: Command) -> dict[str, Any]:
    """subscribe and unsubscribe: accepted, though no event of these namespaces is sent yet."""
    return {}


def subscription(target: Callable[[Command], Any]) -> Callable[[Command], dict[str, Any]]:
    def check_then_accept(command: Command) -> dict[str, Any]:
        target(command)
        return accepted(command)

    return check_then_accept


Handler = Callable[[Command], dict[str, Any]]
NAMESPACES: dict[str, dict[str, Handler]] = {
    "groups": {"getGroups": get_groups, "subscribe": subscription(Command.own_household),
               "unsubscribe": subscription(Command.own_household)},
    "playerVolume": {"getVolume": player_volume, "setVolume": set_volume, "setRelativeVolume": set_relative_volume,
                     "setMute": set_mute, "subscribe": subscription(Command.own_player),
                     "unsubscribe": subscription(Command.own_player)},
    "groupVolume": {"getVolume": group_volume, "setVolume": set_group_volume,
                    "setRelativeVolume": set_relative_group_volume, "setMute": set_group_mute,
                    "subscribe": subscription(Command.coordinated_group),
                    "unsubscribe": subscription(Command.coordinated_group)},
    "playback": {"getPlaybackStatus": playback_status, "subscribe": subscription(Command.coordinated_group),
                 "unsubscribe": subscription(Command.coordinated_group)},
    "playbackMetadata": {"getMetadataStatus": metadata_status, "subscribe": subscription(Command.coordinated_group),
                         "unsubscribe": subscription(Command.coordinated_group)},
}


def handler(namespace: str, command: str) -> Handler:
    """The handler of `namespace:1 command`; aiosonos unsubscribes without the version."""
    name, _, version = namespace.partition(":")
    commands = NAMESPACES.get(name) if version in ("1", "") else None
    if commands is None:
        raise Refused("ERROR_UNSUPPORTED_NAMESPACE", f"namespace {namespace!r} is not served")
    if command not in commands:
        raise Refused("ERROR_UNSUPPORTED_COMMAND", f"unknown command {command!r} in {namespace!r}")
    return commands[command]
