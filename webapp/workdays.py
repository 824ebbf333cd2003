"""Working-day arithmetic with French public holidays."""
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _holidays(year: int):
    return holidays.France(years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start` (same time of day)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current
