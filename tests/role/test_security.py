"""The role with hostile names and careless variables (docs/security.md): each refused in
preflight by the role's own code, naming the variable, the item and the reason, or carried
as data, never as code. The molecule scenarios hold the cases that need a real host
(molecule/shared/vars/negative.yml)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from role_model import RoleModel
from sonos_chime.cli import build_parser
from sonos_chime.config import DEFAULT_STATE_DIR, Config, parse_config

from role.test_filters import F

ROOT = Path(__file__).resolve().parents[2]
PROGRAM_SRC = ROOT / "files"
SOUNDS = PROGRAM_SRC / "sounds"
ZONES = [{"name": "Kitchen", "uid": "RINCON_000E5801861801400", "host": "192.0.2.12"},
         {"name": "Den", "uid": "RINCON_000E58A4022101400", "host": "192.0.2.13"}]
GOOD = {"name": "Bell", "sound": "ding-dong.mp3", "schedule": "daily"}
INJECTION = "Bell\n[Service]\nExecStartPre=+/bin/sh -c 'id > /tmp/pwned'"


def preflight(**inventory: Any) -> list[str]:
    return RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [GOOD], **inventory}).preflight()


def refused(problems: list[str], *expected: str) -> None:
    assert problems, "accepted"
    text = " ".join(problems)
    for part in expected:
        assert part in text, text


# ---- names: one line of text


@pytest.mark.parametrize("name", [INJECTION, "Bell\r[Unit]", "Bell\x00", "Bell\x1b[2K", "Bell\x85next", "Bell\u2028next"])
def test_a_chime_name_that_would_break_a_line_is_refused(name: str) -> None:
    refused(preflight(sonos_chime_chimes=[{**GOOD, "name": name}]),
            "sonos_chime_chimes[0]", "name", "control characters")


def test_a_schedule_sound_or_hand_written_zone_with_a_line_break_is_refused() -> None:
    refused(preflight(sonos_chime_chimes=[{**GOOD, "schedule": "daily\nOnCalendar=minutely"}]), "sonos_chime_chimes[0]", "schedule")
    refused(preflight(sonos_chime_chimes=[{**GOOD, "sound": "ding-dong.mp3\n"}]), "sonos_chime_chimes[0]", "sound")
    refused(preflight(sonos_chime_zones=[{"name": "Attic\nINFO done", "uid": "RINCON_9", "host": "192.0.2.9"}]),
            "sonos_chime_zones[0]", "name", "control characters")


@pytest.mark.parametrize("name", ["-h", "--help", "-v", "--zone", "--", "Kid's \"100%\" $HOME \\ bell", "\u200fBell \u202e"])
def test_the_service_passes_any_chime_name_to_chime_py_as_the_name(name: str) -> None:
    files = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [{**GOOD, "name": name}]}).unit_files()
    service = next(text for unit, text in files.items() if unit.endswith(".service"))
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    # systemd reads %% as % and $$ as $, then splits like a shell
    argv = shlex.split(exec_start.removeprefix("ExecStart=").replace("%%", "%").replace("$$", "$"))
    args = build_parser().parse_args(argv[2:])
    assert (args.command, args.chime, args.verbose) == ("play", name, False)
    assert all("\n" not in line and "\r" not in line for line in service.split("\n"))


# ---- discovered names: data, intact


HOSTILE_ROOMS = ["{{ lookup('pipe', 'touch /tmp/pwned') }}", "Kid's \"Room\"\n[Service]\nExecStartPre=+/bin/id",
                 "INFO chime=Bell done\r\x1b[2K %n %% $HOME", "\u200fغرفة\u200e \u202eBath"]


def test_discovered_names_reach_config_yml_intact_and_no_unit_file(tmp_path: Path) -> None:
    from sonos_chime.config import load_config

    found = [{"name": name, "uid": f"RINCON_{i}", "host": f"192.0.2.{20 + i}", "model": name, "coordinator": name}
             for i, name in enumerate(HOSTILE_ROOMS)]
    zones_file = DataLoader().load(F.discovery_doc(found, "pi"))  # as Ansible reads the file discovery writes
    model = RoleModel({"sonos_chime_chimes": [GOOD]}, data=zones_file)
    assert model.preflight() == []
    (tmp_path / "config.yml").write_text(model.config_text(), encoding="utf-8")
    config = load_config(tmp_path / "config.yml")
    assert sorted(zone.name for zone in config.zones) == sorted(HOSTILE_ROOMS)
    assert sorted(config.chimes[0].zones) == sorted(HOSTILE_ROOMS)
    for text in model.unit_files().values():
        assert not any(name in text for name in HOSTILE_ROOMS)


# ---- variables checked for what they become


@pytest.mark.parametrize(("variable", "value", "reason"), [
    ("sonos_chime_sounds_dir", "/etc", "system folder"),
    ("sonos_chime_sounds_dir", "/", "absolute, normalized"),
    ("sonos_chime_sounds_dir", "/var/lib", "system folder"),
    ("sonos_chime_sounds_dir", "/home/pi", "in a home"),
    ("sonos_chime_sounds_dir", "/srv", "top-level"),
    ("sonos_chime_sounds_dir", "/etc/sonos-chime/sounds", "system folder"),
    ("sonos_chime_sounds_dir", "/var/lib/sonos-chime/../../../etc", "normalized"),
    ("sonos_chime_sounds_dir", "/var/lib/sonos chime", "no spaces"),
    ("sonos_chime_sounds_dir", "/var/lib/x; } location / { alias /etc/", "absolute, normalized"),
    ("sonos_chime_sounds_dir", "/opt/sonos-chime/venv", "overlap"),
    ("sonos_chime_install_dir", "/opt/sonos-chime\nExecStartPre=+/bin/id", "absolute, normalized"),
    ("sonos_chime_install_dir", "/usr", "system folder"),
    ("sonos_chime_python", "python3 -c 'import os'", "absolute, normalized"),
    ("sonos_chime_user", "root", "not root"),
    ("sonos_chime_user", "pi\nroot", "system account name"),
    ("sonos_chime_group", "Sonos Chime", "system account name"),
    ("sonos_chime_http_address", "0.0.0.0:80 default_server; location / { alias /etc/; }", "not an IPv4 address"),
    ("sonos_chime_http_allow", ["192.168.1.0/24", "; } location /leak/ { alias /etc/; autoindex on; "], "sonos_chime_http_allow[1]"),
    ("sonos_chime_http_path", "/chimes/../", "'..' segment"),
    ("sonos_chime_http_path", "/chimes/ { } location /x/", "URL-safe"),
    ("sonos_chime_base_url", "http://192.0.2.5/chimes/\nx", "not an http(s) URL"),
    ("sonos_chime_verbose", "maybe", "sonos_chime_verbose"),
    ("sonos_chime_status_path", "/status/../", "'..' segment"),
    ("sonos_chime_status_path", "/status/ { } location /x/ { alias /etc/; }", "URL-safe"),
    ("sonos_chime_status_path", "/", "location / is the role's own"),
    ("sonos_chime_status_path", "/chimes/status/", "overlaps sonos_chime_http_path"),
    ("sonos_chime_status_path", "/chimes/", "overlaps sonos_chime_http_path"),
    ("sonos_chime_status_enabled", "maybe", "sonos_chime_status_enabled"),
    ("sonos_chime_sounds_dir", "/var/lib/sonos-chime/status", "status page"),
])
def test_a_careless_variable_is_refused_naming_it(variable: str, value: Any, reason: str) -> None:
    refused(preflight(**{variable: value}), variable, reason)


def test_good_variables_pass() -> None:
    assert preflight(sonos_chime_sounds_dir="/srv/chimes", sonos_chime_install_dir="/opt/chimes",
                     sonos_chime_http_allow=["192.168.1.0/24", "10.0.0.7", "fd00::/8"], sonos_chime_http_address="192.168.1.5",
                     sonos_chime_user="chimes", sonos_chime_verbose="yes", sonos_chime_http_path="/a.b/c~d/",
                     sonos_chime_status_path="/chimes-status/", sonos_chime_status_enabled="no") == []


# ---- booleans are booleans


def test_enabled_and_persistent_as_strings_mean_what_they_say() -> None:
    chimes = [{**GOOD, "enabled": "false"}, {**GOOD, "name": "Kept", "persistent": "no"},
              {**GOOD, "name": "Caught up", "persistent": "yes", "enabled": "yes"}]
    model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": chimes})
    assert model.preflight() == []
    files = model.unit_files()
    assert sorted(files) == ["sonos-chime-caught-up.service", "sonos-chime-caught-up.timer",
                             "sonos-chime-kept.service", "sonos-chime-kept.timer", "sonos-chime-page@.service",
                             "sonos-chime-recover.service"]
    assert "Persistent=false" in files["sonos-chime-kept.timer"]
    assert "Persistent=true" in files["sonos-chime-caught-up.timer"]
    assert " -v" not in files["sonos-chime-kept.service"]
    verbose = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [GOOD], "sonos_chime_verbose": "false"})
    assert " -v " not in verbose.unit_files()["sonos-chime-bell.service"]


# ---- sounds are files, not links


def sounds_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sounds"
    folder.mkdir()
    shutil.copy(SOUNDS / "ding-dong.mp3", folder / "ding-dong.mp3")
    return folder


@pytest.mark.parametrize(("make", "reason"), [
    (lambda f: os.symlink("/etc/passwd", f / "bell.mp3"), "is a link to /etc/passwd, outside"),
    (lambda f: os.symlink("../outside.mp3", f / "bell.mp3"), "outside sonos_chime_sounds_src"),
    (lambda f: (f / "bell.mp3").write_text("root:x:0:0:root:/root:/bin/bash\n"), "neither MP3 nor WAV by its bytes"),
    (lambda f: (f / "bell.mp3").write_bytes(b"ID3" + b"\0" * (17 * 1024 * 1024)), "more than the 16777216"),
])
def test_a_sound_that_is_not_a_chime_is_refused(tmp_path: Path, make: Any, reason: str) -> None:
    folder = sounds_folder(tmp_path)
    shutil.copy(SOUNDS / "ding-dong.mp3", tmp_path / "outside.mp3")
    make(folder)
    refused(preflight(sonos_chime_sounds_src=str(folder), sonos_chime_chimes=[{**GOOD, "sound": "bell.mp3"}]),
            "sonos_chime_chimes[0] ('Bell')", "bell.mp3", reason)


def test_a_link_within_the_sounds_folder_and_a_wav_are_sounds(tmp_path: Path) -> None:
    folder = sounds_folder(tmp_path)
    os.symlink("ding-dong.mp3", folder / "bell.mp3")
    (folder / "beep.wav").write_bytes(b"RIFF\x24\0\0\0WAVEfmt " + b"\0" * 32)
    assert preflight(sonos_chime_sounds_src=str(folder), sonos_chime_chimes=[
        {**GOOD, "sound": "bell.mp3"}, {**GOOD, "name": "Beep", "sound": "beep.wav"}]) == []


# ---- the account and folders on the host: the role's own, or new


ROLE_ACCOUNT = {"sonos-chime": ["x", "998", "997", "sonos-chime", "/nonexistent", "/usr/sbin/nologin"]}
ROLE_GROUP = {"sonos-chime": ["x", "997", ""]}


def folder(path: str, *entries: tuple[str, bool, bool], exists: bool = True, isdir: bool = True, islnk: bool = False) -> dict[str, Any]:
    return {"path": path, "exists": exists, "isdir": isdir, "islnk": islnk,
            "entries": [{"name": n, "isreg": reg, "islnk": lnk} for n, reg, lnk in entries]}


def host(user: str = "sonos-chime", group: str = "sonos-chime", passwd: Any = None, groups: Any = None,
         sounds: Any = None, install: Any = None, state: Any = None) -> list[str]:
    folders = {"sonos_chime_sounds_dir": sounds or folder("/var/lib/sonos-chime/sounds", exists=False),
               "sonos_chime_install_dir": install or folder("/opt/sonos-chime", exists=False)}
    return list(F.host_problems(user, group, passwd or {user: None}, groups or {group: None}, folders, state or {},
                                str(PROGRAM_SRC)))


def test_a_new_host_and_the_roles_own_account_and_folders_pass() -> None:
    assert host() == []
    assert host(passwd=ROLE_ACCOUNT, groups=ROLE_GROUP,
                sounds=folder("/var/lib/sonos-chime/sounds", ("ding-dong.mp3", True, False)),
                install=folder("/opt/sonos-chime", ("venv", False, False), ("src", False, False), ("chime.py", True, False))) == []
    assert host(sounds=folder("/srv/chimes", (".hidden", True, False)),
                state={"sonos_chime_sounds_dir": "/srv/chimes"}) == []


def test_an_account_the_role_did_not_create_is_refused() -> None:
    refused(host(user="pi", passwd={"pi": ["x", "1000", "1000", ",,,", "/home/pi", "/bin/bash"]}),
            "sonos_chime_user", "'pi'", "did not create", "/bin/bash")
    refused(host(user="www-data", passwd={"www-data": ["x", "33", "33", "www-data", "/var/www", "/usr/sbin/nologin"]}),
            "sonos_chime_user", "'www-data'", "did not create")
    refused(host(group="shadow", groups={"shadow": ["x", "42", ""]}), "sonos_chime_group", "'shadow'", "did not create")
    refused(host(passwd=ROLE_ACCOUNT, group="sudo", groups={"sudo": ["x", "27", "pi"]}), "sonos_chime_group", "'sudo'")


def test_a_folder_that_holds_what_the_role_did_not_put_there_is_refused() -> None:
    refused(host(sounds=folder("/srv/media", ("song.mp3", True, False), ("notes.txt", True, False))),
            "sonos_chime_sounds_dir", "'/srv/media'", "notes.txt")
    refused(host(sounds=folder("/srv/media", ("passwd.mp3", False, True))), "sonos_chime_sounds_dir", "passwd.mp3")
    refused(host(sounds=folder("/srv/media", islnk=True, isdir=False)), "sonos_chime_sounds_dir", "not a folder")
    refused(host(install=folder("/opt/app", ("bin", False, False))), "sonos_chime_install_dir", "'/opt/app'", "bin")


# ---- discovery's zones file, read by a real ansible-playbook


PLAYBOOK = """\
- hosts: chime-host
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: sonos_chime
        tasks_from: model
    - ansible.builtin.copy:
        content: "{{ __sonos_chime_config | to_nice_yaml }}"
        dest: "{{ out }}"
        mode: "0600"
