"""Helpers for the chime.py tests: the program as a module and as a process, sounds, events."""

from __future__ import annotations

import contextlib
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHIME = ROOT / "files" / "chime.py"

# Requests that change a player; anything else only reads.
CHANGING_ACTIONS = frozenset(
    {
        "SetAVTransportURI",
        "Play",
        "Pause",
        "Stop",
        "Seek",
        "Next",
        "Previous",
        "SetVolume",
        "SetRelativeVolume",
        "SetMute",
        "SetPlayMode",
        "SetCrossfadeMode",
        "SetGroupVolume",
        "SetGroupMute",
        "AddURIToQueue",
        "RemoveAllTracksFromQueue",
        "BecomeCoordinatorOfStandaloneGroup",
        "RampToVolume",
        "SetBass",
        "SetTreble",
        "SetLoudness",
    }
)


# ---- sounds -------------------------------------------------------------------------

# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo: 417-byte frames of 1152 samples.
# Zeroed side information decodes as silence. The first frame carries a Xing header with
# the frame count, as LAME writes it, so the length is known from the first kilobyte.
MP3_FRAME = bytes([0xFF, 0xFB, 0x90, 0x64]) + bytes(413)
MP3_FRAME_SECONDS = 1152 / 44100


def silent_mp3(seconds: float) -> bytes:
    frames = max(2, round(seconds / MP3_FRAME_SECONDS))
    xing = bytearray(MP3_FRAME)
    xing[36 : 36 + 12] = b"Xing" + struct.pack(">II", 1, frames)
    return bytes(xing) + MP3_FRAME * (frames - 1)


class SoundServer:
    """What nginx is on the chime host: serves sounds on 127.0.0.1, 404 for anything else."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, bytes]] = {}
        self.fetches: list[str] = []
        files, fetches = self.files, self.fetches

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fetches.append(self.path)
                if self.path not in files:
                    self.send_error(404)
                    return
                content_type, body = files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(ConnectionError):  # a player may read only the start
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # as nginx's backlog: 16 players fetch the sound at once

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def add(self, path: str, seconds: float) -> str:
        self.files[path] = ("audio/mpeg", silent_mp3(seconds))
        return self.url(path)

    def add_page(self, path: str) -> str:
        self.files[path] = ("text/html", b"<html><body>not a sound</body></html>")
        return self.url(path)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# ---- running the program --------------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    started: float  # time.monotonic() just before the process was started
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def chime_command(*args: str) -> list[str]:
    return [sys.executable, str(CHIME), *args]


def run_chime(*args: str, timeout: float = 60.0) -> Run:
    started = time.monotonic()
    done = subprocess.run(chime_command(*args), check=False, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    return Run(done.returncode, done.stdout, done.stderr, started, time.monotonic())


@dataclass
class Started:
    process: subprocess.Popen[str]
    started: float

    def finish(self, timeout: float = 60.0) -> Run:
        stdout, stderr = self.process.communicate(timeout=timeout)
        return Run(self.process.returncode, stdout, stderr, self.started, time.monotonic())

    def signal(self, signum: signal.Signals = signal.SIGTERM) -> None:
        self.process.send_signal(signum)


def start_chime(*args: str) -> Started:
    started = time.monotonic()
    process = subprocess.Popen(
        chime_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=dict(os.environ)
    )
    return Started(process, started)


def run_many(commands: Sequence[Sequence[str]], timeout: float = 60.0) -> list[Run]:
    """Start every command at once (as systemd timers firing in the same second do)."""
    started = [start_chime(*command) for command in commands]
    return [item.finish(timeout) for item in started]


@dataclass
class ChimeSetup:
    """A config.yml for a running household (every visible player a zone, in spec order)."""

    path: Path
    runtime_dir: Path
    zones: list[dict[str, Any]]
    chimes: list[dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)

    def write(self) -> Path:
        settings = {"runtime_dir": str(self.runtime_dir), "request_timeout": 2.0, "margin": 10.0, **self.settings}
        self.path.write_text(
            yaml.safe_dump({"settings": settings, "zones": self.zones, "chimes": self.chimes}, allow_unicode=True),
            encoding="utf-8",
        )
        return self.path

    def play_args(self, chime: str, zone: str | None = None, *extra: str) -> list[str]:
        args = ["play", chime, "--config", str(self.path)]
        if zone is not None:
            args += ["--zone", zone]
        return args + list(extra)

    def run(self, chime: str, zone: str | None = None, *extra: str, timeout: float = 60.0) -> Run:
        self.write()
        return run_chime(*self.play_args(chime, zone, *extra), timeout=timeout)

    def run_each_zone(self, chime: str, zones: Iterable[str]) -> dict[str, Run]:
        """One process per zone, all started together: what the systemd timers do."""
        self.write()
        names = list(zones)
        runs = run_many([self.play_args(chime, name) for name in names])
        return dict(zip(names, runs, strict=True))


def zones_of(household: Any) -> list[dict[str, Any]]:
    """Every visible player of a running household as a config zone, in spec order."""
    return [
        {"name": spec.name, "uid": spec.uid, "host": household.players[spec.name].ip}
        for spec in household.spec.players
        if spec.bonded_to is None
    ]


# ---- reading the event log -------------------------------------------------------------


def requests(events: Iterable[dict[str, Any]], action: str | None = None, player: str | None = None) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if e["kind"] == "request" and (action is None or e["action"] == action) and (player is None or e["player"] == player)
    ]


def changing_requests(events: Iterable[dict[str, Any]], player: str | None = None) -> list[dict[str, Any]]:
    return [e for e in requests(events, player=player) if e["action"] in CHANGING_ACTIONS]


def chime_sets(events: Iterable[dict[str, Any]], url: str) -> list[dict[str, Any]]:
    """Accepted SetAVTransportURI requests for the chime URL."""
    return [e for e in requests(events, "SetAVTransportURI") if e["args"].get("CurrentURI") == url and not e.get("fault")]


def state_events(events: Iterable[dict[str, Any]], player: str) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == "state" and e["player"] == player]


def first_state(events: Iterable[dict[str, Any]], player: str, action: str, uri: str | None = None, after: float = 0.0) -> dict[str, Any]:
    for event in state_events(events, player):
        if event["action"].startswith(action) and event["mono"] >= after and (uri is None or event["uri"] == uri):
            return event
    raise AssertionError(f"no {action} state event on {player} (uri {uri}) after {after}")


def level_at(events: Iterable[dict[str, Any]], player: str, mono: float, initial: tuple[int, bool]) -> tuple[int, bool]:
    """(volume, mute) of a player at a moment, from its state events."""
    level = initial
    for event in state_events(events, player):
        if event["mono"] > mono:
            break
        if event.get("volume") is not None:
            level = (event["volume"], bool(event["mute"]))
    return level
