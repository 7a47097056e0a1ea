"""Waiting for the chime to be heard to its end, or taken over, or stopped.

The end is seen when the transport leaves PLAYING after the chime was heard, never from
TRANSITIONING. Until shortly before the earliest possible end the watcher sleeps, looking
once a second for a takeover or a regroup; then it looks as often as answers come.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass

from .errors import PlayerError
from .job import RunShared
from .player import Player
from .snapshot import PLAYING, PLAYING_STATES, TRANSITIONING
from .tasks import spawn
from .topology import Group, Topology
from .wire import parse_duration, same_uri
from .zonelog import ZoneLog


class EndKind(enum.Enum):
    FINISHED = "the chime ended"
    TAKEN_OVER = "someone else changed the source"
    SIGNAL = "stopped by a signal"
    TIMED_OUT = "the chime did not end in time"
    NEVER_STARTED = "the player did not play the sound"
    ERROR = "a player error"

    @property
    def heard(self) -> bool:
        """The chime was heard (to its end, or cut by a signal or the time limit)."""
        return self in (EndKind.FINISHED, EndKind.SIGNAL, EndKind.TIMED_OUT)


@dataclass(frozen=True)
class Ending:
    kind: EndKind
    at: float
    detail: str = ""


@dataclass(frozen=True)
class Watched:
    """How the chime went: its end, who was still in the group, and when the zone must be done."""

    ending: Ending
    members: frozenset[str] | None  # uids of the group at the last look; None: never looked
    deadline: float


@dataclass
class ChimeClock:
    """When the chime started and when it can end, as far as the looks so far tell."""

    play_sent: float
    bound: float  # never wait for the end beyond this
    deadline: float  # the whole zone, restore included, is over by then
    seen_playing: bool = False
    last_not_playing: float = 0.0
    earliest_end: float | None = None
    stopped_since: float | None = None
    next_wake: float = 0.0
    last_poll: float = 0.0

    @classmethod
    def start(cls, play_sent: float, length: float | None, margin: float) -> ChimeClock:
        known = length or 0.0
        return cls(play_sent=play_sent, bound=play_sent + known + margin / 2, deadline=play_sent + known + margin)

    def heard(self, poll_sent: float, position: float, duration: float | None, margin: float) -> None:
        self.seen_playing = True
        if duration is None:
            return
        # Players report whole seconds, and the audio began after the last look that did
        # not hear it: the earliest the chime can end.
        started = max(self.play_sent, self.last_not_playing, poll_sent - position - 1.0)
        latest_start = max(self.play_sent, poll_sent - position)
        self.earliest_end = started + duration
        self.bound = latest_start + duration + margin / 2
        self.deadline = max(self.deadline, latest_start + duration + margin)


def deadline_before_play(shared: RunShared) -> float:
    """When a zone that never got to play must be done."""
    return shared.origin + shared.settings.margin


class ChimeWatcher:
    def __init__(self, coordinator: Player, group: Group, play_sent: float, shared: RunShared, log: ZoneLog) -> None:
        self.coordinator = coordinator
        self.group = group
        self.shared = shared
        self.log = log
        self.clock = ChimeClock.start(play_sent, shared.sound_length(), shared.settings.margin)
        self.members: frozenset[str] | None = None

    def watch(self) -> Watched:
        return Watched(self._until_end(), self.members, self.clock.deadline)

    def _until_end(self) -> Ending:
        stop, clock = self.shared.stop, self.clock
        failing_since: float | None = None
        while True:
            now = time.monotonic()
            if stop.is_set():
                return Ending(EndKind.SIGNAL, now, ", ".join(stop.reasons))
            if now >= clock.bound:
                return Ending(EndKind.TIMED_OUT, now, f"still playing after {now - clock.play_sent:.1f} s")
            try:
                ending = self._look()
            except PlayerError as error:
                failing_since = failing_since or now
                if self._gives_up(now, failing_since):
                    return Ending(EndKind.ERROR, now, str(error))
                self.log("chime", f"poll failed, still waiting: {error}", logging.WARNING)
                stop.wait(self.shared.timing.poll_failure_pause)
                continue
            failing_since = None
            if ending is not None:
                return ending

    def _gives_up(self, now: float, failing_since: float) -> bool:
        """One lost answer must not cut the chime short; a player that stays silent past the
        chime's expected end is given up on, and restored if it can be."""
        clock = self.clock
        past_end = clock.earliest_end is not None and now > clock.earliest_end + 1.0
        silent_start = not clock.seen_playing and now - failing_since > max(1.0, self.shared.timeout) + 0.5
        return past_end or silent_start

    def _look(self) -> Ending | None:
        """One look at the coordinator, after a pause that suits the phase of the chime."""
        clock, timing = self.clock, self.shared.timing
        if not clock.seen_playing:
            return self._look_until_heard()
        now = time.monotonic()
        tight_from = clock.earliest_end - timing.tight_poll_lead if clock.earliest_end is not None else now
        if now < tight_from:
            if now < clock.next_wake:
                self.shared.stop.wait(min(clock.next_wake, tight_from) - now)
                return None
            clock.next_wake = now + timing.wake_interval
            topology = spawn(self.coordinator.topology)
            state, media = self._state()
            self._note_group(topology)
        else:
            interval = timing.tight_poll_interval if clock.earliest_end is not None else timing.unknown_end_poll
            self.shared.stop.wait(max(0.0, clock.last_poll + interval - now))
            clock.last_poll = time.monotonic()
            state, media = self._state()
        if self._taken_over(media):
            return Ending(EndKind.TAKEN_OVER, time.monotonic(), media.get("CurrentURI", ""))
        return Ending(EndKind.FINISHED, time.monotonic()) if state not in PLAYING_STATES else None

    def _look_until_heard(self) -> Ending | None:
        """TRANSITIONING is not an end; STOPPED for long without ever playing is a failure."""
        clock = self.clock
        poll_sent = time.monotonic()
        state = self.coordinator.transport_state()
        now = time.monotonic()
        if state == PLAYING:
            return self._heard(poll_sent)
        if state == TRANSITIONING:
            clock.last_not_playing = poll_sent
            clock.stopped_since = None
        else:
            clock.stopped_since = clock.stopped_since or now
            duration = self.shared.sound_length()
            if duration is not None and now - clock.play_sent >= duration:
                return Ending(EndKind.FINISHED, now)  # short enough to start and end between looks
            if now - clock.stopped_since >= self.shared.timing.never_started_after:
                return Ending(EndKind.NEVER_STARTED, now, f"transport {state}")
        self.shared.stop.wait(self.shared.timing.poll_until_heard)
        return None

    def _heard(self, poll_sent: float) -> Ending | None:
        """Heard: now where it is, how long it lasts, and whether it is still ours."""
        media_reading, position_reading = spawn(self.coordinator.media_info), spawn(self.coordinator.position_info)
        media, position = media_reading.result(), position_reading.result()
        if self._taken_over(media):
            return Ending(EndKind.TAKEN_OVER, time.monotonic(), media.get("CurrentURI", ""))
        # The file's header is exact; a player reports whole seconds. Either will do.
        duration = self.shared.sound_length() or parse_duration(position.get("TrackDuration")) or None
        at = parse_duration(position.get("RelTime")) or 0.0
        self.clock.heard(poll_sent, at, duration, self.shared.settings.margin)
        self.log("chime", "playing", duration=f"{duration:.2f}s" if duration else "unknown")
        return None

    def _state(self) -> tuple[str, dict[str, str]]:
        state, media = spawn(self.coordinator.transport_state), spawn(self.coordinator.media_info)
        return state.result(), media.result()

    def _note_group(self, topology: Future[Topology]) -> None:
        """Note who is still in the group, so speakers moved away meanwhile are left alone."""
        try:
            current = topology.result().group_of(self.group.coordinator_uid)
        except PlayerError as error:
            self.log("chime", f"could not read the topology: {error}", logging.WARNING)
            return
        if current is not None:
            self.members = current.uids

    def _taken_over(self, media: Mapping[str, str]) -> bool:
        uri = media.get("CurrentURI", "")
        return bool(uri) and not same_uri(uri, self.shared.job.url)
