"""The schema of /etc/sonos-chime/config.yml (docs/architecture.md, section 1), defined once.

chime.py reads the file with `load_config`. The role's preflight checks, on the controller,
the document it is about to write with the same functions (`parse_settings`, `parse_zones`,
`parse_chime`, `volume`, `source_policy`), giving them its own variable names as keys, so
whatever preflight accepts chime.py accepts. Each section's keys are the fields of the class it
is read into; any other key is refused. This module needs only the standard library
(and PyYAML to read a file), so that the controller can import it without SoCo.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .audiofile import SOUND_SUFFIXES
from .calendars import CalendarSource, parse_calendar_source
from .daysoff import DateRange, DaysOff, HolidayRule, parse_date_range, parse_region
from .holiday_regions import REGIONS as HOLIDAY_COUNTRIES
from .quiet import QuietRange, parse_range
from .sources import DEFAULT_POLICY, POLICIES, SOURCE_KINDS
from .zonelog import quote

DEFAULT_CONFIG = Path("/etc/sonos-chime/config.yml")
DEFAULT_RUNTIME_DIR = Path("/run/sonos-chime")
DEFAULT_STATE_DIR = Path("/var/lib/sonos-chime/pending")
DEFAULT_CALENDAR_CACHE = Path("/var/lib/sonos-chime/calendars")  # the last good copy of each skip_calendar URL
DEFAULT_REQUEST_TIMEOUT = 2.0
DEFAULT_MARGIN = 10.0
DEFAULT_LEAD = 5  # seconds a chime's timer starts it before its moment (README: "On the second")
LONGEST_LEAD = 59
# A run its timer starts more than this long after the chime's moment (a `persistent` catch-up
# after a night off, a clock that jumped) does not play (README: "Never at the wrong hour").
DEFAULT_TOO_LATE = 300
LONGEST_TOO_LATE = 86400

# How a chime plays (README: "Overlay chimes"): interrupt stops the music for the chime and puts
# it back; overlay plays an audio clip over the music (S2 players that can); auto does each
# where it can.
INTERRUPT_MODE, OVERLAY_MODE, AUTO_MODE = "interrupt", "overlay", "auto"
MODES = (INTERRUPT_MODE, OVERLAY_MODE, AUTO_MODE)
# A chime's `fade` (README: "Gentle fades"): seconds the music fades out before the chime, within
# the lead, which must still leave this long for the start, the zones found and a group read.
LONGEST_FADE = 10.0
FADE_HEADROOM = 2


class ConfigError(Exception):
    """A usage or configuration error: the message names the bad key."""


@dataclass(frozen=True)
class Settings:
    runtime_dir: Path = DEFAULT_RUNTIME_DIR
    state_dir: Path = DEFAULT_STATE_DIR
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    margin: float = DEFAULT_MARGIN
    interface: str | None = None
    lead: int = DEFAULT_LEAD
    too_late: int = DEFAULT_TOO_LATE
    calendar_cache: Path = DEFAULT_CALENDAR_CACHE


@dataclass(frozen=True)
class ZoneConfig:
    name: str
    uid: str
    host: str
    quiet_hours: tuple[QuietRange, ...] = ()  # times of day no chime plays here (quiet.py)


@dataclass(frozen=True)
class ChimeConfig:
    name: str
    url: str
    volume: int
    zones: tuple[str, ...]
    zone_volumes: Mapping[str, int] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_POLICY))
    schedule: tuple[str, ...] = ()  # its timer's OnCalendar expressions: `--at next` reads them
    mode: str = INTERRUPT_MODE
    ignore_quiet_hours: bool = False  # an alarm-like chime that plays in every zone's quiet hours
    skip_holidays: HolidayRule | None = None  # the public holidays it does not play on (daysoff.py)
    skip_dates: tuple[DateRange, ...] = ()  # the family's own days off
    skip_calendar: CalendarSource | None = None  # a calendar whose events are days off (calendars.py)
    fade: float = 0.0  # seconds the music it interrupts fades out before it (and back in after); 0: none

    @property
    def days_off(self) -> DaysOff:
        return DaysOff(self.skip_holidays, self.skip_dates)


@dataclass(frozen=True)
class Config:
    settings: Settings
    zones: tuple[ZoneConfig, ...]
    chimes: tuple[ChimeConfig, ...]

    def zone(self, name: str) -> ZoneConfig:
        return next(zone for zone in self.zones if zone.name == name)

    def chime(self, name: str) -> ChimeConfig | None:
        return next((chime for chime in self.chimes if chime.name == name), None)


def key_names(section: type) -> tuple[str, ...]:
    """The keys of a section of the file: the fields of the class it is read into."""
    return tuple(item.name for item in fields(section))


TOP_KEYS = key_names(Config)
SETTINGS_KEYS = key_names(Settings)
ZONE_KEYS = key_names(ZoneConfig)
CHIME_KEYS = key_names(ChimeConfig)


# ---- the file


def load_config(path: Path) -> Config:
    import yaml

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
    top = mapping(data, "config")
    refuse_unknown_keys(top, TOP_KEYS, "config")
    zones = parse_zones(required(top, "zones", ""), "zones")
    zone_names = [zone.name for zone in zones]
    raw_chimes = items(required(top, "chimes", ""), "chimes")
    chimes = tuple(parse_chime(raw, f"chimes[{index}]", zone_names) for index, raw in enumerate(raw_chimes))
    for index, chime in enumerate(chimes):
        if any(other.name == chime.name for other in chimes[:index]):
            raise ConfigError(f"chimes[{index}].name: {chime.name!r} is listed twice")
    settings = parse_settings(top.get("settings"), "settings")
    for index, chime in enumerate(chimes):
        fade_fits(chime.fade, settings.lead, f"chimes[{index}].fade")
    return Config(settings=settings, zones=zones, chimes=chimes)


# ---- sections


def parse_settings(data: object, key: str) -> Settings:
    if data is None:
        return Settings()
    raw = mapping(data, key)
    refuse_unknown_keys(raw, SETTINGS_KEYS, key)
    interface = raw.get("interface")
    return Settings(
        runtime_dir=Path(text(raw.get("runtime_dir", str(DEFAULT_RUNTIME_DIR)), f"{key}.runtime_dir")),
        state_dir=Path(text(raw.get("state_dir", str(DEFAULT_STATE_DIR)), f"{key}.state_dir")),
        request_timeout=seconds(
            raw.get("request_timeout", DEFAULT_REQUEST_TIMEOUT), f"{key}.request_timeout", 0.0, 60.0, zero_allowed=False
        ),
        margin=seconds(raw.get("margin", DEFAULT_MARGIN), f"{key}.margin", 0.0, 3600.0),
        interface=None if interface in (None, "") else ipv4(interface, f"{key}.interface"),
        lead=whole_number(raw.get("lead", DEFAULT_LEAD), f"{key}.lead", 1, LONGEST_LEAD),
        too_late=whole_number(raw.get("too_late", DEFAULT_TOO_LATE), f"{key}.too_late", 1, LONGEST_TOO_LATE),
        calendar_cache=Path(text(raw.get("calendar_cache", str(DEFAULT_CALENDAR_CACHE)), f"{key}.calendar_cache")),
    )


def parse_zones(data: object, key: str) -> tuple[ZoneConfig, ...]:
    zones: list[ZoneConfig] = []
    for index, item in enumerate(items(data, key)):
        item_key = f"{key}[{index}]"
        raw = mapping(item, item_key)
        refuse_unknown_keys(raw, ZONE_KEYS, named(item_key, raw))
        zone = ZoneConfig(
            name=text(required(raw, "name", item_key), f"{item_key}.name"),
            uid=text(required(raw, "uid", item_key), f"{item_key}.uid"),
            host=ipv4(required(raw, "host", item_key), f"{item_key}.host"),
            quiet_hours=quiet_ranges(raw.get("quiet_hours", []), f"{item_key}.quiet_hours"),
        )
        if any(other.name == zone.name for other in zones):
            raise ConfigError(f"{item_key}.name: {zone.name!r} is listed twice")
        if any(other.uid == zone.uid for other in zones):
            raise ConfigError(f"{item_key}.uid: {zone.uid!r} is listed twice")
        zones.append(zone)
    return tuple(zones)


def parse_chime(data: object, key: str, zone_names: Sequence[str]) -> ChimeConfig:
    raw = mapping(data, key)
    refuse_unknown_keys(raw, CHIME_KEYS, named(key, raw))
    url = http_url(required(raw, "url", key), f"{key}.url")
    zones = items(required(raw, "zones", key), f"{key}.zones")
    if not zones:
        raise ConfigError(f"{key}.zones: is empty (a chime plays on at least one zone)")
    chime_zones = tuple(zone_name(name, f"{key}.zones[{index}]", zone_names) for index, name in enumerate(zones))
    for index, name in enumerate(chime_zones):
        if name in chime_zones[:index]:
            raise ConfigError(f"{key}.zones[{index}]: {name!r} is listed twice")
    zone_volumes = {
        zone_name(name, f"{key}.zone_volumes", zone_names): volume(level, f"{key}.zone_volumes.{name}")
        for name, level in mapping(raw.get("zone_volumes") or {}, f"{key}.zone_volumes").items()
    }
    mode = chime_mode(raw.get("mode", INTERRUPT_MODE), f"{key}.mode")
    overlay_sound(urlparse(url).path, mode, f"{key}.url")
    return ChimeConfig(
        name=text(required(raw, "name", key), f"{key}.name"),
        url=url,
        mode=mode,
        volume=volume(required(raw, "volume", key), f"{key}.volume"),
        zones=chime_zones,
        zone_volumes=zone_volumes,
        sources=source_policy(raw.get("sources"), f"{key}.sources"),
        schedule=tuple(text(item, f"{key}.schedule[{index}]") for index, item in enumerate(items(raw.get("schedule", []), f"{key}.schedule"))),
        ignore_quiet_hours=flag(raw.get("ignore_quiet_hours", False), f"{key}.ignore_quiet_hours"),
        skip_holidays=holiday_rule(raw.get("skip_holidays"), f"{key}.skip_holidays"),
        skip_dates=date_ranges(raw.get("skip_dates", []), f"{key}.skip_dates"),
        skip_calendar=calendar_source(raw.get("skip_calendar"), f"{key}.skip_calendar"),
        fade=fade_seconds(raw.get("fade", 0), mode, f"{key}.fade"),
    )


def quiet_ranges(data: object, key: str) -> tuple[QuietRange, ...]:
    """One range (`19:00-07:00`) or a list of them."""
    if isinstance(data, int) and not isinstance(data, bool):
        raise ConfigError(f"{key}: {data!r} is a number: YAML reads 19:00 unquoted as one; write the range in quotes, "
                          'e.g. "19:00-07:00"')
    ranges = items([data] if isinstance(data, str) else data, key)
    parsed = []
    for index, item in enumerate(ranges):
        item_key = f"{key}[{index}]" if not isinstance(data, str) else key
        try:
            parsed.append(parse_range(text(item, item_key)))
        except ValueError as error:
            raise ConfigError(f"{item_key}: {item!r} {error}") from None
    return tuple(parsed)


def holiday_rule(data: object, key: str) -> HolidayRule | None:
    """A country (`FR`), or a country and one of its subdivisions (`{country: DE, subdiv: BY}`)."""
    if data is None or data in ("", {}, []):
        return None
    if isinstance(data, bool):
        raise ConfigError(f"{key}: {data!r} is not a country: YAML reads NO (Norway) unquoted as false; write it in quotes")
    if isinstance(data, str):
        country, subdiv, where = data, None, key
    else:
        raw = mapping(data, key)
        refuse_unknown_keys(raw, ("country", "subdiv"), key)
        country = text(required(raw, "country", key), f"{key}.country")
        raw_subdiv = raw.get("subdiv")
        subdiv = None if raw_subdiv in (None, "") else str(raw_subdiv) if isinstance(raw_subdiv, int) else text(
            raw_subdiv, f"{key}.subdiv")
        where = f"{key}.subdiv" if subdiv is not None and country in HOLIDAY_COUNTRIES else f"{key}.country"
    try:
        return parse_region(country, subdiv)
    except ValueError as error:
        raise ConfigError(f"{where}: {error}") from None


def date_ranges(data: object, key: str) -> tuple[DateRange, ...]:
    """Dates and ranges of dates: `2026-12-24`, `2026-12-24..2027-01-02` (both days included)."""
    ranges = []
    for index, item in enumerate(items(data, key)):
        item_key = f"{key}[{index}]"
        value = item.isoformat() if isinstance(item, date) else text(item, item_key)
        try:
            ranges.append(parse_date_range(value))
        except ValueError as error:
            raise ConfigError(f"{item_key}: {value!r} {error}") from None
    return tuple(ranges)


def calendar_source(data: object, key: str) -> CalendarSource | None:
    """A path on the host (the role's copy of a controller's file) or an http(s) URL."""
    if data is None or data == "":
        return None
    value = text(data, key)
    try:
        return parse_calendar_source(value)
    except ValueError as error:
        raise ConfigError(f"{key}: {value!r} {error}") from None


def chime_mode(value: object, key: str) -> str:
    if value not in MODES:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(MODES)}")
    return str(value)


def overlay_sound(name: str, mode: str, key: str) -> None:
    """A chime that may overlay needs a sound the players' audio clips play."""
    if mode != INTERRUPT_MODE and not name.lower().endswith(SOUND_SUFFIXES):
        raise ConfigError(
            f"{key}: {name.rsplit('/', 1)[-1]!r} cannot be overlaid (mode {mode}): audio clips play MP3 and WAV only"
        )


