"""Helpers for the chime.py tests: the program as a module and as a process, sounds, events."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from role_model import RoleModel

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

    def write_to(self, folder: Path, names: Iterable[str]) -> None:
        """The controller's sounds folder: each named sound, as served. Where the server has
        no sound by that name (none, or a page), the controller has a good one all the same:
        preflight passes, and only the speakers meet what the server gives them."""
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            kind, content = self.files.get(f"/{name}", ("", b""))
            (folder / name).write_bytes(content if kind.startswith("audio/") else silent_mp3(0.5))

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


def run_chime(*args: str, timeout: float = 60.0, env: dict[str, str] | None = None) -> Run:
    """chime.py to its end; `env` adds to the environment (as systemd gives a service its timer started)."""
    started = time.monotonic()
    environment = {**os.environ, **env} if env is not None else None
    done = subprocess.run(chime_command(*args), check=False, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=environment)
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
    """A chime host's inventory for a running household, and the config.yml the role writes
    from it (tests/role_model.py renders it with the role's own code; preflight must pass).

    `zones` are the discovered zones (every visible player, in spec order), `chimes` are
    `sonos_chime_chimes` items (sounds by file name, served by `sounds`), `variables` other
    role variables. Tests may change any of them and write again.
    """

    path: Path
    runtime_dir: Path
    sounds: SoundServer
    zones: list[dict[str, Any]]
    chimes: list[dict[str, Any]]
    variables: dict[str, Any] = field(default_factory=dict)

    def inventory(self) -> dict[str, Any]:
        sounds_src = self.path.parent / "sounds"
        self.sounds.write_to(sounds_src, [str(chime["sound"]) for chime in self.chimes])
        return {
            "sonos_chime_discovered_zones": self.zones,
            "sonos_chime_chimes": self.chimes,
            "sonos_chime_sounds_src": str(sounds_src),
            "sonos_chime_base_url": self.sounds.url("/"),
            # The internal values tests change: lock and state files go to the test's own folder.
            "__sonos_chime_runtime_dir": str(self.runtime_dir),
            "__sonos_chime_state_dir": str(self.state_dir),
            "__sonos_chime_calendar_dir": str(self.runtime_dir.parent / "etc-calendars"),
            "__sonos_chime_calendar_cache": str(self.calendar_cache),
            **self.variables,
        }

    @property
    def state_dir(self) -> Path:
        return self.runtime_dir.parent / "state"

    @property
    def calendar_cache(self) -> Path:
        return self.runtime_dir.parent / "calendars"

    def write(self) -> Path:
        model = RoleModel(self.inventory())
        problems = model.preflight()
        assert not problems, f"preflight refuses the test's inventory: {problems}"
        self.path.write_text(model.config_text(), encoding="utf-8")
        for copy in model.variables["__sonos_chime_calendars"]:  # as the role's copy task does
            Path(copy["dest"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(copy["src"], copy["dest"])
        return self.path

    def play_args(self, chime: str, zone: str | None = None, *extra: str) -> list[str]:
        """As the chime's service passes them: options first, the name after `--`."""
        args = ["play", "--config", str(self.path)]
        if zone is not None:
            args += ["--zone", zone]
        return [*args, *extra, "--", chime]

    def run(self, chime: str, zone: str | None = None, *extra: str, timeout: float = 60.0, env: dict[str, str] | None = None) -> Run:
        self.write()
        return run_chime(*self.play_args(chime, zone, *extra), timeout=timeout, env=env)

    def start(self, chime: str, *extra: str) -> Started:
        """The chime's service as its timer starts it: every zone in one process."""
        self.write()
        return start_chime(*self.play_args(chime, None, *extra))


ZONE_OUTCOME = re.compile(r'^\w+ zone="((?:[^"\\]|\\.)*)" .*\boutcome=(\S+)', re.MULTILINE)


def outcomes(stderr: str) -> dict[str, str]:
    """zone -> the outcome its last journal line says (ok, restored, skipped, failed, ...);
    zone names as written (escaped, without their quotes)."""
    return dict(ZONE_OUTCOME.findall(stderr))


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


def wait_for_event(home: Any, matches: Callable[[dict[str, Any]], bool], give_up_after: float = 20.0) -> dict[str, Any]:
    """The first event of the household's log that matches, once it is there. (Giving up
    is a failure, not a measurement: it only keeps a broken run from hanging.)"""
    deadline = time.monotonic() + give_up_after
    while True:
        found = next((event for event in home.events() if matches(event)), None)
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError("the awaited event never came")
        time.sleep(0.02)


def level_at(events: Iterable[dict[str, Any]], player: str, mono: float, initial: tuple[int, bool]) -> tuple[int, bool]:
    """(volume, mute) of a player at a moment, from its state events."""
    level = initial
    for event in state_events(events, player):
        if event["mono"] > mono:
            break
        if event.get("volume") is not None:
            level = (event["volume"], bool(event["mute"]))
    return level
