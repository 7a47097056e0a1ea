"""The role's filters: unit-safe names, ExecStart quoting, and the preflight rules."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load() -> ModuleType:
    path = ROOT / "roles" / "sonos_chime" / "filter_plugins" / "sonos_chime_filters.py"
    spec = importlib.util.spec_from_file_location("sonos_chime_filters", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


F = load()
SOUNDS = ROOT / "files" / "sounds"
ZONES = [{"name": "Kitchen", "uid": "RINCON_1", "host": "192.0.2.1"},
         {"name": "Living Room", "uid": "RINCON_2", "host": "192.0.2.2"}]


@pytest.mark.parametrize(("name", "slug"), [
    ("End of workday", "end-of-workday"),
    ("Fin de journée", "fin-de-journee"),
    ("Bureau d'été", "bureau-d-ete"),
    ("Straße  Süd!!", "strasse-sud"),
    ("  --Kids' Room--  ", "kids-room"),
    ("Ærø", "aero"),
])
def test_slug(name: str, slug: str) -> None:
    assert F.slug(name) == slug


def test_slug_of_names_without_latin_letters_and_long_names() -> None:
    assert F.slug("居間").startswith("x") and len(F.slug("居間")) == 9
    assert F.slug("居間") != F.slug("台所")
    long_slug = F.slug("a very long name " * 10)
    assert len(long_slug) <= 60 and long_slug != F.slug("a very long name " * 11)


def test_systemd_quote() -> None:
    assert F.systemd_quote("Kitchen") == "'Kitchen'"
    assert F.systemd_quote("Kid's Room") == '"Kid\'s Room"'
    assert F.systemd_quote("100% $HOME") == "'100%% $$HOME'"


def test_effective_zones_merge_and_exclude() -> None:
    discovered = [{"name": "Kitchen", "uid": "RINCON_1", "host": "192.0.2.1"},
                  {"name": "Coop", "uid": "RINCON_3", "host": "192.0.2.3"}]
    manual = [{"name": "Kitchen", "uid": "RINCON_1", "host": "192.0.2.9"},
              {"name": "Garage", "uid": "RINCON_4", "host": "192.0.2.4"}]
    zones = F.effective_zones(discovered, manual, ["Coop"])
    assert [(z["name"], z["host"]) for z in zones] == [("Kitchen", "192.0.2.9"), ("Garage", "192.0.2.4")]


def test_units_skip_disabled_and_exclusions() -> None:
    chimes = [{"name": "A", "sound": "x.mp3", "schedule": "daily"},
              {"name": "B", "sound": "x.mp3", "schedule": ["hourly"], "zones_exclude": ["Kitchen"]},
              {"name": "C", "sound": "x.mp3", "schedule": "daily", "enabled": False}]
    units = F.units(chimes, ZONES)
    assert [(u["unit"], u["zones"]) for u in units] == [("sonos-chime-a", ["Kitchen", "Living Room"]),
                                                       ("sonos-chime-b", ["Living Room"])]
    assert F.units([{"name": "D", "sound": "x.mp3", "schedule": "daily", "zones_exclude": ["Kitchen", "Living Room"]}], ZONES) == []


SETTINGS = {"runtime_dir": "/run/sonos-chime", "request_timeout": 2.0, "margin": 10.0, "interface": None}


def problems(chimes, zones=ZONES, volume=30, exclude=()):  # type: ignore[no-untyped-def]
    return F.problems(chimes, zones, [], list(exclude), volume, {}, str(SOUNDS), SETTINGS, str(ROOT / "files"))


def test_good_inventory_and_empty_lists_pass() -> None:
    assert problems([{"name": "Été", "sound": "ding-dong.mp3", "schedule": ["daily"], "volume": 0}]) == []
    assert problems([], zones=[]) == []


@pytest.mark.parametrize(("chimes", "expected"), [
    ([{"name": "A", "sound": "nope.mp3", "schedule": "daily"}], "sound 'nope.mp3' is not a file"),
    ([{"name": "A", "sound": "../x.mp3", "schedule": "daily"}], "must be a file name"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily", "volume": 101}], "volume: 101 is not"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily", "volume": True}], "volume: True is not"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily", "zones": ["Attic"]}], "'Attic', which is not a known zone"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": []}], "schedule is missing"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily"}] * 2, "sonos_chime_chimes[1] ('A'): duplicate chime name"),
    ([{"name": "A b", "sound": "ding-dong.mp3", "schedule": "daily"},
      {"name": "a-B", "sound": "ding-dong.mp3", "schedule": "daily"}], "collides with chime 'A b'"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily", "zone_volumes": {"Kitchen": 200}}],
     "zone_volumes.Kitchen: 200"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily", "colour": "red"}], "unknown key 'colour'"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily", "sources": {"tv": "maybe"}}], "sources.tv: 'maybe'"),
    ([{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily", "mode": "duck"}],
     "sonos_chime_chimes[0] ('A'): mode: 'duck' is not one of interrupt, overlay, auto"),
    ([{"name": "A", "sound": "bell.ogg", "schedule": "daily", "mode": "auto"}],
     "sonos_chime_chimes[0] ('A'): sound: 'bell.ogg' cannot be overlaid (mode auto): audio clips play MP3 and WAV only"),
])
def test_bad_chimes_are_named(chimes, expected) -> None:  # type: ignore[no-untyped-def]
    found = problems(chimes)
    assert any(expected in p for p in found), found


def test_the_role_wide_mode_is_checked_and_is_each_chimes_default() -> None:
    chime = {"name": "A", "sound": "bell.ogg", "schedule": "daily"}
    assert not any("cannot be overlaid" in p for p in problems([chime]))
    assert any("cannot be overlaid (mode overlay)" in p for p in F.problems(
        [chime], ZONES, [], [], 30, {}, str(SOUNDS), SETTINGS, str(ROOT / "files"), "overlay"))
    assert any("sonos_chime_mode: 'loud' is not one of" in p for p in F.problems(
        [], ZONES, [], [], 30, {}, str(SOUNDS), SETTINGS, str(ROOT / "files"), "loud"))


def test_bad_zones_and_volume_are_named() -> None:
    assert any("sonos_chime_zones[2].name: 'Kitchen' is listed twice" in p for p in problems([], zones=ZONES + ZONES[:1]))
    assert any("sonos_chime_volume: 120 is not within 0-100" in p for p in problems([], volume=120))
    assert any("left out by sonos_chime_zones_exclude" in p for p in problems(
        [{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily", "zones": ["Kitchen"]}], exclude=["Kitchen"]))
    assert any("plays on no zone" in p for p in problems(
        [{"name": "A", "sound": "ding-dong.mp3", "schedule": "daily"}], zones=[]))


def test_config_document_follows_the_contract() -> None:
    doc = F.config([{"name": "A", "sound": "my sound.mp3", "schedule": "daily", "zone_volumes": {"Kitchen": 5}}],
                   ZONES, "http://192.0.2.5:8080/chimes/", 30, {"queue": "interrupt"},
                   {"runtime_dir": "/run/sonos-chime"})
    assert doc["chimes"][0] == {"name": "A", "url": "http://192.0.2.5:8080/chimes/my%20sound.mp3", "volume": 30,
                                "zone_volumes": {"Kitchen": 5}, "zones": ["Kitchen", "Living Room"],
                                "sources": {"queue": "interrupt"}, "schedule": ["daily"], "mode": "interrupt"}
    assert doc["zones"] == ZONES


# An S2 household and an S1 system on one network, as discovery writes them.
TWO_HOUSEHOLDS = [
    {"name": "Kitchen", "uid": "RINCON_1", "host": "192.0.2.1", "household": "Sonos_S2"},
    {"name": "Den", "uid": "RINCON_2", "host": "192.0.2.2", "household": "Sonos_S2"},
    {"name": "Garage", "uid": "RINCON_3", "host": "192.0.2.3", "household": "Sonos_S1"},
]
CHIME = {"name": "Bell", "sound": "ding-dong.mp3", "schedule": "daily"}


def household_problems(chimes, household="", manual=()):  # type: ignore[no-untyped-def]
    return F.problems(chimes, list(manual), TWO_HOUSEHOLDS, [], 30, {}, str(SOUNDS), SETTINGS, str(ROOT / "files"),
                      "interrupt", household)


def test_a_chime_spanning_two_households_is_refused_until_one_is_chosen() -> None:
    assert household_problems([CHIME]) == [
        ("sonos_chime_chimes[0] ('Bell'): its zones are in 2 Sonos households ('Sonos_S1': 'Garage'; 'Sonos_S2': "
        "'Kitchen', 'Den'): set sonos_chime_household to the one to chime, or name zones of one household in the "
        "chime's zones")]
    # Zones of one household, or the household chosen: accepted.
    assert household_problems([{**CHIME, "zones": ["Kitchen", "Den"]}]) == []
    assert household_problems([{**CHIME, "zones_exclude": ["Garage"]}]) == []
    assert household_problems([CHIME], household="Sonos_S2") == []
    chosen = F.effective_zones(F.household_zones(TWO_HOUSEHOLDS, "Sonos_S2"), [], [])
    assert [z["name"] for z in chosen] == ["Kitchen", "Den"]
    assert F.units([CHIME], chosen)[0]["zones"] == ["Kitchen", "Den"]


def test_a_zone_of_the_other_household_and_an_unknown_household_are_named() -> None:
    assert household_problems([{**CHIME, "zones": ["Garage"]}], household="Sonos_S2") == [
        ("sonos_chime_chimes[0] ('Bell'): zones names zone 'Garage', which is in household 'Sonos_S1', not in "
        "sonos_chime_household ('Sonos_S2')")]
    assert household_problems([{**CHIME, "zones": ["Kitchen"]}], household="Sonos_Typo") == [
        ("sonos_chime_household: 'Sonos_Typo' is not a household discovery found ('Sonos_S1': 'Garage'; 'Sonos_S2': "
        "'Kitchen', 'Den')"), ("sonos_chime_chimes[0] ('Bell'): zones names zone 'Kitchen', which is in household "
        "'Sonos_S2', not in sonos_chime_household ('Sonos_Typo')")]


def test_a_room_name_in_both_households_is_ambiguous_unless_one_is_chosen() -> None:
    both = [*TWO_HOUSEHOLDS, {"name": "Kitchen", "uid": "RINCON_4", "host": "192.0.2.4", "household": "Sonos_S1"}]
    errs = F.problems([{**CHIME, "zones": ["Kitchen"]}], [], both, [], 30, {}, str(SOUNDS), SETTINGS, str(ROOT / "files"))
    assert len(errs) == 1 and "its zones are in 2 Sonos households" in errs[0] and "'Sonos_S1': 'Kitchen'" in errs[0]
    chosen = F.effective_zones(F.household_zones(both, "Sonos_S1"), [], [])
    assert [(z["name"], z["uid"]) for z in chosen] == [("Garage", "RINCON_3"), ("Kitchen", "RINCON_4")]


def test_discovery_doc_is_stable() -> None:
    found = [{"name": "b", "uid": "R2", "host": "h2", "model": "m", "coordinator": "R2"},
             {"coordinator": "R1", "model": "m", "host": "h1", "uid": "R1", "name": "A"}]
    doc = F.discovery_doc(found, "pi")
    assert doc == F.discovery_doc(list(reversed(found)), "pi")
    assert doc.startswith("# Written by playbooks/discover.yml for pi.")
    assert doc.index('name: !unsafe "A"') < doc.index('name: !unsafe "b"')
    assert F.discovery_doc([{**found[0], "household": "Sonos_X"}], "pi").endswith('household: !unsafe "Sonos_X"\n')


def test_pins_missing_from_the_venv() -> None:
    requirements = "# pinned\nsoco==0.32.4\nPyYAML==6.0.4  # comment\ncharset-normalizer==3.5.2\n-r other.txt\n"
    installed = '[{"name": "soco", "version": "0.32.4"}, {"name": "pyyaml", "version": "6.0.3"}, {"name": "charset_normalizer", "version": "3.5.2"}]'
    assert F.missing_pins(requirements, installed) == ["PyYAML==6.0.4"]
    assert F.missing_pins(requirements, "") == ["soco==0.32.4", "PyYAML==6.0.4", "charset-normalizer==3.5.2"]


def test_the_program_version_is_read_from_its_pyproject() -> None:
    text = (ROOT / "files" / "pyproject.toml").read_text(encoding="utf-8")
    version = F.program_version(text)
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert f'__version__ = "{version}"' in (ROOT / "files" / "sonos_chime" / "__init__.py").read_text(encoding="utf-8")


def test_a_zone_whose_household_is_unknown_is_never_taken_for_the_chosen_one() -> None:
    unknown = [*TWO_HOUSEHOLDS, {"name": "Shed", "uid": "RINCON_5", "host": "192.0.2.5", "household": ""}]
    assert [z["name"] for z in F.household_zones(unknown, "Sonos_S2")] == ["Kitchen", "Den"]
    errs = F.problems([{**CHIME, "zones": ["Kitchen", "Shed"]}], [], unknown, [], 30, {}, str(SOUNDS), SETTINGS,
                      str(ROOT / "files"))
    assert len(errs) == 1 and "no household recorded: 'Shed'" in errs[0] and "'Sonos_S2': 'Kitchen'" in errs[0]
    errs = F.problems([{**CHIME, "zones": ["Shed"]}], [], unknown, [], 30, {}, str(SOUNDS), SETTINGS,
                      str(ROOT / "files"), "interrupt", "Sonos_S2")
    assert errs == [("sonos_chime_chimes[0] ('Bell'): zones names zone 'Shed', which is in household none recorded, "
                    "not in sonos_chime_household ('Sonos_S2')")]


def test_a_household_chosen_over_a_zones_file_without_households_is_named() -> None:
    old = [{k: v for k, v in zone.items() if k != "household"} for zone in TWO_HOUSEHOLDS]
    errs = F.problems([CHIME], [], old, [], 30, {}, str(SOUNDS), SETTINGS, str(ROOT / "files"), "interrupt", "Sonos_S2")
    assert errs == [("sonos_chime_household: 'Sonos_S2' is set, but no discovered zone records its household (a zones "
                    "file from before discovery recorded them): run playbooks/discover.yml again")]
    assert F.problems([CHIME], [], old, [], 30, {}, str(SOUNDS), SETTINGS, str(ROOT / "files")) == []


def test_leaving_out_a_zone_of_the_other_household_is_no_error_once_one_is_chosen() -> None:
    assert household_problems([{**CHIME, "zones_exclude": ["Garage"]}], household="Sonos_S2") == []


def test_the_discovery_summary_says_which_household_chimes() -> None:
    summary = F.discovery_summary(TWO_HOUSEHOLDS, [], [CHIME], [], "Sonos_S2")
    assert summary[1] == ("found 2 Sonos households ('Sonos_S1': 'Garage'; 'Sonos_S2': 'Kitchen', 'Den'): chimes play "
                          "in 'Sonos_S2' (sonos_chime_household)")
    assert "refused until sonos_chime_household" in F.discovery_summary(TWO_HOUSEHOLDS, [], [CHIME], [])[1]


def test_a_calendar_file_is_read_in_full_where_the_controller_can_and_framed_where_it_cannot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "broken.ics"
    broken.write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Trip\r\nDTSTART:tomorrow\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    chimes = [{"name": "Dinner", "skip_calendar": str(broken)}]
    program = str(ROOT / "files")

    assert F.calendar_problems(chimes, str(tmp_path), program) == [
        (f"sonos_chime_chimes[0] ('Dinner'): skip_calendar {str(broken)!r}: has an event that cannot be read: "
         "Cannot access 'dt' on broken property 'DTSTART' (expected 'vDDDTypes'): Wrong date format tomorrow")]
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)  # a controller without icalendar
    assert F.calendar_problems(chimes, str(tmp_path), program) == []  # chime.py on the host says it, and plays
    assert F.calendar_problems([{"name": "Dinner", "skip_calendar": "broken.ics"}], str(tmp_path / "elsewhere"), program) == [
        f"sonos_chime_chimes[0] ('Dinner'): skip_calendar 'broken.ics': is not a file on the controller ({tmp_path}/elsewhere/broken.ics)"]


def test_a_calendar_file_that_links_to_a_system_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "holidays.ics").symlink_to("/etc/passwd")

    found = F.calendar_problems([{"name": "Dinner", "skip_calendar": "holidays.ics"}], str(tmp_path), str(ROOT / "files"))

    assert found == [("sonos_chime_chimes[0] ('Dinner'): skip_calendar 'holidays.ics': is not iCalendar: it does not begin "
                      "with BEGIN:VCALENDAR and end with END:VCALENDAR")]
