"""Fetching an http(s) URI the way a player does: from its own address, reading the header.

A real player checks what it is given when the URI is set: SoCo's users see 714 from
SetAVTransportURI for files it cannot play. A URI it cannot reach (404, refused) is accepted
and fails only once playback starts: Play succeeds, the transport goes to STOPPED with an
error status. So the fetch happens at SetAVTransportURI (and AddURIToQueue), and its result
(duration, or the playback error to report later) is kept with the transport.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from functools import cache

import aiohttp
import mutagen

MAX_BYTES = 256 * 1024 * 1024
AUDIO_TYPES = ("audio/", "application/ogg", "application/x-mpegurl", "application/vnd.apple.mpegurl")


class NotAudio(Exception):
    """The URI answered, but with something a player refuses (UPnP 714)."""


@dataclass(frozen=True)
class Probe:
    duration: float = 0.0
    error: str | None = None


async def probe(uri: str, local_ip: str, timeout: float = 10.0, content_types: tuple[str, ...] = AUDIO_TYPES) -> Probe:
    """Fetch `uri` from `local_ip`; raise NotAudio (not of `content_types`), or return its duration or playback error."""
    connector = aiohttp.TCPConnector(local_addr=(local_ip, 0), force_close=True, ssl=False)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    try:
        async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as session, session.get(uri) as response:
            if response.status >= 400:
                return Probe(error=f"HTTP {response.status}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if not content_type.startswith(content_types):
                raise NotAudio(f"Content-Type {content_type or 'missing'}")
            body = await _read_body(response)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return Probe(error=f"unreachable: {type(exc).__name__}")
    return Probe(duration=audio_duration(body))


async def _read_body(response: aiohttp.ClientResponse) -> bytes:
    """The whole file (up to MAX_BYTES): without a Xing/VBRI header, mutagen needs its full size."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(256 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BYTES:
            break
    return b"".join(chunks)


def audio_duration(body: bytes) -> float:
    try:
        parsed = mutagen.File(io.BytesIO(body))
    except Exception as exc:  # mutagen raises many types for garbage
        raise NotAudio(f"unparseable audio: {exc}") from exc
    if parsed is None or parsed.info is None or not getattr(parsed.info, "length", 0):
        raise NotAudio("no audio stream found")
    return float(parsed.info.length)


@cache
def tiny_png() -> bytes:
    """A 1x1 grey PNG: what /getaa (album art) and /img/ (icons) serve."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")