def fade_seconds(value: object, mode: str, key: str) -> float:
    """Seconds, 0 (no fade) to LONGEST_FADE; an overlay never stops the music, so never fades it."""
    fade = seconds(value, key, 0.0, LONGEST_FADE)
    if fade and mode == OVERLAY_MODE:
        raise ConfigError(f"{key}: mode overlay never stops the music, so it never fades it: use mode auto or interrupt, or no fade")
    return fade


def fade_fits(fade: float, lead: int, key: str) -> None:
    """The fade is part of the lead: the timer starts the run `lead` s before the moment."""
    if fade > lead - FADE_HEADROOM:
        raise ConfigError(f"{key}: {fade:g} s does not fit in the lead ({lead} s, sonos_chime_lead) with {FADE_HEADROOM} s "
                          f"to start: fade at most {max(0, lead - FADE_HEADROOM)} s, or a longer lead")


def source_policy(data: object, key: str) -> dict[str, str]:
    """The default policy with the given overrides (kind -> interrupt | skip)."""
    policy = dict(DEFAULT_POLICY)
    for kind, value in mapping(data or {}, key).items():
        if kind not in SOURCE_KINDS:
            raise ConfigError(f"{key}.{kind}: unknown kind of source (known: {', '.join(SOURCE_KINDS)})")
        if value not in POLICIES:
            raise ConfigError(f"{key}.{kind}: {value!r} is not one of {', '.join(POLICIES)}")
        policy[kind] = value
    return policy


