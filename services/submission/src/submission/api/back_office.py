"""The back office's API: the review queue, one submission as the committee reviews it,
and decisions on several submissions at once. Every route is the operators' (a bearer
token or the session cookie) and sees only the operator's scope."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError
from sdi_common.contracts import Kind, Status
from sdi_common.places import REGION_NAMES

from ..commands import Unavailable
from ..record import NEEDS_PERSON, Command, Conflict, SubmissionRecord
from ..store.base import QUEUE, Filters
from ..workdays import working_days_between
from .body import JsonBodyRoute
from .deps import CorrelationId, OperatorDep, OperatorTarget, RuntimeDep, in_scope
from .operators import DEPARTMENT, PAGE_SIZE_MAX, REGION, DecisionIn
from .problems import ConflictProblem, Problem, documented, not_found, not_stored, refused
from .views import AcceptedView, PageLinks, SubmissionSummary, SubmissionView, summary, view

router = APIRouter(prefix="/v1", tags=["back-office"], route_class=JsonBodyRoute)

#: a position in the queue, as ``next_cursor`` gives it
QUEUE_CURSOR = (r"^[01]_[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]"
                r"(\.[0-9]{6})?\+00:00_[0-9a-f]{1,64}$")
#: the queue's selections: what waits for a person (default), everything, or one status
Selection = Literal["waiting", "all", *(s.value for s in Status)]  # type: ignore[valid-type]


# --------------------------------------------------------------------------- views


class Age(BaseModel):
    """How long the request has waited for the committee (only while it waits)."""

    #: working days begun since it was received (Paris time, French public holidays)
    working_days: int
    #: the committee's target (REVIEW_TARGET_DAYS)
    target: int
    overdue: bool


class QueueItem(SubmissionSummary):
    region: str | None
    age: Age | None


class QueueCounts(BaseModel):
    waiting: int
    all: int
    by_status: dict[Status, int]


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None
    links: PageLinks | None = None
    #: how many match the filters, for each selection (the filters but the status)
    counts: QueueCounts
    #: how many match the filters and the selection
    total: int


class Action(BaseModel):
    """An operator command and whether the record's state allows it now."""

    command: Command
    allowed: bool
    #: why not, in French
    refusal: str | None = None


class Review(BaseModel):
    submission: SubmissionView
    department: str | None
    region: str | None
    region_name: str | None
    age: Age | None
    decision: Literal["label", "reject"] | None
    decided_at: datetime | None
    decided_by: str | None
    actions: list[Action]


def age(record: SubmissionRecord, target: int, now: datetime) -> Age | None:
    if not record.waits_for_a_person:
        return None
    days = working_days_between(record.received_at, now)
    return Age(working_days=days, target=target, overdue=days > target)


# --------------------------------------------------------------------------- the queue


async def queue_filters(
    op: OperatorDep,
    status: Annotated[Selection, Query(description="waiting (à traiter : needs_review et "
                                       "location_unresolved), all, ou un statut")] = "waiting",
    region: Annotated[str | None, Query(pattern=REGION, description="Code INSEE de la "
                                        "région : 84, 11, 94")] = None,
    department: Annotated[
        str | None, Query(pattern=DEPARTMENT, description="Code du département : 69, 2A, 974")
    ] = None,
    kind: Kind | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Mots du titre (tous)")] = None,
) -> tuple[Filters, str]:
    return Filters(region=region, department=department, kind=kind,
                   q=(q or "").strip() or None, scope=op.scope), status


@router.get(
    "/queue",
    summary="La file d'examen : ce qui attend une personne d'abord, le plus ancien d'abord",
    operation_id="review_queue",
    response_model=QueuePage,
    response_model_exclude_unset=True,
    responses=documented(400, 401, 403),
)
async def review_queue(
    request: Request,
    rt: RuntimeDep,
    selected: Annotated[tuple[Filters, str], Depends(queue_filters)],
    cursor: Annotated[
        str | None, Query(pattern=QUEUE_CURSOR, description="Le next_cursor de la page précédente")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX, description="Taille de la page")] = 50,
) -> dict:
    base, selection = selected
    if selection == "waiting":
        where = replace(base, needs_person=True)
    elif selection == "all":
        where = base
    else:
        where = replace(base, status=Status(selection))
    page, counted = await asyncio.gather(
        rt.store.list(where, cursor=cursor, limit=limit, order=QUEUE),
        rt.store.count_by(base, "status"),
    )
    by_status = {s: counted.get((s.value,), 0) for s in Status}
    waiting = sum(by_status[s] for s in NEEDS_PERSON)
    everything = sum(by_status.values())
    if selection in ("waiting", "all"):
        total = waiting if selection == "waiting" else everything
    else:
        total = by_status[Status(selection)]
    target, now = rt.settings.review_target_days, datetime.now(UTC)
    items = [QueueItem(**summary(r).model_dump(), region=r.region, age=age(r, target, now))
             for r in page.items]
    body: dict = {"items": items, "next_cursor": page.next_cursor,
                  "counts": QueueCounts(waiting=waiting, all=everything, by_status=by_status),
                  "total": total}
    if page.next_cursor:
        body["links"] = {"next": str(request.url.include_query_params(cursor=page.next_cursor))}
    return body


