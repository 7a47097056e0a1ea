"""What a chime's sound may be, by its bytes (standard library only: the role's preflight
imports it on the controller to check the sounds it is about to copy)."""

from __future__ import annotations

MAX_SOUND_BYTES = 16 * 1024 * 1024  # a chime is seconds long; chime.py reads no more than this
HEADER_BYTES = 12  # enough to tell MP3 from WAV
# How a sound that is_mp3 or is_wav is named: the players' audio clips (overlay chimes) play
# MP3 and WAV only, and the role serves no other sound.
SOUND_SUFFIXES = (".mp3", ".wav")


def is_mp3(data: bytes) -> bool:
    """An ID3 tag or an MPEG audio frame's sync bits at the start."""
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


def is_wav(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WAVE"
