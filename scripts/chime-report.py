#!/usr/bin/env python3
"""What each speaker played before, during and after a chime, from the simulator's event log.

    scripts/chime-report.py EVENTS.jsonl --url /chimes/ding-dong.mp3 \
        [--expect ZONE]... [--overlaid ZONE]... [--untouched ZONE]... [--moment @SECONDS [--late-ms MS]] [--check]

Reads the JSON lines of tests/sonos_sim (docs/architecture.md, section 4). A chime is every
event whose uri contains --url. For each speaker:
  before  its state just before chime.py changed its transport (pause or chime),
  during  its state while the chime played (uri, volume),
  after   its last state in the log.
With --check, exits 1 unless every --expect zone paused, chimed and came back exactly (uri,
track, transport state, volume, mute; for a queue or file the position it resumed at within
1 s of where it was paused, and a zone that was paused is paused again at its position; group
members follow their coordinator; a radio stream is live and has no position), and no
--untouched zone ever played the chime. An --overlaid zone (mode overlay or auto) played the
chime as an audio clip over its music: its clip ended DONE, nothing changed its transport (the
music played on through the clip) and it ended as it was. With --moment (the chime's scheduled moment, seconds
since the epoch), it prints each group's lateness: when the coordinator received the chime's
Play, minus the moment; --check with --late-ms also fails on a Play before the moment or more
than MS late. A speaker is one uid: a room renamed while the log ran is reported under the last
name the log gives it, its history under the names before included. A name that holds a line
break, a control or bidi character, a quote or a backslash (anyone with the Sonos app can name
a room so) is printed in double quotes with those characters escaped (\\n, \\xNN, \\uNNNN), so
one line of the report is always one line. Uses only the standard library.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta
from typing import Any


def is_read(ev: dict[str, Any]) -> bool:
    """A request that only reads (chime.py snapshots a zone with these before it changes it)."""
    action = str(ev.get("action") or "")
    return ev.get("kind") == "request" and (action.startswith(("Get", "Browse")) or "/" in action
                                            or action in ("M-SEARCH", "description"))


def load(path: str) -> list[dict[str, Any]]:
    """The events, every speaker's under its last name (a room renamed keeps its history)."""
    with open(path, encoding="utf-8") as handle:
        events = [json.loads(line) for line in handle if line.strip()]
    last_name = {ev["uid"]: ev["player"] for ev in events if ev.get("uid") and ev.get("player")}
    return [{**ev, "player": last_name[ev["uid"]]} if ev.get("uid") in last_name and ev.get("player") else ev for ev in events]


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _escaped(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isprintable():
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(text: Any) -> str:
    """A name (or URI) as the report prints it: as it is when that cannot mislead, else in
    double quotes with every character that could (a line break, a control or bidi character,
    a quote, a backslash) escaped: printed, it is always one line, and always itself."""
    text = str(text)
    if text and text.isprintable() and text == text.strip() and '"' not in text and "\\" not in text:
        return text
    return '"' + "".join(_escaped(char) for char in text) + '"'


def is_seekable(uri: str | None) -> bool:
    """A queue or a file has a position to resume from."""
    return str(uri or "").startswith(("x-rincon-queue:", "http:", "https:", "x-file-cifs:"))


def is_live_radio(uri: str | None) -> bool:
    """A radio stream is live: it has no position, and comes back at the live edge."""
    return str(uri or "").startswith(("x-sonosapi-stream:", "x-rincon-mp3radio:", "aac:", "hls-radio:"))


def describe(state: dict[str, Any] | None) -> str:
    if not state:
        return "-"
    uri = state.get("uri") or "(nothing)"
    if len(uri) > 48:
        uri = uri[:45] + "..."
    uri = shown(uri) if state.get("uri") else uri
    pos = state.get("position")
    text = f"{state.get('transport_state')} {uri}"
    if is_seekable(state.get("uri")) and pos is not None:
        text += f" track {state.get('track')} at {pos:.1f}s"
    elif is_live_radio(state.get("uri")):
        text += " (live radio: no position)"
    text += f" vol {state.get('volume')}" + (" muted" if state.get("mute") else "")
    return text


def analyse(events: list[dict[str, Any]], url: str) -> dict[str, dict[str, Any]]:
    """Per player: before, during, after of the last chime in the log (see the module doc)."""
    by_player: dict[str, list[dict[str, Any]]] = {}
    uid_of: dict[str, str] = {}
    for ev in events:
        if ev.get("player") and ev.get("transport_state") is not None:
            by_player.setdefault(ev["player"], []).append(ev)
            uid_of[ev["player"]] = ev.get("uid") or ""
    players: dict[str, dict[str, Any]] = {}
    # Coordinators: their own transport carries the chime's URL.
    for name, evs in by_player.items():
        info: dict[str, Any] = {"chimed": False, "before": evs[0], "during": None, "after": evs[-1],
                                "paused_at": None, "restored_at": None, "window": None}
        chimed = [i for i, e in enumerate(evs) if url in (e.get("uri") or "")]
        if chimed:
            first = chimed[-1]
            while first > 0 and url in (evs[first - 1].get("uri") or ""):
                first -= 1
            last = chimed[-1]
            start = first  # step back over what chime.py changed before loading the chime
            while start > 0 and not is_read(evs[start - 1]):
                start -= 1
            before = evs[start - 1] if start > 0 else evs[start]
            during = next((e for e in evs[first:last + 1] if e.get("transport_state") == "PLAYING"), evs[first])
            pauses = [e for e in evs[start:first + 1] if e.get("kind") == "state" and e.get("action") in ("Pause", "Stop")]
            back = [e for e in evs[last + 1:] if e.get("uri") == before.get("uri") and e.get("transport_state") == "PLAYING"]
            info.update(chimed=True, before=before, during=during,
                        paused_at=pauses[-1]["position"] if pauses else before.get("position"),
                        restored_at=back[0].get("position") if back else None,
                        window=(evs[start]["mono"], evs[last]["mono"], during["mono"]))
        players[name] = info
    # Group members follow their coordinator (their uri is x-rincon:<coordinator uid>).
    by_uid = {uid: name for name, uid in uid_of.items()}
    for name, evs in by_player.items():
        info = players[name]
        if info["chimed"]:
            continue
        for candidate in evs:
            uri = candidate.get("uri") or ""
            coordinator = by_uid.get(uri.removeprefix("x-rincon:")) if uri.startswith("x-rincon:") else None
            window = players.get(coordinator or "", {}).get("window")
            if window:
                t0, t1, t_during = window
                prior = [e for e in evs if e["mono"] < t0]
                # chime.py sets a group's levels alongside its switch: step back over what it
                # changed on the member before the coordinator's first change, to its last read.
                while prior and not is_read(prior[-1]):
                    prior.pop()
                playing = [e for e in evs if t_during <= e["mono"] <= t1 and e.get("transport_state") == "PLAYING"]
                inside = [e for e in evs if t0 <= e["mono"] <= t1]
                info.update(chimed=True, member_of=coordinator,
                            before=prior[-1] if prior else evs[0],
                            during=(playing[:1] or inside[-1:] or [players[coordinator]["during"]])[0])
                break
    return players


def clips(events: list[dict[str, Any]], url: str, player: str) -> list[dict[str, Any]]:
    """The player's clip events of the chime: accepted loadAudioClip requests, clip_start, clip_end."""
    return [ev for ev in events if ev.get("player") == player and url in str((ev.get("args") or {}).get("streamUrl")
            or (ev.get("args") or {}).get("url") or "") and (ev.get("action") in ("clip_start", "clip_end")
            or (ev.get("action") == "loadAudioClip" and (ev.get("result") or {}).get("success")))]


def overlay_problems(events: list[dict[str, Any]], url: str, zone: str) -> list[str]:
    mine = clips(events, url, zone)
    requests = [ev for ev in mine if ev["action"] == "loadAudioClip"]
    starts = [ev for ev in mine if ev["action"] == "clip_start"]
    ends = [ev for ev in mine if ev["action"] == "clip_end"]
    if not requests or not starts or not ends:
        return [f"{shown(zone)}: played no clip of the chime"]
    problems = [f"{shown(zone)}: the clip ended {shown(ends[-1]['args'].get('status'))}"] if ends[-1]["args"].get("status") != "DONE" else []
    before = requests[-1]
    theirs = [ev for ev in events if ev.get("player") == zone and ev.get("transport_state") is not None]
    during = [ev for ev in theirs if starts[-1]["mono"] <= ev["mono"] <= ends[-1]["mono"]]
    if any(ev.get("transport_state") != before.get("transport_state") or ev.get("uri") != before.get("uri") for ev in during):
        problems.append(f"{shown(zone)}: its music changed under the clip")
    changing = [ev for ev in theirs if ev["mono"] > before["mono"] and ev.get("kind") == "request" and not is_read(ev)
                and ev.get("action") not in ("loadAudioClip", "subscribe", "unsubscribe")]
    problems += [f"{shown(zone)}: {shown(ev['action'])} sent during an overlay" for ev in changing[:1]]
    after = theirs[-1]
    for key in ("uri", "track", "transport_state", "volume", "mute"):
        if before.get(key) != after.get(key):
            problems.append(f"{shown(zone)}: {key} was {before.get(key)!r} before the clip, {after.get(key)!r} after")
    return problems


def lateness(events: list[dict[str, Any]], url: str, moment: float) -> dict[str, float]:
    """Seconds from the moment to each coordinator's receipt of the chime's Play (the log's last
    chime: the latest Play of the URL per player)."""
    plays: dict[str, float] = {}
    for ev in events:
        if ev.get("kind") == "request" and ev.get("action") == "Play" and url in (ev.get("uri") or "") and "received" in ev:
            received = datetime.fromisoformat(ev["wall"]) - timedelta(seconds=ev["mono"] - ev["received"])
            plays[ev["player"]] = received.timestamp() - moment
    return plays


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events")
    parser.add_argument("--url", required=True, help="the chime's URL or a unique part of it")
    parser.add_argument("--expect", action="append", default=[], help="zone that must chime and be restored")
    parser.add_argument("--overlaid", action="append", default=[], help="zone that must play the chime as a clip over its music")
    parser.add_argument("--untouched", action="append", default=[], help="zone that must not chime")
    parser.add_argument("--moment", help="the chime's scheduled moment, @SECONDS since the epoch")
    parser.add_argument("--late-ms", type=float, help="with --check: the most a Play may come after the moment")
    parser.add_argument("--check", action="store_true")
    opts = parser.parse_args(argv)

    events = load(opts.events)
    players = analyse(events, opts.url)
    width = max([len(shown(n)) for n in players] + [7])
    for name in sorted(players):
        p = players[name]
        overlay = [ev for ev in clips(events, opts.url, name) if ev["action"] == "clip_start"]
        if overlay and not p["chimed"]:
            p["before"] = next(ev for ev in clips(events, opts.url, name) if ev["action"] == "loadAudioClip")
        print(f"{shown(name):<{width}}  before: {describe(p['before'])}")
        during = describe(p["during"]) if p["chimed"] else f"clip over the music: {describe(overlay[-1])}" if overlay else "(no chime)"
        if p.get("member_of"):
            during += f" (grouped with {shown(p['member_of'])}, which played the chime)"
        print(f"{'':<{width}}  during: {during}")
        print(f"{'':<{width}}  after:  {describe(p['after'])}")
    problems: list[str] = []
    for zone in opts.expect:
        p = players.get(zone)
        if not p or not p["chimed"]:
            problems.append(f"{shown(zone)}: never played the chime")
            continue
        before, after = p["before"], p["after"]
        for key in ("uri", "track", "transport_state", "volume", "mute"):
            if before.get(key) != after.get(key):
                problems.append(f"{shown(zone)}: {key} was {before.get(key)!r} before, {after.get(key)!r} after")
        # Position is only meaningful for a queue or a file; a radio stream is live.
        if is_seekable(before.get("uri")) and not p.get("member_of"):
            if before.get("transport_state") == "PLAYING":
                paused, restored = p["paused_at"], p["restored_at"]
                if paused is not None and restored is not None and abs(restored - paused) > 1.0:
                    problems.append(f"{shown(zone)}: paused at {paused:.2f}s, resumed at {restored:.2f}s")
            elif abs((after.get("position") or 0.0) - (before.get("position") or 0.0)) > 1.0:
                problems.append(f"{shown(zone)}: left {before.get('transport_state')} at {before.get('position')}s, "
                                f"found at {after.get('position')}s")
    for zone in opts.overlaid:
        problems += overlay_problems(events, opts.url, zone)
    for zone in opts.untouched:
        if players.get(zone, {}).get("chimed") or clips(events, opts.url, zone):
            problems.append(f"{shown(zone)}: played the chime but should not have")
    if opts.moment:
        late = lateness(events, opts.url, float(opts.moment.removeprefix("@")))
        print("lateness (Play received minus the moment): "
              + (", ".join(f"{shown(name)} {seconds * 1000:.0f} ms" for name, seconds in sorted(late.items())) or "no Play"))
        if opts.late_ms is not None:
            problems += [f"{shown(name)}: Play {seconds * 1000:.0f} ms after the moment (at most {opts.late_ms:g})"
                         for name, seconds in late.items() if not 0.0 <= seconds * 1000 <= opts.late_ms]
            if not late:
                problems.append("no Play of the chime to time")
    if opts.check:
        for line in problems:
            print("FAIL " + line)
        if not problems:
            print(f"OK: {len(opts.expect)} zone(s) chimed and came back as they were (music at its position, "
                  f"paused zones paused, radio live again); {len(opts.overlaid)} played it over their music; "
                  f"{len(opts.untouched)} left alone")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
