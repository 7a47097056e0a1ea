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
    """/chime.mp3 (1.2 s), /chime2.mp3 (1 s), /long.mp3 (30 s), /song.mp3 (300 s), /page.html; else 404."""
    server = SoundServer()
    server.add("/chime.mp3", CHIME_SECONDS)
    server.add("/chime2.mp3", 1.0)
    server.add("/long.mp3", 30.0)
    server.add("/song.mp3", 300.0)
    server.add_page("/page.html")
    yield server
    server.stop()


@pytest.fixture
def chime_setup(tmp_path: Path, sounds: SoundServer) -> Callable[..., ChimeSetup]:
    """chime_setup(household, zones=[...], volume=30, **chime_keys) -> ChimeSetup with chime "Test"."""

    def make(household: Any, zones: list[str], volume: int = 30, settings: dict[str, Any] | None = None, **chime: Any) -> ChimeSetup:
        entry = {"name": "Test", "url": sounds.url("/chime.mp3"), "volume": volume, "zones": zones, **chime}
        setup = ChimeSetup(
            path=tmp_path / "config.yml",
            runtime_dir=tmp_path / "run",
            zones=zones_of(household),
            chimes=[entry],
            settings=settings or {},
        )
        setup.write()
        return setup

    return make
