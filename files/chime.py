#!/usr/bin/env python3
"""sonos-chime: play a short chime on Sonos zones, then put everything back as it was.

The entry point the systemd units and people run; the program is the package sonos_chime
(installed into the venv by the role; beside this file in the repository).

    chime.py play CHIME [--zone NAME]... [--config PATH] [--dry-run] [-v]
    chime.py play-uri URL --host ADDRESS [--host ADDRESS]... [--volume N]
    chime.py discover [--timeout S] [--interface ADDRESS] [--scan CIDR]
    chime.py history [--last N] [--chime NAME] [--json]
    chime.py page [--config PATH] [--output PATH] [--moments N] [--runs N]
"""

import sys

from sonos_chime.cli import main

if __name__ == "__main__":
    sys.exit(main())
