"""The routes' dependencies: the runtime, the rate limit, who is calling, and on what.

Every protected route depends on ``bearer`` (FastAPI's ``HTTPBearer``, so OpenAPI shows the
scheme and each route's ``security``); the answers stay ours, problem+json in French:
401 without a bearer token, 403 for an operator-only route and another token, 404 for a
submission that is not the caller's — whether or not it exists.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sdi_common.http import correlation_id

from ..commands import Commands
from ..ratelimit import RateLimiter, retry_after
from ..record import SubmissionRecord
from ..settings import SubmissionSettings
from ..store.base import Store
from ..tokens import Operator, Operators, same_hash, token_hash
from .problems import forbidden, not_found, rate_limited, unauthenticated


@dataclass
class Runtime:
    settings: SubmissionSettings
    store: Store
    commands: Commands
    operators: Operators
    limiter: RateLimiter
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


async def rate_limit(request: Request, rt: RuntimeDep) -> None:
    """Writes per client address (429 with Retry-After past RATE_LIMIT_PER_MINUTE)."""
    wait = rt.limiter.hit(client_address(request, rt))
    if wait:
        raise rate_limited(retry_after(wait))


RateLimited = Depends(rate_limit)


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


async def bearer(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    token = credentials.credentials.strip() if credentials else ""
    if not token:
        raise unauthenticated()
    return token


Token = Annotated[str, Depends(bearer)]


async def operator(rt: RuntimeDep, token: Token) -> Operator:
    """The operator whose token this is; 403 for any other token."""
    op = rt.operators.authenticate(token)
    if op is None:
        raise forbidden()
    return op


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


async def organiser_or_operator(submission_id: SubmissionId, rt: RuntimeDep,
                                token: Token) -> Target:
    """The submission, if the bearer is its organiser or an operator; else 404 (the same
    answer whether the id exists or not)."""
    op = rt.operators.authenticate(token)
    record = await _stored(rt, submission_id)
    if record is not None:
        if op is not None:
            return Target(record, f"operator:{op.name}")
        if same_hash(token_hash(token), record.token_sha256):
            return Target(record, "organizer")
    raise not_found()


async def operator_target(submission_id: SubmissionId, rt: RuntimeDep,
                          op: OperatorDep) -> Target:
    """An operator's action on one submission: 403 for another bearer, 404 if it does not exist."""
    record = await _stored(rt, submission_id)
    if record is None:
        raise not_found()
    return Target(record, f"operator:{op.name}")


OwnTarget = Annotated[Target, Depends(organiser_or_operator)]
OperatorTarget = Annotated[Target, Depends(operator_target)]
