"""The back office's sign-in: the operator token exchanged for a session cookie (``sessions``).

The token travels only in the JSON body of ``POST /v1/session``: never in a URL, never
logged (the log says who signed in, or that a token was refused).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sdi_common.places import DEPARTMENTS, REGION_NAMES, REGIONS, region_of

from ..scopes import Scope
from ..sessions import COOKIE, Session
from ..tokens import Operator
from .body import JsonBodyRoute
from .deps import CallerDep, OperatorDep, RateLimited, RuntimeDep, over_https
from .problems import documented, fail, unauthenticated

log = structlog.get_logger(__name__)

router = APIRouter(prefix="/v1/session", tags=["back-office"], route_class=JsonBodyRoute)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    #: the operator token (``sdi-submission operator-token NAME`` prints it)
    token: Annotated[str, Field(min_length=1, max_length=512)]


class ScopeView(BaseModel):
    national: bool
    regions: list[str]
    departments: list[str]
    #: in French: "national", or the régions and départements
    label: str


class SessionTerritory(BaseModel):
    """What the operator's filters may offer: the régions (code → name) and départements
    (codes) that hold submissions in scope."""

    regions: dict[str, str]
    departments: list[str]


class SessionView(BaseModel):
    operator: str
    scope: ScopeView
    #: to send in the X-CSRF-Token header of every change made with the cookie
    csrf_token: str | None
    expires_at: AwareDatetime | None
    territory: SessionTerritory


def scope_view(scope: Scope) -> ScopeView:
    return ScopeView(national=scope.national, regions=sorted(scope.regions),
                     departments=sorted(scope.departments), label=scope.label())


def territory(scope: Scope) -> SessionTerritory:
    if scope.national:
        regions = set(REGIONS)
        departments = set(DEPARTMENTS)
    else:
        regions = scope.regions | {region_of(d) for d in scope.departments} - {None}
        departments = {d for r in scope.regions for d in REGIONS[r]} | scope.departments
    return SessionTerritory(regions={r: REGION_NAMES[r] for r in sorted(regions)},
                            departments=sorted(departments))


def _view(operator: Operator, session: Session | None) -> SessionView:
    return SessionView(operator=operator.name, scope=scope_view(operator.scope),
                       csrf_token=session.csrf if session else None,
                       expires_at=session.expires_at if session else operator.expires_at,
                       territory=territory(operator.scope))


def _refused(expired_at: datetime | None) -> Exception:
    if expired_at is not None:
        return fail(401, "Jeton expiré",
                    f"Ce jeton d'opérateur a expiré le {expired_at:%d/%m/%Y à %H:%M} (UTC) : "
                    "demandez-en un nouveau à l'administrateur.", code="token-expired")
    return fail(401, "Jeton refusé",
                "Ce jeton ne correspond à aucun opérateur : vérifiez-le (sans espace ni "
                "caractère manquant) ou demandez-en un nouveau.", code="token-refused")


@router.post(
    "",
    status_code=201,
    summary="Se connecter au back-office (jeton d'opérateur → cookie de session)",
    operation_id="sign_in",
    response_model=SessionView,
    responses={201: {"headers": {"Set-Cookie": {
        "description": f"{COOKIE}: HttpOnly, SameSite=Strict, Secure en HTTPS",
        "schema": {"type": "string"}}}},
        **documented(401, 413, 415, 422, 429)},
    dependencies=[RateLimited],
)
async def sign_in(body: SignIn, request: Request, rt: RuntimeDep) -> JSONResponse:
    entry = rt.operators.entry(body.token)
    operator = rt.operators.authenticate(body.token)
    if operator is None:
        log.warning("back_office.sign_in_refused", expired=entry is not None)
        raise _refused(entry.expires_at if entry is not None else None)
    value, session = rt.sessions.issue(operator)
    log.info("back_office.signed_in", operator=operator.name)
    response = JSONResponse(_view(operator, session).model_dump(mode="json"), status_code=201)
    response.set_cookie(COOKIE, value, max_age=int((session.expires_at - datetime.now(UTC))
                                                   .total_seconds()),
                        path="/", httponly=True, samesite="strict",
                        secure=over_https(request, rt))
    return response


@router.get(
    "",
    summary="La session en cours (opérateur, périmètre, jeton CSRF)",
    operation_id="read_session",
    response_model=SessionView,
    responses=documented(401, 403),
)
async def read_session(who: CallerDep, operator: OperatorDep) -> SessionView:
    return _view(operator, who.session)


@router.delete(
    "",
    status_code=204,
    summary="Se déconnecter",
    operation_id="sign_out",
    responses=documented(401, 403),
)
async def sign_out(request: Request, rt: RuntimeDep, who: CallerDep) -> Response:
    session = who.session  # a change: its CSRF token was checked
    if session is None:
        raise unauthenticated()  # a bearer token has no session to end
    log.info("back_office.signed_out", operator=session.operator.name)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=over_https(request, rt))
    return response

