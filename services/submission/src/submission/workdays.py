"""Working days in France, for the committee's target (answer within N working days).

A working day is Monday to Friday, except the eleven national public holidays (Code du
travail, L3133-1), three of which move with Easter (computed, Gregorian calendar): Easter
Monday, Ascension Thursday, Whit Monday. Local holidays (Good Friday and 26 December in
Alsace-Moselle, the abolition of slavery overseas) are not counted: the committee works
to the national calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    sunday = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    return frozenset(
        [date(year, m, d) for m, d in fixed]
        + [sunday + timedelta(days=n) for n in (1, 39, 50)]  # Monday, Ascension, Whit Monday
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def _weekdays_until(day: date) -> int:
    """Mondays to Fridays from a Monday long ago up to ``day`` included."""
    weeks, rest = divmod((day - _MONDAY).days + 1, 7)
    return weeks * 5 + min(rest, 5)


_MONDAY = date(1900, 1, 1)


def working_days_between(start: datetime, end: datetime) -> int:
    """The working days that have begun since ``start``'s day, up to ``end``'s day, in
    Paris time: received on a Monday, it is 1 on the Tuesday, 4 on the Friday; received on
    a Friday, 1 on the Monday. 0 when ``end`` is on ``start``'s day or before. Counted, not
    walked: a request left from an earlier edition costs no more than today's."""
    first = start.astimezone(PARIS).date()
    last = end.astimezone(PARIS).date()
    if last <= first:
        return 0
    holidays = sum(1 for year in range(first.year, last.year + 1)
                   for day in public_holidays(year)
                   if first < day <= last and day.weekday() < 5)
    return _weekdays_until(last) - _weekdays_until(first) - holidays


def add_working_days(start: date, days: int) -> date:
    """The working day ``days`` working days after ``start`` (``start`` itself not counted):
    the day a mail promises the team's answer by."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day
