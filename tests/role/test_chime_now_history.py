"""chime_now's last word: `chime.py history` for the chime just played, a row per zone, run by a
real ansible-playbook against the program in this repository and a stand-in journalctl that
gives the records the services would have written."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from role.test_output import ROOT, printed, role_task, run_tasks

CHIME = "-v Fin de journée"  # a name like an option reaches --chime whole
MESSAGES = [
    'INFO zone="Bureau d\'été" group="Living Room+Bureau d\'été" step=stand-aside outcome=with-group - chimed with "Living Room"\'s group',
    ('INFO zone="Living Room" group="Living Room+Bureau d\'été" step=restore source=queue attempt=1 state=PLAYING '
     'resume_gap_ms=14 restore_ms=119 outcome=ok - restored'),
    f'INFO chime="{CHIME}" done in 3012 ms: "Living Room" chimed and restored, "Bureau d\'été" chimed with "Living Room"\'s group',
]


def stand_in_journalctl(folder: Path) -> Path:
    """journalctl on PATH: writes its arguments to argv.json and prints the records."""
    records = [{"MESSAGE": text, "_PID": "812", "_BOOT_ID": "b", "_SYSTEMD_UNIT": "sonos-chime-fin-de-journee.service",
                "__REALTIME_TIMESTAMP": str(1_780_000_000_000_000 + index)} for index, text in enumerate(MESSAGES)]
    (folder / "records.jsonl").write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    script = folder / "bin" / "journalctl"
    script.parent.mkdir()
    script.write_text(f"#!{sys.executable}\nimport json, sys\n"
                      f"open({str(folder / 'argv.json')!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
                      f"sys.stdout.write(open({str(folder / 'records.jsonl')!r}, encoding='utf-8').read())\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script.parent


def test_chime_now_prints_the_run_a_row_per_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{stand_in_journalctl(tmp_path)}{os.pathsep}{os.environ['PATH']}")

    stdout = run_tasks(
        tmp_path,
        [role_task("chime_now.yml", "Chime now - read the run back, a row per zone (chime.py history)"),
         role_task("chime_now.yml", "Chime now - the run per zone")],
        {"__sonos_chime_venv": str(Path(sys.executable).parent.parent), "__sonos_chime_script": str(ROOT / "files" / "chime.py"),
         "sonos_chime_chime_now": CHIME,
         "__sonos_chime_units": [{"chime": CHIME, "unit": "sonos-chime-fin-de-journee"}, {"chime": "Other", "unit": "x"}]},
    )

    lines = printed(stdout)
    assert "MOMENT               CHIME              ZONE          OUTCOME     LATE  MUSIC OFF  RESTORE  DETAIL" in lines, stdout
    assert any(line.endswith('-v Fin de journée  Bureau d\'été  with-group  -     -          -        with "Living Room"\'s group')
               for line in lines), stdout
    assert "Living Room   chimed      -     -          ok" in lines, stdout
    assert "--unit=sonos-chime-*.service" in json.loads((tmp_path / "argv.json").read_text(encoding="utf-8"))
