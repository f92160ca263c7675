"""Organiser routes: submit, read the status, amend, withdraw."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..commands import Accepted
from ..idempotency import MAX_KEY_LENGTH, IdempotencyConflict
from ..intake_model import SubmissionIn
from ..projection import Doc
from .deps import (
    PROBLEMS,
    cid,
    document_for,
    fail,
    rate_limit,
    read_json,
    run,
    runtime,
    validate,
)

router = APIRouter(prefix="/v1/submissions", tags=["organisers"])

STATUS_LABELS = {
    "received": "reçue, en cours d'examen",
    "labelled": "labellisée",
    "rejected": "refusée",
    "needs_review": "à examiner par l'équipe de la Semaine de l'industrie",
    "published": "labellisée et publiée sur la carte",
    "location_unresolved": "labellisée, adresse à vérifier avant publication",
    "withdrawn": "retirée",
}


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The model's JSON schema with its ``$defs`` inlined (OpenAPI cannot resolve them)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.rsplit("/", 1)[1]]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline_refs(SubmissionIn.model_json_schema())}},
    }
}


def links(submission_id: str) -> dict[str, str]:
    return {"self": f"/v1/submissions/{submission_id}"}


def accepted_body(result: Accepted) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": result.submission_id,
        "version": result.version,
        "status": result.status,
    }
    if result.organizer_token is not None:
        body["organizer_token"] = result.organizer_token
    body["links"] = links(result.submission_id)
    return body


def view(doc: Doc, contact: dict[str, Any] | None) -> dict[str, Any]:
    """What an organiser or an operator sees (never the token hash)."""
    return {
        "id": doc["id"],
        "version": doc["version"],
        "status": doc["status"],
        "status_label": STATUS_LABELS.get(doc["status"], doc["status"]),
        "reasons": doc["reasons"],
        "history": [
            {"status": h["status"], "at": h["at"], "by": h["by"], "event": h.get("event")}
            for h in doc["history"]
        ],
        "location": doc.get("location"),
        "submission": doc["submission"],
        "received_at": doc["received_at"],
        "edition": doc.get("edition"),
        "contact": contact,
        "contact_erased": bool(doc.get("contact_erased")),
        "callback_url": doc.get("callback_url"),
        "links": links(doc["id"]),
    }


@router.post(
    "",
    status_code=202,
    summary="Inscrire un événement",
    openapi_extra=BODY_DOC,
    responses={
        202: {"description": "Reçue (JetStream a accusé réception)"},
        409: {"description": "Idempotency-Key déjà utilisée avec un autre contenu"},
        413: {"description": "Corps > 64 Kio"},
        415: {"description": "Pas du JSON"},
        422: {"description": "Champs invalides (liste complète, codes stables)"},
        429: {"description": "Trop de demandes"},
        503: {"description": "Bus indisponible : rien n'a été enregistré, réessayez"},
    },
)
async def submit(request: Request) -> JSONResponse:
    rt = runtime(request)
    rate_limit(request, rt)
    key = request.headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()):
        raise fail(
            400,
            "Idempotency-Key invalide",
            f"La clé doit compter de 1 à {MAX_KEY_LENGTH} caractères imprimables.",
            type=PROBLEMS + "bad-idempotency-key",
        )
    data = await read_json(request, rt)
    body = validate(data)
    try:
        result = await run(
            rt, rt.commands.submit(body, data, idempotency_key=key, correlation_id=cid(request))
        )
    except IdempotencyConflict:
        raise fail(
            409,
            "Clé d'idempotence déjà utilisée",
            "Cette Idempotency-Key a déjà servi pour une autre demande : utilisez une nouvelle clé.",
            type=PROBLEMS + "idempotency-key-reused",
        ) from None
    headers = {"Location": links(result.submission_id)["self"]}
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(accepted_body(result), status_code=202, headers=headers)


@router.get("/{submission_id}", summary="Statut, motifs et historique d'une inscription")
async def read(submission_id: str, request: Request) -> dict[str, Any]:
    rt = runtime(request)
    doc, _ = await document_for(request, rt, submission_id)
    contact = await run(rt, rt.commands.contact_of(doc))
    return view(doc, contact)


@router.put(
    "/{submission_id}",
    status_code=202,
    summary="Modifier une inscription (avant la date limite)",
    openapi_extra=BODY_DOC,
)
async def amend(submission_id: str, request: Request) -> JSONResponse:
    rt = runtime(request)
    rate_limit(request, rt)
    doc, caller = await document_for(request, rt, submission_id)
    body = validate(await read_json(request, rt))
    result = await run(rt, rt.commands.amend(doc, body, by=caller.by, correlation_id=cid(request)))
    return JSONResponse(accepted_body(result), status_code=202)


@router.delete("/{submission_id}", status_code=202, summary="Retirer une inscription")
async def withdraw(submission_id: str, request: Request) -> JSONResponse:
    rt = runtime(request)
    rate_limit(request, rt)
    doc, caller = await document_for(request, rt, submission_id)
    result = await run(rt, rt.commands.withdraw(doc, by=caller.by, correlation_id=cid(request)))
    return JSONResponse(accepted_body(result), status_code=202)
