"""The submission record: the aggregate that owns one submission's lifecycle.

What a person may ask (a ``Command``) is checked here against the record's status, and
turned into the event that does it; what happened (an ``Event``, from any service) is
applied here to the record. The state machine:

    received -> labelled | rejected | needs_review              (validation)
    labelled -> published | location_unresolved                 (map-feed, geocoding)
    needs_review -> labelled | rejected                         (operator decision)
    location_unresolved -> published                            (operator relocation)
    any but withdrawn -> withdrawn                              (organiser)
    any but withdrawn -> received, version + 1                  (amendment, re-judgement)

Beside the status, a labelled event has an *event status* for the public (scheduled, full,
cancelled, and the places left), set by its organiser or an operator at any time, whatever
the version: the latest change wins (each is made later than the one before it).

Applying is idempotent on (submission id, version, event type) — a redelivered event
changes nothing — and ignores events of an older version than the record's. Redeliveries
reorder messages (a ``labelled`` nak'ed by a dying replica comes back after the
``published`` that followed it), so within a version the status is computed from the set
of events seen, not from the last one: the outcome does not depend on the order of
arrival. An event of a version whose ``Received`` is not applied yet raises ``NotYet``
(the projector naks it, it comes back later).

Stores keep the record as a plain JSON document (``to_document``, ``from_document``; dates
as ISO strings, UTC ones sortable as text); nothing else handles that document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator
from sdi_common.contracts import (
    AUDIENCES,
    OUTCOMES,
    ContactErased,
    Decided,
    Event,
    EventStatus,
    EventStatusSet,
    Geocoded,
    GeoResult,
    Imported,
    Judged,
    LocationUnresolved,
    Outcome,
    Point,
    Published,
    Reason,
    Received,
    Relocated,
    Status,
    Submission,
    TokenRenewed,
    Withdrawn,
    new_id,
)
from sdi_common.places import department_of, region_of
from sdi_common.upcasting import upcast_submission

from . import sealing
from .vocabulary import event_status_said
from .workdays import PARIS

#: a record as its store keeps it
Document = dict[str, Any]

#: the number of applied-event keys kept per record (enough for any real history)
_APPLIED_KEPT = 200

#: dates as ``datetime.isoformat()`` writes them (the offset spelled out, never ``Z``)
Time = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str, when_used="json")]


# --------------------------------------------------------------------------- commands


class Command(StrEnum):
    amend = "amend"
    withdraw = "withdraw"
    decide = "decide"
    relocate = "relocate"
    rejudge = "rejudge"
    erase_contact = "erase_contact"
    set_event_status = "set_event_status"


class Conflict(Exception):
    """A command the record's state does not allow (answered 409 with ``code``)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


#: where JetStream dropped the command's event as a duplicate: someone did the same first
DUPLICATE = {
    Command.amend: ("concurrent_change", "Une autre modification est en cours : réessayez."),
    Command.rejudge: ("concurrent_change", "Une autre modification est en cours : réessayez."),
    Command.decide: ("already_decided", "Une décision a déjà été prise pour cette version."),
    Command.relocate: (
        "already_relocated",
        "Cet événement vient déjà d'être placé pour cette version ; réessayez plus tard.",
    ),
}

#: the statuses in which an operator may place an event by hand
PLACEABLE = frozenset({Status.location_unresolved, Status.labelled, Status.published})
#: the statuses in which an event may be said full or cancelled: labelled (placed or not yet)
EVENT_STATUS_SETTABLE = PLACEABLE

#: what waits for a person: the review queue shows these first
NEEDS_PERSON = frozenset({Status.needs_review, Status.location_unresolved})

#: the events that decide a version (the validation's labelled or rejected, an operator's
#: decision); needs_review only asks for one
VERDICTS = frozenset({"labelled", "rejected", "decided"})


# --------------------------------------------------------------------------- the record


def _unset(value: Any) -> bool:
    return value is None or value is False


class Step(BaseModel):
    """One line of the history: the status an event led to, when, who caused it, and what
    they said (an operator's motif, the point placed)."""

    status: Status
    at: Time
    by: str
    event: str
    version: int
    detail: Annotated[str | None, Field(exclude_if=_unset)] = None