"""


def run_playbook(tmp_path: Path, zones_file: str) -> Path:
    """ansible-playbook with an inventory whose host_vars holds `zones_file`, as a user's
    inventory holds what discovery wrote; returns the config document the role computed."""
    import subprocess
    import sys

    import yaml

    inventory = tmp_path / "inventory"
    (inventory / "host_vars" / "chime-host").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"sonos_chime": {"hosts": {"chime-host": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "sonos_chime_interface": "192.0.2.5", "sonos_chime_chimes": [GOOD], "out": str(tmp_path / "config.yml")}}}}))
    (inventory / "host_vars" / "chime-host" / "sonos_zones.yml").write_text(zones_file, encoding="utf-8")
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = {**os.environ, "ANSIBLE_ROLES_PATH": str(ROOT / "roles"), "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    done = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory / "hosts.yml"),
                           str(tmp_path / "play.yml")], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp_path / "config.yml"


def hostile_household(marker: Path) -> list[dict[str, str]]:
    payload = "{{ lookup('pipe', 'touch " + str(marker) + "') }}"
    return [{"name": payload, "uid": "RINCON_000E5801861801400", "host": "192.0.2.12", "model": payload, "coordinator": payload},
            {"name": "Den", "uid": "RINCON_000E58A4022101400", "host": "192.0.2.13", "model": "One", "coordinator": "x"}]


def test_a_room_named_as_a_template_is_data_to_ansible(tmp_path: Path) -> None:
    import yaml

    marker = tmp_path / "pwned"
    config = yaml.safe_load(run_playbook(tmp_path, F.discovery_doc(hostile_household(marker), "chime-host")).read_text())
    assert not marker.exists(), "the room's name ran on the controller"
    assert [zone["name"] for zone in config["zones"]] == ["Den", "{{ lookup('pipe', 'touch " + str(marker) + "') }}"]


def test_the_same_room_written_without_unsafe_would_run(tmp_path: Path) -> None:
    """The test above can fail: a zones file written as plain YAML (discovery before this
    guard) runs the room's name on the controller."""
    import yaml

    marker = tmp_path / "pwned"
    plain = yaml.safe_dump({"sonos_chime_discovered_zones": hostile_household(marker)}, allow_unicode=True)
    run_playbook(tmp_path, plain)
    assert marker.exists()


