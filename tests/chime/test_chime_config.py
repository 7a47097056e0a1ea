"""chime.py's command line and config errors: each names the key and exits 2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from chime_helpers import run_chime
from sonos_chime.cli import main
from sonos_chime.config import load_config

GOOD: dict[str, Any] = {
    "settings": {"runtime_dir": "/tmp/sonos-chime-test", "request_timeout": 2.0, "margin": 10.0},
    "zones": [
        {"name": "Kitchen", "uid": "RINCON_000E58A0123401400", "host": "192.0.2.20"},
        {"name": "Salle à manger", "uid": "RINCON_000E58A0123501400", "host": "192.0.2.21"},
    ],
    "chimes": [
        {
            "name": "End of workday",
            "url": "http://192.0.2.5:8080/chimes/flintstone.mp3",
            "volume": 30,
            "zone_volumes": {"Kitchen": 20},
            "zones": ["Kitchen", "Salle à manger"],
        }
    ],
}


def with_change(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    config = yaml.safe_load(yaml.safe_dump(GOOD))
    target = config
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return config


DELETE = object()

BAD_CONFIGS = [
    (("chimes", 0, "volume"), 140, "chimes[0].volume: 140 is not within 0-100"),
    (("chimes", 0, "volume"), "loud", "chimes[0].volume: 'loud' is not a whole number within 0-100"),
    (("chimes", 0, "volume"), True, "chimes[0].volume"),
    (("chimes", 0, "url"), DELETE, "chimes[0].url: missing (required)"),
    (("chimes", 0, "url"), "ftp://192.0.2.5/x.mp3", "chimes[0].url: 'ftp://192.0.2.5/x.mp3' is not an http(s) URL"),
    (("chimes", 0, "name"), DELETE, "chimes[0].name: missing (required)"),
    (("chimes", 0, "zones"), [], "chimes[0].zones: is empty"),
    (("chimes", 0, "zones", 1), "Garage", "chimes[0].zones[1]: 'Garage' is not a zone listed under zones"),
    (("chimes", 0, "zones", 1), "Kitchen", "chimes[0].zones[1]: 'Kitchen' is listed twice"),
    (("chimes", 0, "zone_volumes"), {"Kitchen": 101}, "chimes[0].zone_volumes.Kitchen: 101 is not within 0-100"),
    (("chimes", 0, "zone_volumes"), {"Attic": 10}, "chimes[0].zone_volumes: 'Attic' is not a zone listed under zones"),
    (("chimes", 0, "sources"), {"tv": "maybe"}, "chimes[0].sources.tv: 'maybe' is not one of interrupt, skip"),
    (("chimes", 0, "sources"), {"vinyl": "skip"}, "chimes[0].sources.vinyl: unknown kind of source"),
    (("chimes",), DELETE, "chimes: missing (required)"),
    (("zones",), DELETE, "zones: missing (required)"),
    (("zones",), {"Kitchen": "192.0.2.20"}, "zones: expected a list, got dict"),
    (("zones", 1, "host"), "kitchen.local", "zones[1].host: 'kitchen.local' is not an IPv4 address"),
    (("zones", 1, "name"), "Kitchen", "zones[1].name: 'Kitchen' is listed twice"),
    (("zones", 1, "uid"), DELETE, "zones[1].uid: missing (required)"),
    (("settings", "request_timeout"), 0, "settings.request_timeout: 0 is not within more than 0 to 60 seconds"),
    (("settings", "margin"), "long", "settings.margin: 'long' is not a number"),
    (("settings", "interface"), "eth0", "settings.interface: 'eth0' is not an IPv4 address"),
    (("chimes", 0, "colour"), "red",
     ('chimes[0] ("End of workday"): unknown key "colour" (known: name, url, volume, zones, zone_volumes, sources, '
      "schedule, mode, ignore_quiet_hours, skip_holidays, skip_dates, skip_calendar, fade)")),
    (("chimes", 0, "skip_calendar"), "terms.ics",
     "chimes[0].skip_calendar: 'terms.ics' is not an http(s) URL (or an absolute path on the host)"),
    (("chimes", 0, "skip_calendar"), "https://me:secret@example.org/a.ics", "chimes[0].skip_calendar: 'https://me:secret"),
    (("chimes", 0, "sound"), "bell.mp3", 'chimes[0] ("End of workday"): unknown key "sound"'),
    (("zones", 1, "model"), "Era 100", 'zones[1] ("Salle à manger"): unknown key "model" (known: name, uid, host, quiet_hours)'),
    (("settings", "timeout"), 3,
     'settings: unknown key "timeout" (known: runtime_dir, state_dir, request_timeout, margin, interface, lead, too_late, calendar_cache)'),
    (("colours",), {}, 'config: unknown key "colours" (known: settings, zones, chimes)'),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_CONFIGS, ids=[m.split(":")[0] + "-" + str(i) for i, (_, _, m) in enumerate(BAD_CONFIGS)])
def test_config_errors_name_the_key_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: tuple[Any, ...], value: Any, message: str
) -> None:
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(with_change(path, value), allow_unicode=True), encoding="utf-8")

    code = main(["play", "End of workday", "--config", str(config)])

    assert code == 2
    assert message in capsys.readouterr().err


def test_the_good_config_loads_with_defaults(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(GOOD, allow_unicode=True), encoding="utf-8")
    loaded = load_config(config)
    chime = loaded.chimes[0]
    assert [zone.name for zone in loaded.zones] == ["Kitchen", "Salle à manger"]
    assert chime.zone_volumes == {"Kitchen": 20}
    assert chime.sources == {
        "queue": "interrupt", "radio": "interrupt", "uri": "interrupt", "idle": "interrupt",
        "line_in": "skip", "tv": "skip", "cloud": "skip", "cloud_queue": "skip",
    }
    assert loaded.settings.request_timeout == 2.0
    assert loaded.settings.interface is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["play", "Lunch"], 'CHIME: no chime named "Lunch"'),
        (["play", "End of workday", "--zone", "Garage"], '--zone: "Garage" is not a zone of chime "End of workday"'),
        (["play", "End of workday", "--config", "/nonexistent/config.yml"], "--config: /nonexistent/config.yml: no such file"),
    ],
)
def test_command_line_errors_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(GOOD, allow_unicode=True), encoding="utf-8")
    if "--config" not in args:
        args = [*args, "--config", str(config)]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_broken_yaml_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.yml"
    config.write_text("zones: [\n  - name: Kitchen\n", encoding="utf-8")
    assert main(["play", "x", "--config", str(config)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_usage_errors_exit_2_as_a_process(tmp_path: Path) -> None:
    assert run_chime().returncode == 2
    assert run_chime("play-uri", "http://127.0.0.1:9/x.mp3").returncode == 2  # --host is required
    run = run_chime("play-uri", "http://127.0.0.1:9/x.mp3", "--host", "127.0.0.1", "--volume", "150")
    assert run.returncode == 2
    assert "--volume: 150 is not within 0-100" in run.stderr
    for command in ("play", "play-uri", "discover"):
        helped = run_chime(command, "--help")
        assert helped.returncode == 0
        assert "usage:" in helped.stdout
