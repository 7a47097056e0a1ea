"""Fixtures shared by every test: `household` starts simulated Sonos households."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sonos_sim.mediaserver import MediaServer, silent_mp3, silent_wav
from sonos_sim.testing import LoopbackAddresses, RunningHousehold, start_household

HOUSEHOLDS = Path(__file__).parent / "households"


@pytest.fixture(autouse=True)
def logging_as_it_was() -> Iterator[None]:
    """chime.py's main() puts its stderr handler on the root logger and sets levels: a test
    that runs it in-process leaves none of that to the next (whose stderr is another)."""
    root, program, soco = logging.getLogger(), logging.getLogger("sonos-chime"), logging.getLogger("soco")
    handlers, levels = list(root.handlers), (program.level, soco.level)
    yield
    for handler in [handler for handler in root.handlers if handler not in handlers]:
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    program.setLevel(levels[0])
    soco.setLevel(levels[1])


@pytest.fixture(scope="session")
def loopback_addresses() -> LoopbackAddresses:
    return LoopbackAddresses()


@pytest.fixture
def household(loopback_addresses: LoopbackAddresses) -> Iterator[Callable[..., RunningHousehold]]:
    """Factory: household(spec_dict | "tests/households/x.yml", ssdp=True) -> RunningHousehold.

    Each household gets fresh 127.0.x.y addresses and its own household id; all are stopped
    at the end of the test.
    """
    started: list[RunningHousehold] = []

    def start(source: str | Path | dict[str, Any], **options: Any) -> RunningHousehold:
        if isinstance(source, (str, Path)) and not Path(source).exists() and (HOUSEHOLDS / Path(source).name).exists():
            source = HOUSEHOLDS / Path(source).name
        running = start_household(source, loopback_addresses, **options)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def media_server() -> Iterator[MediaServer]:
    """An HTTP server on 127.0.0.1 with /chime.mp3 (2.0 s), /chime.wav (1.0 s),
    /long.mp3 (30 s) and /page.html (not audio); anything else is 404."""
    server = MediaServer().start()
    server.add("/chime.mp3", "audio/mpeg", silent_mp3(2.0))
    server.add("/chime.wav", "audio/x-wav", silent_wav(1.0))
    server.add("/long.mp3", "audio/mpeg", silent_mp3(30.0))
    server.add("/page.html", "text/html", b"<html><body>not audio</body></html>")
    yield server
    server.stop()
