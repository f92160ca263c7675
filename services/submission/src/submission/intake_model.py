"""The intake request body (``POST``/``PUT /v1/submissions``) and its checks.

Field checks live on the model; checks across fields (online/location, price/is_free,
dates) live in ``cross_field_errors``, which the model runs around its field checks so
that both are reported together, not the former only once every field is valid. Every
error has a stable ``code``; the French messages are in ``field_errors``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from sdi_common.contracts import Audience, Kind, Location, Organizer, OrganizerType, Submission

from . import siret as siret_check

_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
_SPACE = re.compile(r"\s")
_PHONE = re.compile(r"^(0[1-9]\d{8}|\+\d{8,15}|00\d{8,15})$")


# Unicode category Cc: C0, DEL and C1 controls
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _no_control(value: str, *, multiline: bool = False) -> str:
    if (_CONTROL_MULTILINE if multiline else _CONTROL).search(value):
        raise PydanticCustomError("control_characters", "contains control characters")
    return value


def _web_url(value: str, *, https_only: bool = False) -> str:
    if len(value) > 2000 or _SPACE.search(value):
        raise PydanticCustomError("invalid_url", "invalid URL")
    parts = urlsplit(value)
    if https_only:
        if parts.scheme.lower() != "https" or not parts.hostname:
            raise PydanticCustomError("https_required", "an https URL is required")
    elif parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError("invalid_url", "invalid URL")
    return value


Line = Annotated[str, Field(max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AddressIn(_In):
    """Where the event takes place, as the organiser writes it."""

    venue: Line | None = None
    street: Line | None = None
    postcode: str
    city: Annotated[str, Field(min_length=1, max_length=200)]

    @field_validator("venue", "street", "city")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        return None if v is None else _no_control(v)

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, v: str) -> str:
        v = v.replace(" ", "")
        if not (len(v) == 5 and v.isascii() and v.isdigit()) or v.startswith("00"):
            raise PydanticCustomError("invalid_postcode", "a French postcode has 5 digits")
        return v


class OrganizerIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: OrganizerType
    siret: str | None = None
    email: Annotated[str, Field(max_length=254)]
    phone: Annotated[str, Field(max_length=40)] | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _no_control(v)

    @field_validator("siret")
    @classmethod
    def _siret(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        v = siret_check.normalize(v)
        if len(v) != 14 or not v.isascii() or not v.isdigit():
            raise PydanticCustomError("invalid_siret", "a SIRET has 14 digits")
        if not siret_check.siret_ok(v):
            raise PydanticCustomError("siret_checksum", "SIRET checksum is wrong")
        return v

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not _EMAIL.match(v):
            raise PydanticCustomError("invalid_email", "invalid e-mail address")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not _PHONE.match(_PHONE_SEPARATORS.sub("", v)):
            raise PydanticCustomError("invalid_phone", "invalid phone number")
        return v


class SubmissionIn(_In):
    title: Annotated[str, Field(min_length=3, max_length=200)]
    description: Annotated[str, Field(max_length=5000)] = ""
    kind: Kind
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    audiences: Annotated[list[Audience], Field(min_length=1, max_length=20)]
    is_free: bool
    price_eur: Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)] | None = None
    informs_about_industry: bool
    online: bool = False
    online_url: str | None = None
    location: AddressIn | None = None
    registration_url: str | None = None
    capacity: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    accessibility: Annotated[str, Field(max_length=1000)] | None = None
    organizer: OrganizerIn
    callback_url: str | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, v: str) -> str:
        return _no_control(v)

    @model_validator(mode="wrap")
    @classmethod
    def _every_error_at_once(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Self:
        """The cross-field errors along with the field errors (pydantic alone would run a
        model-level check only once every field is valid)."""
        across = cross_field_errors(data) if isinstance(data, dict) else []
        try:
            model = handler(data)
        except ValidationError as exc:
            if not across:
                raise
            fields = exc.errors(include_url=False)
        else:
            if not across:
                return model
            fields = []
        known = {(e["loc"], e["type"]) for e in fields}
        raise ValidationError.from_exception_data(cls.__name__, [
            *(_again(e) for e in fields),
            *(InitErrorDetails(type=PydanticCustomError(code, code), loc=(field,),
                               input=data.get(field)) for field, code in across
              if ((field,), code) not in known),
        ])

    @field_validator("description", "accessibility")
    @classmethod
    def _multiline(cls, v: str | None) -> str | None:
        return None if v is None else _no_control(v, multiline=True)

    @field_validator("online_url", "registration_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v in (None, "") else _web_url(v)

    @field_validator("callback_url")
    @classmethod
    def _callback(cls, v: str | None) -> str | None:
        return None if v in (None, "") else _web_url(v, https_only=True)

    # ------------------------------------------------------------------ conversions

    def to_submission(self) -> Submission:
        """The public part, as it travels on the bus (no e-mail, phone, callback)."""
        return Submission(
            title=self.title,
            description=self.description,
            kind=self.kind,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            audiences=list(dict.fromkeys(self.audiences)),
            is_free=self.is_free,
            price_eur=self.price_eur,
            informs_about_industry=self.informs_about_industry,
            online=self.online,
            online_url=self.online_url,
            location=Location(**self.location.model_dump()) if self.location else None,
            registration_url=self.registration_url,
            capacity=self.capacity,
            accessibility=self.accessibility,
            organizer=Organizer(
                name=self.organizer.name, type=self.organizer.type, siret=self.organizer.siret
            ),
        )

    def contact(self) -> dict[str, str | None]:
        return {"email": self.organizer.email, "phone": self.organizer.phone}


# --------------------------------------------------------------------------- cross-field

_datetime = TypeAdapter(AwareDatetime)


def _dt(value: Any) -> datetime | None:
    try:
        return _datetime.validate_python(value)
    except ValidationError:
        return None


def _again(error: Any) -> InitErrorDetails:
    """A reported error, to raise again along with others (as a custom error of its type)."""
    return InitErrorDetails(type=PydanticCustomError(error["type"], error["msg"], error.get("ctx")),
                            loc=error["loc"], input=error["input"])


def cross_field_errors(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, code) pairs for the rules that tie fields together.

    Runs on the raw body so that these errors are reported along with the field errors;
    a rule whose inputs are themselves invalid is skipped (their own error is reported).
    """
    errors: list[tuple[str, str]] = []
    online = data.get("online", False)
    if online is True:
        if data.get("online_url") in (None, ""):
            errors.append(("online_url", "required_when_online"))
    elif online is False and data.get("location") is None:
        errors.append(("location", "required_unless_online"))
    price = data.get("price_eur")
    if (
        data.get("is_free") is True
        and isinstance(price, int | float)
        and not isinstance(price, bool)
        and price != 0
    ):
        errors.append(("price_eur", "price_with_free"))
    starts, ends = _dt(data.get("starts_at")), _dt(data.get("ends_at"))
    if starts is not None and ends is not None and ends <= starts:
        errors.append(("ends_at", "ends_before_start"))
    return errors
