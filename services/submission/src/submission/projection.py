"""The projection: one lifecycle event applied to one submission document.

A pure function, shared by both stores, the projector and the rebuild. It is idempotent on
(submission id, version, event type) — a redelivered event changes nothing — ignores
events of an older version than the document's, and follows the state machine:

    received -> labelled | rejected | needs_review              (validation)
    labelled -> published | location_unresolved                 (map-feed, geocoding)
    needs_review -> labelled | rejected                         (operator decision)
    location_unresolved -> published                            (operator relocation)
    any but withdrawn -> withdrawn                              (organiser)
    any but withdrawn -> received, version + 1                  (amendment, re-judgement)

The document is plain JSON (dates as ISO strings) so both stores keep it as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sdi_common.contracts import (
    ContactErased,
    Decided,
    Event,
    Geocoded,
    Judged,
    LocationUnresolved,
    Published,
    Received,
    Relocated,
    Withdrawn,
)

from . import sealing

Doc = dict[str, Any]

#: the number of applied-event keys kept per document (enough for any real history)
_APPLIED_KEPT = 200


@dataclass(frozen=True)
class Outcome:
    doc: Doc
    status_changed: bool


def department_of(postcode: str | None) -> str | None:
    """The department code of a French postcode ("2A"/"2B" for Corsica, "971" overseas)."""
    if not postcode or len(postcode) != 5:
        return None
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode < "20200" else "2B"
    return postcode[:2]


def _dedupe_key(event: Event) -> str:
    # Relocations may repeat within a version (an operator corrects a point): key by event.
    if isinstance(event, Relocated | ContactErased):
        return f"{event.version}:{event.type}:{event.event_id}"
    return f"{event.version}:{event.type}"


def _at(event: Event) -> str:
    # UTC throughout, so that the ISO strings sort in time order
    return event.at.astimezone(UTC).isoformat()


def _history(doc: Doc, event: Event, status: str) -> None:
    doc["history"].append(
        {"status": status, "at": _at(event), "by": event.by, "event": event.type,
         "version": event.version}
    )


def _from_received(event: Received) -> Doc:
    submission = event.submission.model_dump(mode="json")
    envelope = sealing.read_envelope(event.contact_sealed)
    location = event.submission.location
    return {
        "id": event.submission_id,
        "version": event.version,
        "status": "received",
        "reasons": [],
        "history": [],
        "location": None,
        "submission": submission,
        "received_at": event.received_at.isoformat(),
        "created_at": _at(event),
        "updated_at": _at(event),
        "contact_sealed": event.contact_sealed,
        "contact_erased": False,
        "token_sha256": envelope.token_sha256,
        "callback_url": envelope.callback_url,
        "title": event.submission.title,
        "kind": event.submission.kind,
        "department": department_of(location.postcode) if location else None,
        "edition": None,
        "feed_revision": None,
        "applied": [],
    }


def apply(doc: Doc | None, event: Event) -> Outcome | None:
    """The document after ``event``, or None when the event changes nothing."""
    if doc is not None and _dedupe_key(event) in doc["applied"]:
        return None
    if isinstance(event, Received):
        if doc is not None and (doc["status"] == "withdrawn" or event.version <= doc["version"]):
            return None
        new = _from_received(event)
        if doc is not None:  # an amendment or a re-judgement keeps the story so far
            new["history"] = list(doc["history"])
            new["applied"] = list(doc["applied"])
            new["created_at"] = doc["created_at"]
            # a re-judgement after an erasure carries the envelope without its ciphertext
            has_contact = sealing.read_envelope(event.contact_sealed).has_contact
            new["contact_erased"] = bool(doc.get("contact_erased")) and not has_contact
        _history(new, event, "received")
        return _done(new, event, changed=True)
    if doc is None:
        return None  # nothing to project onto (its Received is not known here)
    new = {**doc, "history": list(doc["history"]), "applied": list(doc["applied"])}
    status = doc["status"]
    same_version = event.version == doc["version"]

    if isinstance(event, Withdrawn):
        if status == "withdrawn" or event.version > doc["version"]:
            return None
        return _status(new, event, "withdrawn")
    if isinstance(event, ContactErased):
        new["contact_sealed"] = sealing.strip_contact(doc["contact_sealed"])
        new["contact_erased"] = True
        _history(new, event, status)
        return _done(new, event, changed=False)
    if not same_version:
        return None  # stale (or from a version this store has not seen yet)
    if isinstance(event, Judged):
        if status != "received":
            return None
        new["reasons"] = [r.model_dump() for r in event.reasons]
        new["edition"] = event.edition
        return _status(new, event, event.type)
    if isinstance(event, Decided):
        if status != "needs_review":
            return None
        if event.decision == "label":
            new["reasons"] = []
            return _status(new, event, "labelled")
        new["reasons"] = [{"code": "operator_rejected", "message": event.reason or "Refusé."}]
        return _status(new, event, "rejected")
    if isinstance(event, Geocoded):
        if status != "labelled":
            return None
        _locate(new, event.location.model_dump(mode="json") if event.location else None)
        return _done(new, event, changed=False)
    if isinstance(event, LocationUnresolved):
        if status != "labelled":
            return None
        new["reasons"] = [event.reason.model_dump()]
        return _status(new, event, "location_unresolved")
    if isinstance(event, Relocated):
        if status not in ("labelled", "location_unresolved", "published"):
            return None
        _locate(new, event.location.model_dump(mode="json"))
        if status == "location_unresolved":
            new["reasons"] = []
        _history(new, event, status)
        return _done(new, event, changed=False)
    if isinstance(event, Published):
        if status not in ("labelled", "location_unresolved", "published"):
            return None
        new["feed_revision"] = event.feed_revision
        if status == "published":
            return _done(new, event, changed=False)
        new["reasons"] = []
        return _status(new, event, "published")
    return None


def _locate(doc: Doc, location: dict[str, Any] | None) -> None:
    doc["location"] = location
    if location and location.get("department"):
        doc["department"] = location["department"]


def _status(doc: Doc, event: Event, status: str) -> Outcome:
    doc["status"] = status
    _history(doc, event, status)
    return _done(doc, event, changed=True)


def _done(doc: Doc, event: Event, *, changed: bool) -> Outcome:
    doc["applied"] = (doc["applied"] + [_dedupe_key(event)])[-_APPLIED_KEPT:]
    doc["updated_at"] = _at(event)
    return Outcome(doc, changed)
