#!/usr/bin/env python3
"""What each speaker played before, during and after a chime, from the simulator's event log.

    scripts/chime-report.py EVENTS.jsonl --url /chimes/ding-dong.mp3 \
        [--expect ZONE]... [--untouched ZONE]... [--check]

Reads the JSON lines of tests/sonos_sim (docs/architecture.md, section 4). A chime is every
event whose uri contains --url. For each speaker:
  before  its state just before chime.py changed its transport (pause or chime),
  during  its state while the chime played (uri, volume),
  after   its last state in the log.
With --check, exits 1 unless every --expect zone paused, chimed and came back exactly (uri,
track, transport state, volume, mute; position within 1 s of where it was paused), and no
--untouched zone ever played the chime. Uses only the standard library.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

TOUCH = {"Pause", "Stop", "SetAVTransportURI"}


def load(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def describe(state: dict[str, Any] | None) -> str:
    if not state:
        return "-"
    uri = state.get("uri") or "(nothing)"
    if len(uri) > 48:
        uri = uri[:45] + "..."
    pos = state.get("position")
    return (f"{state.get('transport_state')} {uri} track {state.get('track')} at {pos:.1f}s vol {state.get('volume')}"
            + (" muted" if state.get("mute") else "")) if pos is not None else f"{state.get('transport_state')} {uri}"


def analyse(events: list[dict[str, Any]], url: str) -> dict[str, dict[str, Any]]:
    players: dict[str, dict[str, Any]] = {}
    by_player: dict[str, list[dict[str, Any]]] = {}
    for ev in events:
        if ev.get("player") and ev.get("transport_state") is not None:
            by_player.setdefault(ev["player"], []).append(ev)
    for name, evs in by_player.items():
        chimed = [i for i, e in enumerate(evs) if url in (e.get("uri") or "")]
        info: dict[str, Any] = {"chimed": bool(chimed), "before": evs[0], "during": None, "after": evs[-1],
                                "paused_at": None, "restored_at": None}
        if chimed:
            first = chimed[0]
            touched = [i for i in range(first + 1) if evs[i].get("action") in TOUCH and (
                evs[i].get("kind") == "state" or i == first)]
            start = touched[0] if touched else first
            info["before"] = evs[start - 1] if start > 0 else evs[start]
            info["during"] = evs[first]
            for e in evs[first:]:
                if url in (e.get("uri") or "") and e.get("transport_state") == "PLAYING":
                    info["during"] = e
                    break
            pause = [e for e in evs[:first + 1] if e.get("kind") == "state" and e.get("action") in ("Pause", "Stop")]
            info["paused_at"] = pause[-1]["position"] if pause else info["before"].get("position")
            back = [e for e in evs[chimed[-1] + 1:] if e.get("uri") == info["before"].get("uri")]
            info["restored"] = back[0] if back else None
            seeks = [e for e in back if e.get("action") in ("Seek", "Play", "playing")]
            info["restored_at"] = (seeks or back or [{}])[0].get("position")
        players[name] = info
    return players


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events")
    parser.add_argument("--url", required=True, help="the chime's URL or a unique part of it")
    parser.add_argument("--expect", action="append", default=[], help="zone that must chime and be restored")
    parser.add_argument("--untouched", action="append", default=[], help="zone that must not chime")
    parser.add_argument("--check", action="store_true")
    opts = parser.parse_args(argv)

    players = analyse(load(opts.events), opts.url)
    width = max([len(n) for n in players] + [7])
    for name in sorted(players):
        p = players[name]
        print(f"{name:<{width}}  before: {describe(p['before'])}")
        print(f"{'':<{width}}  during: {describe(p['during']) if p['chimed'] else '(no chime)'}")
        print(f"{'':<{width}}  after:  {describe(p['after'])}")
    problems: list[str] = []
    for zone in opts.expect:
        p = players.get(zone)
        if not p or not p["chimed"]:
            problems.append(f"{zone}: never played the chime")
            continue
        before, after = p["before"], p["after"]
        for key in ("uri", "track", "transport_state", "volume", "mute"):
            if before.get(key) != after.get(key):
                problems.append(f"{zone}: {key} was {before.get(key)!r} before, {after.get(key)!r} after")
        if before.get("transport_state") == "PLAYING" or p["paused_at"] is not None:
            paused, restored = p["paused_at"], p["restored_at"]
            if paused is not None and restored is not None and abs(restored - paused) > 1.0:
                problems.append(f"{zone}: paused at {paused:.2f}s, resumed at {restored:.2f}s")
    for zone in opts.untouched:
        if players.get(zone, {}).get("chimed"):
            problems.append(f"{zone}: played the chime but should not have")
    if opts.check:
        for line in problems:
            print("FAIL " + line)
        if not problems:
            print(f"OK: {len(opts.expect)} zone(s) paused, chimed and restored exactly; "
                  f"{len(opts.untouched)} left alone")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
