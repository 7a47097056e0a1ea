"""Filters of the sonos_chime role: the model of the inventory, the preflight, and names.

The rules of /etc/sonos-chime/config.yml belong to the program (files/sonos_chime/config.py):
preflight imports that module from the controller's copy of the program
(`sonos_chime_program_src`) and checks the inventory's values and the very document the
role writes with it. What is checked here is what only the inventory has: sound files,
schedules, names, zones left out, and which chimes get units.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import ipaddress
import os
import posixpath
import re
import sys
import unicodedata
from types import ModuleType
from typing import Any
from urllib.parse import quote, urlparse

from ansible.module_utils.parsing.convert_bool import boolean

# Letters that Unicode decomposition does not fold to ASCII.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe",
     "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d",
     "ı": "i"}
)
_SLUG_MAX = 60
# The folder of the controller's calendar files on the host (vars/main.yml __sonos_chime_calendar_dir).
CALENDAR_FOLDER = "/etc/sonos-chime/calendars"
ARGUMENT_SPECS = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(__file__))), "meta", "argument_specs.yml")


@functools.cache
def chime_keys() -> tuple[str, ...]:
    """The keys of a chime in the inventory: the options of sonos_chime_chimes in the role's
    argument specs, which Ansible checks at every entry point."""
    import yaml

    with open(ARGUMENT_SPECS, encoding="utf-8") as specs:
        options = yaml.safe_load(specs)["argument_specs"]["main"]["options"]
    return tuple(options["sonos_chime_chimes"]["options"])


# ---- the program's own rules


def program_config(program_src: str) -> ModuleType:
    """sonos_chime.config from the controller's copy of the program (standard library only)."""
    return program_module(program_src, "config")


def program_schedule(program_src: str) -> ModuleType:
    """sonos_chime.schedule: how a timer starts a chime early (standard library only)."""
    return program_module(program_src, "schedule")


def program_calendars(program_src: str) -> ModuleType:
    """sonos_chime.calendars: what a calendar source may be (standard library only; reading a
    calendar needs icalendar)."""
    return program_module(program_src, "calendars")


def program_audio(program_src: str) -> ModuleType:
    """sonos_chime.audiofile: what a sound may be, by its bytes (standard library only)."""
    return program_module(program_src, "audiofile")


def program_module(program_src: str, name: str) -> ModuleType:
    folder = os.path.abspath(str(program_src))
    if not os.path.isfile(os.path.join(folder, "sonos_chime", f"{name}.py")):
        raise FileNotFoundError(f"sonos_chime_program_src: {folder} holds no sonos_chime/{name}.py")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(f"sonos_chime.{name}")


def _check(errs: list[str], rules: ModuleType, rule: str, *args: Any) -> None:
    """Run one of the program's rules; its error message joins the list."""
    try:
        getattr(rules, rule)(*args)
    except rules.ConfigError as error:
        errs.append(str(error))


# config.yml's settings come from these role variables.
SETTING_VARIABLES = {
    "settings.request_timeout": "sonos_chime_request_timeout",
    "settings.margin": "sonos_chime_margin",
    "settings.interface": "sonos_chime_interface",
    "settings.lead": "sonos_chime_lead",
    "settings.too_late": "sonos_chime_too_late",
    "settings.runtime_dir": "sonos_chime runtime folder",
}


def _settings_problems(rules: ModuleType, settings: Any) -> list[str]:
    errs: list[str] = []
    _check(errs, rules, "parse_settings", settings, "settings")
    for key, variable in SETTING_VARIABLES.items():
        errs = [re.sub(rf"^{re.escape(key)}\b", variable, error) for error in errs]
    return errs


# ---- names


def control_characters(text: Any) -> list[str]:
    """The characters of a text that would end or rewrite a line where it is written (unit
    files, nginx, the journal): controls such as line breaks, NUL and escape, and Unicode's
    line and paragraph separators. Each as its escape, e.g. '\\n'."""
    found = [char for char in str(text) if unicodedata.category(char) in ("Cc", "Zl", "Zp")]
    return [repr(char)[1:-1] for char in dict.fromkeys(found)]


def _controls_problem(label: str, what: str, value: Any) -> list[str]:
    found = control_characters(value)
    if not found:
        return []
    return [f"{label}: {what} {str(value)!r} holds control characters ({' '.join(found)}); a name is one line of text"]


def flag(value: Any) -> bool:
    """A boolean as Ansible reads one (true/false, yes/no, on/off, 1/0): the string "false"
    is false. Anything else raises TypeError (preflight names it first)."""
    return bool(boolean(value, strict=True))


def _is_flag(value: Any) -> bool:
    try:
        flag(value)
    except TypeError:
        return False
    return True


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


# sonos-chime-recover.service puts back what a chime that did not finish left (chime.py recover).
RECOVERY_SLUG = "recover"


def unit_name(chime: str, prefix: str = "sonos-chime-") -> str:
    return f"{prefix}{slug(chime)}"


# ---- the model: zones, the chimes that are deployed, their units and config.yml


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


def household_zones(discovered: Any, household: Any) -> list[Any]:
    """The discovered zones of the household chosen by sonos_chime_household: only those that
    record it. Every zone when none is chosen, or when no zone records a household (a zones
    file from before households were recorded: preflight names the choice)."""
    chosen = str(household or "")
    if not chosen or not _households(discovered):
        return _as_list(discovered)
    return [z for z in _as_list(discovered) if isinstance(z, dict) and str(z.get("household") or "") == chosen]