# ---- generated files are checked before they replace the old ones


def validate(command: str, path: Path, *extra: str) -> int:
    """Run a template's `validate` as Ansible runs it: `%s` is the new file, split like a shell."""
    import subprocess

    argv = shlex.split(command % str(path)) + list(extra)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "files")}
    return subprocess.run(argv, capture_output=True, text=True, check=False, env=env).returncode


def test_a_unit_file_systemd_cannot_load_is_not_written(tmp_path: Path) -> None:
    model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [GOOD]})
    command = str(model.template("{{ __sonos_chime_validate_unit }}"))
    good, bad = tmp_path / "good.tmp", tmp_path / "bad.tmp"
    good.write_text("[Unit]\nDescription=x\n[Service]\nType=oneshot\nExecStart=/bin/true\n")
    bad.write_text("[Unit]\nDescription=x\n[Service]\nType=oneshot\nExecStart=bin/true\n")
    assert validate(command, good, "sonos-chime-bell.service") == 0
    assert validate(command, bad, "sonos-chime-bell.service") != 0


def test_a_config_yml_chime_py_cannot_read_is_not_written(tmp_path: Path) -> None:
    import sys

    model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [GOOD],
                       "sonos_chime_install_dir": str(tmp_path / "install")})
    command = str(model.template("{{ __sonos_chime_validate_config }}"))
    (tmp_path / "install" / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "install" / "venv" / "bin" / "python").symlink_to(sys.executable)
    good = tmp_path / "config.yml"
    good.write_text(model.config_text(), encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text(model.config_text().replace("volume: 30", "volume: 300"), encoding="utf-8")
    unknown_key = tmp_path / "unknown_key.yml"
    unknown_key.write_text(model.config_text().replace("  volume: 30", "  volume: 30\n  sound: ding-dong.mp3"), encoding="utf-8")
    # On the host the package is installed in the venv; here it comes from PYTHONPATH, which -I ignores.
    assert " -I -m sonos_chime.checkconfig " in command
    plain = command.replace(" -I ", " ")
    assert validate(plain, good) == 0
    assert validate(plain, bad) != 0
    assert validate(plain, unknown_key) != 0


# ---- found in review (each failed before its fix)


@pytest.mark.parametrize(("variable", "value", "reason"), [
    ("sonos_chime_http_path", "/", "location / is the role's own"),
    ("sonos_chime_http_allow", ["fe80::1%eth0"], "scope"),
    ("sonos_chime_http_allow", ["fe80::1%x; } location ~ ^(.)leak(.*)$ { alias $1etc$2; allow all; } location ~ ^x {"], "scope"),
    ("sonos_chime_sounds_dir", "/home/pi/Music", "home"),
    ("sonos_chime_sounds_dir", "/media/pi/USB", "home"),
    ("sonos_chime_sounds_dir", "/var/cache/private", "system folder"),
    ("sonos_chime_service_timeout", 0, "sonos_chime_service_timeout"),
    ("sonos_chime_service_timeout", -1, "sonos_chime_service_timeout"),
    ("sonos_chime_memory_max_mib", 16, "64-65536"),
    ("sonos_chime_memory_max_mib", "192M\nExecStartPre=/bin/sh", "sonos_chime_memory_max_mib"),
    ("sonos_chime_memory_max_mib", True, "64-65536"),
    ("sonos_chime_tasks_max", 0, "32-65536"),
    ("sonos_chime_tasks_max", "max", "sonos_chime_tasks_max"),
])
def test_review_a_careless_variable_is_refused(variable: str, value: Any, reason: str) -> None:
    refused(preflight(**{variable: value}), variable, reason)


def test_too_late_reaches_config_yml_as_given_or_five_minutes() -> None:
    for inventory, expected in (({}, 300), ({"sonos_chime_too_late": 900}, 900)):
        model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [GOOD], **inventory})
        assert model.preflight() == []
        assert parse_config(yaml.safe_load(model.config_text())).settings.too_late == expected


