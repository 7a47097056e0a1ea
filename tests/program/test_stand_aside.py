"""A zone that stood aside for another zone of the run takes that zone's outcome once every zone
is done (settle_stand_asides): "chimed with its group" only when the group that zone's chime
went to held this zone's player."""

from __future__ import annotations

from sonos_chime.job import Outcome, ZoneResult
from sonos_chime.zone import settle_stand_asides

GROUP = frozenset({"RINCON_LR", "RINCON_K", "RINCON_D"})


def aside(zone: str, uid: str, leader: str) -> ZoneResult:
    return ZoneResult(zone, Outcome.WITH_GROUP, f'"{leader}" comes first in this chime and plays for this group',
                      played_by=leader, group="Living Room+Kitchen+Dining", zone_uid=uid)


def played(zone: str, outcome: Outcome, detail: str, played_for: frozenset[str] = GROUP) -> ZoneResult:
    return ZoneResult(zone, outcome, detail, played_for=played_for)


def test_a_zone_in_the_group_the_leader_chimed_is_chimed_with_it() -> None:
    settled = settle_stand_asides([played("Living Room", Outcome.CHIMED, "resumed"), aside("Kitchen", "RINCON_K", "Living Room")])
    assert settled[1].outcome == Outcome.WITH_GROUP and settled[1].outcome.chimed
    assert settled[1].detail == "chimed with \"Living Room\"'s group"


def test_a_zone_the_leader_chimed_without_is_skipped_and_says_the_groups_changed() -> None:
    """The leader waited for the group's lock; meanwhile the zone left the group, and the leader
    played for what its group was by then."""
    leader = played("Living Room", Outcome.CHIMED, "resumed", frozenset({"RINCON_LR"}))
    settled = settle_stand_asides([leader, aside("Kitchen", "RINCON_K", "Living Room")])
    assert settled[1].outcome == Outcome.SKIPPED
    assert settled[1].detail == '"Living Room" chimed a group this zone was no longer in (the groups changed)'


def test_a_zone_whose_leader_left_no_result_is_skipped_and_says_so() -> None:
    [settled] = settle_stand_asides([aside("Kitchen", "RINCON_K", "Living Room")])
    assert settled.outcome == Outcome.SKIPPED
    assert settled.detail == '"Living Room" was to play for this group and left no result'


def test_a_zone_whose_leader_stood_aside_in_turn_follows_the_zone_that_played() -> None:
    settled = settle_stand_asides([
        aside("Dining", "RINCON_D", "Kitchen"), aside("Kitchen", "RINCON_K", "Living Room"),
        played("Living Room", Outcome.OVERLAID, "clip ended"),
    ])
    assert [result.outcome for result in settled] == [Outcome.WITH_GROUP, Outcome.WITH_GROUP, Outcome.OVERLAID]
    assert settled[0].played_for == GROUP


def test_two_zones_standing_aside_for_each_other_are_skipped() -> None:
    settled = settle_stand_asides([aside("Kitchen", "RINCON_K", "Dining"), aside("Dining", "RINCON_D", "Kitchen")])
    assert [result.outcome for result in settled] == [Outcome.SKIPPED, Outcome.SKIPPED], settled


def test_a_zone_whose_leader_failed_is_skipped_with_the_reason() -> None:
    settled = settle_stand_asides([played("Living Room", Outcome.FAILED, "chime refused: 701", frozenset()),
                                   aside("Kitchen", "RINCON_K", "Living Room")])
    assert settled[1].outcome == Outcome.SKIPPED
    assert settled[1].detail == '"Living Room" plays for this group, which failed: chime refused: 701'
