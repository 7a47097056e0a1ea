"""What a run is asked to do, what its zones share, and what each zone's run comes to."""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .config import INTERRUPT_MODE
from .lock import SiblingGuesses
from .moment import Moment, host_now
from .pending import PendingStore
from .quiet import QuietHours, QuietRoom, quiet_room
from .sound import SoundCheck
from .timing import DEFAULT_TIMING, Timing
from .topology import Member
from .zonelog import quote

if TYPE_CHECKING:
    from .locate import TopologyLookups


@dataclass(frozen=True)
class ZoneTarget:
    """A zone as the run knows it: uid None means whatever player answers at host."""

    name: str
    uid: str | None
    host: str


@dataclass(frozen=True)
class ChimeJob:
    name: str
    url: str
    volume: int | None  # None: leave volumes as they are
    room_volumes: Mapping[str, int]  # by the uid of a zone (a room): zone_volumes
    policy: Mapping[str, str]
    zones: tuple[ZoneTarget, ...]  # the zones this run chimes, in config order: the first of a group plays for it
    known_hosts: tuple[str, ...]  # every configured host, to find a zone DHCP moved
    mode: str = INTERRUPT_MODE  # interrupt | overlay | auto (config.MODES)
    # by the uid of a zone (a room): its name and when no chime plays there; empty for a chime
    # that ignores quiet hours
    quiet_rooms: Mapping[str, QuietHours] = field(default_factory=dict)
    fade: float = 0.0  # seconds the music fades out before the chime, and in after it; 0: none

    def volume_for(self, member: Member) -> int | None:
        """Every speaker of a room takes the room's volume: both halves of a stereo pair."""
        return self.room_volumes.get(member.room_uid, self.volume)


@dataclass(frozen=True)
class RunSettings:
    request_timeout: float
    margin: float
    runtime_dir: Path
    dry_run: bool
    moment: Moment | None = None  # Play is sent at this moment (--at); None: at once
    state_dir: Path | None = None  # where each group's snapshot is kept until it is put back
    timing: Timing = DEFAULT_TIMING


class StopRequest(threading.Event):
    """Set by SIGTERM or SIGINT: every zone ends its chime and puts its group back."""

    def __init__(self) -> None:
        super().__init__()
        self.reasons: list[str] = []

    def request(self, reason: str) -> None:
        self.reasons.append(reason)
        self.set()


@dataclass(frozen=True)
class RunShared:
    """What the zones of one process share."""

    job: ChimeJob
    settings: RunSettings
    started: float  # monotonic time the process started
    stop: StopRequest
    sound: Future[SoundCheck]
    first_hosts: tuple[str, ...]  # hosts of the zones this run chimes: asked first
    lookups: TopologyLookups = field(compare=False)
    guesses: SiblingGuesses = field(compare=False, default_factory=lambda: SiblingGuesses(()))
    pending: PendingStore | None = field(compare=False, default=None)  # where snapshots are kept (None: nowhere)
    started_at: datetime = field(compare=False, default_factory=host_now)  # the run's start on the host's clock

    @property
    def moment(self) -> Moment | None:
        return self.settings.moment

    @property
    def origin(self) -> float:
        """When the chime is due on the monotonic clock: deadlines count from here."""
        return self.started if self.moment is None else max(self.started, self.moment.mono)

    @property
    def timeout(self) -> float:
        return self.settings.request_timeout

    @property
    def timing(self) -> Timing:
        return self.settings.timing

    def quiet_room(self, room_uids: Iterable[str | None]) -> QuietRoom | None:
        """The first of the rooms (by uid) in its quiet hours when the chime is due: its moment,
        else when the run started (one time for every zone of the run)."""
        if not self.job.quiet_rooms:
            return None
        when = self.moment.wall if self.moment is not None else self.started_at
        return quiet_room(room_uids, self.job.quiet_rooms, when)

    def sound_now(self) -> SoundCheck | None:
        """The sound check, if it is done."""
        return self.sound.result() if self.sound.done() else None

    def sound_length(self) -> float | None:
        sound = self.sound_now()
        return sound.duration if sound is not None else None


class Outcome(enum.Enum):
    CHIMED = "chimed and restored"
    OVERLAID = "chimed over the music"
    LEFT_TO_USER = "chimed; someone took the zone over, left as they set it"
    WITH_GROUP = "chimed"  # with the group another zone of the run played for: a success
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def chimed(self) -> bool:
        return self in (Outcome.CHIMED, Outcome.OVERLAID, Outcome.LEFT_TO_USER, Outcome.WITH_GROUP)


@dataclass(frozen=True)
class ZoneResult:
    zone: str
    outcome: Outcome
    detail: str
    left_changed: bool = False  # the group is not back as it was: its state file is kept
    played_by: str | None = None  # the zone of the run that played for this zone's group
    group: str = "?"  # the group's label, for a line written when the run is done
    zone_uid: str | None = None  # a zone that stood aside: its player, looked for in played_for
    played_for: frozenset[str] = frozenset()  # the players of the group this zone's chime went to

    def said(self) -> str:
        """As the run's summary line says it: `chimed with "Living Room"'s group`."""
        if self.played_by is None:
            return self.outcome.value
        return f"{self.outcome.value} with {quote(self.played_by)}'s group"
