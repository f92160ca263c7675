"""The intake request body (``POST``/``PUT /v1/submissions``) and its checks.

Field checks live on the model; checks across fields (online/location, price/is_free,
timings) live in ``cross_field_errors``, which the model runs around its field checks so
that both are reported together, not the former only once every field is valid. Every
error has a stable ``code``; the French messages are in ``field_errors``.

**Timings.** An event has 1 to 100 sessions, ``timings: [{"starts_at", "ends_at"}, ...]``,
each with its offset, each ending after it starts, none overlapping another (one may
start when the previous one ends). They may come in any order: the event keeps them
sorted by start. The body of contract version 1, ``starts_at`` and ``ends_at``, is still
accepted as one timing (but not beside ``timings``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from sdi_common.contracts import (
    ACCESSIBILITY_CODES,
    MAX_TIMINGS,
    AccessibilityCode,
    Audience,
    Kind,
    Location,
    Organizer,
    OrganizerType,
    Submission,
    Timing,
)

from . import siret as siret_check

# --------------------------------------------------------------------------- texts
#
# What OpenAPI says of a field must hold of every value the API accepts (a client, or a
# fuzzer, relies on it both ways). Texts are stripped of blanks at both ends before their
# length is counted, so their JSON Schema is a pattern that says just that, built from the
# same character classes the checks use (tests/submission/test_submission_input.py checks
# that pattern and validation agree on any text).

#: what pydantic strips from both ends of a text (Unicode White_Space), as a regex class
BLANKS = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
BLANK_CHARS = "".join(c for c in map(chr, range(0x3001)) if re.fullmatch(f"[{BLANKS}]", c))
#: what ``str.isspace`` calls a space (BLANKS and the four C0 separators)
SPACES = BLANKS + r"\x1c-\x1f"
#: Unicode category Cc: C0, DEL and C1 controls (tab, line feed and return allowed in
#: multi-line texts)
CONTROLS = r"\x00-\x1f\x7f-\x9f"
CONTROLS_MULTILINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"


def text_pattern(min_length: int, max_length: int, *, multiline: bool = False) -> str:
    """The pattern of a text that, stripped, has ``min_length`` to ``max_length``
    characters and no control character (blanks may surround it)."""
    inner = f"[^{CONTROLS_MULTILINE if multiline else CONTROLS}]"
    edge = f"[^{CONTROLS_MULTILINE if multiline else CONTROLS}{BLANKS}]"
    if min_length >= 2:
        core = f"{edge}{inner}{{{min_length - 2},{max_length - 2}}}{edge}"
    else:
        core = f"{edge}(?:{inner}{{0,{max_length - 2}}}{edge})?"
        if min_length == 0:
            core = f"(?:{core})?"
    return f"^[{BLANKS}]*{core}[{BLANKS}]*$"


def _no_control(value: str, *, multiline: bool = False) -> str:
    if re.search(f"[{CONTROLS_MULTILINE if multiline else CONTROLS}]", value):
        raise PydanticCustomError("control_characters", "contains control characters")
    return value


def Text(min_length: int, max_length: int, *, multiline: bool = False) -> Any:
    """A text field: stripped, ``min_length`` to ``max_length`` characters, no control."""
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length),
        AfterValidator(lambda v: _no_control(v, multiline=multiline)),
        WithJsonSchema({"type": "string",
                        "pattern": text_pattern(min_length, max_length, multiline=multiline)}),
    ]


def Matching(pattern: str, code: str) -> Any:
    """A text that, stripped, must match ``pattern`` (else the error ``code``); its schema
    says the same, blanks around included."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError(code, code)
        return value

    return Annotated[str, AfterValidator(check),
                     WithJsonSchema({"type": "string",
                                     "pattern": f"^[{BLANKS}]*(?:{pattern})[{BLANKS}]*$"})]


def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip(BLANK_CHARS) else value


def OrNone(pattern: str, code: str, *checks: Any) -> Any:
    """An optional text matching ``pattern``: null, empty or blank mean none."""
    kind = Matching(pattern, code)
    if checks:
        kind = Annotated[kind, *checks]
    return Annotated[
        kind | None,
        BeforeValidator(_blank_is_none),
        WithJsonSchema({"anyOf": [
            {"type": "string", "pattern": f"^[{BLANKS}]*(?:(?:{pattern})[{BLANKS}]*)?$"},
            {"type": "null"},
        ]}),
    ]


