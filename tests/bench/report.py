"""Summaries of bench runs: Markdown tables, the JSON record and the timeline chart."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .runner import RunResult


def median_worst(values: Sequence[float]) -> tuple[float, float] | None:
    return (statistics.median(values), max(values)) if values else None


def seconds(pair: tuple[float, float] | None) -> str:
    return "n/a" if pair is None else f"{pair[0]:.3f} / {pair[1]:.3f}"


def speed_row(home: str, tool: str, runs: list[RunResult]) -> dict[str, Any]:
    """One tool on one household over its repetitions: median and worst of every figure."""
    skews = [r.skew for r in runs if r.skew is not None]
    groups = len(runs[0].groups)
    return {
        "home": home,
        "tool": tool,
        "runs": len(runs),
        "start_latency": median_worst([x for r in runs for x in r.start_latencies]),
        "skew": median_worst(skews),
        "resume_gap": median_worst([x for r in runs for x in r.resume_gaps]),
        "interruption": median_worst([x for r in runs for x in r.interruptions]),
        "requests_per_group": statistics.median([sum(g.timeline.requests for g in r.groups) / groups for r in runs]),
        "wall": median_worst([r.wall for r in runs]),
        "peak_rss_mib": max(r.peak_rss_kib for r in runs) / 1024,
        "fidelity": min(r.fidelity for r in runs),
        "cut_short": max(r.cut_short for r in runs),
        "groups_played": min(r.played for r in runs),
        "groups": groups,
        "exit_codes": sorted({code for r in runs for code in r.exit_codes}),
        "differences": sorted({d for r in runs for g in r.groups for d in g.differences}),
    }


def speed_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| household | tool | start latency s | skew s | resume gap s | interruption s | requests/group | wall s | peak RSS MiB | groups played | chimes cut short | fidelity |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['home']} | {row['tool']} | {seconds(row['start_latency'])} | {seconds(row['skew'])} | "
            f"{seconds(row['resume_gap'])} | {seconds(row['interruption'])} | {row['requests_per_group']:.1f} | "
            f"{seconds(row['wall'])} | {row['peak_rss_mib']:.0f} | {row['groups_played']} of {row['groups']} | {row['cut_short']} | "
            f"{row['fidelity']:.0%} |"
        )
    lines.append("")
    lines.append(
        "Each cell: median / worst over all groups and repetitions; n/a where no group resumed after a whole chime. "
        "Skew: over the groups that played; groups played: the fewest in one run. "
        "Chimes cut short: most groups in one run whose chime was stopped before the sound's end. "
        "Fidelity: the worst run's share of groups restored exactly."
    )
    return "\n".join(lines)


def fault_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| fault | exit | run time s | peak RSS MiB | affected group | other groups | nothing lost |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['case']} | {row['exit_code']} | {row['wall']:.2f} | {row['peak_rss_kib'] / 1024:.0f} | {row['affected']} | "
            f"{row['others']} | {'yes' if row['nothing_lost'] else 'NO'} |"
        )
    lost = sum(not row["nothing_lost"] for row in rows)
    lines.append("")
    lines.append(f"Nothing lost in {len(rows) - lost} of {len(rows)} cases.")
    return "\n".join(lines)


def as_json(value: Any) -> Any:
    if isinstance(value, RunResult):
        return {**asdict(value), "start_latencies": value.start_latencies, "resume_gaps": value.resume_gaps, "skew": value.skew}
    return value


def timeline_chart(runs: list[RunResult], path: Path) -> None:
    """When each group was interrupted, chimed and resumed, one panel per tool."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(runs), 1, figsize=(11, 1.2 + 0.28 * sum(len(r.groups) for r in runs)), sharex=True, squeeze=False)
    for axis, run in zip(axes[:, 0], runs, strict=True):
        for row, group in enumerate(run.groups):
            line = group.timeline
            segments = [
                (run.started, line.interrupted, "#d9d9d9", "starting: topology, snapshot"),
                (line.interrupted, line.play, "#f0a202", "interrupted, before the chime"),
                (line.play, line.chime_end, "#2e86ab", "chime playing"),
                (line.chime_end, line.resumed or line.restored, "#c73e1d", "chime over, not yet restored"),
            ]
            for start, end, colour, label in segments:
                if start is not None and end is not None:
                    axis.barh(row, end - start, left=start - run.started, color=colour, label=label if row == 0 else None)
            if not group.exact:
                last = line.resumed or line.restored or line.chime_end or line.play or run.started
                axis.text(last - run.started + 0.05, row, "not restored exactly", va="center", fontsize=7, color="#c73e1d")
        axis.set_yticks(range(len(run.groups)), [g.timeline.coordinator for g in run.groups], fontsize=7)
        axis.invert_yaxis()
        axis.set_title(f"{run.tool} on {run.home}", fontsize=9)
    ends = [t - r.started for r in runs for g in r.groups for t in (g.timeline.resumed, g.timeline.restored, g.timeline.chime_end) if t is not None]
    axes[-1, 0].set_xlim(0, max(ends, default=1.0) * 1.03)
    axes[-1, 0].set_xlabel("seconds since the process started")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="upper center", ncol=4, fontsize=8)
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    figure.savefig(path, dpi=110)
    plt.close(figure)
