"""Every error the API answers, as RFC 9457 problem+json in French, and how OpenAPI shows it.

Routes and dependencies raise ``ProblemError`` (an ``HTTPException``, so that it passes
through FastAPI's body reading too); the domain's ``Conflict`` and ``Unavailable`` and
FastAPI's ``RequestValidationError`` are turned into problems by the handlers installed
with ``install``. ``documented(...)`` gives a route's ``responses=``: each status with the
schema of the problem it answers.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, WithJsonSchema
from sdi_common.http import PROBLEM_JSON, problem
from starlette.responses import JSONResponse, Response

from ..commands import Unavailable
from ..field_errors import FieldError, FieldErrorModel, request_errors
from ..record import Conflict

PROBLEMS = "https://semaine-industrie.example/problems/"


class ProblemError(HTTPException):
    """Raised anywhere in a route; answered with its problem+json ``response``."""

    def __init__(self, response: JSONResponse):
        super().__init__(response.status_code)
        self.response = response


def fail(status: int, title: str, detail: str | None = None, *, code: str,
         headers: dict[str, str] | None = None,
         extra: dict[str, Any] | None = None) -> ProblemError:
    """A problem of type ``PROBLEMS + code`` (``extra``: more members of its body)."""
    return ProblemError(problem(status, title, detail, type=PROBLEMS + code, headers=headers,
                                **(extra or {})))


def too_large(limit: int) -> ProblemError:
    return fail(413, "Demande trop volumineuse",
                f"Le corps de la demande dépasse {limit // 1024} Kio.", code="too-large")


def unsupported_media_type() -> ProblemError:
    return fail(415, "Type de contenu non pris en charge",
                "Envoyez le formulaire en JSON (Content-Type: application/json).",
                code="unsupported-media-type")


def not_found() -> ProblemError:
    return fail(404, "Demande introuvable",
                "Aucune demande ne correspond à cet identifiant et ce jeton.", code="not-found")


def unauthenticated() -> ProblemError:
    return fail(401, "Authentification requise",
                "Présentez le jeton reçu lors de l'inscription (Authorization: Bearer ...).",
                code="unauthenticated", headers={"WWW-Authenticate": 'Bearer realm="submissions"'})


def session_over() -> ProblemError:
    return fail(401, "Session terminée",
                "Votre session a expiré ou n'est plus valable : reconnectez-vous avec votre "
                "jeton d'opérateur.", code="session-over",
                headers={"WWW-Authenticate": 'Bearer realm="submissions"'})


def csrf_refused() -> ProblemError:
    return fail(403, "Demande refusée",
                "Cette modification ne vient pas de la page du back-office (jeton CSRF absent "
                "ou invalide, ou autre site) : rechargez la page et recommencez.",
                code="csrf")


def forbidden() -> ProblemError:
    return fail(403, "Accès réservé aux opérateurs",
                "Ce jeton ne donne pas accès à cette action.", code="forbidden")


def rate_limited(retry_after: str) -> ProblemError:
    return fail(429, "Trop de demandes",
                "Vous envoyez trop de demandes à la fois ; patientez un peu avant de réessayer.",
                code="rate-limited", headers={"Retry-After": retry_after})


def invalid_body(errors: list[FieldError]) -> JSONResponse:
    return problem(422, "Formulaire incomplet ou invalide", f"{len(errors)} champ(s) à corriger.",
                   type=PROBLEMS + "invalid-submission", errors=errors)


#: a parameter (not the body) that fails validation: 400, a problem type per parameter
_PARAMETERS: dict[str, tuple[str, str, str]] = {
    "idempotency-key": ("bad-idempotency-key", "Idempotency-Key invalide",
                        "La clé doit compter de 1 à 255 caractères imprimables."),
    "cursor": ("bad-cursor", "Curseur invalide",
               "Reprenez le next_cursor de la page précédente tel quel, ou aucun."),
    **dict.fromkeys(("status", "kind", "department", "region", "q"),
                    ("bad-filter", "Filtre invalide", "Corrigez ou retirez ce filtre.")),
}
_PARAMETER = ("bad-parameter", "Paramètre invalide", "Corrigez ce paramètre de la requête.")


def invalid_request(exc: RequestValidationError) -> JSONResponse:
    """The answer to a request FastAPI could not validate: the body's field errors (422),
    or else the parameters' (400), each with a stable code and a French message."""
    errors = request_errors(exc.errors())
    if any(e["loc"][:1] == ("body",) for e in exc.errors()):
        return invalid_body(errors)
    code, title, detail = _PARAMETERS.get(errors[0]["field"].lower(), _PARAMETER)
    if len(errors) > 1:
        detail = f"{len(errors)} paramètres à corriger."
    return problem(400, title, detail, type=PROBLEMS + code, errors=errors)