def _households(discovered: Any) -> dict[str, list[str]]:
    """Each household discovery recorded, with the names of its zones; "" for zones whose
    household discovery could not read. Empty when no zone records one."""
    zones = [z for z in _as_list(discovered) if isinstance(z, dict) and "name" in z]
    if not any(z.get("household") for z in zones):
        return {}
    found: dict[str, list[str]] = {}
    for zone in zones:
        found.setdefault(str(zone.get("household") or ""), []).append(str(zone["name"]))
    return found


def _describe_households(found: dict[str, list[str]]) -> str:
    return "; ".join((f"{household!r}: " if household else "no household recorded: ") + ", ".join(map(repr, names))
                     for household, names in sorted(found.items()))


def chime_zones(chime: dict[str, Any], zones: list[dict[str, Any]]) -> list[str]:
    """Zone names one chime plays on: its own list (or every zone), minus its exclusions."""
    names = [z["name"] for z in zones]
    chosen = [str(z) for z in _as_list(chime.get("zones"))] or names
    left_out = {str(z) for z in _as_list(chime.get("zones_exclude"))}
    return [z for z in chosen if z not in left_out]


def deployed(chimes: Any, zones: Any) -> list[tuple[dict[str, Any], list[str]]]:
    """The chimes that get units and a place in config.yml: enabled, with at least one zone."""
    out = []
    for chime in _as_list(chimes):
        names = chime_zones(chime, _as_list(zones))
        if flag(chime.get("enabled", True)) and names:
            out.append((chime, names))
    return out


def units(chimes: Any, zones: Any, prefix: str = "sonos-chime-", forms: Any = None, lead: int = 0,
          program_src: str = "") -> list[dict[str, Any]]:
    """One timer and service per deployed chime: one process plays all its zones at once.

    `forms` maps each schedule to systemd's normalized form (from the host, in preflight);
    with them, each unit's `lead_schedules` are its schedules `lead` seconds earlier.
    """
    out = []
    for chime, names in deployed(chimes, zones):
        schedules = [str(s) for s in _as_list(chime.get("schedule"))]
        out.append({
            "unit": unit_name(chime["name"], prefix),
            "chime": str(chime["name"]),
            "zones": names,
            "schedules": schedules,
            "lead_schedules": _lead_schedules(schedules, forms or {}, lead, program_src),
            "persistent": flag(chime.get("persistent", False)),
        })
    return out


def _lead_schedules(schedules: list[str], forms: dict[str, str], lead: int, program_src: str) -> list[str]:
    known = [forms[s] for s in schedules if forms.get(s) not in (None, "")]
    if not known or not lead:
        return []
    shift = program_schedule(program_src)
    try:
        return list(dict.fromkeys(early for form in known for early in shift.lead_expressions(form, int(lead))))
    except shift.ScheduleError:
        return []  # preflight names it (schedule_problems)


def schedule_forms(schedules: Any, lines: Any) -> dict[str, str]:
    """Each schedule and systemd's normalized form of it ('' where systemd refused it), from
    the preflight's systemd-analyze output: one line per schedule, in order."""
    return {str(s): ("" if line == "!" else str(line)) for s, line in zip(_as_list(schedules), _as_list(lines), strict=False)}


def schedule_problems(chimes: Any, forms: Any, lead: Any, program_src: str) -> list[str]:
    """Schedules systemd refuses, and those the timer cannot start `lead` seconds early."""
    shift = program_schedule(program_src)
    errs = []
    for i, chime in enumerate(_as_list(chimes)):
        label = f"sonos_chime_chimes[{i}] ({chime.get('name')!r})"
        for schedule in map(str, _as_list(chime.get("schedule"))):
            form = (forms or {}).get(schedule)
            if not form:
                errs.append(f"{label}: schedule {schedule!r} is not valid for systemd-analyze calendar")
                continue
            try:
                shift.lead_expressions(form, int(lead))
            except shift.ScheduleError as error:
                errs.append(f"{label}: schedule {schedule!r} cannot start {lead} s early (sonos_chime_lead): {error}")
    return errs


def config(chimes: Any, zones: Any, base_url: str, volume: int, sources: dict[str, str],
           settings: dict[str, Any], mode: str = "interrupt", quiet_hours: Any = None,
           calendar_dir: str = CALENDAR_FOLDER) -> dict[str, Any]:
    """The document of /etc/sonos-chime/config.yml (docs/architecture.md, section 1)."""
    zones = _as_list(zones)
    quiet = quiet_hours or {}
    return {
        "settings": settings,
        "zones": [{"name": z["name"], "uid": z["uid"], "host": z["host"],
                   **({"quiet_hours": [str(r) for r in _as_list(quiet[z["name"]])]} if quiet.get(z["name"]) else {})}
                  for z in zones],
        "chimes": [{**_config_chime(chime, names, base_url, volume, sources, mode), **_calendar_item(chime, calendar_dir)}
                   for chime, names in deployed(chimes, zones)],
    }


def _config_chime(chime: dict[str, Any], names: list[str], base_url: str, volume: int,
                  sources: dict[str, str], mode: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": str(chime["name"]),
        "url": base_url.rstrip("/") + "/" + quote(str(chime["sound"])),
        "volume": chime.get("volume", volume),
    }
    if chime.get("zone_volumes"):
        item["zone_volumes"] = {str(k): v for k, v in chime["zone_volumes"].items() if str(k) in names}
    item["zones"] = names
    item["sources"] = {**(sources or {}), **(chime.get("sources") or {})}
    item["schedule"] = [str(s) for s in _as_list(chime.get("schedule"))]
    item["mode"] = str(chime.get("mode", mode))
    if flag(chime.get("ignore_quiet_hours", False)):
        item["ignore_quiet_hours"] = True
    holidays = chime.get("skip_holidays")
    if isinstance(holidays, dict) and holidays:
        item["skip_holidays"] = {str(k): str(v) for k, v in holidays.items() if v not in (None, "")}
    elif isinstance(holidays, str) and holidays:
        item["skip_holidays"] = holidays
    if chime.get("skip_dates"):
        item["skip_dates"] = [str(day) for day in _as_list(chime["skip_dates"])]
    if chime.get("fade"):
        item["fade"] = chime["fade"]
    return item


