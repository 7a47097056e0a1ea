"""Source kinds as the policy names them, and values as players write them."""

from __future__ import annotations

import pytest
from sonos_chime.sources import DEFAULT_POLICY, SOURCE_KINDS, classify_source
from sonos_chime.wire import format_duration, parse_duration, parse_track, same_uri


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("", "idle"),
        ("x-rincon-queue:RINCON_000E58A0123401400#0", "queue"),
        ("x-rincon-queue:RINCON_000E58A0123401400#7", "cloud_queue"),
        ("x-sonosapi-stream:s24861?sid=254&flags=8224&sn=0", "radio"),
        ("x-sonosapi-radio:ST%3aaHR0cHM6Ly9?sid=236", "radio"),
        ("x-rincon-mp3radio://stream.example/radio.mp3", "radio"),
        ("aac://stream.example/radio", "radio"),
        ("hls-radio://stream.example/radio.m3u8", "radio"),
        ("x-sonosapi-hls:Api%3atune?sid=284", "radio"),
        ("http://192.0.2.5/song.mp3", "uri"),
        ("https://192.0.2.5/song.mp3", "uri"),
        ("x-file-cifs://nas/music/song.flac", "uri"),
        ("x-rincon-stream:RINCON_000E58A0123401400", "line_in"),
        ("x-sonos-htastream:RINCON_000E58A0123401400:spdif", "tv"),
        ("x-sonos-vli:RINCON_000E58A0123401400:1,spotify:abc", "cloud"),
        ("x-rincon-airplay:RINCON_000E58A0123401400", "cloud"),
        ("x-sonos-spotify:spotify%3atrack%3a123?sid=12", "cloud"),
        ("x-rincon:RINCON_000E58A0123401400", "unknown"),
        ("x-something-new:abc", "unknown"),
    ],
)
def test_sources_are_classified_like_the_policy_names_them(uri: str, kind: str) -> None:
    assert classify_source(uri) == kind


def test_every_kind_has_a_default_and_only_resumable_ones_are_interrupted() -> None:
    assert set(DEFAULT_POLICY) == set(SOURCE_KINDS)
    assert [kind for kind in SOURCE_KINDS if DEFAULT_POLICY[kind] == "interrupt"] == ["queue", "radio", "uri", "idle"]


def test_times_and_tracks_are_read_and_written_as_players_do() -> None:
    assert parse_duration("0:01:40") == 100
    assert parse_duration("1:00:00.500") == 3600.5
    assert parse_duration("NOT_IMPLEMENTED") is None
    assert parse_duration("") is None
    assert parse_duration("1:xx:00") is None
    assert format_duration(100.9) == "0:01:40"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(-3) == "0:00:00"
    assert (parse_track("3"), parse_track(""), parse_track("NOT_IMPLEMENTED")) == (3, 0, 0)


def test_a_uri_the_player_re_encodes_is_still_ours() -> None:
    sent = "http://Chime-Host:8080/chimes/fin de journée.mp3"
    assert same_uri("http://chime-host:8080/chimes/fin%20de%20journ%C3%A9e.mp3", sent)
    assert not same_uri("http://chime-host:8080/chimes/other.mp3", sent)
