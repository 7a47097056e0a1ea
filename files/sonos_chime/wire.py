"""Values as players write them: times, track numbers, URIs and DIDL-Lite metadata."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

# What XML 1.0 cannot carry (NUL, ESC and most other controls): a title holding one would
# make the player refuse the whole request.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def parse_duration(text: str | None) -> float | None:
    """Seconds from a player's H:MM:SS (None for NOT_IMPLEMENTED, empty or malformed)."""
    if not text:
        return None
    parts = text.strip().split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes, seconds = int(parts[0]), int(parts[1]), float(parts[2])
    except ValueError:
        return None
    return hours * 3600 + minutes * 60 + seconds


def parse_track(text: str | None) -> int:
    return int(text) if text and text.strip().isdigit() else 0


def format_duration(seconds: float) -> str:
    whole = max(0, int(seconds))
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def same_uri(reported: str, sent: str) -> bool:
    """Whether a player reports the URI it was given (it may re-encode or re-case it)."""
    if reported == sent:
        return True

    def normal(uri: str) -> tuple[str, ...]:
        parts = urlsplit(unquote(uri))
        return (parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query)

    return normal(reported) == normal(sent)


def chime_metadata(title: str) -> str:
    return (
        '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" '
        'xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" '
        'xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
        '<item id="sonos-chime" parentID="sonos-chime" restricted="true">'
        f"<dc:title>{escape(NOT_XML.sub('', title))}</dc:title>"
        "<upnp:class>object.item.audioItem.musicTrack</upnp:class>"
        "</item></DIDL-Lite>"
    )
