"""Query parameters of the feed (and of its exports and clusters): parsing and matching.

Every filter is optional; several values of one filter (repeated, or comma-separated)
mean "any of them", different filters all apply. Parsing errors are collected, so that
one problem+json answer lists them all.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sdi_common.contracts import AUDIENCES, KINDS
from sdi_common.text import fold

from .problems import Problem

#: a date without a time is a day in metropolitan France
PARIS = ZoneInfo("Europe/Paris")
_TRUE = {"true", "1", "yes", "oui"}
_FALSE = {"false", "0", "no", "non"}
MAX_ZOOM = 22


class InvalidQuery(Problem, ValueError):
    """422: every faulty parameter of the query at once."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        super().__init__(422, "Requête invalide", detail, errors=errors)


BBox = tuple[float, float, float, float]


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
        if self.start is not None and e.ends < self.start:
            return False
        if self.end is not None and e.starts > self.end:
            return False
        if self.online is not None and e.online is not self.online:
            return False
        return all(t in e.text for t in self.terms)


EMPTY = FeedQuery()


def _values(params: Mapping[str, str] | object, name: str) -> list[str]:
    getlist = getattr(params, "getlist", None)
    raw: Iterable[str] = getlist(name) if getlist else ([params[name]] if name in params else [])  # type: ignore[index,operator]
    return [v.strip() for value in raw for v in value.split(",") if v.strip()]


def _query_param(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "schema": schema,
        "description": description,
    }


#: The filters as OpenAPI parameters: the service parses its query string itself (so that
#: every error is reported at once, in French), and documents it here.
OPENAPI_FILTERS = [
    _query_param("bbox", {"type": "string"}, "ouest,sud,est,nord en degrés WGS 84"),
    _query_param(
        "kind",
        {"type": "string", "enum": list(KINDS)},
        "type(s) d'événement, séparés par des virgules",
    ),
    _query_param("audience", {"type": "string", "enum": list(AUDIENCES)}, "public(s) visé(s)"),
    _query_param("department", {"type": "string"}, "code(s) de département : 75, 2A, 971"),
    _query_param("region", {"type": "string"}, "code(s) INSEE de région : 11, 84"),
    _query_param(
        "from",
        {"type": "string", "format": "date-time"},
        "se termine à partir de (date ou date-heure ISO 8601)",
    ),
    _query_param(
        "to",
        {"type": "string", "format": "date-time"},
        "commence au plus tard (date ou date-heure ISO 8601)",
    ),
    _query_param("online", {"type": "boolean"}, "en ligne (true) ou sur place (false)"),
    _query_param("q", {"type": "string"}, "texte, sans tenir compte des accents"),
]
OPENAPI_CLUSTERS = [
    _query_param("bbox", {"type": "string"}, "ouest,sud,est,nord en degrés WGS 84", required=True),
    _query_param(
        "zoom", {"type": "integer", "minimum": 0, "maximum": 22}, "niveau de zoom", required=True
    ),
    *OPENAPI_FILTERS[1:],
]


def parse_bbox(text: str) -> BBox:
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("attendu : ouest,sud,est,nord (4 nombres en degrés WGS 84)")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise ValueError("attendu : ouest,sud,est,nord (4 nombres en degrés WGS 84)") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise ValueError("coordonnées non finies")
    # A map zoomed out past the antimeridian (Leaflet) asks for more than the world: clamp.
    w, e = max(-180.0, min(180.0, w)), max(-180.0, min(180.0, e))
    s, n = max(-90.0, min(90.0, s)), max(-90.0, min(90.0, n))
    if s > n:
        raise ValueError("le sud doit être inférieur ou égal au nord")
    return (w, s, e, n)


