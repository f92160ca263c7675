"""Turning a request body into a ``SubmissionIn`` or a list of field errors.

Each error is ``{"field": "organizer.siret", "code": "siret_checksum", "message": "..."}``:
the code is stable (clients may branch on it), the message is French and meant for the
organiser filling the form.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from .intake_model import SubmissionIn, cross_field_errors

FieldError = dict[str, str]

_EXAMPLE_DATE = "par exemple 2026-11-20T09:00:00+01:00"

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
    "literal_error": ("not_allowed", "Valeur non reconnue. Valeurs possibles : {expected}."),
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

#: our own codes (raised by validators or cross-field rules) -> French message
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
    "invalid_json": "Le corps de la requête n'est pas un JSON valide.",
    "not_an_object": "Le corps de la requête doit être un objet JSON ({ ... }).",
}

_FALLBACK = ("invalid", "Valeur invalide.")


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _message(template: str, ctx: dict[str, Any] | None) -> str:
    try:
        return template.format(**(ctx or {}))
    except (KeyError, IndexError, ValueError):
        return template.split(":")[0].rstrip(".") + "."


def from_validation_error(exc: ValidationError) -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        kind = err["type"]
        loc = err["loc"]
        if kind in _OWN:
            code, message = kind, _OWN[kind]
        else:
            code, template = _PYDANTIC.get(kind, _FALLBACK)
            ctx = err.get("ctx")
            if kind == "literal_error" and ctx:
                ctx = {**ctx, "expected": str(ctx.get("expected", "")).replace("' or '", "' ou '")}
            message = _message(template, ctx)
        out.append({"field": _field(loc), "code": code, "message": message})
    return out


def own_error(field: str, code: str) -> FieldError:
    return {"field": field, "code": code, "message": _OWN[code]}


class InvalidInput(Exception):
    def __init__(self, errors: list[FieldError]):
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput([own_error("", "invalid_json")]) from None
    if not isinstance(data, dict):
        raise InvalidInput([own_error("", "not_an_object")])
    return data


def parse_submission(data: dict[str, Any]) -> SubmissionIn:
    """Validate the body; raises ``InvalidInput`` with every error found."""
    errors: list[FieldError] = []
    model: SubmissionIn | None = None
    try:
        model = SubmissionIn.model_validate(data)
    except ValidationError as exc:
        errors = from_validation_error(exc)
    seen = {(e["field"], e["code"]) for e in errors}
    for field, code in cross_field_errors(data):
        # "location required" duplicates nothing; skip if the field already has that error
        if (field, code) not in seen:
            errors.append(own_error(field, code))
    if errors or model is None:
        raise InvalidInput(errors)
    return model
