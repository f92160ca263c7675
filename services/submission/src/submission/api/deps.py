"""Request plumbing shared by the routes: the runtime, body reading, auth, problems."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import Request
from sdi_common.http import correlation_id, problem
from starlette.responses import JSONResponse

from ..commands import Commands, Conflict, Unavailable
from ..field_errors import FieldError, InvalidInput, parse_json, parse_submission
from ..intake_model import SubmissionIn
from ..projection import Doc
from ..ratelimit import RateLimiter, retry_after
from ..settings import SubmissionSettings
from ..store.base import Store
from ..tokens import Operator, Operators, same_hash, token_hash

PROBLEMS = "https://semaine-industrie.example/problems/"


@dataclass
class Runtime:
    settings: SubmissionSettings
    store: Store
    commands: Commands
    operators: Operators
    limiter: RateLimiter


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


class ProblemError(Exception):
    """Raised anywhere in a route; answered as problem+json by the app's handler."""

    def __init__(self, response: JSONResponse):
        self.response = response


def fail(status: int, title: str, detail: str | None = None, **extra: Any) -> ProblemError:
    return ProblemError(problem(status, title, detail, **extra))


def invalid(errors: list[FieldError]) -> ProblemError:
    return fail(
        422,
        "Formulaire incomplet ou invalide",
        f"{len(errors)} champ(s) à corriger.",
        type=PROBLEMS + "invalid-submission",
        errors=errors,
    )


def unavailable(rt: Runtime) -> ProblemError:
    return fail(
        503,
        "Service momentanément indisponible",
        "Votre demande n'a pas été enregistrée. Réessayez dans quelques secondes.",
        type=PROBLEMS + "unavailable",
        headers={"Retry-After": str(rt.settings.retry_after)},
    )


def conflict(exc: Conflict) -> ProblemError:
    return fail(409, "Action impossible", exc.message, type=PROBLEMS + exc.code, code=exc.code)


def _in(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


@lru_cache(maxsize=8)
def _networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip()]


def client_address(request: Request, rt: Runtime) -> str:
    """The peer, or behind a trusted proxy the nearest address it forwarded that is not
    itself a proxy (the rightmost: entries to its left are whatever the client sent)."""
    peer = request.client.host if request.client else "unknown"
    if not rt.settings.trust_forwarded_for:
        return peer
    proxies = _networks(rt.settings.trusted_proxies)
    if not _in(peer, proxies):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, proxies):
            return hop
    return peer


def rate_limit(request: Request, rt: Runtime) -> None:
    wait = rt.limiter.hit(client_address(request, rt))
    if wait:
        raise fail(
            429,
            "Trop de demandes",
            "Vous envoyez trop de demandes à la fois ; patientez un peu avant de réessayer.",
            type=PROBLEMS + "rate-limited",
            headers={"Retry-After": retry_after(wait)},
        )


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json(request: Request, rt: Runtime) -> dict[str, Any]:
    """The JSON object of the body: 415 for another type, 413 past the size limit."""
    limit = rt.settings.max_body_bytes
    if not _is_json(request.headers.get("content-type", "")):
        raise fail(
            415,
            "Type de contenu non pris en charge",
            "Envoyez le formulaire en JSON (Content-Type: application/json).",
            type=PROBLEMS + "unsupported-media-type",
        )
    def too_large() -> ProblemError:
        return fail(
            413,
            "Demande trop volumineuse",
            f"Le corps de la demande dépasse {limit // 1024} Kio.",
            type=PROBLEMS + "too-large",
        )

    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    try:
        return parse_json(b"".join(chunks))
    except InvalidInput as exc:
        raise invalid(exc.errors) from None


def validate(data: dict[str, Any]) -> SubmissionIn:
    try:
        return parse_submission(data)
    except InvalidInput as exc:
        raise invalid(exc.errors) from None


# --------------------------------------------------------------------------- auth

_NOT_FOUND = ("Demande introuvable", "Aucune demande ne correspond à cet identifiant et ce jeton.")


def bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise fail(
            401,
            "Authentification requise",
            "Présentez le jeton reçu lors de l'inscription (Authorization: Bearer ...).",
            type=PROBLEMS + "unauthenticated",
            headers={"WWW-Authenticate": 'Bearer realm="submissions"'},
        )
    return token.strip()


def operator_of(request: Request, rt: Runtime) -> Operator:
    op = rt.operators.authenticate(bearer(request))
    if op is None:
        raise fail(
            403,
            "Accès réservé aux opérateurs",
            "Ce jeton ne donne pas accès à cette action.",
            type=PROBLEMS + "forbidden",
        )
    return op


@dataclass(frozen=True)
class Caller:
    by: str  # "organizer" or "operator:<name>"
    operator: Operator | None = None


async def _stored(rt: Runtime, submission_id: str) -> Doc | None:
    return await rt.store.get(submission_id) if len(submission_id) <= 64 else None


def not_found() -> ProblemError:
    return fail(404, *_NOT_FOUND, type=PROBLEMS + "not-found")


async def document_for(request: Request, rt: Runtime, submission_id: str) -> tuple[Doc, Caller]:
    """The document, if the bearer is its organiser or an operator; else 404 (same answer
    whether the id exists or not)."""
    token = bearer(request)
    op = rt.operators.authenticate(token)
    doc = await _stored(rt, submission_id)
    if doc is not None:
        if op is not None:
            return doc, Caller(f"operator:{op.name}", op)
        if same_hash(token_hash(token), doc.get("token_sha256")):
            return doc, Caller("organizer")
    raise not_found()


async def operator_document(request: Request, rt: Runtime, submission_id: str) -> tuple[Operator, Doc]:
    """An operator's action on one submission: 403 for another bearer, 404 if it does not exist."""
    op = operator_of(request, rt)
    doc = await _stored(rt, submission_id)
    if doc is None:
        raise not_found()
    return op, doc


def cid(request: Request) -> str:
    return correlation_id(request)


async def run(rt: Runtime, operation):
    """Await a command, turning its domain errors into problems."""
    try:
        return await operation
    except Unavailable:
        raise unavailable(rt) from None
    except Conflict as exc:
        raise conflict(exc) from None
