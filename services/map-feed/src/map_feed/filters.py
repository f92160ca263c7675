"""Query parameters of the feed, its exports, clusters and stream: syntax, parsing, matching.

Every filter is optional; several values of one list filter (repeated, or comma-separated)
mean "any of them", different filters all apply. Each parameter's syntax is one regular
expression (``Param.pattern``): the parser checks it, and the OpenAPI document publishes
it, so that what is documented is what is accepted. A parameter given empty
(``?kind=``, ``?from=``) is an error, not "no filter". Errors are collected, so that one
problem+json answer lists them all.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sdi_common.contracts import ACCESSIBILITY_CODES, AUDIENCES, KINDS
from sdi_common.text import fold

from .problems import Problem

#: a date without a time is a day in metropolitan France
PARIS = ZoneInfo("Europe/Paris")
MAX_ZOOM = 22
MAX_Q = 200

Error = dict[str, str]
BBox = tuple[float, float, float, float]


class InvalidQuery(Problem, ValueError):
    """422: every faulty parameter of the query at once."""

    def __init__(self, errors: list[Error]) -> None:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        super().__init__(422, "Requête invalide", detail, errors=errors)


# --------------------------------------------------------------------------- the syntax


def _listed(item: str) -> str:
    return f"^{item}(?:,{item})*$"


def _one_of(values: Sequence[str]) -> str:
    return "(?:" + "|".join(values) + ")"


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_DAY = r"[12]\d{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"  # years 1000-2999
_CLOCK = r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
_OFFSET = r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)"


@dataclass(frozen=True)
class Param:
    """One query parameter: its syntax, and how the OpenAPI document describes it."""

    name: str
    pattern: str | None  # the whole value (or each value of a list) must match
    description: str
    example: str
    schema: Mapping[str, Any] = field(default_factory=dict)  # JSON Schema beyond ``pattern``
    listed: bool = False  # may be repeated (each value may itself be comma-separated)
    required: bool = False
    location: str = "query"

    @cached_property
    def _regex(self) -> re.Pattern[str] | None:
        # ASCII: \d is 0-9, as in the ECMA-262 regular expressions of JSON Schema
        return re.compile(self.pattern, re.ASCII) if self.pattern else None

    def matches(self, value: str) -> bool:
        return self._regex is None or self._regex.fullmatch(value) is not None

    def openapi(self, *, required: bool | None = None) -> dict[str, Any]:
        value: dict[str, Any] = {"type": "string", **self.schema}
        if self.pattern and value["type"] == "string":  # a boolean or integer says it all
            value["pattern"] = self.pattern
        doc: dict[str, Any] = {
            "name": self.name,
            "in": self.location,
            "required": self.required if required is None else required,
            "description": self.description,
        }
        if self.listed:
            doc.update(style="form", explode=True)
            doc["schema"] = {"type": "array", "items": value}
            doc["example"] = [self.example]
        else:
            doc["schema"] = value
            doc["example"] = self.example
        return doc


BBOX = Param(
    "bbox",
    rf"^{_NUMBER},{_NUMBER},{_NUMBER},{_NUMBER}$",
    "ouest,sud,est,nord en degrés WGS 84 : les événements placés dans ce rectangle "
    "(ouest > est : il traverse l'antiméridien ; au-delà de ±180/±90 : ramené au monde)",
    "-5.2,41.3,9.6,51.1",
)
KIND = Param(
    "kind",
    _listed(_one_of(KINDS)),
    "type(s) d'événement, répétés ou séparés par des virgules : " + ", ".join(KINDS),
    "workshop,company_visit",
    listed=True,
)
AUDIENCE = Param(
    "audience",
    _listed(_one_of(AUDIENCES)),
    "public(s) visé(s) (un événement qui en accueille un convient), répétés ou séparés par "
    "des virgules : " + ", ".join(AUDIENCES),
    "pupils,students",
    listed=True,
)
DEPARTMENT = Param(
    "department",
    _listed(r"(?:\d{2,3}|2[ABab])"),
    "code(s) de département, répétés ou séparés par des virgules : 75, 2A, 971",
    "59,62",
    listed=True,
)
REGION = Param(
    "region",
    _listed(r"\d{2}"),
    "code(s) INSEE de région, répétés ou séparés par des virgules : 11, 84",
    "32",
    listed=True,
)
_INSTANT = rf"^{_DAY}(?:T{_CLOCK}{_OFFSET})?$"  # a date, or an RFC 3339 date-time
_INSTANT_SCHEMA = {"anyOf": [{"format": "date"}, {"format": "date-time"}]}
ACCESSIBILITY = Param(
    "accessibility",
    _listed(_one_of(ACCESSIBILITY_CODES)),
    "accessibilité(s) déclarée(s) par l'organisateur, répétées ou séparées par des virgules : "
    "un événement convient s'il les déclare toutes (" + ", ".join(ACCESSIBILITY_CODES) + ")",
    "motor",
    listed=True,
)
FROM = Param(
    "from",
    _INSTANT,
    "les événements dont une séance se termine à partir de cet instant : une date (2024-11-18 : "
    "dès le début de ce jour, heure de Paris) ou une date-heure RFC 3339 avec son décalage "
    "(2024-11-18T14:00:00+01:00)",
    "2024-11-18",
    _INSTANT_SCHEMA,
)
TO = Param(
    "to",
    _INSTANT,
    "les événements dont une séance commence au plus tard à cet instant : une date (2024-11-24 "
    ": jusqu'à la fin de ce jour, heure de Paris) ou une date-heure RFC 3339 avec son décalage "
    "(avec from, la même séance doit convenir aux deux)",
    "2024-11-24",
    _INSTANT_SCHEMA,
)
ONLINE = Param(
    "online",
    "^(?:true|false)$",
    "en ligne (true) ou sur place (false)",
    "false",
    {"type": "boolean"},
)
Q = Param(
    "q",
    None,
    "mots, tous présents dans le titre, la description, l'organisateur, le lieu ou la ville, "
    "sans tenir compte des majuscules ni des accents",
    "ecole",
    {"maxLength": MAX_Q},
)
FILTERS = (BBOX, KIND, AUDIENCE, DEPARTMENT, REGION, FROM, TO, ONLINE, Q, ACCESSIBILITY)
ZOOM = Param(
    "zoom",
    r"^\d{1,2}$",
    f"niveau de zoom de la carte, de 0 à {MAX_ZOOM}",
    "6",
    {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM},
    required=True,
)
_REVISION = r"^\d+$"
SINCE = Param(
    "since",
    _REVISION,
    "reprendre après cette révision du flux (l'« id » du dernier événement reçu)",
    "4242",
    {"type": "integer", "minimum": 0},
)
LAST_EVENT_ID = Param(
    "Last-Event-ID",
    _REVISION,
    "comme since (envoyé par EventSource quand il se reconnecte) ; l'emporte sur since",
    "4242",
    {"type": "integer", "minimum": 0},
    location="header",
)

#: the parameters as the OpenAPI document lists them
OPENAPI_FILTERS = [p.openapi() for p in FILTERS]
OPENAPI_CLUSTERS = [BBOX.openapi(required=True), ZOOM.openapi(), *OPENAPI_FILTERS[1:]]
OPENAPI_STREAM = [SINCE.openapi(), LAST_EVENT_ID.openapi()]


# --------------------------------------------------------------------------- the query


@dataclass(frozen=True)
class FeedQuery:
    bbox: BBox | None = None
    kinds: frozenset[str] = frozenset()
    audiences: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    start: float | None = None  # events ending at or after this instant (epoch seconds)
    end: float | None = None  # events starting at or before this instant
    online: bool | None = None
    terms: tuple[str, ...] = field(default=())
    accessibility: frozenset[str] = frozenset()  # all of them declared

    @property
    def is_empty(self) -> bool:
        return self == EMPTY

    def key(self) -> str:
        """A canonical form, for caches and ETags."""
        return repr(
            (
                self.bbox,
                sorted(self.kinds),
                sorted(self.audiences),
                sorted(self.departments),
                sorted(self.regions),
                self.start,
                self.end,
                self.online,
                self.terms,
                sorted(self.accessibility),
            )
        )

    def matches(self, e) -> bool:  # e: feed_store.FeedEntry (duck-typed to avoid a cycle)
        if self.bbox is not None:
            if e.lon is None:
                return False
            w, s, east, n = self.bbox
            if not s <= e.lat <= n:
                return False
            if w <= east:
                if not w <= e.lon <= east:
                    return False
            elif not (e.lon >= w or e.lon <= east):  # crosses the antimeridian
                return False
        if self.kinds and e.kind not in self.kinds:
            return False
        if self.audiences and self.audiences.isdisjoint(e.audiences):
            return False
        if self.departments and e.department not in self.departments:
            return False
        if self.regions and e.region not in self.regions:
            return False
        if (self.start is not None or self.end is not None) and not self._some_timing(e):
            return False
        if self.online is not None and e.online is not self.online:
            return False
        if self.accessibility and not self.accessibility <= e.accessibility:
            return False
        return all(t in e.text for t in self.terms)

    def _some_timing(self, e) -> bool:
        """One timing ends at or after ``start`` and starts at or before ``end``."""
        start, end = self.start, self.end
        if start is not None and e.ends < start or end is not None and e.starts > end:
            return False  # the event's whole span misses (the usual answer, found at once)
        return any((start is None or ends >= start) and (end is None or starts <= end)
                   for starts, ends in e.spans)


EMPTY = FeedQuery()


@dataclass(frozen=True)
class ClusterQuery:
    zoom: int
    bbox: BBox
    filters: FeedQuery  # the other filters (no bbox)


# --------------------------------------------------------------------------- parsing


def parse_bbox(text: str) -> BBox:
    """Four numbers (``BBOX.pattern``), clamped to the world: a map zoomed out past the
    antimeridian (Leaflet) asks for more. South above north is a box with nothing in it."""
    w, s, e, n = (float(p) for p in text.split(","))
    return (
        max(-180.0, min(180.0, w)),
        max(-90.0, min(90.0, s)),
        max(-180.0, min(180.0, e)),
        max(-90.0, min(90.0, n)),
    )


def parse_instant(text: str, *, end_of_day: bool) -> float:
    """A date (a day in Paris: its first instant, or its last with ``end_of_day``) or an
    RFC 3339 date-time (``FROM.pattern``: with its offset), as epoch seconds."""
    if len(text) == 10:
        moment = datetime.combine(date.fromisoformat(text), time.min, PARIS)
        if end_of_day:
            moment += timedelta(days=1) - timedelta(microseconds=1)
        return moment.timestamp()
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()


class _Reader:
    """Reads the parameters of one query, checking each value's syntax; collects errors."""

    def __init__(self, params: Mapping[str, str] | Any) -> None:
        self.params = params
        self.errors: list[Error] = []

    def raw(self, name: str) -> list[str]:
        getlist = getattr(self.params, "getlist", None)
        if getlist is not None:
            return getlist(name)
        return [self.params[name]] if name in self.params else []

    def fail(self, param: Param, code: str, message: str) -> None:
        self.errors.append({"field": param.name, "code": code, "message": message})

    def one(self, param: Param, code: str, expected: str) -> str | None:
        """The parameter's value (None when absent), if it is given once and well formed."""
        values = self.raw(param.name)
        if len(values) > 1:
            self.fail(param, "repeated", "une seule valeur admise")
        elif values and not param.matches(values[0]):
            self.fail(param, code, f"attendu : {expected}" if values[0] else "valeur vide")
        elif values:
            return values[0]
        return None

    def many(self, param: Param, code: str, expected: str) -> frozenset[str]:
        """Every value of a list parameter (repeated, or comma-separated), if well formed."""
        values = self.raw(param.name)
        bad = [v for v in values if not param.matches(v)]
        if bad:
            shown = ", ".join(f"« {v} »" if v else "valeur vide" for v in bad)
            self.fail(param, code, f"{shown} ; attendu : {expected}, séparés par des virgules")
            return frozenset()
        return frozenset(item for value in values for item in value.split(","))

    def instant(self, param: Param, *, end_of_day: bool) -> float | None:
        text = self.one(
            param,
            "invalid_date",
            "une date (2024-11-18) ou une date-heure (2024-11-18T14:00:00+01:00)",
        )
        if text is None:
            return None
        try:
            return parse_instant(text, end_of_day=end_of_day)
        except ValueError:
            self.fail(param, "invalid_date", f"« {text} » n'est pas une date du calendrier")
            return None

    def filters(self) -> FeedQuery:
        bbox = self.one(BBOX, "invalid_bbox", "ouest,sud,est,nord (4 nombres en degrés WGS 84)")
        online = self.one(ONLINE, "invalid_boolean", "true ou false")
        q = self.one(Q, "invalid_text", "du texte")
        if q is not None and len(q) > MAX_Q:
            self.fail(Q, "too_long", f"{MAX_Q} caractères au plus")
        return FeedQuery(
            bbox=parse_bbox(bbox) if bbox else None,
            kinds=self.many(KIND, "unknown_value", "des types parmi " + ", ".join(KINDS)),
            audiences=self.many(
                AUDIENCE, "unknown_value", "des publics parmi " + ", ".join(AUDIENCES)
            ),
            departments=frozenset(
                d.upper()
                for d in self.many(
                    DEPARTMENT, "invalid_code", "des codes de département (75, 2A, 971)"
                )
            ),
            regions=self.many(REGION, "invalid_code", "des codes INSEE de région à 2 chiffres"),
            start=self.instant(FROM, end_of_day=False),
            end=self.instant(TO, end_of_day=True),
            online=None if online is None else online == "true",
            terms=tuple(fold(q or "").split()),
            accessibility=self.many(ACCESSIBILITY, "unknown_value", "des codes parmi "
                                    + ", ".join(ACCESSIBILITY_CODES)),
        )

    def done(self) -> None:
        if self.errors:
            raise InvalidQuery(self.errors)