# ---- calendars (skip_calendar): a URL as it is, a controller's file copied under a name the role makes

def _calendar_url(value: Any) -> bool:
    """A skip_calendar given as a URL (any scheme: preflight refuses all but http and https)."""
    return "://" in str(value)


def _calendar_item(chime: dict[str, Any], calendar_dir: str) -> dict[str, Any]:
    value = chime.get("skip_calendar")
    if not value:
        return {}
    return {"skip_calendar": str(value) if _calendar_url(value) else f"{calendar_dir}/{slug(chime['name'])}.ics"}


def calendar_copies(chimes: Any, zones: Any, calendar_dir: str, playbook_dir: str) -> list[dict[str, str]]:
    """The controller's calendar files the role copies to the host: one per deployed chime, named
    by its unit's slug (never by the user's path); a relative path is the playbook folder's."""
    return [{"chime": str(chime["name"]), "src": os.path.join(str(playbook_dir), str(chime["skip_calendar"])),
             "dest": _calendar_item(chime, calendar_dir)["skip_calendar"]}
            for chime, _names in deployed(chimes, zones)
            if chime.get("skip_calendar") and not _calendar_url(chime["skip_calendar"])]


def calendar_problems(chimes: Any, playbook_dir: str, program_src: str) -> list[str]:
    """Each chime's skip_calendar: an http(s) URL chime.py may fetch, or a file of the controller
    that reads as iCalendar (fully where the controller has icalendar, else its frame)."""
    calendars = program_calendars(program_src)
    errs = []
    for i, chime in enumerate(_as_list(chimes)):
        value = chime.get("skip_calendar") if isinstance(chime, dict) else None
        if not value:
            continue
        label = f"sonos_chime_chimes[{i}] ({chime.get('name')!r}): skip_calendar {str(value)!r}"
        try:
            if _calendar_url(value):
                calendars.check_url(str(value))
            else:
                calendars.check_file(os.path.join(str(playbook_dir), str(value)))
        except (ValueError, OSError, calendars.CalendarError) as error:
            errs.append(f"{label}: {error}")
    return errs


# ---- preflight


def problems(chimes: Any, manual: Any, discovered: Any, exclude: Any, volume: Any, sources: Any,
             sounds_src: str, settings: Any, program_src: str, mode: Any = "interrupt", household: Any = "",
             quiet_hours: Any = None) -> list[str]:
    """Everything wrong with the inventory, each message naming variable, item and reason.

    Runs on the controller: sounds_src and program_src are controller folders. Names the
    inventory's author writes (chimes, schedules, sounds, zones by hand) are one line of
    text; discovered names are whatever the players say, data that only ever reaches
    config.yml (YAML-escaped) and the journal (escaped by chime.py).
    """
    rules = program_config(program_src)
    errs: list[str] = []
    _check(errs, rules, "volume", volume, "sonos_chime_volume")
    _check(errs, rules, "source_policy", sources, "sonos_chime_sources")
    _check(errs, rules, "chime_mode", mode, "sonos_chime_mode")
    errs += _settings_problems(rules, settings)
    errs += _zone_list_problems(rules, "sonos_chime_zones", manual, by_hand=True)
    households = _households(discovered)
    errs += _discovered_zone_problems(rules, discovered, households)
    errs += _household_choice_problems(households, household)
    zones = effective_zones(household_zones(discovered, household), manual, exclude)
    by_hand = {str(z.get("name")) for z in _as_list(manual) if isinstance(z, dict)}
    context = {"known": {z["name"] for z in zones}, "excluded": {str(n) for n in _as_list(exclude)},
               "zones": zones, "volume": volume, "sounds_src": str(sounds_src), "mode": mode,
               "audio": program_audio(program_src), "household": str(household or ""),
               "household_of": _households_by_name(households, by_hand), "lead": (settings or {}).get("lead", rules.DEFAULT_LEAD)}
    errs += _quiet_hours_problems(rules, quiet_hours, context)
    seen: dict[str, str] = {}
    for i, chime in enumerate(_as_list(chimes)):
        if not isinstance(chime, dict):
            errs.append(f"sonos_chime_chimes[{i}]: {chime!r} is not a mapping")
            continue
        label = f"sonos_chime_chimes[{i}] ({chime.get('name')!r})"
        errs += _name_problems(chime, label, seen)
        errs += _chime_problems(rules, chime, label, context)
    return errs


def _households_by_name(households: dict[str, list[str]], by_hand: set[str]) -> dict[str, list[str]]:
    """The households each discovered zone name is in (a name may be in both systems); a zone
    defined by hand is the user's and in none."""
    by_name: dict[str, list[str]] = {}
    for household, names in sorted(households.items()):
        for name in names:
            if name not in by_hand:
                by_name.setdefault(name, []).append(household)
    return by_name


