"""What the last runs did, read back from their journal lines (`chime.py history`).

A run is one process of a chime's service: its records share a boot, a PID and (when systemd
started it) the service's invocation id, as a PID comes round again within a boot. Its first
line (`chime="..." run begins on N zone(s)`) names the chime, so a run killed later is still
found under its chime. Its zones'
lines (`zone="..." group="..." step=... key=value ... - message`, zonelog.ZoneLog) say how each
zone went; its last line (`chime="..." done in N ms: "Zone" <Outcome>, ...`) sums the run up,
or a `chime="..." skipped: <why>: no speaker touched` line says it was a day off.

Everything here is data from the journal: a name is unescaped to what it was (for --json) and
shown escaped again (for the terminal); a record that is not one of the program's lines is
passed over, never trusted to be whole.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .job import Outcome
from .zonelog import quote, unescape

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
QUOTED = r'"((?:[^"\\]|\\.)*)"'
FIELD = re.compile(rf'([a-z_]+)=(?:{QUOTED}|([^\s"]+))(?: |$)')
DONE = re.compile(r"done in (\d+) ms: (.*)$")
DAY_OFF = re.compile(r"skipped: (.*): no speaker touched$")
NOT_PLAYED = ("not played", "not played tonight")  # schedule.scheduled_start: the timer fired, no moment to play
# Longest first: "chimed" (with a group) is the start of the others.
SAID = "|".join(re.escape(outcome.value) for outcome in sorted(Outcome, key=lambda o: -len(o.value)))
SUMMARY_ITEM = re.compile(rf"{QUOTED} ({SAID})(?: with {QUOTED}'s group)?(?:, |$)")

WORDS = {
    Outcome.CHIMED: "chimed",
    Outcome.OVERLAID: "overlaid",
    Outcome.LEFT_TO_USER: "left-to-user",
    Outcome.WITH_GROUP: "with-group",
    Outcome.SKIPPED: "skipped",
    Outcome.FAILED: "failed",
}
RECOVER_STEP = "recover"
UNFINISHED = "unfinished"  # no outcome in the journal: the run was killed, or is still going
# A zone line's own `outcome=` (when the run's summary line is missing).
LINE_OUTCOMES = {"ok": "chimed", "restored": "chimed", "with-group": "with-group",
                 "left-to-user": "left-to-user", "skipped": "skipped", "failed": "failed"}
RESTORE_WORDS = {"ok": "ok", "restored": "ok", "failed": "failed", "left-to-user": "left as set"}


@dataclass(frozen=True)
class Line:
    """One of the program's records: its level, `key=value` fields, and the free text after ` - `."""

    at: datetime
    level: str
    fields: Mapping[str, str]
    message: str


@dataclass(frozen=True)
class ZoneOutcome:
    zone: str
    outcome: str  # chimed | overlaid | with-group | left-to-user | skipped | failed | unfinished
    detail: str = ""  # why it was skipped or failed, or whose group it chimed with
    late_ms: int | None = None  # Play (or the clip) after the moment
    interrupted_ms: int | None = None  # music off: chime and resume (0: the music played on)
    restore: str | None = None  # the read-back: ok | failed | left as set; None: nothing to put back


