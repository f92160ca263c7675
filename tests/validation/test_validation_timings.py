"""The window rule judges every timing of an event (issue 16): a table of cases at the
window's bounds (3 November and 9 December 2024, Paris dates, bounds included), across
time zones, and with 100 timings; the message names each timing out of the window."""

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest
from validation.rules import judge

from .conftest import PARIS

WINDOW = "L'événement doit se dérouler entre le 3 novembre et le 9 décembre 2024 ; "
REUNION = timezone(timedelta(hours=4))
NEW_YORK = timezone(timedelta(hours=-5))
AZORES = timezone(timedelta(hours=-1))


def paris(month, day, hour=9, minute=0):
    return datetime(2024, month, day, hour, minute, tzinfo=PARIS)


def session(start, hours=3):
    return {"starts_at": start, "ends_at": start + timedelta(hours=hours)}


INSIDE = [session(paris(11, 19)), session(paris(11, 19, 14)), session(paris(11, 21))]

CASES = [
    # (case, timings, expected message tail or None when labelled)
    ("three sessions inside", INSIDE, None),
    ("first at 00:00 on the first day, last ending 23:59 on the last day",
     [session(paris(11, 3, 0)), session(paris(12, 9, 20, 59))], None),
    ("one day before the window, then two inside",
     [session(paris(11, 2, 20)), *INSIDE[1:]],
     "la séance n° 1 sur 3 a lieu le 2 novembre."),
    ("the last one runs past midnight after the last day",
     [*INSIDE, {"starts_at": paris(12, 9, 22), "ends_at": paris(12, 10, 2)}],
     "la séance n° 4 sur 4 se termine le 10 décembre."),
    ("two sessions outside, one inside",
     [session(paris(10, 31)), INSIDE[0], session(paris(12, 12))],
     "la séance n° 1 sur 3 a lieu le 31 octobre ; la séance n° 3 sur 3 a lieu le 12 décembre."),
    ("a session spanning the whole window and beyond",
     [session(paris(10, 30)), {"starts_at": paris(11, 1), "ends_at": paris(12, 11)}],
     ("la séance n° 1 sur 2 a lieu le 30 octobre ; la séance n° 2 sur 2 commence le "
     "1er novembre et se termine le 11 décembre.")),
    # across time zones: the Paris date decides
    ("La Réunion, 2 a.m. on 3 November there = 2 November 23:00 in Paris",
     [session(datetime(2024, 11, 3, 2, tzinfo=REUNION), 0.5), INSIDE[1]],
     "la séance n° 1 sur 2 a lieu le 2 novembre."),
    ("La Réunion, 4 a.m. on 3 November there = 3 November 01:00 in Paris",
     [session(datetime(2024, 11, 3, 4, tzinfo=REUNION), 1), INSIDE[1]], None),
    ("New York, 6:30 p.m. on 9 December there = 10 December 00:30 in Paris",
     [INSIDE[0], session(datetime(2024, 12, 9, 18, 30, tzinfo=NEW_YORK), 1)],
     "la séance n° 2 sur 2 a lieu le 10 décembre."),
    ("Azores, 11:30 p.m. on 2 November there = 3 November 01:30 in Paris",
     [session(datetime(2024, 11, 2, 23, 30, tzinfo=AZORES), 1), INSIDE[1]], None),
    ("UTC, 23:30 on 9 December = 10 December 00:30 in Paris",
     [INSIDE[0], session(datetime(2024, 12, 9, 23, 30, tzinfo=UTC), 1)],
     "la séance n° 2 sur 2 a lieu le 10 décembre."),
    ("one timing keeps the message of one start and one end",
     [session(paris(12, 8, 20), 52)], "il se termine le 11 décembre."),
    ("100 sessions inside", [session(paris(11, 3) + timedelta(hours=8 * i), 2)
                             for i in range(100)], None),
    ("100 sessions, the last five outside: three named, the others counted",
     [session(paris(11, 3) + timedelta(hours=8 * i), 2) for i in range(95)]
     + [session(paris(12, 20) + timedelta(days=i), 2) for i in range(5)],
     ("la séance n° 96 sur 100 a lieu le 20 décembre ; la séance n° 97 sur 100 a lieu le "
     "21 décembre ; la séance n° 98 sur 100 a lieu le 22 décembre ; et 2 autres séances "
     "hors de la période.")),
    ("100 sessions, the first and the last outside", None,  # built below
     ("la séance n° 1 sur 100 a lieu le 2 novembre ; la séance n° 100 sur 100 a lieu le "
     "12 décembre.")),
]


def _hundred_with_two_outside():
    inside = [session(paris(11, 3, 10) + timedelta(hours=8 * i), 2) for i in range(98)]
    return [session(paris(11, 2, 10)), *inside, session(paris(12, 12))]


CASES[-1] = (CASES[-1][0], _hundred_with_two_outside(), CASES[-1][2])


@pytest.mark.parametrize(("timings", "tail"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_timing_is_judged(make_submission, edition_2024, on_time, timings, tail):
    verdict = judge(make_submission(timings=timings), on_time, edition_2024)
    if tail is None:
        assert verdict.codes == [], verdict.reasons
        assert verdict.outcome == "labelled"
    else:
        assert verdict.outcome == "rejected"
        assert [(r.code, r.message) for r in verdict.reasons] == [("out_of_period", WINDOW + tail)]


def test_the_table_holds_the_cases_it_names():
    by_name = {name: timings for name, timings, _ in CASES}
    assert all(len(v) == 100 for k, v in by_name.items() if k.startswith("100"))
    for timings in by_name.values():  # as the intake hands them over: sorted, not overlapping
        assert all(a["ends_at"] <= b["starts_at"] for a, b in itertools.pairwise(timings))
