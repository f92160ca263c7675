"""Bulk import routes: ``POST /v1/submissions/import`` (JSON, a CSV file, or a form with the
file) and its template, ``GET /v1/submissions/import/template.csv`` (``imports``,
``import_csv``).

The body is read here rather than by FastAPI, since one route takes three media types:
``application/json`` (``{"submissions": [...], "importer_email"}``), ``text/csv`` (the
file itself) and ``multipart/form-data`` (``file``, ``importer_email``: the import page).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..field_errors import FieldErrorModel, field_errors
from ..import_csv import CsvFileError, read_file, template
from ..imports import MAX_ROWS, Importer, ImporterEmail, csv_rows, json_rows
from .body import is_json, read_limited
from .deps import CorrelationId, ImportRateLimited, Runtime, RuntimeDep
from .problems import ProblemError, documented, fail, invalid_body

router = APIRouter(prefix="/v1/submissions", tags=["imports"])

TEMPLATE_NAME = "modele-import-semaine-industrie.csv"
#: the fields of the upload form (the import page's)
FORM_FIELDS = ("file", "importer_email")


class ImportIn(BaseModel):
    """An import as JSON."""

    model_config = ConfigDict(extra="forbid", strict=True)

    #: each item is the body of ``POST /v1/submissions`` (``SubmissionIn``) plus an
    #: optional ``external_id``; each one is judged on its own and answered in ``rows``
    submissions: Annotated[list[Any], Field(min_length=1, max_length=MAX_ROWS)]
    #: who receives the summary mail (by default the organisers' address when every row
    #: has the same one)
    importer_email: ImporterEmail | None = None


class ImportRowView(BaseModel):
    #: the item's position (1 for the first), or the spreadsheet's row number (header: 1)
    line: int
    ok: bool
    errors: list[FieldErrorModel]
    external_id: str | None
    #: the event created or updated (in a dry run: the event the row would update)
    id: str | None
    #: the organiser's token of an event this import created (given once)
    organizer_token: str | None = None
    #: created, updated, unchanged or refused (not in a dry run)
    action: str | None = None


class ImportView(BaseModel):
    #: the import's id (null in a dry run): the summary mail's reference
    import_id: str | None
    dry_run: bool
    #: created/updated/unchanged/refused (a dry run: valid/refused)
    counts: dict[str, int]
    rows: list[ImportRowView]


_ROWS = {"type": "array", "minItems": 1, "maxItems": MAX_ROWS,
         "description": "Chaque élément : le corps de POST /v1/submissions (SubmissionIn), plus "
         "un external_id facultatif. Chacun est examiné seul et reçoit sa réponse dans rows."}
_EMAIL = ImportIn.model_json_schema()["properties"]["importer_email"]
REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {
            "type": "object", "additionalProperties": False, "required": ["submissions"],
            "properties": {"submissions": _ROWS, "importer_email": _EMAIL},
        }},
        "text/csv": {"schema": {"type": "string", "description": "Le modèle rempli "
                                "(GET /v1/submissions/import/template.csv)."}},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "additionalProperties": False,
            "properties": {"file": {"type": "string", "format": "binary"},
                           "importer_email": _EMAIL},
        }},
    },
}


@router.get(
    "/import/template.csv",
    summary="Modèle du fichier d'import (UTF-8 avec BOM, séparateur ;, s'ouvre dans Excel)",
    operation_id="import_template",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **documented()},
)
async def get_template() -> Response:
    return Response(template(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{TEMPLATE_NAME}"',
                             "Cache-Control": "public, max-age=3600"})


@router.post(
    "/import",
    summary="Importer jusqu'à 500 événements (JSON ou fichier CSV), ou les vérifier seulement",
    operation_id="import_submissions",
    response_model=ImportView,
    dependencies=[ImportRateLimited],
    openapi_extra={"requestBody": REQUEST_BODY},
    responses=documented(413, 415, 422, 429, 503),
)
async def import_submissions(
    request: Request,
    rt: RuntimeDep,
    correlation_id: CorrelationId,
    dry_run: Annotated[bool, Query(description="true : tout vérifier, ne rien créer")] = False,
) -> JSONResponse:
    rows, importer_email = await _read(request, rt.settings.import_max_body_bytes)
    outcome = await importer(rt).run(
        rows, dry_run=dry_run, importer_email=importer_email, correlation_id=correlation_id)
    return JSONResponse(outcome.answer())


def importer(rt: Runtime) -> Importer:
    return Importer(rt.commands, rt.store, concurrency=rt.settings.import_concurrency)


async def _read(request: Request, limit: int) -> tuple[list, str | None]:
    """The rows and the importer's address, whatever the media type."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if is_json(media):
        return _json(await read_limited(request, limit))
    if media in ("text/csv", "application/csv", "text/plain"):
        return _csv(await read_limited(request, limit)), None
    if media == "multipart/form-data":
        await read_limited(request, limit)
        try:
            form = await request.form(max_files=2, max_fields=16)
        except StarletteHTTPException as exc:  # Starlette's 400 for a form it cannot parse
            raise _invalid([{"field": "", "code": "invalid_form",
                             "message": f"Le formulaire envoyé est illisible ({exc.detail})."}]
                           ) from None
        upload = form.get("file")
        errors = [] if isinstance(upload, UploadFile) else [
            {"field": "file", "code": "required",
             "message": "Joignez le fichier à importer (champ file)."}]
        errors += [{"field": name, "code": "unknown_field",
                    "message": "Ce champ n'est pas prévu : envoyez file et, si vous le voulez, "
                    "importer_email."}
                   for name in dict.fromkeys(form) if name not in FORM_FIELDS]
        if errors:
            raise _invalid(errors)
        email = form.get("importer_email")
        if isinstance(email, str) and email.strip():
            _check_email(email)
        return _csv(await upload.read()), (email.strip() if isinstance(email, str)
                                           and email.strip() else None)
    raise unsupported_media_type_of_import()