# --------------------------------------------------------------------------- one submission

#: the operator commands the submission page offers
ACTIONS = (Command.decide, Command.relocate, Command.rejudge, Command.erase_contact,
           Command.set_event_status)


@router.get(
    "/submissions/{submission_id}/review",
    summary="Une inscription telle que le comité l'examine : contenu, verdict, historique, "
    "contact, délai, actions possibles",
    operation_id="review_submission",
    response_model=Review,
    responses=documented(401, 403, 404, 503),
)
async def review(target: OperatorTarget, rt: RuntimeDep) -> Review:
    record = target.record
    refusals = {c: record.refusal(c) for c in ACTIONS}
    return Review(
        submission=view(record, await rt.commands.contact_of(record)),
        department=record.department,
        region=record.region,
        region_name=REGION_NAMES.get(record.region or ""),
        age=age(record, rt.settings.review_target_days, datetime.now(UTC)),
        decision=record.decided_as,
        decided_at=record.decided_at,
        decided_by=record.decided_by,
        actions=[Action(command=c, allowed=r is None, refusal=r.message if r else None)
                 for c, r in refusals.items()],
    )


# --------------------------------------------------------------------------- bulk decisions


class BulkDecisionIn(DecisionIn):
    """A decision (and its motif) for each of ``ids``; a refusal needs its reason, as one."""

    #: the submissions to decide (each in the caller's scope, each ``needs_review``)
    ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]],
                   Field(min_length=1, max_length=PAGE_SIZE_MAX,
                         json_schema_extra={"uniqueItems": True})]

    @field_validator("ids")
    @classmethod
    def _each_once(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("duplicate_ids", "each submission once")
        return ids


class ItemResult(BaseModel):
    id: str
    #: the HTTP status this submission alone would have got: 202, 404, 409 or 503
    status: Literal[202, 404, 409, 503]
    accepted: AcceptedView | None = None
    problem: ConflictProblem | Problem | None = None


def _failed(submission_id: str, answer) -> ItemResult:
    """One item's answer: the problem the same action alone would have answered."""
    body = orjson.loads(answer.body)
    model = ConflictProblem if "code" in body else Problem
    return ItemResult(id=submission_id, status=answer.status_code,
                      problem=model.model_validate(body))


class BulkResult(BaseModel):
    results: list[ItemResult]
    accepted: int
    refused: int


@router.post(
    "/submissions/decisions",
    summary="Labelliser ou refuser plusieurs inscriptions (une réponse par inscription)",
    operation_id="decide_submissions",
    response_model=BulkResult,
    responses=documented(401, 403, 413, 415, 422),
)
async def decide_many(body: BulkDecisionIn, op: OperatorDep, rt: RuntimeDep,
                      correlation_id: CorrelationId) -> BulkResult:
    by = f"operator:{op.name}"
    gate = asyncio.Semaphore(16)  # JetStream acks come back concurrently, not in turn

    async def one(submission_id: str) -> ItemResult:
        async with gate:
            record = await rt.store.get(submission_id)
            if record is None or not in_scope(op, record):
                return _failed(submission_id, not_found().response)
            try:
                done = await rt.commands.decide(record, body.decision, body.reason, by=by,
                                                correlation_id=correlation_id)
            except Conflict as exc:
                return _failed(submission_id, refused(exc))
            except Unavailable:
                return _failed(submission_id, not_stored(rt.settings.retry_after))
            return ItemResult(id=submission_id, status=202, accepted=AcceptedView(
                id=done.submission_id, version=done.version, status=done.status,
                links={"self": f"/v1/submissions/{done.submission_id}"}))

    results = await asyncio.gather(*(one(i) for i in body.ids))
    accepted = sum(r.status == 202 for r in results)
    return BulkResult(results=list(results), accepted=accepted, refused=len(results) - accepted)
