"""Full or cancelled: the organiser (with the token) or an operator says it for the public.

``PUT /v1/submissions/{id}/event-status`` with ``{"event_status": "scheduled" | "full" |
"cancelled", "remaining_places": n}`` publishes an ``EventStatusSet`` (the same again
publishes nothing); the map shows the event as such, and a cancelled event stays on it
(a withdrawn one leaves it). Only a labelled event has one (``record.EVENT_STATUS_SETTABLE``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError
from sdi_common.contracts import EventStatus

from .body import JsonBodyRoute
from .deps import CorrelationId, OwnTarget, RateLimited, RuntimeDep
from .problems import documented, invalid_body
from .views import Links, links

router = APIRouter(prefix="/v1/submissions", tags=["organisers"], route_class=JsonBodyRoute)

MAX_PLACES = 10_000_000


class EventStatusIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"allOf": [
            # a full event has no place left; a cancelled one none to count
            {"if": {"properties": {"event_status": {"const": "full"}},
                    "required": ["event_status"]},
             "then": {"properties": {"remaining_places": {"enum": [0, None]}}}},
            {"if": {"properties": {"event_status": {"const": "cancelled"}},
                    "required": ["event_status"]},
             "then": {"properties": {"remaining_places": {"type": "null"}}}},
        ]},
    )

    event_status: EventStatus
    #: the places still free (``capacity`` is the whole: given with the event)
    remaining_places: Annotated[int, Field(ge=0, le=MAX_PLACES)] | None = None

    @field_validator("remaining_places")
    @classmethod
    def _consistent(cls, places: int | None, info: ValidationInfo) -> int | None:
        status = info.data.get("event_status")
        if status == "full" and places:
            raise PydanticCustomError("remaining_places_when_full", "full: no place left")
        if status == "cancelled" and places is not None:
            raise PydanticCustomError("remaining_places_when_cancelled", "cancelled: no places")
        return places


class EventStatusView(BaseModel):
    id: str
    event_status: EventStatus
    remaining_places: int | None
    #: when the organiser or an operator last said it (null: never, it is scheduled)
    event_status_at: AwareDatetime | None
    links: Links


@router.put(
    "/{submission_id}/event-status",
    status_code=202,
    summary="Annoncer un événement complet ou annulé (ou de nouveau ouvert)",
    operation_id="set_event_status",
    response_model=EventStatusView,
    dependencies=[RateLimited],
    responses=documented(401, 404, 409, 413, 415, 422, 429, 503),
)
async def set_event_status(body: EventStatusIn, target: OwnTarget, rt: RuntimeDep,
                           correlation_id: CorrelationId) -> JSONResponse:
    record = target.record
    capacity = record.submission.capacity
    if body.remaining_places is not None and capacity is not None \
            and body.remaining_places > capacity:
        return invalid_body([{
            "field": "remaining_places", "code": "remaining_places_above_capacity",
            "message": f"Il ne peut rester plus de places que la capacité annoncée ({capacity}).",
        }])
    event = await rt.commands.set_event_status(record, body.event_status, body.remaining_places,
                                               by=target.by, correlation_id=correlation_id)
    return JSONResponse(EventStatusView(
        id=record.id, event_status=body.event_status, remaining_places=body.remaining_places,
        event_status_at=event.at if event else record.event_status_at,
        links=Links(**links(record.id)),
    ).model_dump(mode="json"), status_code=202)