def _quiet_hours_problems(rules: ModuleType, quiet_hours: Any, context: dict[str, Any]) -> list[str]:
    """Each zone named is one config.yml carries (its quiet hours travel with it), each range one
    chime.py reads."""
    if quiet_hours is None:
        return []
    if not isinstance(quiet_hours, dict):
        return [f"sonos_chime_quiet_hours: {quiet_hours!r} is not a mapping of zone names to ranges"]
    errs: list[str] = []
    for name, ranges in quiet_hours.items():
        if str(name) in context["excluded"]:
            errs.append(f"sonos_chime_quiet_hours: names zone {name!r}, which sonos_chime_zones_exclude leaves out: its "
                        "quiet hours would never reach the Pi, so a group it joins would not be spared; keep it in one "
                        "of the two")
        elif str(name) not in context["known"] and str(name) in context["household_of"]:
            errs.append(f"sonos_chime_quiet_hours: names zone {name!r}, which is not in sonos_chime_household "
                        f"({context['household']!r})")
        elif str(name) not in context["known"]:
            errs.append(f"sonos_chime_quiet_hours: names zone {name!r}, which is not a known zone "
                        "(run playbooks/discover.yml or add it to sonos_chime_zones)")
        _check(errs, rules, "quiet_ranges", ranges, f"sonos_chime_quiet_hours.{name}")
    return errs


def _discovered_zone_problems(rules: ModuleType, discovered: Any, households: dict[str, list[str]]) -> list[str]:
    """The discovered zones by chime.py's rules, each household's on its own: a room name may be
    in two households, never twice in one."""
    if len(households) < 2:
        return _zone_list_problems(rules, "sonos_chime_discovered_zones", discovered, by_hand=False)
    errs: list[str] = []
    for household in sorted(households):
        zones = [z for z in _as_list(discovered) if isinstance(z, dict) and str(z.get("household")) == household]
        errs += _zone_list_problems(rules, f"sonos_chime_discovered_zones (household {household!r})", zones, by_hand=False)
    others = [z for z in _as_list(discovered) if not isinstance(z, dict) or str(z.get("household") or "") not in households]
    return errs + _zone_list_problems(rules, "sonos_chime_discovered_zones (no household)", others, by_hand=False)


def _household_choice_problems(households: dict[str, list[str]], household: Any) -> list[str]:
    chosen = str(household or "")
    if chosen and not households:
        return [f"sonos_chime_household: {chosen!r} is set, but no discovered zone records its household (a zones file "
                "from before discovery recorded them): run playbooks/discover.yml again"]
    if chosen and chosen not in set(households) - {""}:
        return [f"sonos_chime_household: {chosen!r} is not a household discovery found ({_describe_households(households)})"]
    return []


def _span_problems(names: list[str], label: str, context: dict[str, Any]) -> list[str]:
    """A chime whose zones are in two Sonos households (an S1 system beside an S2 one) is
    refused unless sonos_chime_household chose one: a chime is one household's."""
    if context["household"]:
        return []
    spanned: dict[str, list[str]] = {}
    for name in names:
        for household in context["household_of"].get(name, []):
            spanned.setdefault(household, []).append(name)
    if len(spanned) < 2:
        return []
    return [f"{label}: its zones are in {len(spanned)} Sonos households ({_describe_households(spanned)}): set "
            "sonos_chime_household to the one to chime, or name zones of one household in the chime's zones"]


def _zone_list_problems(rules: ModuleType, var: str, zone_list: Any, by_hand: bool) -> list[str]:
    errs: list[str] = []
    entries = []
    for i, zone in enumerate(_as_list(zone_list)):
        if not isinstance(zone, dict):
            errs.append(f"{var}[{i}]: {zone!r} is not a mapping with name, uid and host")
            continue
        entries.append({key: zone.get(key) for key in ("name", "uid", "host")})
        if by_hand:
            errs += _controls_problem(f"{var}[{i}]", "name", zone.get("name"))
            errs += _controls_problem(f"{var}[{i}]", "uid", zone.get("uid"))
    if not errs:
        _check(errs, rules, "parse_zones", entries, var)
    return errs


def _name_problems(chime: dict[str, Any], label: str, seen: dict[str, str]) -> list[str]:
    known = chime_keys()
    errs = [f"{label}: unknown key {key!r} (allowed: {', '.join(known)})" for key in sorted(set(chime) - set(known))]
    name = chime.get("name")
    if not isinstance(name, str) or not name.strip():
        return errs + [f"{label}: name is missing or empty"]
    errs += _controls_problem(label, "name", name)
    unit = slug(name)
    if unit == RECOVERY_SLUG:
        errs.append(f"{label}: its unit name {unit_name(name)!r} is the role's recovery unit; rename the chime")
    if unit in seen:
        other = seen[unit]
        errs.append(f"{label}: duplicate chime name {name!r}" if other == name else
                    f"{label}: its unit name {unit!r} collides with chime {other!r}; rename one")
    seen.setdefault(unit, name)
    return errs


def _chime_problems(rules: ModuleType, chime: dict[str, Any], label: str, context: dict[str, Any]) -> list[str]:
    errs = _sound_problems(chime.get("sound"), label, context["sounds_src"], context["audio"])
    schedules = _as_list(chime.get("schedule"))
    if not schedules:
        errs.append(f"{label}: schedule is missing or empty")
    errs += [f"{label}: schedule {s!r} is not a non-empty string" for s in schedules if not isinstance(s, str) or not s.strip()]
    for schedule in schedules:
        errs += _controls_problem(label, "schedule", schedule)
    for key in ("enabled", "persistent", "ignore_quiet_hours"):
        if key in chime and not _is_flag(chime[key]):
            errs.append(f"{label}: {key}: {chime[key]!r} is not a boolean (true or false)")
    _check(errs, rules, "volume", chime.get("volume", context["volume"]), f"{label}: volume")
    zone_volumes = chime.get("zone_volumes") or {}
    if not isinstance(zone_volumes, dict):
        errs.append(f"{label}: zone_volumes must map zone names to volumes")
        zone_volumes = {}
    for zone, level in zone_volumes.items():
        _check(errs, rules, "volume", level, f"{label}: zone_volumes.{zone}")
    _check(errs, rules, "source_policy", chime.get("sources"), f"{label}: sources")
    errs += _mode_problems(rules, chime, label, context["mode"])
    errs += _fade_problems(rules, chime, label, context)
    _check(errs, rules, "holiday_rule", chime.get("skip_holidays"), f"{label}: skip_holidays")
    _check(errs, rules, "date_ranges", [str(day) for day in _as_list(chime.get("skip_dates"))], f"{label}: skip_dates")
    errs += _zone_name_problems(chime, label, context, list(zone_volumes))
    enabled = chime.get("enabled", True)
    if _is_flag(enabled) and flag(enabled):
        errs += _span_problems(chime_zones(chime, context["zones"]), label, context)
    if _is_flag(enabled) and flag(enabled) and not chime_zones(chime, context["zones"]):
        errs.append(f"{label}: plays on no zone (none known yet: run playbooks/discover.yml or set "
                    "sonos_chime_zones; or all are left out)")
    return errs


