"""The fault matrix: chime.py against a household where one thing goes wrong.

Every case runs `chime.py play` on every zone of a four-group home (one group of two, on
radio) unless it says otherwise, and asks: did every group either chime and come back
exactly as it was, or was it left exactly as it was? ("nothing lost")
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sonos_sim.testing import LoopbackAddresses

from .households import bench_home
from .runner import CHIME, RunResult, Sound, run_once

AFFECTED = "Room 02"  # coordinator of the radio group of two


@dataclass(frozen=True)
class FaultCase:
    name: str
    faults: list[dict[str, Any]] = field(default_factory=list)
    groups: int = 4
    sound: str = "good"  # good | not_audio | server_down
    slow: str | None = None  # a player answering every request after this long
    # Players whose grouping the fault itself changes: their coordinator and URI are the fault's.
    regrouped: tuple[str, ...] = ()


LATE_BY = 3.0  # beyond the default request timeout (2 s): chime.py has given up by then


def hostile(kind: str, action: str = "GetMediaInfo", **options: Any) -> dict[str, Any]:
    """Every `action` the affected coordinator is asked is answered the way no Sonos does."""
    return {"kind": kind, "player": AFFECTED, "action": action, **options}


def late_answer(action: str, after: int = 0, delay: float | None = LATE_BY, mode: str = "once") -> dict[str, Any]:
    """The affected coordinator carries the `after`+1-th call of the action out (with mode
    after: every call from then on) and answers `delay` later, or never (None)."""
    late = {} if delay is None else {"delay": delay}
    return {"kind": "late_answer", "player": AFFECTED, "action": action, "mode": mode, "after": after, **late}


CASES = (
    FaultCase("unreachable player (connection refused)", [{"kind": "vanish", "player": AFFECTED, "after": 0, "how": "refuse"}]),
    FaultCase("player gives no answer (time-out)", [{"kind": "vanish", "player": AFFECTED, "after": 0, "how": "silent"}]),
    FaultCase("connection reset on the first snapshot read", [{"kind": "reset", "player": AFFECTED, "action": "GetMediaInfo", "mode": "once"}]),
    FaultCase("701 on Play", [{"kind": "upnp_error", "player": AFFECTED, "action": "Play", "code": 701, "mode": "once"}]),
    FaultCase("714 on the sound (not audio)", sound="not_audio"),
    FaultCase("402 on restore (once)", [{"kind": "upnp_error", "player": AFFECTED, "action": "SetAVTransportURI", "code": 402, "mode": "once", "after": 1}]),
    FaultCase("701 on restore (once)", [{"kind": "upnp_error", "player": AFFECTED, "action": "Play", "code": 701, "mode": "once", "after": 1}]),
    FaultCase("player vanishes mid-chime", [{"kind": "vanish", "player": AFFECTED, "after": 14, "how": "silent"}]),
    FaultCase("player gone for 4 s mid-chime, then back", [{"kind": "vanish", "player": AFFECTED, "after": 14, "how": "refuse", "duration": 4.0}]),
    FaultCase(
        "regroup mid-chime (Room 04 joins Room 01)",
        [{"kind": "regroup", "at": 1.5, "groups": [{"coordinator": "Room 01", "members": ["Room 04"]}, {"coordinator": "Room 02", "members": ["Room 02 b"]}]}],
        regrouped=("Room 04",),
    ),
    FaultCase("late answer (3 s) on the sound's SetAVTransportURI", [late_answer("SetAVTransportURI")]),
    FaultCase("late answer (3 s) on Play", [late_answer("Play")]),
    FaultCase("late answer (3 s) on restore", [late_answer("SetAVTransportURI", after=1)]),
    FaultCase("every restore SetAVTransportURI carried out, its answer lost",
              [late_answer("SetAVTransportURI", after=1, delay=None, mode="after")]),
    FaultCase("sound server down", sound="server_down"),
    FaultCase("16 groups, one answering in 1 s", groups=16, slow="Room 05"),
    # A device that answers the way no Sonos does (issue #23): each costs its group, never the run.
    FaultCase("snapshot read answered by a body that never ends", [hostile("endless_body")]),
    FaultCase("snapshot read answered one byte a second", [hostile("drip", interval=1.0, start="status")]),
    FaultCase("snapshot read: headers, then its body one byte a second", [hostile("drip", interval=1.0, start="body")]),
    FaultCase("snapshot read answered with 64 MiB", [hostile("oversized")]),
    FaultCase("topology answered with 64 MiB", [hostile("oversized", "GetZoneGroupState")]),
    FaultCase("snapshot read answered with malformed XML", [hostile("malformed_xml")]),
    FaultCase("snapshot read answered with the billion laughs", [hostile("hostile_xml", payload="laughs")]),
    FaultCase("snapshot read answered with an external entity", [hostile("hostile_xml", payload="external")]),
)


def household_for(case: FaultCase) -> dict[str, Any]:
    spec = copy.deepcopy(bench_home(case.groups, 0.02, (0, 0)).spec)
    faults = spec["faults"]
    if case.slow:
        faults = [f for f in faults if f["player"] != case.slow] + [{"kind": "latency", "player": case.slow, "fixed": 1.0, "jitter": 0.0}]
    spec["faults"] = faults + case.faults
    return spec


def judge(case: FaultCase, run: RunResult) -> dict[str, Any]:
    """Nothing lost: every group exact, except what the fault itself changed on purpose."""
    tolerated = {f"{p}.{k}" for p in case.regrouped for k in ("coordinator_uid", "uri", "transport_state", "track")}
    verdicts = {}
    for group in run.groups:
        left = [d for d in group.differences if d.split(":", 1)[0] not in tolerated]
        verdicts[group.timeline.coordinator] = (not left, left, group.timeline.play is not None)
    affected = case.slow or AFFECTED
    others = [name for name in verdicts if name != affected]

    def describe(name: str) -> str:
        exact, left, chimed = verdicts[name]
        outcome = ("chimed, restored exactly" if chimed else "left exactly as it was") if exact else "CHANGED: " + "; ".join(left)
        return outcome

    other_outcomes = sorted({describe(name) for name in others})
    return {
        "case": case.name,
        "exit_code": max(run.exit_codes),
        "wall": run.wall,
        "peak_rss_kib": run.peak_rss_kib,
        "affected": describe(affected) if affected in verdicts else "n/a",
        "others": f"{len(others)} groups: " + ", ".join(other_outcomes),
        "nothing_lost": all(exact for exact, _, _ in verdicts.values()),
    }


def run_fault_matrix(
    sounds: Callable[[str], Sound], addresses: LoopbackAddresses, workdir: Path, chime: Path = CHIME
) -> list[dict[str, Any]]:
    rows = []
    for index, case in enumerate(CASES):
        run = run_once("chime.py", household_for(case), case.name, sounds(case.sound), addresses, workdir / f"fault-{index:02d}", chime)
        rows.append(judge(case, run))
    return rows
