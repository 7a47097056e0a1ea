"""What the chime will do to a group, decided from its snapshot: nothing here talks to a player."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .job import ChimeJob
from .levels import MUTE, VOLUME, LevelChange, LevelKey
from .snapshot import PAUSED, MemberLevel, Transport
from .sources import INTERRUPT, SKIP, UNKNOWN, classify_source
from .zonelog import quote


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


def chime_levels(levels: Sequence[MemberLevel], job: ChimeJob, faded: frozenset[str] = frozenset()) -> list[LevelChange]:
    """Every speaker at the chime's volume (its room's, if the chime sets one), unmuted. A
    speaker the music faded out on (`faded`, by uid) is silent: it is set even to the volume
    it had, which it keeps when the chime sets none."""
    changes: list[LevelChange] = []
    for level in levels:
        silent = level.member.uid in faded
        target = job.volume_for(level.member)
        target = level.volume if target is None and silent else target
        if target is None:
            continue
        if level.volume != target or silent:
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


def restore_levels(
    levels: Sequence[MemberLevel], changed: frozenset[LevelKey], hold_muted: bool, silent: frozenset[str] = frozenset()
) -> list[LevelChange]:
    """Put back what the chime changed (and, to bring a pause back silently, mute them all).
    `silent` (by uid): speakers whose music fades back in, set to 0 until it does."""
    changes: list[LevelChange] = []
    for level in levels:
        if (level.member.uid, VOLUME) in changed:
            changes.append(LevelChange(level.member, VOLUME, 0 if level.member.uid in silent else level.volume))
        if hold_muted or (level.member.uid, MUTE) in changed:
            changes.append(LevelChange(level.member, MUTE, True))
    return changes


def unmute_after_pause(levels: Sequence[MemberLevel]) -> list[LevelChange]:
    return [LevelChange(level.member, MUTE, False) for level in levels if not level.mute]


def hold_muted(transport: Transport) -> bool:
    """A paused group is brought back by Play then Pause: muted meanwhile, never heard."""
    return transport.transport_state == PAUSED


@dataclass(frozen=True)
class LevelLeft:
    """A speaker the restore could not put back: what it was, what it is left at, and why."""

    level: MemberLevel  # as it was before the chime
    volume: int | None  # the volume it is left at (the chime's), when known
    volume_changed: bool
    mute_changed: bool
    errors: tuple[str, ...]

    @property
    def settings(self) -> str:
        return ",".join(name for name, changed in ((VOLUME, self.volume_changed), (MUTE, self.mute_changed)) if changed)

    def describe(self) -> str:
        was = self.level
        parts = []
        if self.volume_changed:
            at = f"left at {self.volume}" if self.volume is not None else "not put back"
            parts.append(f"volume {at} (was {was.volume})")
        if self.mute_changed:
            parts.append("unmuted (was muted)" if was.mute else "muted (was not)")
        return f"{quote(was.member.name)} {', '.join(parts)}: {'; '.join(self.errors)}"


def levels_left(
    levels: Sequence[MemberLevel], left: Mapping[LevelKey, str], job: ChimeJob, read: Mapping[str, int | None] | None = None
) -> list[LevelLeft]:
    """The speakers with a level left changed (`left`: why each level could not go back), one
    each: a volume is left at the chime's, or where it was read back (`read`, by uid: the
    speakers a fade-in did not bring back; None, unknown), a mute the other way round."""
    read = read or {}
    found: list[LevelLeft] = []
    for level in levels:
        volume_error, mute_error = left.get((level.member.uid, VOLUME)), left.get((level.member.uid, MUTE))
        if volume_error is None and mute_error is None:
            continue
        errors = tuple(error for error in (volume_error, mute_error) if error is not None)
        uid = level.member.uid
        volume = (read[uid] if uid in read else job.volume_for(level.member)) if volume_error is not None else None
        found.append(LevelLeft(level, volume, volume_error is not None, mute_error is not None, errors))
    return found
