"""The contract between the role and chime.py, as a round trip: every inventory the project
uses is rendered by the role's own code (tests/role_model.py) and read by chime.py's own
parser. Whatever preflight accepts, chime.py accepts; what preflight refuses, it names.

Inventories: the molecule phases and every molecule bad inventory, the demo and the example
inventories, the bench's role inventories and bad-input matrix, and the cases below.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from bench.role import BAD_INPUTS, bad_inventory, inventory
from role_model import RoleModel
from sonos_chime.config import Config, ConfigError, load_config

ROOT = Path(__file__).resolve().parents[2]
MOLECULE_VARS = ROOT / "molecule" / "shared" / "vars"
ZONES = [
    {"name": "Kitchen", "uid": "RINCON_000E5801861801400", "host": "192.0.2.12", "model": "Sonos One", "coordinator": "RINCON_000E5801861801400"},
    {"name": "Bureau d'été", "uid": "RINCON_000E58A4022101400", "host": "192.0.2.13", "model": "Era 100", "coordinator": "RINCON_000E58A4022101400"},
    {"name": "yes", "uid": "RINCON_000E5869358E01400", "host": "192.0.2.14", "model": "Play:1", "coordinator": "RINCON_000E5869358E01400"},
    {"name": "Chicken Coop", "uid": "RINCON_000E58A375AC01400", "host": "192.0.2.15", "model": "Move", "coordinator": "RINCON_000E58A375AC01400"},
]
GOOD = {"name": "Bell", "sound": "ding-dong.mp3", "schedule": "daily"}


def yaml_file(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def molecule(*files: str) -> dict[str, Any]:
    merged: dict[str, Any] = {"molecule_net": "172.30.12", "molecule_soon": "2026-12-01 17:30:00"}
    for name in files:
        merged.update(yaml_file(MOLECULE_VARS / name))
    return merged


def molecule_negative_cases() -> list[tuple[str, dict[str, Any], list[str]]]:
    """Each bad inventory as molecule/shared/tasks/negative_case.yml lays it over phase 1."""
    negative = yaml_file(MOLECULE_VARS / "negative.yml")
    cases = []
    for case in negative["molecule_negative_cases"]:
        bad = molecule("common.yml", "phase1.yml")
        bad["sonos_chime_chimes"] = case["vars"].get("sonos_chime_chimes", negative["molecule_good_chimes"])
        bad.update({k: v for k, v in case["vars"].items() if k != "sonos_chime_chimes"})
        bad["molecule_entry"] = case.get("entry", "main")
        cases.append((f"molecule: {case['name']}", bad, case["expect"]))
    return cases


def test_the_molecule_negative_task_passes_every_variable_a_case_sets() -> None:
    """negative_case.yml hands the role only the variables it names: a case setting another
    would run the role on the good inventory (a molecule run found one)."""
    [block] = yaml_file(MOLECULE_VARS.parent / "tasks" / "negative_case.yml")
    passed = set(block["block"][0]["vars"])
    for case in yaml_file(MOLECULE_VARS / "negative.yml")["molecule_negative_cases"]:
        assert set(case["vars"]) <= passed, f"{case['name']}: {sorted(set(case['vars']) - passed)} not passed to the role"


def bench_cases() -> list[tuple[str, dict[str, Any], str]]:
    sized = [(f"bench: {c} chimes x {z} zones", _host_vars(inventory("h", c, z)), "accepts") for c, z in ((2, 2), (10, 16))]
    bad = [(f"bench: {case}", _host_vars(bad_inventory("h", change)), outcome) for case, outcome, change, _ in BAD_INPUTS]
    return sized + bad


def _host_vars(data: dict[str, Any]) -> dict[str, Any]:
    host = data["all"]["children"]["sonos_chime"]["hosts"]["h"]
    return {k: v for k, v in host.items() if k.startswith("sonos_chime_")}


def with_zones(**inventory_vars: Any) -> dict[str, Any]:
    return {"sonos_chime_discovered_zones": copy.deepcopy(ZONES), **inventory_vars}


ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("molecule: phase 1", molecule("common.yml", "phase1.yml")),
    ("molecule: phase 2", molecule("common.yml", "phase2.yml")),
    ("demo", {**yaml_file(ROOT / "inventory/demo/group_vars/sonos_chime/chimes.yml"), **molecule("common.yml")}),
    ("empty chime list", with_zones(sonos_chime_chimes=[])),
    ("nothing discovered, no chimes", {"sonos_chime_chimes": []}),
    ("a disabled chime whose zones are all left out", with_zones(
        sonos_chime_chimes=[GOOD, {**GOOD, "name": "Off", "enabled": False, "zones_exclude": [z["name"] for z in ZONES]}])),
    ("a disabled chime naming an excluded zone", with_zones(
        sonos_chime_zones_exclude=["Chicken Coop"], sonos_chime_chimes=[GOOD, {**GOOD, "name": "Off", "enabled": False}])),
    ("names YAML would read as other types", with_zones(sonos_chime_chimes=[
        {**GOOD, "name": "no", "zones": ["yes"], "zone_volumes": {"yes": 0}},
        {**GOOD, "name": "12:30", "sound": "soft-bells.mp3"},
        {**GOOD, "name": "null", "volume": 100},
    ])),
    ("quotes, colons and accents", with_zones(sonos_chime_chimes=[
        {**GOOD, "name": "Fin de journée: l'école \"dit\" # non", "zones": ["Bureau d'été", "Kitchen"], "zone_volumes": {"Bureau d'été": 7}},
    ])),
    ("zone volume for a zone the chime leaves out", with_zones(sonos_chime_chimes=[
        {**GOOD, "zones_exclude": ["Kitchen"], "zone_volumes": {"Kitchen": 5}}])),
    ("a hand-defined zone over a discovered one, and a new one", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_zones=[
        {"name": "Kitchen", "uid": "RINCON_000E5801861801400", "host": "192.0.2.99"},
        {"name": "Garage", "uid": "RINCON_000E58GARAGE01400", "host": "192.0.2.98"}])),
    ("source policies", with_zones(sonos_chime_sources={"tv": "interrupt", "queue": "skip"},
                                   sonos_chime_chimes=[{**GOOD, "sources": {"line_in": "interrupt"}}])),
    ("settings", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_request_timeout=0.5, sonos_chime_margin=0,
                            sonos_chime_interface="192.0.2.5")),
    ("quiet hours, and a chime that ignores them", with_zones(
        sonos_chime_quiet_hours={"Kitchen": "19:00-07:00", "Bureau d'été": ["12:00-13:30", "00:00-24:00"]},
        sonos_chime_zones_exclude=["Chicken Coop"],
        sonos_chime_chimes=[GOOD, {**GOOD, "name": "Fire drill", "ignore_quiet_hours": True}])),
    ("days off: holidays by country and subdivision, dates and ranges (YAML dates too)", with_zones(sonos_chime_chimes=[
        {**GOOD, "skip_holidays": "FR", "skip_dates": [date(2026, 12, 24), "2026-12-27..2027-01-02"]},
        {**GOOD, "name": "School bell", "skip_holidays": {"country": "DE", "subdiv": "BY"}},
        {**GOOD, "name": "Vienna", "skip_holidays": {"country": "AT", "subdiv": 9}, "skip_dates": []},
        {**GOOD, "name": "Nowhere", "skip_holidays": {}}])),
    ("days off by calendar: a controller's file (relative to the playbook) and a URL", with_zones(sonos_chime_chimes=[
        {**GOOD, "skip_calendar": "tests/calendars/school-terms.ics"},
        {**GOOD, "name": "Dinner", "skip_calendar": "https://calendar.example.org/ical/family%40group/basic.ics"},
        {**GOOD, "name": "Off", "enabled": False, "skip_calendar": "tests/calendars/school-terms.ics"},
        {**GOOD, "name": "None", "skip_calendar": ""}])),
    ("fades: seconds, in the lead, under interrupt and auto", with_zones(sonos_chime_lead=12, sonos_chime_chimes=[
        {**GOOD, "fade": 2.5}, {**GOOD, "name": "Auto", "mode": "auto", "fade": 10}, {**GOOD, "name": "None", "fade": 0}])),
]

REFUSED: list[tuple[str, dict[str, Any], list[str]]] = [
    ("a fade longer than the lead leaves room for", with_zones(sonos_chime_chimes=[{**GOOD, "fade": 4}]),
     [r"sonos_chime_chimes\[0\] \('Bell'\): fade: 4 s does not fit in the lead \(5 s, sonos_chime_lead\) with 2 s to start"]),
    ("a fade of an overlay", with_zones(sonos_chime_chimes=[{**GOOD, "mode": "overlay", "fade": 1}]),
     [r"fade: mode overlay never stops the music, so it never fades it"]),
    ("a fade that is not seconds", with_zones(sonos_chime_chimes=[{**GOOD, "fade": "slow"}]), ["fade", "sonos_chime_chimes", "unable to convert to float"]),
    ("a fade too long", with_zones(sonos_chime_lead=30, sonos_chime_chimes=[{**GOOD, "fade": 11}]),
     [r"fade: 11 is not within 0 to 10 seconds"]),
    ("zone host that is not an address", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_zones=[
        {"name": "Attic", "uid": "RINCON_1", "host": "attic.local"}]), [r"sonos_chime_zones\[0\].host", "attic.local", "not an IPv4"]),
    ("two zones with one uid", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_zones=[
        {"name": "Attic", "uid": ZONES[0]["uid"], "host": "192.0.2.50"}]), ["uid", ZONES[0]["uid"], "listed twice"]),
    ("unknown kind of source", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_sources={"vinyl": "skip"}),
     ["sonos_chime_sources.vinyl", "unknown kind of source"]),
    ("bad policy in a chime", with_zones(sonos_chime_chimes=[{**GOOD, "sources": {"tv": "maybe"}}]),
     [r"sonos_chime_chimes\[0\] \('Bell'\): sources.tv", "'maybe'"]),
    ("volume of a disabled chime", with_zones(sonos_chime_chimes=[{**GOOD, "enabled": False, "volume": 101}]),
     [r"sonos_chime_chimes\[0\]", "volume: 101", "0-100"]),
    ("request timeout of zero", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_request_timeout=0),
     ["sonos_chime_request_timeout", "more than 0"]),
    ("an interface that is not an address", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_interface="eth0"),
     ["sonos_chime_interface", "eth0"]),
    ("a quiet range that is not one", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_quiet_hours={"Kitchen": "7pm-7am"}),
     [r"sonos_chime_quiet_hours.Kitchen: '7pm-7am' is not a range of the day such as 19:00-07:00"]),
    ("a quiet range off the clock", with_zones(sonos_chime_chimes=[GOOD],
                                               sonos_chime_quiet_hours={"Kitchen": ["19:00-07:00", "22:00-25:00"]}),
     [r"sonos_chime_quiet_hours.Kitchen\[1\]: '22:00-25:00' names a time that is not on the clock"]),
    ("a quiet range of no length", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_quiet_hours={"Kitchen": "07:00-07:00"}),
     ["sonos_chime_quiet_hours.Kitchen: '07:00-07:00' starts where it ends"]),
    ("quiet hours for a zone left out", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_zones_exclude=["Chicken Coop"],
                                                  sonos_chime_quiet_hours={"Chicken Coop": "20:00-06:00"}),
     ["sonos_chime_quiet_hours: names zone 'Chicken Coop', which sonos_chime_zones_exclude leaves out"]),
    ("a quiet hour YAML read as a number", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_quiet_hours={"Kitchen": 1140}),
     ["sonos_chime_quiet_hours.Kitchen: 1140 is a number: YAML reads 19:00 unquoted as one"]),
    ("Norway unquoted", with_zones(sonos_chime_chimes=[{**GOOD, "skip_holidays": False}]),
     ["skip_holidays: False is not a country: YAML reads NO"]),
    ("quiet hours for an unknown zone", with_zones(sonos_chime_chimes=[GOOD], sonos_chime_quiet_hours={"Nursery": "19:00-07:00"}),
     ["sonos_chime_quiet_hours: names zone 'Nursery', which is not a known zone"]),
    ("ignore_quiet_hours that is not a boolean", with_zones(sonos_chime_chimes=[{**GOOD, "ignore_quiet_hours": "always"}]),
     ["ignore_quiet_hours", "sonos_chime_chimes", "'always' is not a valid boolean"]),
    ("a country the holidays package does not know", with_zones(sonos_chime_chimes=[{**GOOD, "skip_holidays": "Narnia"}]),
     [r"sonos_chime_chimes\[0\] \('Bell'\): skip_holidays: 'Narnia' is not a country the holidays package knows"]),
    ("a subdivision of another country", with_zones(sonos_chime_chimes=[
        {**GOOD, "skip_holidays": {"country": "FR", "subdiv": "BY"}}]),
     [r"skip_holidays.subdiv: 'BY' is not a subdivision of FR \(known: "]),
    ("a holiday rule with a key it does not have", with_zones(sonos_chime_chimes=[
        {**GOOD, "skip_holidays": {"country": "FR", "region": "75"}}]), [r"skip_holidays: unknown key \"region\""]),
    ("a day not on the calendar", with_zones(sonos_chime_chimes=[{**GOOD, "skip_dates": ["2026-02-30"]}]),
     [r"skip_dates\[0\]: '2026-02-30' is not a day of the calendar"]),
    ("a range that ends before it begins", with_zones(sonos_chime_chimes=[{**GOOD, "skip_dates": ["2027-01-02..2026-12-24"]}]),
     [r"skip_dates\[0\]: '2027-01-02..2026-12-24' ends before it begins"]),
    ("a date in another form", with_zones(sonos_chime_chimes=[{**GOOD, "skip_dates": ["24/12/2026"]}]),
     [r"skip_dates\[0\]: '24/12/2026' is not a date \(YYYY-MM-DD\)"]),
    ("a calendar file the controller does not have", with_zones(sonos_chime_chimes=[GOOD, {**GOOD, "name": "Dinner",
                                                                                        "skip_calendar": "calendars/ours.ics"}]),
     [r"sonos_chime_chimes\[1\] \('Dinner'\): skip_calendar 'calendars/ours.ics': is not a file on the controller"]),
    ("a calendar file that is no calendar", with_zones(sonos_chime_chimes=[{**GOOD, "skip_calendar": "tests/calendars/not-a-calendar.ics"}]),
     [r"sonos_chime_chimes\[0\] \('Bell'\): skip_calendar 'tests/calendars/not-a-calendar.ics': is not iCalendar: line 2"]),
    ("a calendar file that is a sound", with_zones(sonos_chime_chimes=[{**GOOD, "skip_calendar": "files/sounds/ding-dong.mp3"}]),
     [r"skip_calendar 'files/sounds/ding-dong.mp3': is not iCalendar"]),
    ("a calendar URL of another scheme", with_zones(sonos_chime_chimes=[{**GOOD, "skip_calendar": "webcal://example.org/a.ics"}]),
     [r"skip_calendar 'webcal://example.org/a.ics': is not an http\(s\) URL"]),
    ("a calendar URL with credentials", with_zones(sonos_chime_chimes=[{**GOOD, "skip_calendar": "https://me:pw@example.org/a.ics"}]),
     [r"skip_calendar 'https://me:pw@example.org/a.ics': carries credentials"]),
    ("a calendar URL with a space", with_zones(sonos_chime_chimes=[{**GOOD, "skip_calendar": "https://example.org/our calendar.ics"}]),
     [r"skip_calendar 'https://example.org/our calendar.ics': holds characters a URL does not"]),
    ("an enabled chime on no zone", with_zones(sonos_chime_chimes=[{**GOOD, "zones_exclude": [z["name"] for z in ZONES]}]),
     ["plays on no zone"]),
    ("the example inventory before discovery", {
        **yaml_file(ROOT / "inventory/group_vars/sonos_chime/chimes.yml"),
        **yaml_file(ROOT / "inventory/host_vars/raspberrypi/sonos_zones.yml")}, ["plays on no zone", "discover.yml"]),
]


def round_trip(inventory_vars: dict[str, Any], tmp_path: Path, playbook_dir: Path = ROOT) -> Config:
    """The role's config.yml, written to tmp_path and read back by chime.py, says what the
    units say. Returns what chime.py read."""
    model = RoleModel(inventory_vars, playbook_dir)
    config_path = tmp_path / "config.yml"
    config_path.write_text(model.config_text(), encoding="utf-8")
    try:
        config = load_config(config_path)
    except ConfigError as error:
        pytest.fail(f"preflight accepted, chime.py refuses: {error}\n{config_path.read_text(encoding='utf-8')}")
    units = model.units()
    assert [chime.name for chime in config.chimes] == [unit["chime"] for unit in units]
    assert [list(chime.zones) for chime in config.chimes] == [unit["zones"] for unit in units]
    assert {zone.name for zone in config.zones} >= {name for unit in units for name in unit["zones"]}
    inventory_chimes = {str(chime["name"]): chime for chime in model.variables["sonos_chime_chimes"]}
    for chime in config.chimes:
        assert chime.url.endswith("/" + re.sub(" ", "%20", str(inventory_chimes[chime.name]["sound"])))
    return config


@pytest.mark.parametrize(("name", "inventory_vars"), ACCEPTED, ids=[case[0] for case in ACCEPTED])
def test_what_preflight_accepts_chime_py_reads(name: str, inventory_vars: dict[str, Any], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLECULE_PROJECT_DIRECTORY", str(ROOT))
    # Molecule's plays are in molecule/shared: a path there (a calendar file) is relative to it.
    playbook_dir = MOLECULE_VARS.parent if name.startswith("molecule:") else ROOT
    assert RoleModel(inventory_vars, playbook_dir).preflight() == []
    round_trip(inventory_vars, tmp_path, playbook_dir)


CASES = [(name, inventory_vars, expect) for name, inventory_vars, expect in REFUSED + molecule_negative_cases()]


@pytest.mark.parametrize(("name", "inventory_vars", "expect"), CASES, ids=[case[0] for case in CASES])
def test_what_preflight_refuses_it_names(name: str, inventory_vars: dict[str, Any], expect: list[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLECULE_PROJECT_DIRECTORY", str(ROOT))
    model = RoleModel(inventory_vars)
    found = model.discover_guard() if inventory_vars.get("molecule_entry") == "discover" else model.preflight()
    message = " ".join(found)
    assert found, "preflight accepted a bad inventory"
    for pattern in expect:
        assert re.search(pattern, message, re.IGNORECASE), f"{pattern!r} not in {message}"


@pytest.mark.parametrize(("name", "inventory_vars", "outcome"), bench_cases(), ids=[case[0] for case in bench_cases()])
def test_the_bench_inventories(name: str, inventory_vars: dict[str, Any], outcome: str, tmp_path: Path) -> None:
    found = RoleModel(inventory_vars).preflight()
    if outcome == "fails":
        assert found
    else:
        assert found == []
        round_trip(inventory_vars, tmp_path)


def test_quiet_hours_reach_chime_py_as_the_role_writes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLECULE_PROJECT_DIRECTORY", str(ROOT))
    inventory_vars = dict(ACCEPTED)["quiet hours, and a chime that ignores them"]
    config = round_trip(inventory_vars, tmp_path)
    quiet = {zone.name: [r.text for r in zone.quiet_hours] for zone in config.zones}
    assert quiet == {"Kitchen": ["19:00-07:00"], "Bureau d'été": ["12:00-13:30", "00:00-24:00"], "yes": []}
    assert [(chime.name, chime.ignore_quiet_hours) for chime in config.chimes] == [("Bell", False), ("Fire drill", True)]


def test_fades_reach_chime_py_as_the_role_writes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLECULE_PROJECT_DIRECTORY", str(ROOT))
    config = round_trip(dict(ACCEPTED)["fades: seconds, in the lead, under interrupt and auto"], tmp_path)
    assert [(chime.name, chime.mode, chime.fade) for chime in config.chimes] == [
        ("Bell", "interrupt", 2.5), ("Auto", "auto", 10.0), ("None", "interrupt", 0.0)]


def test_days_off_reach_chime_py_as_the_role_writes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLECULE_PROJECT_DIRECTORY", str(ROOT))
    config = round_trip(dict(ACCEPTED)["days off: holidays by country and subdivision, dates and ranges (YAML dates too)"],
                        tmp_path)
    bell, school, vienna, nowhere = config.chimes
    assert (vienna.skip_holidays.country, vienna.skip_holidays.subdiv) == ("AT", "9")
    assert nowhere.skip_holidays is None
    assert (bell.skip_holidays.country, bell.skip_holidays.subdiv) == ("FR", None)
    assert [r.text for r in bell.skip_dates] == ["2026-12-24", "2026-12-27..2027-01-02"]
    assert (school.skip_holidays.country, school.skip_holidays.subdiv, school.skip_dates) == ("DE", "BY", ())
    assert str(bell.days_off.reason(date(2026, 12, 25))).startswith("a public holiday in FR: ")  # its name, in the package's language
    assert bell.days_off.reason(date(2027, 1, 1)) == "a day off (2026-12-27..2027-01-02, skip_dates)"
    assert bell.days_off.reason(date(2026, 12, 23)) is None


def test_calendars_reach_chime_py_as_the_role_writes_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOLECULE_PROJECT_DIRECTORY", str(ROOT))
    inventory_vars = dict(ACCEPTED)["days off by calendar: a controller's file (relative to the playbook) and a URL"]
    config = round_trip(inventory_vars, tmp_path)
    bell, dinner, nothing = config.chimes
    # A controller's file goes to the host under a name the role makes, never the user's path.
    assert bell.skip_calendar is not None and bell.skip_calendar.location == "/etc/sonos-chime/calendars/bell.ics"
    assert dinner.skip_calendar is not None and dinner.skip_calendar.location.startswith("https://calendar.example.org/")
    assert nothing.skip_calendar is None
    assert _copies(inventory_vars) == [
        {"chime": "Bell", "src": str(ROOT / "tests/calendars/school-terms.ics"), "dest": "/etc/sonos-chime/calendars/bell.ics"}]
    assert config.settings.calendar_cache == Path("/var/lib/sonos-chime/calendars")


def _copies(inventory_vars: dict[str, Any]) -> list[dict[str, str]]:
    model = RoleModel(inventory_vars)
    model.compute_model()
    return list(model.variables["__sonos_chime_calendars"])



def test_chime_py_page_reads_the_config_the_role_writes(tmp_path: Path) -> None:
    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).date()
    inventory_vars = with_zones(sonos_chime_quiet_hours={"Bureau d'été": "00:00-24:00"}, sonos_chime_zones_exclude=["Chicken Coop"],
                                sonos_chime_chimes=[{**GOOD, "skip_dates": [tomorrow.isoformat()]}])
    round_trip(inventory_vars, tmp_path)
    page = tmp_path / "index.html"

    done = subprocess.run([sys.executable, str(ROOT / "files" / "chime.py"), "page", "--config", str(tmp_path / "config.yml"),
                           "--output", str(page)], capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stderr
    text = page.read_text(encoding="utf-8")
    assert "<h3><bdi>Bell</bdi></h3>" in text
    assert f"day off: <bdi>a day off ({tomorrow.isoformat()}, skip_dates)</bdi>" in text  # daily: tomorrow's is the first
    assert text.count("quiet: <bdi>Bureau d&#x27;été</bdi> (<bdi>00:00-24:00</bdi>)") == 4  # the other four moments
