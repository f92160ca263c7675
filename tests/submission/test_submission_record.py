"""The submission record as state tables: what each command may do in each status, and
where each event takes each status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sdi_common.contracts import (
    ContactErased,
    Decided,
    Geocoded,
    GeoResult,
    Judged,
    LocationUnresolved,
    Point,
    Published,
    Reason,
    Received,
    Relocated,
    Status,
    Submission,
    Withdrawn,
)
from submission.record import Command, SubmissionRecord, apply

from .submission_support import public_submission

SUB = public_submission()
ONLINE = SUB.model_copy(update={"online": True, "online_url": "https://visio.example/x",
                                "location": None})
ID = "r" * 32
GEO = GeoResult(point=Point(lon=4.84, lat=45.75), precision="housenumber", source="ban",
                department="69", city="Lyon", citycode="69387", region="84")
REASON = Reason(code="x", message="Motif.")


def received(version=1, submission=SUB):
    return Received(submission_id=ID, version=version, by="organizer", submission=submission,
                    received_at=datetime(2026, 11, 1, 8, tzinfo=UTC))


EVENTS = {
    "labelled": lambda: Judged(type="labelled", submission_id=ID, version=1, by="validation",
                               submission=SUB, edition="2026"),
    "rejected": lambda: Judged(type="rejected", submission_id=ID, version=1, by="validation",
                               submission=SUB, edition="2026", reasons=[REASON]),
    "needs_review": lambda: Judged(type="needs_review", submission_id=ID, version=1,
                                   by="validation", submission=SUB, edition="2026",
                                   reasons=[REASON]),
    "decided:label": lambda: Decided(submission_id=ID, version=1, by="operator:a",
                                     decision="label", submission=SUB),
    "decided:reject": lambda: Decided(submission_id=ID, version=1, by="operator:a",
                                      decision="reject", reason="Non.", submission=SUB),
    "geocoded": lambda: Geocoded(submission_id=ID, version=1, by="geocoding", submission=SUB,
                                 location=GEO),
    "location_unresolved": lambda: LocationUnresolved(submission_id=ID, version=1,
                                                      by="geocoding", submission=SUB,
                                                      reason=REASON),
    "relocated": lambda: Relocated(submission_id=ID, version=1, by="operator:a", submission=SUB,
                                   location=GEO.model_copy(update={"precision": "operator"})),
    "published": lambda: Published(submission_id=ID, version=1, by="map-feed", feed_revision=4),
    "withdrawn": lambda: Withdrawn(submission_id=ID, version=1, by="organizer"),
    "received:v2": lambda: received(version=2),
    "contact_erased": lambda: ContactErased(submission_id=ID, version=1, by="retention"),
}

#: the events that lead a new submission to each status
PATHS = {
    Status.received: [],
    Status.labelled: ["labelled"],
    Status.rejected: ["rejected"],
    Status.needs_review: ["needs_review"],
    Status.published: ["labelled", "geocoded", "published"],
    Status.location_unresolved: ["labelled", "location_unresolved"],
    Status.withdrawn: ["withdrawn"],
}


def reach(status: Status, submission: Submission = SUB) -> SubmissionRecord:
    record = apply(None, received(submission=submission)).record
    for name in PATHS[status]:
        record = apply(record, EVENTS[name]()).record
        # what a store does between two events: the record survives its document
        assert SubmissionRecord.from_document(record.to_document()) == record
    assert record.status == status
    return record


# --------------------------------------------------------------------------- commands

OK = None
#: status -> what each command meets: OK, or the code of the 409
#:                      amend        withdraw  decide           relocate         rejudge      erase
COMMANDS = {
    Status.received:            (OK,          OK,  "not_in_review", "not_placeable", OK,          OK),
    Status.labelled:            (OK,          OK,  "not_in_review", OK,              OK,          OK),
    Status.rejected:            (OK,          OK,  "not_in_review", "not_placeable", OK,          OK),
    Status.needs_review:        (OK,          OK,  OK,              "not_placeable", OK,          OK),
    Status.published:           (OK,          OK,  "not_in_review", OK,              OK,          OK),
    Status.location_unresolved: (OK,          OK,  "not_in_review", OK,              OK,          OK),
    Status.withdrawn:           ("withdrawn", OK,  "not_in_review", "not_placeable", "withdrawn", OK),
}
ORDER = (Command.amend, Command.withdraw, Command.decide, Command.relocate, Command.rejudge,
         Command.erase_contact)


def code_of(record: SubmissionRecord, command: Command, **kw) -> str | None:
    refused = record.refusal(command, **kw)
    return refused.code if refused else None


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("command", ORDER)
def test_what_each_command_may_do_in_each_status(status, command):
    expected = COMMANDS[status][ORDER.index(command)]
    assert code_of(reach(status), command) == expected


@pytest.mark.parametrize("status", list(Status))
def test_after_the_deadline_no_amendment_but_the_rest_as_before(status):
    record = reach(status)
    expected = "withdrawn" if status is Status.withdrawn else "deadline_passed"
    assert code_of(record, Command.amend, late=True) == expected
    for command in ORDER[1:]:
        assert code_of(record, command, late=True) == COMMANDS[status][ORDER.index(command)]


@pytest.mark.parametrize("status", list(Status))
def test_an_online_event_has_no_place_to_set(status):
    assert code_of(reach(status, ONLINE), Command.relocate) == "online_event"


def test_the_events_the_commands_make():
    review = reach(Status.needs_review)
    decided = review.decision("reject", "Hors sujet.", by="operator:a")
    assert (decided.type, decided.version, decided.decision, decided.reason) == (
        "decided", 1, "reject", "Hors sujet.")
    amended = review.amendment(SUB, "sealed", by="organizer")
    assert amended.version == 2 and amended.contact_sealed == "sealed"
    rejudged = review.rejudgement(by="operator:a")
    assert rejudged.version == 2 and rejudged.received_at == review.received_at
    assert reach(Status.withdrawn).withdrawal(by="organizer") is None
    assert review.withdrawal(by="organizer").version == 1
    placed = reach(Status.location_unresolved).relocation(Point(lon=5.0, lat=45.0), by="operator:a")
    assert placed.location.precision == "operator" and placed.location.point.lon == 5.0
    assert placed.location.label == "Atelier 3, 12 rue de l'Industrie, 69007, Lyon"
    assert placed.location.department == "69"
    erasure = review.erasure(by="retention")
    assert erasure.type == "contact_erased" and erasure.event_id != review.erasure(by="r").event_id
    with pytest.raises(Exception, match="tranché") as refused:
        reach(Status.labelled).decision("label", "", by="operator:a")
    assert refused.value.code == "not_in_review"


# --------------------------------------------------------------------------- events

NO = None  # the event changes nothing (apply returns None)
#: status -> where each event takes it
#:   labelled rejected needs_review decided:label decided:reject geocoded location_unresolved
#:   relocated published withdrawn received:v2 contact_erased
R, L, J, N, P, U, W = (Status.received, Status.labelled, Status.rejected, Status.needs_review,
                       Status.published, Status.location_unresolved, Status.withdrawn)
EVENT_TABLE = {
    R: (L,  J,  N,  L, J, R,  U,  R, P,  W,  R,  R),
    L: (NO, NO, NO, L, L, L,  U,  L, P,  W,  R,  L),
    J: (NO, NO, NO, L, J, J,  U,  J, P,  W,  R,  J),
    N: (NO, NO, NO, L, J, N,  U,  N, P,  W,  R,  N),
    P: (NO, NO, NO, P, P, NO, P,  P, NO, W,  R,  P),
    U: (NO, NO, NO, U, U, U,  NO, U, P,  W,  R,  U),
    W: (NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, W),
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("event", list(EVENTS))
def test_where_each_event_takes_each_status(status, event):
    record = reach(status)
    expected = EVENT_TABLE[status][list(EVENTS).index(event)]
    change = apply(record, EVENTS[event]())
    if expected is NO:
        assert change is None
        return
    assert change.record.status == expected
    # a new version counts as a change even from "received" (its callback goes out)
    assert change.status_changed == (expected != status or event == "received:v2")
    assert record.status == status  # the record applied to is left as it was
    assert SubmissionRecord.from_document(change.record.to_document()) == change.record
