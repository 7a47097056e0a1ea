"""DIDL-Lite metadata as players return it (queue items, track metadata, radio stations)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from .model import SavedQueue, Track, album_art_path

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


NS = {
    "didl": "urn:schemas-upnp-org:metadata-1-0/DIDL-Lite/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "upnp": "urn:schemas-upnp-org:metadata-1-0/upnp/",
    "r": "urn:schemas-rinconnetworks-com:metadata-1-0/",
}


def _track_item(track: Track, item_id: str, parent_id: str, in_transport: bool = False) -> str:
    """A queue or playlist entry; as the current track (in_transport) it also carries the
    stream fields a player adds there."""
    stream_fields = "<r:streamContent></r:streamContent><r:radioShowMd></r:radioShowMd>" if in_transport else ""
    art = f"<upnp:albumArtURI>{escape(track.album_art)}</upnp:albumArtURI>" if track.album_art else ""
    return (
        f"<item id={quoteattr(item_id)} parentID={quoteattr(parent_id)} restricted=\"true\">"
        f'<res protocolInfo="{_protocol_info(track.uri)}" duration="{hms(track.duration)}">{escape(track.uri)}</res>'
        f"{stream_fields}{art}<dc:title>{escape(track.title)}</dc:title><upnp:class>object.item.audioItem.musicTrack</upnp:class>"
        f"<dc:creator>{escape(track.artist)}</dc:creator><upnp:album>{escape(track.album)}</upnp:album>"
        "</item>"
    )


def _protocol_info(uri: str) -> str:
    if uri.startswith(("http://", "https://")):
        return "http-get:*:audio/mpeg:*"
    return "x-file-cifs:*:audio/mpeg:*"


def queue_didl(tracks: list[Track], start: int, parent: str = "Q:0") -> str:
    items = "".join(_track_item(t, f"{parent}/{start + i + 1}", parent) for i, t in enumerate(tracks))
    return f"{DIDL_OPEN}{items}</DIDL-Lite>"


def queue_container(uid: str, length: int) -> str:
    """Browse of Q:0 with BrowseMetadata: the queue itself, its length in childCount."""
    return (
        f'{DIDL_OPEN}<container id="Q:0" parentID="Q:" restricted="true" childCount="{length}">'
        "<dc:title>Queue Instance 0</dc:title><upnp:class>object.container.playlistContainer</upnp:class>"
        f'<res protocolInfo="x-rincon-queue:*:*:*">x-rincon-queue:{uid}#0</res></container></DIDL-Lite>'
    )


def saved_queues_didl(saved: list[SavedQueue]) -> str:
    containers = "".join(
        f'<container id="{q.object_id}" parentID="SQ:" restricted="true"><dc:title>{escape(q.title)}</dc:title>'
        "<upnp:class>object.container.playlistContainer</upnp:class>"
        f'<res protocolInfo="file:*:audio/mpegurl:*">file:///jffs/settings/savedqueues.rsq#{q.number}</res></container>'
        for q in saved
    )
    return f"{DIDL_OPEN}{containers}</DIDL-Lite>"


def track_didl(track: Track) -> str:
    return f"{DIDL_OPEN}{_track_item(track, '-1', '-1', in_transport=True)}</DIDL-Lite>"


def track_from_metadata(uri: str, metadata: str, duration: float) -> Track:
    """The entry a player makes of a URI and the DIDL sent with it (title falls back to the file name)."""
    item = _first_item(metadata)
    fields = {"title": "dc:title", "artist": "dc:creator", "album": "upnp:album", "album_art": "upnp:albumArtURI"}
    found = {name: item.findtext(path, "", NS) if item is not None else "" for name, path in fields.items()}
    return Track(uri=uri, title=found["title"] or uri.rsplit("/", 1)[-1], duration=duration, artist=found["artist"],
                 album=found["album"], album_art=found["album_art"] or album_art_path(uri))


def _first_item(metadata: str) -> ET.Element | None:
    try:
        root = ET.fromstring(metadata)
    except ET.ParseError:
        return None
    item = root.find("didl:item", NS)
    return item if item is not None else root.find("didl:container", NS)


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


# A soundbar playing its TV input, as Home Assistant's tv_event fixture has it from a real
# Arc's AVTransport event (tests/components/sonos/conftest.py): the track is an item titled
# " " with no res; the transport URI's metadata names the input "spdif-input", titled with
# the player's uid. The upnp:class is not in the fixture (SoCo drops it): object.item here.
def tv_track_didl() -> str:
    return f'{DIDL_OPEN}<item id="-1" parentID="-1" restricted="true"><dc:title> </dc:title><upnp:class>object.item</upnp:class></item></DIDL-Lite>'


def tv_input_didl(uid: str) -> str:
    return (
        f'{DIDL_OPEN}<item id="spdif-input" parentID="0" restricted="false"><dc:title>{escape(uid)}</dc:title>'
        "<upnp:class>object.item</upnp:class></item></DIDL-Lite>"
    )
