"""The keys of a chime, each list in one place (issue #19, item 5).

A chime in the inventory has the options of sonos_chime_chimes in meta/argument_specs.yml
(the role's filters read them from there); a chime in config.yml has the fields of
config.py's ChimeConfig. The role turns the one into the other, so every inventory key must
reach what the role writes, and the role must write every key chime.py reads: adding a key
to one list and not the other fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from role_model import RoleModel
from sonos_chime.audiofile import SOUND_SUFFIXES
from sonos_chime.config import (
    CHIME_KEYS,
    SETTINGS_KEYS,
    TOP_KEYS,
    ZONE_KEYS,
    ChimeConfig,
    Config,
    Settings,
    parse_config,
)

from role.test_filters import F
from role.test_readme_vars import ROLE, spec_options
from role.test_round_trip import GOOD, ROOT, round_trip, with_zones


@dataclass(frozen=True)
class Written:
    """What the role writes for an inventory of one chime."""

    config: Config  # config.yml as chime.py read it
    text: str  # config.yml as the role wrote it
    units: list[dict[str, Any]]

    @property
    def chime(self) -> ChimeConfig:
        (chime,) = self.config.chimes
        return chime


# Each inventory key: a value other than its default, and what it makes of what the role writes.
EFFECTS: dict[str, tuple[Any, Callable[[Written], bool]]] = {
    "name": ("Fin de journée", lambda written: written.chime.name == "Fin de journée"),
    "sound": ("soft-bells.mp3", lambda written: written.chime.url.endswith("/soft-bells.mp3")),
    "schedule": (["Mon..Fri 17:30", "Sat 09:00"], lambda written: written.chime.schedule == ("Mon..Fri 17:30", "Sat 09:00")),
    "zones": (["yes", "Kitchen"], lambda written: written.chime.zones == ("yes", "Kitchen")),
    "zones_exclude": (["Chicken Coop"], lambda written: "Chicken Coop" not in written.chime.zones),
    "volume": (12, lambda written: written.chime.volume == 12),
    "zone_volumes": ({"Kitchen": 7}, lambda written: written.chime.zone_volumes == {"Kitchen": 7}),
    "enabled": (False, lambda written: written.config.chimes == () and written.units == []),
    "persistent": (True, lambda written: written.units[0]["persistent"] is True),
    "sources": ({"tv": "interrupt"}, lambda written: written.chime.sources["tv"] == "interrupt"),
    "mode": ("auto", lambda written: written.chime.mode == "auto"),  # not overlay: it never fades
    "ignore_quiet_hours": (True, lambda written: written.chime.ignore_quiet_hours is True),
    "skip_holidays": ({"country": "DE", "subdiv": "BY"},
                      lambda written: (written.chime.skip_holidays.country, written.chime.skip_holidays.subdiv) == ("DE", "BY")),
    "skip_dates": (["2026-12-24", "2026-12-27..2027-01-02"],
                   lambda written: [r.text for r in written.chime.skip_dates] == ["2026-12-24", "2026-12-27..2027-01-02"]),
    "skip_calendar": ("https://school.example.org/terms.ics",
                      lambda written: written.chime.skip_calendar.location == "https://school.example.org/terms.ics"),
    "fade": (2.5, lambda written: written.chime.fade == 2.5),
    "description": ("Rung for people", lambda written: "Rung for people" not in written.text),
}


def inventory_chime_keys() -> list[str]:
    return list(spec_options()["sonos_chime_chimes"]["options"])


def write(chime: dict[str, Any], tmp_path: Path) -> Written:
    inventory = with_zones(sonos_chime_chimes=[chime])
    assert RoleModel(inventory).preflight() == []
    config = round_trip(inventory, tmp_path)
    text = (tmp_path / "config.yml").read_text(encoding="utf-8")
    return Written(config=config, text=text, units=RoleModel(inventory).units())


def test_every_inventory_key_has_a_round_trip_case() -> None:
    assert sorted(EFFECTS) == sorted(inventory_chime_keys())


def test_the_filters_know_the_keys_of_the_argument_specs() -> None:
    assert list(F.chime_keys()) == inventory_chime_keys()


@pytest.mark.parametrize("key", sorted(EFFECTS))
def test_every_inventory_key_reaches_what_the_role_writes(key: str, tmp_path: Path) -> None:
    value, effect = EFFECTS[key]

    written = write({**GOOD, key: value}, tmp_path)

    assert effect(written), written.text


def test_the_role_writes_every_key_chime_py_reads(tmp_path: Path) -> None:
    every_key = {**GOOD, **{key: value for key, (value, _) in EFFECTS.items() if key != "enabled"}}

    written = write(every_key, tmp_path)

    assert sorted(yaml.safe_load(written.text)["chimes"][0]) == sorted(CHIME_KEYS)


def test_nginx_serves_every_kind_of_sound_the_role_accepts() -> None:
    mime_types = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))["__sonos_chime_mime_types"]
    suffixes = ["." + extension for extensions in mime_types.values() for extension in extensions.split()]

    assert sorted(suffixes) == sorted(SOUND_SUFFIXES)


def test_the_architecture_shows_every_key_of_config_yml() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    example = yaml.safe_load(re.search(r"^## 1\..*?^```yaml\n(.*?)^```", text, re.MULTILINE | re.DOTALL)[1])  # type: ignore[index]

    assert list(example) == list(TOP_KEYS)
    assert sorted(example["settings"]) == sorted(SETTINGS_KEYS)
    assert sorted(example["zones"][0]) == sorted(ZONE_KEYS)
    assert sorted(example["chimes"][0]) == sorted(CHIME_KEYS)


def test_the_roles_defaults_are_the_programs(tmp_path: Path) -> None:
    """The settings the role writes when the inventory sets none (defaults/main.yml) are those
    chime.py takes when config.yml has no settings: a lead, a timeout or a folder changed in
    one place and not the other fails here."""
    written = write(dict(GOOD), tmp_path)

    assert written.config.settings == parse_config({"zones": [], "chimes": []}).settings
    assert written.config.settings == Settings()