@pytest.mark.parametrize("value", [0, -300, 86401, "ten minutes"])
def test_a_too_late_no_run_could_keep_is_refused_naming_it(value: Any) -> None:
    refused(preflight(sonos_chime_too_late=value), "sonos_chime_too_late")


def test_review_a_sound_must_be_named_as_what_it_is(tmp_path: Path) -> None:
    folder = sounds_folder(tmp_path)
    shutil.copy(SOUNDS / "ding-dong.mp3", folder / "bell")
    refused(preflight(sonos_chime_sounds_src=str(folder), sonos_chime_chimes=[{**GOOD, "sound": "bell"}]),
            "sonos_chime_chimes[0] ('Bell')", "'bell'", ".mp3 or .wav")


def test_review_an_existing_folder_is_taken_over_only_when_empty_or_the_roles_own() -> None:
    music = folder("/srv/music", ("01 Private.mp3", True, False))
    refused(host(sounds=music), "sonos_chime_sounds_dir", "'/srv/music'", "01 Private.mp3")
    assert host(sounds=folder("/srv/music")) == []
    assert host(sounds=music, state={"sonos_chime_sounds_dir": "/srv/music"}) == []
    # the earlier role's own folders, before it kept a state file
    assert host(sounds=folder("/var/lib/sonos-chime/sounds", ("ding-dong.mp3", True, False))) == []
    refused(host(install=folder("/srv/app", ("venv", False, False))), "sonos_chime_install_dir", "'/srv/app'", "venv")
    refused(host(install=folder("/opt/sonos-chime", ("venv", False, True))), "sonos_chime_install_dir", "venv")


