"""Run one chime on a simulated household with one tool and collect what happened.

The household runs in this process (sonos_sim, on fresh loopback addresses); the tool runs
as child processes, exactly as systemd would start it, so its start-up, memory and wall
time are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from role_model import RoleModel
from sonos_sim.model import PlayerState
from sonos_sim.testing import LoopbackAddresses, RunningHousehold, start_household

from .households import group_names, with_bonded
from .metrics import GroupResult, compare_group, group_timeline

REPO = Path(__file__).resolve().parents[2]
CHIME = REPO / "files" / "chime.py"
BASELINE = Path(__file__).resolve().parent / "baseline.py"
SPAWN = Path(__file__).resolve().parent / "spawn.py"
CHIME_VOLUME = 30

# How each tool is started: chime.py once for every zone of the chime, chime.py once per
# zone (what the systemd timers of one chime do at the same second), and the baseline.
TOOLS = ("chime.py", "chime.py per zone", "baseline")


@dataclass(frozen=True)
class Sound:
    url: str
    duration: float


@dataclass(frozen=True)
class OnSchedule:
    """A chime due at a moment: the tool starts `start_offset` seconds from it (negative:
    before), as a timer would start it, and is told the moment (--at) or not."""

    design: str
    start_offset: float
    give_moment: bool
    mode: str = "interrupt"  # the chime's mode in config.yml
    fade: float = 0.0  # the chime's fade in config.yml (seconds; 0: none)

    @property
    def kind(self) -> str:
        """A short name for the design's run folders."""
        return self.mode if self.mode != "interrupt" else "fade" if self.fade else "at" if self.give_moment else "timer"


@dataclass
class RunResult:
    tool: str
    home: str
    exit_codes: list[int]
    started: float
    wall: float
    peak_rss_kib: int
    groups: list[GroupResult]
    stderr: str
    moment: float | None = None  # monotonic; runs on a schedule only

    @property
    def lateness(self) -> list[float]:
        """Play's arrival at each group's coordinator, after the moment."""
        if self.moment is None:
            return []
        return [g.timeline.chime_arrived - self.moment for g in self.groups if g.timeline.chime_arrived is not None]

    @property
    def arrival_skew(self) -> float | None:
        arrivals = [g.timeline.chime_arrived for g in self.groups if g.timeline.chime_arrived is not None]
        return max(arrivals) - min(arrivals) if len(arrivals) >= 2 else None

    @property
    def start_latencies(self) -> list[float]:
        return [g.timeline.play - self.started for g in self.groups if g.timeline.play is not None]

    @property
    def played(self) -> int:
        """Groups whose coordinator got the chime's Play: the skew is taken over these only."""
        return sum(1 for g in self.groups if g.timeline.play is not None)

    @property
    def skew(self) -> float | None:
        plays = [g.timeline.play for g in self.groups if g.timeline.play is not None]
        return max(plays) - min(plays) if len(plays) >= 2 else None

    @property
    def resume_gaps(self) -> list[float]:
        """End of the chime's audio to the original source playing again (groups that played)."""
        return [
            g.timeline.resumed - g.timeline.chime_end
            for g in self.groups
            if g.timeline.resumed is not None and g.timeline.chime_end is not None
        ]

    @property
    def interruptions(self) -> list[float]:
        return [g.timeline.resumed - g.timeline.interrupted for g in self.groups if g.timeline.resumed is not None and g.timeline.interrupted is not None]

    @property
    def cut_short(self) -> int:
        """Groups whose chime started but was stopped or replaced before the sound's end."""
        return sum(1 for g in self.groups if g.timeline.play is not None and g.timeline.chime_end is None)

    @property
    def fidelity(self) -> float:
        return sum(g.exact for g in self.groups) / len(self.groups) if self.groups else 0.0


def chime_config(
    home: RunningHousehold, groups: list[list[str]], sound: Sound, runtime_dir: Path, schedule: str = "daily", mode: str = "interrupt",
    fade: float = 0.0,
) -> str:
    """The config.yml the role writes for this household (tests/role_model.py renders it)."""
    zone_names = [name for group in groups for name in group]
    base_url, _, sound_file = sound.url.rpartition("/")
    model = RoleModel({
        "sonos_chime_discovered_zones": [{"name": n, "uid": home.players[n].uid, "host": home.players[n].ip} for n in zone_names],
        "sonos_chime_chimes": [{"name": "Bench", "sound": sound_file, "schedule": schedule, "volume": CHIME_VOLUME, "zones": zone_names,
                                "mode": mode, **({"fade": fade} if fade else {})}],
        "sonos_chime_base_url": base_url + "/",
        "__sonos_chime_runtime_dir": str(runtime_dir),
        "__sonos_chime_state_dir": str(runtime_dir / "state"),
    })
    return model.config_text()


