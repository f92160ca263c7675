"""Organiser routes: submit, read the status, amend, withdraw (operators may do the last three)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from ..commands import now
from ..idempotency import MAX_KEY_LENGTH, IdempotencyConflict
from ..intake_model import SubmissionIn
from .body import JsonBodyRoute
from .deps import CorrelationId, OwnTarget, RateLimited, RuntimeDep
from .problems import documented, fail
from .views import AcceptedView, SubmissionView, accepted, links, view

router = APIRouter(prefix="/v1/submissions", tags=["organisers"], route_class=JsonBodyRoute)

#: what a client may do next with the id an intake answers (OpenAPI links)
NEXT = ("read_submission", "amend_submission", "withdraw_submission", "decide_submission",
        "relocate_submission", "rejudge_submission", "erase_contact", "set_event_status",
        "carry_over_candidates", "carry_over")

#: printable characters (as ``str.isprintable`` has them in the header's Latin-1), no
#: blank at either end (HTTP strips it)
_KEY_CHAR = r"!-~\xa1-\xac\xae-\xff"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=rf"^[{_KEY_CHAR}]([ {_KEY_CHAR}]*[{_KEY_CHAR}])?$",
        description="Une clé unique par inscription (un UUID) : la même clé avec le même "
        "contenu rend la même réponse, sans seconde inscription ; avec un autre contenu, 409.",
    ),
]


@router.post(
    "",
    status_code=202,
    summary="Inscrire un événement",
    operation_id="submit_submission",
    response_model=AcceptedView,
    response_description="Reçue (JetStream en a accusé réception)",
    dependencies=[RateLimited],
    responses={
        202: {"links": {
            op: {"operationId": op, "parameters": {"submission_id": "$response.body#/id"}}
            for op in NEXT
        }},
        **documented(400, 409, 413, 415, 422, 429, 503),
    },
)
async def submit(body: SubmissionIn, request: Request, rt: RuntimeDep,
                 correlation_id: CorrelationId,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    try:
        # the key's record holds a hash of the body as sent (request.json(): already parsed)
        result = await rt.commands.submit(body, await request.json(),
                                          idempotency_key=idempotency_key,
                                          correlation_id=correlation_id)
    except IdempotencyConflict:
        raise fail(
            409,
            "Clé d'idempotence déjà utilisée",
            "Cette Idempotency-Key a déjà servi pour une autre demande : "
            "utilisez une nouvelle clé.",
            code="idempotency-key-reused",
            extra={"code": "idempotency_key_reused"},
        ) from None
    headers = {"Location": links(result.submission_id)["self"]}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return accepted(result, headers)


@router.get(
    "/{submission_id}",
    summary="Statut, motifs et historique d'une inscription",
    operation_id="read_submission",
    response_model=SubmissionView,
    responses=documented(401, 404, 503),
)
async def read(target: OwnTarget, rt: RuntimeDep) -> SubmissionView:
    edition = rt.commands.edition()
    return view(target.record, await rt.commands.contact_of(target.record),
                late=edition is not None and edition.is_late(now()),
                map_public_url=rt.settings.map_public_url)


@router.put(
    "/{submission_id}",
    status_code=202,
    summary="Modifier une inscription (avant la date limite)",
    operation_id="amend_submission",
    response_model=AcceptedView,
    dependencies=[RateLimited],
    responses=documented(401, 404, 409, 413, 415, 422, 429, 503),
)
async def amend(body: SubmissionIn, target: OwnTarget, rt: RuntimeDep,
                correlation_id: CorrelationId) -> JSONResponse:
    result = await rt.commands.amend(target.record, body, by=target.by,
                                     correlation_id=correlation_id)
    return accepted(result)


@router.delete(
    "/{submission_id}",
    status_code=202,
    summary="Retirer une inscription",
    operation_id="withdraw_submission",
    response_model=AcceptedView,
    dependencies=[RateLimited],
    responses=documented(401, 404, 429, 503),
)
async def withdraw(target: OwnTarget, rt: RuntimeDep,
                   correlation_id: CorrelationId) -> JSONResponse:
    result = await rt.commands.withdraw(target.record, by=target.by,
                                        correlation_id=correlation_id)
    return accepted(result)
