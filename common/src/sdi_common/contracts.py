"""Event contracts: the only thing services share about each other.

Every lifecycle event of a submission is one message on the ``SUBMISSIONS`` stream, on
the subject given by ``SUBJECTS``. Every event carries the submission id, its own event
id, the submission *version* (1 at intake, +1 on each amendment) and the time.
Consumers are idempotent on ``(submission_id, version, type)``.

The contracts are versioned: every event says the ``schema_version`` it was written in
(``CONTRACT_VERSION``; none said, it is 1). ``parse_event`` upcasts an older event to the
current shape before validating it (``sdi_common.upcasting``): the stream is the truth and
is never rewritten, so events written years ago still project and show.

Downstream events carry the public part of the submission along, so that workers stay
stateless. The organiser's contact data (e-mail, phone) never travels in clear: it
exists only sealed, in ``Received.contact_sealed`` (see the submission service).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal, get_args

import orjson
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from .upcasting import upcast

#: the version of these contracts this code writes (1: one start and one end per event;
#: 2: timings, accessibility codes, the event status and the import summary)
CONTRACT_VERSION = 2

# --------------------------------------------------------------------------- vocabulary

Kind = Literal[
    "company_visit",
    "training_visit",
    "workshop",
    "escape_game",
    "webinar",
    "job_dating",
    "conference",
    "forum",
    "exhibition",
    "other",
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]

Audience = Literal[
    "pupils",
    "youth",
    "students",
    "job_seekers",
    "educators",
    "hr_professionals",
    "general_public",
    "employees",
    "business_partners",
]
AUDIENCES: tuple[str, ...] = Audience.__args__  # type: ignore[attr-defined]
#: The seven target publics of the labelling rules (the last two audiences are not).
TARGET_AUDIENCES: frozenset[str] = frozenset(AUDIENCES[:7])

OrganizerType = Literal[
    "company", "school", "training_centre", "federation", "public_body", "association", "other"
]


class Status(StrEnum):
    received = "received"
    labelled = "labelled"
    rejected = "rejected"
    needs_review = "needs_review"
    published = "published"
    location_unresolved = "location_unresolved"
    withdrawn = "withdrawn"


#: The validation service's verdict on a submission: the ``Judged`` event's type, its
#: subject and the status it leads to.
Outcome = Literal["labelled", "rejected", "needs_review"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- contract v2

#: how many timings (sessions) one event may have
MAX_TIMINGS = 100

#: the five accessibility codes of OpenAgenda (a subset is declared beside the free text)
AccessibilityCode = Literal["motor", "hearing", "visual", "intellectual", "psychic"]
ACCESSIBILITY_CODES: tuple[AccessibilityCode, ...] = get_args(AccessibilityCode)

#: whether the event takes place: on (``scheduled``), with no place left (``full``), or not
#: at all (``cancelled``, which is not a withdrawal: it stays on the map, marked)
EventStatus = Literal["scheduled", "full", "cancelled"]
EVENT_STATUSES: tuple[EventStatus, ...] = get_args(EventStatus)


class Timing(_Model):
    """One session of an event, from ``starts_at`` to ``ends_at`` (each with its offset)."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime


# --------------------------------------------------------------------------- submission


class Location(_Model):
    venue: str | None = None
    street: str | None = None
    postcode: Annotated[str, Field(pattern=r"^\d{5}$")]
    city: Annotated[str, Field(min_length=1, max_length=200)]


class Organizer(_Model):
    """The public part of the organiser (shown on the map)."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: OrganizerType
    siret: str | None = None


class Submission(_Model):
    """An event as submitted, minus the organiser's personal contact data."""

    title: Annotated[str, Field(min_length=3, max_length=200)]
    description: Annotated[str, Field(max_length=5000)] = ""
    kind: Kind
    #: every session, sorted by start, none overlapping another (the intake sees to it)
    timings: Annotated[list[Timing], Field(min_length=1, max_length=MAX_TIMINGS)]
    audiences: list[Audience]
    is_free: bool
    price_eur: Annotated[float, Field(ge=0)] | None = None
    informs_about_industry: bool
    online: bool = False
    online_url: str | None = None
    location: Location | None = None
    registration_url: str | None = None
    capacity: Annotated[int, Field(ge=0)] | None = None
    accessibility: str | None = None
    accessibility_codes: list[AccessibilityCode] = []
    organizer: Organizer

    @property
    def starts_at(self) -> datetime:
        """The first start."""
        return self.timings[0].starts_at

    @property
    def ends_at(self) -> datetime:
        """The last end."""
        return max(t.ends_at for t in self.timings)


# --------------------------------------------------------------------------- results


class Reason(_Model):
    """A stable machine code and a French message an organiser understands."""

    code: str
    message: str


class Point(_Model):
    lon: Annotated[float, Field(ge=-180, le=180)]
    lat: Annotated[float, Field(ge=-90, le=90)]


#: how precise a point is; ``manual``: placed by a person (an operator) on the map
Precision = Literal["housenumber", "street", "municipality", "department", "manual"]


class Commune(_Model):
    """A commune for a postcode or the start of its name: geocoding's ``GET /v1/communes``,
    which submission relays to its form (one model for both sides of that call)."""

    name: str
    postcode: str
    citycode: str
    department: str


