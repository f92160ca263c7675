"""Working days: weekends and the French public holidays, the moving ones from Easter."""

from datetime import UTC, date, datetime, timedelta

import pytest
from submission.workdays import (
    PARIS,
    add_working_days,
    easter,
    public_holidays,
    working_days_between,
)


@pytest.mark.parametrize("year, sunday", [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)),
                                          (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28)),
                                          (2038, date(2038, 4, 25)), (2285, date(2285, 3, 22))])
def test_easter(year, sunday):
    assert easter(year) == sunday


def test_the_eleven_holidays_of_2026():
    assert sorted(public_holidays(2026)) == [
        date(2026, 1, 1), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 8),
        date(2026, 5, 14), date(2026, 5, 25), date(2026, 7, 14), date(2026, 8, 15),
        date(2026, 11, 1), date(2026, 11, 11), date(2026, 12, 25),
    ]


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize("start, end, days", [
    (paris(2026, 11, 2, 10), paris(2026, 11, 2, 18), 0),      # same day
    (paris(2026, 11, 2, 10), paris(2026, 11, 3, 9), 1),       # Monday -> Tuesday
    (paris(2026, 11, 2, 10), paris(2026, 11, 6, 9), 4),       # Monday -> Friday: the target
    (paris(2026, 11, 6, 17), paris(2026, 11, 9, 8), 1),       # Friday -> Monday
    (paris(2026, 11, 9, 10), paris(2026, 11, 13, 10), 3),     # 11 November is a Wednesday
    (paris(2026, 5, 13, 10), paris(2026, 5, 26, 10), 7),      # Ascension and Whit Monday
    (paris(2026, 12, 24, 10), paris(2027, 1, 4, 10), 5),      # 25 Dec and 1 Jan (Fridays)
    (paris(2026, 11, 3, 10), paris(2026, 11, 2, 10), 0),      # end before start
])
def test_working_days_between(start, end, days):
    assert working_days_between(start, end) == days


def test_days_are_counted_in_paris_time():
    # 23:30 UTC on Monday is already Tuesday in Paris
    start = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    assert working_days_between(start, paris(2026, 11, 4, 9)) == 1


def test_long_spans_agree_with_a_day_by_day_count():
    start = paris(2026, 1, 1, 12)
    for n in (0, 3, 6, 7, 8, 13, 14, 15, 60, 400):
        end = start + timedelta(days=n)
        expected = sum(1 for k in range(1, n + 1)
                       if (d := (start + timedelta(days=k)).date()).weekday() < 5
                       and d not in public_holidays(d.year))
        assert working_days_between(start, end) == expected, n


def test_the_day_a_mail_promises_skips_weekends_and_holidays():
    # from Friday 6 November 2026: Mon 9, Tue 10, (Armistice on Wed 11), Thu 12, Fri 13
    assert add_working_days(date(2026, 11, 6), 4) == date(2026, 11, 13)
    # Whit Monday 2026 is 25 May: from Friday 22, the first working day is Tuesday 26
    assert add_working_days(date(2026, 5, 22), 1) == date(2026, 5, 26)
    assert add_working_days(date(2026, 5, 22), 0) == date(2026, 5, 22)


def test_the_needs_review_mail_promises_the_committees_target():
    from submission.mail.messages import Context, Links, compose

    letter = compose("needs_review", Context(
        title="Visite", submission_id="s1", links=Links(page="https://x/organisateur/#id=s1"),
        review_by=add_working_days(date(2026, 11, 6), 4), review_days=4))
    assert "L'équipe vous répond d'ici le vendredi 13 novembre 2026 (4 jours ouvrés)." in (
        letter.closing[0])
