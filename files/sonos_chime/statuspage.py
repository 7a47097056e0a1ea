"""`chime.py page`: one static HTML file a person reads on a phone, written after every run.

It shows each chime's next moments (outlook.py), the last runs per zone and a 7-day timeline
of lateness and interruptions, from the runs `sonos_chime.history` reads back. One file, no
script, no external resource: nginx serves it under a Content-Security-Policy of
`default-src 'none'; style-src 'unsafe-inline'`. Every string that comes from the journal,
the config or the network goes through `text`: escaped for HTML, and whatever cannot print
(controls, bidi overrides) shown as an escape, inside <bdi> so a right-to-left name stays in
its place.
"""

from __future__ import annotations

import contextlib
import fcntl
import html
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from .config import Config
from .history import Run, ZoneOutcome, json_records, run_closed
from .historytable import chime_runs, printable
from .journal import JournalRead, records_for
from .outlook import Calendar, ChimeOutlook, NextMoment, outlooks, systemd_moments
from .zonelog import LOG

DEFAULT_PAGE = Path("/var/lib/sonos-chime/status/index.html")  # roles/sonos_chime/vars/main.yml: __sonos_chime_status_dir
TIMELINE_DAYS = 7
RUNS_PER_ZONE = 5
# About a phone's width in CSS pixels, so that the picture's text reads at its own size there.
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 360, 170, 34, 20, 8
LATE_SCALE_MS = 1000  # the timeline's top: a run later than this is drawn at the top
GOOD = ("chimed", "overlaid", "with-group")
# After a run that ended by itself (the page's unit, started by the chime's OnSuccess=/OnFailure=), how long
# the page waits for the journal to hold the run's closing line, and how often it reads again.
SETTLE_SECONDS = 10.0
SETTLE_PAUSE = 0.5

STYLE = """
:root{color-scheme:light dark;font-family:system-ui,sans-serif;font-size:17px;line-height:1.45}
body{margin:0 auto;max-width:46rem;padding:0.8rem;overflow-wrap:anywhere}
h1{font-size:1.4rem;margin:0.2rem 0}h2{font-size:1.15rem;margin:1.4rem 0 0.4rem}h3{font-size:1rem;margin:0.9rem 0 0.3rem}
.when{opacity:0.75}ul{padding-left:1.1rem;margin:0.2rem 0}li{margin:0.15rem 0}
ul.runs{list-style:none;padding:0}ul.runs li{padding:0.3rem 0}ul.runs li+li{border-top:1px solid rgba(128,128,128,0.35)}
small{font-size:0.85rem;opacity:0.85}
.chimed,.overlaid,.with-group,.ok{color:#1a8f3c}.failed,.unfinished{color:#d0312d}.skipped,.day-off,.not-played{color:#8a6d00}
svg{width:100%;height:auto;max-width:40rem}svg text{font-size:10px;fill:currentColor}svg .axis{stroke:currentColor;stroke-opacity:0.4}
svg circle.ok{fill:#1a8f3c}svg circle.failed,svg circle.unfinished{fill:#d0312d}
svg circle.skipped,svg circle.day-off,svg circle.not-played{fill:#c79a00}
"""


@dataclass(frozen=True)
class PageData:
    written: datetime  # aware
    outlooks: Sequence[ChimeOutlook]
    runs: Sequence[Run]  # oldest first
    note: str = ""  # what the journal said, when it could not be read whole


def text(value: str) -> str:
    """A string from outside (journal, config, network) as HTML text that says what it holds."""
    return f"<bdi>{html.escape(printable(value), quote=True)}</bdi>"


def when(moment: datetime) -> str:
    local = moment.astimezone()
    return html.escape(local.strftime("%a %d %b %H:%M:%S" if local.second else "%a %d %b %H:%M"))


def milliseconds(value: int | None) -> str:
    return "-" if value is None else f"{value} ms"


def music_off(value: int | None) -> str:
    return "-" if value is None else "none" if value == 0 else f"{value / 1000:.1f} s"


# ---- next moments


def moment_item(moment: NextMoment) -> str:
    if moment.day_off is not None:
        said = f'<span class="day-off">day off: {text(moment.day_off)}</span>'
    else:
        said = '<span class="chimed">plays</span>'
    quiet = "".join(f'; <span class="skipped">quiet: {text(zone.zone)} ({text(zone.hours)})</span>' for zone in moment.quiet)
    return f'<li><span class="when">{when(moment.at)}</span> {said}{quiet if moment.day_off is None else ""}</li>'


