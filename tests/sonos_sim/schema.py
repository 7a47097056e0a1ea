"""The household file: one dataclass per section, validated, with errors naming the bad key.

A household is YAML (or the same structure as a dict):

    household_id: Sonos_sim0000000000000001     # optional
    system: S2                                  # S2 (default) or S1: versions, no local API on 1443
    transition_time: 0.1                        # seconds of TRANSITIONING after Play
    ramp_speedup: 1.0                           # RampToVolume this many times a real player's speed
    players:
      - name: Living Room                       # room name (required, unique)
        ip: 127.0.0.2                           # required by `serve`; the fixture replaces it
        uid: RINCON_000E58000001001400          # optional, derived from the name
        model: Sonos One                        # see MODELS (hardware.py)
        bonded_to: Kitchen                      # optional: stereo-pair slave or satellite
        channel: RF                             # with bonded_to: RF (stereo pair), SW (sub), LR, RR
        state: {...}                            # PlayerStateSpec
    groups:
      - coordinator: Living Room
        members: [Kitchen]
    faults: [...]                               # FaultSpec

Players in no group play alone.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .firmware import FIRMWARES, SYSTEMS, Firmware
from .hardware import HARDWARE, model_key

TRANSPORT_STATES = ("PLAYING", "PAUSED_PLAYBACK", "STOPPED")
PLAY_MODES = ("NORMAL", "REPEAT_ALL", "REPEAT_ONE", "SHUFFLE_NOREPEAT", "SHUFFLE", "SHUFFLE_REPEAT_ONE")
SOURCES = ("idle", "queue", "radio", "http", "line_in", "tv", "cloud", "cloud_queue")
CHANNELS = ("RF", "SW", "LR", "RR")
# Answers no Sonos gives: a hostile or broken device on the player's address.
HOSTILE_KINDS = ("endless_body", "drip", "oversized", "malformed_xml", "hostile_xml")
FAULT_KINDS = ("latency", "upnp_error", "reset", "no_answer", "late_answer", "vanish", "regroup", *HOSTILE_KINDS)
# Kinds that match requests by `action` and fire by `mode`.
REQUEST_FAULT_KINDS = ("upnp_error", "reset", "no_answer", "late_answer", *HOSTILE_KINDS)
DRIP_STARTS = ("status", "body")
HOSTILE_PAYLOADS = ("laughs", "external")
DRIP_INTERVAL = 1.0  # seconds between two bytes of a drip, unless the fault says
DRIP_INTERVAL_BOUNDS = (0.01, 60.0)
OVERSIZED_SIZE = 64 * 1024 * 1024  # bytes of an oversized answer, unless the fault says
OVERSIZED_SIZE_BOUNDS = (1024, 1024 * 1024 * 1024)
FAULT_MODES = ("once", "always", "after")
VANISH_HOWS = ("refuse", "silent")

# The household file's `model` keys, each a row of hardware.py (modelName, modelNumber,
# displayName, services, audio clips); a file may also name a model by its modelName.
MODELS = HARDWARE

# Models that take a clip but pause the music of their whole group while it plays, and
# resume it when the clip ends (clipapi.ClipServer._play). The Play:1, as home-assistant/core#182047
# reports it: a clip on a Play:1 in a playing group "pauses the playback of the entire group for
# the duration of the AudioClip"; it "follows the target device model, not the group
# coordinator" (a clip on a Sonos One grouped with a Play:1 coordinator pauses nothing); "the
# group resumes automatically after approximately 3.3 seconds" (that clip's length). Music
# Assistant's reports go further, for its own streams: after the clip the Play:1's group fails
# the track with ERROR_CORRUPT_FILE and skips to the next (music-assistant/support#3907,
# server#3009); that is a failure of Music Assistant's stream, which the simulator does not serve,
# so it is not modelled: the group resumes the track it paused.
CLIP_PAUSES_GROUP = frozenset({"Play:1"})


class HouseholdError(ValueError):
    """A household file is invalid; the message starts with the path of the bad key."""


@dataclass(frozen=True)
class TrackSpec:
    title: str
    duration: float
    artist: str = ""
    album: str = ""
    uri: str = ""


@dataclass(frozen=True)
class PlayerStateSpec:
    source: str = "idle"
    uri: str = ""
    title: str = ""
    stream_content: str = ""
    queue: tuple[TrackSpec, ...] = ()
    track: int = 1
    position: float = 0.0
    duration: float = 0.0
    transport_state: str = "STOPPED"
    volume: int = 20
    mute: bool = False
    bass: int = 0
    treble: int = 0
    loudness: bool = True
    play_mode: str = "NORMAL"
    crossfade: bool = False
    output_fixed: bool = False


@dataclass(frozen=True)
class PlayerSpec:
    name: str
    ip: str
    uid: str
    model: str = "Sonos One"
    bonded_to: str | None = None
    channel: str | None = None
    state: PlayerStateSpec = field(default_factory=PlayerStateSpec)


@dataclass(frozen=True)
class GroupSpec:
    coordinator: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class FaultSpec:
    """One injected fault.

    kind latency: every request to `player` waits fixed + uniform(0, jitter) seconds.
    kind upnp_error / reset / no_answer / late_answer: requests matching `action` (any if
    omitted) get the fault: mode once (only call `after` + 1: the first when `after` is 0),
    always, or after (every call after the first `after`). no_answer never carries the
    request out; late_answer carries it out (its state changes and its result are logged) and
    withholds the answer: with `delay`, sends it that many seconds later ("late"), without,
    never (the answer is "lost": held until the client hangs up).
    kind vanish: `player` disappears after answering `after` requests: how "refuse" (stops
    listening, connections are refused, as when its address is taken by nothing) or "silent"
    (connections are accepted and never answered, so the client times out, as on a LAN);
    with forget_after, the other players drop it from the topology that many seconds later;
    with duration, it answers again that many seconds after it vanished (the same player, its
    state kept, as after a Wi-Fi drop-out), and the others list it again if they had dropped it.
    kind regroup: at `at` seconds after start the topology becomes `groups`.

    A device that answers as no Sonos does (matched by `action`, `mode` and `after` like
    upnp_error; on SOAP actions and plain requests such as "GET /xml/device_description.xml"):
    kind endless_body: not carried out; 200 and a chunked SOAP body that never ends, written
    as fast as the client reads, until it hangs up.
    kind drip: carried out; its real answer sent one byte every `interval` seconds (default
    1.0, 0.01-60), from the status line (`start` "status", the default) or with the status
    line and headers at once and only the body dripping (`start` "body").
    kind oversized: carried out; its real answer padded with XML whitespace to `size` bytes
    (default 64 MiB, 1 KiB-1 GiB) and sent with that Content-Length; on the websocket, the
    reply frame padded with JSON whitespace to `size` bytes.
    kind malformed_xml: not carried out; 200 with a SOAP envelope cut mid-tag.
    kind hostile_xml: not carried out; 200 with a SOAP envelope under a DOCTYPE: `payload`
    "laughs" (the default: the billion laughs) or "external" (an external entity on the
    player's own /xxe-canary, whose fetches the log shows).
    A device that accepts a request and never answers is no_answer (one request) or vanish
    with how "silent" (every request).
    """

    kind: str
    player: str | None = None
    action: str | None = None
    mode: str = "always"
    after: int = 0
    code: int = 701
    fixed: float = 0.0
    jitter: float = 0.0
    at: float = 0.0
    groups: tuple[GroupSpec, ...] = ()
    how: str = "refuse"
    forget_after: float | None = None
    duration: float | None = None
    delay: float | None = None
    interval: float | None = None
    start: str | None = None
    size: int | None = None
    payload: str | None = None


@dataclass(frozen=True)
class HouseholdSpec:
    players: tuple[PlayerSpec, ...]
    groups: tuple[GroupSpec, ...] = ()
    faults: tuple[FaultSpec, ...] = ()
    household_id: str = "Sonos_sim0000000000000000001"
    transition_time: float = 0.1
    ramp_speedup: float = 1.0
    system: str = "S2"

    @property
    def firmware(self) -> Firmware:
        return FIRMWARES[self.system]

    def player(self, name: str) -> PlayerSpec:
        for spec in self.players:
            if spec.name == name:
                return spec
        raise KeyError(name)


def load_household(source: str | Path | dict[str, Any]) -> HouseholdSpec:
    """Read a household from a YAML path or a dict and validate it."""
    if isinstance(source, dict):
        data = source
    else:
        with open(source, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    return parse_household(data)


def require_addresses(spec: HouseholdSpec) -> None:
    """`serve` binds each player to its own address, so each must have one."""
    for i, player in enumerate(spec.players):
        if not player.ip:
            raise HouseholdError(f"players[{i}].ip: required to serve the household")


# What XML 1.0 can carry (its Char production): every name a player reports travels in XML.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def room_name_problem(name: str) -> str | None:
    """Why a room name cannot be a player's (None: it can). Any string XML 1.0 can carry is a
    name, template markers, quotes, line breaks, bidi controls and emoji included; not the
    empty string, and not NUL, ESC and the other controls XML 1.0 has no character for."""
    if not name:
        return "must not be empty"
    bad = _NOT_XML_CHAR.search(name)
    if bad is not None:
        return f"holds {bad.group()!r} (U+{ord(bad.group()):04X}), which XML 1.0 cannot carry"
    return None


def derive_uid(name: str) -> str:
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest().upper()
    return f"RINCON_000E58{digest[:6]}01400"


def parse_household(data: Any) -> HouseholdSpec:
    mapping = _mapping(data, "household")
    _only_keys(mapping, "household", {"household_id", "system", "transition_time", "ramp_speedup", "players", "groups",
                                        "faults"})
    raw_players = _list(mapping.get("players"), "players")
    if not raw_players:
        raise HouseholdError("players: a household needs at least one player")
    players = tuple(_parse_player(raw, f"players[{i}]") for i, raw in enumerate(raw_players))
    _check_unique(players)
    names = {p.name for p in players}
    _check_bonds(players, names)
    groups = tuple(_parse_group(raw, f"groups[{i}]", names) for i, raw in enumerate(_list(mapping.get("groups", []), "groups")))
    _check_groups(groups, players, "groups")
    faults = tuple(
        _parse_fault(raw, f"faults[{i}]", names, players) for i, raw in enumerate(_list(mapping.get("faults", []), "faults"))
    )
    return HouseholdSpec(
        players=players,
        groups=groups,
        faults=faults,
        household_id=_str(mapping.get("household_id", HouseholdSpec.household_id), "household_id"),
        transition_time=_number(mapping.get("transition_time", 0.1), "transition_time", 0.0, 30.0),
        ramp_speedup=_number(mapping.get("ramp_speedup", 1.0), "ramp_speedup", 0.1, 1000.0),
        system=_choice(mapping.get("system", "S2"), "system", SYSTEMS),
    )


def _parse_player(raw: Any, path: str) -> PlayerSpec:
    mapping = _mapping(raw, path)
    _only_keys(mapping, path, {"name", "ip", "uid", "model", "bonded_to", "channel", "state"})
    name = _str(mapping.get("name"), f"{path}.name")
    problem = room_name_problem(name)
    if problem is not None:
        raise HouseholdError(f"{path}.name: {problem}")
    ip = _str(mapping.get("ip", ""), f"{path}.ip")
    if ip:
        try:
            ipaddress.IPv4Address(ip)
        except ValueError as exc:
            raise HouseholdError(f"{path}.ip: {ip!r} is not an IPv4 address") from exc
    uid = _str(mapping.get("uid", derive_uid(name)), f"{path}.uid")
    if not uid.startswith("RINCON_"):
        raise HouseholdError(f"{path}.uid: {uid!r} must start with RINCON_")
    named = _str(mapping.get("model", "Sonos One"), f"{path}.model")
    model = model_key(named)
    if model is None:
        raise HouseholdError(f"{path}.model: {named!r} is not one of {sorted(MODELS)}")
    bonded_to = mapping.get("bonded_to")
    channel = mapping.get("channel")
    if bonded_to is not None:
        bonded_to = _str(bonded_to, f"{path}.bonded_to")
        channel = _choice(channel or "RF", f"{path}.channel", CHANNELS)
    elif channel is not None:
        raise HouseholdError(f"{path}.channel: only valid with bonded_to")
    state = _parse_state(mapping.get("state", {}), f"{path}.state", uid)
    _check_source_fits(state, HARDWARE[model], bonded_to, f"{path}.state.source")
    return PlayerSpec(name=name, ip=ip, uid=uid, model=model, bonded_to=bonded_to, channel=channel, state=state)


def _check_source_fits(state: PlayerStateSpec, hardware: Any, bonded_to: str | None, path: str) -> None:
    """A source the player can have: line-in needs AudioIn, a TV input HTControl; a bonded speaker
    plays what its room plays and has no source of its own."""
    if state.source == "idle":
        return
    if bonded_to is not None:
        raise HouseholdError(f"{path}: {state.source!r}, but a speaker bonded to {bonded_to!r} plays what its room plays")
    if hardware.key == "Sonos Sub":
        raise HouseholdError(f"{path}: {state.source!r}, but a Sonos Sub plays only the room it is bonded to")
    if state.source == "line_in" and not hardware.line_in:
        raise HouseholdError(f"{path}: 'line_in', but a {hardware.model_name} has no line-in (its description lists no AudioIn)")
    if state.source == "tv" and not hardware.home_theatre:
        raise HouseholdError(f"{path}: 'tv', but a {hardware.model_name} has no TV input (its description lists no HTControl)")


def _parse_state(raw: Any, path: str, uid: str) -> PlayerStateSpec:
    mapping = _mapping(raw, path)
    allowed = set(PlayerStateSpec.__dataclass_fields__)
    _only_keys(mapping, path, allowed)
    source = _choice(mapping.get("source", "idle"), f"{path}.source", SOURCES)
    queue = tuple(_parse_track(t, f"{path}.queue[{i}]") for i, t in enumerate(_list(mapping.get("queue", []), f"{path}.queue")))
    uri = _str(mapping.get("uri", default_uri(source, uid)), f"{path}.uri")
    if source in ("radio", "http", "cloud") and not uri:
        raise HouseholdError(f"{path}.uri: source {source} needs a uri")
    track = _int(mapping.get("track", 1), f"{path}.track", 1, max(1, len(queue)))
    state = PlayerStateSpec(
        source=source,
        uri=uri,
        title=_str(mapping.get("title", ""), f"{path}.title"),
        stream_content=_str(mapping.get("stream_content", ""), f"{path}.stream_content"),
        queue=queue,
        track=track,
        position=_number(mapping.get("position", 0.0), f"{path}.position", 0.0, 1e7),
        duration=_number(mapping.get("duration", 0.0), f"{path}.duration", 0.0, 1e7),
        transport_state=_choice(mapping.get("transport_state", "STOPPED"), f"{path}.transport_state", TRANSPORT_STATES),
        volume=_int(mapping.get("volume", 20), f"{path}.volume", 0, 100),
        mute=_bool(mapping.get("mute", False), f"{path}.mute"),
        bass=_int(mapping.get("bass", 0), f"{path}.bass", -10, 10),
        treble=_int(mapping.get("treble", 0), f"{path}.treble", -10, 10),
        loudness=_bool(mapping.get("loudness", True), f"{path}.loudness"),
        play_mode=_choice(mapping.get("play_mode", "NORMAL"), f"{path}.play_mode", PLAY_MODES),
        crossfade=_bool(mapping.get("crossfade", False), f"{path}.crossfade"),
        output_fixed=_bool(mapping.get("output_fixed", False), f"{path}.output_fixed"),
    )
    if source == "queue" and not queue:
        raise HouseholdError(f"{path}.queue: source queue needs at least one track")
    if source == "idle" and state.transport_state != "STOPPED":
        raise HouseholdError(f"{path}.transport_state: an idle player can only be STOPPED")
    return state


def default_uri(source: str, uid: str) -> str:
    """The URI a real player reports for a source when the file names none."""
    return {
        "queue": f"x-rincon-queue:{uid}#0",
        "line_in": f"x-rincon-stream:{uid}",
        "tv": f"x-sonos-htastream:{uid}:spdif",
        "cloud_queue": f"x-rincon-queue:{uid}#7",
    }.get(source, "")


def _parse_track(raw: Any, path: str) -> TrackSpec:
    mapping = _mapping(raw, path)
    _only_keys(mapping, path, {"title", "duration", "artist", "album", "uri"})
    title = _str(mapping.get("title"), f"{path}.title")
    uri = _str(mapping.get("uri", f"x-file-cifs://nas/music/{title.replace(' ', '%20')}.mp3"), f"{path}.uri")
    return TrackSpec(
        title=title,
        duration=_number(mapping.get("duration"), f"{path}.duration", 0.1, 1e6),
        artist=_str(mapping.get("artist", ""), f"{path}.artist"),
        album=_str(mapping.get("album", ""), f"{path}.album"),
        uri=uri,
    )


def _parse_group(raw: Any, path: str, names: set[str]) -> GroupSpec:
    mapping = _mapping(raw, path)
    _only_keys(mapping, path, {"coordinator", "members"})
    coordinator = _str(mapping.get("coordinator"), f"{path}.coordinator")
    if coordinator not in names:
        raise HouseholdError(f"{path}.coordinator: no player named {coordinator!r}")
    members = tuple(_str(m, f"{path}.members[{i}]") for i, m in enumerate(_list(mapping.get("members", []), f"{path}.members")))
    for i, member in enumerate(members):
        if member not in names:
            raise HouseholdError(f"{path}.members[{i}]: no player named {member!r}")
    return GroupSpec(coordinator=coordinator, members=members)


def _parse_fault(raw: Any, path: str, names: set[str], players: tuple[PlayerSpec, ...]) -> FaultSpec:
    mapping = _mapping(raw, path)
    _only_keys(mapping, path, set(FaultSpec.__dataclass_fields__))
    kind = _choice(mapping.get("kind"), f"{path}.kind", FAULT_KINDS)
    player = mapping.get("player")
    if player is not None:
        player = _str(player, f"{path}.player")
        if player not in names:
            raise HouseholdError(f"{path}.player: no player named {player!r}")
    elif kind in ("latency", "vanish"):
        raise HouseholdError(f"{path}.player: a {kind} fault needs a player")
    groups = tuple(_parse_group(g, f"{path}.groups[{i}]", names) for i, g in enumerate(_list(mapping.get("groups", []), f"{path}.groups")))
    if kind == "regroup":
        _check_groups(groups, players, f"{path}.groups")
    code = _int(mapping.get("code", 701), f"{path}.code", 400, 899)
    if "after" in mapping and mapping.get("mode", "always") == "always" and kind in REQUEST_FAULT_KINDS:
        raise HouseholdError(f"{path}.after: only meaningful with mode once or after")
    return FaultSpec(
        kind=kind,
        player=player,
        action=None if mapping.get("action") is None else _str(mapping.get("action"), f"{path}.action"),
        mode=_choice(mapping.get("mode", "always"), f"{path}.mode", FAULT_MODES),
        after=_int(mapping.get("after", 0), f"{path}.after", 0, 10**9),
        code=code,
        fixed=_number(mapping.get("fixed", 0.0), f"{path}.fixed", 0.0, 600.0),
        jitter=_number(mapping.get("jitter", 0.0), f"{path}.jitter", 0.0, 600.0),
        at=_number(mapping.get("at", 0.0), f"{path}.at", 0.0, 86400.0),
        groups=groups,
        how=_choice(mapping.get("how", "refuse"), f"{path}.how", VANISH_HOWS),
        forget_after=_optional_number(mapping, "forget_after", path, "vanish"),
        duration=_optional_number(mapping, "duration", path, "vanish"),
        delay=_optional_number(mapping, "delay", path, "late_answer"),
        interval=_optional_number(mapping, "interval", path, "drip", DRIP_INTERVAL_BOUNDS),
        start=_optional_choice(mapping, "start", path, "drip", DRIP_STARTS),
        size=_optional_int(mapping, "size", path, "oversized", OVERSIZED_SIZE_BOUNDS),
        payload=_optional_choice(mapping, "payload", path, "hostile_xml", HOSTILE_PAYLOADS),
    )


def _only_with_kind(mapping: dict[str, Any], key: str, path: str, kind: str) -> bool:
    """Is `key` set? Refused unless the fault is of `kind`, the one it means something for."""
    if mapping.get(key) is None:
        return False
    if mapping.get("kind") != kind:
        raise HouseholdError(f"{path}.{key}: only meaningful with kind {kind}")
    return True


def _optional_number(
    mapping: dict[str, Any], key: str, path: str, kind: str, bounds: tuple[float, float] = (0.0, 86400.0)
) -> float | None:
    if not _only_with_kind(mapping, key, path, kind):
        return None
    return _number(mapping[key], f"{path}.{key}", *bounds)


def _optional_int(mapping: dict[str, Any], key: str, path: str, kind: str, bounds: tuple[int, int]) -> int | None:
    if not _only_with_kind(mapping, key, path, kind):
        return None
    return _int(mapping[key], f"{path}.{key}", *bounds)


def _optional_choice(mapping: dict[str, Any], key: str, path: str, kind: str, choices: tuple[str, ...]) -> str | None:
    if not _only_with_kind(mapping, key, path, kind):
        return None
    return _choice(mapping[key], f"{path}.{key}", choices)


def _check_unique(players: tuple[PlayerSpec, ...]) -> None:
    for attribute in ("name", "uid"):
        seen: set[str] = set()
        for i, player in enumerate(players):
            value = getattr(player, attribute)
            if value in seen:
                raise HouseholdError(f"players[{i}].{attribute}: {value!r} is used twice")
            seen.add(value)
    seen_ips: set[str] = set()
    for i, player in enumerate(players):
        if player.ip and player.ip in seen_ips:
            raise HouseholdError(f"players[{i}].ip: {player.ip!r} is used twice")
        seen_ips.add(player.ip)


def _check_bonds(players: tuple[PlayerSpec, ...], names: set[str]) -> None:
    """Bonds as a real system can form them; an error names the player and why not."""
    by_name = {p.name: p for p in players}
    taken: dict[tuple[str, str], str] = {}
    for i, player in enumerate(players):
        if player.bonded_to is None:
            continue
        path, who = f"players[{i}]", repr(player.name)
        if player.bonded_to not in names or player.bonded_to == player.name:
            raise HouseholdError(f"{path}.bonded_to: no other player named {player.bonded_to!r}")
        primary = by_name[player.bonded_to]
        if primary.bonded_to is not None:
            raise HouseholdError(f"{path}.bonded_to: {player.bonded_to!r} is itself bonded")
        if HARDWARE[primary.model].is_sub:
            raise HouseholdError(f"{path}.bonded_to: {who} is bonded to {primary.name!r}, a Sub: a Sub bonds to a "
                                 "room's speaker, nothing bonds to it")
        sub = HARDWARE[player.model].is_sub
        if sub != (player.channel == "SW"):
            reason = "a Sub takes channel SW" if sub else "channel SW is a Sub's"
            raise HouseholdError(f"{path}.channel: {who} ({player.model}) on {player.channel}: {reason}")
        if player.channel in ("LR", "RR") and not HARDWARE[primary.model].home_theatre:
            raise HouseholdError(f"{path}.channel: {who} is a surround ({player.channel}) of {primary.name!r}, "
                                 f"a {primary.model}: surrounds bond to a home-theatre player (HTControl)")
        if (primary.name, player.channel) in taken:
            what = {"SW": "a second Sub", "RF": "a second right speaker"}.get(player.channel, "a second " + player.channel)
            raise HouseholdError(f"{path}.bonded_to: {who} would be {what} of {primary.name!r} "
                                 f"(it has {taken[primary.name, player.channel]!r})")
        taken[primary.name, player.channel] = player.name
    for primary in {name for name, _ in taken}:
        channels = {channel for name, channel in taken if name == primary}
        if ("LR" in channels) != ("RR" in channels):
            raise HouseholdError(f"players: {primary!r} has one surround ({', '.join(sorted(channels & {'LR', 'RR'}))}): "
                                 "surrounds come in pairs, LR with RR")
        if "RF" in channels and channels & {"LR", "RR"}:
            raise HouseholdError(f"players: {primary!r} has a stereo partner and surrounds: a stereo pair takes "
                                 "a Sub, not surrounds")


def _check_groups(groups: tuple[GroupSpec, ...], players: tuple[PlayerSpec, ...], path: str) -> None:
    bonded = {p.name for p in players if p.bonded_to is not None}
    seen: set[str] = set()
    for i, group in enumerate(groups):
        for name in (group.coordinator, *group.members):
            if name in bonded:
                raise HouseholdError(f"{path}[{i}]: {name!r} is bonded and follows its primary, not a group")
            if name in seen:
                raise HouseholdError(f"{path}[{i}]: {name!r} is in two groups")
            seen.add(name)


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise HouseholdError(f"{path}: expected a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise HouseholdError(f"{path}: expected a list, got {type(value).__name__}")
    return value


def _only_keys(mapping: dict[str, Any], path: str, allowed: set[str]) -> None:
    for key in mapping:
        if key not in allowed:
            raise HouseholdError(f"{path}.{key}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise HouseholdError(f"{path}: expected a string, got {value!r}")
    return value


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise HouseholdError(f"{path}: expected true or false, got {value!r}")
    return value


def _int(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HouseholdError(f"{path}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise HouseholdError(f"{path}: {value} is not within {low}-{high}")
    return value


def _number(value: Any, path: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise HouseholdError(f"{path}: expected a number, got {value!r}")
    if not low <= value <= high:
        raise HouseholdError(f"{path}: {value} is not within {low}-{high}")
    return float(value)


def _choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise HouseholdError(f"{path}: {value!r} is not one of {', '.join(choices)}")
    return str(value)
