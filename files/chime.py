#!/usr/bin/env python3
"""sonos-chime: play a short chime on Sonos zones, then put everything back as it was.

At a scheduled moment each zone of a chime pauses what it plays, plays the chime once per
group (on the group's coordinator, at the chime volume on every member), and when the
chime has ended resumes its source, track, position, play state, volume and mute.

    chime.py play CHIME [--zone NAME]... [--config PATH] [--dry-run] [-v]
    chime.py play-uri URL --host ADDRESS [--host ADDRESS]... [--volume N]
    chime.py discover [--timeout S] [--interface ADDRESS] [--scan CIDR]

Exit codes: 0 every zone chimed and was restored, or was skipped on purpose; 1 some zone
failed (reported after every other zone was done); 2 usage or configuration error.
Logs go to stderr, one line per zone and step (the systemd journal keeps them).

How a zone goes (each zone in its own thread, every request with a short timeout):
- locate: one GetZoneGroupState (any player's answer will do) finds the zone by uid, its
  group and coordinator, and whether a zone listed before it in the chime plays for the
  group instead. Meanwhile, guessing the zone coordinates its own group, its transport is
  already being read under the group's lock (a file named for the coordinator's uid).
- snapshot: source, metadata, state, track, position, play mode and crossfade of the
  coordinator, and every speaker's volume and mute, all at once.
- chime: SetAVTransportURI (which stops the old source), then the chime volume and unmute
  on every speaker (never raised while the old music still plays), then Play.
- end: sleep until shortly before the sound's length (from its header, or as the player
  reports it) has passed, looking once a second for a takeover; then look as often as
  answers come until the transport leaves PLAYING. Bounded by the length plus the margin.
- restore: volumes and mutes together with the source, track and position, then the state
  (PLAYING plays, PAUSED_PLAYBACK is paused again silently, STOPPED and idle stay); read
  back, and tried once more on a transient error. Also on SIGTERM/SIGINT and after errors;
  a zone someone took over meanwhile is left as they set it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import enum
import fcntl
import functools
import http.client
import io
import ipaddress
import logging
import math
import os
import re
import signal
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse, urlsplit
from xml.sax.saxutils import escape

import requests
import soco  # type: ignore[import-untyped]
import soco.discovery  # type: ignore[import-untyped]
import yaml
from soco.exceptions import (  # type: ignore[import-untyped]
    SoCoException,
    SoCoUPnPException,
)

LOG = logging.getLogger("sonos-chime")

DEFAULT_CONFIG = Path("/etc/sonos-chime/config.yml")
DEFAULT_RUNTIME_DIR = Path("/run/sonos-chime")
DEFAULT_REQUEST_TIMEOUT = 2.0
DEFAULT_MARGIN = 10.0

SOURCE_KINDS = ("queue", "radio", "uri", "idle", "line_in", "tv", "cloud", "cloud_queue")
DEFAULT_SOURCE_POLICY: Mapping[str, str] = {
    "queue": "interrupt",
    "radio": "interrupt",
    "uri": "interrupt",
    "idle": "interrupt",
    "line_in": "skip",
    "tv": "skip",
    "cloud": "skip",
    "cloud_queue": "skip",
}
POLICIES = ("interrupt", "skip")
# A source chime.py cannot name is never interrupted: it could not be put back.
UNKNOWN_SOURCE = "unknown"

RADIO_PREFIXES = (
    "x-sonosapi-stream:",
    "x-sonosapi-radio:",
    "x-rincon-mp3radio:",
    "aac:",
    "hls-radio:",
    "x-sonosapi-hls:",
)
PLAIN_URI_PREFIXES = ("http://", "https://", "x-file-cifs:")
LINE_IN_PREFIX = "x-rincon-stream:"
TV_PREFIX = "x-sonos-htastream:"
# x-sonos-spotify: is a track of a music service: it cannot be resumed without the service.
CLOUD_PREFIXES = ("x-sonos-vli:", "x-rincon-airplay:", "x-sonos-spotify:")
QUEUE_PREFIX = "x-rincon-queue:"

PLAYING = "PLAYING"
TRANSITIONING = "TRANSITIONING"
PAUSED = "PAUSED_PLAYBACK"
STOPPED = "STOPPED"
NO_MEDIA = "NO_MEDIA_PRESENT"
PLAYING_STATES = (PLAYING, TRANSITIONING)

MAX_SOUND_BYTES = 16 * 1024 * 1024
# UPnP errors worth one more try: players answer 701 (transition not available) for a moment
# while they change source, and 402/714 now and then from busy stream services. Others
# (711 illegal seek target, 800 not a coordinator, ...) are reported at once.
TRANSIENT_UPNP_ERRORS = ("701", "714", "402")
POLL_INTERVAL_START = 0.03  # between polls until the chime is heard
WAKE_INTERVAL = 1.0  # between checks for a takeover while the chime plays
TIGHT_POLL_LEAD = 0.1  # start polling tightly this long before the earliest possible end
TIGHT_POLL_INTERVAL = 0.01  # at least this long between two looks near the end
UNKNOWN_END_POLL_INTERVAL = 0.1  # between looks at a chime whose length nobody knows
NEVER_STARTED_AFTER = 0.5  # stopped this long after Play without ever playing: it failed
RETRY_PAUSE = 0.3
VERIFY_INTERVAL = 0.1  # between looks at a group being put back

T = TypeVar("T")


# --------------------------------------------------------------------------------------
# Configuration (docs/architecture.md section 1)


class ConfigError(Exception):
    """A usage or configuration error: the message names the bad key."""


@dataclass(frozen=True)
class Settings:
    runtime_dir: Path = DEFAULT_RUNTIME_DIR
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    margin: float = DEFAULT_MARGIN
    interface: str | None = None


@dataclass(frozen=True)
class ZoneConfig:
    name: str
    uid: str
    host: str


@dataclass(frozen=True)
class ChimeConfig:
    name: str
    url: str
    volume: int
    zone_volumes: Mapping[str, int]
    zones: tuple[str, ...]
    sources: Mapping[str, str]


@dataclass(frozen=True)
class Config:
    settings: Settings
    zones: tuple[ZoneConfig, ...]
    chimes: tuple[ChimeConfig, ...]

    def zone(self, name: str) -> ZoneConfig:
        return next(zone for zone in self.zones if zone.name == name)

    def chime(self, name: str) -> ChimeConfig | None:
        return next((chime for chime in self.chimes if chime.name == name), None)


def load_config(path: Path) -> Config:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"--config: {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"--config: {path}: cannot read it: {error}") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    return parse_config(data)


def parse_config(data: object) -> Config:
    top = require_mapping(data, "config")
    warn_unknown_keys(top, ("settings", "zones", "chimes"), "")
    settings = parse_settings(top.get("settings"))
    zones = parse_zones(require_key(top, "zones", ""))
    chimes = parse_chimes(require_key(top, "chimes", ""), zones)
    return Config(settings=settings, zones=zones, chimes=chimes)


def parse_settings(data: object) -> Settings:
    if data is None:
        return Settings()
    raw = require_mapping(data, "settings")
    warn_unknown_keys(raw, ("runtime_dir", "request_timeout", "margin", "interface"), "settings")
    runtime_dir = raw.get("runtime_dir", str(DEFAULT_RUNTIME_DIR))
    interface = raw.get("interface")
    return Settings(
        runtime_dir=Path(require_text(runtime_dir, "settings.runtime_dir")),
        request_timeout=require_number(
            raw.get("request_timeout", DEFAULT_REQUEST_TIMEOUT), "settings.request_timeout", 0.0, 60.0, low_allowed=False
        ),
        margin=require_number(raw.get("margin", DEFAULT_MARGIN), "settings.margin", 0.0, 3600.0),
        interface=None if interface is None else require_ipv4(interface, "settings.interface"),
    )


def parse_zones(data: object) -> tuple[ZoneConfig, ...]:
    items = require_list(data, "zones")
    zones: list[ZoneConfig] = []
    for index, item in enumerate(items):
        key = f"zones[{index}]"
        raw = require_mapping(item, key)
        warn_unknown_keys(raw, ("name", "uid", "host"), key)
        zone = ZoneConfig(
            name=require_text(require_key(raw, "name", key), f"{key}.name"),
            uid=require_text(require_key(raw, "uid", key), f"{key}.uid"),
            host=require_ipv4(require_key(raw, "host", key), f"{key}.host"),
        )
        if any(other.name == zone.name for other in zones):
            raise ConfigError(f"{key}.name: {zone.name!r} is listed twice")
        if any(other.uid == zone.uid for other in zones):
            raise ConfigError(f"{key}.uid: {zone.uid!r} is listed twice")
        zones.append(zone)
    return tuple(zones)


def parse_chimes(data: object, zones: Sequence[ZoneConfig]) -> tuple[ChimeConfig, ...]:
    items = require_list(data, "chimes")
    zone_names = [zone.name for zone in zones]
    chimes: list[ChimeConfig] = []
    for index, item in enumerate(items):
        key = f"chimes[{index}]"
        chime = parse_chime(require_mapping(item, key), key, zone_names)
        if any(other.name == chime.name for other in chimes):
            raise ConfigError(f"{key}.name: {chime.name!r} is listed twice")
        chimes.append(chime)
    return tuple(chimes)


def parse_chime(raw: Mapping[str, Any], key: str, zone_names: Sequence[str]) -> ChimeConfig:
    known = ("name", "url", "volume", "zone_volumes", "zones", "sources")
    warn_unknown_keys(raw, known, key)
    url = require_text(require_key(raw, "url", key), f"{key}.url")
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
        raise ConfigError(f"{key}.url: {url!r} is not an http(s) URL")
    chime_zones = [
        require_zone_name(name, f"{key}.zones[{position}]", zone_names)
        for position, name in enumerate(require_list(require_key(raw, "zones", key), f"{key}.zones"))
    ]
    for position, name in enumerate(chime_zones):
        if name in chime_zones[:position]:
            raise ConfigError(f"{key}.zones[{position}]: {name!r} is listed twice")
    zone_volumes = {
        require_zone_name(name, f"{key}.zone_volumes", zone_names): require_volume(
            volume, f"{key}.zone_volumes.{name}"
        )
        for name, volume in require_mapping(raw.get("zone_volumes") or {}, f"{key}.zone_volumes").items()
    }
    return ChimeConfig(
        name=require_text(require_key(raw, "name", key), f"{key}.name"),
        url=url,
        volume=require_volume(require_key(raw, "volume", key), f"{key}.volume"),
        zone_volumes=zone_volumes,
        zones=tuple(chime_zones),
        sources=parse_sources(raw.get("sources"), f"{key}.sources"),
    )


def parse_sources(data: object, key: str) -> Mapping[str, str]:
    policy = dict(DEFAULT_SOURCE_POLICY)
    if data is None:
        return policy
    for kind, value in require_mapping(data, key).items():
        if kind not in SOURCE_KINDS:
            raise ConfigError(f"{key}.{kind}: unknown kind of source (known: {', '.join(SOURCE_KINDS)})")
        if value not in POLICIES:
            raise ConfigError(f"{key}.{kind}: {value!r} is not one of {', '.join(POLICIES)}")
        policy[kind] = value
    return policy


def require_key(raw: Mapping[str, Any], name: str, parent: str) -> object:
    if name not in raw or raw[name] is None:
        raise ConfigError(f"{parent + '.' if parent else ''}{name}: missing (required)")
    return raw[name]


def require_mapping(value: object, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a mapping, got {type_name(value)}")
    return {str(name): item for name, item in value.items()}


def require_list(value: object, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list, got {type_name(value)}")
    if not value:
        raise ConfigError(f"{key}: is empty")
    return value


def require_text(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def require_volume(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: {value!r} is not a whole number within 0-100")
    if not 0 <= value <= 100:
        raise ConfigError(f"{key}: {value} is not within 0-100")
    return value


def require_number(value: object, key: str, low: float, high: float, low_allowed: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{key}: {value!r} is not a number")
    if not (low <= value if low_allowed else low < value) or value > high:
        lowest = f"{low:g}" if low_allowed else f"more than {low:g}"
        raise ConfigError(f"{key}: {value} is not within {lowest} to {high:g} seconds")
    return float(value)


def require_ipv4(value: object, key: str) -> str:
    text = require_text(value, key)
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        raise ConfigError(f"{key}: {text!r} is not an IPv4 address") from None
    return text


def require_zone_name(value: object, key: str, zone_names: Sequence[str]) -> str:
    name = require_text(value, key)
    if name not in zone_names:
        raise ConfigError(f"{key}: {name!r} is not a zone listed under zones")
    return name


def warn_unknown_keys(raw: Mapping[str, Any], known: Sequence[str], parent: str) -> None:
    for name in raw:
        if name not in known:
            LOG.warning("config: %s%s: unknown key, ignored", parent + "." if parent else "", name)


def type_name(value: object) -> str:
    return "nothing" if value is None else type(value).__name__


# --------------------------------------------------------------------------------------
# Sources and times as players report them


def classify_source(uri: str) -> str:
    """The kind of source (a key of the source policy) a coordinator's CurrentURI names."""
    if not uri:
        return "idle"
    if uri.startswith(QUEUE_PREFIX):
        return "queue" if uri.rpartition("#")[2] == "0" else "cloud_queue"
    if uri.startswith(RADIO_PREFIXES):
        return "radio"
    if uri.startswith(PLAIN_URI_PREFIXES):
        return "uri"
    if uri.startswith(LINE_IN_PREFIX):
        return "line_in"
    if uri.startswith(TV_PREFIX):
        return "tv"
    if uri.startswith(CLOUD_PREFIXES):
        return "cloud"
    return UNKNOWN_SOURCE