_HOST = rf"[^{SPACES}/?#@:\[\]]{{1,253}}(?::[0-9]{{1,5}})?"
_REST = rf"(?:[/?#][^{SPACES}]{{0,1730}})?"
#: an http(s) URL: its scheme, a host (no user, no IPv6 literal), then no space
#: (ASCII classes, never ``\d``: Python's and Rust's match other digits than JSON Schema's)
WEB_URL = rf"[hH][tT][tT][pP][sS]?://{_HOST}{_REST}"
HTTPS_URL = rf"[hH][tT][tT][pP][sS]://{_HOST}{_REST}"
#: how people write an e-mail address (not RFC 5322's every corner; 254 characters at most)
_MAILBOX = rf"[^@<>\"',;{SPACES}]"
EMAIL = rf"{_MAILBOX}{{1,64}}@{_MAILBOX}{{1,180}}\.[A-Za-z]{{2,8}}"
#: a French phone number, or an international one; digits may be grouped by separators
PHONE = r"(?:0[ .\-/]?[1-9](?:[ .\-/]?[0-9]){8}|(?:\+|00)(?:[ .\-/]?\(?[0-9]\)?){8,15})"
#: 5 digits (not 00xxx), a space allowed after the département's two
POSTCODE = r"(?:0[1-9]|[1-9][0-9]) ?[0-9]{3}"
#: 14 digits, a space allowed after any of them ("732 829 320 00074")
SIRET = r"(?:[0-9] ?){13}[0-9]"


#: RFC 3339 (what JSON Schema's ``date-time`` means); the offset may be missing here only
#: to be reported as such (``offset_required``)
_D2 = "[0-9][0-9]"
_RFC3339 = re.compile(
    rf"[0-9]{{4}}-{_D2}-{_D2}[Tt]{_D2}:{_D2}:{_D2}(?:\.[0-9]+)?(?:[Zz]|[+-]{_D2}:{_D2})?"
)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and not _RFC3339.fullmatch(value):
        raise PydanticCustomError("datetime_parsing", "not an RFC 3339 date-time")
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "a date-time string is required")
    return value


DateTime = Annotated[AwareDatetime, Strict(False), BeforeValidator(_rfc3339)]


class _In(BaseModel):
    # strict: a JSON number is not a boolean, a string is not a number (OpenAPI says so)
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


class AddressIn(_In):
    """Where the event takes place, as the organiser writes it."""

    venue: Text(0, 200) | None = None
    street: Text(0, 200) | None = None
    postcode: Annotated[Matching(POSTCODE, "invalid_postcode"),
                        AfterValidator(lambda v: v.replace(" ", ""))]
    city: Text(1, 200)


def _siret(value: str) -> str:
    value = siret_check.normalize(value)
    if not siret_check.siret_ok(value):
        raise PydanticCustomError("siret_checksum", "SIRET checksum is wrong")
    return value


class OrganizerIn(_In):
    name: Text(1, 200)
    type: OrganizerType
    siret: OrNone(SIRET, "invalid_siret", AfterValidator(_siret)) = None
    email: Matching(EMAIL, "invalid_email")
    phone: OrNone(PHONE, "invalid_phone") = None


class TimingIn(_In):
    """One session: from ``starts_at`` to ``ends_at``, each with its offset."""

    starts_at: DateTime
    ends_at: DateTime


def _no_default_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # absent is not null: the schema must not suggest sending it


#: a field that may be left out, but is never null
Absent = Field(default=None, json_schema_extra=_no_default_in_schema)


