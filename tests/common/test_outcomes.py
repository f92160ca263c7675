"""The validation outcomes: one vocabulary for the verdict, its subject, status and message id."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sdi_common import subjects
from sdi_common.contracts import OUTCOMES, Judged, Organizer, Status, Submission
from sdi_common.natsconn import STAGE


def test_every_outcome_is_a_status_with_its_subject_and_one_stage():
    assert OUTCOMES == ("labelled", "rejected", "needs_review")
    assert {Status(o) for o in OUTCOMES} <= set(Status)
    assert {subjects.for_type(o) for o in OUTCOMES} == {
        subjects.LABELLED, subjects.REJECTED, subjects.NEEDS_REVIEW
    }
    assert {STAGE[o] for o in OUTCOMES} == {"judged"}


def test_a_verdict_is_one_of_the_outcomes():
    submission = Submission(
        title="Visite", kind="company_visit",
        timings=[{"starts_at": datetime(2026, 11, 18, 9, tzinfo=UTC),
                  "ends_at": datetime(2026, 11, 18, 12, tzinfo=UTC)}],
        audiences=["pupils"], is_free=True,
        informs_about_industry=True, online=True, organizer=Organizer(name="ACME", type="company"),
    )
    for outcome in OUTCOMES:
        Judged(type=outcome, submission_id="s", version=1, by="validation",
               submission=submission, edition="2026")
    with pytest.raises(ValidationError) as caught:
        Judged(type="published", submission_id="s", version=1, by="validation",
               submission=submission, edition="2026")
    assert [e["loc"] for e in caught.value.errors()] == [("type",)]
