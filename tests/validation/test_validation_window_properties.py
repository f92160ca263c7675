"""Property-based tests of the date window and the deadline, across time zones and DST.

The oracle is written differently from the code: the window is turned into a half-open
interval of *instants* [first day 00:00 Paris, day after the last 00:00 Paris), and an
event date is in the window iff its instant falls inside; the code compares Paris *dates*.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sdi_common.editions import Edition
from validation.rules import judge

PARIS = ZoneInfo("Europe/Paris")
ZONES = [
    "Europe/Paris", "UTC", "America/Guadeloupe", "America/Cayenne", "Indian/Reunion",
    "Pacific/Noumea", "Pacific/Tahiti", "America/New_York", "Asia/Tokyo", "Europe/London",
    "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu",
]  # fmt: skip

# Editions whose bounds fall on DST changes in Paris (2024: 31 Mar, 27 Oct; 2025: 30 Mar)
EDITIONS = [
    Edition(name="2024", week_start=date(2024, 11, 18), week_end=date(2024, 11, 24),
            tolerance_days=15, submissions_close_at=datetime(2024, 11, 12, tzinfo=PARIS)),
    Edition(name="dst-autumn", week_start=date(2024, 10, 27), week_end=date(2024, 11, 2),
            tolerance_days=0, submissions_close_at=datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=PARIS)),
    Edition(name="dst-spring", week_start=date(2025, 3, 23), week_end=date(2025, 3, 30),
            tolerance_days=0, submissions_close_at=datetime(2025, 3, 30, 3, 0, tzinfo=PARIS)),
    Edition(name="new-year", week_start=date(2024, 12, 30), week_end=date(2025, 1, 3),
            tolerance_days=3, submissions_close_at=datetime(2024, 12, 31, 23, 0, tzinfo=UTC)),
]  # fmt: skip


def instant_bounds(edition: Edition) -> tuple[datetime, datetime]:
    first, last = edition.window()
    lo = datetime.combine(first, time(0), tzinfo=PARIS).astimezone(UTC)
    hi = datetime.combine(last + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(UTC)
    return lo, hi


def in_window_oracle(edition: Edition, moment: datetime) -> bool:
    lo, hi = instant_bounds(edition)
    return lo <= moment.astimezone(UTC) < hi


@st.composite
def near_bounds(draw, edition: Edition):
    """An instant within ±36 h of a window bound, expressed in a random time zone."""
    lo, hi = instant_bounds(edition)
    bound = draw(st.sampled_from([lo, hi]))
    offset = draw(st.integers(min_value=-36 * 3600, max_value=36 * 3600))
    jitter = draw(st.sampled_from([0, 1, -1, 999_999]))
    moment = bound + timedelta(seconds=offset, microseconds=jitter)
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    return moment.astimezone(zone)


@settings(max_examples=400, deadline=None)
@given(data=st.data(), edition=st.sampled_from(EDITIONS))
def test_out_of_period_matches_instant_oracle(make_submission_fn, data, edition):
    start = data.draw(near_bounds(edition), label="start")
    end = data.draw(near_bounds(edition), label="end")
    s = make_submission_fn(starts_at=start, ends_at=end)
    verdict = judge(s, edition.submissions_close_at - timedelta(days=1), edition)
    expected_out = not (in_window_oracle(edition, start) and in_window_oracle(edition, end))
    assert ("out_of_period" in verdict.codes) == expected_out
    assert verdict.outcome == ("rejected" if expected_out else "labelled")


@settings(max_examples=300, deadline=None)
@given(
    edition=st.sampled_from(EDITIONS),
    local=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31)),
    zone=st.sampled_from(ZONES),
    fold=st.sampled_from([0, 1]),
)
@example(EDITIONS[1], datetime(2024, 10, 27, 2, 30), "Europe/Paris", 0)  # ambiguous hour
@example(EDITIONS[1], datetime(2024, 10, 26, 23, 59, 59), "Europe/Paris", 0)
@example(EDITIONS[2], datetime(2025, 3, 30, 2, 30), "Europe/Paris", 0)  # non-existent hour
@example(EDITIONS[2], datetime(2025, 3, 31, 0, 0), "Europe/Paris", 0)
def test_any_local_time_in_any_zone(make_submission_fn, edition, local, zone, fold):
    moment = local.replace(tzinfo=ZoneInfo(zone), fold=fold)
    s = make_submission_fn(starts_at=moment, ends_at=moment)
    verdict = judge(s, edition.submissions_close_at - timedelta(seconds=1), edition)
    assert ("out_of_period" in verdict.codes) == (not in_window_oracle(edition, moment))


@settings(max_examples=300, deadline=None)
@given(
    edition=st.sampled_from(EDITIONS),
    offset=st.integers(min_value=-3 * 86400 * 10**6, max_value=3 * 86400 * 10**6),
    zone=st.sampled_from(ZONES),
)
@example(EDITIONS[0], 0, "UTC")
@example(EDITIONS[0], -1, "Pacific/Noumea")
@example(EDITIONS[1], 0, "Europe/Paris")
def test_late_iff_at_or_after_close(make_submission_fn, edition, offset, zone):
    # arithmetic in UTC: wall-clock arithmetic in Paris would drop the fold of 2:30 CET
    received = (
        edition.submissions_close_at.astimezone(UTC) + timedelta(microseconds=offset)
    ).astimezone(ZoneInfo(zone))
    verdict = judge(make_submission_fn(), received, edition)
    late = received.astimezone(UTC) >= edition.submissions_close_at.astimezone(UTC)
    assert ("late_submission" in verdict.codes) == late


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_message_names_the_offending_paris_date(make_submission_fn, data):
    edition = EDITIONS[0]
    end = data.draw(near_bounds(edition))
    start = datetime(2024, 11, 20, 10, tzinfo=PARIS)
    verdict = judge(make_submission_fn(starts_at=start, ends_at=end), datetime(2024, 10, 1, tzinfo=UTC), edition)
    if in_window_oracle(edition, end):
        assert verdict.codes == []
        return
    (reason,) = verdict.reasons
    paris_day = end.astimezone(PARIS).date()
    from validation.french import MONTHS

    day = "1er" if paris_day.day == 1 else str(paris_day.day)
    assert reason.message.startswith(
        "L'événement doit se dérouler entre le 3 novembre et le 9 décembre 2024 ; "
    )
    assert f"se termine le {day} {MONTHS[paris_day.month - 1]}." in reason.message


def test_deadline_in_the_repeated_hour():
    """2:30 happens twice on 27 Oct 2024 in Paris; the deadline is the second (CET) one."""
    edition = EDITIONS[1]
    first_230 = datetime(2024, 10, 27, 2, 30, fold=0, tzinfo=PARIS)  # 00:30 UTC
    second_230 = datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=PARIS)  # 01:30 UTC
    assert not edition.is_late(first_230)
    assert edition.is_late(second_230)
