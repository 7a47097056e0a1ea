"""ContentDirectory and saved queues: Browse of the queue (Q:0), Sonos playlists (SQ:) and
favourites (FV:2), and the actions that change them.

Playlists and favourites belong to the household: every player answers with the same ones.
Item numbers are never reused, as on a real player. A playlist's or the favourites' UpdateID
counts its changes; the UpdateID a controller sends with a change is not checked.
"""

from __future__ import annotations

import re

from . import didl
from .actions import Call, Result, handles, track_for_uri
from .model import Household, SavedQueue, Track, UpnpFault

EMPTY = f"{didl.DIDL_OPEN}</DIDL-Lite>"
FAVORITES = "FV:2"
APPEND = 4294967295  # AddAtIndex meaning "at the end", as SoCo sends it


def _listing(result: str, returned: int, total: int, update_id: int) -> Result:
    return {"Result": result, "NumberReturned": str(returned), "TotalMatches": str(total), "UpdateID": str(update_id)}


def _window(items: list[str], start: int, count: int) -> list[str]:
    return items[start:start + count] if count else items[start:]


@handles("ContentDirectory", "Browse")
async def browse(call: Call) -> Result:
    object_id = call.arg("ObjectID")
    metadata_only = call.arg("BrowseFlag") == "BrowseMetadata"
    start = call.int_arg("StartingIndex", 0, 2**32)
    count = call.int_arg("RequestedCount", 0, 2**32)
    household = call.household
    if object_id in ("Q:0", "Q:"):
        return _browse_queue(call, metadata_only, start, count)
    if object_id == "SQ:":
        saved = sorted(household.saved_queues.values(), key=lambda q: q.number)[start:]
        saved = saved[:count] if count else saved
        return _listing(didl.saved_queues_didl(saved), len(saved), len(household.saved_queues), household.saved_queues_update_id)
    if object_id.startswith("SQ:"):
        return _browse_saved_queue(_saved_queue(household, object_id), metadata_only, start, count)
    if object_id == FAVORITES or object_id.startswith(FAVORITES + "/"):
        return _browse_favorites(household, object_id, start, count)
    if object_id.split(":")[0] in ("R", "A", "S", "FV", "0"):
        return _listing(EMPTY, 0, 0, 1)
    raise UpnpFault(701, "no such object")


def _browse_queue(call: Call, metadata_only: bool, start: int, count: int) -> Result:
    queue = call.player.queue
    if metadata_only:
        return _listing(didl.queue_container(call.player.uid, len(queue)), 1, 1, call.player.queue_update_id)
    chosen = queue[start:start + count] if count else queue[start:]
    return _listing(didl.queue_didl(chosen, start), len(chosen), len(queue), call.player.queue_update_id)


def _browse_saved_queue(saved: SavedQueue, metadata_only: bool, start: int, count: int) -> Result:
    if metadata_only:
        return _listing(didl.saved_queues_didl([saved]), 1, 1, saved.update_id)
    chosen = saved.tracks[start:start + count] if count else saved.tracks[start:]
    return _listing(didl.queue_didl(chosen, start, parent=saved.object_id), len(chosen), len(saved.tracks), saved.update_id)


def _browse_favorites(household: Household, object_id: str, start: int, count: int) -> Result:
    if object_id == FAVORITES:
        items = [household.favorites[number] for number in sorted(household.favorites)]
        chosen = _window(items, start, count)
        return _listing(f"{didl.DIDL_OPEN}{''.join(chosen)}</DIDL-Lite>", len(chosen), len(items), household.favorites_update_id)
    item = household.favorites.get(_number(object_id, FAVORITES + "/"))
    if item is None:
        raise UpnpFault(701, "no such object")
    return _listing(f"{didl.DIDL_OPEN}{item}</DIDL-Lite>", 1, 1, household.favorites_update_id)


def _number(object_id: str, prefix: str) -> int:
    try:
        return int(object_id[len(prefix):])
    except ValueError as exc:
        raise UpnpFault(701, "no such object") from exc


