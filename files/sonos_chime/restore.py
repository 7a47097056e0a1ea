"""Putting a group back as it was before the chime, and reading it back.

Volumes and mutes go back while the transport is stopped, together with the source, track
and position, and always before Play: nothing is ever heard at the chime's volume but the
chime. Then the state: PLAYING plays, PAUSED_PLAYBACK is paused again silently, STOPPED and
idle stay. A refusal or a mismatch is tried once more; a player that does not answer is
tried again until the zone's deadline (it may be back by then). A step whose answer is lost
is looked at first (confirm.py): one the player carried out stands, and the restore goes on.

Whatever the source does, the levels go back: a restore that fails leaves no speaker muted,
or at the chime's volume, that was not before, or says which it could not put back. One
exception: a paused group whose music could not be stopped stays muted (never heard), and
each speaker so left is named.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from functools import partial

from .confirm import (
    confirmed,
    now_paused,
    now_playing,
    position_near,
    source_is,
    track_is,
)
from .errors import PlayerError
from .fade import fade_in
from .levels import (
    MUTE,
    VOLUME,
    LevelChange,
    LevelKey,
    LevelResults,
    LevelStep,
    apply_changes,
    apply_steps,
)
from .plan import hold_muted, restore_levels, unmute_after_pause
from .player import Player
from .retry import RetryPolicy, retry, while_busy
from .snapshot import (
    NO_MEDIA,
    PAUSED,
    PLAYING,
    PLAYING_STATES,
    STOPPED,
    TRANSITIONING,
    MemberLevel,
    Transport,
)
from .sources import own_queue_uri
from .tasks import gather, spawn
from .timing import Timing
from .topology import Member
from .wire import format_duration, parse_track
from .zonelog import ZoneLog


@dataclass(frozen=True)
class RestoreTask:
    """What to put back, where."""

    coordinator: Player
    transport: Transport
    levels: tuple[MemberLevel, ...]  # the speakers still in the group
    changed: frozenset[LevelKey]  # levels the chime changed, or may have
    timing: Timing
    timeout: float
    faded: frozenset[str] = frozenset()  # speakers (by uid) whose music faded out: back at 0, then ramped up


class Mismatch(Exception):
    """The group read back is not as it was."""


@dataclass(frozen=True)
class LevelsBack:
    """How the levels went back: those left changed, each with why it could not go back."""

    left: tuple[tuple[LevelKey, str], ...] = ()
    read: tuple[tuple[str, int | None], ...] = ()  # by uid, a faded speaker's volume as read back (None: unknown)


class RestoreFailed(Exception):
    """The group is not back as it was; `levels` says how its levels went back all the same."""

    def __init__(self, cause: Exception, levels: LevelsBack) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.levels = levels


@dataclass(frozen=True)
class Restored:
    attempts: int
    levels: LevelsBack
    restore_ms: int
    resumed_at: float  # when the source was back, before the read-back


def restore(task: RestoreTask, deadline: float, log: ZoneLog) -> Restored:
    """Put the group back and read it back; raises RestoreFailed when it cannot."""
    attempts = 0
    muted: set[LevelKey] = set()  # speakers muted for the pause that may still be: across attempts

    def attempt() -> Restored:
        nonlocal attempts
        attempts += 1
        started = time.monotonic()
        levels = restore_once(task, log, muted)
        resumed_at = time.monotonic()
        try:
            mismatch = read_back(task)
        except PlayerError as error:
            raise RestoreFailed(error, levels) from error
        if mismatch:
            raise RestoreFailed(Mismatch(mismatch), levels)
        return Restored(attempts, levels, round((time.monotonic() - started) * 1000), resumed_at)

    def again(error: Exception, number: int) -> None:
        log("restore", str(error), logging.WARNING, attempt=number)

    try:
        restored = retry(attempt, restore_policy(task, deadline), again)
    except RestoreFailed as failure:
        raise unfaded(task, failure) from failure.cause
    return faded_in(task, restored, log)


def faded_speakers(task: RestoreTask) -> list[MemberLevel]:
    return [level for level in task.levels if level.member.uid in task.faded and (level.member.uid, VOLUME) in task.changed]


def faded_in(task: RestoreTask, restored: Restored, log: ZoneLog) -> Restored:
    """The music back as it was, silent where it faded out: each such speaker ramps up to
    its volume, read back (fade.py)."""
    speakers = faded_speakers(task)
    if not speakers:
        return restored
    began = time.monotonic()
    left = fade_in(speakers, task.timeout, task.timing)
    log("fade", "faded in; some speakers are not back" if left.errors else "faded in", logging.ERROR if left.errors else logging.INFO,
        fade_in_ms=round((time.monotonic() - began) * 1000))
    return replace(restored, levels=LevelsBack(tuple((dict(restored.levels.left) | left.errors).items()), tuple(left.volumes.items())))


def unfaded(task: RestoreTask, failure: RestoreFailed) -> RestoreFailed:
    """The restore failed: a speaker left silent for the music to fade back in gets its volume
    at once (the levels go back whatever the source does)."""
    speakers = faded_speakers(task)
    if not speakers:
        return failure
    back = apply_changes([LevelChange(level.member, VOLUME, level.volume) for level in speakers], task.timeout, task.timing)
    left = dict(failure.levels.left) | {key: str(error) for key, error in back.failed.items()}
    return RestoreFailed(failure.cause, LevelsBack(tuple(left.items())))


def restore_policy(task: RestoreTask, deadline: float) -> RetryPolicy:
    """A refusal or a mismatch: once more. No answer: again until the deadline."""
    timing = task.timing

    def worth_another(error: Exception, attempt: int) -> bool:
        cause = error.cause if isinstance(error, RestoreFailed) else error
        if deadline - time.monotonic() <= 2 * task.timeout + timing.refusal_pause:
            return False
        if isinstance(cause, PlayerError):
            return cause.lost or (cause.transient and attempt < 2)
        return isinstance(cause, Mismatch) and attempt < 2

    return RetryPolicy(retry_if=worth_another, pause=lambda _error: timing.refusal_pause, attempts=None)


def restore_once(task: RestoreTask, log: ZoneLog, muted: set[LevelKey] | None = None) -> LevelsBack:
    """Put the group back once; the levels go back whatever the source does (RestoreFailed
    when the source cannot). `muted`: the speakers an attempt muted for the pause that may
    still be, kept from one attempt to the next."""
    muted = set() if muted is None else muted
    paused = hold_muted(task.transport)
    source = spawn(lambda: restore_source(task, log))
    held = apply_changes(restore_levels(task.levels, task.changed, hold_muted=paused, silent=task.faded), task.timeout, task.timing)
    if paused:
        muted |= held.maybe_changed & {change.key for change in unmute_after_pause(task.levels)}
    try:
        bring_back(task, source, paused)
    except Exception as error:
        silent = silence(task, error)
        raise RestoreFailed(error, levels_back(task, held, muted, silent)) from error
    return levels_back(task, held, muted, silent=True)


def bring_back(task: RestoreTask, source: Future[None], paused: bool) -> None:
    """The source, then its state."""
    source.result()
    resume(task, paused)


def silence(task: RestoreTask, error: Exception) -> bool:
    """After the source or its state failed: stop the coordinator first if it might play what
    the levels going back would let be heard. Whether it is known not to play: Stop answered,
    or the transport reads back as not playing."""
    if not must_stop(task.transport, error):
        return False
    try:
        task.coordinator.stop()
        return True
    except PlayerError:
        pass
    try:
        return task.coordinator.transport_state() not in PLAYING_STATES
    except PlayerError:
        return False


def must_stop(transport: Transport, error: Exception) -> bool:
    """A group that was silent must stay so (a paused one must never come back playing); a
    playing one is stopped only by a player that answered: one that did not may have
    resumed, or may not hear a Stop either."""
    lost = isinstance(error, PlayerError) and error.lost
    return not transport.was_playing or not lost


def resume(task: RestoreTask, paused: bool) -> None:
    coordinator = task.coordinator
    if task.transport.was_playing:
        confirmed(coordinator.play, now_playing(coordinator))
    elif paused:
        # A player only pauses what plays: Play then Pause at once, every speaker muted
        # meanwhile, brings PAUSED_PLAYBACK back at the position without a sound.
        confirmed(coordinator.play, now_playing(coordinator))
        confirmed(partial(retry, coordinator.pause, while_busy(task.timing)), now_paused(coordinator))


COULD_NOT_STOP = "could not stop the music"


def levels_back(task: RestoreTask, held: LevelResults, muted: set[LevelKey], silent: bool) -> LevelsBack:
    """Unmute the speakers muted to bring a pause back (by this attempt or an earlier one), but
    only when the coordinator is known not to play: a paused group never comes back playing
    audibly. What is left changed: a level the chime changed that did not go back, or a
    speaker muted for the pause that was not unmuted."""
    left: dict[LevelKey, str] = {key: str(error) for key, error in held.failed.items() if key in task.changed}
    unmutes = [change for change in unmute_after_pause(task.levels) if change.key in muted]
    if not silent:
        return LevelsBack(tuple((left | dict.fromkeys(sorted(change.key for change in unmutes), COULD_NOT_STOP)).items()))
    unmuted = apply_changes(unmutes, task.timeout, task.timing)
    muted.difference_update(step.key for step in unmuted.applied)
    left |= {key: str(error) for key, error in unmuted.failed.items()}
    return LevelsBack(tuple(left.items()))


def restore_source(task: RestoreTask, log: ZoneLog) -> None:
    transport, coordinator = task.transport, task.coordinator
    kind = transport.kind
    if kind == "idle":
        restore_nothing(task, log)
        return
    confirmed(partial(coordinator.set_uri, transport.uri, transport.metadata), source_is(coordinator, transport.uri))
    if kind == "queue":
        if transport.track > 0:
            confirmed(partial(coordinator.seek, "TRACK_NR", str(transport.track)), track_is(coordinator, transport.track))
        settings = [
            lambda: coordinator.set_play_mode(transport.play_mode),
            lambda: coordinator.set_crossfade(transport.crossfade),
        ]
        if transport.position >= 1:
            settings.append(lambda: seek_position(coordinator, transport))
        gather(settings)
    elif kind == "uri" and transport.position >= 1 and transport.track_duration:
        try:
            seek_position(coordinator, transport)
        except PlayerError as error:
            log("restore", f"could not seek in {transport.uri}: {error}", logging.WARNING)


def seek_position(coordinator: Player, transport: Transport) -> None:
    target = resume_position(transport)
    confirmed(partial(coordinator.seek, "REL_TIME", target), position_near(coordinator, target))


def restore_nothing(task: RestoreTask, log: ZoneLog) -> None:
    try:
        task.coordinator.set_uri("", "")
    except PlayerError as error:
        if error.lost:
            raise
        # A player that will not go back to nothing is left stopped on its own (possibly
        # empty) queue, the nearest thing: never on the chime.
        log("restore", f"no empty source ({error}): stopped on its queue instead", logging.WARNING)
        task.coordinator.set_uri(own_queue_uri(task.transport.group.coordinator_uid), "")


def resume_position(transport: Transport) -> str:
    # Players report whole seconds: a playing track was somewhere within the next second,
    # so resuming one second on keeps the error under a second either way.
    position = transport.position + 1 if transport.was_playing else transport.position
    if transport.track_duration:
        position = min(position, max(0.0, transport.track_duration - 1))
    return format_duration(position)


EXPECTED_STATES = {
    PLAYING: PLAYING_STATES,
    TRANSITIONING: PLAYING_STATES,
    PAUSED: (PAUSED,),
    STOPPED: (STOPPED,),
    NO_MEDIA: (NO_MEDIA, STOPPED),
}


def read_back(task: RestoreTask) -> str:
    """Read the coordinator back: an empty string when it is as it was."""
    transport, coordinator = task.transport, task.coordinator
    state = settled_state(task)
    media_reading, position_reading = spawn(coordinator.media_info), spawn(coordinator.position_info)
    media, position = media_reading.result(), position_reading.result()
    uri = media.get("CurrentURI", "")
    fallback = own_queue_uri(transport.group.coordinator_uid)
    if uri != transport.uri and not (transport.kind == "idle" and uri == fallback):
        return f"source is {uri!r}, expected {transport.uri!r}"
    if transport.kind == "queue" and transport.track and parse_track(position.get("Track")) != transport.track:
        return f"track is {position.get('Track')}, expected {transport.track}"
    if state not in EXPECTED_STATES.get(transport.transport_state, (transport.transport_state,)):
        return f"transport is {state}, expected {transport.transport_state}"
    return ""


def settled_state(task: RestoreTask) -> str:
    """A resumed source is TRANSITIONING for a moment: look again for a while (slowly, other
    zones of the run may still be resuming), then accept it as on its way."""
    deadline = time.monotonic() + max(1.0, task.timeout)
    while True:
        time.sleep(task.timing.verify_interval)
        state = task.coordinator.transport_state()
        if state != TRANSITIONING or time.monotonic() >= deadline:
            return state


ChimeVolume = Callable[[Member], "int | None"]  # the volume the chime sets a speaker to


def restore_untouched_levels(
    levels: Sequence[MemberLevel],
    changed: frozenset[LevelKey],
    chime_volume: ChimeVolume,
    timeout: float,
    timing: Timing,
    faded: frozenset[str] = frozenset(),
) -> list[str]:
    """After a takeover: put back only the levels nobody changed since the chime set them. A
    speaker the music faded out on (`faded`, by uid) is the fade's anywhere from silence up to
    the volume it had: a run killed mid-fade, or during the fade-in, leaves it there. So a
    person who turned it down since is put back too (there is no telling theirs from the
    fade's); one who turned it up keeps theirs."""
    steps = [
        LevelStep(level.member.name, (level.member.uid, VOLUME),
                  partial(_put_back_if_untouched, level, changed, chime_volume, timeout, level.member.uid in faded))
        for level in levels
        if (level.member.uid, VOLUME) in changed or (level.member.uid, MUTE) in changed
    ]
    return apply_steps(steps, timing).failures


def _put_back_if_untouched(level: MemberLevel, changed: frozenset[LevelKey], chime_volume: ChimeVolume, timeout: float,
                           faded: bool) -> None:
    uid = level.member.uid
    player = Player.of(level.member, timeout)
    volume, mute = spawn(player.volume), spawn(player.mute)
    ours = volume.result() == chime_volume(level.member) or (faded and volume.result() <= level.volume)
    if (uid, VOLUME) in changed and ours:
        player.set_volume(level.volume)
    if (uid, MUTE) in changed and not mute.result():
        player.set_mute(True)