@dataclass(frozen=True)
class Run:
    at: datetime  # the chime's moment when the run logged it, else its first record
    chime: str | None  # None: the run never said (killed before its first line, or an older version's run)
    unit: str
    status: str  # done | day-off | not-played | unfinished
    detail: str = ""
    took_ms: int | None = None
    zones: tuple[ZoneOutcome, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {"at": self.at.isoformat(timespec="milliseconds"), "chime": self.chime, "unit": self.unit,
                "status": self.status, "detail": self.detail, "took_ms": self.took_ms,
                "zones": [dataclasses.asdict(zone) for zone in self.zones]}


@dataclass
class RunRecords:
    unit: str
    lines: list[Line] = field(default_factory=list)


# ---- one record


def parse_message(text: str, at: datetime) -> Line | None:
    """`LEVEL key=value ... - message`, or `LEVEL chime="..." text`; None for anything else."""
    level, _, rest = text.partition(" ")
    if level not in LEVELS:
        return None
    fields: dict[str, str] = {}
    position = 0
    while position < len(rest) and not rest.startswith("- ", position):
        match = FIELD.match(rest, position)
        if match is None:
            break
        key, quoted, bare = match.groups()
        fields[key] = unescape(quoted) if quoted is not None else bare
        position = match.end()
    message = rest[position:].removeprefix("- ")
    if not fields:
        return None
    return Line(at, level, fields, message)


def message_text(record: Mapping[str, object]) -> str | None:
    """MESSAGE as journalctl writes it: a string, or (not valid UTF-8) a list of byte values."""
    message = record.get("MESSAGE")
    if isinstance(message, str):
        return message
    if isinstance(message, list) and all(isinstance(byte, int) and 0 <= byte < 256 for byte in message):
        return bytes(message).decode("utf-8", errors="replace")
    return None


def record_time(record: Mapping[str, object]) -> datetime | None:
    stamp = record.get("__REALTIME_TIMESTAMP")
    if not isinstance(stamp, str) or not stamp.isdigit():
        return None
    return datetime.fromtimestamp(int(stamp) / 1_000_000, tz=UTC)


def run_key(record: Mapping[str, object]) -> tuple[str, str, str, str]:
    """Boot, PID, unit and systemd's invocation id (none for a run by hand, where the PID tells
    two runs apart)."""
    return (str(record.get("_BOOT_ID", "?")), str(record.get("_PID", "?")), str(record.get("_SYSTEMD_UNIT", "?")),
            str(record.get("_SYSTEMD_INVOCATION_ID", "")))


# ---- records into runs


def group_runs(records: Iterable[Mapping[str, object]]) -> list[RunRecords]:
    """Each process's lines, in the order their first record came."""
    runs: dict[tuple[str, str, str, str], RunRecords] = {}
    for record in records:
        text, at = message_text(record), record_time(record)
        line = parse_message(text, at) if text is not None and at is not None else None
        if line is not None:
            key = run_key(record)
            runs.setdefault(key, RunRecords(key[2])).lines.append(line)
    return list(runs.values())


def zone_lines(lines: Iterable[Line]) -> list[Line]:
    """The lines of the run's own zones: not those of groups it put back for an earlier run (step=recover)."""
    return [line for line in lines if "zone" in line.fields and line.fields.get("step", RECOVER_STEP) != RECOVER_STEP]


def summary_outcomes(summary: str) -> dict[str, tuple[Outcome, str]]:
    """zone -> (outcome, whose group) from the run's last line; stops at what it cannot read."""
    found: dict[str, tuple[Outcome, str]] = {}
    position = 0
    while position < len(summary):
        match = SUMMARY_ITEM.match(summary, position)
        if match is None:
            break
        zone, said, by = match.groups()
        found[unescape(zone)] = (Outcome(said), unescape(by) if by is not None else "")
        position = match.end()
    return found


def integer(value: str | None) -> int | None:
    return int(value) if value is not None and re.fullmatch(r"-?\d+", value) else None


def zone_outcome(zone: str, lines: list[Line], summary: tuple[Outcome, str] | None) -> ZoneOutcome:
    steps = [line for line in lines if line.fields.get("zone") == zone]
    decided = [line for line in steps if "outcome" in line.fields]
    last = decided[-1] if decided else None
    outcome = outcome_word(summary, last)
    detail = f"with {quote(summary[1])}'s group" if summary is not None and summary[1] else ""
    said = last or (steps[-1] if steps else None)  # a dry run's zone says what it would do, with no outcome=
    if not detail and said is not None and outcome in ("skipped", "failed", "left-to-user", "with-group"):
        detail = said.message
    return ZoneOutcome(zone, outcome, detail, late_ms(steps), interrupted_ms(steps, outcome), restore_word(steps, outcome))


def outcome_word(summary: tuple[Outcome, str] | None, last: Line | None) -> str:
    if summary is not None:
        return WORDS[summary[0]]
    if last is None:
        return UNFINISHED
    if last.fields.get("step") == "overlay" and last.fields["outcome"] == "ok":
        return "overlaid"
    return LINE_OUTCOMES.get(last.fields["outcome"], UNFINISHED)


def step_field(steps: list[Line], step: str, key: str) -> str | None:
    values = [line.fields[key] for line in steps if line.fields.get("step") == step and key in line.fields]
    return values[-1] if values else None


def late_ms(steps: list[Line]) -> int | None:
    return integer(step_field(steps, "play", "late_ms"))


def interrupted_ms(steps: list[Line], outcome: str) -> int | None:
    """How long the music was off: the chime, then until it was back; 0 when it played on."""
    if outcome == "overlaid":
        return 0
    chime, gap = integer(step_field(steps, "end", "chime_ms")), integer(step_field(steps, "restore", "resume_gap_ms"))
    if chime is None or gap is None:
        return None
    return chime + gap if step_field(steps, "restore", "state") == "PLAYING" else 0


def restore_word(steps: list[Line], outcome: str) -> str | None:
    if outcome == "left-to-user":
        return RESTORE_WORDS["left-to-user"]
    said = step_field(steps, "restore", "outcome")
    return RESTORE_WORDS.get(said, said) if said is not None else None


def moment_of(lines: list[Line]) -> datetime:
    for line in lines:
        moment = line.fields.get("moment")
        if moment is not None:
            try:
                return datetime.fromisoformat(moment)
            except ValueError:
                continue
    return lines[0].at


def read_run(records: RunRecords) -> Run:
    lines = records.lines
    said = [(line.fields["chime"], line.message) for line in lines if set(line.fields) == {"chime"}]
    chime = said[-1][0] if said else None
    at = moment_of(lines)
    day_off = next((match for _, text in said if (match := DAY_OFF.match(text)) is not None), None)
    if day_off is not None:
        return Run(at, chime, records.unit, "day-off", day_off.group(1))
    done = next((match for _, text in reversed(said) if (match := DONE.match(text)) is not None), None)
    summary = summary_outcomes(done.group(2)) if done is not None else {}
    own = zone_lines(lines)
    names = dict.fromkeys([*(line.fields["zone"] for line in own), *summary])
    zones = tuple(zone_outcome(zone, own, summary.get(zone)) for zone in names)
    if done is not None:
        return Run(at, chime, records.unit, "done", took_ms=int(done.group(1)), zones=zones)
    not_played = [text for _, text in said if text.endswith(NOT_PLAYED)]
    if not_played and not zones:
        return Run(at, chime, records.unit, "not-played", not_played[-1])
    return Run(at, chime, records.unit, UNFINISHED, zones=zones)


def closes_a_run(text: str) -> bool:
    """A run's closing line: its summary, its day off, or the timer's moment it did not play."""
    return DONE.match(text) is not None or DAY_OFF.match(text) is not None or text.endswith(NOT_PLAYED)


def run_closed(records: Iterable[Mapping[str, object]], invocation: str) -> bool:
    """Whether the journal holds the closing line of the run systemd started as `invocation`."""
    for record in records:
        text, at = message_text(record), record_time(record)
        if record.get("_SYSTEMD_INVOCATION_ID") != invocation or text is None or at is None:
            continue
        line = parse_message(text, at)
        if line is not None and set(line.fields) == {"chime"} and closes_a_run(line.message):
            return True
    return False


def read_runs(records: Iterable[Mapping[str, object]], last: int, chime: str | None = None, window_full: bool = False) -> list[Run]:
    """The last runs in the journal's order (of one chime when `chime` is given). With `window_full`, the
    records are the newest of more: the run they begin with may have begun before them, and is left out."""
    grouped = group_runs(records)
    runs = [read_run(each) for each in grouped[1 if window_full else 0:]]
    runs = [run for run in runs if chime is None or run.chime == chime]
    return runs[-last:] if last > 0 else []


def json_records(lines: Iterable[str]) -> Iterator[dict[str, object]]:
    """journalctl -o json: one object a line; a line cut off or garbled is passed over."""
    for text in lines:
        try:
            record = json.loads(text)
        except ValueError:
            continue
        if isinstance(record, dict):
            yield record