def _saved_queue(household: Household, object_id: str) -> SavedQueue:
    saved = household.saved_queues.get(_number(object_id, "SQ:")) if object_id.startswith("SQ:") else None
    if saved is None:
        raise UpnpFault(701, "no such object")
    return saved


# ---- saved queues (AVTransport) -------------------------------------------------------


def _new_saved_queue(household: Household, title: str, tracks: list[Track]) -> SavedQueue:
    number = household.next_saved_queue
    household.next_saved_queue += 1
    saved = SavedQueue(number=number, title=title, tracks=tracks)
    household.saved_queues[number] = saved
    household.saved_queues_update_id += 1
    return saved


def _changed(household: Household, saved: SavedQueue) -> None:
    saved.update_id += 1
    household.saved_queues_update_id += 1


@handles("AVTransport", "SaveQueue")
async def save_queue(call: Call) -> Result:
    household, title, object_id = call.household, call.arg("Title"), call.arg("ObjectID")
    tracks = [track.copy() for track in call.coordinator.queue]
    if object_id:
        saved = _saved_queue(household, object_id)
        saved.title, saved.tracks = title, tracks
        _changed(household, saved)
    else:
        saved = _new_saved_queue(household, title, tracks)
    return {"AssignedObjectID": saved.object_id}


@handles("AVTransport", "CreateSavedQueue")
async def create_saved_queue(call: Call) -> Result:
    uri = call.arg("EnqueuedURI")
    tracks = [await track_for_uri(call.household, call.player, uri, call.arg("EnqueuedURIMetaData"))] if uri else []
    saved = _new_saved_queue(call.household, call.arg("Title"), tracks)
    return {"NumTracksAdded": str(len(tracks)), "NewQueueLength": str(len(tracks)), "AssignedObjectID": saved.object_id,
            "NewUpdateID": str(saved.update_id)}


@handles("AVTransport", "AddURIToSavedQueue")
async def add_uri_to_saved_queue(call: Call) -> Result:
    saved = _saved_queue(call.household, call.arg("ObjectID"))
    track = await track_for_uri(call.household, call.player, call.arg("EnqueuedURI"), call.arg("EnqueuedURIMetaData"))
    index = call.int_arg("AddAtIndex", 0, APPEND)
    saved.tracks.insert(min(index, len(saved.tracks)), track)
    _changed(call.household, saved)
    return {"NumTracksAdded": "1", "NewQueueLength": str(len(saved.tracks)), "NewUpdateID": str(saved.update_id)}


@handles("AVTransport", "ReorderTracksInSavedQueue")
async def reorder_tracks_in_saved_queue(call: Call) -> Result:
    """TrackList and NewPositionList pair 0-based indices of the playlist as it was; an empty
    new position removes the track."""
    saved = _saved_queue(call.household, call.arg("ObjectID"))
    before = len(saved.tracks)
    saved.tracks = reordered(saved.tracks, call.arg("TrackList"), call.arg("NewPositionList"))
    _changed(call.household, saved)
    return {"QueueLengthChange": str(len(saved.tracks) - before), "NewQueueLength": str(len(saved.tracks)),
            "NewUpdateID": str(saved.update_id)}


def reordered(tracks: list[Track], track_list: str, position_list: str) -> list[Track]:
    indices = _indices(track_list, len(tracks))
    positions = position_list.split(",") if position_list else []
    positions += [""] * (len(indices) - len(positions))
    if len(positions) != len(indices):
        raise UpnpFault(402, "TrackList and NewPositionList differ in length")
    moved = {index: position for index, position in zip(indices, positions, strict=True)}
    result = [track for index, track in enumerate(tracks) if index not in moved]
    placed = sorted((int(position), index) for index, position in moved.items() if position.strip())
    for position, index in placed:
        result.insert(min(position, len(result)), tracks[index])
    return result


