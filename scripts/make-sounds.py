#!/usr/bin/env python3
"""Synthesize the chimes this project ships (files/sounds/*.mp3). Our own sounds, our licence.

Soft bell tones (a few inharmonic-free partials with exponential decay and a gentle attack),
mixed in pure Python, written as 16-bit mono WAV and encoded to MP3 with LAME from Debian
(`apt-get install lame`). Deterministic: the same script and LAME give the same bytes.

    python3 scripts/make-sounds.py [OUTPUT_DIR]      # default files/sounds
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

RATE = 44100
# (ratio to the fundamental, relative amplitude, decay time constant in seconds)
PARTIALS = [(1.0, 1.0, 1.1), (2.0, 0.32, 0.55), (3.0, 0.10, 0.32), (4.16, 0.05, 0.18)]
NOTE = {"G4": 392.00, "C5": 523.25, "E5": 659.25, "G5": 783.99, "C6": 1046.50}

# name -> (length in seconds, [(start s, note, loudness)], title)
SOUNDS = {
    "soft-bells.mp3": (3.0, [(0.00, "C5", 0.9), (0.28, "E5", 0.8), (0.56, "G5", 0.75), (0.84, "C6", 0.6)],
                       "Soft bells"),
    "ding-dong.mp3": (2.4, [(0.00, "E5", 0.9), (0.55, "C5", 1.0)], "Ding dong"),
}


def render(length: float, notes: list[tuple[float, str, float]]) -> list[float]:
    n = int(length * RATE)
    out = [0.0] * n
    attack = int(0.006 * RATE)
    for start, name, loud in notes:
        f0 = NOTE[name]
        first = int(start * RATE)
        for ratio, amp, tau in PARTIALS:
            w = 2 * math.pi * f0 * ratio / RATE
            k = math.exp(-1.0 / (tau * RATE))
            env = loud * amp
            for i in range(first, n):
                j = i - first
                a = env * (j / attack if j < attack else 1.0)
                out[i] += a * math.sin(w * j)
                env *= k
                if env < 1e-5:
                    break
    fade = int(0.25 * RATE)
    for i in range(n - fade, n):
        out[i] *= (n - i) / fade
    peak = max(abs(x) for x in out) or 1.0
    return [x / peak * 0.7 for x in out]  # about -3 dBFS: leaves room for the MP3 encoder


def main() -> int:
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "files", "sounds")
    lame = shutil.which("lame")
    if not lame:
        print("make-sounds: LAME is missing (apt-get install lame)", file=sys.stderr)
        return 1
    os.makedirs(out_dir, exist_ok=True)
    for name, (length, notes, title) in SOUNDS.items():
        samples = render(length, notes)
        with tempfile.TemporaryDirectory() as tmp:
            wav_path = os.path.join(tmp, "sound.wav")
            with wave.open(wav_path, "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(RATE)
                w.writeframes(b"".join(struct.pack("<h", int(x * 32767)) for x in samples))
            subprocess.run(
                [lame, "--silent", "-m", "m", "-b", "96", "--cbr", "--noreplaygain",
                 "--tt", title, "--ta", "sonos-chime", "--tc", "Synthesized by sonos-chime, MIT licence",
                 "--add-id3v2", wav_path, os.path.join(out_dir, name)],
                check=True,
            )
        print(f"make-sounds: {name} ({length:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
