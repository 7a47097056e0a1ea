"""Issue #19: a player carries a request out and its answer is lost, or comes after the
request timeout, on every step an interrupt chime takes.

Kitchen plays a queue mid-track for itself and Dining. A request of the chime (the step's
first call, or the restore's call of an action the switch-in sent first) is carried out and
its answer withheld: that request only ("once"), or it and every later call of its action
("from_then_on", as a player that is always slower to answer it than the request timeout).
Whatever chime.py makes of it, every speaker ends as it was (source, track, position,
transport state, volume, mute), whether the zone was chimed and restored or left alone; the
chime is heard exactly once and to its end (never twice, never cut short), unless the group
could not be read at all; and the journal names no level left changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from chime_helpers import first_state, state_events

QUEUE = [{"title": "So What", "duration": 300}, {"title": "Freddie Freeloader", "duration": 300}]
PLAYING_QUEUE = {"source": "queue", "queue": QUEUE, "track": 2, "position": 30.0, "transport_state": "PLAYING"}
REQUEST_TIMEOUT = 0.5
LATE_BY = 1.0  # after the request timeout: the client has given up by then
SOUND = "chime2.mp3"  # 1 s
ATTRIBUTES = ("uri", "track", "transport_state", "volume", "mute", "play_mode", "crossfade", "coordinator_uid")


@dataclass(frozen=True)
class Step:
    """The request whose answer is withheld: the `nth` call (from 0) of `action` to `player`."""

    action: str
    player: str = "Kitchen"
    nth: int = 0


STEPS = {
    "locate": Step("GetZoneGroupState"),
    "snapshot": Step("GetMediaInfo"),
    "levels": Step("GetVolume", "Dining"),
    "chime_volume": Step("SetVolume", "Dining"),
    "switch_in": Step("SetAVTransportURI"),
    "play": Step("Play"),
    "restore_seek": Step("Seek"),
    "restore_source": Step("SetAVTransportURI", nth=1),
    "restore_play": Step("Play", nth=1),
    "restore_levels": Step("SetVolume", "Dining", nth=1),
}
ANSWERS = {"lost": None, "late": LATE_BY}
REPEATS = {"once": "once", "from_then_on": "after"}  # the fault's mode
# Where the group cannot be read, it is left as it was; everywhere else the chime is heard.
LEFT_ALONE = {("snapshot", "from_then_on")}


def household_answering_late(step: Step, delay: float | None, mode: str) -> dict[str, Any]:
    late = {} if delay is None else {"delay": delay}
    fault = {"kind": "late_answer", "player": step.player, "action": step.action, "mode": mode, "after": step.nth, **late}
    return {
        "transition_time": 0.05,
        "faults": [fault],
        "players": [
            {"name": "Kitchen", "state": {**PLAYING_QUEUE, "volume": 20}},
            {"name": "Dining", "state": {"volume": 21}},
        ],
        "groups": [{"coordinator": "Kitchen", "members": ["Dining"]}],
    }


def times_heard(events: list[dict[str, Any]], url: str) -> int:
    return sum(1 for event in state_events(events, "Kitchen") if event["action"] == "playing" and event["uri"] == url)


def assert_heard_whole_if_at_all(events: list[dict[str, Any]], url: str) -> None:
    """Heard once at the most, and then to its end: the first change of the coordinator after
    the chime began playing is the chime's own end."""
    kitchen = state_events(events, "Kitchen")
    heard = [e for e in kitchen if e["action"] == "playing" and e["uri"] == url]
    assert len(heard) <= 1, "the chime was heard twice"
    if heard:
        after = [e for e in kitchen if e["mono"] > heard[0]["mono"]]
        change = next(e for e in after if e["uri"] != url or e["transport_state"] != "PLAYING")
        assert change["action"] == "end_of_media", f"the chime was cut short by {change['action']}"


def expected_position(events: list[dict[str, Any]], before: Any, url: str, before_mono: float, after_mono: float) -> float:
    """Where the queue is now: it played on until the chime switched in, and again since it resumed."""
    if times_heard(events, url) == 0 and not any(e["uri"] == url for e in state_events(events, "Kitchen")):
        return float(before.position + (after_mono - before_mono))
    interrupted = first_state(events, "Kitchen", "SetAVTransportURI", uri=url)["mono"]
    resumed = [e for e in state_events(events, "Kitchen") if e["action"] == "playing" and e["uri"] == before.uri]
    assert resumed, "the queue never played again"
    return float(before.position + (interrupted - before_mono) + (after_mono - resumed[-1]["mono"]))


@pytest.mark.parametrize("repeat", REPEATS)
@pytest.mark.parametrize("answer", ANSWERS)
@pytest.mark.parametrize("step", STEPS)
def test_a_lost_or_late_answer_leaves_every_speaker_as_it_was(household: Any, chime_setup: Any, sounds: Any,
                                                             step: str, answer: str, repeat: str) -> None:
    home = household(household_answering_late(STEPS[step], ANSWERS[answer], REPEATS[repeat]))
    setup = chime_setup(home, ["Kitchen"], sound=SOUND, settings={"request_timeout": REQUEST_TIMEOUT, "margin": 3.0})
    url = sounds.url(f"/{SOUND}")
    before = {name: handle.state() for name, handle in home.players.items()}
    before_mono = time.monotonic()

    run = setup.run("Test", timeout=30.0)

    after_mono = time.monotonic()
    events = home.events()
    withheld = [e for e in events if e.get("injected") == "late_answer"]
    assert withheld and (repeat != "once" or len(withheld) == 1), f"the fault never fired: {run.stderr}"
    assert_heard_whole_if_at_all(events, url)
    assert times_heard(events, url) == (0 if (step, repeat) in LEFT_ALONE else 1), run.stderr
    for name, handle in home.players.items():
        after = handle.state()
        for attribute in ATTRIBUTES:
            assert getattr(after, attribute) == getattr(before[name], attribute), f"{name}: {attribute}\n{run.stderr}"
    assert "left at" not in run.stderr  # every level is back: the journal must not say otherwise
    assert list(setup.state_dir.glob("*.json")) == [], run.stderr  # back as it was: no snapshot kept
    expected = expected_position(events, before["Kitchen"], url, before_mono, after_mono)
    position = home.players["Kitchen"].state().position
    assert abs(position - expected) <= 1.0, f"position {position}, expected {expected:.2f}\n{run.stderr}"


def test_a_chime_whose_play_is_never_answered_plays_to_its_end(household: Any, chime_setup: Any, sounds: Any) -> None:
    sounds.add("/chime3.mp3", 3.0)  # longer than Play and its one retry take to time out
    home = household(household_answering_late(Step("Play"), None, "after"))
    setup = chime_setup(home, ["Kitchen"], sound="chime3.mp3", settings={"request_timeout": REQUEST_TIMEOUT, "margin": 3.0})

    run = setup.run("Test", timeout=30.0)

    assert_heard_whole_if_at_all(home.events(), sounds.url("/chime3.mp3"))
    assert times_heard(home.events(), sounds.url("/chime3.mp3")) == 1, run.stderr
