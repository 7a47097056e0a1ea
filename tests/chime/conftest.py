"""Fixtures for the chime.py tests: sounds on a local HTTP server and configs for households."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chime_helpers import ChimeSetup, SoundServer, zones_of

CHIME_SECONDS = 1.2


@pytest.fixture(scope="session")
def sounds() -> Iterator[SoundServer]:
    """/chime.mp3 (1.2 s), /chime2.mp3 (1 s), /long.mp3 (30 s), /song.mp3 (300 s), /page.html and
    /page.mp3 (a web page, not audio: a server that answers 200 with an error page); else 404."""
    server = SoundServer()
    server.add("/chime.mp3", CHIME_SECONDS)
    server.add("/chime2.mp3", 1.0)
    server.add("/long.mp3", 30.0)
    server.add("/song.mp3", 300.0)
    server.add_page("/page.html")
    server.add_page("/page.mp3")
    yield server
    server.stop()


@pytest.fixture
def chime_setup(tmp_path: Path, sounds: SoundServer) -> Callable[..., ChimeSetup]:
    """chime_setup(household, zones=[...], volume=30, settings={...}, **chime) -> ChimeSetup.

    One chime "Test" playing chime.mp3 on `zones`; `chime` adds or overrides keys of the
    sonos_chime_chimes item (sound, zone_volumes, sources, ...); `settings` sets role
    variables without their sonos_chime_ prefix (request_timeout, margin).
    """

    def make(household: Any, zones: list[str], volume: int = 30, settings: dict[str, Any] | None = None, **chime: Any) -> ChimeSetup:
        entry = {"name": "Test", "sound": "chime.mp3", "schedule": "daily", "volume": volume, "zones": zones, **chime}
        setup = ChimeSetup(
            path=tmp_path / "config.yml",
            runtime_dir=tmp_path / "run",
            sounds=sounds,
            zones=zones_of(household),
            chimes=[entry],
            variables={f"sonos_chime_{name}": value for name, value in (settings or {}).items()},
        )
        return setup

    return make