def parse_query(params) -> FeedQuery:
    """The filters of a query string (a Starlette ``QueryParams`` or a plain mapping)."""
    reader = _Reader(params)
    query = reader.filters()
    reader.done()
    return query


def parse_cluster_query(params) -> ClusterQuery:
    """``bbox`` and ``zoom`` (both required here), then the other filters."""
    reader = _Reader(params)
    query = reader.filters()
    if not "".join(reader.raw("bbox")).strip(","):  # absent, empty or only separators
        reader.errors = [e for e in reader.errors if e["field"] != "bbox"]
        reader.errors.insert(0, _missing(BBOX, "bbox=ouest,sud,est,nord est requis"))
    expected = f"un entier de 0 à {MAX_ZOOM}"
    zoom = reader.one(ZOOM, "invalid_zoom", expected)
    if zoom is not None and int(zoom) > MAX_ZOOM:
        reader.fail(ZOOM, "invalid_zoom", f"attendu : {expected}")
    elif not reader.raw("zoom"):
        reader.errors.append(_missing(ZOOM, f"zoom est requis ({expected})"))
    reader.done()
    assert query.bbox is not None and zoom is not None
    return ClusterQuery(int(zoom), query.bbox, dataclasses.replace(query, bbox=None))


def _missing(param: Param, message: str) -> Error:
    return {"field": param.name, "code": "missing", "message": message}


def parse_revision(params, last_event_id: str | None) -> int | None:
    """Where a stream resumes: after ``Last-Event-ID`` (empty: none, as browsers mean it),
    else after ``since``; None: the live changes only."""
    reader = _Reader(params)
    expected = "une révision du flux (entier ≥ 0)"
    if last_event_id and not LAST_EVENT_ID.matches(last_event_id):
        reader.fail(LAST_EVENT_ID, "invalid_revision", f"attendu : {expected}")
    since = reader.one(SINCE, "invalid_revision", expected)
    reader.done()
    raw = last_event_id or since
    return None if raw is None else int(raw)
