"""Where a zone is now: its group, its coordinator, and whether another zone plays for it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass

from .errors import PlayerError, ZoneFailure
from .job import ChimeJob, RunShared, ZoneTarget
from .player import Player
from .tasks import spawn
from .topology import Group, Topology
from .zonelog import ZoneLog


class TopologyLookups:
    """GetZoneGroupState answers, asked once per host and run: every player of a household
    answers with the same document, so the zones of one run share them."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._answers: dict[str, Future[Topology]] = {}
        self._lock = threading.Lock()

    def ask(self, host: str) -> Future[Topology]:
        with self._lock:
            if host not in self._answers:
                self._answers[host] = spawn(Player(host, 1400, self.timeout).topology)
            return self._answers[host]


@dataclass(frozen=True)
class Located:
    uid: str
    topology: Topology
    group: Group

    @property
    def member_host(self) -> str:
        return next(member.host for member in self.group.members if member.uid == self.uid)


def locate(zone: ZoneTarget, shared: RunShared, log: ZoneLog) -> Located:
    """Find the zone by uid: at its last-known host, or through any other known player.

    The hosts of this run's zones get a head start; when they fail, are slow or no longer
    know the uid (DHCP gave the address to another player), every other configured player
    is asked too. Any answer will do: they are all the same.
    """
    started = time.monotonic()
    first = dict.fromkeys([zone.host, *shared.first_hosts])
    pending = {shared.lookups.ask(host) for host in first}
    others = [host for host in shared.job.known_hosts if host not in first]
    asked_others = False
    errors: list[str] = []
    while pending:
        head_start = started + min(shared.timing.locate_head_start, shared.timeout) - time.monotonic()
        done, pending = wait(pending, timeout=None if asked_others else max(0.0, head_start), return_when=FIRST_COMPLETED)
        for future in done:
            located = _found_in(future, zone, errors)
            if located is not None:
                _log_location(located, zone, log.in_group(located.group.label), started)
                return located
        if not asked_others:
            pending |= {shared.lookups.ask(host) for host in others}
            asked_others = True
    detail = "; ".join(errors) or "no player knows it"
    raise ZoneFailure(f"cannot find {zone.uid or zone.host}: {detail}")


def _found_in(answer: Future[Topology], zone: ZoneTarget, errors: list[str]) -> Located | None:
    try:
        return find_in(answer.result(), zone)
    except PlayerError as error:
        errors.append(str(error))
        return None


def find_in(topology: Topology, zone: ZoneTarget) -> Located | None:
    uid = zone.uid or topology.uid_at(zone.host)
    if uid is None:
        return None
    group = topology.group_of(uid)
    return None if group is None else Located(uid=uid, topology=topology, group=group)


def _log_location(located: Located, zone: ZoneTarget, log: ZoneLog, started: float) -> None:
    host = located.member_host
    message = f"moved by DHCP from {zone.host}" if host != zone.host else "found at its last-known host"
    log("locate", message, host=host, locate_ms=round((time.monotonic() - started) * 1000))


def zone_playing_for(located: Located, job: ChimeJob, zone: ZoneTarget) -> ZoneTarget:
    """The first zone of this run, in the chime's order, that is in this zone's group
    (job.zones holds only the zones of the run: one left out never plays for a group)."""
    for candidate in job.zones:
        uid = candidate.uid or located.topology.uid_at(candidate.host)
        if uid is not None and uid in located.group.uids:
            return candidate
    return zone


def look_again(located: Located, zone: ZoneTarget, shared: RunShared, log: ZoneLog) -> Located:
    """The group as it is now (another chime played on it, or a long wait went by)."""
    try:
        topology = Player.of(located.group.coordinator, shared.timeout).topology()
    except PlayerError:
        return locate(zone, shared, log)
    return find_in(topology, zone) or locate(zone, shared, log)
