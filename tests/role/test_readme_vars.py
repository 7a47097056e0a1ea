"""README's variable table, meta/argument_specs.yml and defaults/main.yml must agree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "sonos_chime"
ROW = re.compile(r"^\|\s*`(sonos_chime_[a-z0-9_]+)`\s*\|\s*(.*?)\s*\|\s*(.+?)\s*\|\s*$")


def readme_table() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            name, default, description = match.groups()
            assert name not in rows, f"README lists {name} twice"
            assert description.strip(), f"README: {name} has no description"
            rows[name] = default
    return rows


def spec_options() -> dict[str, dict[str, Any]]:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))["argument_specs"]
    options: dict[str, dict[str, Any]] = {}
    for entry in specs.values():
        for name, option in entry["options"].items():
            if name in options:
                assert options[name] == option, f"{name} differs between entry points"
            options[name] = option
    return options


def defaults() -> dict[str, Any]:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))


def cell_value(cell: str) -> Any:
    """A README default cell: `value` in backticks (YAML), or empty for required ones."""
    cell = cell.strip()
    if cell in ("", "-", "*required*"):
        return None
    match = re.fullmatch(r"`(.*)`", cell)
    assert match, f"default cell {cell!r} is not in backticks"
    return yaml.safe_load(match.group(1))


def test_every_default_has_a_spec() -> None:
    assert sorted(defaults()) == sorted(spec_options())


def test_readme_lists_every_variable() -> None:
    assert sorted(readme_table()) == sorted(spec_options())


def test_every_spec_has_type_and_description() -> None:
    for name, option in spec_options().items():
        assert option.get("type"), f"{name}: no type"
        assert option.get("description"), f"{name}: no description"
        assert name.startswith("sonos_chime_"), name


@pytest.mark.parametrize("name", sorted(spec_options()))
def test_defaults_agree(name: str) -> None:
    option = spec_options()[name]
    assert option.get("default") == defaults()[name], f"{name}: argument_specs default differs from defaults/main.yml"
    assert cell_value(readme_table()[name]) == defaults()[name], f"{name}: README default differs from defaults/main.yml"


def test_internal_variables_are_marked() -> None:
    internal = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))
    assert all(key.startswith("__sonos_chime_") for key in internal)


def test_readme_lists_every_kind_of_source_with_the_programs_default() -> None:
    from sonos_chime.sources import DEFAULT_POLICY

    rows = re.findall(r"^\| `([a-z_]+)` \| [^|]+ \| `(interrupt|skip)`", (ROOT / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert dict(rows) == dict(DEFAULT_POLICY)


def test_readme_names_every_key_of_a_chime() -> None:
    row = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `sonos_chime_chimes` |"))
    keys = [name for name in re.findall(r"`([a-z_]+)`", row) if not name.startswith("sonos_chime_")]

    assert sorted(keys) == sorted(spec_options()["sonos_chime_chimes"]["options"])
