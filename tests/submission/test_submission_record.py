"""The submission record as state tables: what each command may do in each status, and
where each event takes each status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sdi_common.contracts import (
    ContactErased,
    Decided,
    EventStatusSet,
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
                                   location=GEO.model_copy(update={"precision": "manual"})),
    "published": lambda: Published(submission_id=ID, version=1, by="map-feed", feed_revision=4),
    "withdrawn": lambda: Withdrawn(submission_id=ID, version=1, by="organizer"),
    "received:v2": lambda: received(version=2),
    "contact_erased": lambda: ContactErased(submission_id=ID, version=1, by="retention"),
    "event_status": lambda: EventStatusSet(submission_id=ID, version=1, by="organizer",
                                           event_status="cancelled",
                                           at=datetime(2026, 11, 2, tzinfo=UTC)),
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
#:                      amend        withdraw  decide           relocate         rejudge      erase  event status
COMMANDS = {
    Status.received:            (OK,          OK,  "not_in_review", "not_placeable", OK,          OK,    "not_labelled"),
    Status.labelled:            (OK,          OK,  "not_in_review", OK,              OK,          OK,    OK),
    Status.rejected:            (OK,          OK,  "not_in_review", "not_placeable", OK,          OK,    "not_labelled"),
    Status.needs_review:        (OK,          OK,  OK,              "not_placeable", OK,          OK,    "not_labelled"),
    Status.published:           (OK,          OK,  "not_in_review", OK,              OK,          OK,    OK),
    Status.location_unresolved: (OK,          OK,  "not_in_review", OK,              OK,          OK,    OK),
    Status.withdrawn:           ("withdrawn", OK,  "not_in_review", "not_placeable", "withdrawn", OK,    "withdrawn"),
}
ORDER = (Command.amend, Command.withdraw, Command.decide, Command.relocate, Command.rejudge,
         Command.erase_contact, Command.set_event_status)


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
    assert placed.location.precision == "manual" and placed.location.point.lon == 5.0
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
#:   relocated published withdrawn received:v2 contact_erased event_status
R, L, J, N, P, U, W = (Status.received, Status.labelled, Status.rejected, Status.needs_review,
                       Status.published, Status.location_unresolved, Status.withdrawn)
EVENT_TABLE = {
    R: (L,  J,  N,  L, J, R,  U,  R, P,  W,  R,  R, R),
    L: (NO, NO, NO, L, L, L,  U,  L, P,  W,  R,  L, L),
    J: (NO, NO, NO, L, J, J,  U,  J, P,  W,  R,  J, J),
    N: (NO, NO, NO, L, J, N,  U,  N, P,  W,  R,  N, N),
    P: (NO, NO, NO, P, P, NO, P,  P, NO, W,  R,  P, P),
    U: (NO, NO, NO, U, U, U,  NO, U, P,  W,  R,  U, U),
    W: (NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, W, W),
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


def _renewal(token_sha256: str, minute: int):
    from sdi_common.contracts import TokenRenewed
    from submission import sealing

    key = b"k" * 32
    return TokenRenewed(
        submission_id=ID, version=1, by="organizer", at=datetime(2026, 11, 2, 8, minute, tzinfo=UTC),
        token_sealed=sealing.renewal(key, kid="kid", submission_id=ID, token="t" + token_sha256,
                                     token_sha256=token_sha256))


@pytest.mark.parametrize("order", ["in order", "reversed"])
def test_the_latest_lost_link_wins_whatever_the_order(order):
    first, second = _renewal("a" * 64, 1), _renewal("b" * 64, 2)
    events = [first, second] if order == "in order" else [second, first]
    record = apply(None, received()).record
    for event in events:
        record = record.apply(event).record
    assert record.token_sha256 == "b" * 64
    assert [h.event for h in record.history].count("token_renewed") == 2
    assert record.apply(second) is None  # a redelivery changes nothing


def test_an_amendment_keeps_the_renewed_token_and_an_erasure_drops_the_sealed_one():
    record = apply(None, received()).record.apply(_renewal("c" * 64, 1)).record
    sealed = record.token_sealed
    amended = record.apply(received(version=2)).record
    assert (amended.token_sha256, amended.token_sealed) == ("c" * 64, sealed)
    erased = amended.apply(ContactErased(submission_id=ID, version=2, by="retention")).record
    assert erased.token_sealed is None and erased.token_sha256 == "c" * 64  # still its page
# --------------------------------------------------------------------------- event status


def test_the_event_status_change_the_command_makes():
    record = reach(Status.published)
    assert record.event_status_change("scheduled", None, by="organizer") is None  # as it is
    full = record.event_status_change("full", 0, by="organizer")
    assert (full.type, full.version, full.event_status, full.remaining_places) == (
        "event_status", 1, "full", 0)
    record = apply(record, full).record
    assert (record.event_status, record.remaining_places, record.event_status_at) == (
        "full", 0, full.at)
    assert record.event_status_change("full", 0, by="organizer") is None  # said already
    # the next one is later than the one before, even with a clock behind it
    ahead = EventStatusSet(submission_id=ID, version=1, by="operator:a", event_status="full",
                           remaining_places=0, at=datetime(2999, 1, 1, tzinfo=UTC))
    record = apply(record, ahead).record
    again = record.event_status_change("scheduled", 4, by="organizer")
    assert again.at > ahead.at
    with pytest.raises(Exception, match="labellisé") as refused:
        reach(Status.needs_review).event_status_change("cancelled", None, by="organizer")
    assert refused.value.code == "not_labelled"


def test_the_latest_event_status_wins_and_survives_a_new_version():
    record = reach(Status.published)
    early = EventStatusSet(submission_id=ID, version=1, by="organizer", event_status="full",
                           at=datetime(2026, 11, 3, tzinfo=UTC))
    late = EventStatusSet(submission_id=ID, version=1, by="organizer",
                          event_status="cancelled", at=datetime(2026, 11, 4, tzinfo=UTC))
    record = apply(record, late).record
    assert apply(record, early) is None  # older, delivered late
    assert apply(record, late) is None  # redelivered
    (step,) = [h for h in record.history if h.event == "event_status"]  # once, in the history
    assert (step.status, step.by, step.at) == (Status.published, "organizer", late.at)
    assert step.detail == "annulé"  # what was announced, in the back office's words
    amended = apply(record, received(version=2)).record
    assert (amended.event_status, amended.event_status_at) == ("cancelled", late.at)
    assert SubmissionRecord.from_document(amended.to_document()) == amended