class SubmissionIn(_In):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        # the dates: timings, or (contract version 1) one start and one end; not both
        {"anyOf": [{"required": ["timings"]}, {"required": ["starts_at", "ends_at"]}]},
        {"not": {"anyOf": [{"required": ["timings", "starts_at"]},
                           {"required": ["timings", "ends_at"]}]}},
        # the rules across fields that a schema can state (cross_field_errors has them all)
        {"if": {"properties": {"online": {"const": True}}, "required": ["online"]},
         "then": {"required": ["online_url"],
                  "properties": {"online_url": {"type": "string", "pattern": f"[^{BLANKS}]"}}},
         "else": {"required": ["location"], "properties": {"location": {"type": "object"}}}},
        {"if": {"properties": {"is_free": {"const": True}}, "required": ["is_free"]},
         "then": {"properties": {"price_eur": {"anyOf": [{"type": "null"}, {"const": 0}]}}}},
    ]})

    title: Text(3, 200)
    description: Text(0, 5000, multiline=True) = ""
    kind: Kind
    timings: Annotated[list[TimingIn], Field(min_length=1, max_length=MAX_TIMINGS)] = Absent
    #: contract version 1: the one timing's start and end (instead of ``timings``)
    starts_at: DateTime = Absent
    ends_at: DateTime = Absent
    audiences: Annotated[list[Audience], Field(min_length=1, max_length=20)]
    is_free: bool
    price_eur: Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)] | None = None
    informs_about_industry: bool
    online: bool = False
    online_url: OrNone(WEB_URL, "invalid_url") = None
    location: AddressIn | None = None
    registration_url: OrNone(WEB_URL, "invalid_url") = None
    capacity: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    accessibility: Text(0, 1000, multiline=True) | None = None
    #: what the place and the event offer, beside the free text: motor, hearing, visual,
    #: intellectual, psychic (OpenAgenda's codes)
    accessibility_codes: Annotated[list[AccessibilityCode], Field(max_length=10)] = []
    organizer: OrganizerIn
    callback_url: OrNone(HTTPS_URL, "https_required") = None

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
        known = {(tuple(e["loc"]), e["type"]) for e in fields}
        raise ValidationError.from_exception_data(cls.__name__, [
            *(_again(e) for e in fields),
            *(InitErrorDetails(type=PydanticCustomError(e.code, e.code, e.ctx), loc=e.loc,
                               input=None) for e in across if (e.loc, e.code) not in known),
        ])

    # ------------------------------------------------------------------ conversions

    def sessions(self) -> list[Timing]:
        """The timings, sorted by start (the one of ``starts_at``/``ends_at`` if given so)."""
        given = [(t.starts_at, t.ends_at) for t in self.timings or ()]
        return [Timing(starts_at=start, ends_at=end)
                for start, end in sorted(given or [(self.starts_at, self.ends_at)])]

    def to_submission(self) -> Submission:
        """The public part, as it travels on the bus (no e-mail, phone, callback)."""
        return Submission(
            title=self.title,
            description=self.description,
            kind=self.kind,
            timings=self.sessions(),
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
            accessibility_codes=[c for c in ACCESSIBILITY_CODES if c in self.accessibility_codes],
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


@dataclass(frozen=True)
class CrossFieldError:
    loc: tuple[str | int, ...]
    code: str
    ctx: dict[str, Any] | None = None


def cross_field_errors(data: dict[str, Any]) -> list[CrossFieldError]:
    """The errors of the rules that tie fields together.

    Runs on the raw body so that these errors are reported along with the field errors;
    a rule whose inputs are themselves invalid is skipped (their own error is reported).
    """
    errors: list[CrossFieldError] = []
    online = data.get("online", False)
    if online is True:
        if data.get("online_url") in (None, ""):
            errors.append(CrossFieldError(("online_url",), "required_when_online"))
    elif online is False and data.get("location") is None:
        errors.append(CrossFieldError(("location",), "required_unless_online"))
    price = data.get("price_eur")
    if (
        data.get("is_free") is True
        and isinstance(price, int | float)
        and not isinstance(price, bool)
        and price != 0
    ):
        errors.append(CrossFieldError(("price_eur",), "price_with_free"))
    errors.extend(timing_errors(data))
    return errors


def timing_errors(data: dict[str, Any]) -> list[CrossFieldError]:
    """Timings given once (``timings`` or ``starts_at``/``ends_at``), each ending after it
    starts, none overlapping another once sorted."""
    timings = data.get("timings")
    legacy = [f for f in ("starts_at", "ends_at") if f in data]
    if timings is not None and legacy:
        return [CrossFieldError((f,), "dates_with_timings") for f in legacy]
    if timings is None:
        if not legacy:
            return [CrossFieldError(("timings",), "timings_required")]
        if len(legacy) == 1:  # the other one is missing ("required")
            missing = "ends_at" if legacy == ["starts_at"] else "starts_at"
            return [CrossFieldError((missing,), "missing")]
        starts, ends = _dt(data.get("starts_at")), _dt(data.get("ends_at"))
        if starts is not None and ends is not None and ends <= starts:
            return [CrossFieldError(("ends_at",), "ends_before_start")]
        return []
    if not isinstance(timings, list):
        return []
    errors, spans = [], []
    for i, timing in enumerate(timings):
        if not isinstance(timing, dict):
            continue
        starts, ends = _dt(timing.get("starts_at")), _dt(timing.get("ends_at"))
        if starts is None or ends is None:
            continue
        if ends <= starts:
            errors.append(CrossFieldError(("timings", i, "ends_at"), "ends_before_start"))
        else:
            spans.append((starts, ends, i))
    spans.sort()
    latest: tuple[datetime, int] | None = None  # the latest end so far, and whose it is
    for starts, ends, i in spans:
        if latest is not None and starts < latest[0]:
            errors.append(CrossFieldError(("timings", i), "timings_overlap",
                                          {"other": latest[1] + 1, "this": i + 1}))
        if latest is None or ends > latest[0]:
            latest = (ends, i)
    return errors
