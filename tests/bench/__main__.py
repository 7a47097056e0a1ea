"""`make bench`: how fast, how faithful, how robust chime.py is, beside the usual approach.

    PYTHONPATH=tests:files python -m bench [--repeat N] [--only speed,on-time,field,faults,role] [--results DIR] [--chime PATH]

--chime measures another chime.py (an older release, say: `git show v1:files/chime.py`) on the
same households, with the same config.yml.

Prints Markdown tables, writes the raw figures to results/bench-<time>.json (and
results/latest.json) and the timelines to results/timeline.png. The published tables are in
docs/performance.md (the README keeps a summary of the headline figures).
"""

from __future__ import annotations

import argparse
import compileall
import json
import sys
import time
from pathlib import Path
from typing import Any

from sonos_sim.mediaserver import MediaServer
from sonos_sim.testing import LoopbackAddresses

from .faults import run_fault_matrix
from .field import run_field
from .households import bench_home
from .ontime import on_time_table, run_on_time
from .report import as_json, fault_table, speed_row, speed_table, timeline_chart
from .runner import CHIME, REPO, TOOLS, RunResult, Sound, run_once

SOUND_FILE = REPO / "files" / "sounds" / "ding-dong.mp3"
GROUP_COUNTS = (1, 4, 16)
LATENCIES = (0.02, 0.1)
PARTS = ("speed", "on-time", "field", "faults", "role")


def sound_server() -> tuple[MediaServer, dict[str, Sound]]:
    import mutagen

    duration = float(mutagen.File(SOUND_FILE).info.length)
    server = MediaServer(host="127.0.0.1").start()
    sounds = {
        "good": Sound(server.add("/chimes/ding-dong.mp3", "audio/mpeg", SOUND_FILE.read_bytes()), duration),
        "not_audio": Sound(server.add("/chimes/index.html", "text/html", b"<html>no sound here</html>"), duration),
        # Port 9 (discard) on loopback: nothing listens, so the players' fetch is refused.
        "server_down": Sound("http://127.0.0.1:9/chimes/ding-dong.mp3", duration),
    }
    return server, sounds


def run_speed(
    sound: Sound, repeat: int, addresses: LoopbackAddresses, workdir: Path, chime: Path
) -> tuple[list[dict[str, Any]], list[RunResult]]:
    rows = []
    chart_runs: list[RunResult] = []
    # One unmeasured run of each tool first, so the first figure is not the only one paid
    # with a cold page cache.
    warm_up = bench_home(1, 0.0, (0, 0))
    for tool in TOOLS:
        run_once(tool, warm_up.spec, warm_up.name, sound, addresses, workdir / f"warm-up-{tool.replace(' ', '-')}", chime)
    for groups in GROUP_COUNTS:
        for latency in LATENCIES:
            home = bench_home(groups, latency, (0, 0))
            for tool in TOOLS:
                runs = [
                    run_once(tool, home.spec, home.name, sound, addresses,
                             workdir / f"{groups}g-{int(latency * 1000)}ms-{tool.replace(' ', '-')}-{n}", chime)
                    for n in range(repeat)
                ]
                rows.append(speed_row(home.name, tool, runs))
                print(f"  {home.name}, {tool}: done", file=sys.stderr)
                if groups == max(GROUP_COUNTS) and latency == LATENCIES[0]:
                    chart_runs.append(runs[0])
    return rows, chart_runs


def compile_program(chime: Path) -> None:
    """Bytecode for the package beside chime.py, as pip writes it when the role installs the
    program: the chime services run compiled modules, whatever PYTHONDONTWRITEBYTECODE says here."""
    package = chime.parent / "sonos_chime"
    if package.is_dir():
        compileall.compile_dir(str(package), quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of every speed run (default 3)")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}")
    parser.add_argument("--results", type=Path, default=REPO / "results", help="where JSON and PNG go")
    parser.add_argument("--chime", type=Path, default=CHIME, help="the chime.py to measure (default: this checkout's)")
    options = parser.parse_args(argv)
    parts = [p.strip() for p in options.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"--only: unknown part {', '.join(unknown)} (choose from {', '.join(PARTS)})")

    compile_program(options.chime)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    workdir = options.results / f"runs-{stamp}"
    record: dict[str, Any] = {"when": stamp, "repeat": options.repeat, "chime": str(options.chime)}
    addresses = LoopbackAddresses()
    server, sounds = sound_server()
    try:
        if "speed" in parts:
            rows, chart_runs = run_speed(sounds["good"], options.repeat, addresses, workdir, options.chime)
            record["speed"] = rows
            print("## Speed and fidelity\n\n" + speed_table(rows) + "\n")
            timeline_chart(chart_runs, options.results / "timeline.png")
            print(f"Timelines: {options.results / 'timeline.png'}\n")
        if "on-time" in parts:
            on_time_rows = run_on_time(sounds["good"], options.repeat, addresses, workdir, GROUP_COUNTS, LATENCIES, options.chime)
            record["on_time"] = on_time_rows
            print("## On the second\n\n" + on_time_table(on_time_rows) + "\n")
        if "field" in parts:
            field_speed, field_on_time = run_field(sounds["good"], options.repeat, addresses, workdir, options.chime)
            record["field"] = {"speed": field_speed, "on_time": field_on_time}
            print("## Sonos's limit: 32 players\n\n" + speed_table(field_speed) + "\n\n" + on_time_table(field_on_time) + "\n")
        if "faults" in parts:
            fault_rows = run_fault_matrix(sounds.__getitem__, addresses, workdir, options.chime)
            record["faults"] = fault_rows
            print("## Fault matrix (chime.py)\n\n" + fault_table(fault_rows) + "\n")
        if "role" in parts:
            from .role import run_bad_input_matrix, run_role_figures

            record["role"] = run_role_figures(workdir)
            record["bad_input"] = run_bad_input_matrix(workdir)
    finally:
        server.stop()
    options.results.mkdir(parents=True, exist_ok=True)
    for name in (f"bench-{stamp}.json", "latest.json"):
        (options.results / name).write_text(json.dumps(record, indent=2, default=as_json), encoding="utf-8")
    print(f"Raw figures: {options.results / f'bench-{stamp}.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