def parse_instant(text: str, *, end_of_day: bool) -> float:
    """An ISO 8601 date-time (with offset; naive means Paris time) or a date (a whole day)."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.min, PARIS)
            if end_of_day:
                moment += timedelta(days=1) - timedelta(microseconds=1)
            return moment.timestamp()
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "date attendue au format ISO 8601 (2024-11-18 ou 2024-11-18T09:00:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=PARIS)
    try:
        return moment.astimezone(UTC).timestamp()
    except OverflowError:  # year 1 or 9999 shifted past the calendar's ends
        raise ValueError("date hors des limites du calendrier") from None


def _choices(params, name: str, allowed: Sequence[str], errors: list) -> frozenset[str]:
    values = _values(params, name)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors.append(
            {
                "field": name,
                "code": "unknown_value",
                "message": f"valeur(s) inconnue(s) {', '.join(unknown)} ; valeurs admises : {', '.join(allowed)}",
            }
        )
    return frozenset(values)


def _codes(params, name: str, errors: list, max_len: int = 3) -> frozenset[str]:
    values = _values(params, name)
    bad = [v for v in values if len(v) > max_len or not v.isalnum()]
    if bad:
        errors.append(
            {
                "field": name,
                "code": "invalid_code",
                "message": f"code(s) invalide(s) : {', '.join(bad)}",
            }
        )
    return frozenset(v.upper() for v in values)


def parse_query(params) -> FeedQuery:
    """Parse query parameters (a Starlette ``QueryParams`` or a plain mapping)."""
    errors: list[dict[str, str]] = []
    query = _filters(params, errors)
    if errors:
        raise InvalidQuery(errors)
    return query


@dataclass(frozen=True)
class ClusterQuery:
    zoom: int
    bbox: BBox
    filters: FeedQuery  # the other filters (no bbox)


def parse_cluster_query(params) -> ClusterQuery:
    """``bbox`` (required here) and ``zoom``, then the filters."""
    errors: list[dict[str, str]] = []
    query = _filters(params, errors)
    if query.bbox is None and not any(e["field"] == "bbox" for e in errors):
        # absent, or only separators ("bbox=,")
        errors.insert(
            0, {"field": "bbox", "code": "missing", "message": "bbox=ouest,sud,est,nord est requis"}
        )
    zoom = -1
    try:
        zoom = int(getattr(params, "get", lambda *_: None)("zoom") or "")
        if not 0 <= zoom <= MAX_ZOOM:
            raise ValueError
    except ValueError:
        errors.append(
            {"field": "zoom", "code": "invalid_zoom", "message": f"entier de 0 à {MAX_ZOOM}"}
        )
    if errors:
        raise InvalidQuery(errors)
    return ClusterQuery(zoom, query.bbox, dataclasses.replace(query, bbox=None))


def parse_revision(raw: str | None) -> int | None:
    """The revision to resume a stream after (``Last-Event-ID`` or ``since``)."""
    if raw is None or raw == "":
        return None
    try:
        resume = int(raw)
        if resume < 0:
            raise ValueError
    except ValueError:
        raise InvalidQuery(
            [
                {
                    "field": "since",
                    "code": "invalid_revision",
                    "message": "attendu : une révision du flux (entier ≥ 0)",
                }
            ]
        ) from None
    return resume


def _filters(params, errors: list[dict[str, str]]) -> FeedQuery:
    bbox = None
    if raw := _values(params, "bbox"):
        try:
            bbox = parse_bbox(",".join(raw))
        except ValueError as exc:
            errors.append({"field": "bbox", "code": "invalid_bbox", "message": str(exc)})
    kinds = _choices(params, "kind", KINDS, errors)
    audiences = _choices(params, "audience", AUDIENCES, errors)
    departments = _codes(params, "department", errors)
    regions = _codes(params, "region", errors, max_len=2)
    bounds: dict[str, float | None] = {"from": None, "to": None}
    for name in bounds:
        values = _values(params, name)
        if len(values) > 1:
            errors.append({"field": name, "code": "repeated", "message": "une seule valeur admise"})
        elif not values and name in params:  # "from=": given, but empty
            errors.append({"field": name, "code": "invalid_date", "message": "date vide"})
        elif values:
            try:
                bounds[name] = parse_instant(values[0], end_of_day=name == "to")
            except ValueError as exc:
                errors.append({"field": name, "code": "invalid_date", "message": str(exc)})
    if bounds["from"] is not None and bounds["to"] is not None and bounds["from"] > bounds["to"]:
        errors.append(
            {"field": "to", "code": "invalid_range", "message": "« to » précède « from »"}
        )
    online = None
    if values := _values(params, "online"):
        flag = values[0].lower()
        if flag in _TRUE:
            online = True
        elif flag in _FALSE:
            online = False
        else:
            errors.append(
                {"field": "online", "code": "invalid_boolean", "message": "attendu : true ou false"}
            )
    q = getattr(params, "get", lambda *_: None)("q") or ""
    if len(q) > 200:
        errors.append({"field": "q", "code": "too_long", "message": "200 caractères au plus"})
    return FeedQuery(
        bbox=bbox,
        kinds=kinds,
        audiences=audiences,
        departments=departments,
        regions=regions,
        start=bounds["from"],
        end=bounds["to"],
        online=online,
        terms=tuple(fold(q).split()),
    )
