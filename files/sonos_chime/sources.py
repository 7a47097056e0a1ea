"""Kinds of source a group can be playing, and what to do about each (the source policy).

This is the one list of source kinds: config.yml's `sources`, the role's
`sonos_chime_sources` and the README all name these.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

INTERRUPT = "interrupt"
SKIP = "skip"
POLICIES = (INTERRUPT, SKIP)

# Kind of source -> what a chime does to a zone playing it, unless the config says otherwise.
DEFAULT_POLICY: Mapping[str, str] = MappingProxyType(
    {
        "queue": INTERRUPT,  # x-rincon-queue:<uid>#0
        "radio": INTERRUPT,  # x-sonosapi-stream:, x-sonosapi-radio:, x-rincon-mp3radio:, aac:, hls-radio:
        "uri": INTERRUPT,  # plain http(s):// or a file share
        "idle": INTERRUPT,  # nothing loaded
        "line_in": SKIP,  # x-rincon-stream:
        "tv": SKIP,  # x-sonos-htastream:
        "cloud": SKIP,  # x-sonos-vli:, x-rincon-airplay: (sessions controlled from elsewhere)
        "cloud_queue": SKIP,  # x-rincon-queue:...#N with N != 0 (Spotify Connect and the like)
    }
)
SOURCE_KINDS = tuple(DEFAULT_POLICY)

# A source chime.py cannot name is never interrupted: it could not be put back.
UNKNOWN = "unknown"

QUEUE_PREFIX = "x-rincon-queue:"
_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("radio", ("x-sonosapi-stream:", "x-sonosapi-radio:", "x-rincon-mp3radio:", "aac:", "hls-radio:", "x-sonosapi-hls:")),
    ("uri", ("http://", "https://", "x-file-cifs:")),
    ("line_in", ("x-rincon-stream:",)),
    ("tv", ("x-sonos-htastream:",)),
    # x-sonos-spotify: is a track of a music service: it cannot be resumed without the service.
    ("cloud", ("x-sonos-vli:", "x-rincon-airplay:", "x-sonos-spotify:")),
)


def classify_source(uri: str) -> str:
    """The kind of source (a key of the source policy) a coordinator's CurrentURI names."""
    if not uri:
        return "idle"
    if uri.startswith(QUEUE_PREFIX):
        return "queue" if uri.rpartition("#")[2] == "0" else "cloud_queue"
    for kind, prefixes in _PREFIXES:
        if uri.startswith(prefixes):
            return kind
    return UNKNOWN


def own_queue_uri(coordinator_uid: str) -> str:
    return f"{QUEUE_PREFIX}{coordinator_uid}#0"
