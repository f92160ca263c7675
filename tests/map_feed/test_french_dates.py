"""Event dates in French, in the time of the place (map_feed.french_dates)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from map_feed.french_dates import session

PARIS_WINTER = timezone(timedelta(hours=1))


def at(day: int, hour: int, minute: int = 0, tz=PARIS_WINTER, month: int = 11) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=tz)


@pytest.mark.parametrize(
    ("start", "end", "department", "said"),
    [
        (at(20, 9), at(20, 12), "59", "mercredi 20 novembre 2024, de 9 h à 12 h"),
        (at(1, 9, 30), at(1, 12, 15), "75", "vendredi 1er novembre 2024, de 9 h 30 à 12 h 15"),
        (
            at(19, 9),
            at(21, 17),
            "69",
            "du mardi 19 novembre 2024 à 9 h au jeudi 21 novembre 2024 à 17 h",
        ),
        # given in UTC (an API client): shown in Paris time
        (at(20, 8, tz=UTC), at(20, 11, tz=UTC), "13", "mercredi 20 novembre 2024, de 9 h à 12 h"),
        # online (no département): Paris time; an evening ending at midnight is the next day
        (
            at(22, 20),
            at(23, 0),
            None,
            "du vendredi 22 novembre 2024 à 20 h au samedi 23 novembre 2024 à 0 h",
        ),
        # overseas: the local time, said so
        (
            at(20, 9, tz=timezone(timedelta(hours=4))),
            at(20, 12, tz=timezone(timedelta(hours=4))),
            "974",
            "mercredi 20 novembre 2024, de 9 h à 12 h (heure de La Réunion)",
        ),
        (
            at(20, 13, tz=UTC),
            at(20, 16, tz=UTC),
            "971",
            "mercredi 20 novembre 2024, de 9 h à 12 h (heure de la Guadeloupe)",
        ),
        # summer time: Paris is UTC+2
        (
            at(1, 7, tz=UTC, month=7),
            at(1, 9, tz=UTC, month=7),
            "59",
            "lundi 1er juillet 2024, de 9 h à 11 h",
        ),
    ],
)
def test_sessions_in_french(start, end, department, said):
    text = session(start, end, department)
    assert text.replace("\u00a0", " ") == said
    assert " h" not in text  # a time never splits across lines: non-breaking spaces
