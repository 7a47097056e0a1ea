"""What a group plays before the chime: the coordinator's transport, and every speaker's level.

The transport is read first (the chime is switched in as soon as it is known); the levels
are read at the same time and waited for only when the chime's volume is set.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from .errors import PlayerError
from .lock import GroupLock
from .player import Player
from .retry import retry, transient_once
from .sources import classify_source
from .tasks import spawn
from .timing import Timing
from .topology import Group, Member
from .wire import format_duration, parse_duration, parse_track
from .zonelog import ZoneLog, quote

PLAYING = "PLAYING"
TRANSITIONING = "TRANSITIONING"
PAUSED = "PAUSED_PLAYBACK"
STOPPED = "STOPPED"
NO_MEDIA = "NO_MEDIA_PRESENT"
PLAYING_STATES = (PLAYING, TRANSITIONING)


@dataclass(frozen=True)
class Transport:
    group: Group
    uri: str
    metadata: str
    transport_state: str
    track: int
    position: float
    track_duration: float | None
    play_mode: str
    crossfade: str

    @property
    def kind(self) -> str:
        return classify_source(self.uri)

    @property
    def was_playing(self) -> bool:
        return self.transport_state in PLAYING_STATES


@dataclass(frozen=True)
class MemberLevel:
    member: Member
    volume: int
    mute: bool


@dataclass(frozen=True)
class GroupSnapshot:
    transport: Transport
    levels: tuple[MemberLevel, ...]  # a speaker whose level could not be read is not here


@dataclass(frozen=True)
class TransportReading:
    """A coordinator's transport being read: all requests at once."""

    media: Future[dict[str, str]]
    state: Future[str]
    position: Future[dict[str, str]]
    play_mode: Future[str]
    crossfade: Future[str]

    @classmethod
    def start(cls, player: Player) -> TransportReading:
        return cls(
            media=spawn(player.media_info),
            state=spawn(player.transport_state),
            position=spawn(player.position_info),
            play_mode=spawn(player.play_mode),
            crossfade=spawn(player.crossfade),
        )

    def result(self, group: Group) -> Transport:
        position, media = self.position.result(), self.media.result()
        return Transport(
            group=group,
            uri=media.get("CurrentURI", ""),
            metadata=media.get("CurrentURIMetaData", ""),
            transport_state=self.state.result(),
            track=parse_track(position.get("Track")),
            position=parse_duration(position.get("RelTime")) or 0.0,
            track_duration=parse_duration(position.get("TrackDuration")),
            play_mode=self.play_mode.result(),
            crossfade=self.crossfade.result(),
        )


@dataclass(frozen=True)
class LevelReading:
    """A speaker's volume and mute being read."""

    volume: Future[int]
    mute: Future[bool]

    @classmethod
    def start(cls, player: Player) -> LevelReading:
        return cls(volume=spawn(player.volume), mute=spawn(player.mute))


PendingLevels = tuple[tuple[Member, LevelReading], ...]


@dataclass(frozen=True)
class Speculation:
    """Reads begun before the topology answers, on the guess that the zone coordinates its
    own group (a lone speaker, usually): right, they save a round trip before the chime."""

    lock: GroupLock
    uid: str
    host: str
    transport: TransportReading
    level: LevelReading

    def guessed(self, group: Group) -> bool:
        coordinator = group.coordinator
        return coordinator.uid == self.uid and (coordinator.host, coordinator.port) == (self.host, 1400)


def read_transport(
    group: Group, timeout: float, timing: Timing, log: ZoneLog, speculation: Speculation | None = None
) -> tuple[Transport, PendingLevels]:
    """The coordinator's transport, read; every speaker's volume and mute, being read."""
    started = time.monotonic()
    if speculation is not None:
        try:
            return _read(group, timeout, log, started, speculation)
        except PlayerError as error:
            log("snapshot", f"early read failed, reading again: {error}", logging.WARNING)

    def reading_again(error: Exception, _attempt: int) -> None:
        log("snapshot", f"reading again: {error}", logging.WARNING)

    return retry(lambda: _read(group, timeout, log, started, None), transient_once(timing), reading_again)


def _read(
    group: Group, timeout: float, log: ZoneLog, started: float, speculation: Speculation | None
) -> tuple[Transport, PendingLevels]:
    coordinator = Player.of(group.coordinator, timeout)
    reading = speculation.transport if speculation is not None else TransportReading.start(coordinator)
    # EQ (bass, treble, loudness) is not read: the chime never changes it, so there is
    # nothing to put back, and reading it would cost three requests per speaker.
    pending = tuple(
        (member, speculation.level)
        if speculation is not None and member.uid == group.coordinator_uid
        else (member, LevelReading.start(Player.of(member, timeout)))
        for member in group.members
    )
    transport = reading.result(group)
    log.playing(transport.kind)(
        "snapshot",
        state=transport.transport_state,
        uri=transport.uri or "-",
        track=transport.track,
        position=format_duration(transport.position),
        snapshot_ms=round((time.monotonic() - started) * 1000),
    )
    return transport, pending


def rehearse(group: Group, timeout: float) -> float | None:
    """Every read of a snapshot, sent at once and thrown away: how long it takes now, in
    seconds (None: some read got no answer). Before a moment, it times the group's switch."""
    started = time.monotonic()
    coordinator = Player.of(group.coordinator, timeout)
    reading = TransportReading.start(coordinator)
    levels = [LevelReading.start(Player.of(member, timeout)) for member in group.members]
    futures: list[Future[Any]] = [reading.media, reading.state, reading.position, reading.play_mode, reading.crossfade]
    futures += [future for level in levels for future in (level.volume, level.mute)]
    try:
        for future in futures:
            future.result()
    except PlayerError:
        return None
    return time.monotonic() - started


def read_levels(pending: PendingLevels, timeout: float, log: ZoneLog) -> tuple[MemberLevel, ...]:
    """Every speaker's volume and mute; one that cannot be read (after a second try) is left
    as it is, without holding up the others."""
    levels: list[MemberLevel] = []
    for member, reading in pending:
        try:
            levels.append(_level(member, reading, timeout))
        except PlayerError as error:
            log("levels", f"{quote(member.name)} left as it is, its volume cannot be read: {error}", logging.WARNING)
    text = ", ".join(f"{quote(level.member.name)} {level.volume}{' muted' if level.mute else ''}" for level in levels)
    log("levels", f"volumes {text or 'none read'}")
    return tuple(levels)


def _level(member: Member, reading: LevelReading, timeout: float) -> MemberLevel:
    try:
        volume, mute = reading.volume.result(), reading.mute.result()
    except PlayerError:
        player = Player.of(member, timeout)
        volume, mute = player.volume(), player.mute()
    return MemberLevel(member=member, volume=volume, mute=mute)
