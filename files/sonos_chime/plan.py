"""What the chime will do to a group, decided from its snapshot: nothing here talks to a player."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .job import ChimeJob
from .levels import MUTE, VOLUME, LevelChange, LevelKey
from .snapshot import PAUSED, MemberLevel, Transport
from .sources import INTERRUPT, SKIP, UNKNOWN, classify_source


@dataclass(frozen=True)
class Decision:
    interrupt: bool  # chime this group (by interrupting it, or by a clip over it)
    reason: str
    kind: str = UNKNOWN  # the kind of source it plays

    @property
    def word(self) -> str:
        return INTERRUPT if self.interrupt else SKIP


def decide(transport: Transport, policy: Mapping[str, str]) -> Decision:
    return decide_source(transport.uri, policy)


def decide_source(uri: str, policy: Mapping[str, str]) -> Decision:
    kind = classify_source(uri)
    if kind == UNKNOWN:
        return Decision(False, f"unrecognised source {uri!r} could not be put back", kind)
    decision = policy.get(kind, SKIP)
    return Decision(decision == INTERRUPT, f"source policy for {kind} is {decision}", kind)


def chime_levels(levels: Sequence[MemberLevel], job: ChimeJob) -> list[LevelChange]:
    """Every speaker at the chime's volume (its room's, if the chime sets one), unmuted."""
    changes: list[LevelChange] = []
    for level in levels:
        target = job.volume_for(level.member)
        if target is None:
            continue
        if level.volume != target:
            changes.append(LevelChange(level.member, VOLUME, target))
        if level.mute:
            changes.append(LevelChange(level.member, MUTE, False))
    return changes


def volume_early_is_safe(transport: Transport, levels: Sequence[MemberLevel], job: ChimeJob) -> bool:
    """Whether the chime's levels may be set before the old source is switched off: never
    when that would make the old music louder (or unmute it)."""
    if not transport.was_playing:
        return True
    for level in levels:
        target = job.volume_for(level.member)
        if target is not None and (level.mute or target > level.volume):
            return False
    return True


def restore_levels(levels: Sequence[MemberLevel], changed: frozenset[LevelKey], hold_muted: bool) -> list[LevelChange]:
    """Put back what the chime changed (and, to bring a pause back silently, mute them all)."""
    changes: list[LevelChange] = []
    for level in levels:
        if (level.member.uid, VOLUME) in changed:
            changes.append(LevelChange(level.member, VOLUME, level.volume))
        if hold_muted or (level.member.uid, MUTE) in changed:
            changes.append(LevelChange(level.member, MUTE, True))
    return changes


def unmute_after_pause(levels: Sequence[MemberLevel]) -> list[LevelChange]:
    return [LevelChange(level.member, MUTE, False) for level in levels if not level.mute]


def hold_muted(transport: Transport) -> bool:
    """A paused group is brought back by Play then Pause: muted meanwhile, never heard."""
    return transport.transport_state == PAUSED
