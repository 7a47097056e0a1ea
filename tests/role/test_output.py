"""What a person reads in ansible-playbook's output: the role's own debug tasks (discovery's
summary, chime_now's journal), run by a real ansible-playbook with the repo's ansible.cfg.
Each line must come out whole (not folded at 80 columns) and each name as it is (not
`Bureau d''été`, not `\\"Bureau d'été\\"`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TASKS = ROOT / "roles" / "sonos_chime" / "tasks"

ZONES = [
    {"name": "Bureau d'été", "uid": "RINCON_1", "host": "192.0.2.1", "household": "Sonos_S2"},
    {"name": "Living Room", "uid": "RINCON_2", "host": "192.0.2.2", "household": "Sonos_S2"},
]
# As `journalctl -o short-precise` writes chime.py's lines: one over 150 characters, one short.
JOURNAL = [
    ("Dec 03 07:00:00.123456 chime-host python[812]: INFO zone=\"Bureau d'été\" group=\"Living Room+Bureau d'été\" "
     "step=stand-aside outcome=with-group - chimed with \"Living Room\"'s group"),
    'Dec 03 07:00:03.654321 chime-host python[812]: INFO chime="Demo" done in 3012 ms: "Living Room" chimed and restored',
]
SUMMARY = "found 2 zone(s): \"Bureau d'été\", 'Living Room'"


def role_task(file: str, name: str) -> dict[str, Any]:
    tasks = yaml.safe_load((TASKS / file).read_text(encoding="utf-8"))
    return next(task for task in tasks if task.get("name") == name)


def run_tasks(tmp_path: Path, tasks: list[dict[str, Any]], variables: dict[str, Any], fails: bool = False) -> str:
    play = [{"name": "Output", "hosts": "localhost", "gather_facts": False, "vars": variables, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, allow_unicode=True), encoding="utf-8")
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_FILTER_PLUGINS": str(ROOT / "roles" / "sonos_chime" / "filter_plugins"),
    }
    for name in [key for key in env if key.startswith("ANSIBLE_CALLBACK") or key == "ANSIBLE_STDOUT_CALLBACK"]:
        del env[name]  # the repo's ansible.cfg decides, as for make demo
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", str(tmp_path / "play.yml")],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=120,
    )
    assert (done.returncode != 0) == fails, done.stdout + done.stderr
    return done.stdout


def printed(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines()]


def test_discovery_summary_and_chime_now_journal_print_whole_lines_and_names_as_they_are(tmp_path: Path) -> None:
    stdout = run_tasks(
        tmp_path,
        [role_task("discover.yml", "Discover - summary"), role_task("chime_now.yml", "Chime now - journal of the run")],
        {
            "__sonos_chime_discovery": {"stdout": yaml.safe_dump(ZONES, allow_unicode=True)},
            "sonos_chime_zones_exclude": [],
            "sonos_chime_chimes": [{"name": "Demo", "zones": ["Kitchen"]}],
            "sonos_chime_zones": [],
            "sonos_chime_household": "",
            "__sonos_chime_now_journal": {"stdout_lines": JOURNAL},
        },
    )
    lines = printed(stdout)
    assert len(JOURNAL[0]) > 150
    for line in [SUMMARY, "chime 'Demo' names zone(s) not found: 'Kitchen'", *JOURNAL]:
        assert line in lines, stdout
    assert "d''été" not in stdout and '\\"' not in stdout, stdout


def test_a_journal_of_one_line_is_printed_whole(tmp_path: Path) -> None:
    stdout = run_tasks(tmp_path, [role_task("chime_now.yml", "Chime now - journal of the run")],
                       {"__sonos_chime_now_journal": {"stdout_lines": JOURNAL[:1]}})
    assert JOURNAL[0] in printed(stdout), stdout


def test_a_preflight_refusal_prints_each_problem_as_a_whole_line(tmp_path: Path) -> None:
    chimes = [{"name": "Dîner d'été", "sound": "ding.mp3", "schedule": "daily", "zones": ["Kichen", "Bureau d'été"]},
              {"name": "Dîner d'été", "sound": "ding.mp3", "schedule": "daily", "volume": 130}]
    stdout = run_tasks(
        tmp_path, [role_task("preflight.yml", "Preflight - check names, zones, sounds and values (by chime.py's own rules)")],
        {"sonos_chime_chimes": chimes, "sonos_chime_zones": [], "sonos_chime_discovered_zones": ZONES,
         "sonos_chime_zones_exclude": [], "sonos_chime_volume": 30, "sonos_chime_sources": {},
         "sonos_chime_sounds_src": str(tmp_path), "__sonos_chime_settings": {}, "sonos_chime_program_src": str(ROOT / "files"),
         "sonos_chime_mode": "interrupt", "sonos_chime_household": "", "sonos_chime_quiet_hours": {}},
        fails=True,
    )
    lines = printed(stdout)
    assert "sonos_chime preflight refused the inventory:" in lines, stdout
    problems = [line for line in lines if line.startswith("- sonos_chime_chimes[")]
    assert len(problems) >= 3, stdout
    assert any("'Kichen'" in line and "not a known zone" in line and "Dîner d'été" in line for line in problems), stdout
    assert any(line.startswith("- sonos_chime_chimes[1]") and "130" in line for line in problems), stdout
    assert "d''été" not in stdout and '\\"' not in stdout, stdout


def test_chime_now_refusing_an_unknown_chime_prints_whole_lines(tmp_path: Path) -> None:
    stdout = run_tasks(
        tmp_path, [role_task("chime_now.yml", "Chime now - check the chime is deployed")],
        {"__sonos_chime_units": [{"chime": "Dinner"}], "sonos_chime_chime_now": "Dîner d'été",
         "sonos_chime_chimes": [{"name": "Dinner"}, {"name": "Bureau d'été"}]},
        fails=True,
    )
    lines = printed(stdout)
    assert "sonos_chime_chime_now: \"Dîner d'été\" is not an enabled chime with zones on localhost." in lines, stdout
    assert "Known chimes: Dinner, Bureau d'été." in lines, stdout
