"""What the unit files the role writes say, rendered by the role's own code (in molecule,
systemd itself reads them back: molecule/shared/tasks/check_units.yml)."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from role_model import ROOT, RoleModel
from sonos_chime.cli import build_parser
from sonos_chime.statuspage import DEFAULT_PAGE

ZONES = [{"name": "Kitchen", "uid": "RINCON_1", "host": "192.0.2.1"}, {"name": "Den", "uid": "RINCON_2", "host": "192.0.2.2"}]
CHIMES = [
    {"name": "Fin de journée", "sound": "soft-bells.mp3", "schedule": ["Mon..Fri 17:30", "Sat 10:00"]},
    {"name": "Kid's 100% bell", "sound": "ding-dong.mp3", "schedule": "*-*-* 18:45:00 Europe/Paris", "persistent": True,
     "zones": ["Den"]},
    {"name": "Off", "sound": "ding-dong.mp3", "schedule": "daily", "enabled": False},
]
HARDENING = {
    "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "", "ProtectSystem": "strict",
    "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "PrivateIPC": "yes", "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes", "ProtectControlGroups": "yes", "RestrictNamespaces": "yes", "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native", "RestrictSUIDSGID": "yes", "UMask": "0077",
}


def parsed(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    return parser


def unit_files() -> dict[str, str]:
    return RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": CHIMES}).unit_files()


def test_one_timer_and_service_per_enabled_chime() -> None:
    assert sorted(unit_files()) == [
        "sonos-chime-fin-de-journee.service", "sonos-chime-fin-de-journee.timer",
        "sonos-chime-kid-s-100-bell.service", "sonos-chime-kid-s-100-bell.timer",
        "sonos-chime-page@.service", "sonos-chime-recover.service",
    ]


def test_timers_start_the_chime_its_lead_before_each_moment() -> None:
    files = unit_files()
    timer = files["sonos-chime-fin-de-journee.timer"]
    assert [line for line in timer.splitlines() if line.startswith("OnCalendar=")] == [
        "OnCalendar=Mon..Fri *-*-* 17:29:55", "OnCalendar=Sat *-*-* 09:59:55"]
    section = parsed(timer)["Timer"]
    assert (section["AccuracySec"], section["RandomizedDelaySec"], section["Persistent"]) == ("1s", "0", "false")
    assert section["Unit"] == "sonos-chime-fin-de-journee.service"
    assert parsed(timer)["Install"]["WantedBy"] == "timers.target"
    assert parsed(files["sonos-chime-kid-s-100-bell.timer"])["Timer"]["Persistent"] == "true"


def test_services_run_the_whole_chime_unprivileged_and_hardened() -> None:
    files = unit_files()
    service = parsed(files["sonos-chime-kid-s-100-bell.service"])["Service"]
    assert service["ExecStart"] == (
        "/opt/sonos-chime/venv/bin/python /opt/sonos-chime/chime.py play --at next --config /etc/sonos-chime/config.yml -- \"Kid's 100%% bell\""
    )
    assert "--zone" not in files["sonos-chime-fin-de-journee.service"]
    assert (service["Type"], service["User"], service["Group"]) == ("oneshot", "sonos-chime", "sonos-chime")
    assert (service["TimeoutStartSec"], service["RuntimeDirectory"], service["RuntimeDirectoryPreserve"]) == ("90", "sonos-chime", "yes")
    assert {key: service.get(key) for key in HARDENING} == HARDENING


def test_a_failed_or_killed_chime_and_a_boot_start_the_recovery_with_the_chimes_state_folder() -> None:
    files = unit_files()
    chime = parsed(files["sonos-chime-kid-s-100-bell.service"])
    recovery = parsed(files["sonos-chime-recover.service"])
    assert chime["Unit"]["OnFailure"].split()[0] == "sonos-chime-recover.service"
    assert recovery["Install"]["WantedBy"] == "multi-user.target"
    assert recovery["Service"]["ExecStart"] == (
        "/opt/sonos-chime/venv/bin/python /opt/sonos-chime/chime.py recover --config /etc/sonos-chime/config.yml --wait 21600 --every 30"
    )
    # The folder config.yml names is the one systemd gives both (and keeps across boots).
    config = yaml.safe_load(RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": CHIMES}).config_text())
    for name in ("sonos-chime-kid-s-100-bell.service", "sonos-chime-recover.service"):
        assert "StateDirectory=" + config["settings"]["state_dir"].removeprefix("/var/lib/") in files[name].splitlines()
    # A chime's run keeps there the last good copy of each calendar URL (skip_calendar).
    calendars = "StateDirectory=" + config["settings"]["calendar_cache"].removeprefix("/var/lib/")
    assert calendars in files["sonos-chime-kid-s-100-bell.service"].splitlines()
    for unit in (chime, recovery):
        service = unit["Service"]
        assert (service["User"], service["RuntimeDirectory"]) == ("sonos-chime", "sonos-chime")
        assert {key: service.get(key) for key in HARDENING} == HARDENING
    # The boot does not wait for it (a speaker may be off for hours); its runs end on their own.
    assert (recovery["Service"]["Type"], int(recovery["Service"]["RuntimeMaxSec"]) > 21600) == ("exec", True)


def test_a_chime_cannot_take_the_recovery_units_name() -> None:
    model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [{**CHIMES[0], "name": "Recover"}]})
    assert [problem for problem in model.preflight() if "recovery unit" in problem and "Recover" in problem]


def test_every_service_is_bounded_in_memory_threads_and_time_as_the_inventory_says() -> None:
    for inventory, memory, tasks in (({}, "192M", "256"), ({"sonos_chime_memory_max_mib": 1024, "sonos_chime_tasks_max": 64}, "1024M", "64")):
        model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": CHIMES, **inventory})
        assert model.preflight() == []
        files = model.unit_files()
        for name in ("sonos-chime-kid-s-100-bell.service", "sonos-chime-recover.service"):
            service = parsed(files[name])["Service"]
            assert (service["MemoryMax"], service["MemorySwapMax"], service["TasksMax"]) == (memory, "0", tasks), name
        assert parsed(files["sonos-chime-kid-s-100-bell.service"])["Service"]["TimeoutStartSec"] == "90"
        assert int(parsed(files["sonos-chime-recover.service"])["Service"]["RuntimeMaxSec"]) > 0


def test_every_run_starts_the_page_unit_which_alone_reads_the_journal_and_has_no_network(tmp_path: Path) -> None:
    install = tmp_path / "opt"  # systemd checks the programs a unit runs are there
    (install / "venv" / "bin").mkdir(parents=True)
    (install / "venv" / "bin" / "python").symlink_to(sys.executable)
    shutil.copy(ROOT / "files" / "chime.py", install / "chime.py")
    model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": CHIMES, "sonos_chime_install_dir": str(install),
                       "sonos_chime_status_enabled": True})
    files = model.unit_files()
    chime = parsed(files["sonos-chime-kid-s-100-bell.service"])

    # After a run that ended well, and after one that did not (beside the recovery): the page's
    # instance of the chime's own unit (%N), so two chimes ending together each get theirs.
    assert chime["Unit"]["OnSuccess"] == "sonos-chime-page@%N.service"
    assert chime["Unit"]["OnFailure"].split() == ["sonos-chime-recover.service", "sonos-chime-page@failed-%N.service"]
    # The chime services, which talk to the network, do not read the journal nor write the page.
    for name, text in files.items():
        if name != "sonos-chime-page@.service":
            assert "systemd-journal" not in text and "ExecStopPost" not in text and " page " not in text, name

    unit = parsed(files["sonos-chime-page@.service"])
    service = unit["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[:2] == [f"{install}/venv/bin/python", f"{install}/chime.py"]
    page = build_parser().parse_args(argv[2:])
    assert (page.command, page.config, page.output) == ("page", "/etc/sonos-chime/config.yml", str(DEFAULT_PAGE))
    assert (service["Type"], service["User"], service["TimeoutStartSec"]) == ("oneshot", "sonos-chime", "60")
    # The journal's group; the page's folder, and no other, writable; no network at all.
    assert (service["SupplementaryGroups"], service["ReadWritePaths"]) == ("systemd-journal", str(DEFAULT_PAGE.parent))
    assert service["PrivateNetwork"] == "yes"
    families = [line.split("=", 1)[1] for line in files["sonos-chime-page@.service"].splitlines()
                if line.startswith("RestrictAddressFamilies=")]
    assert families[-2:] == ["", "AF_UNIX"]  # the empty one resets the hardening's list
    assert {key: service.get(key) for key in HARDENING} == HARDENING
    assert (service["MemoryMax"], service["TasksMax"]) == ("192M", "256")
    for name in ("sonos-chime-page@.service", "sonos-chime-kid-s-100-bell.service"):
        assert validated(model, files[name], name, tmp_path) == 0, name
    # Off: no page unit, and the chime services start none.
    off = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": CHIMES, "sonos_chime_status_enabled": False})
    assert "sonos-chime-page@.service" not in off.unit_files()
    assert not [text for text in off.unit_files().values() if "page@" in text or "systemd-journal" in text]


def test_each_page_instance_has_one_trigger_so_systemd_passes_it_the_runs_result() -> None:
    """systemd passes MONITOR_INVOCATION_ID and MONITOR_SERVICE_RESULT (what the page's wait for
    the run's closing line needs) only to a unit with exactly one trigger source: a unit named in
    both OnSuccess= and OnFailure= of the same chime is two ("multiple trigger source candidates
    for exit status propagation (X, X), skipping"), and so is an instance two chimes share."""
    triggers: dict[str, list[str]] = {}
    for name, text in unit_files().items():
        if not name.endswith(".service") or name in ("sonos-chime-page@.service", "sonos-chime-recover.service"):
            continue
        unit = parsed(text)["Unit"]
        for key in ("OnSuccess", "OnFailure"):
            for handler in unit.get(key, "").split():
                if handler.startswith("sonos-chime-page@"):
                    triggers.setdefault(handler.replace("%N", name.removesuffix(".service")), []).append(f"{name} {key}")
    assert len(triggers) == 4  # two chimes, each a page instance for a run that ended well and one for a failed run
    assert all(len(sources) == 1 for sources in triggers.values()), triggers
    assert "sonos-chime-page@converge.service" not in triggers


def validated(model: RoleModel, text: str, name: str, folder: Path) -> int:
    """The role's own check of a unit file (the template's validate: systemd-analyze verify)."""
    path = folder / "unit.tmp"
    path.write_text(text, encoding="utf-8")
    command = str(model.template("{{ __sonos_chime_validate_unit }}")) % str(path)
    return subprocess.run([*shlex.split(command), name], capture_output=True, check=False).returncode


def test_the_converge_writes_the_page_with_the_page_unit_as_after_a_run() -> None:
    model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": CHIMES, "sonos_chime_status_enabled": True})
    handlers = yaml.safe_load((ROOT / "roles" / "sonos_chime" / "handlers" / "main.yml").read_text(encoding="utf-8"))
    [writer] = [handler for handler in handlers if handler["name"] == "Sonos_chime - write the status page"]
    started = writer["ansible.builtin.systemd_service"]
    instance = str(model.template(started["name"]))
    after_run = parsed(model.unit_files()["sonos-chime-kid-s-100-bell.service"])["Unit"]["OnSuccess"]

    assert started["state"] == "started"
    # An instance of the same template the chime services start.
    assert (instance.split("@")[0], after_run.split("@")[0]) == ("sonos-chime-page", "sonos-chime-page")
    assert instance.endswith(".service") and "%" not in instance
    notified = [task["name"] for name in ("install.yml", "media.yml", "configure.yml", "units.yml")
                for task in yaml.safe_load((ROOT / "roles" / "sonos_chime" / "tasks" / name).read_text(encoding="utf-8"))
                if writer["name"] in str(task.get("notify", ""))]
    assert notified == ["Install - the program into the venv (when its source or version changed)", "Media - status page folder",
                        "Configure - render config.yml for chime.py",
                        "Units - the status page's unit (a chime's service starts an instance after each run)"]