class Communes(_Model):
    communes: list[Commune]


class GeoResult(_Model):
    """Where the event takes place, as resolved by a geocoder or an operator."""

    point: Point
    precision: Precision
    score: float | None = None
    citycode: str | None = None  # INSEE code of the commune
    city: str | None = None  # official name of the commune
    postcode: str | None = None
    department: str | None = None  # "75", "2A", "971"
    region: str | None = None  # INSEE region code, "11"
    label: str | None = None
    source: str  # ban | addok | gazetteer | operator

    @field_validator("precision", mode="before")
    @classmethod
    def _manual_was_operator(cls, value: object) -> object:
        # Events in the stream before the rename say "operator": the stream is the truth
        # and is never rewritten, so the old word is read as the new one.
        return "manual" if value == "operator" else value


# --------------------------------------------------------------------------- events


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(_Model):
    type: str
    event_id: str = Field(default_factory=new_id)
    submission_id: str
    version: Annotated[int, Field(ge=1)]
    at: AwareDatetime = Field(default_factory=utcnow)
    #: who caused it: a service name, "organizer", or "operator:<name>"
    by: str
    #: the contracts' version it was written in (older ones are upcast when parsed)
    schema_version: Annotated[int, Field(ge=CONTRACT_VERSION, le=CONTRACT_VERSION)] = (
        CONTRACT_VERSION
    )


class Received(Event):
    """An organiser submitted (version 1) or amended (version > 1) an event."""

    type: Literal["received"] = "received"
    submission: Submission
    received_at: AwareDatetime
    #: the organiser's contact data, sealed with a per-submission key (crypto-shredding)
    contact_sealed: str | None = None


class Judged(Event):
    """The validation service's verdict: subject ``labelled``, ``rejected`` or ``needs_review``."""

    type: Outcome
    submission: Submission
    reasons: list[Reason] = []
    edition: str


class Geocoded(Event):
    """A labelled event with its place; online events have ``location`` None."""

    type: Literal["geocoded"] = "geocoded"
    submission: Submission
    location: GeoResult | None


class LocationUnresolved(Event):
    type: Literal["location_unresolved"] = "location_unresolved"
    submission: Submission
    reason: Reason


class Decided(Event):
    """An operator labels or rejects a submission that needed review."""

    type: Literal["decided"] = "decided"
    decision: Literal["label", "reject"]
    reason: str = ""
    submission: Submission


class Relocated(Event):
    """An operator placed an event whose address could not be resolved."""

    type: Literal["relocated"] = "relocated"
    submission: Submission
    location: GeoResult


class Published(Event):
    """The event is visible in the public feed (written by map-feed's indexer)."""

    type: Literal["published"] = "published"
    feed_revision: int


class Withdrawn(Event):
    type: Literal["withdrawn"] = "withdrawn"


class ContactErased(Event):
    """The organiser's contact data was erased (operator request or retention)."""

    type: Literal["contact_erased"] = "contact_erased"


class TokenRenewed(Event):
    """The organiser asked for a new link (a lost link): a new token replaces the old one."""

    type: Literal["token_renewed"] = "token_renewed"
    #: the new token, sealed by the submission service (its private format)
    token_sealed: str
class EventStatusSet(Event):
    """The organiser (or an operator) says whether the event is on, full or cancelled, and
    how many places remain. Independent of the version: the latest ``at`` wins (the
    submission service makes each one later than the one before)."""

    type: Literal["event_status"] = "event_status"
    event_status: EventStatus
    #: places still free, when the organiser publishes it
    remaining_places: Annotated[int, Field(ge=0)] | None = None


class ImportRow(_Model):
    """What an import did with one row of its file (``line``: 1 for the first item)."""

    line: Annotated[int, Field(ge=1)]
    action: Literal["created", "updated", "unchanged", "refused"]
    #: the submission the row created or matched (None when refused before that)
    id: str | None = None
    external_id: str | None = None
    #: why it was refused: ``field:code`` of its first errors
    errors: list[str] = []


class Imported(Event):
    """A bulk import was done (not a dry run): the summary to mail to the importer.

    Not about one submission: ``submission_id`` holds the import's own id (the key of its
    message), ``version`` is 1. The importer's address travels sealed, as a contact does
    (``importer_sealed``, the submission service's envelope, under a key of its own)."""

    type: Literal["imported"] = "imported"
    importer_sealed: str
    rows: list[ImportRow]


AnyEvent = Annotated[
    Received
    | Judged
    | Geocoded
    | LocationUnresolved
    | Decided
    | Relocated
    | Published
    | Withdrawn
    | ContactErased
    | TokenRenewed
    | EventStatusSet
    | Imported,
    Field(discriminator="type"),
]
_any_event: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def parse_event(data: bytes | str) -> Event:
    """Parse any lifecycle event, of any contract version (an older one is upcast first);
    raises ``pydantic.ValidationError`` on a poison message."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _any_event.validate_json(data)  # the same error as ever: json_invalid
    if isinstance(raw, dict) and raw.get("schema_version", 1) != CONTRACT_VERSION:
        data = orjson.dumps(upcast(raw, CONTRACT_VERSION))
    return _any_event.validate_json(data)


def encode(event: Event) -> bytes:
    return event.model_dump_json(exclude_none=False).encode()