class Seen(BaseModel):
    """What the events of the current version said, whatever their order of arrival.
    (Kept compact in the document: what was not seen is left out.)"""

    labelled: Annotated[list[Reason] | None, Field(exclude_if=_unset)] = None
    rejected: Annotated[list[Reason] | None, Field(exclude_if=_unset)] = None
    needs_review: Annotated[list[Reason] | None, Field(exclude_if=_unset)] = None
    decided: Annotated[Literal["label", "reject"] | None, Field(exclude_if=_unset)] = None
    decided_reason: Annotated[str | None, Field(exclude_if=_unset)] = None
    location_unresolved: Annotated[list[Reason] | None, Field(exclude_if=_unset)] = None
    relocated: Annotated[bool, Field(exclude_if=_unset)] = False
    published: Annotated[bool, Field(exclude_if=_unset)] = False

    def verdict(self) -> Outcome | None:
        return next((o for o in OUTCOMES if getattr(self, o) is not None), None)

    def status(self) -> Status:
        """The status these events lead to (before a withdrawal)."""
        if self.published:
            return Status.published
        if self.location_unresolved is not None:  # until map-feed publishes the relocated event
            return Status.location_unresolved
        verdict = self.verdict()
        if verdict == "labelled" or self.decided == "label":
            return Status.labelled
        if verdict == "rejected" or self.decided == "reject":
            return Status.rejected
        if verdict == "needs_review":
            return Status.needs_review
        return Status.received


@dataclass(frozen=True)
class Change:
    """What applying an event did: the record after it, and whether its status moved."""

    record: SubmissionRecord
    status_changed: bool


class NotYet(Exception):
    """The event belongs to a version whose ``Received`` has not been applied yet
    (redeliveries reorder messages): retry it later (the projector naks it)."""


def _at(event: Event) -> datetime:
    # UTC throughout, so that the ISO strings sort in time order
    return event.at.astimezone(UTC)