def outlook_section(outlook: ChimeOutlook) -> str:
    zones = ", ".join(text(zone) for zone in outlook.zones)
    items = "".join(moment_item(moment) for moment in outlook.moments)
    note = f"<p>{text(outlook.note)}</p>" if outlook.note else ""
    return f"<h3>{text(outlook.chime)}</h3><p class=\"when\">{zones}</p>{note}<ul>{items}</ul>"


# ---- last runs per zone


def zone_runs(runs: Iterable[Run]) -> dict[str, list[tuple[Run, ZoneOutcome]]]:
    """Each zone's outcomes, newest first, at most RUNS_PER_ZONE."""
    found: dict[str, list[tuple[Run, ZoneOutcome]]] = {}
    for run in reversed(list(runs)):
        for zone in run.zones:
            kept = found.setdefault(zone.zone, [])
            if len(kept) < RUNS_PER_ZONE:
                kept.append((run, zone))
    return dict(sorted(found.items()))


def zone_row(run: Run, zone: ZoneOutcome) -> str:
    """One run of a zone, as two or three short lines a phone shows without scrolling sideways."""
    known = (zone.late_ms, zone.interrupted_ms, zone.restore) != (None, None, None)
    facts = f"late {milliseconds(zone.late_ms)} · music off {music_off(zone.interrupted_ms)} · restore {text(zone.restore or '-')}"
    lines = [facts] * known + [text(zone.detail)] * bool(zone.detail)
    return (f'<li><span class="{html.escape(zone.outcome)}">{text(zone.outcome)}</span> {text(run.chime or "?")} '
            f'<span class="when">{when(run.at)}</span>{"".join(f"<br><small>{line}</small>" for line in lines)}</li>')


def zone_section(zone: str, rows: list[tuple[Run, ZoneOutcome]]) -> str:
    return f'<h3>{text(zone)}</h3><ul class="runs">{"".join(zone_row(run, outcome) for run, outcome in rows)}</ul>'


def quiet_runs(runs: Sequence[Run]) -> str:
    """Runs that touched no speaker: a day off, a moment missed, a run cut short before its zones."""
    items = [f'<li><span class="when">{when(run.at)}</span> {text(run.chime or "?")}: '
             f'<span class="{html.escape(run.status)}">{text(run.status)}</span> {text(run.detail)}</li>'
             for run in reversed(runs) if not run.zones][:RUNS_PER_ZONE * 2]
    return f"<h3>No speaker touched</h3><ul>{''.join(items)}</ul>" if items else ""


# ---- the timeline


def run_class(run: Run) -> str:
    outcomes = {zone.outcome for zone in run.zones}
    if not run.zones:
        return run.status if run.status in ("day-off", "not-played") else "unfinished"
    if outcomes & {"failed", "unfinished"}:
        return "failed" if "failed" in outcomes else "unfinished"
    return "ok" if outcomes <= set(GOOD) else "skipped"


def worst(values: Iterable[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return max(known) if known else None


def run_mark(run: Run, start: datetime, span: float) -> str:
    late = worst(zone.late_ms for zone in run.zones)
    off = worst(zone.interrupted_ms for zone in run.zones)
    x = LEFT + (WIDTH - LEFT - 6) * min(max((run.at - start).total_seconds() / span, 0.0), 1.0)
    plot = HEIGHT - BOTTOM - TOP
    y = HEIGHT - BOTTOM - plot * min(max(late or 0, 0), LATE_SCALE_MS) / LATE_SCALE_MS
    radius = 3.5 + min((off or 0) / 1000, 12.0) * 0.5  # a longer interruption, a larger mark
    title = f"{when(run.at)} {html.escape(printable(run.chime or '?'))}: {html.escape(run_class(run))}, " \
            f"late {milliseconds(late)}, music off {music_off(off)}"
    return (f'<circle class="run {run_class(run)}" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill-opacity="0.8">'
            f"<title>{title}</title></circle>")


def axes(start: datetime) -> str:
    base, plot_width = HEIGHT - BOTTOM, WIDTH - LEFT - 6
    parts = [f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - 6}" y2="{base}"/>',
             f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}"/>',
             f'<text x="{LEFT - 4}" y="{base}" text-anchor="end">0</text>',
             f'<text x="{LEFT - 4}" y="{TOP + 8}" text-anchor="end">≥1 s</text>',
             f'<text x="{LEFT - 4}" y="{(base + TOP) // 2}" text-anchor="end">late</text>']
    span = TIMELINE_DAYS * 86400.0
    for midnight in midnights(start, TIMELINE_DAYS):
        x = LEFT + plot_width * (midnight - start).total_seconds() / span
        label = html.escape(midnight.strftime("%a"))
        parts.append(f'<line class="axis" x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}"/>'
                     f'<text x="{x + 3:.1f}" y="{HEIGHT - 6}">{label}</text>')
    return "".join(parts)