def parse_duration(text: str | None) -> float | None:
    """Seconds from a player's H:MM:SS (None for NOT_IMPLEMENTED, empty or malformed)."""
    if not text:
        return None
    parts = text.strip().split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes, seconds = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        return None
    return hours * 3600 + minutes * 60 + seconds


def parse_track(text: str | None) -> int:
    return int(text) if text and text.strip().isdigit() else 0


def format_duration(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def same_uri(reported: str, sent: str) -> bool:
    """Whether a player reports the URI it was given (it may re-encode or re-case it)."""
    if reported == sent:
        return True

    def normal(uri: str) -> tuple[str, ...]:
        parts = urlsplit(unquote(uri))
        return (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query)

    return normal(reported) == normal(sent)


def idle_fallback_uri(snap: GroupSnapshot) -> str:
    return f"{QUEUE_PREFIX}{snap.group.coordinator_uid}#0"


def chime_metadata(title: str) -> str:
    return (
        '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" '
        'xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" '
        'xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
        '<item id="sonos-chime" parentID="sonos-chime" restricted="true">'
        f"<dc:title>{escape(title)}</dc:title>"
        "<upnp:class>object.item.audioItem.musicTrack</upnp:class>"
        "</item></DIDL-Lite>"
    )


# --------------------------------------------------------------------------------------
# Household topology (one GetZoneGroupState answer)


@dataclass(frozen=True)
class Member:
    uid: str
    name: str
    host: str
    port: int
    invisible: bool


@dataclass(frozen=True)
class Group:
    coordinator_uid: str
    members: tuple[Member, ...]

    @property
    def coordinator(self) -> Member:
        return next(member for member in self.members if member.uid == self.coordinator_uid)

    @property
    def uids(self) -> frozenset[str]:
        return frozenset(member.uid for member in self.members)

    @property
    def label(self) -> str:
        visible = [member.name for member in self.members if not member.invisible]
        return "+".join(dict.fromkeys(visible)) or self.coordinator_uid


@dataclass(frozen=True)
class Topology:
    groups: tuple[Group, ...]

    def group_of(self, uid: str) -> Group | None:
        return next((group for group in self.groups if uid in group.uids), None)

    def uid_at(self, host: str) -> str | None:
        for group in self.groups:
            for member in group.members:
                if member.host == host:
                    return member.uid
        return None


def parse_topology(payload: str) -> Topology:
    root = ET.fromstring(payload.encode("utf-8"))
    container = root.find("ZoneGroups")
    groups: list[Group] = []
    for group_element in (container if container is not None else root).findall("ZoneGroup"):
        members = tuple(
            parse_member(element) for element in group_element.findall("ZoneGroupMember")
        )
        coordinator = group_element.get("Coordinator", "")
        if members and any(member.uid == coordinator for member in members):
            groups.append(Group(coordinator_uid=coordinator, members=members))
    return Topology(groups=tuple(groups))


def parse_member(element: ET.Element) -> Member:
    location = urlparse(element.get("Location", ""))
    return Member(
        uid=element.get("UUID", ""),
        name=element.get("ZoneName", ""),
        host=location.hostname or "",
        port=location.port or 1400,
        invisible=element.get("Invisible") == "1",
    )


# --------------------------------------------------------------------------------------
# Talking to players: SoCo's service objects build and read every request (argument lists
# given, so SoCo never fetches service descriptions); every call has a short timeout.


class PlayerError(Exception):
    """A player did not answer in time, could not be reached, or answered with an error."""

    def __init__(self, host: str, action: str, detail: str, upnp_code: str | None = None) -> None:
        super().__init__(f"{action} on {host}: {detail}")
        self.host = host
        self.action = action
        self.upnp_code = upnp_code

    @property
    def transient(self) -> bool:
        return self.upnp_code in TRANSIENT_UPNP_ERRORS or self.upnp_code is None


def describe_network_error(error: BaseException, timeout: float) -> str:
    if isinstance(error, (requests.Timeout, TimeoutError)):
        return f"no answer within {timeout:g} s"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    text = str(error)
    errno_match = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno_match:
        return errno_match.group(1).strip()
    return f"{type(error).__name__}: {text[:160]}"


class Player:
    """One speaker, as its SOAP services see it.

    SoCo's service objects build every request and read every answer and UPnP error. Only
    the HTTP exchange itself is made here with http.client, not with SoCo's requests.post:
    that builds a session and scans the proxy environment per call, four times the CPU of
    the whole exchange, which is what limits a run of 16 groups on a Raspberry Pi.
    """

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._device = soco.SoCo(host) if port == 1400 else soco.SoCo(host, port)

    def call(self, service: str, action: str, args: list[tuple[str, object]]) -> dict[str, str]:
        soap = getattr(self._device, service)
        headers, body = soap.build_command(action, args)
        if LOG.isEnabledFor(logging.DEBUG):
            LOG.debug("request host=%s action=%s args=%s", self.host, action, dict(args))
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("POST", soap.control_url, body.encode("utf-8"), headers)
            response = connection.getresponse()
            status, text = response.status, response.read().decode("utf-8", errors="replace")
        except TimeoutError as error:
            raise PlayerError(self.host, action, f"no answer within {self.timeout:g} s") from error
        except (OSError, http.client.HTTPException) as error:
            raise PlayerError(self.host, action, describe_network_error(error, self.timeout)) from error
        finally:
            connection.close()
        if status == 500:
            try:
                soap.handle_upnp_error(text)
            except SoCoUPnPException as error:
                code = str(error.error_code)
                raise PlayerError(self.host, action, f"UPnP error {code}", code) from error
            except SoCoException as error:
                raise PlayerError(self.host, action, f"unreadable error: {text[:120]!r}") from error
        if status != 200:
            raise PlayerError(self.host, action, f"HTTP {status}")
        try:
            result = soap.unwrap_arguments(text)
        except (ET.ParseError, SyntaxError, ValueError) as error:
            raise PlayerError(self.host, action, f"unreadable answer: {error}") from error
        if not isinstance(result, dict):
            return {}
        return {str(name): "" if value is None else str(value) for name, value in result.items()}

    def av(self, action: str, *args: tuple[str, object]) -> dict[str, str]:
        return self.call("avTransport", action, [("InstanceID", 0), *args])

    def rendering(self, action: str, *args: tuple[str, object]) -> dict[str, str]:
        return self.call("renderingControl", action, [("InstanceID", 0), ("Channel", "Master"), *args])

    def topology(self) -> Topology:
        answer = self.call("zoneGroupTopology", "GetZoneGroupState", [])
        try:
            return parse_topology(answer.get("ZoneGroupState", ""))
        except ET.ParseError as error:
            raise PlayerError(self.host, "GetZoneGroupState", f"unreadable topology: {error}") from error

    def media_info(self) -> dict[str, str]:
        return self.av("GetMediaInfo")

    def transport_state(self) -> str:
        return self.av("GetTransportInfo").get("CurrentTransportState", "")

    def position_info(self) -> dict[str, str]:
        return self.av("GetPositionInfo")

    def play_mode(self) -> str:
        return self.av("GetTransportSettings").get("PlayMode", "NORMAL")

    def crossfade(self) -> str:
        return self.av("GetCrossfadeMode").get("CrossfadeMode", "0")

    def volume(self) -> int:
        answer = self.rendering("GetVolume").get("CurrentVolume", "")
        if not answer.strip().isdigit():
            raise PlayerError(self.host, "GetVolume", f"unreadable volume {answer!r}")
        return int(answer)

    def mute(self) -> bool:
        return self.rendering("GetMute").get("CurrentMute", "0") == "1"

    def set_uri(self, uri: str, metadata: str) -> None:
        self.av("SetAVTransportURI", ("CurrentURI", uri), ("CurrentURIMetaData", metadata))

    def play(self) -> None:
        self.av("Play", ("Speed", 1))

    def pause(self) -> None:
        self.av("Pause")

    def stop(self) -> None:
        self.av("Stop")

    def seek(self, unit: str, target: str) -> None:
        self.av("Seek", ("Unit", unit), ("Target", target))

    def set_play_mode(self, mode: str) -> None:
        self.av("SetPlayMode", ("NewPlayMode", mode))

    def set_crossfade(self, mode: str) -> None:
        self.av("SetCrossfadeMode", ("CrossfadeMode", mode))

    def set_volume(self, volume: int) -> None:
        self.rendering("SetVolume", ("DesiredVolume", volume))

    def set_mute(self, mute: bool) -> None:
        self.rendering("SetMute", ("DesiredMute", 1 if mute else 0))


# --------------------------------------------------------------------------------------
# Concurrency helpers: daemon threads, so a player that never answers cannot hold the
# process open beyond its own timeout.


def spawn(function: Callable[[], T]) -> Future[T]:
    future: Future[T] = Future()

    def runner() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(function())
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits
            future.set_exception(error)

    threading.Thread(target=runner, daemon=True).start()
    return future


def gather(functions: Sequence[Callable[[], T]]) -> list[T]:
    """Run functions at once; when all are done, return their results or raise the first error."""
    if len(functions) <= 1:
        return [function() for function in functions]
    futures = [spawn(function) for function in functions]
    results: list[T] = []
    first_error: BaseException | None = None
    for future in futures:
        try:
            results.append(future.result())
        except BaseException as error:  # noqa: BLE001 - re-raised below
            first_error = first_error or error
    if first_error is not None:
        raise first_error
    return results


def retry_once(step: Callable[[], T]) -> T:
    """Run a request; after a lost answer or a transient refusal (701), try once more."""
    try:
        return step()
    except PlayerError as error:
        if not error.transient:
            raise
        time.sleep(RETRY_PAUSE if error.upnp_code is not None else 0.1)
        return step()


@dataclass(frozen=True)
class LevelStep:
    """One volume or mute change on one speaker of the group."""

    speaker: str
    key: tuple[str, str]  # (uid, "volume" | "mute")
    change: Callable[[], None]


def retry_lost_answer(step: Callable[[], None]) -> None:
    """Run a level change; after a lost answer, once more (a refusal stands)."""
    try:
        step()
    except PlayerError as error:
        if error.upnp_code is not None:
            raise
        time.sleep(0.1)
        step()


@dataclass
class LevelResults:
    """How a batch of level changes went: a speaker that refused kept its level; one that
    did not answer may or may not have changed."""

    applied: list[LevelStep] = field(default_factory=list)
    refused: list[tuple[LevelStep, PlayerError]] = field(default_factory=list)
    lost: list[tuple[LevelStep, PlayerError]] = field(default_factory=list)

    @property
    def maybe_changed(self) -> set[tuple[str, str]]:
        return {step.key for step in self.applied} | {step.key for step, _ in self.lost}

    @property
    def failures(self) -> list[str]:
        return [f"{step.speaker}: {error}" for step, error in self.refused + self.lost]


def apply_levels(steps: Sequence[LevelStep]) -> LevelResults:
    """Make the changes at once; a speaker that fails never holds up the rest."""
    running = [(step, spawn(functools.partial(retry_lost_answer, step.change))) for step in steps]
    results = LevelResults()
    for step, future in running:
        try:
            future.result()
            results.applied.append(step)
        except PlayerError as error:
            (results.refused if error.upnp_code is not None else results.lost).append((step, error))
    return results


# --------------------------------------------------------------------------------------
# The sound itself: fetched once from where the speakers fetch it, so a URL that fails is
# caught before any player is touched, and its length bounds the wait.


@dataclass
class SoundCheck:
    reachable: bool | None  # None: the server did not say in time
    detail: str
    data: bytes = b""
    _duration: float | None = None
    _parsed: bool = False

    def duration(self) -> float | None:
        """The sound's length from its header (parsed on first use: mutagen is not free)."""
        if not self._parsed and self.data:
            self._duration = sound_duration(self.data)
            self._parsed = True
        return self._duration


def check_sound(url: str, timeout: float) -> SoundCheck:
    try:
        with requests.get(url, timeout=timeout, stream=True) as response:
            if response.status_code >= 400:
                return SoundCheck(False, f"HTTP {response.status_code} for {url}")
            data = response.raw.read(MAX_SOUND_BYTES, decode_content=True)
    except requests.Timeout:
        return SoundCheck(None, f"no answer from {url} within {timeout:g} s")
    except (requests.RequestException, OSError) as error:
        return SoundCheck(False, f"{url}: {describe_network_error(error, timeout)}")
    return SoundCheck(True, "ok", data)


def sound_duration(data: bytes) -> float | None:
    """The sound's length from its header. Imported here, not at start: it is needed after
    Play, and an MP3 (what chimes are) is read without loading every format mutagen knows."""
    try:
        if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
            import mutagen.mp3

            audio: object = mutagen.mp3.MP3(io.BytesIO(data))  # type: ignore[no-untyped-call]
        else:
            import mutagen

            audio = mutagen.File(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - any unreadable header just means "unknown"
        return None
    length = getattr(getattr(audio, "info", None), "length", None)
    return float(length) if isinstance(length, (int, float)) and length > 0 else None


# --------------------------------------------------------------------------------------
# One lock file per group coordinator, so chimes that fire together on one group take
# turns and each one snapshots the real state.


class GroupLock:
    def __init__(self, runtime_dir: Path, coordinator_uid: str) -> None:
        safe_name = re.sub(r"[^A-Za-z0-9_.-]", "_", coordinator_uid)
        self.path = runtime_dir / f"{safe_name}.lock"
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Hold the lock if nobody does, without waiting."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            return False
        return True

    def acquire(self, deadline: float, stop: threading.Event) -> bool:
        """Hold the lock; True if another chime held it first. Raises TimeoutError."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        waited = False
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return waited
            except BlockingIOError:
                waited = True
            if time.monotonic() >= deadline or stop.is_set():
                self.release()
                raise TimeoutError(f"{self.path} is held by another chime")
            stop.wait(0.02)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


# --------------------------------------------------------------------------------------
# What a run is asked to do


@dataclass(frozen=True)
class ZoneRef:
    """A zone as the run knows it: uid None means whatever player answers at host."""

    name: str
    uid: str | None
    host: str


@dataclass(frozen=True)
class ChimeJob:
    name: str
    url: str
    default_volume: int | None  # None: leave volumes as they are
    volume_by_uid: Mapping[str, int]
    policy: Mapping[str, str]
    zones: tuple[ZoneRef, ...]  # every zone of the chime, in config order
    known_hosts: tuple[str, ...]  # every configured host, to find a zone DHCP moved

    def volume_for(self, uid: str) -> int | None:
        return self.volume_by_uid.get(uid, self.default_volume)


@dataclass(frozen=True)
class RunSettings:
    request_timeout: float
    margin: float
    runtime_dir: Path
    dry_run: bool


class TopologyLookups:
    """GetZoneGroupState answers, asked once per host and run: every player of a household
    answers with the same document, so the zones of one run share them."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._answers: dict[str, Future[Topology]] = {}
        self._lock = threading.Lock()

    def ask(self, host: str) -> Future[Topology]:
        with self._lock:
            if host not in self._answers:
                self._answers[host] = spawn(Player(host, 1400, self.timeout).topology)
            return self._answers[host]


@dataclass
class RunContext:
    """What the zones of one process share."""

    job: ChimeJob
    settings: RunSettings
    started: float
    stop: threading.Event
    sound: Future[SoundCheck]
    lookups: TopologyLookups
    first_hosts: tuple[str, ...]  # hosts of the zones this run chimes: asked first
    stop_reason: list[str] = field(default_factory=list)


class Outcome(enum.Enum):
    CHIMED = "chimed and restored"
    LEFT_TO_USER = "chimed; someone took the zone over, left as they set it"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class ZoneResult:
    zone: str
    outcome: Outcome
    detail: str


# --------------------------------------------------------------------------------------
# Snapshots


@dataclass(frozen=True)
class MemberSnapshot:
    member: Member
    volume: int
    mute: bool


@dataclass(frozen=True)
class GroupSnapshot:
    group: Group
    uri: str
    metadata: str
    transport_state: str
    track: int
    position: float
    track_duration: float | None
    play_mode: str
    crossfade: str
    members: tuple[MemberSnapshot, ...] = ()  # filled in by ZoneRun.with_levels

    @property
    def kind(self) -> str:
        return classify_source(self.uri)

    @property
    def was_playing(self) -> bool:
        return self.transport_state in PLAYING_STATES


class EndKind(enum.Enum):
    FINISHED = "the chime ended"
    TAKEN_OVER = "someone else changed the source"
    SIGNAL = "stopped by a signal"
    TIMED_OUT = "the chime did not end in time"
    NEVER_STARTED = "the player did not play the sound"
    ERROR = "a player error"


@dataclass(frozen=True)
class Ending:
    kind: EndKind
    at: float
    detail: str = ""


@dataclass(frozen=True)
class TransportReading:
    """A coordinator's transport being read for a snapshot: all requests at once."""

    media: Future[dict[str, str]]
    state: Future[str]
    position: Future[dict[str, str]]
    play_mode: Future[str]
    crossfade: Future[str]

    @classmethod
    def start(cls, player: Player) -> TransportReading:
        return cls(
            media=spawn(player.media_info),
            state=spawn(player.transport_state),
            position=spawn(player.position_info),
            play_mode=spawn(player.play_mode),
            crossfade=spawn(player.crossfade),
        )


@dataclass(frozen=True)
class LevelReading:
    """A speaker's volume and mute being read."""

    volume: Future[int]
    mute: Future[bool]

    @classmethod
    def start(cls, player: Player) -> LevelReading:
        return cls(volume=spawn(player.volume), mute=spawn(player.mute))


@dataclass(frozen=True)
class PendingLevels:
    """Every speaker's volume and mute, being read while the chime is switched in."""

    readings: tuple[tuple[Member, LevelReading], ...]


@dataclass
class Speculation:
    """Reads begun before the topology answers, on the guess that the zone coordinates its
    own group (a lone speaker, usually): right, they save a round trip before the chime."""

    lock: GroupLock
    transport: TransportReading
    level: LevelReading


@dataclass
class ChimeWatch:
    """What the chime's watcher learnt while it played."""

    members: frozenset[str] | None = None  # uids of the group at the last look


@dataclass
class ChimeClock:
    """When the chime started and when it can end, as far as the looks so far tell."""

    play_sent: float
    bound: float  # never wait for the end beyond this
    deadline: float  # the whole zone, restore included, is over by then
    seen_playing: bool = False
    last_not_playing: float = 0.0
    earliest_end: float | None = None
    stopped_since: float | None = None
    next_wake: float = 0.0
    last_poll: float = 0.0

    def not_yet_heard(self, poll_sent: float) -> None:
        self.last_not_playing = poll_sent

    def heard(self, poll_sent: float, position: float, duration: float | None, margin: float) -> None:
        self.seen_playing = True
        if duration is None:
            return
        # Players report whole seconds, and the audio began after the last look that
        # did not hear it: the earliest the chime can end.
        started = max(self.play_sent, self.last_not_playing, poll_sent - position - 1.0)
        latest_start = max(self.play_sent, poll_sent - position)
        self.earliest_end = started + duration
        self.bound = latest_start + duration + margin / 2
        self.deadline = max(self.deadline, latest_start + duration + margin)


def gather_state(player: Player) -> tuple[str, dict[str, str]]:
    state, media = spawn(player.transport_state), spawn(player.media_info)
    return state.result(), media.result()


class ZoneFailure(Exception):
    """This zone cannot be chimed; nothing was changed."""


# --------------------------------------------------------------------------------------
# One zone, start to end


@dataclass(frozen=True)
class Located:
    uid: str
    topology: Topology
    group: Group


class ZoneRun:
    def __init__(self, zone: ZoneRef, context: RunContext) -> None:
        self.zone = zone
        self.context = context
        self.job = context.job
        self.timeout = context.settings.request_timeout
        self.group_label = "?"
        self.source = "?"
        self.clock: ChimeClock | None = None
        self.levels_changed: set[tuple[str, str]] = set()  # what the chime changed, to put back

    # ---- logging

    def log(self, step: str, message: str = "", level: int = logging.INFO, **fields: object) -> None:
        parts = [f"zone={quote(self.zone.name)}", f"group={quote(self.group_label)}", f"step={step}"]
        if self.source != "?":
            parts.append(f"source={self.source}")
        parts += [f"{name}={quote(str(value))}" for name, value in fields.items()]
        if message:
            parts.append(f"- {message}")
        LOG.log(level, " ".join(parts))

    def deadline(self) -> float:
        """When this zone must be done (the chime's length plus the margin)."""
        if self.clock is not None:
            return self.clock.deadline
        return self.context.started + self.context.settings.margin

    def elapsed_ms(self, since: float) -> int:
        return round((time.monotonic() - since) * 1000)

    # ---- the whole zone

    def run(self) -> ZoneResult:
        speculation = self.speculate()
        try:
            return self.located_run(speculation)
        except Exception as error:  # a bug in one zone must not stop the others
            LOG.exception("zone=%s unexpected error", quote(self.zone.name))
            return ZoneResult(self.zone.name, Outcome.FAILED, f"unexpected error: {error}")
        finally:
            if speculation is not None:
                speculation.lock.release()

    def located_run(self, speculation: Speculation | None) -> ZoneResult:
        try:
            located = self.locate()
        except ZoneFailure as error:
            self.log("locate", str(error), logging.ERROR, outcome="failed")
            return ZoneResult(self.zone.name, Outcome.FAILED, str(error))
        self.group_label = located.group.label
        chosen = self.player_zone_for(located)
        if chosen.name != self.zone.name:
            message = f"{chosen.name!r} comes first in this chime and plays for this group"
            self.log("stand-aside", message, decision="stand-aside", outcome="skipped")
            return ZoneResult(self.zone.name, Outcome.SKIPPED, message)
        if self.context.settings.dry_run:
            return self.dry_run(located.group)
        coordinator = located.group.coordinator
        guessed_right = coordinator.uid == self.zone.uid and (coordinator.host, coordinator.port) == (self.zone.host, 1400)
        if speculation is not None and not guessed_right:
            speculation.lock.release()
            speculation = None
        return self.locked_chime(located, speculation)

    def speculate(self) -> Speculation | None:
        """Lock and read the zone's own player while the topology is asked for."""
        if self.zone.uid is None or self.context.settings.dry_run:
            return None
        lock = GroupLock(self.context.settings.runtime_dir, self.zone.uid)
        try:
            if not lock.try_acquire():
                return None  # another chime is busy here: the usual path waits for it
        except OSError:
            return None
        player = Player(self.zone.host, 1400, self.timeout)
        return Speculation(lock=lock, transport=TransportReading.start(player), level=LevelReading.start(player))

    def locate(self) -> Located:
        """Find the zone by uid: at its last-known host, or through any other known player."""
        started = time.monotonic()
        lookups = self.context.lookups
        first = dict.fromkeys([self.zone.host, *self.context.first_hosts])
        pending = {lookups.ask(host) for host in first}
        others = [host for host in self.job.known_hosts if host not in first]
        asked_others = False
        errors: list[str] = []
        while pending:
            # The hosts of this run's zones get a head start; when they fail, are slow or no
            # longer know the uid (DHCP gave the address to another player), every other
            # configured player is asked too. Any answer will do: they are all the same.
            head_start = None if asked_others else max(0.0, started + min(0.25, self.timeout) - time.monotonic())
            done, pending = wait(pending, timeout=head_start, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    located = self.find_in(future.result())
                except PlayerError as error:
                    errors.append(str(error))
                    continue
                if located is not None:
                    self.log_location(located, started)
                    return located
            if not asked_others:
                pending |= {lookups.ask(host) for host in others}
                asked_others = True
        detail = "; ".join(errors) or "no player knows it"
        raise ZoneFailure(f"cannot find {self.zone.uid or self.zone.host}: {detail}")

    def find_in(self, topology: Topology) -> Located | None:
        uid = self.zone.uid or topology.uid_at(self.zone.host)
        if uid is None:
            return None
        group = topology.group_of(uid)
        return None if group is None else Located(uid=uid, topology=topology, group=group)

    def log_location(self, located: Located, started: float) -> None:
        member = next(m for m in located.group.members if m.uid == located.uid)
        self.group_label = located.group.label
        moved = member.host != self.zone.host
        message = f"moved by DHCP from {self.zone.host}" if moved else "found at its last-known host"
        self.log("locate", message, host=member.host, locate_ms=self.elapsed_ms(started))

    def player_zone_for(self, located: Located) -> ZoneRef:
        """The first zone of this chime, in config order, that is in this zone's group."""
        for zone in self.job.zones:
            uid = zone.uid or located.topology.uid_at(zone.host)
            if uid is not None and uid in located.group.uids:
                return zone
        return self.zone

    # ---- reading the group

    def snapshot(self, group: Group, speculation: Speculation | None = None) -> tuple[GroupSnapshot, PendingLevels]:
        """The coordinator's transport, read; every speaker's volume and mute, being read."""
        started = time.monotonic()
        if speculation is not None:
            try:
                return self.read_snapshot(group, started, speculation)
            except PlayerError as error:
                self.log("snapshot", f"early read failed, reading again: {error}", logging.WARNING)
        try:
            return self.read_snapshot(group, started, None)
        except PlayerError as error:
            if not error.transient:
                raise
            self.log("snapshot", f"reading again: {error}", logging.WARNING)
            time.sleep(0.1)
            return self.read_snapshot(group, started, None)

    def read_snapshot(
        self, group: Group, started: float, speculation: Speculation | None
    ) -> tuple[GroupSnapshot, PendingLevels]:
        transport = speculation.transport if speculation else TransportReading.start(self.player(group.coordinator))
        # EQ (bass, treble, loudness) is not read: the chime never changes it, so there
        # is nothing to put back, and reading it would cost three requests per member.
        levels = PendingLevels(
            tuple(
                (member, speculation.level)
                if speculation is not None and member.uid == group.coordinator_uid
                else (member, LevelReading.start(self.player(member)))
                for member in self.volume_members(group)
            )
        )
        position_info, media_info = transport.position.result(), transport.media.result()
        snap = GroupSnapshot(
            group=group,
            uri=media_info.get("CurrentURI", ""),
            metadata=media_info.get("CurrentURIMetaData", ""),
            transport_state=transport.state.result(),
            track=parse_track(position_info.get("Track")),
            position=parse_duration(position_info.get("RelTime")) or 0.0,
            track_duration=parse_duration(position_info.get("TrackDuration")),
            play_mode=transport.play_mode.result(),
            crossfade=transport.crossfade.result(),
        )
        self.source = snap.kind
        self.log(
            "snapshot",
            state=snap.transport_state,
            uri=snap.uri or "-",
            track=snap.track,
            position=format_duration(snap.position),
            snapshot_ms=self.elapsed_ms(started),
        )
        return snap, levels

    def with_levels(self, snap: GroupSnapshot, pending: PendingLevels) -> GroupSnapshot:
        """The snapshot with every speaker's volume and mute; one that cannot be read (after
        a second try) is left as it is, without holding up the others."""
        members: list[MemberSnapshot] = []
        for member, reading in pending.readings:
            try:
                try:
                    volume, mute = reading.volume.result(), reading.mute.result()
                except PlayerError:
                    player = self.player(member)
                    volume, mute = player.volume(), player.mute()
            except PlayerError as error:
                self.log("levels", f"{member.name} left as it is, its volume cannot be read: {error}", logging.WARNING)
                continue
            members.append(MemberSnapshot(member=member, volume=volume, mute=mute))
        volumes_text = ",".join(f"{m.member.name}:{m.volume}{'(muted)' if m.mute else ''}" for m in members)
        self.log("levels", volumes=volumes_text or "-")
        return dataclasses.replace(snap, members=tuple(members))

    def volume_members(self, group: Group) -> list[Member]:
        # Every speaker of the group, the hidden second speaker of a stereo pair included
        # (a pair whose speakers share one volume takes the same value twice); subs and
        # surrounds (Satellite elements) follow their soundbar and are not listed.
        return list(group.members)

    def player(self, member: Member) -> Player:
        return Player(member.host, member.port, self.timeout)

    def decide(self, snap: GroupSnapshot) -> tuple[str, str]:
        kind = snap.kind
        if kind == UNKNOWN_SOURCE:
            return "skip", f"unrecognised source {snap.uri!r} could not be put back"
        decision = self.job.policy.get(kind, "skip")
        return decision, f"source policy for {kind} is {decision}"

    def dry_run(self, group: Group) -> ZoneResult:
        try:
            snap, pending = self.snapshot(group)
            self.with_levels(snap, pending)
        except PlayerError as error:
            self.log("snapshot", str(error), logging.ERROR, outcome="failed")
            return ZoneResult(self.zone.name, Outcome.FAILED, str(error))
        decision, reason = self.decide(snap)
        sound = self.context.sound.result()
        if decision == "interrupt" and sound.reachable is False:
            decision, reason = "skip", f"sound unreachable: {sound.detail}"
        self.log("decide", f"dry run, nothing changed: would {decision}", decision=decision, reason=reason)
        return ZoneResult(self.zone.name, Outcome.SKIPPED, f"dry run: would {decision}")

    # ---- the chime, under the group's lock

    def locked_chime(self, located: Located, speculation: Speculation | None) -> ZoneResult:
        lock_deadline = self.context.started + self.context.settings.margin / 2
        for _attempt in range(3):
            if speculation is not None:
                lock, waited = speculation.lock, False
            else:
                lock = GroupLock(self.context.settings.runtime_dir, located.group.coordinator_uid)
                try:
                    waited = lock.acquire(lock_deadline, self.context.stop)
                except (TimeoutError, OSError) as error:
                    if self.context.stop.is_set():
                        self.log("lock", "stopped while waiting for another chime", outcome="skipped")
                        return ZoneResult(self.zone.name, Outcome.SKIPPED, "stopped before the chime")
                    self.log("lock", str(error), logging.ERROR, outcome="failed")
                    return ZoneResult(self.zone.name, Outcome.FAILED, str(error))
            try:
                if waited:
                    # Another chime played on this group meanwhile: look again, the group
                    # may have changed while it played.
                    refreshed = self.refresh(located)
                    if refreshed.group.coordinator_uid != located.group.coordinator_uid:
                        located, speculation = refreshed, None
                        continue
                    located = refreshed
                    self.log("lock", "waited for another chime on this group", waited="yes")
                return self.chime_group(located.group, speculation)
            finally:
                lock.release()
        return ZoneResult(self.zone.name, Outcome.FAILED, "the group kept changing")

    def refresh(self, located: Located) -> Located:
        try:
            topology = self.player(located.group.coordinator).topology()
        except PlayerError:
            return self.locate()
        return self.find_in(topology) or self.locate()

    def chime_group(self, group: Group, speculation: Speculation | None) -> ZoneResult:
        try:
            snap, pending = self.snapshot(group, speculation)
        except PlayerError as error:
            self.log("snapshot", str(error), logging.ERROR, outcome="failed")
            return ZoneResult(self.zone.name, Outcome.FAILED, f"snapshot: {error}")
        decision, reason = self.decide(snap)
        if decision == "skip":
            self.log("decide", reason, decision="skip", outcome="skipped")
            return ZoneResult(self.zone.name, Outcome.SKIPPED, reason)
        if self.context.stop.is_set():
            self.log("decide", "stop requested before the chime", decision="skip", outcome="skipped")
            return ZoneResult(self.zone.name, Outcome.SKIPPED, "stopped before the chime")
        sound = self.context.sound
        if sound.done() and sound.result().reachable is False:
            detail = f"sound unreachable, nothing changed: {sound.result().detail}"
            self.log("decide", detail, logging.ERROR, decision="skip", outcome="failed")
            return ZoneResult(self.zone.name, Outcome.FAILED, detail)
        self.log("decide", reason, decision="interrupt")
        return self.interrupt_and_restore(snap, pending)

    def interrupt_and_restore(self, snap: GroupSnapshot, pending: PendingLevels) -> ZoneResult:
        coordinator = self.player(snap.group.coordinator)
        watch = ChimeWatch()
        # The chime is switched in as soon as the transport is known; the speakers' levels
        # are still being read meanwhile, and are needed only after it.
        switching = spawn(functools.partial(retry_once, functools.partial(
            coordinator.set_uri, self.job.url, chime_metadata(self.job.name)
        )))
        try:
            snap = self.with_levels(snap, pending)
            started_at = self.start_chime(coordinator, snap, switching)
        except PlayerError as error:
            if error.action == "SetAVTransportURI" and error.upnp_code is not None:
                return self.refused(snap, error)
            self.log("play", str(error), logging.ERROR)
            ending = Ending(EndKind.ERROR, time.monotonic(), str(error))
        except Exception as error:  # whatever went wrong, the group is put back
            LOG.exception("zone=%s unexpected error starting the chime", quote(self.zone.name))
            ending = Ending(EndKind.ERROR, time.monotonic(), f"unexpected error: {error}")
        else:
            try:
                ending = self.wait_for_end(coordinator, snap, started_at, watch)
            except PlayerError as error:
                ending = Ending(EndKind.ERROR, time.monotonic(), str(error))
            except Exception as error:  # whatever went wrong, the group is put back
                LOG.exception("zone=%s unexpected error during the chime", quote(self.zone.name))
                ending = Ending(EndKind.ERROR, time.monotonic(), f"unexpected error: {error}")
        wait([switching])  # never put the source back while the chime is still being switched in
        return self.finish(coordinator, snap, ending, watch)

    def refused(self, snap: GroupSnapshot, error: PlayerError) -> ZoneResult:
        """The player refused the sound: its source was never replaced."""
        # Nothing plays, so the chime volume may have been set while the URI was refused.
        problems = apply_levels(self.member_restore_steps(snap.members, hold_muted=False)).failures
        changed = "volumes, put back" if self.levels_changed else "nothing"
        self.log("play", str(error), logging.ERROR, outcome="failed", changed=changed)
        for problem in problems:
            self.log("restore", f"volume or mute not put back on {problem}", logging.ERROR)
        return ZoneResult(self.zone.name, Outcome.FAILED, f"chime refused: {error}")

    def start_chime(self, coordinator: Player, snap: GroupSnapshot, switching: Future[None]) -> float:
        """Finish switching the group to the chime at the chime volume; returns when Play was sent."""
        level_steps = self.chime_level_steps(snap)
        if self.safe_to_change_volume_early(snap):
            self.set_chime_levels(level_steps)
            switching.result()
        else:
            # Raising the volume while the old music plays would blast it: switch first.
            switching.result()
            self.set_chime_levels(level_steps)
        play_sent = time.monotonic()
        retry_once(coordinator.play)
        self.log(
            "play",
            "chime started",
            url=self.job.url,
            start_latency_ms=round((time.monotonic() - self.context.started) * 1000),
        )
        return play_sent

    def set_chime_levels(self, steps: Sequence[LevelStep]) -> None:
        """The chime's volume and unmute: a speaker that refuses (a fixed line-out volume,
        say) keeps its level and is not put back; one that does not answer will be."""
        results = apply_levels(steps)
        self.levels_changed |= results.maybe_changed
        for step, error in results.refused:
            self.log("play", f"{step.speaker} kept its {step.key[1]}: {error}", logging.WARNING)
        for step, error in results.lost:
            self.log("play", f"{step.speaker} did not answer: {error}", logging.WARNING)

    def chime_level_steps(self, snap: GroupSnapshot) -> list[LevelStep]:
        steps: list[LevelStep] = []
        for member_snap in snap.members:
            target = self.job.volume_for(member_snap.member.uid)
            if target is None:
                continue
            player, name, uid = self.player(member_snap.member), member_snap.member.name, member_snap.member.uid
            if member_snap.volume != target:
                steps.append(LevelStep(name, (uid, "volume"), functools.partial(player.set_volume, target)))
            if member_snap.mute:
                steps.append(LevelStep(name, (uid, "mute"), functools.partial(player.set_mute, False)))
        return steps

    def safe_to_change_volume_early(self, snap: GroupSnapshot) -> bool:
        if not snap.was_playing:
            return True
        for member_snap in snap.members:
            target = self.job.volume_for(member_snap.member.uid)
            if target is None:
                continue
            if member_snap.mute or target > member_snap.volume:
                return False
        return True

    # ---- waiting for the end of the chime

    def expected_duration(self, position_info: Mapping[str, str]) -> float | None:
        # The file's header is exact; a player reports whole seconds. Either will do.
        sound = self.context.sound
        if sound.done():
            from_header = sound.result().duration()
            if from_header is not None:
                return from_header
        reported = parse_duration(position_info.get("TrackDuration"))
        return reported if reported else None

    def wait_for_end(
        self, coordinator: Player, snap: GroupSnapshot, play_sent: float, watch: ChimeWatch
    ) -> Ending:
        """Wait until the chime has been heard to its end (or is taken over, or must stop)."""
        margin = self.context.settings.margin
        sound = self.context.sound
        length = (sound.result().duration() if sound.done() else None) or 0.0
        clock = ChimeClock(play_sent=play_sent, bound=play_sent + length + margin / 2, deadline=play_sent + length + margin)
        self.clock = clock
        failing_since: float | None = None
        while True:
            now = time.monotonic()
            if self.context.stop.is_set():
                return Ending(EndKind.SIGNAL, now, ", ".join(self.context.stop_reason))
            if now >= clock.bound:
                return Ending(EndKind.TIMED_OUT, now, f"still playing after {now - play_sent:.1f} s")
            try:
                ending = self.watch_once(coordinator, snap, clock, watch)
            except PlayerError as error:
                # One lost answer must not cut the chime short; a player that stays silent
                # past the chime's expected end is given up on, and restored if it can be.
                failing_since = failing_since or now
                past_end = clock.earliest_end is not None and now > clock.earliest_end + 1.0
                silent_start = not clock.seen_playing and now - failing_since > max(1.0, self.timeout) + 0.5
                if past_end or silent_start:
                    return Ending(EndKind.ERROR, now, str(error))
                self.log("chime", f"poll failed, still waiting: {error}", logging.WARNING)
                self.context.stop.wait(0.1)
                continue
            failing_since = None
            if ending is not None:
                return ending

    def watch_once(
        self, coordinator: Player, snap: GroupSnapshot, clock: ChimeClock, watch: ChimeWatch
    ) -> Ending | None:
        """One look at the coordinator (after a pause that suits the phase of the chime)."""
        stop = self.context.stop
        if not clock.seen_playing:
            return self.watch_start(coordinator, clock)
        now = time.monotonic()
        tight_from = clock.earliest_end - TIGHT_POLL_LEAD if clock.earliest_end is not None else now
        if now < tight_from:
            # Sleep towards the end, looking once a second for a takeover or a regroup.
            if now < clock.next_wake:
                stop.wait(min(clock.next_wake, tight_from) - now)
                return None
            clock.next_wake = now + WAKE_INTERVAL
            group = spawn(coordinator.topology)
            state, media = gather_state(coordinator)
            self.note_group(group, snap, watch)
        else:
            # Near the end, look as often as answers come; with no length known, calmly.
            interval = TIGHT_POLL_INTERVAL if clock.earliest_end is not None else UNKNOWN_END_POLL_INTERVAL
            stop.wait(max(0.0, clock.last_poll + interval - now))
            clock.last_poll = time.monotonic()
            state, media = gather_state(coordinator)
        if self.taken_over(media):
            return Ending(EndKind.TAKEN_OVER, time.monotonic(), media.get("CurrentURI", ""))
        if state not in PLAYING_STATES:
            return Ending(EndKind.FINISHED, time.monotonic())
        return None

    def watch_start(self, coordinator: Player, clock: ChimeClock) -> Ending | None:
        """Until the chime is heard: TRANSITIONING is not an end, STOPPED for long is a failure."""
        poll_sent = time.monotonic()
        state = coordinator.transport_state()
        now = time.monotonic()
        if state == PLAYING:
            # Heard: now where it is, how long it lasts, and whether it is still ours.
            media_f, position_f = spawn(coordinator.media_info), spawn(coordinator.position_info)
            media, position = media_f.result(), position_f.result()
            if self.taken_over(media):
                return Ending(EndKind.TAKEN_OVER, time.monotonic(), media.get("CurrentURI", ""))
            duration = self.expected_duration(position)
            clock.heard(poll_sent, parse_duration(position.get("RelTime")) or 0.0, duration, self.context.settings.margin)
            self.log("chime", "playing", duration=f"{duration:.2f}s" if duration else "unknown")
            return None
        if state == TRANSITIONING:
            clock.not_yet_heard(poll_sent)
            clock.stopped_since = None
        else:
            clock.stopped_since = clock.stopped_since or now
            duration = self.expected_duration({})
            if duration is not None and now - clock.play_sent >= duration:
                return Ending(EndKind.FINISHED, now)  # short enough to start and end between looks
            if now - clock.stopped_since >= NEVER_STARTED_AFTER:
                return Ending(EndKind.NEVER_STARTED, now, f"transport {state}")
        self.context.stop.wait(POLL_INTERVAL_START)
        return None

    def note_group(self, group: Future[Topology], snap: GroupSnapshot, watch: ChimeWatch) -> None:
        """Note who is still in the group, so members moved away meanwhile are left alone."""
        try:
            current = group.result().group_of(snap.group.coordinator_uid)
        except PlayerError as error:
            self.log("chime", f"could not read the topology: {error}", logging.WARNING)
            return
        if current is not None:
            watch.members = current.uids

    def taken_over(self, media: Mapping[str, str]) -> bool:
        uri = media.get("CurrentURI", "")
        return bool(uri) and not same_uri(uri, self.job.url)

    # ---- putting everything back

    def finish(self, coordinator: Player, snap: GroupSnapshot, ending: Ending, watch: ChimeWatch) -> ZoneResult:
        played_ms = round((ending.at - self.clock.play_sent) * 1000) if self.clock is not None else 0
        self.log("end", ending.kind.value + (f": {ending.detail}" if ending.detail else ""), end=ending.kind.name, chime_ms=played_ms)
        present = [m for m in snap.members if watch.members is None or m.member.uid in watch.members]
        gone = [m for m in snap.members if m not in present]
        for member_snap in gone:
            self.log("restore", f"{member_snap.member.name} left the group during the chime: only its volume goes back")
        for problem in self.restore_volumes_if_untouched(gone):
            self.log("restore", f"volume not put back on {problem}", logging.WARNING)
        if ending.kind == EndKind.TAKEN_OVER:
            problems = self.restore_volumes_if_untouched(present)
            self.log(
                "restore",
                "someone took the zone over during the chime: their choice is left in place",
                outcome="left-to-user" if not problems else "failed",
            )
            if problems:
                return ZoneResult(self.zone.name, Outcome.FAILED, "; ".join(problems))
            return ZoneResult(self.zone.name, Outcome.LEFT_TO_USER, ending.detail)
        error: PlayerError | None = None
        mismatch = ""
        for attempt in (1, 2):
            restore_started = time.monotonic()
            try:
                speaker_problems = self.restore_once(coordinator, snap, present)
                gap_ms = round((time.monotonic() - ending.at) * 1000)
                mismatch = self.verify(coordinator, snap)
                error = None
            except PlayerError as failure:
                error, mismatch = failure, ""
            if error is None and not mismatch:
                return self.restored(ending, attempt, snap, gap_ms, restore_started, speaker_problems)
            problem = str(error) if error is not None else mismatch
            time_left = self.deadline() - time.monotonic() > 2 * self.timeout + RETRY_PAUSE
            retry = attempt == 1 and (error is None or error.transient) and time_left
            self.log("restore", problem, logging.WARNING if retry else logging.ERROR, attempt=attempt)
            if not retry:
                break
            time.sleep(RETRY_PAUSE)
        detail = f"restore failed: {error if error is not None else mismatch}"
        self.log("restore", detail, logging.ERROR, outcome="failed")
        return ZoneResult(self.zone.name, Outcome.FAILED, detail)

    def restored(
        self, ending: Ending, attempt: int, snap: GroupSnapshot, gap_ms: int, restore_started: float, problems: list[str]
    ) -> ZoneResult:
        """The coordinator is back as it was: say how the zone did."""
        for problem in problems:
            self.log("restore", f"volume or mute not put back on {problem}", logging.ERROR)
        # The chime was heard (to its end, or cut by a signal or the time limit).
        heard = ending.kind in (EndKind.FINISHED, EndKind.SIGNAL, EndKind.TIMED_OUT)
        failures = ([] if heard else [f"{ending.kind.value}: {ending.detail}"]) + problems
        self.log(
            "restore",
            "restored the source; some speakers were not" if problems else "restored",
            logging.ERROR if failures else logging.INFO,
            attempt=attempt,
            state=snap.transport_state,
            resume_gap_ms=gap_ms,
            restore_ms=self.elapsed_ms(restore_started),
            outcome="failed" if failures else "ok" if ending.kind == EndKind.FINISHED else "restored",
        )
        if failures:
            return ZoneResult(self.zone.name, Outcome.FAILED, "; ".join(failures))
        return ZoneResult(self.zone.name, Outcome.CHIMED, ending.kind.value)

    def restore_once(self, coordinator: Player, snap: GroupSnapshot, present: Sequence[MemberSnapshot]) -> list[str]:
        """Put the group back; returns the speakers whose volume or mute could not be."""
        # Volumes go back while the transport is stopped, in parallel with the source, and
        # always before Play: nothing is ever heard at the chime volume but the chime.
        paused = snap.transport_state == PAUSED
        source = spawn(lambda: self.restore_source(coordinator, snap))
        problems = apply_levels(self.member_restore_steps(present, hold_muted=paused)).failures
        source.result()
        if snap.was_playing:
            coordinator.play()
        elif paused:
            # A player only pauses what plays: Play then Pause at once, every speaker muted
            # meanwhile, brings PAUSED_PLAYBACK back at the position without a sound.
            try:
                coordinator.play()
                self.pause_when_possible(coordinator)
            except PlayerError:
                # Paused music must never come back playing: stop it before unmuting.
                with contextlib.suppress(PlayerError):
                    coordinator.stop()
                raise
            finally:
                unmute = [
                    LevelStep(m.member.name, (m.member.uid, "mute"), functools.partial(self.player(m.member).set_mute, False))
                    for m in present
                    if not m.mute
                ]
                problems += apply_levels(unmute).failures
        return problems

    def pause_when_possible(self, coordinator: Player) -> None:
        """Pause; a player still starting to play may answer 701 for a moment."""
        deadline = time.monotonic() + 1.0
        while True:
            try:
                coordinator.pause()
                return
            except PlayerError as error:
                if error.upnp_code != "701" or time.monotonic() >= deadline:
                    raise
            time.sleep(0.05)

    def member_restore_steps(self, present: Sequence[MemberSnapshot], hold_muted: bool) -> list[LevelStep]:
        """Put back what the chime changed (and, to restore a pause silently, mute them all)."""
        steps: list[LevelStep] = []
        for member_snap in present:
            player, name, uid = self.player(member_snap.member), member_snap.member.name, member_snap.member.uid
            if (uid, "volume") in self.levels_changed:
                steps.append(LevelStep(name, (uid, "volume"), functools.partial(player.set_volume, member_snap.volume)))
            if hold_muted or (uid, "mute") in self.levels_changed:
                steps.append(LevelStep(name, (uid, "mute"), functools.partial(player.set_mute, True)))
        return steps

    def restore_source(self, coordinator: Player, snap: GroupSnapshot) -> None:
        kind = snap.kind
        if kind == "idle":
            try:
                coordinator.set_uri("", "")
            except PlayerError as error:
                if error.upnp_code is None:
                    raise
                # A player that will not go back to nothing is left stopped on its own
                # (possibly empty) queue, the nearest thing: never on the chime.
                self.log("restore", f"no empty source ({error}): stopped on its queue instead", logging.WARNING)
                coordinator.set_uri(idle_fallback_uri(snap), "")
            return
        coordinator.set_uri(snap.uri, snap.metadata)
        if kind == "queue":
            if snap.track > 0:
                coordinator.seek("TRACK_NR", str(snap.track))
            settings = [
                lambda: coordinator.set_play_mode(snap.play_mode),
                lambda: coordinator.set_crossfade(snap.crossfade),
            ]
            if snap.position >= 1:
                settings.append(lambda: coordinator.seek("REL_TIME", self.resume_position(snap)))
            gather(settings)
        elif kind == "uri" and snap.position >= 1 and snap.track_duration:
            try:
                coordinator.seek("REL_TIME", self.resume_position(snap))
            except PlayerError as error:
                self.log("restore", f"could not seek in {snap.uri}: {error}", logging.WARNING)

    def resume_position(self, snap: GroupSnapshot) -> str:
        # Players report whole seconds: a playing track was somewhere within the next
        # second, so resuming one second on keeps the error under a second either way.
        position = snap.position + 1 if snap.was_playing else snap.position
        if snap.track_duration:
            position = min(position, max(0.0, snap.track_duration - 1))
        return format_duration(position)

    def verify(self, coordinator: Player, snap: GroupSnapshot) -> str:
        """Read the coordinator back: an empty string when it is as it was."""
        # A resumed source is TRANSITIONING for a moment: look again for a while (slowly,
        # other zones of the run may still be resuming), then accept it as on its way.
        deadline = time.monotonic() + max(1.0, self.timeout)
        while True:
            time.sleep(VERIFY_INTERVAL)
            state = coordinator.transport_state()
            if state != TRANSITIONING or time.monotonic() >= deadline:
                break
        media_f, position_f = spawn(coordinator.media_info), spawn(coordinator.position_info)
        media, position = media_f.result(), position_f.result()
        uri = media.get("CurrentURI", "")
        if uri != snap.uri and not (snap.kind == "idle" and uri == idle_fallback_uri(snap)):
            return f"source is {uri!r}, expected {snap.uri!r}"
        if snap.kind == "queue" and snap.track and parse_track(position.get("Track")) != snap.track:
            return f"track is {position.get('Track')}, expected {snap.track}"
        expected_states = {
            PLAYING: PLAYING_STATES,
            TRANSITIONING: PLAYING_STATES,
            PAUSED: (PAUSED,),
            STOPPED: (STOPPED,),
            NO_MEDIA: (NO_MEDIA, STOPPED),
        }.get(snap.transport_state, (snap.transport_state,))
        if state not in expected_states:
            return f"transport is {state}, expected {snap.transport_state}"
        return ""

    def restore_volumes_if_untouched(self, members: Sequence[MemberSnapshot]) -> list[str]:
        """After a takeover: put back only the levels nobody changed since the chime set them."""
        steps = [
            LevelStep(m.member.name, (m.member.uid, "volume"), functools.partial(self.restore_level_if_untouched, m))
            for m in members
            if (m.member.uid, "volume") in self.levels_changed or (m.member.uid, "mute") in self.levels_changed
        ]
        return apply_levels(steps).failures

    def restore_level_if_untouched(self, member_snap: MemberSnapshot) -> None:
        uid = member_snap.member.uid
        player = self.player(member_snap.member)
        volume, mute = spawn(player.volume), spawn(player.mute)
        if (uid, "volume") in self.levels_changed and volume.result() == self.job.volume_for(uid):
            player.set_volume(member_snap.volume)
        if (uid, "mute") in self.levels_changed and not mute.result():
            player.set_mute(True)


def quote(text: str) -> str:
    return f'"{text}"' if (" " in text or not text) else text


# --------------------------------------------------------------------------------------
# Running zones side by side


def run_job(job: ChimeJob, targets: Sequence[ZoneRef], settings: RunSettings, started: float) -> int:
    stop = threading.Event()
    context = RunContext(
        job=job,
        settings=settings,
        started=started,
        stop=stop,
        sound=spawn(lambda: check_sound(job.url, settings.request_timeout)),
        lookups=TopologyLookups(settings.request_timeout),
        first_hosts=tuple(dict.fromkeys(zone.host for zone in targets)),
    )
    install_signal_handlers(context)
    results: list[ZoneResult] = []
    results_lock = threading.Lock()

    def run_zone(zone: ZoneRef) -> None:
        result = ZoneRun(zone, context).run()
        with results_lock:
            results.append(result)

    workers = [threading.Thread(target=run_zone, args=(zone,), name=f"zone {zone.name}") for zone in targets]
    for worker in workers:
        worker.start()
    for worker in workers:
        while worker.is_alive():
            # A timed join lets the main thread run signal handlers while zones work.
            worker.join(0.1)
    failed = [result for result in results if result.outcome == Outcome.FAILED]
    LOG.info(
        "chime=%s done in %d ms: %s",
        quote(job.name),
        round((time.monotonic() - started) * 1000),
        ", ".join(f"{quote(r.zone)} {r.outcome.value}" for r in results) or "no zones",
    )
    return 1 if failed or len(results) != len(targets) else 0


def install_signal_handlers(context: RunContext) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if context.stop.is_set():
            LOG.warning("%s again: still putting the zones back", name)
            return
        context.stop_reason.append(name)
        LOG.warning("%s received: ending the chime and putting the zones back", name)
        context.stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


# --------------------------------------------------------------------------------------
# Commands


def play_command(args: argparse.Namespace, started: float) -> int:
    config = load_config(Path(args.config))
    chime = config.chime(args.chime)
    if chime is None:
        known = ", ".join(repr(c.name) for c in config.chimes)
        raise ConfigError(f"CHIME: no chime named {args.chime!r} in {args.config} (known: {known})")
    for name in args.zone or []:
        if name not in chime.zones:
            raise ConfigError(
                f"--zone: {name!r} is not a zone of chime {chime.name!r} (its zones: {', '.join(chime.zones)})"
            )
    zones = tuple(config.zone(name) for name in chime.zones)
    job = ChimeJob(
        name=chime.name,
        url=chime.url,
        default_volume=chime.volume,
        volume_by_uid={config.zone(name).uid: volume for name, volume in chime.zone_volumes.items()},
        policy=chime.sources,
        zones=tuple(ZoneRef(zone.name, zone.uid, zone.host) for zone in zones),
        known_hosts=tuple(dict.fromkeys(zone.host for zone in config.zones)),
    )
    requested = list(dict.fromkeys(args.zone or chime.zones))
    targets = [ref for ref in job.zones if ref.name in requested]
    settings = RunSettings(
        request_timeout=config.settings.request_timeout,
        margin=config.settings.margin,
        runtime_dir=config.settings.runtime_dir,
        dry_run=args.dry_run,
    )
    return run_job(job, targets, settings, started)


def play_uri_command(args: argparse.Namespace, started: float) -> int:
    url = args.url
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
        raise ConfigError(f"URL: {url!r} is not an http(s) URL")
    for host in args.host:
        require_ipv4(host, "--host")
    if args.volume is not None and not 0 <= args.volume <= 100:
        raise ConfigError(f"--volume: {args.volume} is not within 0-100")
    hosts = tuple(dict.fromkeys(args.host))
    refs = tuple(ZoneRef(host, None, host) for host in hosts)
    job = ChimeJob(
        name="sonos-chime",
        url=url,
        default_volume=args.volume,
        volume_by_uid={},
        policy=DEFAULT_SOURCE_POLICY,
        zones=refs,
        known_hosts=hosts,
    )
    settings = RunSettings(
        request_timeout=args.request_timeout,
        margin=args.margin,
        runtime_dir=Path(args.runtime_dir) if args.runtime_dir else default_runtime_dir(),
        dry_run=args.dry_run,
    )
    return run_job(job, refs, settings, started)


def default_runtime_dir() -> Path:
    if os.access(DEFAULT_RUNTIME_DIR, os.W_OK) or os.access(DEFAULT_RUNTIME_DIR.parent, os.W_OK):
        return DEFAULT_RUNTIME_DIR
    return Path(tempfile.gettempdir()) / "sonos-chime"


DISCOVERY_HELP = """\
discover: no Sonos player answered{how}.
Likely causes and what works around them:
  - multicast is blocked: the search (UDP to 239.255.255.250:1900) does not reach the
    players, e.g. Wi-Fi client isolation, IGMP snooping or a VLAN between this host and
    them. Use --scan CIDR (e.g. --scan 192.168.1.0/24) to try TCP port 1400 on every
    address of that network instead.
  - the wrong network interface: with several (docker0, a VPN, eth0 and wlan0) the search
    may leave by one the players are not on. Use --interface ADDRESS with this host's
    address on the players' network.
  - a firewall on this host drops the players' UDP answers: allow UDP from the players
    (source port 1900), or use --scan CIDR.
  - the players are slow, asleep or on another network: raise --timeout (now {timeout:g} s)
    and check that the Sonos app sees them from this network.
"""


def discover_command(args: argparse.Namespace) -> int:
    timeout = float(args.timeout)
    if timeout <= 0:
        raise ConfigError(f"--timeout: {args.timeout} must be more than 0")
    if args.interface is not None:
        require_ipv4(args.interface, "--interface")
    if args.scan is not None:
        try:
            network = ipaddress.IPv4Network(args.scan, strict=False)
        except ValueError:
            raise ConfigError(f"--scan: {args.scan!r} is not an IPv4 network such as 192.168.1.0/24") from None
    soco.config.REQUEST_TIMEOUT = timeout
    try:
        if args.scan is not None:
            zones = soco.discovery.scan_network(
                networks_to_scan=[str(network)], scan_timeout=min(timeout, 1.0)
            )
        else:
            zones = soco.discover(timeout=timeout, interface_addr=args.interface)
    except (OSError, requests.RequestException, SoCoException) as error:
        LOG.error("discover: %s", error)
        zones = None
    if not zones:
        how = f" on {args.scan}" if args.scan else f" via {args.interface}" if args.interface else ""
        sys.stderr.write(DISCOVERY_HELP.format(how=how, timeout=timeout))
        return 1
    try:
        entries = gather([functools.partial(describe_zone, zone, timeout) for zone in zones])
    except (OSError, requests.RequestException, SoCoException, ET.ParseError) as error:
        LOG.error("discover: a player answered the search but not the questions after it: %s", error)
        return 1
    entries.sort(key=lambda entry: (entry["name"].casefold(), entry["name"], entry["uid"]))
    sys.stdout.write(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, default_flow_style=False))
    return 0


def describe_zone(zone: Any, timeout: float) -> dict[str, str]:
    info = zone.get_speaker_info(timeout=timeout)
    return {
        "name": str(zone.player_name),
        "uid": str(zone.uid),
        "host": str(zone.ip_address),
        "model": str(info.get("model_name") or ""),
        "coordinator": str(zone.group.coordinator.uid),
    }


# --------------------------------------------------------------------------------------
# Command line


class UsageError(Exception):
    pass


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit 2 itself; keep one exit path
        raise UsageError(f"{self.prog}: {message}")


def positive_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="chime.py", description=__doc__.split("\n\n")[1] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)

    play = commands.add_parser("play", help="play a chime from the config on its zones")
    play.add_argument("chime", metavar="CHIME", help="name of a chime in the config")
    play.add_argument(
        "--zone", action="append", metavar="NAME", help="only this zone of the chime (repeatable; default: all)"
    )
    play.add_argument("--config", default=str(DEFAULT_CONFIG), metavar="PATH", help="default: %(default)s")
    add_common_options(play)

    play_uri = commands.add_parser("play-uri", help="play a sound URL on the given players, no config needed")
    play_uri.add_argument("url", metavar="URL", help="http(s) URL the speakers can fetch")
    play_uri.add_argument("--host", action="append", required=True, metavar="ADDRESS", help="a player's IPv4 address")
    play_uri.add_argument("--volume", type=int, metavar="N", help="chime volume 0-100 (default: leave volumes)")
    play_uri.add_argument("--request-timeout", type=positive_float, default=DEFAULT_REQUEST_TIMEOUT, metavar="S")
    play_uri.add_argument("--margin", type=positive_float, default=DEFAULT_MARGIN, metavar="S")
    play_uri.add_argument("--runtime-dir", metavar="PATH", help=f"lock files (default: {DEFAULT_RUNTIME_DIR})")
    add_common_options(play_uri)

    discover = commands.add_parser("discover", help="list the zones that answer, as YAML")
    discover.add_argument("--timeout", type=positive_float, default=5.0, metavar="S", help="default: %(default)s")
    discover.add_argument("--interface", metavar="ADDRESS", help="search from this local IPv4 address")
    discover.add_argument("--scan", metavar="CIDR", help="scan this network on TCP 1400 instead of multicast")
    discover.add_argument("-v", "--verbose", action="store_true", help="log more")
    return parser


def add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="decide and log, change nothing")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")


def setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    for old in list(LOG.handlers):
        LOG.removeHandler(old)
    LOG.addHandler(handler)
    LOG.setLevel(logging.DEBUG if verbose else logging.INFO)
    LOG.propagate = False
    logging.getLogger("soco").setLevel(logging.INFO if verbose else logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.monotonic()
    setup_logging("-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:]))
    try:
        args = build_parser().parse_args(argv)
        if args.command == "play":
            return play_command(args, started)
        if args.command == "play-uri":
            return play_uri_command(args, started)
        return discover_command(args)
    except (UsageError, ConfigError) as error:
        LOG.error("%s", error)
        return 2


if __name__ == "__main__":
    sys.exit(main())
