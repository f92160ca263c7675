"""Validation errors as the API answers them: a stable code and a French message per field.

Each error is ``{"field": "organizer.siret", "code": "siret_checksum", "message": "..."}``:
the code is stable (clients may branch on it), the message is French and meant for the
organiser filling the form. One translation for every pydantic error, whether FastAPI
raised it for a request (``request_errors``) or a model did (``parse_submission``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from .intake_model import SubmissionIn

FieldError = dict[str, str]


class FieldErrorModel(BaseModel):
    """One field in error (the documentation of ``FieldError``)."""

    #: the path of the field, ``organizer.siret``, ``audiences.0``; empty for the whole body
    field: str
    #: stable, e.g. ``required``, ``too_long``, ``siret_checksum``
    code: str
    #: in French, for the person filling the form
    message: str


_EXAMPLE_DATE = "par exemple 2026-11-20T09:00:00+01:00"
_ALLOWED = "Valeur non reconnue. Valeurs possibles : {expected}."

#: pydantic error type -> (stable code, French message; may use the error's ctx)
_PYDANTIC: dict[str, tuple[str, str]] = {
    "missing": ("required", "Ce champ est obligatoire."),
    "extra_forbidden": ("unknown_field", "Ce champ n'est pas prévu : retirez-le."),
    "string_type": ("wrong_type", "Un texte est attendu."),
    "string_too_short": ("too_short", "Trop court : au moins {min_length} caractère(s)."),
    "string_too_long": ("too_long", "Trop long : au plus {max_length} caractères."),
    "string_unicode": ("wrong_type", "Un texte est attendu."),
    "bool_type": ("wrong_type", "Indiquez true (oui) ou false (non)."),
    "bool_parsing": ("wrong_type", "Indiquez true (oui) ou false (non)."),
    "int_type": ("wrong_type", "Un nombre entier est attendu."),
    "int_parsing": ("wrong_type", "Un nombre entier est attendu."),
    "int_from_float": ("wrong_type", "Un nombre entier est attendu."),
    "int_parsing_size": ("too_large", "Ce nombre est trop grand."),
    "float_type": ("wrong_type", "Un nombre est attendu."),
    "float_parsing": ("wrong_type", "Un nombre est attendu."),
    "finite_number": ("wrong_type", "Un nombre fini est attendu."),
    "greater_than_equal": ("too_small", "La valeur doit être supérieure ou égale à {ge}."),
    "less_than_equal": ("too_large", "La valeur doit être inférieure ou égale à {le}."),
    "literal_error": ("not_allowed", _ALLOWED),
    "enum": ("not_allowed", _ALLOWED),
    "string_pattern_mismatch": ("invalid_format", "Format non reconnu."),
    "list_type": ("wrong_type", "Une liste est attendue, par exemple [\"pupils\", \"students\"]."),
    "too_short": ("too_short", "Indiquez au moins {min_length} élément(s)."),
    "too_long": ("too_long", "Au plus {max_length} éléments."),
    "model_type": ("wrong_type", "Un objet JSON est attendu ({{ ... }})."),
    "model_attributes_type": ("wrong_type", "Un objet JSON est attendu ({{ ... }})."),
    "dict_type": ("wrong_type", "Un objet JSON est attendu ({{ ... }})."),
    "datetime_type": ("invalid_datetime", f"Date et heure attendues, {_EXAMPLE_DATE}."),
    "datetime_parsing": ("invalid_datetime", f"Date et heure attendues, {_EXAMPLE_DATE}."),
    "datetime_from_date_parsing": (
        "invalid_datetime",
        f"Date et heure attendues, {_EXAMPLE_DATE}.",
    ),
    "datetime_object_invalid": ("invalid_datetime", f"Date et heure invalides, {_EXAMPLE_DATE}."),
    "timezone_aware": (
        "offset_required",
        f"Précisez le décalage horaire après l'heure, {_EXAMPLE_DATE}.",
    ),
}

#: our own error types (raised by validators or cross-field rules) -> French message; the
#: type is the code
_OWN: dict[str, str] = {
    "control_characters": "Ce texte contient des caractères de contrôle non autorisés.",
    "invalid_url": "Adresse web invalide : elle doit commencer par https:// (ou http://).",
    "https_required": "L'adresse de rappel doit être une adresse https://.",
    "invalid_postcode": "Le code postal doit comporter 5 chiffres, par exemple 69007.",
    "invalid_siret": "Le numéro SIRET doit comporter 14 chiffres.",
    "siret_checksum": (
        "Ce numéro SIRET n'existe pas (sa clé de contrôle est fausse) : vérifiez les 14 chiffres."
    ),
    "invalid_email": "Adresse e-mail invalide, par exemple contact@entreprise.fr.",
    "invalid_phone": "Numéro de téléphone invalide, par exemple 01 23 45 67 89 ou +33 1 23 45 67 89.",
    "required_when_online": "Pour un événement en ligne, indiquez l'adresse web où il a lieu.",
    "required_unless_online": (
        "Indiquez le lieu de l'événement (code postal et commune), ou cochez « en ligne »."
    ),
    "price_with_free": "Un événement gratuit ne peut pas avoir de prix : retirez le prix ou mettez 0.",
    "ends_before_start": "La fin de l'événement doit être après son début.",
    "dates_with_timings": (
        "Indiquez les dates soit dans timings, soit dans starts_at et ends_at, pas les deux."
    ),
    "timings_overlap": (
        "La séance n° {this} chevauche la séance n° {other} : deux séances ne peuvent pas "
        "se superposer (l'une peut commencer quand l'autre finit)."
    ),
    "remaining_places_when_full": "Un événement complet n'a plus de place : 0 ou rien.",
    "remaining_places_when_cancelled": (
        "Un événement annulé n'a pas de places à annoncer : retirez remaining_places."
    ),
    "invalid_json": "Le corps de la requête n'est pas un JSON valide.",
    "not_an_object": "Le corps de la requête doit être un objet JSON ({ ... }).",
}
#: our own error types whose code is another one
_OWN_CODED: dict[str, tuple[str, str]] = {
    "reason_required": ("required", "Indiquez le motif du refus : il est montré à l'organisateur."),
    "duplicate_ids": ("duplicate", "Chaque inscription ne peut figurer qu'une fois."),
    "timings_required": (
        "required",
        "Indiquez au moins une séance : timings, une liste de {\"starts_at\", \"ends_at\"}.",
    ),
}
#: errors about the whole body (an empty location)
_BODY: dict[str, str] = {
    "missing": "invalid_json",  # no body at all
    "model_type": "not_an_object",
    "model_attributes_type": "not_an_object",
    "dict_type": "not_an_object",
}

_FALLBACK = ("invalid", "Valeur invalide.")


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _message(template: str, ctx: dict[str, Any] | None) -> str:
    try:
        return template.format(**(ctx or {}))
    except (KeyError, IndexError, ValueError):
        return template.split(":")[0].rstrip(".") + "."


def _translate(kind: str, loc: tuple[Any, ...], ctx: dict[str, Any] | None) -> FieldError:
    if kind == "json_invalid":  # FastAPI's: the location is a position in the text
        return {"field": "", "code": "invalid_json", "message": _OWN["invalid_json"]}
    if not loc and kind in _BODY:
        code = _BODY[kind]
        return {"field": "", "code": code, "message": _OWN[code]}
    if kind in _OWN:
        code, message = kind, _message(_OWN[kind], ctx) if ctx else _OWN[kind]
    elif kind in _OWN_CODED:
        code, message = _OWN_CODED[kind]
    else:
        code, template = _PYDANTIC.get(kind, _FALLBACK)
        if kind in ("literal_error", "enum") and ctx:
            ctx = {**ctx, "expected": str(ctx.get("expected", "")).replace("' or '", "' ou '")}
        message = _message(template, ctx)
    return {"field": _field(loc), "code": code, "message": message}


def field_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """pydantic's errors (locations relative to the body) as the API answers them."""
    return [_translate(e["type"], tuple(e["loc"]), e.get("ctx")) for e in errors]


def request_errors(errors: Iterable[Mapping[str, Any]]) -> list[FieldError]:
    """FastAPI's errors, whose location starts with where: body, query, header, path."""
    return field_errors({**e, "loc": tuple(e["loc"])[1:]} for e in errors)


class InvalidInput(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


def parse_submission(data: Any) -> SubmissionIn:
    """Validate an intake body outside a request (what the API does to a POST); raises
    ``InvalidInput`` with every error found."""
    try:
        return SubmissionIn.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(field_errors(exc.errors(include_url=False))) from None