def _mode_problems(rules: ModuleType, chime: dict[str, Any], label: str, default: Any) -> list[str]:
    """A mode the program knows, and for overlay or auto a sound the players' clips can play."""
    errs: list[str] = []
    mode = chime.get("mode", default)
    _check(errs, rules, "chime_mode", mode, f"{label}: mode")
    if not errs and isinstance(chime.get("sound"), str):
        _check(errs, rules, "overlay_sound", chime["sound"], mode, f"{label}: sound")
    return errs


def _fade_problems(rules: ModuleType, chime: dict[str, Any], label: str, context: dict[str, Any]) -> list[str]:
    """Seconds, in a mode that stops the music, that fit in the lead (the program's rules)."""
    errs: list[str] = []
    if "fade" not in chime:
        return errs
    _check(errs, rules, "fade_seconds", chime["fade"], chime.get("mode", context["mode"]), f"{label}: fade")
    if not errs and isinstance(context["lead"], int):
        _check(errs, rules, "fade_fits", float(chime["fade"]), context["lead"], f"{label}: fade")
    return errs


def _sound_problems(sound: Any, label: str, sounds_src: str, audio: ModuleType) -> list[str]:
    """A plain file name in the sounds folder; a file inside it (a link may point only within
    the folder); MP3 or WAV by its bytes; no larger than chime.py reads."""
    if not sound or not isinstance(sound, str):
        return [f"{label}: sound is missing or empty"]
    controls = _controls_problem(label, "sound", sound)
    if controls:
        return controls
    if "/" in sound or sound.startswith("."):
        return [f"{label}: sound {sound!r} must be a file name inside the sounds folder"]
    if not sound.lower().endswith(audio.SOUND_SUFFIXES):
        return [f"{label}: sound {sound!r} must be named {' or '.join(audio.SOUND_SUFFIXES)} (what it is: nginx serves it "
                "by that name)"]
    path = os.path.join(sounds_src, sound)
    if not os.path.isfile(path):
        return [f"{label}: sound {sound!r} is not a file in sonos_chime_sounds_src ({sounds_src})"]
    folder = os.path.realpath(sounds_src)
    if os.path.commonpath([folder, os.path.realpath(path)]) != folder:
        return [f"{label}: sound {sound!r} is a link to {os.path.realpath(path)}, outside sonos_chime_sounds_src ({sounds_src})"]
    size = os.path.getsize(path)
    if size > audio.MAX_SOUND_BYTES:
        return [f"{label}: sound {sound!r} is {size} bytes, more than the {audio.MAX_SOUND_BYTES} a chime may be"]
    with open(path, "rb") as sound_file:
        header = sound_file.read(audio.HEADER_BYTES)
    if not (audio.is_mp3(header) or audio.is_wav(header)):
        return [f"{label}: sound {sound!r} is neither MP3 nor WAV by its bytes (first bytes {header[:4]!r})"]
    return []


def _zone_name_problems(chime: dict[str, Any], label: str, context: dict[str, Any], volume_zones: list[Any]) -> list[str]:
    errs = []
    known, excluded = context["known"], context["excluded"]
    named = [("zones", z) for z in _as_list(chime.get("zones"))] + [("zones_exclude", z) for z in _as_list(chime.get("zones_exclude"))]
    named += [("zone_volumes", z) for z in volume_zones]
    for key, zone in named:
        if key == "zones" and str(zone) in excluded:
            errs.append(f"{label}: zone {zone!r} is left out by sonos_chime_zones_exclude")
        elif key == "zones_exclude" and str(zone) in context["household_of"]:
            continue  # left out of a chime that, by the household chosen, never plays there anyway
        elif str(zone) not in known and str(zone) in context["household_of"]:
            elsewhere = " and ".join(repr(h) if h else "none recorded" for h in context["household_of"][str(zone)])
            errs.append(f"{label}: {key} names zone {zone!r}, which is in household {elsewhere}, "
                        f"not in sonos_chime_household ({context['household']!r})")
        elif str(zone) not in known and str(zone) not in excluded:
            errs.append(f"{label}: {key} names zone {zone!r}, which is not a known zone "
                        "(run playbooks/discover.yml or add it to sonos_chime_zones)")
    return errs


# ---- the role's variables: folders, the service account, the web server

# Folders the role owns hold only what it puts there; these are never one of them.
SYSTEM_TREES = ("/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/dev",
                "/proc", "/sys", "/run", "/tmp", "/var/tmp", "/var/run", "/var/lock", "/snap", "/lost+found",
                "/var/cache", "/var/log", "/var/spool", "/var/mail", "/var/backups")
