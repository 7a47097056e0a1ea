"""The bench's speed figures (tests/bench/report.py): skew is taken over the groups that played,
so the row says how many did, and a group that should have played and did not is seen."""

from __future__ import annotations

from bench.metrics import GroupResult, GroupTimeline
from bench.report import speed_row, speed_table
from bench.runner import RunResult


def group(play: float | None) -> GroupResult:
    return GroupResult(GroupTimeline("Den", None, play, play, None, None, None, 3), exact=True)


def run(*plays: float | None) -> RunResult:
    return RunResult("chime.py", "home", [0], 0.0, 1.0, 1024, [group(play) for play in plays], "")


def test_the_speed_row_says_how_many_groups_played_beside_their_skew() -> None:
    row = speed_row("home", "chime.py", [run(1.0, 1.25, None), run(1.0, 1.5, 1.75)])
    assert row["skew"] == (0.5, 0.75)  # the median and the worst of 0.25 and 0.75
    assert (row["groups_played"], row["groups"]) == (2, 3)
    assert "| 2 of 3 |" in speed_table([row])