def _json(data: bytes) -> tuple[list, str | None]:
    try:
        parsed = orjson.loads(data)
        body = ImportIn.model_validate(parsed)
    except orjson.JSONDecodeError:
        raise _invalid([{"field": "", "code": "invalid_json",
                         "message": "Le corps de la requête n'est pas un JSON valide."}]) from None
    except ValidationError as exc:
        raise _invalid(_rows_limit(field_errors(exc.errors(include_url=False)))) from None
    return json_rows(body.submissions), body.importer_email


def _csv(data: bytes) -> list:
    try:
        rows = read_file(data)
    except CsvFileError as exc:
        raise _invalid(exc.errors) from None
    if not rows:
        raise _invalid([{"field": "", "code": "no_rows",
                         "message": "Le fichier ne contient aucune ligne d'événement."}])
    if len(rows) > MAX_ROWS:
        raise _invalid([{"field": "", "code": "too_many_rows",
                         "message": f"Au plus {MAX_ROWS} événements par import ; le fichier en "
                         f"contient {len(rows)} : coupez-le en plusieurs fichiers."}])
    return csv_rows(rows)


def _check_email(email: str) -> None:
    try:
        ImportIn.model_validate({"submissions": [{}], "importer_email": email})
    except ValidationError as exc:
        raise _invalid(field_errors(exc.errors(include_url=False))) from None


def _rows_limit(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    """Past 500 items, say so in the import's words."""
    return [{**e, "message": f"Au plus {MAX_ROWS} événements par import : coupez-le en "
             "plusieurs."} if (e["field"], e["code"]) == ("submissions", "too_long") else e
            for e in errors]


def _invalid(errors: list[dict[str, str]]) -> ProblemError:
    return ProblemError(invalid_body(errors))


def unsupported_media_type_of_import() -> ProblemError:
    return fail(415, "Type de contenu non pris en charge",
                "Envoyez un JSON (application/json), le fichier CSV (text/csv) ou un "
                "formulaire avec le fichier (multipart/form-data).",
                code="unsupported-media-type")
