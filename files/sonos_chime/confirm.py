"""A step whose answer was lost is not yet a failure: the player may have carried it out and
answered too late. It is looked at before deciding: a step it carried out stands."""

from __future__ import annotations

from collections.abc import Callable

from .errors import PlayerError
from .player import Player
from .snapshot import PAUSED, PLAYING_STATES
from .wire import parse_duration, parse_track, same_uri

POSITION_TOLERANCE = 1.0  # seconds: players report whole seconds


def confirmed(step: Callable[[], None], took: Callable[[], bool]) -> None:
    """Run a step; if its answer is lost, ask the player whether it took. It did: the step
    stands. It did not, or says nothing either: the lost answer is raised as before."""
    try:
        step()
    except PlayerError as error:
        if not error.lost or not _looks_done(took):
            raise


def _looks_done(took: Callable[[], bool]) -> bool:
    try:
        return took()
    except PlayerError:
        return False


def source_is(player: Player, uri: str) -> Callable[[], bool]:
    return lambda: same_uri(player.media_info().get("CurrentURI", ""), uri)


def track_is(player: Player, track: int) -> Callable[[], bool]:
    return lambda: parse_track(player.position_info().get("Track")) == track


def position_near(player: Player, target: str) -> Callable[[], bool]:
    def near() -> bool:
        wanted, now = parse_duration(target), parse_duration(player.position_info().get("RelTime"))
        return wanted is not None and now is not None and abs(now - wanted) <= POSITION_TOLERANCE

    return near


def now_playing(player: Player) -> Callable[[], bool]:
    return lambda: player.transport_state() in PLAYING_STATES


def now_paused(player: Player) -> Callable[[], bool]:
    return lambda: player.transport_state() == PAUSED
