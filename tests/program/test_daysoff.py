"""Days off: the regions table is the pinned holidays package's, holidays and dates decide a day."""

from __future__ import annotations

from datetime import date

import holidays
import pytest
from sonos_chime.daysoff import (
    DateRange,
    DaysOff,
    HolidayRule,
    parse_date_range,
    parse_region,
)
from sonos_chime.holiday_regions import HOLIDAYS_VERSION, REGIONS


def test_the_regions_table_is_the_installed_packages() -> None:
    # After changing the pin in files/requirements.txt: python scripts/holiday-regions.py
    assert HOLIDAYS_VERSION == holidays.__version__
    assert {country: tuple(subdivisions) for country, subdivisions in holidays.list_supported_countries().items()} == REGIONS


def test_the_pin_is_the_one_deployed() -> None:
    from pathlib import Path

    requirements = (Path(__file__).resolve().parents[2] / "files" / "requirements.txt").read_text(encoding="utf-8")
    assert f"holidays=={HOLIDAYS_VERSION}\n" in requirements


@pytest.mark.parametrize(("rule", "day", "holiday"), [
    (HolidayRule("FR"), date(2026, 12, 25), True),
    (HolidayRule("FR"), date(2026, 7, 14), True),
    (HolidayRule("FR"), date(2026, 7, 15), False),
    (HolidayRule("DE", "BY"), date(2026, 1, 6), True),  # Epiphany: Bavaria's, not Berlin's
    (HolidayRule("DE", "BE"), date(2026, 1, 6), False),
    (HolidayRule("US"), date(2026, 11, 26), True),  # Thanksgiving, the fourth Thursday
    (HolidayRule("US"), date(2026, 11, 19), False),
])
def test_a_public_holiday_is_a_day_off_by_country_and_subdivision(rule: HolidayRule, day: date, holiday: bool) -> None:
    reason = DaysOff(holidays=rule).reason(day)
    assert (reason is not None) == holiday
    if holiday:
        assert str(reason).startswith(f"a public holiday in {rule.describe()}: ")


def test_dates_and_ranges_include_both_ends_and_come_first() -> None:
    days = DaysOff(holidays=HolidayRule("FR"), dates=(parse_date_range("2026-12-24..2027-01-02"), parse_date_range("2027-05-14")))
    assert days.reason(date(2026, 12, 24)) == "a day off (2026-12-24..2027-01-02, skip_dates)"
    assert days.reason(date(2026, 12, 25)) == "a day off (2026-12-24..2027-01-02, skip_dates)"
    assert days.reason(date(2027, 1, 2)) == "a day off (2026-12-24..2027-01-02, skip_dates)"
    assert days.reason(date(2027, 5, 14)) == "a day off (2027-05-14, skip_dates)"
    assert days.reason(date(2027, 1, 3)) is None
    assert DaysOff().reason(date(2026, 12, 25)) is None


@pytest.mark.parametrize(("text", "reason"), [
    ("2026-02-30", "is not a day of the calendar"),
    ("2026-12-24..2026-12-23", "ends before it begins"),
    ("24.12.2026", "is not a date"),
    ("2026-12-24...2026-12-26", "is not a date"),
    ("2026-12-24 ..2026-12-26", "is not a date"),
])
def test_a_bad_date_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_date_range(text)


def test_a_region_must_be_one_the_package_knows() -> None:
    assert parse_region("DE", "BY") == HolidayRule("DE", "BY")
    assert DateRange(date(2026, 1, 1), date(2026, 1, 1)).text == "2026-01-01"
    with pytest.raises(ValueError, match="'XX' is not a country"):
        parse_region("XX", None)
    with pytest.raises(ValueError, match=r"'ZZ' is not a subdivision of DE \(known: BB, BE, BW, BY"):
        parse_region("DE", "ZZ")