HOME_TREES = ("/home", "/root", "/media", "/mnt")  # people's files and removable media
SYSTEM_FOLDERS = ("/var/lib", "/var/local", "/var/opt", "/var/www", "/var/www/html", "/srv/www", "/opt/local")
# The folders of the role before it kept a state file: taken over when they hold only what it put there.
LEGACY_FOLDERS = {"sonos_chime_sounds_dir": "/var/lib/sonos-chime/sounds", "sonos_chime_install_dir": "/opt/sonos-chime"}
# chime.py's state folder (vars/main.yml __sonos_chime_state_dir; systemd's StateDirectory).
STATE_FOLDER = "/var/lib/sonos-chime/pending"
STATUS_FOLDER = "/var/lib/sonos-chime/status"  # vars/main.yml __sonos_chime_status_dir: the status page
SAFE_PATH = re.compile(r"(/[A-Za-z0-9._+-]+)+")
# What the role puts in each folder it owns (a folder holding anything else is someone else's):
# sounds named as the program's audiofile.SOUND_SUFFIXES, and these.
INSTALL_ENTRIES = ("venv", "src", "chime.py", "requirements.txt")
ACCOUNT_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
ACCOUNT_COMMENT = "sonos-chime"  # the role's mark on the account it creates (tasks/install.yml)


def _overlap(a: str, b: str) -> bool:
    """One folder is the other or holds it."""
    return (a + "/").startswith(b + "/") or (b + "/").startswith(a + "/")


def owned_folder_problems(var: str, path: Any) -> list[str]:
    """A folder the role creates, fills and cleans: absolute, normalized, of plain characters,
    and not a system folder, a home or a top-level one."""
    text = str(path)
    if not SAFE_PATH.fullmatch(text) or posixpath.normpath(text) != text or "/./" in text + "/" or "/../" in text + "/":
        return [(f"{var}: {text!r} must be an absolute, normalized path of letters, digits and . _ + - "
                 "(no '..', no trailing '/', no spaces)")]
    def under(trees: tuple[str, ...]) -> bool:
        return any(text == tree or text.startswith(tree + "/") for tree in trees)

    if text.count("/") < 2 or text in SYSTEM_FOLDERS or under(SYSTEM_TREES):
        return [(f"{var}: {text!r} is a system folder or a top-level folder; the role needs a folder of its "
                 "own (such as /var/lib/sonos-chime/sounds or /opt/sonos-chime)")]
    if under(HOME_TREES):
        return [(f"{var}: {text!r} is in a home or on removable media ({', '.join(HOME_TREES)}); the role "
                 "serves and replaces what it holds: give it a folder of its own (such as /srv/sonos-chime)")]
    return []


def variable_problems(variables: Any) -> list[str]:
    """The role's public variables, each checked for what it becomes: a folder the role owns,
    a path it runs, an account, an nginx directive, a URL, a boolean."""
    v = dict(variables)
    errs: list[str] = []
    folders = {name: v[name] for name in ("sonos_chime_sounds_dir", "sonos_chime_install_dir") if name in v}
    for name, path in folders.items():
        errs += owned_folder_problems(name, path)
    for name, path in folders.items():
        if _overlap(str(path), STATE_FOLDER):
            errs.append(f"{name}: {str(path)!r} overlaps {STATE_FOLDER}, where chime.py keeps each group's snapshot "
                        "until it is put back; give it a folder of its own")
        elif _overlap(str(path), STATUS_FOLDER):
            errs.append(f"{name}: {str(path)!r} overlaps {STATUS_FOLDER}, where chime.py writes the status page; "
                        "give it a folder of its own")
    if len(folders) == 2 and not errs:
        a, b = (str(p) for p in folders.values())
        if _overlap(a, b):
            errs.append(f"sonos_chime_sounds_dir and sonos_chime_install_dir: {a!r} and {b!r} overlap; "
                        "nginx would serve the program")
    if "sonos_chime_python" in v:
        python = str(v["sonos_chime_python"])
        if not SAFE_PATH.fullmatch(python) or posixpath.normpath(python) != python:
            errs.append(f"sonos_chime_python: {python!r} must be an absolute, normalized path of plain characters")
    for name in ("sonos_chime_user", "sonos_chime_group"):
        if name in v and (not ACCOUNT_NAME.fullmatch(str(v[name])) or str(v[name]) == "root"):
            errs.append(f"{name}: {str(v[name])!r} must be a system account name (lower case letters, digits, _ and -, "
                        "at most 32, not root)")
    errs += _web_problems(v)
    if "sonos_chime_service_timeout" in v:
        timeout = v["sonos_chime_service_timeout"]
        if isinstance(timeout, bool) or not str(timeout).strip().isdigit() or not 1 <= int(str(timeout)) <= 86400:
            errs.append(f"sonos_chime_service_timeout: {timeout!r} is not a whole number of seconds within 1-86400 "
                        "(0 would let a hung run go on for ever)")
    for name, low, high, why in (
        ("sonos_chime_memory_max_mib", 64, 65536, "MiB (a run needs about 55 at 32 groups)"),
        ("sonos_chime_tasks_max", 32, 65536, "threads (a run has about 101 at 32 groups)"),
    ):
        if name in v and not _whole_within(v[name], low, high):
            errs.append(f"{name}: {v[name]!r} is not a whole number within {low}-{high} {why}")
    for name in ("sonos_chime_verbose", "sonos_chime_status_enabled"):
        if name in v and not _is_flag(v[name]):
            errs.append(f"{name}: {v[name]!r} is not a boolean (true or false)")
    for name in ("sonos_chime_discover_dest", "sonos_chime_discover_scan", "sonos_chime_interface"):
        if name in v:
            errs += _controls_problem(name, "value", v[name])
    return errs


def _whole_within(value: Any, low: int, high: int) -> bool:
    return not isinstance(value, bool) and str(value).strip().isdigit() and low <= int(str(value)) <= high


