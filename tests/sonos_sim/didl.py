"""DIDL-Lite metadata as players return it (queue items, track metadata, radio stations)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .model import Track

DIDL_OPEN = (
    '<DIDL-Lite xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:upnp="urn:schemas-upnp-org:metadata-1-0/upnp/" '
    'xmlns:r="urn:schemas-rinconnetworks-com:metadata-1-0/" '
    'xmlns="urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/">'
)


def hms(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def parse_hms(text: str) -> float:
    parts = text.strip().split(":")
    if len(parts) != 3:
        raise ValueError(text)
    hours, minutes, seconds = (float(p) for p in parts)
    return hours * 3600 + minutes * 60 + seconds


def _track_item(track: Track, item_id: str, parent_id: str) -> str:
    return (
        f"<item id={quoteattr(item_id)} parentID={quoteattr(parent_id)} restricted=\"true\">"
        f'<res protocolInfo="x-file-cifs:*:audio/mpeg:*" duration="{hms(track.duration)}">{escape(track.uri)}</res>'
        f"<dc:title>{escape(track.title)}</dc:title><upnp:class>object.item.audioItem.musicTrack</upnp:class>"
        f"<dc:creator>{escape(track.artist)}</dc:creator><upnp:album>{escape(track.album)}</upnp:album>"
        "</item>"
    )


def queue_didl(tracks: list[Track], start: int) -> str:
    items = "".join(_track_item(t, f"Q:0/{start + i + 1}", "Q:0") for i, t in enumerate(tracks))
    return f"{DIDL_OPEN}{items}</DIDL-Lite>"


def track_didl(track: Track) -> str:
    return f"{DIDL_OPEN}{_track_item(track, '-1', '-1')}</DIDL-Lite>"


def stream_didl(title: str, stream_content: str) -> str:
    return (
        f'{DIDL_OPEN}<item id="-1" parentID="-1" restricted="true">'
        '<res protocolInfo="sonos.com-http:*:application/octet-stream:*"></res>'
        f"<r:streamContent>{escape(stream_content)}</r:streamContent>"
        f"<dc:title>{escape(title)}</dc:title><upnp:class>object.item</upnp:class></item></DIDL-Lite>"
    )


def station_didl(title: str) -> str:
    return (
        f'{DIDL_OPEN}<item id="-1" parentID="-1" restricted="true"><dc:title>{escape(title)}</dc:title>'
        '<upnp:class>object.item.audioItem.audioBroadcast</upnp:class>'
        '<desc id="cdudn" nameSpace="urn:schemas-rinconnetworks-com:metadata-1-0/">SA_RINCON65031_</desc>'
        "</item></DIDL-Lite>"
    )
