"""`chime.py history`: the last runs as a table a person reads in a terminal, or as JSON.

Every value from the journal is shown escaped: a name that is not plain printable text is shown
in double quotes with its controls, bidi marks, quotes and backslashes as escapes, so one row is
always one line of the terminal and says what it says.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import TextIO

from .history import Run, ZoneOutcome, json_records, read_runs
from .journal import RECOVER_UNIT, JournalRead, records_for
from .zonelog import LOG, escape

HEADER = ("MOMENT", "CHIME", "ZONE", "OUTCOME", "LATE", "MUSIC OFF", "RESTORE", "DETAIL")
NAME_WIDTH = 24  # a longer name is cut: the detail column keeps the row readable


def code_of(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """Free text (a message the program wrote, its names already quoted): what cannot print, escaped."""
    return "".join(char if char.isprintable() else code_of(char) for char in text)


def shown(name: str) -> str:
    """A name as it is when it is plain printable text, else quoted as the journal quotes it
    (zonelog.quote), and whatever else cannot print escaped too."""
    if name and name.isprintable() and name == name.strip() and '"' not in name and "\\" not in name:
        return name
    return f'"{printable(escape(name))}"'


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def milliseconds(value: int | None) -> str:
    return "-" if value is None else f"{value} ms"


def seconds(value: int | None) -> str:
    if value is None:
        return "-"
    return "none" if value == 0 else f"{value / 1000:.1f} s"


def zone_row(zone: ZoneOutcome) -> list[str]:
    return [cut(shown(zone.zone), NAME_WIDTH), zone.outcome, milliseconds(zone.late_ms), seconds(zone.interrupted_ms),
            zone.restore or "-", printable(zone.detail)]


def run_rows(run: Run) -> list[list[str]]:
    first = [run.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"), cut(shown(run.chime) if run.chime is not None else "?", NAME_WIDTH)]
    if not run.zones:
        return [first + ["-", run.status, "-", "-", "-", printable(run.detail)]]
    return [(first if index == 0 else ["", ""]) + zone_row(zone) for index, zone in enumerate(run.zones)]


def table(runs: Sequence[Run]) -> str:
    rows = [list(HEADER)] + [row for run in runs for row in run_rows(run)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADER) - 1)]
    return "".join("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths)), row[-1]]).rstrip() + "\n"
                   for row in rows)


def as_json(runs: Iterable[Run]) -> str:
    # ensure_ascii: every character beyond ASCII, and every control, as a \u escape.
    return json.dumps([run.as_json() for run in runs], ensure_ascii=True, indent=1) + "\n"


def chime_runs(journal: JournalRead, last: int, chime: str | None) -> list[Run]:
    records = [record for record in json_records(journal.lines) if record.get("_SYSTEMD_UNIT") != RECOVER_UNIT]
    return read_runs(records, last, chime, window_full=journal.full)


def show_history(last: int, chime: str | None, json_output: bool, reader: Callable[[int], JournalRead], out: TextIO) -> int:
    """Print the last runs; 1 when the journal could not be read at all."""
    try:
        journal = reader(records_for(last))
    except OSError as error:
        LOG.error("cannot read the journal: %s", error)
        return 1
    if journal.error:
        LOG.warning("journalctl: %s", journal.error)
    runs = chime_runs(journal, last, chime)
    out.write(as_json(runs) if json_output else table(runs) if runs else "no chime runs in the journal\n")
    return 0
