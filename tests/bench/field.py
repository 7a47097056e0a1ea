"""Sonos's limit: the 32-player household (tests/households/thirty-two-players.yml) chimed by
chime.py, as the speed and on-time parts measure their generated homes. Its groups mix sizes,
pairs, a home theatre, every source (TV, line-in and cloud sessions are skipped by policy, so
they count as left alone) and three slow players."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from sonos_sim.testing import LoopbackAddresses

from .households import field_home
from .ontime import designs, on_time_row
from .report import speed_row
from .runner import CHIME, RunResult, Sound, run_once


def run_field(sound: Sound, repeat: int, addresses: LoopbackAddresses, workdir: Path,
              chime: Path = CHIME) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    home = field_home()
    runs = [run_once("chime.py", home.spec, home.name, sound, addresses, workdir / f"field-{n}", chime) for n in range(repeat)]
    by_design: dict[str, list[RunResult]] = {}
    rng = random.Random(11)
    for n in range(repeat):
        for plan in designs(rng):
            by_design.setdefault(plan.design, []).append(
                run_once("chime.py", home.spec, home.name, sound, addresses, workdir / f"field-{plan.kind}-{n}", chime, plan))
    print(f"  {home.name}: done", file=sys.stderr)
    return [speed_row(home.name, "chime.py", runs)], [on_time_row(home.name, design, runs) for design, runs in by_design.items()]