def midnights(start: datetime, days: int) -> list[datetime]:
    """The host's midnights after `start` within `days`: each day's label begins at its own."""
    local = start.astimezone()
    first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    found = [(first + timedelta(days=day)).replace(tzinfo=None).astimezone() for day in range(1, days + 1)]
    return [midnight for midnight in found if start < midnight < start + timedelta(days=days)]


def timeline(runs: Sequence[Run], now: datetime) -> str:
    start = now - timedelta(days=TIMELINE_DAYS)
    shown = [run for run in runs if run.at >= start]
    marks = "".join(run_mark(run, start, TIMELINE_DAYS * 86400.0) for run in shown)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="lateness of each run over the last {TIMELINE_DAYS} days">{axes(start)}{marks}</svg>'
            f"<p class=\"when\">{len(shown)} runs. Height: how late the chime started (its latest zone); size: how long "
            "the music was off; colour: green chimed, yellow skipped or a day off, red failed.</p>")


# ---- the page


def render(data: PageData) -> str:
    runs = list(data.runs)
    zones = zone_runs(runs)
    sections = [
        "<h2>Next chimes</h2>", "".join(outlook_section(outlook) for outlook in data.outlooks) or "<p>No chime.</p>",
        f"<h2>Last {TIMELINE_DAYS} days</h2>", timeline(runs, data.written),
        "<h2>Last runs per zone</h2>", "".join(zone_section(zone, rows) for zone, rows in zones.items()) or "<p>No run yet.</p>",
        quiet_runs(runs),
    ]
    note = f"<p>{text(data.note)}</p>" if data.note else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<meta name=\"robots\" content=\"noindex\"><title>Sonos chimes</title>"
            f"<style>{STYLE}</style></head><body><h1>Sonos chimes</h1>"
            f'<p class="when">Written {when(data.written)}</p>{note}{"".join(sections)}</body></html>\n')


STALE_PART_SECONDS = 600.0  # a page half written by a run killed meanwhile


def write_page(path: Path, page: str) -> None:
    """Replace the page at once: nginx never serves half a file. Readable by all (nginx): the
    service's UMask would make it the service's own."""
    sweep_parts(path.parent)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=".page-", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as part:
            part.write(page)
            part.flush()
            os.fchmod(part.fileno(), 0o644)
            os.fsync(part.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def sweep_parts(folder: Path) -> None:
    for part in folder.glob(".page-*.part"):
        with contextlib.suppress(OSError):
            if time.time() - part.stat().st_mtime > STALE_PART_SECONDS:
                part.unlink()


@contextlib.contextmanager
def one_writer(folder: Path) -> Iterator[None]:
    """One page at a time: two chimes that end together each read the journal and write the
    page in turn, so the one written last has both runs."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def make_page(config: Config, output: Path, moments: int, last: int, reader: Callable[[int], JournalRead],
              calendar: Calendar = systemd_moments) -> int:
    """Write the page; 1 when it cannot be written (the chime's run is never failed by it)."""
    try:
        with one_writer(output.parent):
            write_page(output, render(page_data(config, moments, last, reader, calendar)))
    except OSError as error:
        LOG.error("cannot write the status page %s: %s", output, error)
        return 1
    return 0


def settled_reader(reader: Callable[[int], JournalRead], invocation: str, seconds: float = SETTLE_SECONDS,
                   pause: float = SETTLE_PAUSE) -> Callable[[int], JournalRead]:
    """The reader for the page a run's service writes when the run ended by itself. journald indexes
    the run's last lines in its own time, seconds after the run on a loaded Pi: read again until
    the run's closing line is there, for `seconds` at most (then the page says it unfinished)."""
    def read(records: int) -> JournalRead:
        deadline = time.monotonic() + seconds
        journal, reads = reader(records), 1
        while not (closed := run_closed(json_records(journal.lines), invocation)) and time.monotonic() < deadline:
            time.sleep(pause)
            journal, reads = reader(records), reads + 1
        if closed:
            LOG.info("run %s: its closing line read from the journal (%d read%s)", invocation, reads, "" if reads == 1 else "s")
        else:
            LOG.warning("run %s: its closing line is not in the journal after %g s: the page shows the run as it is", invocation, seconds)
        return journal
    return read


def page_data(config: Config, moments: int, last: int, reader: Callable[[int], JournalRead], calendar: Calendar) -> PageData:
    try:
        journal = reader(records_for(last))
        runs, note = chime_runs(journal, last, None), journal.error
    except OSError as error:
        runs, note = [], f"cannot read the journal: {error}"
    if note:
        LOG.warning("journalctl: %s", note)
    return PageData(datetime.now().astimezone(), outlooks(config, moments, calendar), runs, note)