def commands(
    tool: str, home: RunningHousehold, groups: list[list[str]], sound: Sound, workdir: Path, chime: Path = CHIME,
    schedule: str = "daily", mode: str = "interrupt", fade: float = 0.0,
) -> list[list[str]]:
    if tool == "baseline":
        hosts = [home.players[group[0]].ip for group in groups]
        return [[sys.executable, str(BASELINE), sound.url, str(sound.duration), str(CHIME_VOLUME), *hosts]]
    config_path = workdir / "config.yml"
    config_path.write_text(chime_config(home, groups, sound, workdir / "run", schedule, mode, fade), encoding="utf-8")
    play = [sys.executable, str(chime), "play", "--config", str(config_path)]
    if tool == "chime.py":
        return [[*play, "--", "Bench"]]
    return [[*play, "--zone", name, "--", "Bench"] for group in groups for name in group]


def run_processes(argvs: list[list[str]], log_path: Path, start_at: float | None = None) -> tuple[float, list[int], int, float]:
    """Start every command at once from spawn.py (at start_at, a CLOCK_MONOTONIC reading, if
    given); wait for all. Returns start, exit codes, peak RSS sum, wall. The start is
    spawn.py's CLOCK_MONOTONIC reading, the clock this process reads too.
    """
    timer = [] if start_at is None else [repr(start_at)]
    spawner = subprocess.run([sys.executable, str(SPAWN), json.dumps(argvs), str(log_path), *timer],
                             capture_output=True, text=True, check=True)
    figures = json.loads(spawner.stdout)
    return float(figures["started"]), [int(code) for code in figures["codes"]], int(figures["peak"]), float(figures["wall"])


def states(home: RunningHousehold) -> dict[str, PlayerState]:
    return {name: player.state() for name, player in home.players.items()}


def run_once(
    tool: str,
    spec: dict[str, Any],
    home_name: str,
    sound: Sound,
    addresses: LoopbackAddresses,
    workdir: Path,
    chime: Path = CHIME,
    on_schedule: OnSchedule | None = None,
) -> RunResult:
    workdir.mkdir(parents=True, exist_ok=True)
    groups = group_names(spec)
    home = start_household(spec, addresses, ssdp=False)
    moment: float | None = None
    try:
        start_at = None
        if on_schedule is None:
            argvs = commands(tool, home, groups, sound, workdir, chime)
        else:
            # The chime is due on a whole second, as a timer's OnCalendar is; the tool starts
            # start_offset from it, and with --at next finds the moment as the service does.
            now_wall = datetime.now().astimezone()
            ahead = max(0.0, -on_schedule.start_offset) + 0.5
            due = (now_wall + timedelta(seconds=ahead + 1)).replace(microsecond=0)
            moment = time.monotonic() + (due - datetime.now().astimezone()).total_seconds()
            start_at = moment + on_schedule.start_offset
            schedule = due.strftime("*-*-* %H:%M:%S")
            argvs = commands(tool, home, groups, sound, workdir, chime, schedule, on_schedule.mode, on_schedule.fade)
            if on_schedule.give_moment:
                argvs = [[*argv[:-2], "--at", "next", *argv[-2:]] for argv in argvs]  # before the "--" NAME, as the service
        before = states(home)
        before_at = time.monotonic()
        started, codes, peak, wall = run_processes(argvs, workdir / "stderr.log", start_at)
        after = states(home)
        after_at = time.monotonic()
        events = home.events()
    finally:
        home.stop()
    with (workdir / "events.jsonl").open("w", encoding="utf-8") as log:
        log.writelines(json.dumps(event) + "\n" for event in events)
    results = []
    for group in groups:
        speakers = with_bonded(spec, group)
        timeline = group_timeline(events, speakers, sound.url, started)
        results.append(compare_group(speakers, before, before_at, after, after_at, events, timeline))
    stderr = (workdir / "stderr.log").read_text(encoding="utf-8")
    return RunResult(tool, home_name, codes, started, wall, peak, results, stderr, moment)
