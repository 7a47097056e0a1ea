"""The role's own code, evaluated in-process as Ansible evaluates it on the controller.

`RoleModel(inventory)` loads the role's defaults and vars, lays the inventory over them and
templates, with Ansible's own templating and the role's filters, exactly what the role
runs: the argument specs, the preflight's checks (read from tasks/preflight.yml), the
model's set_fact tasks (tasks/model.yml) and templates/config.yml.j2. Tests use it to
write the config.yml chime.py reads, so every test runs on what the role really writes.
"""

from __future__ import annotations

import functools
import grp
import pwd
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import add_all_plugin_dirs, init_plugin_loader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[1]
ROLE = ROOT / "roles" / "sonos_chime"
HOST_ADDRESS = "192.0.2.5"


@functools.cache
def _loader() -> DataLoader:
    # The role calls its filters by their full names (chimehouse.sonos.*): the collection this
    # repository is, found as ansible.cfg finds it (collections/ links to plugins/).
    init_plugin_loader([str(ROOT / "collections")])
    add_all_plugin_dirs(str(ROLE))
    return DataLoader()


def _trusted(value: Any) -> Any:
    """Strings as Ansible treats those of the role's own files: templates."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, Mapping):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


def _role_file(*parts: str) -> Any:
    return _loader().load_from_file(str(ROLE.joinpath(*parts)))


class RoleModel:
    """One host's inventory, as the role sees it."""

    def __init__(self, inventory: Mapping[str, Any], playbook_dir: Path = ROOT, data: Mapping[str, Any] | None = None) -> None:
        """`data`: variables Ansible holds as data, never as templates (what an `!unsafe` tag
        in a vars file gives: discovery's zones file)."""
        self.inventory = {**inventory, **(data or {})}
        self.variables: dict[str, Any] = {
            **_trusted(_role_file("defaults", "main.yml")),
            **_trusted(_role_file("vars", "main.yml")),
            "playbook_dir": str(playbook_dir),
            "role_path": str(ROLE),
            "inventory_hostname": "chime-host",
            "ansible_managed": "Ansible managed",
            "ansible_check_mode": False,
            "ansible_facts": {"default_ipv4": {"address": HOST_ADDRESS}, "all_ipv4_addresses": [HOST_ADDRESS]},
            **_trusted(dict(inventory)),
            **(data or {}),
        }

    def template(self, text: str) -> Any:
        return Templar(loader=_loader(), variables=self.variables).template(trust_as_template(text))

    def _value(self, value: Any) -> Any:
        return Templar(loader=_loader(), variables=self.variables).template(_trusted(value))

    def argument_spec_errors(self) -> list[str]:
        """What meta/argument_specs.yml (entry point main) says of the inventory."""
        spec = _role_file("meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
        parameters = {name: self.variables[name] for name in spec if name in self.inventory}
        result = ArgumentSpecValidator(spec).validate(parameters)
        return [str(error) for error in result.errors]

    def ask_host(self) -> None:
        """Run the preflight's registered commands (systemd-analyze: this machine stands in for
        the host) into the variables, as the role registers them."""
        for task in _role_file("tasks", "preflight.yml"):
            if "ansible.builtin.command" not in task or "register" not in task or task["register"] in self.variables:
                continue
            saved = dict(self.variables)
            self.variables.update(_trusted(task.get("vars", {})))
            try:
                if "when" in task and not self.template("{{ (" + str(task["when"]) + ") | bool }}"):
                    continue
                argv = [str(arg) for arg in self._value(task["ansible.builtin.command"]["argv"])]
            finally:
                self.variables = saved
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            self.variables[task["register"]] = {"rc": done.returncode, "stdout": done.stdout, "stdout_lines": done.stdout.splitlines()}

    def read_host(self) -> None:
        """The preflight's reads of the account and the folders the role would own, from this
        machine (it stands in for the host, as for systemd-analyze), registered as the role's
        getent, stat and find tasks register them."""
        user, group = str(self.template("{{ sonos_chime_user }}")), str(self.template("{{ sonos_chime_group }}"))
        try:
            account = pwd.getpwnam(user)
            passwd = [account.pw_passwd, str(account.pw_uid), str(account.pw_gid), account.pw_gecos, account.pw_dir, account.pw_shell]
        except KeyError:
            passwd = None
        try:
            entry = grp.getgrnam(group)
            members = [entry.gr_passwd, str(entry.gr_gid), ",".join(entry.gr_mem)]
        except KeyError:
            members = None
        stats, finds = [], []
        for item in self._value("{{ __sonos_chime_owned_folders }}"):
            path = Path(str(item["path"]))
            stat = {"exists": path.exists() or path.is_symlink(), "isdir": path.is_dir() and not path.is_symlink(),
                    "islnk": path.is_symlink()}
            stats.append({"item": item, "stat": stat})
            if stat["isdir"]:
                files = [{"path": str(e), "isreg": e.is_file() and not e.is_symlink(), "islnk": e.is_symlink()} for e in path.iterdir()]
                finds.append({"item": item, "files": files})
        self.variables["ansible_facts"] = {**self.variables["ansible_facts"], "getent_passwd": {user: passwd}, "getent_group": {group: members}}
        self.variables["__sonos_chime_owned_stat"] = {"results": stats}
        self.variables["__sonos_chime_owned_found"] = {"results": finds}
        self.variables["__sonos_chime_state_raw"] = {"failed": True}

    def compute_model(self) -> None:
        """Run tasks/model.yml's set_fact tasks, in order, into the variables."""
        self.ask_host()
        for task in _role_file("tasks", "model.yml"):
            for name, value in task["ansible.builtin.set_fact"].items():
                self.variables[name] = self._value(value)

    def failed_assert(self, task: dict[str, Any]) -> str | None:
        """An assert task's fail_msg when its conditions do not hold (None when they do)."""
        spec = task["ansible.builtin.assert"]
        saved = dict(self.variables)
        self.variables.update(_trusted(task.get("vars", {})))
        try:
            conditions = spec["that"] if isinstance(spec["that"], list) else [spec["that"]]
            if all(self.template("{{ (" + str(condition) + ") | bool }}") for condition in conditions):
                return None
            return str(self._value(spec["fail_msg"]))
        finally:
            self.variables = saved

    def preflight(self) -> list[str]:
        """The preflight's verdict, in the order the role meets its checks: the argument specs,
        then every assert of tasks/preflight.yml (the model computed where it imports it),
        with systemd-analyze on this machine for the host's."""
        errors = self.argument_spec_errors()
        if errors:
            return errors
        self.ask_host()
        self.read_host()
        return self._asserts("preflight.yml")

    def _asserts(self, tasks_file: str) -> list[str]:
        """The first failed assert of a tasks file, following its imports, in order."""
        for task in _role_file("tasks", tasks_file):
            imported = task.get("ansible.builtin.import_tasks")
            if imported == "model.yml":
                self.compute_model()
            elif imported:
                failure = self._asserts(imported)
                if failure:
                    return failure
            elif "ansible.builtin.assert" in task:
                failure = self.failed_assert(task)
                if failure is not None:
                    return [failure]
        return []

    def discover_guard(self) -> list[str]:
        """What the discover entry point checks before it installs anything (tasks/discover.yml
        up to its install step), with this machine as the host."""
        self.read_host()
        for task in _role_file("tasks", "discover.yml"):
            imported = task.get("ansible.builtin.import_tasks")
            if imported == "install.yml":
                return []
            if imported:
                failure = self._asserts(imported)
                if failure:
                    return failure
        raise AssertionError("tasks/discover.yml never installs")

    def config_text(self) -> str:
        """templates/config.yml.j2, rendered."""
        self.compute_model()
        return str(self.template((ROLE / "templates" / "config.yml.j2").read_text(encoding="utf-8")))

    def units(self) -> list[dict[str, Any]]:
        self.compute_model()
        return list(self.variables["__sonos_chime_units"])

    def unit_files(self) -> dict[str, str]:
        """Each unit file the role writes (templates/chime.service.j2 and chime.timer.j2,
        recover.service.j2, and page.service.j2 when the status page is on), by name."""
        files: dict[str, str] = {}
        for unit in self.units():
            self.variables["item"] = unit
            for kind in ("service", "timer"):
                files[f"{unit['unit']}.{kind}"] = self.render(f"chime.{kind}.j2")
        files[str(self.variables["__sonos_chime_recover_unit"])] = self.render("recover.service.j2")
        if self.template("{{ sonos_chime_status_enabled | bool }}"):
            files[str(self.variables["__sonos_chime_page_unit"])] = self.render("page.service.j2")
        return files

    def render(self, template: str) -> str:
        """A template of the role as the template module renders it (includes found beside it)."""
        path = ROLE / "templates" / template
        return str(self.template(f"{{{{ lookup('ansible.builtin.template', {str(path)!r}) }}}}"))