def test_review_a_group_left_by_an_interrupted_run_says_how_to_clear_it() -> None:
    refused(host(groups={"sonos-chime": ["x", "998", ""]}), "sonos_chime_group", "groupdel sonos-chime")


def test_review_the_discovery_summary_prints_each_name_on_its_line() -> None:
    found = [{"name": "Den\nok: [chime-host] => all zones restored"}, {"name": "\u202eBath"}]
    lines = F.discovery_summary(found, [], [], [])
    assert all("\n" not in line and "\u202e" not in line for line in lines)
    assert "'Den\\nok: [chime-host] => all zones restored'" in lines[0]


def test_review_validate_commands_hold_whatever_the_environment(tmp_path: Path) -> None:
    """Ansible expands $NAME in a validate command's arguments from its environment."""
    model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [GOOD]})
    good = tmp_path / "good.tmp"
    good.write_text("[Unit]\nDescription=x\n[Service]\nType=oneshot\nExecStart=/bin/true\n")
    command = str(model.template("{{ __sonos_chime_validate_unit }}"))
    hostile = {"d": "/", "r": "0", "HOME": "/nonexistent"}
    argv = [os.path.expandvars(arg) for arg in shlex.split(command % str(good))]
    old = {k: os.environ.get(k) for k in hostile}
    os.environ.update(hostile)
    try:
        expanded = [os.path.expandvars(arg) for arg in shlex.split(command % str(good))]
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v
    assert expanded == argv, "a shell variable of the validate command is taken from the environment"
    for name in ("__sonos_chime_validate_nginx", "__sonos_chime_validate_config"):
        text = str(model.template("{{ " + name + " }}"))
        assert not re.search(r"\$(\w*[A-Za-z_]\w*|\{)", text), f"{name} uses a shell variable Ansible would expand"