def _web_problems(v: dict[str, Any]) -> list[str]:
    errs: list[str] = []
    if "sonos_chime_http_address" in v:
        address = str(v["sonos_chime_http_address"])
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            errs.append(f"sonos_chime_http_address: {address!r} is not an IPv4 address (0.0.0.0 listens on all)")
    for i, client in enumerate(_as_list(v.get("sonos_chime_http_allow"))):
        try:
            network(client)
        except ValueError as error:
            errs.append(f"sonos_chime_http_allow[{i}]: {error}")
    paths = {name: str(v.get(name, default)) for name, default in (("sonos_chime_http_path", "/chimes/"),
                                                                      ("sonos_chime_status_path", "/status/"))}
    for name, path in paths.items():
        errs += _url_path_problems(name, path)
    if not errs and _overlap(paths["sonos_chime_http_path"].rstrip("/"), paths["sonos_chime_status_path"].rstrip("/")):
        errs.append(f"sonos_chime_status_path: {paths['sonos_chime_status_path']!r} overlaps sonos_chime_http_path "
                    f"({paths['sonos_chime_http_path']!r}): the page and the sounds each need a path of their own")
    base_url = str(v.get("sonos_chime_base_url", ""))
    if base_url:
        parsed = urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or re.search(r"\s", base_url) or control_characters(base_url):
            errs.append(f"sonos_chime_base_url: {base_url!r} is not an http(s) URL without spaces")
    return errs


def _url_path_problems(name: str, path: str) -> list[str]:
    """A URL path the role writes as an nginx location."""
    if path == "/":
        return [f"{name}: '/' is not allowed: location / is the role's own (it answers 404); name a folder such as "
                "/chimes/ or /status/"]
    if not re.fullmatch(r"/([A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*", path) or "/../" in path or "/./" in path:
        return [f"{name}: {path!r} must start and end with '/' and hold only URL-safe "
                "characters (letters, digits, . _ ~ -), no '.' or '..' segment"]
    return []


def network(value: Any) -> str:
    """An address or network for nginx's allow, parsed and written in its normal form."""
    text = str(value).strip()
    if "%" in text:
        raise ValueError(f"{str(value)!r} has an IPv6 scope (%...); nginx's allow takes an address or network without one")
    try:
        parsed = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{str(value)!r} is not an IP address or network (CIDR such as 192.168.1.0/24)") from None
    return str(parsed.network_address) if parsed.num_addresses == 1 and "/" not in text else str(parsed)


def host_problems(user: str, group: str, passwd: Any, groups: Any, folders: Any, state: Any,
                  program_src: str) -> list[str]:
    """What the host says of the account and folders the role would take over.

    `passwd`/`groups`: getent's entries ({name: [fields]} or {name: None}); `folders`: per
    variable, {path, exists, isdir, islnk, entries: [{name, isreg, islnk}]}; `state`: the
    role's state file of the last run (which folders it owned), {} when there is none;
    `program_src`: the controller's copy of the program, which names what a sound is.
    """
    errs: list[str] = []
    account = (passwd or {}).get(user)
    if account:
        uid, comment, home, shell = account[1], account[3], account[4], account[5]
        if comment != ACCOUNT_COMMENT or not str(shell).endswith("nologin") or int(uid) >= 1000:
            errs.append(f"sonos_chime_user: {user!r} is an account this role did not create (uid {uid}, home {home}, "
                        f"shell {shell}); choose another name, the role creates it")
    entry = (groups or {}).get(group)
    if entry and not (account and not errs and str(entry[1]) == str(account[2])):
        errs.append(f"sonos_chime_group: {group!r} is a group this role did not create (gid {entry[1]}, members "
                    f"{entry[2] or 'none'}); choose another name, the role creates it (if an earlier run of "
                    f"this role stopped after creating the group, remove it: groupdel {group})")
    state = state if isinstance(state, dict) else {}
    sound_suffixes = program_audio(program_src).SOUND_SUFFIXES
    for var, folder in (folders or {}).items():
        errs += _folder_problems(var, folder, state, sound_suffixes)
    return errs


def _folder_problems(var: str, folder: dict[str, Any], state: dict[str, Any], sound_suffixes: tuple[str, ...]) -> list[str]:
    path = folder["path"]
    if not folder.get("exists"):
        return []
    if folder.get("islnk") or not folder.get("isdir"):
        return [f"{var}: {path!r} exists and is not a folder (a link or a file); the role needs a folder of its own"]
    entries = folder.get("entries", [])
    if state.get(var) == path or not entries:
        return []
    if path != LEGACY_FOLDERS.get(var):
        shown = ", ".join(sorted(e["name"] for e in entries)[:5]) + (", ..." if len(entries) > 5 else "")
        return [(f"{var}: {path!r} already holds files ({shown}) and is not a folder this role made; give it an "
                 "empty or new folder of its own (if an earlier version of the role made it, empty it first)")]
    allowed = ((lambda e: e["isreg"] and not e["islnk"] and e["name"].lower().endswith(sound_suffixes))
               if var == "sonos_chime_sounds_dir" else (lambda e: e["name"] in INSTALL_ENTRIES and not e["islnk"]))
    foreign = sorted(e["name"] for e in entries if not allowed(e))
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        return [f"{var}: {path!r} holds files this role did not put there ({shown}); the role needs a folder of its own"]
    return []


def folder_facts(stats: Any, found: Any) -> dict[str, Any]:
    """host_problems' `folders`, from the preflight's stat and find results (each looped over
    {var, path} items)."""
    listed = {r["item"]["var"]: r.get("files", []) for r in (found or {}).get("results", []) if isinstance(r, dict)}
    out: dict[str, Any] = {}
    for result in (stats or {}).get("results", []):
        var, stat = result["item"]["var"], result.get("stat", {})
        out[var] = {
            "path": result["item"]["path"],
            "exists": bool(stat.get("exists")), "isdir": bool(stat.get("isdir")), "islnk": bool(stat.get("islnk")),
            "entries": [{"name": os.path.basename(f["path"]), "isreg": bool(f.get("isreg")), "islnk": bool(f.get("islnk"))}
                        for f in listed.get(var, [])],
        }
    return out


