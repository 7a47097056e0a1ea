"""Days off (skip_dates, skip_holidays): on such a day the run sends nothing to any speaker."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chime_helpers import changing_requests, outcomes, requests

ZONES = ["Living Room", "Study"]


def test_a_chime_on_a_day_off_touches_no_speaker_and_says_why(household: Any, chime_setup: Any) -> None:
    home = household("six-player-home.yml")
    today = date.today()
    setup = chime_setup(home, ZONES, skip_dates=[f"{today - timedelta(days=1)}..{today + timedelta(days=1)}"])

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    span = f"{today - timedelta(days=1)}..{today + timedelta(days=1)}"
    assert f'chime="Test" skipped: a day off ({span}, skip_dates): no speaker touched' in run.stderr
    assert requests(home.events()) == []  # not even a read


def test_a_chime_on_another_day_plays(household: Any, chime_setup: Any, sounds: Any) -> None:
    home = household("six-player-home.yml")
    tomorrow = date.today() + timedelta(days=1)
    setup = chime_setup(home, ZONES, skip_dates=[str(tomorrow), "2020-01-01..2020-12-31"])

    run = setup.run("Test")

    assert run.returncode == 0, run.stderr
    assert "skipped: a day off" not in run.stderr
    assert outcomes(run.stderr) == {"Living Room": "ok", "Study": "skipped"}  # Study plays its line-in: the source policy
    assert {e["player"] for e in changing_requests(home.events()) if e["action"] == "SetAVTransportURI"} == {"Living Room"}
