#!/usr/bin/python
"""Write a whole set of systemd unit files in one call and delete the stale ones."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sonos_chime_unit_files
short_description: Keep a folder's sonos-chime unit files exactly equal to a given set
description:
  - Writes every file of O(files) whose content differs (atomically, mode 0644, root-owned) and
    deletes every other file in O(path) whose name matches O(patterns).
  - One call for any number of chimes, instead of one template task per unit file.
  - Supports check mode and diff mode.
options:
  path:
    description: Folder of the unit files.
    type: path
    required: true
  files:
    description: File name to content.
    type: dict
    required: true
  patterns:
    description: Shell patterns of the file names this module owns in O(path); others are left alone.
    type: list
    elements: str
    required: true
author: sonos-chime project
"""

EXAMPLES = r"""
- name: Unit files
  sonos_chime_unit_files:
    path: /etc/systemd/system
    files:
      sonos-chime-dinner.timer: "[Timer]\nOnCalendar=18:45\n"
    patterns: ["sonos-chime-*.service", "sonos-chime-*.timer"]
"""

RETURN = r"""
written:
  description: Files created or changed.
  type: list
  elements: str
  returned: always
removed:
  description: Files deleted because they are not in O(files).
  type: list
  elements: str
  returned: always
"""

import fnmatch
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "files": {"type": "dict", "required": True},
            "patterns": {"type": "list", "elements": "str", "required": True},
        },
        supports_check_mode=True,
    )
    path = module.params["path"]
    files = {str(k): str(v) for k, v in module.params["files"].items()}
    patterns = module.params["patterns"]
    for name in files:
        if "/" in name or name.startswith(".") or not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            module.fail_json(msg=f"file name {name!r} does not match {patterns}")

    written, removed, before, after = [], [], [], []
    for name in sorted(files):
        dest = os.path.join(path, name)
        current = None
        if os.path.exists(dest):
            with open(dest, encoding="utf-8", errors="replace") as handle:
                current = handle.read()
        if current == files[name]:
            continue
        written.append(name)
        before.append({"before_header": dest, "before": current or "", "after_header": dest, "after": files[name]})
        if not module.check_mode:
            fd, tmp = tempfile.mkstemp(dir=path, prefix=".sonos-chime-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(files[name])
            os.chmod(tmp, 0o644)
            module.atomic_move(tmp, dest)
    existing = sorted(os.listdir(path)) if os.path.isdir(path) else []
    for name in existing:
        if name in files or not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        removed.append(name)
        after.append({"before_header": os.path.join(path, name), "before": "(file)\n", "after_header": "(deleted)",
                      "after": ""})
        if not module.check_mode:
            os.unlink(os.path.join(path, name))
    module.exit_json(changed=bool(written or removed), written=written, removed=removed, diff=before + after)


if __name__ == "__main__":
    main()
