"""Days off: the dates a chime does not play (public holidays, the family's own days off).

The timer still fires on such a day; chime.py decides at the chime's moment, says why in the
journal, and sends nothing to any speaker. Holidays are the `holidays` package's (imported only
when a chime names a country); its countries and subdivisions are listed in holiday_regions.py
so that preflight checks them on the controller without the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .holiday_regions import REGIONS

DATE_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?")


@dataclass(frozen=True)
class HolidayRule:
    country: str
    subdiv: str | None = None

    def describe(self) -> str:
        return self.country if self.subdiv is None else f"{self.country}-{self.subdiv}"


@dataclass(frozen=True)
class DateRange:
    first: date
    last: date  # included

    @property
    def text(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first.isoformat()}..{self.last.isoformat()}"

    def holds(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class DaysOff:
    holidays: HolidayRule | None = None
    dates: tuple[DateRange, ...] = ()

    def reason(self, day: date) -> str | None:
        """Why `day` is a day off for the chime, or None when it plays."""
        for dates in self.dates:
            if dates.holds(day):
                return f"a day off ({dates.text}, skip_dates)"
        if self.holidays is not None:
            name = holiday_name(self.holidays, day)
            if name is not None:
                return f"a public holiday in {self.holidays.describe()}: {name}"
        return None


def holiday_name(rule: HolidayRule, day: date) -> str | None:
    import holidays  # a chime that names no country never pays for it

    # Names in English whatever the service's locale (the package would follow LANG).
    calendar = holidays.country_holidays(rule.country, subdiv=rule.subdiv, years=day.year, language="en_US")
    name = calendar.get(day)
    return None if name is None else str(name)


def parse_region(country: str, subdiv: str | None) -> HolidayRule:
    """A country (and subdivision) the holidays package knows, or ValueError saying which it knows."""
    if country not in REGIONS:
        raise ValueError(f"{country!r} is not a country the holidays package knows (ISO 3166 codes: US, GB, FR, DE, ...)")
    if subdiv is not None and subdiv not in REGIONS[country]:
        known = ", ".join(REGIONS[country]) or "none"
        raise ValueError(f"{subdiv!r} is not a subdivision of {country} (known: {known})")
    return HolidayRule(country, subdiv)


def parse_date_range(text: str) -> DateRange:
    """`YYYY-MM-DD` or `YYYY-MM-DD..YYYY-MM-DD` (both days included), or ValueError saying why."""
    match = DATE_RANGE.fullmatch(text.strip())
    if match is None:
        raise ValueError("is not a date (YYYY-MM-DD) or a range of dates (YYYY-MM-DD..YYYY-MM-DD)")
    try:
        first = date.fromisoformat(match[1])
        last = date.fromisoformat(match[2]) if match[2] else first
    except ValueError as error:
        raise ValueError(f"is not a day of the calendar ({error})") from None
    if last < first:
        raise ValueError("ends before it begins")
    return DateRange(first, last)
