"""What the API answers: the response models (OpenAPI shows them) and how a record fills them.

An organiser and an operator see the same ``SubmissionView`` (never the token hash); the
operators' list shows a ``SubmissionSummary`` per record, without contact data.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel
from sdi_common.contracts import EventStatus, GeoResult, Kind, Reason, Status, Submission

from ..advice import advice
from ..commands import Accepted
from ..record import Command, SubmissionRecord, Time

STATUS_LABELS = {
    Status.received: "reçue, en cours d'examen",
    Status.labelled: "labellisée",
    Status.rejected: "refusée",
    Status.needs_review: "à examiner par l'équipe de la Semaine de l'industrie",
    Status.published: "labellisée et publiée sur la carte",
    Status.location_unresolved: "labellisée, adresse à vérifier avant publication",
    Status.withdrawn: "retirée",
}


#: what the rules' verdict means, for the form's check
OUTCOME_LABELS = {
    "labelled": "L'événement remplit les conditions du label.",
    "rejected": "L'événement ne pourrait pas être labellisé en l'état.",
    "needs_review": "L'équipe de la Semaine de l'industrie examinerait l'événement.",
}


class ReasonView(Reason):
    """A reason, and what the organiser can change about it (None: nothing to say)."""

    advice: str | None = None


def explained(reasons: list[Any]) -> list[ReasonView]:
    out = []
    for r in reasons:
        reason = r if isinstance(r, Reason) else Reason.model_validate(r)
        out.append(ReasonView(code=reason.code, message=reason.message, advice=advice(reason)))
    return out


class Allowed(BaseModel):
    allowed: bool
    #: why not, in French (the edition's deadline, a withdrawal)
    reason: str | None = None


class Actions(BaseModel):
    """What the organiser may do now (the page's buttons)."""

    amend: Allowed
    withdraw: Allowed
    #: say it full, cancelled or on again (``PUT .../event-status``): a labelled event only
    event_status: Allowed


class Links(BaseModel):
    self: str


class PageLinks(BaseModel):
    #: the next page (absent on the last one)
    next: str


class AcceptedView(BaseModel):
    """A change accepted: its event is in the stream (JetStream acknowledged it)."""

    id: str
    version: int
    status: Status
    #: the organiser's token, given once, on the first answer to an intake (and its replays)
    organizer_token: str | None = None
    links: Links


class ContactErasedView(BaseModel):
    id: str
    contact_erased: bool
    links: Links


class HistoryStep(BaseModel):
    status: Status
    at: Time
    by: str
    event: str
    #: what the operator said or did: the motif of a decision, the point placed
    detail: str | None = None


class Contact(BaseModel):
    email: str
    phone: str | None


class SubmissionView(BaseModel):
    id: str
    version: int
    status: Status
    status_label: str
    reasons: list[ReasonView]
    history: list[HistoryStep]
    location: GeoResult | None
    submission: Submission
    received_at: Time
    edition: str | None
    contact: Contact | None
    contact_erased: bool
    callback_url: str | None
    actions: Actions | None = None
    #: the event's public page on the map, once published
    public_url: str | None = None
    #: for the public: scheduled, full or cancelled (PUT .../event-status), places left
    event_status: EventStatus
    remaining_places: int | None
    event_status_at: Time | None
    #: the importer's identifier of the event (bulk import), if it came so
    external_id: str | None
    links: Links


class SubmissionSummary(BaseModel):
    id: str
    version: int
    status: Status
    status_label: str
    title: str
    kind: Kind
    #: the first start
    starts_at: AwareDatetime
    event_status: EventStatus
    department: str | None
    city: str | None
    organizer_name: str
    reasons: list[Reason]
    received_at: Time
    links: Links


class SubmissionPage(BaseModel):
    items: list[SubmissionSummary]
    #: pass it as ``cursor`` for the next page; null on the last one
    next_cursor: str | None
    links: PageLinks | None = None


def links(submission_id: str) -> dict[str, str]:
    return {"self": f"/v1/submissions/{submission_id}"}


def accepted(result: Accepted, headers: dict[str, str] | None = None) -> JSONResponse:
    """The 202 of a command (an ``AcceptedView``, written directly: the intake's hot path)."""
    body: dict[str, Any] = {"id": result.submission_id, "version": result.version,
                            "status": result.status}
    if result.organizer_token is not None:
        body["organizer_token"] = result.organizer_token
    body["links"] = links(result.submission_id)
    return JSONResponse(body, status_code=202, headers=headers)


def actions(record: SubmissionRecord, *, late: bool) -> Actions:
    amend = record.refusal(Command.amend, late=late)
    withdrawn = record.status is Status.withdrawn
    event_status = record.refusal(Command.set_event_status)
    return Actions(
        amend=Allowed(allowed=amend is None, reason=amend.message if amend else None),
        withdraw=Allowed(allowed=not withdrawn,
                         reason="Cet événement est déjà retiré." if withdrawn else None),
        event_status=Allowed(allowed=event_status is None,
                             reason=event_status.message if event_status else None),
    )


def view(record: SubmissionRecord, contact: dict[str, Any] | None, *, late: bool = False,
         map_public_url: str | None = None) -> SubmissionView:
    """What an organiser or an operator sees (never the token hash)."""
    public = (f"{map_public_url}/evenements/{record.id}"
              if map_public_url and record.status is Status.published else None)
    return SubmissionView(
        id=record.id,
        version=record.version,
        status=record.status,
        status_label=STATUS_LABELS[record.status],
        reasons=explained(record.reasons),
        history=[HistoryStep(status=h.status, at=h.at, by=h.by, event=h.event, detail=h.detail)
                 for h in record.history],
        location=record.location,
        submission=record.submission,
        received_at=record.received_at,
        edition=record.edition,
        contact=Contact(**contact) if contact else None,
        contact_erased=record.contact_erased,
        callback_url=record.callback_url,
        actions=actions(record, late=late),
        public_url=public,
        event_status=record.event_status,
        remaining_places=record.remaining_places,
        event_status_at=record.event_status_at,
        external_id=record.external_id,
        links=Links(**links(record.id)),
    )


def summary(record: SubmissionRecord) -> SubmissionSummary:
    sub = record.submission
    return SubmissionSummary(
        id=record.id,
        version=record.version,
        status=record.status,
        status_label=STATUS_LABELS[record.status],
        title=sub.title,
        kind=sub.kind,
        starts_at=sub.starts_at,
        event_status=record.event_status,
        department=record.department,
        city=sub.location.city if sub.location else None,
        organizer_name=sub.organizer.name,
        reasons=record.reasons,
        received_at=record.received_at,
        links=Links(**links(record.id)),
    )
