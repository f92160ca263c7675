"""Operator routes: list, export, decide, place, re-judge, erase the contact.

Every action is published with ``by = "operator:<name>"`` and so lands in the history.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sdi_common.contracts import KINDS, Status

from ..export_csv import export_rows
from ..field_errors import from_validation_error
from ..store.base import Filters
from .deps import (
    PROBLEMS,
    cid,
    fail,
    invalid,
    operator_document,
    operator_of,
    read_json,
    run,
    runtime,
)
from .organizers import STATUS_LABELS, accepted_body, links

router = APIRouter(prefix="/v1/submissions", tags=["operators"])


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    decision: Literal["label", "reject"]
    reason: Annotated[str, Field(max_length=2000)] = ""


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lon: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
    lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


def _parse(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(from_validation_error(exc)) from None


def _filters(status: str | None, department: str | None, kind: str | None, q: str | None) -> Filters:
    if status and status not in Status.__members__:
        raise fail(400, "Filtre invalide", f"Statut inconnu : {status}.", type=PROBLEMS + "bad-filter")
    if kind and kind not in KINDS:
        raise fail(400, "Filtre invalide", f"Type inconnu : {kind}.", type=PROBLEMS + "bad-filter")
    return Filters(status=status or None, department=department or None, kind=kind or None,
                   q=(q or "").strip()[:200] or None)


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    sub = doc["submission"]
    return {
        "id": doc["id"],
        "version": doc["version"],
        "status": doc["status"],
        "status_label": STATUS_LABELS.get(doc["status"], doc["status"]),
        "title": sub["title"],
        "kind": sub["kind"],
        "starts_at": sub["starts_at"],
        "department": doc.get("department"),
        "city": (sub.get("location") or {}).get("city"),
        "organizer_name": sub["organizer"]["name"],
        "reasons": doc["reasons"],
        "received_at": doc["received_at"],
        "links": links(doc["id"]),
    }


@router.get("", summary="Lister les inscriptions (opérateurs)")
async def list_submissions(
    request: Request,
    status: str | None = None,
    department: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> dict[str, Any]:
    rt = runtime(request)
    operator_of(request, rt)
    filters = _filters(status, department, kind, q)
    try:
        page = await rt.store.list(filters, cursor=cursor, limit=min(limit, rt.settings.page_size_max))
    except ValueError:
        raise fail(400, "Curseur invalide", type=PROBLEMS + "bad-cursor") from None
    body: dict[str, Any] = {"items": [summary(d) for d in page.items], "next_cursor": page.next_cursor}
    if page.next_cursor:
        body["links"] = {"next": str(request.url.include_query_params(cursor=page.next_cursor))}
    return body


@router.get(
    "/export.csv",
    summary="Export CSV pour le suivi de la DGE (UTF-8 avec BOM, séparateur ;)",
    response_class=StreamingResponse,
)
async def export(
    request: Request,
    status: str | None = None,
    department: str | None = None,
    kind: str | None = None,
    q: str | None = None,
) -> StreamingResponse:
    rt = runtime(request)
    operator_of(request, rt)
    filters = _filters(status, department, kind, q)
    return StreamingResponse(
        export_rows(rt.store.scan(filters)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="inscriptions.csv"'},
    )


@router.post("/{submission_id}/decision", status_code=202, summary="Labelliser ou refuser")
async def decide(submission_id: str, request: Request) -> JSONResponse:
    rt = runtime(request)
    op, doc = await operator_document(request, rt, submission_id)
    body = _parse(DecisionIn, await read_json(request, rt))
    if body.decision == "reject" and not body.reason:
        raise invalid([{"field": "reason", "code": "required",
                        "message": "Indiquez le motif du refus : il est montré à l'organisateur."}])
    result = await run(
        rt,
        rt.commands.decide(doc, body.decision, body.reason, by=f"operator:{op.name}",
                           correlation_id=cid(request)),
    )
    return JSONResponse(accepted_body(result), status_code=202)


@router.put("/{submission_id}/location", status_code=202, summary="Placer un événement à la main")
async def relocate(submission_id: str, request: Request) -> JSONResponse:
    rt = runtime(request)
    op, doc = await operator_document(request, rt, submission_id)
    body = _parse(LocationIn, await read_json(request, rt))
    result = await run(
        rt,
        rt.commands.relocate(doc, body.lon, body.lat, by=f"operator:{op.name}",
                             correlation_id=cid(request)),
    )
    return JSONResponse(accepted_body(result), status_code=202)


@router.post("/{submission_id}/rejudge", status_code=202,
             summary="Faire réexaminer sous l'édition en vigueur")
async def rejudge(submission_id: str, request: Request) -> JSONResponse:
    rt = runtime(request)
    op, doc = await operator_document(request, rt, submission_id)
    result = await run(
        rt, rt.commands.rejudge(doc, by=f"operator:{op.name}", correlation_id=cid(request))
    )
    return JSONResponse(accepted_body(result), status_code=202)


@router.delete("/{submission_id}/contact", status_code=202,
               summary="Effacer les coordonnées de l'organisateur (RGPD)")
async def erase_contact(submission_id: str, request: Request) -> JSONResponse:
    rt = runtime(request)
    op, doc = await operator_document(request, rt, submission_id)
    await run(rt, rt.commands.erase_contact(doc, by=f"operator:{op.name}",
                                            correlation_id=cid(request)))
    return JSONResponse({"id": doc["id"], "contact_erased": True, "links": links(doc["id"])},
                        status_code=202)