def test_review_discovery_never_reads_the_zones_file_it_replaces(tmp_path: Path) -> None:
    """discover's argument spec leaves the zones file out: a file written by an older
    discovery (plain YAML) is never templated on the way to being replaced."""
    import yaml

    specs = yaml.safe_load((ROOT / "roles" / "sonos_chime" / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    assert "sonos_chime_discovered_zones" not in specs["discover"]["options"]
    assert "sonos_chime_discovered_zones" in specs["main"]["options"]


def test_review_the_role_says_which_ansible_keeps_network_data_untemplated() -> None:
    import yaml

    meta = yaml.safe_load((ROOT / "roles" / "sonos_chime" / "meta" / "main.yml").read_text())
    assert meta["galaxy_info"]["min_ansible_version"] == "2.19"


def test_review_the_discover_entry_point_checks_before_it_installs() -> None:
    for variable, value in (("sonos_chime_user", "www-data"), ("sonos_chime_install_dir", "/home/pi"),
                            ("sonos_chime_sounds_dir", "/etc"), ("sonos_chime_discover_dest", "/tmp/x\ny")):
        refused(RoleModel({variable: value}).discover_guard(), variable)
    assert RoleModel({}).discover_guard() == []


def test_review_the_nginx_site_is_validated_before_it_replaces_the_old() -> None:
    import yaml

    tasks = yaml.safe_load((ROOT / "roles" / "sonos_chime" / "tasks" / "media.yml").read_text())
    site = next(t for t in tasks if t.get("ansible.builtin.template", {}).get("src") == "nginx-site.conf.j2")
    assert site["ansible.builtin.template"]["validate"] == "{{ __sonos_chime_validate_nginx }}"


@pytest.mark.parametrize("folder", ["/var/lib/sonos-chime", "/var/lib/sonos-chime/pending", "/var/lib/sonos-chime/pending/x"])
def test_a_folder_of_the_role_cannot_overlap_chime_pys_state_folder(folder: str) -> None:
    # systemd gives the state folder to the service's user: nginx could no longer read sounds
    # there, and the sounds' cleanup would reach the snapshots.
    refused(preflight(sonos_chime_sounds_dir=folder), "sonos_chime_sounds_dir", repr(folder), "snapshot")
    refused(preflight(sonos_chime_install_dir=folder), "sonos_chime_install_dir", repr(folder), "snapshot")


def test_the_state_folder_is_one_folder_wherever_it_is_named() -> None:
    model = RoleModel({"sonos_chime_discovered_zones": ZONES, "sonos_chime_chimes": [GOOD]})
    written = load_config_text(model.config_text())
    assert written.settings.state_dir == DEFAULT_STATE_DIR == Path(F.STATE_FOLDER)
    service = model.unit_files()["sonos-chime-bell.service"]
    assert f"StateDirectory={DEFAULT_STATE_DIR.relative_to('/var/lib')}" in service.splitlines()


def load_config_text(text: str) -> Config:
    return parse_config(yaml.safe_load(text))
