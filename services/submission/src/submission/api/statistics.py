"""The edition's statistics for the operators, within their scope: JSON and CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel
from sdi_common.contracts import Status
from sdi_common.places import REGION_NAMES

from ..export_csv import BOM, csv_line
from ..statistics import statistics as statistics_of
from ..store.base import Filters
from .deps import OperatorDep, RuntimeDep
from .problems import documented
from .sign_in import ScopeView, scope_view

router = APIRouter(prefix="/v1", tags=["back-office"])

StatusCounts = dict[Status, int]


class DecisionTime(BaseModel):
    #: versions decided (labelled or rejected), automatically or by an operator
    decided: int
    #: median seconds from reception to that decision
    median_seconds: float | None
    decided_by_operator: int
    median_seconds_by_operator: float | None


class Placement(BaseModel):
    #: events placed on the map (not withdrawn)
    placed: int
    #: housenumber, street, municipality, department, manual
    by_precision: dict[str, int]
    #: of the placed: street (housenumber or street), commune, manual, department
    share: dict[str, float]


class DayCount(BaseModel):
    day: str
    count: int


class Statistics(BaseModel):
    #: the active edition (records judged under it, and those not judged yet)
    edition: str | None
    scope: ScopeView
    total: int
    by_status: StatusCounts
    #: région code ("none": online events, addresses outside the départements) → status → n
    by_region: dict[str, StatusCounts]
    by_department: dict[str, StatusCounts]
    by_kind: dict[str, StatusCounts]
    #: how many are open to each public (an event has one or several)
    by_audience: dict[str, int]
    decision_time: DecisionTime
    placement: Placement
    #: submissions per day (first submission, Paris time)
    submissions_per_day: list[DayCount]
    #: région code → name
    region_names: dict[str, str]


async def _statistics(rt: RuntimeDep, op: OperatorDep) -> dict[str, Any]:
    edition = rt.commands.edition()
    name = edition.name if edition else None
    figures = await statistics_of(rt.store, Filters(scope=op.scope), name)
    return {"edition": name, "scope": scope_view(op.scope), **figures,
            "region_names": REGION_NAMES}


@router.get(
    "/statistics",
    summary="Statistiques de l'édition en cours (dans le périmètre de l'opérateur)",
    operation_id="statistics",
    response_model=Statistics,
    responses=documented(401, 403),
)
async def statistics(rt: RuntimeDep, op: OperatorDep) -> dict[str, Any]:
    return await _statistics(rt, op)


STATUS_COLUMNS = [s.value for s in Status]


@router.get(
    "/statistics.csv",
    summary="Les mêmes statistiques en CSV : une ligne par région, département et type",
    operation_id="statistics_csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
               **documented(401, 403)},
)
async def statistics_csv(rt: RuntimeDep, op: OperatorDep) -> Response:
    figures = await _statistics(rt, op)
    lines = [BOM + csv_line(["dimension", "code", "libellé", *STATUS_COLUMNS, "total"])]
    for dimension, key, names in (("région", "by_region", REGION_NAMES),
                                  ("département", "by_department", {}),
                                  ("type", "by_kind", {})):
        for code, counts in figures[key].items():
            label = "sans" if code == "none" else names.get(code, code)
            row = [counts.get(s, 0) for s in STATUS_COLUMNS]
            lines.append(csv_line([dimension, code, label, *row, sum(row)]))
    return Response("".join(lines), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="statistiques.csv"'})
