#!/usr/bin/env python3
"""Write files/sonos_chime/holiday_regions.py: the countries and subdivisions the pinned `holidays`
package knows, so that preflight checks `skip_holidays` on the controller with the standard
library alone. Run it in the project's venv after changing the pin in files/requirements.txt;
tests/program/test_daysoff.py fails until the table matches the installed package."""

from __future__ import annotations

import pprint
from pathlib import Path

import holidays

TARGET = Path(__file__).resolve().parent.parent / "files" / "sonos_chime" / "holiday_regions.py"


def main() -> None:
    regions = {country: tuple(subdivisions) for country, subdivisions in sorted(holidays.list_supported_countries().items())}
    TARGET.write_text(
        '"""Countries and their subdivisions as the pinned `holidays` package names them (written by\n'
        f'scripts/holiday-regions.py from holidays {holidays.__version__}; do not edit)."""\n\n'
        f"HOLIDAYS_VERSION = {holidays.__version__!r}\n"
        f"REGIONS: dict[str, tuple[str, ...]] = {pprint.pformat(regions, width=110, compact=True)}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
