"""The project as the collection chimehouse.sonos, used from a user's own repository (issue #22).

Builds the collection from this checkout with ansible-galaxy (offline), installs the tarball into
a scratch collections folder from a separate folder that holds only what
molecule/shared/user_repo/ holds (an inventory, a requirements.yml and site.yml), and runs
there what needs no chime host: syntax checks, the task lists, the role's filters by their
full names, and the role's preflight in check mode against this machine (it stands in for
the host, as in tests/role_model.py). Nothing of this checkout is on the paths Ansible
searches there. The converge from that folder is molecule/shared/user_repo.yml.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
USER_REPO = ROOT / "molecule" / "shared" / "user_repo"
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"


class UserRepo:
    """A scratch place: dist/ (the tarball), collections/ (installed), home/ (the user's folder)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.home = base / "home"
        self.collections = base / "collections"
        self.collection = self.collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
        # Only the folder's own settings: no ansible.cfg, roles or collections path of this
        # checkout, no PYTHONPATH to its program.
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("ANSIBLE_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")}
        self.env.update(ANSIBLE_CONFIG=str(self.home / "ansible.cfg"), ANSIBLE_ROLES_PATH=str(self.home / "roles"),
                        ANSIBLE_COLLECTIONS_PATH=str(self.collections), ANSIBLE_NOCOLOR="1",
                        ANSIBLE_LOCAL_TEMP=str(base / "tmp"), PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")

    def run(self, *argv: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=cwd or self.home, env=self.env,
                              capture_output=True, text=True, check=False, timeout=300)
        if check:
            assert done.returncode == 0, f"{' '.join(argv)}: rc {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        return done


@pytest.fixture(scope="module")
def user_repo(tmp_path_factory: pytest.TempPathFactory) -> UserRepo:
    repo = UserRepo(tmp_path_factory.mktemp("user-repo"))
    dist = repo.base / "dist"
    repo.run("ansible-galaxy", "collection", "build", "--output-path", str(dist), str(ROOT), cwd=repo.base)
    # Where the folder's requirements.yml names it (molecule/shared/user_repo.yml does the same).
    shutil.copy(dist / f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz", dist / "chimehouse-sonos.tar.gz")
    shutil.copytree(USER_REPO, repo.home)
    repo.run("ansible-galaxy", "collection", "install", "-r", "requirements.yml", "-p", str(repo.collections))
    return repo


def test_the_version_is_the_programs() -> None:
    pyproject = tomllib.loads((ROOT / "files" / "pyproject.toml").read_text(encoding="utf-8"))
    assert GALAXY["version"] == pyproject["project"]["version"]


def test_the_tarball_holds_the_role_its_filters_the_playbooks_the_program_and_the_sounds(user_repo: UserRepo) -> None:
    with tarfile.open(user_repo.base / "dist" / "chimehouse-sonos.tar.gz") as tar:
        names = set(tar.getnames())
    program = {f"files/sonos_chime/{path.name}" for path in (ROOT / "files" / "sonos_chime").glob("*.py")}
    sounds = {f"files/sounds/{path.name}" for path in (ROOT / "files" / "sounds").iterdir()}
    role = {str(path.relative_to(ROOT)) for path in (ROOT / "roles" / "sonos_chime").rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}
    expected = {"MANIFEST.json", "FILES.json", "README.md", "CHANGELOG.md", "meta/runtime.yml",
                "plugins/filter/sonos_chime_filters.py", "playbooks/discover.yml", "playbooks/chime_now.yml",
                "files/chime.py", "files/pyproject.toml", "files/requirements.txt"}
    assert expected | program | sounds | role <= names
    assert "roles/sonos_chime/filter_plugins/sonos_chime_filters.py" in names
    left_out = ("tests/", "molecule/", "scripts/", "inventory/", "collections/", ".venv", ".cache", ".ansible/", "results/",
                "site.yml", "ansible.cfg", "Makefile", "requirements-dev.txt", "requirements.yml", "__pycache__", ".pyc")
    assert [name for name in names if name.startswith(left_out) or name.endswith(left_out)] == []


def test_the_folder_holds_only_an_inventory_requirements_a_short_playbook_and_output_settings(user_repo: UserRepo) -> None:
    assert sorted(path.name for path in user_repo.home.iterdir()) == ["ansible.cfg", "inventory", "requirements.yml", "site.yml"]
    settings = configparser.ConfigParser()
    settings.read(user_repo.home / "ansible.cfg", encoding="utf-8")
    assert {section: dict(settings[section]) for section in settings.sections()} == {"defaults": {
        "stdout_callback": "default", "callback_result_format": "yaml", "callback_format_pretty": "true"}}
    play = [line for line in (user_repo.home / "site.yml").read_text(encoding="utf-8").splitlines() if line != "---"]
    assert len(play) == 4 and f"roles: [{FQCN}.sonos_chime]" in play[-1]
    requirements = yaml.safe_load((user_repo.home / "requirements.yml").read_text(encoding="utf-8"))
    assert requirements["collections"] == [{"name": "../dist/chimehouse-sonos.tar.gz", "type": "file"}]


def test_nothing_in_the_folder_or_the_installed_collection_names_this_checkout(user_repo: UserRepo) -> None:
    for folder in (user_repo.home, user_repo.collection):
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert str(ROOT).encode() not in path.read_bytes(), path


def test_the_playbook_and_the_collections_playbooks_pass_syntax_check(user_repo: UserRepo) -> None:
    for playbook in ("site.yml", f"{FQCN}.discover", f"{FQCN}.chime_now"):
        user_repo.run("ansible-playbook", "-i", "inventory/hosts.yml", "--syntax-check", playbook)


def test_the_playbook_lists_the_roles_tasks_from_the_installed_collection(user_repo: UserRepo) -> None:
    listed = user_repo.run("ansible-playbook", "-i", "inventory/hosts.yml", "--list-tasks", "site.yml").stdout
    for task in ("Preflight - check names, zones, sounds and values", "Install - the program into the venv",
                 "Media - ", "Units - "):
        assert f"{FQCN}.sonos_chime : {task}" in listed, listed


def test_the_filters_are_the_collections_by_their_full_names(user_repo: UserRepo) -> None:
    plugin = user_repo.collection / "plugins" / "filter" / "sonos_chime_filters.py"
    assert plugin.is_symlink() and plugin.resolve() == user_repo.collection / "roles" / "sonos_chime" / "filter_plugins" / plugin.name
    spec = importlib.util.spec_from_file_location("installed_sonos_chime_filters", plugin)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert Path(module.ARGUMENT_SPECS) == user_repo.collection / "roles" / "sonos_chime" / "meta" / "argument_specs.yml"
    assert "sound" in module.chime_keys()

    done = user_repo.run("ansible", "localhost", "-m", "ansible.builtin.debug",
                         "-a", f"msg={{{{ 'Bureau été' | {FQCN}.sonos_chime_slug }}}}")
    assert f"msg: {module.slug('Bureau été')}" in done.stdout and "bureau-ete" in done.stdout, done.stdout


ZONES = [{"name": "Kitchen", "uid": "RINCON_000E5801861801400", "host": "192.0.2.12", "model": "Sonos One SL",
          "coordinator": "RINCON_000E5801861801400", "household": "Sonos_test"},
         {"name": "Living Room", "uid": "RINCON_000E58C7B60F01400", "host": "192.0.2.11", "model": "Sonos One",
          "coordinator": "RINCON_000E58C7B60F01400", "household": "Sonos_test"}]
PROBE = """\
---
- name: Preflight of the installed role, against this machine in check mode
  hosts: sonos_chime
  gather_facts: false
  tasks:
    - name: Preflight
      ansible.builtin.include_role:
        name: {fqcn}.sonos_chime
        tasks_from: preflight
"""


def preflight(user_repo: UserRepo, **extra: object) -> subprocess.CompletedProcess[str]:
    """The role's preflight (and the model it builds) from the installed collection, with the
    folder's inventory and discovered zones, this machine standing in for the host; the probe
    playbook lives beside the folder, not in it."""
    probe = user_repo.base / "probe"
    probe.mkdir(exist_ok=True)
    (probe / "preflight.yml").write_text(PROBE.format(fqcn=FQCN), encoding="utf-8")
    (probe / "extra.json").write_text(json.dumps({
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "sonos_chime_discovered_zones": ZONES, **extra}), encoding="utf-8")
    return user_repo.run("ansible-playbook", "-i", str(user_repo.home / "inventory" / "hosts.yml"), "--check",
                         "-e", f"@{probe / 'extra.json'}", str(probe / "preflight.yml"), cwd=probe, check=False)


def test_the_preflight_runs_from_the_installed_collection_with_its_program_and_sample_sounds(user_repo: UserRepo) -> None:
    done = preflight(user_repo)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "Preflight - chime.py reads the config.yml about to be written" in done.stdout


def test_the_default_sounds_are_the_collections_and_a_users_folder_is_one_variable(user_repo: UserRepo, tmp_path: Path) -> None:
    chime = {"name": "Tea time", "sound": "bell.mp3", "schedule": "2037-*-* 16:00:00", "zones": ["Kitchen"]}
    refused = preflight(user_repo, sonos_chime_chimes=[chime])
    assert refused.returncode != 0
    assert (f"sound 'bell.mp3' is not a file in sonos_chime_sounds_src "
            f"({user_repo.collection}/roles/sonos_chime/../../files/sounds)") in refused.stdout, refused.stdout[-4000:]

    sounds = tmp_path / "my-sounds"
    sounds.mkdir()
    shutil.copy(ROOT / "files" / "sounds" / "ding-dong.mp3", sounds / "bell.mp3")
    done = preflight(user_repo, sonos_chime_chimes=[chime], sonos_chime_sounds_src=str(sounds))
    assert done.returncode == 0, done.stdout[-4000:]


def test_what_the_role_prints_comes_out_whole_in_the_users_folder(user_repo: UserRepo) -> None:
    """chime_now's journal, from the installed collection's own task, with the folder's ansible.cfg
    (the README's): each line whole, each name as it is."""
    tasks = yaml.safe_load((user_repo.collection / "roles" / "sonos_chime" / "tasks" / "chime_now.yml").read_text(encoding="utf-8"))
    journal_task = next(task for task in tasks if task.get("name") == "Chime now - journal of the run")
    journal = [("Dec 03 07:00:00.123456 chime-host python[812]: INFO zone=\"Bureau d'été\" group=\"Living Room+Bureau d'été\" "
                "step=stand-aside outcome=with-group - chimed with \"Living Room\"'s group"),
               'Dec 03 07:00:03.654321 chime-host python[812]: INFO chime="Tea time" done in 3012 ms: "Kitchen" chimed and restored']
    play = [{"name": "Output", "hosts": "localhost", "gather_facts": False,
             "vars": {"__sonos_chime_now_journal": {"stdout_lines": journal}}, "tasks": [journal_task]}]
    (user_repo.base / "output.yml").write_text(yaml.safe_dump(play, allow_unicode=True), encoding="utf-8")
    done = user_repo.run("ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}",
                         str(user_repo.base / "output.yml"))
    printed = [line.strip() for line in done.stdout.splitlines()]
    assert all(line in printed for line in journal), done.stdout
    assert "d''été" not in done.stdout and '\\"' not in done.stdout, done.stdout