class SubmissionRecord(BaseModel):
    """One submission as this service knows it: content, status, reasons, history."""

    model_config = ConfigDict(extra="ignore")  # documents may carry fields no longer read

    id: str
    version: int
    status: Status
    reasons: list[Reason]
    history: list[Step]
    #: where it takes place, once geocoded or placed by an operator
    location: GeoResult | None
    submission: Submission
    received_at: Time
    created_at: Time
    updated_at: Time
    contact_sealed: str | None
    contact_erased: bool
    token_sha256: str | None
    #: the organiser's token, sealed under the contact's key (for the links the outbox
    #: mails); None once erased
    token_sealed: str | None = None
    #: when the token last changed (a lost link); the latest renewal wins, whatever the order
    token_renewed_at: Time | None = None
    callback_url: str | None
    #: finds the submissions of one e-mail address (sealing.email_lookup); None once erased
    email_lookup: str | None = None
    #: the importer's own identifier of the event (a bulk import's ``external_id``)
    external_id: str | None = None
    #: finds it again when the same e-mail address imports it again (sealing.import_key)
    import_key: str | None = None
    department: str | None
    #: its région (INSEE code): the geocoder's, or that of its département
    region: str | None = None
    #: the edition it was judged under
    edition: str | None
    feed_revision: int | None
    withdrawn: bool = False
    #: for the public: scheduled, full or cancelled, the places left, and when it was said
    event_status: EventStatus = "scheduled"
    remaining_places: int | None = None
    event_status_at: Time | None = None
    location_at: Time | None = None
    #: when the current version was decided (labelled or rejected), and by whom
    decided_at: Time | None = None
    decided_by: str | None = None
    seen: Seen = Field(default_factory=Seen)
    #: the dedupe keys of the events applied lately (idempotency)
    applied: list[str] = Field(default_factory=list)

    # ------------------------------------------------------------------ the document

    @model_validator(mode="after")
    def _fields_added_later(self) -> Self:
        """Documents written before a field existed: derive it from what they hold."""
        if self.region is None and self.department:
            self.region = region_of(self.department)
        if self.decided_at is None and self.status is not Status.received:
            step = next((h for h in reversed(self.history)
                         if h.version == self.version and h.event in VERDICTS), None)
            if step is not None:
                self.decided_at, self.decided_by = step.at, step.by
        return self

    @classmethod
    def from_document(cls, doc: Document) -> Self:
        # a document written before timings holds the submission as contract version 1 had it
        return cls.model_validate({**doc, "submission": upcast_submission(doc["submission"])})

    def to_document(self) -> Document:
        return self.model_dump(mode="json")

    @property
    def is_online_only(self) -> bool:
        return self.submission.online and self.submission.location is None

    @property
    def decided_as(self) -> Literal["label", "reject"] | None:
        """How the current version was decided, by the validation or an operator."""
        verdict = {"labelled": "label", "rejected": "reject"}.get(self.seen.verdict() or "")
        return self.seen.decided or verdict

    @property
    def waits_for_a_person(self) -> bool:
        return self.status in NEEDS_PERSON

    # ------------------------------------------------------------------ commands

    def refusal(self, command: Command, *, late: bool = False) -> Conflict | None:
        """Why ``command`` is not allowed in this state (None: it is). ``late``: the
        edition's deadline for changes has passed."""
        status = self.status
        if command is Command.amend:
            if status is Status.withdrawn:
                return Conflict("withdrawn",
                                "Cet événement a été retiré : il ne peut plus être modifié.")
            if late:
                return Conflict(
                    "deadline_passed",
                    "La date limite des inscriptions est passée : "
                    "l'événement ne peut plus être modifié.",
                )
        elif command is Command.rejudge:
            if status is Status.withdrawn:
                return Conflict("withdrawn", "Cet événement a été retiré.")
        elif command is Command.set_event_status:
            if status is Status.withdrawn:
                return Conflict("withdrawn", "Cet événement a été retiré.")
            if status not in EVENT_STATUS_SETTABLE:
                return Conflict(
                    "not_labelled",
                    "Seul un événement labellisé peut être annoncé complet ou annulé "
                    f"(statut actuel : {status}).",
                )
        elif command is Command.decide:
            if status is not Status.needs_review:
                return Conflict(
                    "not_in_review",
                    "Seul un événement « à examiner » peut être tranché "
                    f"(statut actuel : {status}).",
                )
        elif command is Command.relocate:
            if self.is_online_only:
                return Conflict("online_event",
                                "Un événement en ligne n'a pas de lieu à placer.")
            if status not in PLACEABLE:
                return Conflict(
                    "not_placeable",
                    f"Seul un événement labellisé peut être placé (statut actuel : {status}).",
                )
        return None  # withdraw and erase_contact: always (withdrawing twice is a no-op)

    def allow(self, command: Command, *, late: bool = False) -> None:
        """Raise the ``Conflict`` that ``command`` meets in this state, if any."""
        if (refused := self.refusal(command, late=late)) is not None:
            raise refused

    def amendment(self, submission: Submission, contact_sealed: str, *, by: str) -> Received:
        self.allow(Command.amend)
        return Received(submission_id=self.id, version=self.version + 1, by=by,
                        submission=submission, received_at=datetime.now(UTC),
                        contact_sealed=contact_sealed)

    def rejudgement(self, *, by: str) -> Received:
        """The same content as a new version, judged again (same ``received_at``)."""
        self.allow(Command.rejudge)
        return Received(submission_id=self.id, version=self.version + 1, by=by,
                        submission=self.submission, received_at=self.received_at,
                        contact_sealed=self.contact_sealed)

    def withdrawal(self, *, by: str) -> Withdrawn | None:
        """The withdrawal, or None when it is withdrawn already."""
        if self.status is Status.withdrawn:
            return None
        return Withdrawn(submission_id=self.id, version=self.version, by=by)

    def decision(self, decision: Literal["label", "reject"], reason: str, *, by: str) -> Decided:
        self.allow(Command.decide)
        return Decided(submission_id=self.id, version=self.version, by=by, decision=decision,
                       reason=reason, submission=self.submission)

    def relocation(self, point: Point, *, by: str) -> Relocated:
        """The event placed at ``point`` by an operator (the geocoder's answer kept otherwise)."""
        self.allow(Command.relocate)
        place = self.submission.location
        previous = self.location
        label = ", ".join(p for p in (place.venue, place.street, place.postcode, place.city)
                          if p) if place else ""
        return Relocated(
            submission_id=self.id, version=self.version, by=by, submission=self.submission,
            location=GeoResult(
                point=point,
                precision="manual",
                source="operator",
                postcode=place.postcode if place else None,
                city=(previous.city if previous else None) or (place.city if place else None),
                citycode=previous.citycode if previous else None,
                department=self.department,
                region=previous.region if previous else None,
                label=label or None,
            ),
        )

    def event_status_change(self, event_status: EventStatus, remaining_places: int | None,
                            *, by: str) -> EventStatusSet | None:
        """The event said full, cancelled or on again (or its places left counted), or None
        when that is what it says already. Made later than the change before it, so that
        the latest one wins wherever it is applied, in whatever order."""
        self.allow(Command.set_event_status)
        if (event_status, remaining_places) == (self.event_status, self.remaining_places):
            return None
        at = datetime.now(UTC)
        if self.event_status_at is not None and at <= self.event_status_at:
            at = self.event_status_at + timedelta(microseconds=1)
        return EventStatusSet(submission_id=self.id, version=self.version, by=by, at=at,
                              event_status=event_status, remaining_places=remaining_places)

    def erasure(self, *, by: str) -> ContactErased:
        return ContactErased(submission_id=self.id, version=self.version, by=by, event_id=new_id())

    # ------------------------------------------------------------------ events

    @classmethod
    def _from(cls, event: Received) -> Self:
        """The record as a ``Received`` alone makes it."""
        envelope = sealing.read_envelope(event.contact_sealed)
        location = event.submission.location
        return cls(
            id=event.submission_id,
            version=event.version,
            status=Status.received,
            reasons=[],
            history=[],
            location=None,
            submission=event.submission,
            received_at=event.received_at,
            created_at=_at(event),
            updated_at=_at(event),
            contact_sealed=event.contact_sealed,
            contact_erased=False,
            token_sha256=envelope.token_sha256,
            token_sealed=envelope.token_sealed,
            callback_url=envelope.callback_url,
            email_lookup=envelope.email_lookup,
            external_id=envelope.external_id,
            import_key=sealing.import_key(envelope.email_lookup, envelope.external_id),
            department=(department := department_of(location.postcode) if location else None),
            region=region_of(department),
            edition=None,
            feed_revision=None,
        )

    def apply(self, event: Event) -> Change | None:
        """The record after ``event`` (a new record: this one is left as it is), or None
        when the event changes nothing. Raises ``NotYet`` for a version not reached yet."""
        if _dedupe_key(event) in self.applied:
            return None
        if isinstance(event, Received):
            return self._new_version(event)
        if isinstance(event, EventStatusSet):
            return self._event_status(event)
        if event.version > self.version:
            raise NotYet(f"{event.submission_id} v{event.version} {event.type}")
        new = self.model_copy(update={"history": list(self.history),
                                      "applied": list(self.applied),
                                      "seen": self.seen.model_copy()})
        before = self.status
        if isinstance(event, ContactErased):
            new.contact_sealed = sealing.strip_contact(self.contact_sealed)
            new.contact_erased = True
            new.email_lookup = new.import_key = None
            new.token_sealed = None
            new._log(event, before)
            return new._done(event, changed=False)
        if isinstance(event, TokenRenewed):
            if self.token_renewed_at is None or self.token_renewed_at < _at(event):
                new.token_sha256, new.token_sealed = sealing.read_renewal(event.token_sealed)
                new.token_renewed_at = _at(event)
            new._log(event, before)
            return new._done(event, changed=False)
        if isinstance(event, Withdrawn):
            if self.withdrawn:
                return None
            new.withdrawn = True
        elif event.version < self.version or self.withdrawn:
            return None  # about a version that was since amended (or a withdrawn event)
        elif not new._record(event):
            return None
        status = Status.withdrawn if new.withdrawn else new.seen.status()
        new.status = status
        new.reasons = new._reasons()
        if status != before or event.by.startswith("operator:"):
            new._log(event, status)  # every operator action is in the history
        elif (step := step_of(event)) is not None:
            # a step that arrived after a later one (labelled after published: the status
            # is computed from the set, but the organiser's history must still say it)
            new._log(event, step)
        return new._done(event, changed=status != before)

    def _new_version(self, event: Received) -> Change | None:
        """An amendment or a re-judgement: a new version that keeps the story so far."""
        if self.withdrawn or event.version <= self.version:
            return None
        new = SubmissionRecord._from(event)
        new.history = list(self.history)
        new.applied = list(self.applied)
        new.created_at = self.created_at
        # a new version never changes the token (only a lost link does: TokenRenewed)
        new.token_sha256 = self.token_sha256 or new.token_sha256
        new.token_sealed = self.token_sealed if self.token_sha256 else new.token_sealed
        new.token_renewed_at = self.token_renewed_at
        new.event_status, new.remaining_places = self.event_status, self.remaining_places
        new.event_status_at = self.event_status_at
        # a re-judgement after an erasure carries the envelope without its ciphertext
        has_contact = sealing.read_envelope(event.contact_sealed).has_contact
        new.contact_erased = self.contact_erased and not has_contact
        new._log(event, Status.received)
        return new._done(event, changed=True)

    def _event_status(self, event: EventStatusSet) -> Change | None:
        """Whatever the version: the latest change wins (an older one redelivered is stale)."""
        if self.event_status_at is not None and _at(event) <= self.event_status_at:
            return None
        new = self.model_copy(update={"history": list(self.history),
                                      "applied": list(self.applied)})
        new.event_status, new.remaining_places = event.event_status, event.remaining_places
        new.event_status_at = _at(event)
        new._log(event, self.status)
        return new._done(event, changed=False)

    def _record(self, event: Event) -> bool:
        """Note what ``event`` says about the current version; False if it says nothing new."""
        seen = self.seen
        if isinstance(event, Judged):
            if seen.verdict() is not None:
                return False  # one verdict per version
            setattr(seen, event.type, list(event.reasons))
            self.edition = event.edition
            if event.type in VERDICTS:
                self.decided_at, self.decided_by = _at(event), event.by
        elif isinstance(event, Decided):
            if seen.decided is not None:
                return False
            seen.decided = event.decision
            seen.decided_reason = event.reason
            self.decided_at, self.decided_by = _at(event), event.by
        elif isinstance(event, Geocoded):
            self._locate(event, event.location)
        elif isinstance(event, LocationUnresolved):
            seen.location_unresolved = [event.reason]
        elif isinstance(event, Relocated):
            seen.relocated = True
            self._locate(event, event.location)
        elif isinstance(event, Published):
            seen.published = True
            self.feed_revision = max(event.feed_revision, self.feed_revision or 0)
        else:
            return False
        return True

    def _reasons(self) -> list[Reason]:
        seen = self.seen
        if self.status is Status.location_unresolved:
            return list(seen.location_unresolved or [])
        if self.status is Status.rejected and seen.decided == "reject":
            return [Reason(code="operator_rejected", message=seen.decided_reason or "Refusé.")]
        if self.status is Status.rejected:
            return list(seen.rejected or [])
        if self.status is Status.needs_review:
            return list(seen.needs_review or [])
        return []

    def _locate(self, event: Event, location: GeoResult | None) -> None:
        """The most recent placement wins, whatever the order of arrival."""
        at = _at(event)
        if self.location_at is not None and self.location_at > at:
            return
        self.location = location
        self.location_at = at
        if location is not None and location.department:
            self.department = location.department
        if location is not None:
            self.region = location.region or region_of(self.department)

    def _log(self, event: Event, status: Status) -> None:
        detail = None
        if isinstance(event, Decided):
            detail = event.reason or None
        elif isinstance(event, Relocated):
            detail = f"{event.location.point.lat:.6f}, {event.location.point.lon:.6f}"
        elif isinstance(event, EventStatusSet):
            detail = event_status_said(event.event_status, event.remaining_places)
        self.history.append(Step(status=status, at=_at(event), by=event.by, event=event.type,
                                 version=event.version, detail=detail))
        self.history.sort(key=lambda h: (h.version, h.event != "received", h.at))

    def _done(self, event: Event, *, changed: bool) -> Change:
        self.applied = (self.applied + [_dedupe_key(event)])[-_APPLIED_KEPT:]
        self.updated_at = max(self.updated_at, _at(event))
        return Change(self, changed)


