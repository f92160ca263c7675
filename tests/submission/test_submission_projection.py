"""Events applied to a record: idempotent, stale versions ignored, order of arrival irrelevant."""

from __future__ import annotations

import itertools
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
    Withdrawn,
)
from submission import sealing
from submission.record import NotYet, apply
from submission.tokens import token_hash

from .submission_support import public_submission

SUB = public_submission()
ID = "a" * 32
KEY = bytes(32)
SEALED = sealing.seal(KEY, {"email": "x@y.fr", "phone": None}, kid="k1", submission_id=ID,
                      token_sha256=token_hash("tok"), callback_url="https://cb.example/h")
GEO = GeoResult(point=Point(lon=4.84, lat=45.75), precision="housenumber", source="ban",
                department="69", city="Lyon")


def received(version=1, sealed=SEALED, by="organizer"):
    return Received(submission_id=ID, version=version, by=by, submission=SUB,
                    received_at=datetime(2026, 11, 1, tzinfo=UTC), contact_sealed=sealed)


def judged(kind, version=1, reasons=()):
    return Judged(type=kind, submission_id=ID, version=version, by="validation", submission=SUB,
                  reasons=list(reasons), edition="2026")


def run(*events):
    doc, changes = None, []
    for event in events:
        change = apply(doc, event)
        changes.append(change is not None and change.status_changed)
        if change is not None:
            doc = change.record
    return doc, changes


def test_happy_path_to_published_with_history():
    doc, changes = run(
        received(), judged("labelled"),
        Geocoded(submission_id=ID, version=1, by="geocoding", submission=SUB, location=GEO),
        Published(submission_id=ID, version=1, by="map-feed", feed_revision=7),
    )
    assert doc.status == "published" and doc.feed_revision == 7
    assert doc.location.point == Point(lon=4.84, lat=45.75)
    assert [h.status for h in doc.history] == ["received", "labelled", "published"]
    assert [h.by for h in doc.history] == ["organizer", "validation", "map-feed"]
    assert changes == [True, True, False, True]
    assert doc.token_sha256 == token_hash("tok") and doc.department == "69"
    assert doc.callback_url == "https://cb.example/h"


def test_redelivered_events_change_nothing():
    doc, _ = run(received(), judged("rejected", reasons=[Reason(code="c", message="m")]))
    assert apply(doc, judged("rejected", reasons=[Reason(code="c", message="m")])) is None
    assert apply(doc, received()) is None


def test_stale_versions_are_ignored_and_amendments_restart_the_cycle():
    doc, _ = run(received(), received(version=2))
    assert doc.version == 2 and doc.status == "received"
    assert apply(doc, judged("labelled", version=1)) is None  # verdict on the old content
    doc = apply(doc, judged("needs_review", version=2)).record
    assert doc.status == "needs_review"
    assert apply(doc, received(version=1)) is None


def test_the_outcome_does_not_depend_on_the_order_of_arrival():
    later = [
        judged("labelled"),
        Geocoded(submission_id=ID, version=1, by="geocoding", submission=SUB, location=GEO),
        Published(submission_id=ID, version=1, by="map-feed", feed_revision=7),
    ]
    for order in itertools.permutations(later):
        doc, _ = run(received(), *order)
        assert doc.status == "published", order
        assert doc.location.department == "69"
        # every step keeps its line, in the order it happened, whatever the order of arrival:
        # a verdict that lands after the publication is still "labellisé" in the history
        assert [h.status for h in doc.history] == ["received", "labelled", "published"], order
    # a verdict redelivered after the publication does not pull the status back
    doc, _ = run(received(), *later)
    assert apply(doc, judged("labelled")) is None
    unresolved = LocationUnresolved(submission_id=ID, version=1, by="geocoding", submission=SUB,
                                    reason=Reason(code="x", message="Adresse introuvable."))
    for order in itertools.permutations([judged("labelled"), unresolved]):
        doc, _ = run(received(), *order)
        assert doc.status == "location_unresolved"
        assert doc.reasons == [Reason(code="x", message="Adresse introuvable.")]


def test_events_ahead_of_their_received_are_deferred():
    with pytest.raises(NotYet):
        apply(None, judged("labelled"))
    doc, _ = run(received())
    with pytest.raises(NotYet):
        apply(doc, judged("labelled", version=2))
    with pytest.raises(NotYet):
        apply(doc, Withdrawn(submission_id=ID, version=2, by="organizer"))


def test_one_verdict_per_version():
    doc, _ = run(received(), judged("rejected"))
    assert apply(doc, judged("labelled")) is None
    assert doc.status == "rejected"


def test_operator_moves():
    doc, _ = run(
        received(), judged("needs_review"),
        Decided(submission_id=ID, version=1, by="operator:alice", decision="label", submission=SUB),
        LocationUnresolved(submission_id=ID, version=1, by="geocoding", submission=SUB,
                           reason=Reason(code="address_not_found", message="Adresse introuvable.")),
        Relocated(submission_id=ID, version=1, by="operator:alice", submission=SUB,
                  location=GEO.model_copy(update={"precision": "manual", "source": "operator"})),
        Published(submission_id=ID, version=1, by="map-feed", feed_revision=3),
    )
    assert doc.status == "published"
    assert [(h.status, h.by) for h in doc.history] == [
        ("received", "organizer"), ("needs_review", "validation"), ("labelled", "operator:alice"),
        ("location_unresolved", "geocoding"), ("location_unresolved", "operator:alice"),
        ("published", "map-feed"),
    ]
    assert doc.location.source == "operator" and doc.reasons == []
    rejected, _ = run(received(), judged("needs_review"),
                      Decided(submission_id=ID, version=1, by="operator:bob", decision="reject",
                              reason="Événement interne.", submission=SUB))
    assert rejected.status == "rejected"
    assert rejected.reasons == [Reason(code="operator_rejected", message="Événement interne.")]


def test_withdrawal_is_final_and_erasure_keeps_the_token_hash():
    doc, _ = run(received(), judged("labelled"),
                 Withdrawn(submission_id=ID, version=1, by="organizer"))
    assert doc.status == "withdrawn"
    assert apply(doc, received(version=2)) is None
    assert apply(doc, Withdrawn(submission_id=ID, version=1, by="organizer")) is None
    erased = apply(doc, ContactErased(submission_id=ID, version=1, by="operator:a")).record
    assert erased.contact_erased is True
    envelope = sealing.read_envelope(erased.contact_sealed)
    assert envelope.ct is None and envelope.token_sha256 == token_hash("tok")


def test_rejudge_after_erasure_stays_erased():
    doc, _ = run(received(), ContactErased(submission_id=ID, version=1, by="retention"))
    doc = apply(doc, received(version=2, sealed=doc.contact_sealed, by="operator:a")).record
    assert doc.contact_erased is True and doc.status == "received"
    assert doc.token_sha256 == token_hash("tok")