def _indices(track_list: str, length: int) -> list[int]:
    try:
        indices = [int(part) for part in track_list.split(",")]
    except ValueError as exc:
        raise UpnpFault(402, "TrackList is not a list of numbers") from exc
    if any(not 0 <= index < length for index in indices) or len(set(indices)) != len(indices):
        raise UpnpFault(402, "TrackList names a track that is not there")
    return indices


# ---- favourites and removal (ContentDirectory) ------------------------------------------

_WRAPPER = re.compile(r"^\s*<DIDL-Lite[^>]*>(.*)</DIDL-Lite>\s*$", re.DOTALL)


@handles("ContentDirectory", "CreateObject")
async def create_object(call: Call) -> Result:
    household = call.household
    if call.arg("ContainerID") != FAVORITES:
        raise UpnpFault(710, "no such container")
    match = _WRAPPER.match(call.arg("Elements"))
    if match is None or not match.group(1).lstrip().startswith("<item") or "<dc:title>" not in match.group(1):
        raise UpnpFault(712, "bad metadata")
    number = household.next_favorite
    household.next_favorite += 1
    object_id = f"{FAVORITES}/{number}"
    item = re.sub(r'^<item id="[^"]*"', f'<item id="{object_id}"', match.group(1).strip(), count=1)
    household.favorites[number] = item
    household.favorites_update_id += 1
    return {"ObjectID": object_id, "Result": f"{didl.DIDL_OPEN}{item}</DIDL-Lite>"}


@handles("ContentDirectory", "UpdateObject")
async def update_object(call: Call) -> Result:
    """Replace each fragment of CurrentTagValue with the one at its place in NewTagValue; an
    empty current fragment adds the new one."""
    household = call.household
    number = _number(call.arg("ObjectID"), FAVORITES + "/")
    item = household.favorites.get(number)
    if item is None:
        raise UpnpFault(701, "no such object")
    current, new = _fragments(call.arg("CurrentTagValue")), _fragments(call.arg("NewTagValue"))
    if len(current) != len(new):
        raise UpnpFault(706, "parameter mismatch")
    for old_fragment, new_fragment in zip(current, new, strict=True):
        if re.fullmatch(r"<([\w:]+)>\s*</\1>|<[\w:]+/>", new_fragment):
            raise UpnpFault(712, "a favourite's properties cannot be emptied")
        if not old_fragment:
            item = item.replace("</item>", f"{new_fragment}</item>", 1)
        elif old_fragment in item:
            item = item.replace(old_fragment, new_fragment, 1)
        else:
            raise UpnpFault(702, "invalid CurrentTagValue")
    household.favorites[number] = item
    household.favorites_update_id += 1
    return {}


def _fragments(value: str) -> list[str]:
    """Split a TagValueList at the commas between elements (commas inside text stay)."""
    return re.split(r"(?<=>),(?=<)|^,|,$", value) if value else [""]


@handles("ContentDirectory", "DestroyObject")
async def destroy_object(call: Call) -> Result:
    household, object_id = call.household, call.arg("ObjectID")
    if object_id.startswith(FAVORITES + "/"):
        if household.favorites.pop(_number(object_id, FAVORITES + "/"), None) is None:
            raise UpnpFault(701, "no such object")
        household.favorites_update_id += 1
        return {}
    saved = _saved_queue(household, object_id)
    del household.saved_queues[saved.number]
    household.saved_queues_update_id += 1
    return {}


# ---- the Queue service ------------------------------------------------------------------


@handles("Queue", "Browse")
async def queue_browse(call: Call) -> Result:
    if call.arg("QueueID") != "0":
        raise UpnpFault(701, "no such queue")
    start = call.int_arg("StartingIndex", 0, 2**32)
    count = call.int_arg("RequestedCount", 0, 2**32)
    queue = call.coordinator.queue
    chosen = queue[start:start + count] if count else queue[start:]
    return _listing(didl.queue_didl(chosen, start), len(chosen), len(queue), call.coordinator.queue_update_id)