def step_of(event: Event) -> Status | None:
    """The status an event stands for (None: it makes no step of its own): its line in the
    history, and the status the outbox's webhook announces."""
    if isinstance(event, Received):
        return Status.received
    if isinstance(event, Withdrawn):
        return Status.withdrawn
    if isinstance(event, Judged):
        return Status(event.type)
    if isinstance(event, Decided):
        return Status.labelled if event.decision == "label" else Status.rejected
    if isinstance(event, LocationUnresolved):
        return Status.location_unresolved
    if isinstance(event, Published):
        return Status.published
    return None


def _dedupe_key(event: Event) -> str:
    # Relocations (an operator corrects a point), erasures, new links and event statuses
    # may repeat within a version: key them by event.
    if isinstance(event, Relocated | ContactErased | TokenRenewed | EventStatusSet):
        return f"{event.version}:{event.type}:{event.event_id}"
    return f"{event.version}:{event.type}"


def apply(record: SubmissionRecord | None, event: Event) -> Change | None:
    """``event`` applied to ``record`` (None: the submission is not known yet)."""
    if isinstance(event, Imported):
        return None  # about an import, not about one submission (the mail's business)
    if record is not None:
        return record.apply(event)
    if isinstance(event, Received):
        new = SubmissionRecord._from(event)
        new._log(event, Status.received)
        return new._done(event, changed=True)
    raise NotYet(f"{event.submission_id} v{event.version} {event.type}")