# ---- values


def required(raw: Mapping[str, Any], name: str, parent: str) -> object:
    if name not in raw or raw[name] is None:
        raise ConfigError(f"{parent + '.' if parent else ''}{name}: missing (required)")
    return raw[name]


def mapping(value: object, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a mapping, got {type_name(value)}")
    return {str(name): item for name, item in value.items()}


def items(value: object, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list, got {type_name(value)}")
    return value


def text(value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: expected a non-empty string, got {value!r}")
    return value


def flag(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: {value!r} is not a boolean (true or false)")
    return value


def volume(value: object, key: str) -> int:
    return whole_number(value, key, 0, 100)


def whole_number(value: object, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: {value!r} is not a whole number within {low}-{high}")
    if not low <= value <= high:
        raise ConfigError(f"{key}: {value} is not within {low}-{high}")
    return value


def seconds(value: object, key: str, low: float, high: float, zero_allowed: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{key}: {value!r} is not a number")
    if not (low <= value if zero_allowed else low < value) or value > high:
        lowest = f"{low:g}" if zero_allowed else f"more than {low:g}"
        raise ConfigError(f"{key}: {value} is not within {lowest} to {high:g} seconds")
    return float(value)


def ipv4(value: object, key: str) -> str:
    address = text(value, key)
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise ConfigError(f"{key}: {address!r} is not an IPv4 address") from None
    return address


def http_url(value: object, key: str) -> str:
    url = text(value, key)
    if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
        raise ConfigError(f"{key}: {url!r} is not an http(s) URL")
    return url


def zone_name(value: object, key: str, zone_names: Sequence[str]) -> str:
    name = text(value, key)
    if name not in zone_names:
        raise ConfigError(f"{key}: {name!r} is not a zone listed under zones")
    return name


def refuse_unknown_keys(raw: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    unknown = [name for name in raw if name not in known]
    if unknown:
        raise ConfigError(f"{where}: unknown key {quote(unknown[0])} (known: {', '.join(known)})")


def named(key: str, raw: Mapping[str, Any]) -> str:
    """An item's key with its name, when it has one: `chimes[0] ("Bell")`."""
    name = raw.get("name")
    return f"{key} ({quote(name)})" if isinstance(name, str) else key


def type_name(value: object) -> str:
    return "nothing" if value is None else type(value).__name__
