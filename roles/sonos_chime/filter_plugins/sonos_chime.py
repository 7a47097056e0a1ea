"""Filters of the sonos_chime role: unit-safe names, systemd quoting and the preflight model.

Kept in Python rather than Jinja so that the rules (slugs, merging discovered zones with the
user's choices, what counts as a bad inventory) live in one readable place.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from typing import Any

# Letters that Unicode decomposition does not fold to ASCII.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe",
     "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d",
     "ı": "i"}
)
_SLUG_MAX = 60
SOURCE_KINDS = ("queue", "radio", "uri", "idle", "line_in", "tv", "cloud", "cloud_queue")
SOURCE_POLICIES = ("interrupt", "skip")
CHIME_KEYS = ("name", "sound", "schedule", "zones", "zones_exclude", "volume",
              "zone_volumes", "enabled", "persistent", "sources", "description")


def slug(name: Any) -> str:
    """ASCII-folded, lower case, runs of other characters become '-'.

    A name with no ASCII letter or digit (e.g. in Greek or Japanese) becomes 'x' plus a
    short hash, and a very long one is cut and given a hash, so every name has a unit name.
    """
    text = str(name)
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    ascii_only = folded.encode("ascii", "ignore").decode("ascii").lower()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    if not out:
        return "x" + digest
    if len(out) > _SLUG_MAX:
        return out[: _SLUG_MAX - 9].rstrip("-") + "-" + digest
    return out


def systemd_quote(value: Any) -> str:
    """Quote one argument for ExecStart= (specifiers and variables escaped)."""
    text = str(value).replace("%", "%%").replace("$", "$$")
    if "'" not in text and "\\" not in text:
        return "'" + text + "'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unit_name(chime: str, prefix: str = "sonos-chime-") -> str:
    return f"{prefix}{slug(chime)}"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def effective_zones(discovered: Any, manual: Any, exclude: Any) -> list[dict[str, Any]]:
    """Discovered zones (sorted as discovery wrote them), hand-defined ones merged over them
    by name (a hand-defined zone wins, new ones are appended), minus excluded names."""
    excluded = {str(n) for n in _as_list(exclude)}
    out: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for by_hand, source in ((False, _as_list(discovered)), (True, _as_list(manual))):
        for zone in source:
            if not isinstance(zone, dict) or "name" not in zone:
                continue
            item = {"name": str(zone["name"]), "uid": zone.get("uid"), "host": zone.get("host")}
            if item["name"] in index and by_hand:
                out[index[item["name"]]] = item
            elif item["name"] not in index:
                index[item["name"]] = len(out)
                out.append(item)
    return [z for z in out if z["name"] not in excluded]


def chime_zones(chime: dict[str, Any], zones: list[dict[str, Any]]) -> list[str]:
    """Zone names one chime plays on: its own list (or every zone), minus its exclusions."""
    names = [z["name"] for z in zones]
    chosen = [str(z) for z in _as_list(chime.get("zones"))] or names
    left_out = {str(z) for z in _as_list(chime.get("zones_exclude"))}
    return [z for z in chosen if z not in left_out]


def units(chimes: Any, zones: Any, prefix: str = "sonos-chime-") -> list[dict[str, Any]]:
    """One entry per enabled chime that has zones: the unit base name and what goes into it.

    One process plays a chime on all its zones at once (chime.py runs them concurrently):
    a process per zone costs each zone Python's start-up on a small CPU, which at 16 zones
    delays the chime by seconds and takes a gigabyte of memory (see README, Performance).
    """
    out = []
    for chime in _as_list(chimes):
        zone_names = chime_zones(chime, _as_list(zones))
        if not chime.get("enabled", True) or not zone_names:
            continue
        out.append({
            "unit": unit_name(chime["name"], prefix),
            "chime": str(chime["name"]),
            "zones": zone_names,
            "schedules": [str(s) for s in _as_list(chime.get("schedule"))],
            "persistent": bool(chime.get("persistent", False)),
        })
    return out


def _is_int_in(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def problems(chimes: Any, manual: Any, discovered: Any, exclude: Any, volume: Any,
             sources: Any, sounds_src: str) -> list[str]:
    """Everything wrong with the inventory, each message naming variable, item and reason.

    Runs on the controller: sounds_src is the controller folder the sounds are copied from.
    """
    errs: list[str] = []
    if not _is_int_in(volume, 0, 100):
        errs.append(f"sonos_chime_volume: {volume!r} is not an integer within 0-100")
    for kind, policy in (sources or {}).items():
        if kind not in SOURCE_KINDS:
            errs.append(f"sonos_chime_sources.{kind}: unknown kind of source (one of {', '.join(SOURCE_KINDS)})")
        elif policy not in SOURCE_POLICIES:
            errs.append(f"sonos_chime_sources.{kind}: {policy!r} is not interrupt or skip")

    for var, zone_list in (("sonos_chime_zones", manual), ("sonos_chime_discovered_zones", discovered)):
        seen_names: set[str] = set()
        for i, zone in enumerate(_as_list(zone_list)):
            if not isinstance(zone, dict):
                errs.append(f"{var}[{i}]: {zone!r} is not a mapping with name, uid and host")
                continue
            name = zone.get("name")
            label = f"{var}[{i}] ({name!r})"
            for key in ("name", "uid", "host"):
                if not zone.get(key):
                    errs.append(f"{label}: {key} is missing or empty")
            if name is not None:
                if str(name) in seen_names:
                    errs.append(f"{label}: duplicate zone name {str(name)!r}")
                seen_names.add(str(name))
    zones = effective_zones(discovered, manual, exclude)
    known = {z["name"] for z in zones}
    excluded = {str(n) for n in _as_list(exclude)}

    chime_names: set[str] = set()
    chime_slugs: dict[str, str] = {}
    for i, chime in enumerate(_as_list(chimes)):
        if not isinstance(chime, dict):
            errs.append(f"sonos_chime_chimes[{i}]: {chime!r} is not a mapping")
            continue
        name = chime.get("name")
        label = f"sonos_chime_chimes[{i}] ({name!r})"
        for key in sorted(set(chime) - set(CHIME_KEYS)):
            errs.append(f"{label}: unknown key {key!r} (allowed: {', '.join(CHIME_KEYS)})")
        if not name or not isinstance(name, str) or not name.strip():
            errs.append(f"{label}: name is missing or empty")
        else:
            if name in chime_names:
                errs.append(f"{label}: duplicate chime name {name!r}")
            chime_names.add(name)
            s = slug(name)
            if s in chime_slugs and chime_slugs[s] != name:
                errs.append(f"{label}: its unit name {s!r} collides with chime {chime_slugs[s]!r}; rename one")
            chime_slugs[s] = name
        sound = chime.get("sound")
        if not sound or not isinstance(sound, str):
            errs.append(f"{label}: sound is missing or empty")
        elif "/" in sound or sound.startswith("."):
            errs.append(f"{label}: sound {sound!r} must be a file name inside the sounds folder")
        elif not os.path.isfile(os.path.join(str(sounds_src), sound)):
            errs.append(f"{label}: sound {sound!r} is not a file in sonos_chime_sounds_src ({sounds_src})")
        schedules = _as_list(chime.get("schedule"))
        if not schedules:
            errs.append(f"{label}: schedule is missing or empty")
        for sched in schedules:
            if not isinstance(sched, str) or not sched.strip():
                errs.append(f"{label}: schedule {sched!r} is not a non-empty string")
        vol = chime.get("volume", volume)
        if not _is_int_in(vol, 0, 100):
            errs.append(f"{label}: volume {vol!r} is not an integer within 0-100")
        zone_volumes = chime.get("zone_volumes") or {}
        if not isinstance(zone_volumes, dict):
            errs.append(f"{label}: zone_volumes must map zone names to volumes")
            zone_volumes = {}
        for zname, zvol in zone_volumes.items():
            if not _is_int_in(zvol, 0, 100):
                errs.append(f"{label}: zone_volumes[{zname!r}] {zvol!r} is not an integer within 0-100")
            if str(zname) not in known:
                errs.append(f"{label}: zone_volumes names zone {zname!r}, which is not a known zone")
        for key in ("enabled", "persistent"):
            if key in chime and not isinstance(chime[key], bool):
                errs.append(f"{label}: {key} {chime[key]!r} is not true or false")
        for kind, policy in (chime.get("sources") or {}).items():
            if kind not in SOURCE_KINDS:
                errs.append(f"{label}: sources.{kind} is not a kind of source (one of {', '.join(SOURCE_KINDS)})")
            elif policy not in SOURCE_POLICIES:
                errs.append(f"{label}: sources.{kind} {policy!r} is not interrupt or skip")
        for key in ("zones", "zones_exclude"):
            for zname in _as_list(chime.get(key)):
                if str(zname) in excluded and key == "zones":
                    errs.append(f"{label}: zone {zname!r} is left out by sonos_chime_zones_exclude")
                elif str(zname) not in known and str(zname) not in excluded:
                    errs.append(f"{label}: {key} names zone {zname!r}, which is not a known zone "
                                "(run playbooks/discover.yml or add it to sonos_chime_zones)")
        if chime.get("enabled", True) and not chime_zones(chime, zones):
            errs.append(f"{label}: plays on no zone (none known yet: run playbooks/discover.yml or set "
                        "sonos_chime_zones; or all are left out)")
    return errs


def config(chimes: Any, zones: Any, base_url: str, volume: int, sources: dict[str, str],
           settings: dict[str, Any]) -> dict[str, Any]:
    """The document of /etc/sonos-chime/config.yml (docs/architecture.md, section 1)."""
    from urllib.parse import quote

    zones = _as_list(zones)
    out_chimes = []
    for chime in _as_list(chimes):
        item: dict[str, Any] = {
            "name": str(chime["name"]),
            "url": base_url.rstrip("/") + "/" + quote(str(chime["sound"])),
            "volume": chime.get("volume", volume),
        }
        if chime.get("zone_volumes"):
            item["zone_volumes"] = {str(k): v for k, v in chime["zone_volumes"].items()}
        item["zones"] = chime_zones(chime, zones)
        item["sources"] = {**sources, **(chime.get("sources") or {})}
        out_chimes.append(item)
    return {
        "settings": settings,
        "zones": [{"name": z["name"], "uid": z["uid"], "host": z["host"]} for z in zones],
        "chimes": out_chimes,
    }


def systemctl_show(text: str) -> list[dict[str, str]]:
    """Parse `systemctl show -p A,B unit...` output: one dict per unit (blocks split by blank lines)."""
    out = []
    for block in str(text).split("\n\n"):
        props = {}
        for line in block.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                props[key] = value
        if props:
            out.append(props)
    return out


DISCOVERY_HEADER = """\
# Written by playbooks/discover.yml for {host}. Do not edit: the next discovery rewrites it.
# Your choices (which zones a chime uses, zones left out) belong in group_vars, by zone name:
# sonos_chime_chimes[].zones / zones_exclude and sonos_chime_zones_exclude.
"""


def discovery_doc(found: Any, host: str) -> str:
    """The zones file: a header, then the zones sorted by name, keys in a fixed order."""
    import yaml

    keys = ("name", "uid", "host", "model", "coordinator")
    zones = sorted(
        ({k: (str(z[k]) if z.get(k) is not None else None) for k in keys} for z in _as_list(found)),
        key=lambda z: (str(z["name"]).casefold(), str(z["uid"])),
    )
    body = yaml.safe_dump({"sonos_chime_discovered_zones": zones}, sort_keys=False,
                          allow_unicode=True, default_flow_style=False, width=1000, indent=2)
    return DISCOVERY_HEADER.format(host=host) + "---\n" + body


def discovery_summary(found: Any, exclude: Any, chimes: Any, manual: Any) -> list[str]:
    names = sorted(str(z.get("name")) for z in _as_list(found))
    excluded = {str(n) for n in _as_list(exclude)}
    known = set(names) | {str(z.get("name")) for z in _as_list(manual) if isinstance(z, dict)}
    lines = [f"found {len(names)} zone(s): " + ", ".join(
        n + (" (left out by sonos_chime_zones_exclude)" if n in excluded else "") for n in names)]
    for chime in _as_list(chimes):
        if not isinstance(chime, dict):
            continue
        missing = [str(z) for z in _as_list(chime.get("zones")) if str(z) not in known]
        if missing:
            lines.append(f"chime {chime.get('name')!r} names zone(s) not found: {', '.join(missing)}")
    return lines


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "sonos_chime_slug": slug,
            "sonos_chime_systemd_quote": systemd_quote,
            "sonos_chime_unit_name": unit_name,
            "sonos_chime_effective_zones": effective_zones,
            "sonos_chime_units": units,
            "sonos_chime_problems": problems,
            "sonos_chime_config": config,
            "sonos_chime_systemctl_show": systemctl_show,
            "sonos_chime_discovery_doc": discovery_doc,
            "sonos_chime_discovery_summary": discovery_summary,
        }
