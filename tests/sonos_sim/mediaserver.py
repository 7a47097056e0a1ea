"""A tiny HTTP server for sounds (what nginx is on the chime host), plus generated audio."""

from __future__ import annotations

import asyncio
import io
import math
import struct
import threading
import wave
from dataclasses import dataclass, field

from aiohttp import web

# MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no CRC: 1152 samples a frame, 417.96 bytes on
# average, so (as an encoder does) some frames carry a padding byte to keep the bitrate exact.
_MP3_HEADER = bytes([0xFF, 0xFB, 0x90, 0x64])
_MP3_PADDED_HEADER = bytes([0xFF, 0xFB, 0x92, 0x64])
_MP3_FRAME_BYTES = 144 * 128000 / 44100
_MP3_FRAME_SECONDS = 1152 / 44100


def silent_mp3(seconds: float) -> bytes:
    """A valid MP3 of silence lasting at least `seconds` (at most one 26 ms frame more)."""
    frames = max(1, math.ceil(seconds / _MP3_FRAME_SECONDS))
    plain = _MP3_HEADER + bytes(413)
    padded = _MP3_PADDED_HEADER + bytes(414)
    out = bytearray()
    for index in range(frames):
        is_padded = int((index + 1) * _MP3_FRAME_BYTES) - int(index * _MP3_FRAME_BYTES) == 418
        out += padded if is_padded else plain
    return bytes(out)


def silent_wav(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(struct.pack("<h", 0) * int(seconds * rate))
    return buffer.getvalue()


@dataclass
class MediaServer:
    """Serves `files` (path -> (content type, body)) on host:port in a background thread."""

    host: str = "127.0.0.1"
    port: int = 0
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="media-server", daemon=True)
        self._runner: web.AppRunner | None = None

    def add(self, path: str, content_type: str, body: bytes) -> str:
        self.files[path] = (content_type, body)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername")[0] if request.transport else ""
        self.requests.append((peer, request.path))
        if request.path not in self.files:
            return web.Response(status=404, text="not found")
        content_type, body = self.files[request.path]
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server  # aiohttp keeps the bound socket here; port 0 needs it
        assert isinstance(server, asyncio.Server) and server.sockets
        self.port = server.sockets[0].getsockname()[1]

    def start(self) -> MediaServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
