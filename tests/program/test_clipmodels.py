"""Which players chime.py never overlays on, from what their local API info says."""

from __future__ import annotations

import pytest
from sonos_chime.clipmodels import misbehaving


@pytest.mark.parametrize(
    ("device", "model"),
    [
        ({"modelDisplayName": "Play:1", "model": "S12", "capabilities": ["AUDIO_CLIP"]}, "Play:1"),
        ({"modelDisplayName": "Play:1", "model": "S1"}, "Play:1"),
        ({"modelDisplayName": "", "model": "S1"}, "Play:1"),
        ({"modelDisplayName": "Play:3", "model": "S3"}, "Play:3"),
    ],
)
def test_the_models_whose_clips_misbehave_are_known_by_name_or_number(device: dict[str, str], model: str) -> None:
    known = misbehaving(device)
    assert known is not None and known.name == model


@pytest.mark.parametrize("device", [
    {"modelDisplayName": "One", "model": "S18"},
    {"modelDisplayName": "Sonos One", "model": "S18"},
    {"modelDisplayName": "Era 100", "model": "S39"},
    {"modelDisplayName": "Play:5", "model": "S6"},
    {},
    # What a hostile device may send in their place: never an error, only "not known".
    {"modelDisplayName": ["Play:1"], "model": ["S12"]},
    {"modelDisplayName": {"a": 1}, "model": {"b": 2}},
])
def test_other_models_are_not(device: dict[str, str]) -> None:
    assert misbehaving(device) is None


def test_the_reason_names_the_model_what_a_clip_does_and_the_report() -> None:
    known = misbehaving({"modelDisplayName": "Play:1"})
    assert known is not None
    assert known.reason() == "is a Play:1: a clip there pauses its whole group (home-assistant/core#182047)"
