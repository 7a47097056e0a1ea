"""The usual approach, for comparison: what most "announce on every Sonos" scripts do.

SoCo's Snapshot on each group coordinator in turn, play the sound on each in turn, sleep
for the sound's length, restore each in turn. Run as its own process so that the bench
measures it exactly as it measures chime.py:

    python tests/bench/baseline.py URL DURATION VOLUME HOST [HOST ...]
"""

from __future__ import annotations

import sys
import time

import soco
from soco.snapshot import Snapshot


def chime_in_turn(url: str, duration: float, volume: int, hosts: list[str]) -> None:
    coordinators = [soco.SoCo(host) for host in hosts]
    snapshots = []
    for zone in coordinators:
        snapshot = Snapshot(zone)
        snapshot.snapshot()
        snapshots.append(snapshot)
    for zone in coordinators:
        zone.volume = volume
        zone.play_uri(url, title="Chime")
    time.sleep(duration)
    for snapshot in snapshots:
        snapshot.restore()


def main(argv: list[str]) -> int:
    url, duration, volume, *hosts = argv
    chime_in_turn(url, float(duration), int(volume), hosts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
