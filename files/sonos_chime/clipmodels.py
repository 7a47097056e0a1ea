"""Models that report AUDIO_CLIP but whose clips misbehave: chime.py never overlays on them.

A player names its model in its local API info (`device.modelDisplayName`, `device.model`).
Music Assistant picks its fallback for these models by the display name alone
(music-assistant/server, providers/sonos/const.py UNSUPPORTED_MODELS_NATIVE_ANNOUNCEMENTS);
the model numbers match the same players under another name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Misbehaving:
    """A model whose clips are not heard over the music as they should, and the report of it."""

    name: str  # its modelDisplayName
    numbers: frozenset[str]  # its model numbers (`device.model`)
    what: str  # what a clip on it does
    source: str

    def reason(self) -> str:
        return f"is a {self.name}: {self.what} ({self.source})"


MISBEHAVING = (
    # "pauses the playback of the entire group for the duration of the AudioClip", although
    # "every affected Play:1 reports SupportsAudioClip: 1"; afterwards Music Assistant's streams
    # fail and skip the track (music-assistant/server#3009, music-assistant/support#3907).
    Misbehaving("Play:1", frozenset({"S1", "S12"}), "a clip there pauses its whole group", "home-assistant/core#182047"),
    # "announcements corrupt active music stream (ERROR_CORRUPT_FILE)"; Music Assistant falls
    # back for it as for the Play:1.
    Misbehaving("Play:3", frozenset({"S3"}), "a clip there breaks the music it plays", "music-assistant/support#5132"),
)


def misbehaving(device: dict[str, Any]) -> Misbehaving | None:
    """The entry for the model a player's local API info names, if its clips misbehave."""
    name, number = device.get("modelDisplayName"), device.get("model")
    if not isinstance(number, str):
        number = None
    for model in MISBEHAVING:
        if name == model.name or number in model.numbers:
            return model
    return None
