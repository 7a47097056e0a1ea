"""Chimes on the second: when Play reaches each group's coordinator, against the moment.

Two designs on the same households. `--at`: the process starts LEAD seconds before the
moment (as the lead timer starts it) and is told the moment. Today's: a timer at the second
with AccuracySec=1s starts the process somewhere in the first second after the moment
(systemd picks the place per host, random but stable: each run here is another host), then
Python's start-up and the reads come before Play.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sonos_sim.testing import LoopbackAddresses

from .households import bench_home
from .report import median_worst
from .runner import CHIME, OnSchedule, RunResult, Sound, run_once

LEAD = 2.0
ACCURACY = 1.0


def designs(rng: random.Random) -> list[OnSchedule]:
    return [
        OnSchedule(f"--at, started {LEAD:g} s before", -LEAD, give_moment=True),
        OnSchedule(f"timer at the second, AccuracySec={ACCURACY:g}s", rng.uniform(0.0, ACCURACY), give_moment=False),
    ]


def run_on_time(
    sound: Sound, repeat: int, addresses: LoopbackAddresses, workdir: Path, group_counts: Sequence[int],
    latencies: Sequence[float], chime: Path = CHIME,
) -> list[dict[str, Any]]:
    rng = random.Random(11)
    rows = []
    for groups in group_counts:
        for latency in latencies:
            home = bench_home(groups, latency, (0, 0))
            by_design: dict[str, list[RunResult]] = {}
            for n in range(repeat):
                for plan in designs(rng):
                    folder = workdir / f"on-time-{groups}g-{int(latency * 1000)}ms-{'at' if plan.give_moment else 'timer'}-{n}"
                    by_design.setdefault(plan.design, []).append(
                        run_once("chime.py", home.spec, home.name, sound, addresses, folder, chime, plan))
            rows += [on_time_row(home.name, design, runs) for design, runs in by_design.items()]
            print(f"  {home.name}, on time: done", file=sys.stderr)
    return rows


def on_time_row(home: str, design: str, runs: list[RunResult]) -> dict[str, Any]:
    skews = [r.arrival_skew for r in runs if r.arrival_skew is not None]
    return {
        "home": home,
        "design": design,
        "runs": len(runs),
        "lateness": median_worst([x for r in runs for x in r.lateness]),
        "skew": median_worst(skews),
        "groups_played": min(len(r.lateness) for r in runs),
        "groups": len(runs[0].groups),
        "fidelity": min(r.fidelity for r in runs),
        "exit_codes": sorted({code for r in runs for code in r.exit_codes}),
        "differences": sorted({d for r in runs for g in r.groups for d in g.differences}),
    }


def milliseconds(pair: tuple[float, float] | None) -> str:
    return "n/a" if pair is None else f"{pair[0] * 1000:.0f} / {pair[1] * 1000:.0f}"


def on_time_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| household | design | lateness ms | skew ms | groups played | fidelity | exit codes |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['home']} | {row['design']} | {milliseconds(row['lateness'])} | {milliseconds(row['skew'])} | "
            f"{row['groups_played']} of {row['groups']} | {row['fidelity']:.0%} | {', '.join(map(str, row['exit_codes']))} |"
        )
    lines.append("")
    lines.append(
        "Lateness: when Play reached a group's coordinator (the simulator's log) minus the moment; skew: the "
        "latest group's minus the earliest's in one run. Each cell: median / worst over all groups and repetitions."
    )
    return "\n".join(lines)
