"""Group locks: another chime on the group is waited for and said so; a zone of the same run
that guessed it coordinates the group is waited for, and is no other chime."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from sonos_chime.job import ChimeJob, RunSettings, RunShared, StopRequest
from sonos_chime.locate import TopologyLookups
from sonos_chime.lock import GroupLock, SiblingGuesses
from sonos_chime.zone import wait_for_lock

UID = "RINCON_000E58A0123401400"


def run_shared(runtime_dir: Path, guessing: tuple[str, ...]) -> RunShared:
    job = ChimeJob("Test", "http://127.0.0.1/chime.mp3", 30, {}, {}, (), ())
    settings = RunSettings(request_timeout=1.0, margin=10.0, runtime_dir=runtime_dir, dry_run=False)
    return RunShared(
        job=job, settings=settings, started=time.monotonic(), stop=StopRequest(), sound=Future(),
        first_hosts=(), lookups=TopologyLookups(1.0), guesses=SiblingGuesses(guessing),
    )


def released_once_waited_for(lock: GroupLock, then: Callable[[], None] = lambda: None) -> threading.Thread:
    """Another holder lets go of `lock` a moment after the test starts waiting for it."""
    go = threading.Event()

    def release() -> None:
        go.wait(10)
        lock.release()
        then()

    thread = threading.Thread(target=release)
    thread.start()
    threading.Timer(0.05, go.set).start()
    return thread


def test_a_zone_of_the_same_run_letting_go_of_its_guess_is_not_another_chime(tmp_path: Path) -> None:
    shared = run_shared(tmp_path, guessing=(UID,))
    sibling = GroupLock(tmp_path, UID)
    assert sibling.try_acquire()
    thread = released_once_waited_for(sibling, then=lambda: shared.guesses.let_go(UID))

    waited = wait_for_lock(GroupLock(tmp_path, UID), UID, shared)

    thread.join()
    assert waited is False


def test_another_chime_holding_the_group_is_waited_for_and_said_so(tmp_path: Path) -> None:
    shared = run_shared(tmp_path, guessing=())
    other_chime = GroupLock(tmp_path, UID)
    assert other_chime.try_acquire()
    thread = released_once_waited_for(other_chime)

    waited = wait_for_lock(GroupLock(tmp_path, UID), UID, shared)

    thread.join()
    assert waited is True
