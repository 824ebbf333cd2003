"""Working days (jours ouvrés): weekends and French public holidays are never counted."""
from datetime import date, datetime, timedelta

import pytest

from webapp.workdays import add_working_days, is_working_day


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm), independent of the app's library."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month = (h + l_ - 7 * m + 114) // 31
    day = ((h + l_ - 7 * m + 114) % 31) + 1
    return date(year, month, day)


def french_holidays(year: int) -> set[date]:
    """The eleven jours fériés of metropolitan France (code du travail, L3133-1)."""
    sunday = easter(year)
    return {date(year, 1, 1), sunday + timedelta(days=1), date(year, 5, 1), date(year, 5, 8),
            sunday + timedelta(days=39), sunday + timedelta(days=50), date(year, 7, 14),
            date(year, 8, 15), date(year, 11, 1), date(year, 11, 11), date(year, 12, 25)}


def reference_add(start: datetime, days: int) -> datetime:
    """A naive reference: walk day by day over weekdays that are not public holidays."""
    current, left = start, days
    while left:
        current += timedelta(days=1)
        if current.weekday() < 5 and current.date() not in french_holidays(current.year):
            left -= 1
    return current


def test_easter_reference_is_right():
    """Is the test's own Easter computation right (known dates), so the reference can be trusted?"""
    assert [easter(y) for y in (2024, 2025, 2026, 2027)] == \
        [date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5), date(2027, 3, 28)]


@pytest.mark.parametrize("day, name", [
    (date(2026, 1, 1), "jour de l'an"), (date(2026, 4, 6), "lundi de Pâques"),
    (date(2026, 5, 1), "1er mai"), (date(2026, 5, 8), "8 mai"), (date(2026, 5, 14), "Ascension"),
    (date(2026, 5, 25), "lundi de Pentecôte"), (date(2026, 7, 14), "14 juillet"),
    (date(2025, 8, 15), "15 août"), (date(2026, 11, 11), "11 novembre"),
    (date(2026, 12, 25), "Noël"), (date(2025, 11, 1), "Toussaint (un samedi)"),
])
def test_public_holidays_are_not_working_days(day, name):
    """Is each French public holiday a non-working day, while the day before (a weekday) is one?"""
    assert not is_working_day(day), name
    before = day - timedelta(days=1)
    while before.weekday() >= 5:
        before -= timedelta(days=1)
    assert is_working_day(before), before


def test_weekends_are_not_working_days():
    """Are Saturday and Sunday non-working and an ordinary Monday to Friday working?"""
    week = [date(2026, 3, 9) + timedelta(days=n) for n in range(7)]  # Monday 9 March 2026
    assert [is_working_day(d) for d in week] == [True] * 5 + [False] * 2


@pytest.mark.parametrize("start, days, expected", [
    # 1 May 2026 is a Friday: Thursday + 1 working day is the next Monday
    (datetime(2026, 4, 30, 10, 15), 1, datetime(2026, 5, 4, 10, 15)),
    # 8 May 2026, a Friday as well
    (datetime(2026, 5, 7, 16, 0), 1, datetime(2026, 5, 11, 16, 0)),
    # Ascension Thursday 14 May 2026
    (datetime(2026, 5, 13, 9, 0), 1, datetime(2026, 5, 15, 9, 0)),
    # Both May holidays inside a reminder delay: Monday 27 April + 5 = Tuesday 5 May
    (datetime(2026, 4, 27, 9, 0), 5, datetime(2026, 5, 5, 9, 0)),
    # 14 July 2026 is a Tuesday
    (datetime(2026, 7, 13, 8, 30), 1, datetime(2026, 7, 15, 8, 30)),
    (datetime(2026, 7, 10, 8, 30), 5, datetime(2026, 7, 20, 8, 30)),
    # 15 August 2025 is a Friday; in 2026 it falls on a Saturday and changes nothing
    (datetime(2025, 8, 14, 11, 0), 1, datetime(2025, 8, 18, 11, 0)),
    (datetime(2026, 8, 14, 11, 0), 1, datetime(2026, 8, 17, 11, 0)),
    # 11 November 2026 is a Wednesday
    (datetime(2026, 11, 10, 14, 0), 1, datetime(2026, 11, 12, 14, 0)),
    # Christmas (Friday) and New Year's Day (Friday) across the year boundary
    (datetime(2026, 12, 24, 17, 45), 1, datetime(2026, 12, 28, 17, 45)),
    (datetime(2026, 12, 31, 17, 45), 1, datetime(2027, 1, 4, 17, 45)),
    # Weekends: Friday, Saturday and Sunday + 1 all give Monday; Monday + 5 is the next Monday
    (datetime(2026, 3, 13, 12, 0), 1, datetime(2026, 3, 16, 12, 0)),
    (datetime(2026, 3, 14, 12, 0), 1, datetime(2026, 3, 16, 12, 0)),
    (datetime(2026, 3, 15, 12, 0), 1, datetime(2026, 3, 16, 12, 0)),
    (datetime(2026, 3, 9, 12, 0), 5, datetime(2026, 3, 16, 12, 0)),
    # Zero days is the start itself
    (datetime(2026, 5, 1, 12, 0), 0, datetime(2026, 5, 1, 12, 0)),
])
def test_add_working_days_around_holidays_and_weekends(start, days, expected):
    """Does adding working days skip weekends and holidays, keeping the time of day?"""
    assert add_working_days(start, days) == expected


def test_thirty_working_days_cross_every_spring_holiday():
    """Do 30 working days from Monday 27 April 2026 skip 1 May, 8 May, Ascension and Whit Monday?"""
    assert add_working_days(datetime(2026, 4, 27, 9, 0), 30) == datetime(2026, 6, 12, 9, 0)


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_every_day_of_the_year_matches_the_reference(year):
    """For every start day of a year and the referral delays (1, 2, 5, 10, 30), does
    add_working_days agree with an independent walk over the legal holiday list?"""
    day = datetime(year, 1, 1, 9, 30)
    while day.year == year:
        assert is_working_day(day.date()) == (day.weekday() < 5 and day.date() not in french_holidays(year))
        for days in (1, 2, 5, 10, 30):
            assert add_working_days(day, days) == reference_add(day, days), (day, days)
        day += timedelta(days=1)
