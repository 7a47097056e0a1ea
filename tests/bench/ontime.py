"""Chimes on the second: when the chime reaches each group, against the moment; and overlay.

Three designs on the same households. Today's: the process starts the role's lead
(`sonos_chime_lead`, 5 s) before the moment, as the chime's timer starts it, and runs what
the service runs: `--at next`, with the chime's schedule in config.yml. The one before it: a
timer at the second with AccuracySec=1s starts the process somewhere in the first second
after the moment (systemd picks the place per host, random but stable: each run here is
another host), then Python's start-up and the reads come before Play. And overlay: today's
timer with the chime's `mode: overlay`, an audio clip on every player at the moment, the
music never stopped (interruption 0). And a fade: today's timer, the music faded out over 2 s
within the lead before the switch (lateness should stay today's).
"""

from __future__ import annotations

import random
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sonos_chime.config import DEFAULT_LEAD
from sonos_sim.testing import LoopbackAddresses

from .households import bench_home
from .report import median_worst, seconds
from .runner import CHIME, OnSchedule, RunResult, Sound, run_once

LEAD = DEFAULT_LEAD
ACCURACY = 1.0
FADE = 2.0  # the music faded out within the lead: Play must stay on the second


def designs(rng: random.Random) -> list[OnSchedule]:
    return [
        OnSchedule(f"lead timer, --at next ({LEAD:g} s early)", -LEAD, give_moment=True),
        OnSchedule(f"timer at the second, AccuracySec={ACCURACY:g}s", rng.uniform(0.0, ACCURACY), give_moment=False),
        OnSchedule(f"overlay, lead timer, --at next ({LEAD:g} s early)", -LEAD, give_moment=True, mode="overlay"),
        OnSchedule(f"fade {FADE:g} s, lead timer, --at next ({LEAD:g} s early)", -LEAD, give_moment=True, fade=FADE),
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
                    folder = workdir / f"on-time-{groups}g-{int(latency * 1000)}ms-{plan.kind}-{n}"
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
        "interruption": median_worst([i for r in runs for g in r.groups if (i := g.timeline.interruption) is not None]),
        "requests_per_group": statistics.median([sum(g.timeline.requests for g in r.groups) / len(r.groups) for r in runs]),
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
        "| household | design | lateness ms | skew ms | interruption s | requests/group | groups played | fidelity | exit codes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['home']} | {row['design']} | {milliseconds(row['lateness'])} | {milliseconds(row['skew'])} | "
            f"{seconds(row['interruption'])} | {row['requests_per_group']:.1f} | "
            f"{row['groups_played']} of {row['groups']} | {row['fidelity']:.0%} | {', '.join(map(str, row['exit_codes']))} |"
        )
    lines.append("")
    lines.append(
        "Lateness: when Play reached a group's coordinator (overlay: its first clip reached one of its players; "
        "the simulator's log) minus the moment; skew: the latest group's minus the earliest's in one run; "
        "interruption: how long the group's music was stopped (0: never). Each cell: median / worst over all "
        "groups and repetitions."
    )
    return "\n".join(lines)
