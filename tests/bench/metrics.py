"""Figures of one chime run, all read from the simulator's event log and player states."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sonos_sim.model import PlayerState

# Fields that must come back exactly as they were, on every player of a group.
EXACT_FIELDS = ("uri", "track", "transport_state", "volume", "mute", "bass", "treble", "loudness", "play_mode", "crossfade", "coordinator_uid")
POSITION_TOLERANCE = 1.0


@dataclass(frozen=True)
class GroupTimeline:
    """When things happened to one group, in monotonic seconds (None: it did not happen)."""

    coordinator: str
    interrupted: float | None
    play: float | None
    play_received: float | None  # when the coordinator received that Play (before its own delay)
    chime_end: float | None
    restored: float | None
    resumed: float | None
    requests: int
    clip_received: float | None = None  # overlay: the group's first accepted loadAudioClip arrived

    @property
    def chime_arrived(self) -> float | None:
        """When the chime reached the group: its coordinator's Play, or its first clip."""
        return self.play_received if self.play_received is not None else self.clip_received

    @property
    def interruption(self) -> float | None:
        """How long its music was stopped: 0 if never touched; None if it never came back."""
        if self.interrupted is None:
            return 0.0
        return self.resumed - self.interrupted if self.resumed is not None else None


@dataclass
class GroupResult:
    timeline: GroupTimeline
    exact: bool
    differences: list[str] = field(default_factory=list)


def is_request_driven(event: dict[str, Any]) -> bool:
    """State events caused by a SOAP request carry the action name; the clock's own are lower case."""
    action = event.get("action") or ""
    return bool(action) and action[0].isupper()


def group_timeline(events: list[dict[str, Any]], group: list[str], chime_url: str, since: float) -> GroupTimeline:
    coordinator = group[0]
    mine = [e for e in events if e["mono"] >= since and e.get("player") in group]
    coordinator_states = [e for e in mine if e["kind"] == "state" and e["player"] == coordinator]
    driven = [e for e in mine if e["kind"] == "state" and is_request_driven(e)]
    plays = [e for e in coordinator_states if e["action"] == "Play" and e.get("uri") == chime_url]
    play = plays[0]["mono"] if plays else None
    play_requests = [e for e in mine if e["kind"] == "request" and e["player"] == coordinator and e["action"] == "Play" and e.get("uri") == chime_url]
    # The end of the sound itself; a chime stopped or replaced before it has no end: cut short.
    ends = [e for e in coordinator_states if e["action"] == "end_of_media" and e["uri"] == chime_url and play is not None and e["mono"] > play]
    chime_end = ends[0]["mono"] if ends else None
    after_chime = [e for e in driven if chime_end is not None and e["mono"] >= chime_end]
    resumes = [e for e in after_chime if e["player"] == coordinator and e["action"] == "Play"]
    clips = [e for e in mine if e["kind"] == "request" and e["action"] == "loadAudioClip"
             and (e.get("result") or {}).get("success") and e["args"].get("streamUrl") == chime_url]
    return GroupTimeline(
        coordinator=coordinator,
        interrupted=driven[0]["mono"] if driven else None,
        play=play,
        play_received=play_requests[0]["received"] if play_requests else None,
        chime_end=chime_end,
        restored=after_chime[-1]["mono"] if after_chime else None,
        resumed=resumes[0]["mono"] if resumes else None,
        requests=sum(1 for e in mine if e["kind"] == "request"),
        clip_received=min((e["received"] for e in clips), default=None),
    )


def expected_position(before: PlayerState, before_at: float, timeline: GroupTimeline) -> float:
    if before.transport_state != "PLAYING" or timeline.interrupted is None:
        return before.position
    return before.position + (timeline.interrupted - before_at)


def compare_group(
    group: list[str],
    before: dict[str, PlayerState],
    before_at: float,
    after: dict[str, PlayerState],
    after_at: float,
    events: list[dict[str, Any]],
    timeline: GroupTimeline,
) -> GroupResult:
    """Exact restore: every field of every member as before; the coordinator's position within 1 s."""
    differences = [
        f"{name}.{name_of_field}: {getattr(before[name], name_of_field)!r} -> {getattr(after[name], name_of_field)!r}"
        for name in group
        for name_of_field in EXACT_FIELDS
        if getattr(before[name], name_of_field) != getattr(after[name], name_of_field)
    ]
    coordinator = group[0]
    if before[coordinator].uri.startswith("x-rincon-queue:") and not differences:
        was_playing = before[coordinator].transport_state == "PLAYING"
        if timeline.interrupted is None:
            # Never touched: it must simply have played on.
            got: float | None = after[coordinator].position
            wanted = before[coordinator].position + (after_at - before_at if was_playing else 0.0)
        else:
            got = resumed_position(events, coordinator, timeline) if was_playing else after[coordinator].position
            wanted = expected_position(before[coordinator], before_at, timeline)
        if got is None or abs(got - wanted) > POSITION_TOLERANCE:
            differences.append(f"{coordinator}.position: wanted {wanted:.1f} s, got {got}")
    return GroupResult(timeline=timeline, exact=not differences, differences=differences)


def resumed_position(events: list[dict[str, Any]], coordinator: str, timeline: GroupTimeline) -> float | None:
    """Where the coordinator stood when its original source was played again."""
    if timeline.resumed is None:
        return None
    at_moment = [e for e in events if e.get("player") == coordinator and e["kind"] == "state" and e["mono"] == timeline.resumed]
    return float(at_moment[-1]["position"]) if at_moment else None


def spread(values: list[float]) -> float | None:
    return max(values) - min(values) if values else None
