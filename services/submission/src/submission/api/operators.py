"""Operator routes: list, export, decide, place, re-judge, erase the contact.

Every action is published with ``by = "operator:<name>"`` and so lands in the history.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sdi_common.contracts import Kind, Point, Status

from ..export_csv import export_rows
from ..store.base import Filters
from .body import JsonBodyRoute
from .deps import CorrelationId, OperatorDep, OperatorOnly, OperatorTarget, RuntimeDep
from .problems import documented
from .views import AcceptedView, ContactErasedView, SubmissionPage, accepted, links, summary

router = APIRouter(prefix="/v1/submissions", tags=["operators"], route_class=JsonBodyRoute)

#: the largest page of the list (a larger ``limit`` is refused, not cut down)
PAGE_SIZE_MAX = 200
#: a position in the list, as ``next_cursor`` gives it: the UTC time and the id of a record
CURSOR = (r"^[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\.[0-9]{6})?"
          r"\+00:00_[0-9a-f]{32}$")
#: a département code as the store keeps it: 01–95, 2A, 2B, 971–978, 984–988
DEPARTMENT = r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-8]|98[4-8])$"


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        # a refusal needs its reason (the organiser reads it)
        json_schema_extra={
            "if": {"properties": {"decision": {"const": "reject"}}, "required": ["decision"]},
            "then": {"required": ["reason"], "properties": {"reason": {"pattern": r"\S"}}},
        },
    )
    decision: Literal["label", "reject"]
    #: shown to the organiser; required to reject
    reason: Annotated[str, Field(max_length=2000, validate_default=True)] = ""

    @field_validator("reason")
    @classmethod
    def _refusal_has_a_reason(cls, reason: str, info: ValidationInfo) -> str:
        if info.data.get("decision") == "reject" and not reason:
            raise PydanticCustomError("reason_required", "a refusal needs a reason")
        return reason


class PointIn(BaseModel):
    """Where an operator places an event (WGS 84)."""

    model_config = ConfigDict(extra="forbid")
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


#: a région code (INSEE): 01-04, 06 overseas, 11, 24, 27, 28, 32, 44, 52, 53, 75, 76, 84, 93, 94
REGION = r"^(0[1-46]|11|2[478]|32|44|5[23]|7[56]|84|9[34])$"


async def filters(
    op: OperatorDep,
    status: Status | None = None,
    region: Annotated[
        str | None, Query(pattern=REGION, description="Code INSEE de la région : 84, 11, 94")
    ] = None,
    department: Annotated[
        str | None, Query(pattern=DEPARTMENT, description="Code du département : 69, 2A, 974")
    ] = None,
    kind: Kind | None = None,
    q: Annotated[str | None, Query(max_length=200, description="Mots du titre (tous)")] = None,
) -> Filters:
    """The filters of a listing, within the operator's scope."""
    return Filters(status=status, region=region, department=department, kind=kind,
                   q=(q or "").strip() or None, scope=op.scope)


FiltersDep = Annotated[Filters, Depends(filters)]


@router.get(
    "",
    summary="Lister les inscriptions (opérateurs)",
    operation_id="list_submissions",
    response_model=SubmissionPage,
    response_model_exclude_unset=True,
    dependencies=[OperatorOnly],
    responses=documented(400, 401, 403),
)
async def list_submissions(
    request: Request,
    rt: RuntimeDep,
    where: FiltersDep,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR, description="Le next_cursor de la page précédente")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=PAGE_SIZE_MAX, description="Taille de la page")] = 50,
) -> dict:
    page = await rt.store.list(where, cursor=cursor, limit=limit)
    body: dict = {"items": [summary(r) for r in page.items], "next_cursor": page.next_cursor}
    if page.next_cursor:
        body["links"] = {"next": str(request.url.include_query_params(cursor=page.next_cursor))}
    return body


@router.get(
    "/export.csv",
    summary="Export CSV pour le suivi de la DGE (UTF-8 avec BOM, séparateur ;)",
    operation_id="export_submissions",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
               **documented(400, 401, 403)},
    dependencies=[OperatorOnly],
)
async def export(rt: RuntimeDep, where: FiltersDep) -> StreamingResponse:
    return StreamingResponse(
        export_rows(rt.store.scan(where)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="inscriptions.csv"'},
    )


@router.post(
    "/{submission_id}/decision",
    status_code=202,
    summary="Labelliser ou refuser",
    operation_id="decide_submission",
    response_model=AcceptedView,
    responses=documented(401, 403, 404, 409, 413, 415, 422, 503),
)
async def decide(body: DecisionIn, target: OperatorTarget, rt: RuntimeDep,
                 correlation_id: CorrelationId) -> JSONResponse:
    result = await rt.commands.decide(target.record, body.decision, body.reason,
                                      by=target.by, correlation_id=correlation_id)
    return accepted(result)


@router.put(
    "/{submission_id}/location",
    status_code=202,
    summary="Placer un événement à la main",
    operation_id="relocate_submission",
    response_model=AcceptedView,
    responses=documented(401, 403, 404, 409, 413, 415, 422, 503),
)
async def relocate(body: PointIn, target: OperatorTarget, rt: RuntimeDep,
                   correlation_id: CorrelationId) -> JSONResponse:
    result = await rt.commands.relocate(target.record, Point(lon=body.lon, lat=body.lat),
                                        by=target.by, correlation_id=correlation_id)
    return accepted(result)


@router.post(
    "/{submission_id}/rejudge",
    status_code=202,
    summary="Faire réexaminer sous l'édition en vigueur",
    operation_id="rejudge_submission",
    response_model=AcceptedView,
    responses=documented(401, 403, 404, 409, 503),
)
async def rejudge(target: OperatorTarget, rt: RuntimeDep,
                  correlation_id: CorrelationId) -> JSONResponse:
    result = await rt.commands.rejudge(target.record, by=target.by,
                                       correlation_id=correlation_id)
    return accepted(result)


@router.delete(
    "/{submission_id}/contact",
    status_code=202,
    summary="Effacer les coordonnées de l'organisateur (RGPD)",
    operation_id="erase_contact",
    response_model=ContactErasedView,
    responses=documented(401, 403, 404, 503),
)
async def erase_contact(target: OperatorTarget, rt: RuntimeDep,
                        correlation_id: CorrelationId) -> JSONResponse:
    record = target.record
    await rt.commands.erase_contact(record, by=target.by, correlation_id=correlation_id)
    return JSONResponse({"id": record.id, "contact_erased": True, "links": links(record.id)},
                        status_code=202)
