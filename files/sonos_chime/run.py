"""A run: every zone of a chime side by side, each in its own thread, until all are done."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from types import FrameType

from .config import DEFAULT_STATE_DIR
from .job import (
    ChimeJob,
    Outcome,
    RunSettings,
    RunShared,
    StopRequest,
    ZoneResult,
    ZoneTarget,
)
from .locate import TopologyLookups
from .lock import SiblingGuesses
from .pending import PendingStore, boot_token
from .recover import Recovery, recover_all
from .sound import check_sound
from .tasks import spawn
from .zone import run_zone, settle_stand_asides
from .zonelog import quote

LOG = logging.getLogger("sonos-chime")


def run_job(job: ChimeJob, targets: Sequence[ZoneTarget], settings: RunSettings, started: float) -> int:
    """Chime the targets; 0 when every zone chimed and was restored (itself or with the group
    another zone of the run played for) or was skipped on purpose."""
    # The run's first line names its chime: history finds it under --chime even when it is
    # killed before its last line.
    LOG.info("chime=%s run begins on %d zone(s)", quote(job.name), len(targets))
    shared = RunShared(
        job=job,
        settings=settings,
        started=started,
        stop=StopRequest(),
        sound=spawn(lambda: check_sound(job.url, settings.request_timeout)),
        first_hosts=tuple(dict.fromkeys(zone.host for zone in targets)),
        lookups=TopologyLookups(settings.request_timeout),
        guesses=SiblingGuesses(zone.uid for zone in targets if zone.uid is not None),
        pending=pending_store(settings),
    )
    install_signal_handlers(shared.stop)
    leftovers = spawn(lambda: recover_others(settings, {zone.uid for zone in targets if zone.uid is not None}))
    results = settle_stand_asides(run_zones(targets, shared))
    leftovers.result()
    LOG.info(
        "chime=%s done in %d ms: %s",
        quote(job.name),
        round((time.monotonic() - started) * 1000),
        ", ".join(f"{quote(result.zone)} {result.said()}" for result in results) or "no zones",
    )
    failed = [result for result in results if result.outcome == Outcome.FAILED]
    return 1 if failed or len(results) != len(targets) else 0


def pending_store(settings: RunSettings) -> PendingStore | None:
    """Where this run keeps its snapshots. A folder it cannot write (a unit file of the role's
    previous version during an upgrade, without its StateDirectory) is said, and the chime
    plays without: a chime not played is a loss too."""
    if settings.state_dir is None or settings.dry_run:
        return None
    try:
        # The system's folder is systemd's to make (StateDirectory=); any other, the run makes.
        if settings.state_dir != DEFAULT_STATE_DIR:
            settings.state_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
        if not settings.state_dir.is_dir():
            raise FileNotFoundError(f"{settings.state_dir} is not there (the role's units make it)")
        if not os.access(settings.state_dir, os.W_OK):
            raise PermissionError(f"{settings.state_dir} is not writable")
    except OSError as error:
        LOG.warning("snapshots are not kept on disk this run (a host that dies mid-chime loses them): %s", error)
        return None
    return PendingStore(settings.state_dir, boot_token(settings.runtime_dir))


def recover_others(settings: RunSettings, own_uids: set[str]) -> None:
    """What earlier chimes left on groups nobody holds goes back beside this run's zones (a
    group with a zone of this run is put back by that zone, under its lock, before its snapshot)."""
    recovery = Recovery.of(settings)
    if recovery is not None:
        recover_all(recovery, skip_uids=own_uids)


def run_zones(targets: Sequence[ZoneTarget], shared: RunShared) -> list[ZoneResult]:
    results: list[ZoneResult] = []
    results_lock = threading.Lock()

    def run(zone: ZoneTarget) -> None:
        result = run_zone(zone, shared)
        with results_lock:
            results.append(result)

    workers = [threading.Thread(target=run, args=(zone,), name=f"zone {quote(zone.name)}") for zone in targets]
    for worker in workers:
        worker.start()
    for worker in workers:
        while worker.is_alive():
            # A timed join lets the main thread run signal handlers while zones work.
            worker.join(0.1)
    return results


def install_signal_handlers(stop: StopRequest) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            LOG.warning("%s again: still putting the zones back", name)
            return
        LOG.warning("%s received: ending the chime and putting the zones back", name)
        stop.request(name)

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
