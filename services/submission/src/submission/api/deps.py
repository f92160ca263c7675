"""The routes' dependencies: the runtime, the rate limit, who is calling, and on what.

Every protected route depends on ``caller``: a bearer token (FastAPI's ``HTTPBearer``) or
the back office's session cookie (``APIKeyCookie``), so OpenAPI shows both schemes and each
route's ``security``. The answers stay ours, problem+json in French: 401 without either (or
with a session that is over), 403 for an operator-only route and another token, or for a
change made with the cookie without its CSRF token; 404 for a submission that is not the
caller's, or outside the operator's scope — whether or not it exists.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sdi_common.http import correlation_id

from ..commands import Commands
from ..geocoding_client import GeocodingClient
from ..ratelimit import RateLimiter, retry_after
from ..record import SubmissionRecord
from ..sessions import COOKIE, CSRF_HEADER, Session, Sessions
from ..settings import SubmissionSettings
from ..store.base import Store
from ..tokens import Operator, Operators, same_hash, token_hash
from .problems import (
    csrf_refused,
    forbidden,
    not_found,
    rate_limited,
    session_over,
    unauthenticated,
)


@dataclass
class Runtime:
    settings: SubmissionSettings
    store: Store
    commands: Commands
    operators: Operators
    limiter: RateLimiter
    sessions: Sessions
    geocoder: GeocodingClient
    #: bulk imports have a budget of their own (each holds up to 500 events)
    import_limiter: RateLimiter


# The dependencies are coroutines: FastAPI would run plain functions in its thread pool,
# which costs more than they do (0.5 ms per intake, measured with bench/intake.py).


async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def request_correlation_id(request: Request) -> str:
    return correlation_id(request)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CorrelationId = Annotated[str, Depends(request_correlation_id)]


# --------------------------------------------------------------------------- rate limit


def _in(address: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


@lru_cache(maxsize=8)
def _networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(",") if n.strip()]


def _peer(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _from_trusted_proxy(request: Request, rt: Runtime) -> bool:
    return rt.settings.trust_forwarded_for and _in(_peer(request),
                                                   _networks(rt.settings.trusted_proxies))


def client_address(request: Request, rt: Runtime) -> str:
    """The peer, or behind a trusted proxy the nearest address it forwarded that is not
    itself a proxy (the rightmost: entries to its left are whatever the client sent)."""
    peer = _peer(request)
    if not _from_trusted_proxy(request, rt):
        return peer
    proxies = _networks(rt.settings.trusted_proxies)
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _in(hop, proxies):
            return hop
    return peer


async def rate_limit(request: Request, rt: RuntimeDep) -> None:
    """Writes per client address (429 with Retry-After past RATE_LIMIT_PER_MINUTE)."""
    wait = rt.limiter.hit(client_address(request, rt))
    if wait:
        raise rate_limited(retry_after(wait))


RateLimited = Depends(rate_limit)


def over_https(request: Request, rt: Runtime) -> bool:
    """Whether the browser talks HTTPS to us: directly, or to a trusted proxy that says so."""
    if request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return forwarded == "https" and _from_trusted_proxy(request, rt)
async def import_rate_limit(request: Request, rt: RuntimeDep) -> None:
    """Imports per client address (429 past IMPORT_RATE_LIMIT_PER_MINUTE)."""
    wait = rt.import_limiter.hit(client_address(request, rt))
    if wait:
        raise rate_limited(retry_after(wait))


ImportRateLimited = Depends(import_rate_limit)


# --------------------------------------------------------------------------- who is calling

_bearer = HTTPBearer(
    auto_error=False,  # 401 is answered below, as problem+json
    scheme_name="bearer",
    description="Le jeton de l'organisateur (rendu à l'inscription, valable pour elle seule) "
    "ou celui d'un opérateur (OPERATOR_TOKENS).",
)
_session = APIKeyCookie(
    name=COOKIE,
    auto_error=False,
    scheme_name="session",
    description="La session du back-office (POST /v1/session échange le jeton d'opérateur "
    f"contre ce cookie). Toute modification faite avec lui porte l'en-tête {CSRF_HEADER} "
    "rendu à la connexion.",
)

#: the methods that change nothing: no CSRF token needed with the cookie
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Caller:
    """Who calls: a bearer token (an organiser's or an operator's), or an operator's session."""

    token: str | None
    operator: Operator | None
    session: Session | None = None


def _same_origin(request: Request) -> bool:
    """A change must not come from another site's page: the browser says where from."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


async def session_of(request: Request, rt: Runtime, cookie: str) -> Session:
    """The session of a cookie; 401 when it is over, 403 for a change without its CSRF
    token or from another site."""
    session = rt.sessions.read(cookie, rt.operators)
    if session is None:
        raise session_over()
    if request.method not in SAFE_METHODS and not (
        session.csrf_ok(request.headers.get(CSRF_HEADER)) and _same_origin(request)
    ):
        raise csrf_refused()
    return session


async def caller(
    request: Request,
    rt: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_session)],
) -> Caller:
    """The bearer token if there is one (API clients), else the session cookie; else 401."""
    token = credentials.credentials.strip() if credentials else ""
    if token:
        return Caller(token, rt.operators.authenticate(token))
    if cookie:
        session = await session_of(request, rt, cookie)
        return Caller(None, session.operator, session)
    raise unauthenticated()


CallerDep = Annotated[Caller, Depends(caller)]


async def operator(who: CallerDep) -> Operator:
    """The operator calling; 403 for any other token."""
    if who.operator is None:
        raise forbidden()
    return who.operator


OperatorDep = Annotated[Operator, Depends(operator)]
OperatorOnly = Depends(operator)

SubmissionId = Annotated[str, Path(description="L'identifiant rendu à l'inscription.")]


async def _stored(rt: Runtime, submission_id: str) -> SubmissionRecord | None:
    return await rt.store.get(submission_id) if len(submission_id) <= 64 else None


@dataclass(frozen=True)
class Target:
    """A submission, and who acts on it as its history will say."""

    record: SubmissionRecord
    by: str  # "organizer" or "operator:<name>"


def in_scope(op: Operator, record: SubmissionRecord) -> bool:
    return op.scope.covers(record.region, record.department)


async def organiser_or_operator(submission_id: SubmissionId, rt: RuntimeDep,
                                who: CallerDep) -> Target:
    """The submission, if the caller is its organiser or an operator whose scope covers it;
    else 404 (the same answer whether the id exists or not)."""
    record = await _stored(rt, submission_id)
    if record is not None:
        if who.operator is not None and in_scope(who.operator, record):
            return Target(record, f"operator:{who.operator.name}")
        if who.token and same_hash(token_hash(who.token), record.token_sha256):
            return Target(record, "organizer")
    raise not_found()


async def operator_target(submission_id: SubmissionId, rt: RuntimeDep,
                          op: OperatorDep) -> Target:
    """An operator's action on one submission: 403 for another bearer, 404 if it does not
    exist or is outside the operator's scope."""
    record = await _stored(rt, submission_id)
    if record is None or not in_scope(op, record):
        raise not_found()
    return Target(record, f"operator:{op.name}")


OwnTarget = Annotated[Target, Depends(organiser_or_operator)]
OperatorTarget = Annotated[Target, Depends(operator_target)]
