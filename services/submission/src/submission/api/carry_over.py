"""Carry over the previous edition's events into the active one (``carry_over``).

``GET /v1/submissions/{id}/carry-over``: the events the address of this submission held in
the previous edition, each with the body it would be submitted with (sessions moved to the
active edition's week); the organiser's page lists them (its token is the one of any of
its submissions) and either prefills the form with ``body`` ("Dupliquer", to change the
dates) or posts the chosen ids: ``POST /v1/submissions/{id}/carry-over`` with
``{"submission_ids": [...]}`` creates them as an import does (same rows in the answer;
carried over again, nothing is created twice).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sdi_common.contracts import EventStatus, Status
from sdi_common.editions import Edition, previous_edition

from ..carry_over import candidates
from ..imports import MAX_ROWS, json_rows
from .body import JsonBodyRoute
from .deps import CorrelationId, ImportRateLimited, OwnTarget, RuntimeDep, Target
from .imports import ImportView, importer
from .problems import documented, invalid_body
from .views import Links, links

router = APIRouter(prefix="/v1/submissions", tags=["organisers"], route_class=JsonBodyRoute)


class CarryOverItem(BaseModel):
    #: the previous edition's event
    id: str
    title: str
    status: Status
    event_status: EventStatus
    starts_at: str
    #: what ``POST /v1/submissions`` (or the form) takes to submit it again, its sessions
    #: moved to the active edition's week; null when its contact was erased
    body: dict[str, Any] | None
    #: its copy in the active edition, once carried over
    carried_over_id: str | None
    links: Links


class CarryOverView(BaseModel):
    #: the active edition, and the one the events come from (null: there is none before)
    edition: str | None
    from_edition: str | None
    items: list[CarryOverItem]


class CarryOverIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    #: ids among the items of GET .../carry-over
    submission_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]],
                              Field(min_length=1, max_length=MAX_ROWS)]


def _editions(rt) -> tuple[Edition | None, Edition | None]:
    active = rt.commands.edition()
    return active, (previous_edition(active, rt.settings.editions_dir) if active else None)


async def _offered(target: Target, rt) -> tuple[Edition | None, Edition | None, list]:
    active, previous = _editions(rt)
    if active is None or previous is None:
        return active, previous, []
    return active, previous, await candidates(target.record, rt.store, rt.commands, previous,
                                              active)


@router.get(
    "/{submission_id}/carry-over",
    summary="Les événements de l'édition précédente (même adresse e-mail), à reconduire",
    operation_id="carry_over_candidates",
    response_model=CarryOverView,
    responses=documented(401, 404, 503),
)
async def offered(target: OwnTarget, rt: RuntimeDep) -> CarryOverView:
    active, previous, found = await _offered(target, rt)
    return CarryOverView(
        edition=active.name if active else None,
        from_edition=previous.name if previous else None,
        items=[CarryOverItem(
            id=c.record.id, title=c.record.submission.title, status=c.record.status,
            event_status=c.record.event_status,
            starts_at=c.record.submission.starts_at.isoformat(), body=c.body,
            carried_over_id=c.carried_over_id, links=Links(**links(c.record.id)),
        ) for c in found],
    )


@router.post(
    "/{submission_id}/carry-over",
    summary="Reconduire des événements de l'édition précédente dans l'édition en cours",
    operation_id="carry_over",
    response_model=ImportView,
    dependencies=[ImportRateLimited],
    responses=documented(401, 404, 413, 415, 422, 429, 503),
)
async def carry_over(body: CarryOverIn, target: OwnTarget, rt: RuntimeDep,
                     correlation_id: CorrelationId) -> JSONResponse:
    _, _, found = await _offered(target, rt)
    offered_ids = {c.record.id: c for c in found if c.body is not None}
    unknown = [i for i in body.submission_ids if i not in offered_ids]
    if unknown:
        return invalid_body([{
            "field": f"submission_ids.{body.submission_ids.index(i)}", "code": "not_offered",
            "message": "Cet événement n'est pas de l'édition précédente pour cette adresse "
            "(ou ses coordonnées ont été effacées).",
        } for i in unknown])
    rows = json_rows([offered_ids[i].body for i in dict.fromkeys(body.submission_ids)])
    outcome = await importer(rt).run(
        rows, dry_run=False, importer_email=None, correlation_id=correlation_id,
        by=target.by, summary=False)  # each event's own receipt says it
    return JSONResponse(outcome.answer())
