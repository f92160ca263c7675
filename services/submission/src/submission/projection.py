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

Redeliveries reorder messages (a ``labelled`` nak'ed by a dying replica comes back after
the ``published`` that followed it). So within a version the status is computed from the
set of events seen, not from the last one: the outcome does not depend on the order of
arrival. An event of a version whose ``Received`` is not projected yet raises ``NotYet``
(the projector naks it, it comes back later).

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
from sdi_common.places import department_of

from . import sealing

Doc = dict[str, Any]

#: the number of applied-event keys kept per document (enough for any real history)
_APPLIED_KEPT = 200


@dataclass(frozen=True)
class Outcome:
    doc: Doc
    status_changed: bool


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
    doc["history"].sort(key=lambda h: (h["version"], h["event"] != "received", h["at"]))


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


class NotYet(Exception):
    """The event belongs to a version whose ``Received`` has not been projected yet
    (redeliveries reorder messages): retry it later (the projector naks it)."""


#: per version, the status that the events seen so far lead to, whatever their order of
#: arrival (a redelivered ``labelled`` may come after the ``published`` that followed it)
def _status_of(doc: Doc) -> str:
    seen = doc["seen"]
    if doc.get("withdrawn"):
        return "withdrawn"
    if "published" in seen:
        return "published"
    if "location_unresolved" in seen:  # until map-feed publishes the relocated event
        return "location_unresolved"
    if "labelled" in seen or seen.get("decided") == "label":
        return "labelled"
    if "rejected" in seen or seen.get("decided") == "reject":
        return "rejected"
    if "needs_review" in seen:
        return "needs_review"
    return "received"


def _reasons_of(doc: Doc, status: str) -> list[dict[str, str]]:
    seen = doc["seen"]
    if status == "location_unresolved":
        return seen["location_unresolved"]
    if status == "rejected" and seen.get("decided") == "reject":
        return [{"code": "operator_rejected", "message": seen.get("decided_reason") or "Refusé."}]
    if status in ("rejected", "needs_review"):
        return seen.get(status) or []
    return []


def apply(doc: Doc | None, event: Event) -> Outcome | None:
    """The document after ``event``, or None when the event changes nothing.

    Raises ``NotYet`` for an event of a version this document has not reached yet."""
    if doc is not None and _dedupe_key(event) in doc["applied"]:
        return None
    if isinstance(event, Received):
        if doc is not None and (doc.get("withdrawn") or event.version <= doc["version"]):
            return None
        new = _from_received(event)
        new["seen"] = {}
        if doc is not None:  # an amendment or a re-judgement keeps the story so far
            new["history"] = list(doc["history"])
            new["applied"] = list(doc["applied"])
            new["created_at"] = doc["created_at"]
            # a re-judgement after an erasure carries the envelope without its ciphertext
            has_contact = sealing.read_envelope(event.contact_sealed).has_contact
            new["contact_erased"] = bool(doc.get("contact_erased")) and not has_contact
        _history(new, event, "received")
        return _done(new, event, changed=True)
    if doc is None or event.version > doc["version"]:
        raise NotYet(f"{event.submission_id} v{event.version} {event.type}")
    new = {**doc, "history": list(doc["history"]), "applied": list(doc["applied"]),
           "seen": dict(doc.get("seen") or {})}
    before = doc["status"]

    if isinstance(event, ContactErased):
        new["contact_sealed"] = sealing.strip_contact(doc["contact_sealed"])
        new["contact_erased"] = True
        _history(new, event, before)
        return _done(new, event, changed=False)
    if isinstance(event, Withdrawn):
        if doc.get("withdrawn"):
            return None
        new["withdrawn"] = True
    elif event.version < doc["version"] or doc.get("withdrawn"):
        return None  # about a version that was since amended (or a withdrawn event)
    elif isinstance(event, Judged):
        if any(k in new["seen"] for k in ("labelled", "rejected", "needs_review")):
            return None  # one verdict per version
        new["seen"][event.type] = [r.model_dump() for r in event.reasons]
        new["edition"] = event.edition
    elif isinstance(event, Decided):
        if "decided" in new["seen"]:
            return None
        new["seen"]["decided"] = event.decision
        new["seen"]["decided_reason"] = event.reason
    elif isinstance(event, Geocoded):
        _locate(new, event, event.location.model_dump(mode="json") if event.location else None)
    elif isinstance(event, LocationUnresolved):
        new["seen"]["location_unresolved"] = [event.reason.model_dump()]
    elif isinstance(event, Relocated):
        new["seen"]["relocated"] = True
        _locate(new, event, event.location.model_dump(mode="json"))
    elif isinstance(event, Published):
        new["seen"]["published"] = True
        new["feed_revision"] = max(event.feed_revision, doc.get("feed_revision") or 0)
    else:
        return None
    status = _status_of(new)
    new["status"] = status
    new["reasons"] = _reasons_of(new, status)
    if status != before:
        _history(new, event, status)
    elif event.by.startswith("operator:"):
        _history(new, event, status)  # every operator action is in the history
    return _done(new, event, changed=status != before)


def _locate(doc: Doc, event: Event, location: dict[str, Any] | None) -> None:
    """The most recent placement wins, whatever the order of arrival."""
    at = _at(event)
    if doc.get("location_at") and doc["location_at"] > at:
        return
    doc["location"] = location
    doc["location_at"] = at
    if location and location.get("department"):
        doc["department"] = location["department"]


def _done(doc: Doc, event: Event, *, changed: bool) -> Outcome:
    doc["applied"] = (doc["applied"] + [_dedupe_key(event)])[-_APPLIED_KEPT:]
    doc["updated_at"] = max(doc.get("updated_at") or "", _at(event))
    return Outcome(doc, changed)