def audience_mask(audiences: list[str]) -> int:
    """The publics as bits, in the contracts' order (``AUDIENCES``: new ones come last, so
    a stored mask keeps its meaning): a small number a store can count by."""
    return sum(1 << AUDIENCES.index(a) for a in set(audiences))


def index_fields(doc: Document) -> dict[str, Any]:
    """The fields a store keeps beside the document, to filter, sort and count on, read
    from the document (written by ``to_document``, so every field is there)."""
    submission = doc["submission"]
    location = doc.get("location")
    return {
        "status": doc["status"],
        "department": doc.get("department"),
        "region": doc.get("region"),
        "kind": submission["kind"],
        "title": submission["title"],
        "created_at": doc["created_at"],
        "received_at": doc["received_at"],
        "contact_erased": bool(doc.get("contact_erased")),
        "email_lookup": doc.get("email_lookup"),
        "import_key": doc.get("import_key"),
        # the review queue's order: what waits for a person first, then the oldest
        "queue_rank": 0 if doc["status"] in NEEDS_PERSON else 1,
        "edition": doc.get("edition"),
        "audience_mask": audience_mask(submission["audiences"]),
        "precision": location["precision"] if location else None,
        "decided_at": doc.get("decided_at"),
        "decided_by": doc.get("decided_by"),
        # for the statistics: the Paris day of the first submission, the seconds from the
        # reception of this version to its decision
        "created_day": datetime.fromisoformat(doc["created_at"]).astimezone(PARIS).date().isoformat(),
        "decision_seconds": round((datetime.fromisoformat(doc["decided_at"])
                                   - datetime.fromisoformat(doc["received_at"])).total_seconds())
        if doc.get("decided_at") else None,
    }


#: the names of ``index_fields``, in its order
INDEX_FIELDS: tuple[str, ...] = (
    "status", "department", "region", "kind", "title", "created_at", "received_at",
    "contact_erased", "email_lookup", "import_key", "queue_rank", "edition", "audience_mask",
    "precision", "decided_at", "decided_by", "created_day", "decision_seconds",
)
