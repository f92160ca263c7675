"""The intake's timings (issue 16): 1 to 100 sessions, each with its offset, each ending
after it starts, none overlapping another; any order (kept sorted); the body of contract
version 1 (``starts_at``/``ends_at``) still accepted as one timing. A table of cases."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from submission.field_errors import InvalidInput, parse_submission
from submission.intake_model import SubmissionIn

from .submission_support import LEGACY_DATES, make_payload


def t(start: str, end: str) -> dict[str, str]:
    return {"starts_at": f"2026-11-{start}", "ends_at": f"2026-11-{end}"}


NINE = t("18T09:00:00+01:00", "18T12:00:00+01:00")
TWO = t("18T14:00:00+01:00", "18T17:00:00+01:00")
THURSDAY = t("20T09:00:00+01:00", "20T12:00:00+01:00")


def hundred(extra: int = 0) -> list[dict[str, str]]:
    base = datetime.fromisoformat("2026-11-01T08:00:00+01:00")
    return [{"starts_at": (base + timedelta(hours=5 * i)).isoformat(),
             "ends_at": (base + timedelta(hours=5 * i + 2)).isoformat()}
            for i in range(100 + extra)]


#: (case, timings, the errors {field: code}; {} = accepted)
CASES = [
    ("one timing", [NINE], {}),
    ("three sessions, two days", [NINE, TWO, THURSDAY], {}),
    ("given in any order", [THURSDAY, NINE, TWO], {}),
    ("one starting when the other ends", [NINE, t("18T12:00:00+01:00", "18T13:00:00+01:00")], {}),
    ("across time zones, not overlapping (09:00+01:00 ends when 08:00Z starts)",
     [NINE, t("18T11:00:00Z", "18T12:00:00Z")], {}),
    ("across time zones, overlapping (11:00+01:00 is 10:00Z)",
     [NINE, t("18T10:30:00Z", "18T12:00:00Z")], {"timings.1": "timings_overlap"}),
    ("the same session twice", [NINE, NINE], {"timings.1": "timings_overlap"}),
    ("a long one covering two short ones", [t("18T08:00:00+01:00", "18T18:00:00+01:00"),
                                            NINE, TWO],
     {"timings.1": "timings_overlap", "timings.2": "timings_overlap"}),
    ("overlapping, given out of order", [TWO, t("18T13:00:00+01:00", "18T15:00:00+01:00")],
     {"timings.0": "timings_overlap"}),
    ("ending before it starts", [NINE, t("19T10:00:00+01:00", "19T09:00:00+01:00")],
     {"timings.1.ends_at": "ends_before_start"}),
    ("ending when it starts", [t("19T10:00:00+01:00", "19T10:00:00+01:00")],
     {"timings.0.ends_at": "ends_before_start"}),
    ("without a time zone", [NINE, t("19T10:00:00", "19T12:00:00+01:00")],
     {"timings.1.starts_at": "offset_required"}),
    ("a date without a time", [{"starts_at": "2026-11-19", "ends_at": "2026-11-19"}],
     {"timings.0.starts_at": "invalid_datetime", "timings.0.ends_at": "invalid_datetime"}),
    ("a missing end", [{"starts_at": "2026-11-19T10:00:00+01:00"}],
     {"timings.0.ends_at": "required"}),
    ("an unknown field in a timing", [{**NINE, "room": "A"}], {"timings.0.room": "unknown_field"}),
    ("none", [], {"timings": "too_short"}),
    ("100 sessions", hundred(), {}),
    ("101 sessions", hundred(1), {"timings": "too_long"}),
]


@pytest.mark.parametrize(("timings", "errors"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_timings(timings, errors):
    body = make_payload(timings=timings)
    if not errors:
        submission = parse_submission(body).to_submission()
        assert len(submission.timings) == len(timings)
        starts = [x.starts_at for x in submission.timings]
        assert starts == sorted(starts)
        assert submission.starts_at == starts[0]
        assert submission.ends_at == max(x.ends_at for x in submission.timings)
        return
    with pytest.raises(InvalidInput) as caught:
        parse_submission(body)
    assert {e["field"]: e["code"] for e in caught.value.errors} == errors


def test_an_overlap_names_both_sessions_in_french():
    with pytest.raises(InvalidInput) as caught:
        parse_submission(make_payload(timings=[TWO, t("18T16:00:00+01:00", "18T18:00:00+01:00")]))
    (error,) = caught.value.errors
    assert error["message"].startswith("La séance n° 2 chevauche la séance n° 1 :")


#: (case, the dates of the body, the errors)
DATES = [
    ("version 1: one start and one end", {"timings": ..., **LEGACY_DATES}, {}),
    ("version 1 with timings too", {**LEGACY_DATES},
     {"starts_at": "dates_with_timings", "ends_at": "dates_with_timings"}),
    ("version 1 without its end", {"timings": ..., "starts_at": LEGACY_DATES["starts_at"]},
     {"ends_at": "required"}),
    ("no date at all", {"timings": ...}, {"timings": "required"}),
]


@pytest.mark.parametrize(("changes", "errors"), [c[1:] for c in DATES], ids=[c[0] for c in DATES])
def test_the_dates_of_contract_version_1(changes, errors):
    body = make_payload(**changes)
    if not errors:
        (timing,) = parse_submission(body).to_submission().timings
        assert timing.starts_at.isoformat() == LEGACY_DATES["starts_at"]
        assert timing.ends_at.isoformat() == LEGACY_DATES["ends_at"]
        return
    with pytest.raises(InvalidInput) as caught:
        parse_submission(body)
    assert {e["field"]: e["code"] for e in caught.value.errors} == errors


def test_the_schema_says_timings_or_the_two_dates():
    schema = SubmissionIn.model_json_schema()
    assert {"anyOf": [{"required": ["timings"]}, {"required": ["starts_at", "ends_at"]}]} \
        in schema["allOf"]
    timings = schema["properties"]["timings"]
    assert (timings["minItems"], timings["maxItems"], "default" in timings) == (1, 100, False)
    assert "default" not in schema["properties"]["starts_at"]


def test_accessibility_codes_are_kept_once_in_their_order():
    body = make_payload(accessibility_codes=["visual", "motor", "visual"])
    assert parse_submission(body).to_submission().accessibility_codes == ["motor", "visual"]
    with pytest.raises(InvalidInput) as caught:
        parse_submission(make_payload(accessibility_codes=["wheelchair"]))
    assert [(e["field"], e["code"]) for e in caught.value.errors] == [
        ("accessibility_codes.0", "not_allowed")]
