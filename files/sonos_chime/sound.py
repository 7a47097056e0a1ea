"""The chime's sound: fetched once from where the speakers fetch it, so a URL that fails is
caught before any player is touched, and its length bounds the wait for the end."""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from .audiofile import is_mp3, is_wav
from .exchange import SOUND_FILE, ExchangeError, fetch


@dataclass(frozen=True)
class SoundCheck:
    reachable: bool | None  # None: the server did not say in time
    detail: str
    data: bytes = b""

    @property
    def plays_as_clip(self) -> bool:
        """MP3 or WAV: what the players' audio clips (overlay chimes) play."""
        return is_mp3(self.data) or is_wav(self.data)

    @functools.cached_property
    def duration(self) -> float | None:
        """The sound's length from its header (parsed on first use: mutagen is not free)."""
        return sound_duration(self.data) if self.data else None


def check_sound(url: str, timeout: float) -> SoundCheck:
    try:
        answer = fetch(url, SOUND_FILE, timeout)
    except ExchangeError as error:
        if error.timed_out:
            return SoundCheck(None, f"{url}: {error.detail}")
        return SoundCheck(False, f"{url}: {error.detail}")
    if answer.status >= 400:
        return SoundCheck(False, f"HTTP {answer.status} for {url}")
    return SoundCheck(True, "ok", answer.body)


def sound_duration(data: bytes) -> float | None:
    """The sound's length from its header. Imported here, not at start: it is needed after
    Play, and an MP3 (what chimes are) is read without loading every format mutagen knows."""
    try:
        if is_mp3(data):
            import mutagen.mp3

            audio: object = mutagen.mp3.MP3(io.BytesIO(data))  # type: ignore[no-untyped-call]
        else:
            import mutagen

            audio = mutagen.File(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - any unreadable header just means "unknown"
        return None
    length = getattr(getattr(audio, "info", None), "length", None)
    return float(length) if isinstance(length, (int, float)) and length > 0 else None

