"""--at's moments, read from the forms people and timers write, and the switch's lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sonos_chime.moment import MomentError, parse_moment, switch_lead
from sonos_chime.timing import Timing

BERLIN_WINTER = timezone(timedelta(hours=1))
NOW = datetime(2026, 12, 3, 17, 29, 55, 250000, tzinfo=BERLIN_WINTER)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17:30", datetime(2026, 12, 3, 17, 30, tzinfo=BERLIN_WINTER)),
        ("17:30:00", datetime(2026, 12, 3, 17, 30, tzinfo=BERLIN_WINTER)),
        ("17:30:00.500", datetime(2026, 12, 3, 17, 30, 0, 500000, tzinfo=BERLIN_WINTER)),
        ("2026-12-03T16:30:00Z", datetime(2026, 12, 3, 17, 30, tzinfo=BERLIN_WINTER)),
        ("2026-12-04T00:00:00+01:00", datetime(2026, 12, 4, 0, 0, tzinfo=BERLIN_WINTER)),
        (f"@{datetime(2026, 12, 3, 16, 30, tzinfo=UTC).timestamp()}", datetime(2026, 12, 3, 17, 30, tzinfo=BERLIN_WINTER)),
        ("17:29:30", datetime(2026, 12, 3, 17, 29, 30, tzinfo=BERLIN_WINTER)),  # late: plays at once
    ],
)
def test_a_moment_is_read_as_people_and_timers_write_it(text: str, expected: datetime) -> None:
    assert parse_moment(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("half past five", "is not a time"),
        ("17:61", "is not a time"),
        ("2026-12-05T17:30:00+01:00", "more than a day ahead"),
        ("17:00", "passed 1795 s ago"),
        ("@1e30", "is not a time"),
    ],
)
def test_a_moment_that_cannot_be_kept_names_the_reason(text: str, reason: str) -> None:
    with pytest.raises(MomentError, match=reason):
        parse_moment(text, NOW)


def test_the_switch_starts_earlier_for_a_slower_group_and_never_later_than_the_safety() -> None:
    timing = Timing(switch_round_trips=3.0, switch_safety=0.05)
    assert switch_lead(0.0, timing) == pytest.approx(0.05)
    assert switch_lead(0.02, timing) == pytest.approx(0.11)
    assert switch_lead(0.1, timing) > switch_lead(0.02, timing)
