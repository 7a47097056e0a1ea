"""Small helpers shared by the simulator tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 5.0, interval: float = 0.02) -> T:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def state_changes(events: list[dict], player: str) -> list[tuple[str, str]]:
    """(cause, transport_state) of every state event of `player`, in order."""
    return [(e["action"], e["transport_state"]) for e in events if e["kind"] == "state" and e["player"] == player]
