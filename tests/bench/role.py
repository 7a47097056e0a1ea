"""Role figures: converge and idempotent re-run time as the inventory grows.

For each size (chimes x zones) a fresh chime-host container is started from the molecule
image (scripts/build-image.sh bookworm), site.yml converges it through the docker
connection, then converges it again; both are timed and the second must change nothing.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from .runner import REPO

IMAGE = "sonos-chime-debian:bookworm"
SIZES = ((2, 2), (10, 16))
SOUNDS = ("ding-dong.mp3", "soft-bells.mp3")


def inventory(container: str, chimes: int, zones: int) -> dict[str, Any]:
    zone_list = [{"name": f"Zone {n:02d}", "uid": f"RINCON_BENCH{n:04d}01400", "host": f"192.0.2.{n + 10}"} for n in range(1, zones + 1)]
    chime_list = [
        {"name": f"Chime {n:02d}", "sound": SOUNDS[n % len(SOUNDS)], "schedule": f"*-*-* {6 + n:02d}:00:00", "zones": [z["name"] for z in zone_list]}
        for n in range(1, chimes + 1)
    ]
    host_vars = {
        "ansible_connection": "community.docker.docker",
        "ansible_host": container,
        "sonos_chime_zones": zone_list,
        "sonos_chime_chimes": chime_list,
        "sonos_chime_base_url": "http://192.0.2.5:8080/chimes/",
    }
    return {"all": {"children": {"sonos_chime": {"hosts": {container: host_vars}}}}}


def start_container(name: str) -> None:
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    subprocess.run(
        [
            "docker", "run", "-d", "--name", name, "--cap-add", "SYS_ADMIN", "--cgroupns=host",
            "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
            IMAGE, "/lib/systemd/systemd",
        ],
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probe = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running", "--wait"], capture_output=True, text=True, check=False)
        if probe.stdout.strip() in ("running", "degraded"):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{name}: systemd did not come up within 60 s")


def converge(inventory_path: Path, log_path: Path) -> tuple[float, int]:
    started = time.monotonic()
    result = subprocess.run(
        ["ansible-playbook", "-i", str(inventory_path), str(REPO / "site.yml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    log_path.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        raise RuntimeError(f"site.yml failed ({result.returncode}); see {log_path}")
    changed = re.search(r"changed=(\d+)", result.stdout.split("PLAY RECAP", 1)[-1])
    return elapsed, int(changed.group(1)) if changed else -1


def run_role_figures(workdir: Path) -> list[dict[str, Any]]:
    rows = []
    for chimes, zones in SIZES:
        name = f"sonos-chime-bench-{chimes}x{zones}"
        path = workdir / f"role-{chimes}x{zones}"
        path.mkdir(parents=True, exist_ok=True)
        inventory_path = path / "hosts.yml"
        inventory_path.write_text(yaml.safe_dump(inventory(name, chimes, zones)), encoding="utf-8")
        start_container(name)
        try:
            first, first_changed = converge(inventory_path, path / "converge.log")
            second, second_changed = converge(inventory_path, path / "rerun.log")
        finally:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        rows.append({"chimes": chimes, "zones": zones, "converge_s": first, "changed": first_changed, "rerun_s": second, "rerun_changed": second_changed})
    print("## Role (site.yml in the molecule image)\n")
    print("| chimes x zones | converge s | idempotent re-run s | changed on re-run |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['chimes']} x {row['zones']} | {row['converge_s']:.1f} | {row['rerun_s']:.1f} | {row['rerun_changed']} |")
    print()
    return rows


# Bad or unusual inventories. "fails": preflight must stop the run, name the item in its
# message, and leave the host untouched. "handled": the run must succeed.
BAD_INPUTS: tuple[tuple[str, str, dict[str, Any], str], ...] = (
    ("malformed schedule", "fails", {"schedule": "every day at five"}, "every day at five"),
    ("missing sound", "fails", {"sound": "no-such-sound.mp3"}, "no-such-sound.mp3"),
    ("duplicate chime names", "fails", {"__duplicate__": True}, "Chime 01"),
    ("unknown zone", "fails", {"zones": ["Zone 01", "Attic"]}, "Attic"),
    ("volume out of range", "fails", {"volume": 140}, "140"),
    ("names with spaces and accents", "handled", {"name": "Fin de journée à l'école"}, ""),
    ("empty chime list", "handled", {"__empty__": True}, ""),
)


def bad_inventory(container: str, change: dict[str, Any]) -> dict[str, Any]:
    data = inventory(container, 1, 2)
    host_vars = data["all"]["children"]["sonos_chime"]["hosts"][container]
    chime = host_vars["sonos_chime_chimes"][0]
    if change.get("__duplicate__"):
        host_vars["sonos_chime_chimes"].append(dict(chime))
    elif change.get("__empty__"):
        host_vars["sonos_chime_chimes"] = []
    else:
        chime.update(change)
    return data


def host_untouched(container: str) -> bool:
    """Nothing the role would create exists: no config, no nginx package, no units."""
    probe = "test ! -e /etc/sonos-chime && ! dpkg -s nginx >/dev/null 2>&1 && ! ls /etc/systemd/system/sonos-chime* >/dev/null 2>&1"
    return subprocess.run(["docker", "exec", container, "sh", "-c", probe], check=False).returncode == 0


def run_bad_input_matrix(workdir: Path) -> list[dict[str, Any]]:
    rows = []
    for index, (case, expectation, change, named) in enumerate(BAD_INPUTS):
        name = f"sonos-chime-bench-bad-{index}"
        path = workdir / f"bad-{index}"
        path.mkdir(parents=True, exist_ok=True)
        inventory_path = path / "hosts.yml"
        inventory_path.write_text(yaml.safe_dump(bad_inventory(name, change), allow_unicode=True), encoding="utf-8")
        start_container(name)
        try:
            result = subprocess.run(
                ["ansible-playbook", "-i", str(inventory_path), str(REPO / "site.yml")], cwd=REPO, capture_output=True, text=True, check=False
            )
            output = result.stdout + result.stderr
            (path / "run.log").write_text(output, encoding="utf-8")
            untouched = host_untouched(name)
        finally:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        flat = " ".join(output.split()).replace("''", "'")
        message = flat[flat.find("sonos_chime preflight:") :].split(" Origin:", 1)[0][:200] if "sonos_chime preflight:" in flat else ""
        if expectation == "fails":
            passed = result.returncode != 0 and named in message and untouched
            outcome = f"failed in preflight: {message[:160]}" if result.returncode else "NOT rejected"
        else:
            passed = result.returncode == 0
            outcome = "converged" if passed else f"failed: {message[:160]}"
        rows.append({"case": case, "expected": expectation, "outcome": outcome, "host_untouched": untouched, "as_expected": passed})
    print("## Bad input (role)\n")
    print("| input | expected | outcome | host untouched | as expected |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        untouched = ("yes" if row["host_untouched"] else "NO") if row["expected"] == "fails" else "n/a (converged)"
        print(f"| {row['case']} | {row['expected']} | {row['outcome'].replace('|', '/')} | {untouched} | {'yes' if row['as_expected'] else 'NO'} |")
    print()
    return rows
