"""`python -m sonos_chime.checkconfig PATH`: exit 0 when chime.py reads PATH as its config,
else print why and exit 2. The role validates config.yml with it before it replaces the old."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from .config import ConfigError, load_config


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m sonos_chime.checkconfig PATH\n")
        return 2
    try:
        load_config(Path(argv[0]))
    except ConfigError as error:
        sys.stderr.write(f"{argv[0]}: {error}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
