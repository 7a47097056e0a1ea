"""Sonos playlists (SQ:), favourites (FV:2) and the Queue service, through SoCo."""

from __future__ import annotations

import pytest
import soco
from soco.data_structures import DidlMusicTrack
from soco.exceptions import SoCoUPnPException
from soco.services import Queue

HOME = "six-player-home.yml"


def uris(items) -> list[str]:
    return [item.resources[0].uri for item in items]


def test_a_playlist_saved_on_one_player_is_the_households(household):
    home = household(HOME)
    living = soco.SoCo(home.players["Living Room"].ip)
    study = soco.SoCo(home.players["Study"].ip)
    playlist = living.create_sonos_playlist_from_queue("Evening")
    assert [p.item_id for p in study.get_sonos_playlists()] == [playlist.item_id]
    assert uris(study.music_library.browse(ml_item=playlist)) == uris(living.get_queue())
    study.remove_sonos_playlist(playlist)
    assert list(living.get_sonos_playlists()) == []
    with pytest.raises(SoCoUPnPException) as raised:
        living.remove_sonos_playlist(playlist)
    assert raised.value.error_code == "701"


def test_reorder_pairs_indices_of_the_playlist_as_it_was(household):
    home = household(HOME)
    living = soco.SoCo(home.players["Living Room"].ip)
    queue = uris(living.get_queue())
    playlist = living.create_sonos_playlist_from_queue("Reordered")
    result = living.reorder_sonos_playlist(playlist, tracks="0,2", new_pos=",0")
    assert result["change"] == -1 and result["length"] == 2
    assert uris(living.music_library.browse(ml_item=playlist)) == [queue[2], queue[1]]
    with pytest.raises(SoCoUPnPException) as raised:
        living.reorder_sonos_playlist(playlist, tracks="5", new_pos="0")
    assert raised.value.error_code == "402"


def test_playlist_update_id_counts_changes(household):
    home = household(HOME)
    living = soco.SoCo(home.players["Living Room"].ip)
    playlist = living.create_sonos_playlist("Empty at first")
    before = living.music_library.browse(ml_item=playlist).update_id
    living.add_item_to_sonos_playlist(living.get_queue()[0], playlist)
    after = living.music_library.browse(ml_item=playlist)
    assert after.update_id == before + 1 and after.total_matches == 1
    assert isinstance(after[0], DidlMusicTrack) and after[0].album_art_uri.startswith("/getaa?")


def test_favourite_add_rename_remove_and_bad_current_value(household):
    home = household(HOME)
    living = soco.SoCo(home.players["Living Room"].ip)
    favorite = living.favorites.add(living.get_queue()[0], title="Kind of Blue", description="Miles")
    (listed,) = soco.SoCo(home.players["Study"].ip).music_library.get_sonos_favorites()
    assert (listed.item_id, listed.title, listed.reference.title) == (favorite.item_id, "Kind of Blue", "So What")
    living.favorites.update(favorite, title="Kind of Blue (1959)")
    assert [f.title for f in living.music_library.get_sonos_favorites()] == ["Kind of Blue (1959)"]
    with pytest.raises(SoCoUPnPException) as raised:
        living.contentDirectory.UpdateObject([("ObjectID", favorite.item_id), ("CurrentTagValue", "<dc:title>Nope</dc:title>"),
                                              ("NewTagValue", "<dc:title>Other</dc:title>")])
    assert raised.value.error_code == "702"
    living.favorites.remove(favorite)
    assert list(living.music_library.get_sonos_favorites()) == []
    with pytest.raises(SoCoUPnPException) as raised:
        living.favorites.remove(favorite)
    assert raised.value.error_code == "701"


def test_queue_service_browse_and_queue_size(household):
    home = household(HOME)
    living = soco.SoCo(home.players["Living Room"].ip)
    answer = Queue(living).Browse([("QueueID", 0), ("StartingIndex", 1), ("RequestedCount", 1)])
    assert (answer["NumberReturned"], answer["TotalMatches"]) == ("1", "3")
    assert "Freddie Freeloader" in answer["Result"]
    assert living.queue_size == 3
