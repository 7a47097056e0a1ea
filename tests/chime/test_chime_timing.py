"""How fast, at 20 ms per request: start latency, skew and resume gap from the event log.

The targets (issue 5) are 0.35 s start latency, 0.1 s skew and 0.3 s resume gap; `make bench`
measures them properly. Here the bounds are looser, so that a busy machine does not fail the
suite, but still far below what the usual sequential approach takes (1.5 s, 0.85 s, 1.6 s).
"""

from __future__ import annotations

from typing import Any

from chime_helpers import first_state, requests, state_events

QUEUE = [{"title": "So What", "duration": 300}, {"title": "Freddie Freeloader", "duration": 300}]


def test_start_latency_skew_and_resume_gap_at_20_ms(household: Any, chime_setup: Any, sounds: Any) -> None:
    names = ["Kitchen", "Office", "Den", "Hall"]
    spec = {
        "transition_time": 0.05,
        "players": [
            {"name": name, "state": {"source": "queue", "queue": QUEUE, "track": 2, "position": 30.0,
                                     "transport_state": "PLAYING", "volume": 20}}
            for name in names
        ] + [{"name": "Hall Right", "bonded_to": "Hall", "channel": "RF"}],
        "faults": [{"kind": "latency", "player": name, "fixed": 0.02} for name in [*names, "Hall Right"]],
    }
    home = household(spec)
    setup = chime_setup(home, names)
    url = sounds.url("/chime.mp3")

    run = setup.run("Test")  # all four zones from one process

    assert run.returncode == 0, run.stderr
    events = home.events()
    plays = {e["player"]: e["mono"] for e in requests(events, "Play") if e["uri"] == url}
    latencies = {name: plays[name] - run.started for name in names}
    skew = max(plays.values()) - min(plays.values())
    gaps = {}
    for name in names:
        ended = first_state(events, name, "end_of_media", uri=url)
        resumed = next(e for e in state_events(events, name) if e["mono"] > ended["mono"] and e["action"] == "playing")
        gaps[name] = resumed["mono"] - ended["mono"]
    print(f"start latency {latencies}, skew {skew:.3f}, resume gap {gaps}")
    assert max(latencies.values()) < 0.8
    assert skew < 0.15
    assert max(gaps.values()) < 0.35