def config_problems(document: Any, program_src: str) -> list[str]:
    """What chime.py would say of this config.yml document (nothing, when it reads it)."""
    rules = program_config(program_src)
    errs: list[str] = []
    _check(errs, rules, "parse_config", document)
    return [f"the config.yml the role would write: {error}" for error in errs]


def program_version(pyproject: str) -> str:
    """The version in the program's pyproject.toml text."""
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', str(pyproject))
    return match.group(1) if match else ""


def missing_pins(requirements: str, pip_list: Any) -> list[str]:
    """The `name==version` pins of a requirements file that `pip list --format=json` lacks."""
    import json

    def canonical(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    try:
        installed = {canonical(p["name"]): p["version"] for p in json.loads(pip_list or "[]")}
    except (ValueError, TypeError, KeyError):
        installed = {}
    missing = []
    for line in str(requirements).splitlines():
        match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^]]*\])?\s*==\s*([^\s;#]+)", line)
        if match and installed.get(canonical(match.group(1))) != match.group(2):
            missing.append(f"{match.group(1)}=={match.group(2)}")
    return missing


# ---- reading systemd and discovery


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
    """The zones file: a header, then the zones sorted by name, keys in a fixed order.

    Every string is written `!unsafe`: whatever a player calls itself is data to Ansible,
    never a template (a room named "{{ lookup('pipe', 'id') }}" stays that text).
    """
    import yaml

    keys = ("name", "uid", "host", "model", "coordinator", "household")
    zones = sorted(
        ({k: (_Unsafe(z[k]) if z.get(k) is not None else None) for k in keys} for z in _as_list(found)),
        key=lambda z: (str(z["name"]).casefold(), str(z["uid"])),
    )
    body = yaml.dump({"sonos_chime_discovered_zones": zones}, Dumper=_unsafe_dumper(), sort_keys=False,
                     allow_unicode=True, default_flow_style=False, width=1000, indent=2)
    return DISCOVERY_HEADER.format(host=host) + "---\n" + body


class _Unsafe(str):
    """A string Ansible must never template: written with the `!unsafe` tag."""


def _represent_unsafe(dumper: Any, value: _Unsafe) -> Any:
    return dumper.represent_scalar("!unsafe", str(value), style='"')


def _unsafe_dumper() -> Any:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(_Unsafe, _represent_unsafe)
    return Dumper


def discovery_summary(found: Any, exclude: Any, chimes: Any, manual: Any, household: Any = "") -> list[str]:
    names = sorted(str(z.get("name")) for z in _as_list(found))
    excluded = {str(n) for n in _as_list(exclude)}
    known = set(names) | {str(z.get("name")) for z in _as_list(manual) if isinstance(z, dict)}
    lines = [f"found {len(names)} zone(s): " + ", ".join(
        repr(n) + (" (left out by sonos_chime_zones_exclude)" if n in excluded else "") for n in names)]
    households = _households(found)
    chosen = str(household or "")
    if len(households) > 1 and chosen in households:
        lines.append(f"found {len(households)} Sonos households ({_describe_households(households)}): chimes play in "
                     f"{chosen!r} (sonos_chime_household)")
    elif len(households) > 1:
        lines.append(f"found {len(households)} Sonos households ({_describe_households(households)}): a chime whose zones "
                     "span two is refused until sonos_chime_household names the one to chime")
    elif chosen and chosen not in households:
        lines.append(f"sonos_chime_household is {chosen!r}, which discovery did not find: preflight will refuse it")
    for chime in _as_list(chimes):
        if not isinstance(chime, dict):
            continue
        missing = [str(z) for z in _as_list(chime.get("zones")) if str(z) not in known]
        if missing:
            lines.append(f"chime {chime.get('name')!r} names zone(s) not found: {', '.join(map(repr, missing))}")
    return lines


def refusal(problems: Any, title: str = "sonos_chime preflight") -> str:
    """Problems as a person reads them: a title line, then one whole line each. Ansible prints
    a text with line breaks as a literal block (no folding, quotes as they are)."""
    return "".join([f"{title} refused the inventory:\n", *(f"- {problem}\n" for problem in _as_list(problems))])


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "sonos_chime_slug": slug,
            "sonos_chime_systemd_quote": systemd_quote,
            "sonos_chime_unit_name": unit_name,
            "sonos_chime_effective_zones": effective_zones,
            "sonos_chime_household_zones": household_zones,
            "sonos_chime_units": units,
            "sonos_chime_schedule_forms": schedule_forms,
            "sonos_chime_schedule_problems": schedule_problems,
            "sonos_chime_problems": problems,
            "sonos_chime_variable_problems": variable_problems,
            "sonos_chime_host_problems": host_problems,
            "sonos_chime_folder_facts": folder_facts,
            "sonos_chime_network": network,
            "sonos_chime_control_characters": control_characters,
            "sonos_chime_config": config,
            "sonos_chime_config_problems": config_problems,
            "sonos_chime_calendar_copies": calendar_copies,
            "sonos_chime_calendar_problems": calendar_problems,
            "sonos_chime_program_version": program_version,
            "sonos_chime_missing_pins": missing_pins,
            "sonos_chime_systemctl_show": systemctl_show,
            "sonos_chime_discovery_doc": discovery_doc,
            "sonos_chime_discovery_summary": discovery_summary,
            "sonos_chime_refusal": refusal,
        }