def install(app: FastAPI, retry_after: int) -> None:
    """The handlers that answer the API's errors."""

    @app.exception_handler(ProblemError)
    async def problem_error(request: Request, exc: ProblemError) -> Response:
        return exc.response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return invalid_request(exc)

    @app.exception_handler(Conflict)
    async def conflict(request: Request, exc: Conflict) -> Response:
        return refused(exc)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable) -> Response:
        return not_stored(retry_after)


def refused(exc: Conflict) -> JSONResponse:
    """The 409 of a command the record's state refuses."""
    return problem(409, "Action impossible", exc.message, type=PROBLEMS + exc.code,
                   code=exc.code)


def not_stored(retry_after: int) -> JSONResponse:
    """The 503 of a command whose event JetStream did not take."""
    return problem(
        503,
        "Service momentanément indisponible",
        "Votre demande n'a pas été enregistrée. Réessayez dans quelques secondes.",
        type=PROBLEMS + "unavailable",
        headers={"Retry-After": str(retry_after)},
    )


# --------------------------------------------------------------------------- OpenAPI


class Problem(BaseModel):
    """An RFC 9457 problem: ``type`` is stable (clients may branch on it), the rest is French."""

    type: str
    title: str
    status: int
    detail: str | None = None


class ConflictProblem(Problem):
    #: why the action is refused, e.g. ``withdrawn``, ``not_in_review``, ``deadline_passed``
    code: str


class InvalidProblem(Problem):
    #: every field in error, all at once
    errors: list[Annotated[FieldErrorModel, WithJsonSchema(FieldErrorModel.model_json_schema())]]


def _retry_after(what: str) -> dict[str, Any]:
    return {"Retry-After": {"description": what, "schema": {"type": "integer", "minimum": 1}}}


_DOCS: dict[int, tuple[str, type[Problem], dict[str, Any]]] = {
    400: ("Paramètre invalide (Idempotency-Key, filtre, curseur...)", InvalidProblem, {}),
    401: ("Ni jeton ni session (ou session terminée)", Problem,
          {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}}),
    403: ("Jeton autre que celui d'un opérateur, ou changement sans le jeton CSRF", Problem, {}),
    404: ("Aucune inscription avec cet identifiant pour ce jeton (existante ou non)", Problem, {}),
    409: ("Action impossible dans l'état de l'inscription", ConflictProblem, {}),
    413: ("Corps trop volumineux (MAX_BODY_BYTES)", Problem, {}),
    415: ("Corps autre que JSON", Problem, {}),
    422: ("Champs invalides (la liste complète, codes stables)", InvalidProblem, {}),
    429: ("Trop de demandes de ce client", Problem,
          _retry_after("Secondes avant de réessayer")),
    503: ("Bus indisponible : rien n'a été enregistré, réessayez", Problem,
          _retry_after("Secondes avant de réessayer")),
}


_OTHER = ("Autre erreur du client (méthode non permise...)", Problem, {})


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that may answer these problems, and of any other client
    error (a method not allowed, say): problem+json too. That range also keeps FastAPI from
    documenting its own validation error, which this API never answers."""
    out: dict[int | str, dict[str, Any]] = {}
    for status, (description, model, headers) in {**{s: _DOCS[s] for s in statuses},
                                                   "4XX": _OTHER}.items():
        out[status] = {
            "description": description,
            "content": {PROBLEM_JSON: {"schema": model.model_json_schema()}},
            **({"headers": headers} if headers else {}),
        }
    return out
