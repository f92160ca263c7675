"""What the OpenAPI document says of the answers: media types, bodies, headers, problems.

The endpoints build their bodies as bytes (precomputed, cached per revision), so these
JSON Schemas describe them for readers and API testers; FIELDS.md is the prose reference.
``documented(...)`` gives a route's ``responses`` and ``openapi_extra`` (FastAPI's own
parameters for them); the routes' ``response_class`` is a plain ``Response``, so that no
``application/json`` is claimed.
"""

from __future__ import annotations

from typing import Any

from sdi_common.contracts import ACCESSIBILITY_CODES, AUDIENCES, EVENT_STATUSES, KINDS
from sdi_common.http import PROBLEM_JSON

from .features import PROPERTIES

GEOJSON = "application/geo+json"
Schema = dict[str, Any]

TEXT: Schema = {"type": "string"}
_OPTIONAL_TEXT: Schema = {"type": ["string", "null"]}
_INSTANT: Schema = {"type": "string", "format": "date-time"}

PROBLEM: Schema = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": TEXT,
        "title": TEXT,
        "status": {"type": "integer"},
        "detail": TEXT,
        "errors": {
            "type": "array",
            "description": "every faulty parameter",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {"field": TEXT, "code": TEXT, "message": TEXT},
            },
        },
    },
}

_POINT: Schema = {
    "type": "object",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"const": "Point"},
        "coordinates": {
            "type": "array",
            "description": "[longitude, latitude], WGS 84",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 2,
        },
    },
}
_OPTIONAL_COUNT: Schema = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]}
_EVENT_PROPERTIES: Schema = {
    "type": "object",
    "description": "an event's public fields (FIELDS.md)",
    "required": list(PROPERTIES),
    "properties": {
        **{name: _OPTIONAL_TEXT for name in PROPERTIES},
        "id": TEXT,
        "version": {"type": "integer", "minimum": 1},
        "title": TEXT,
        "description": TEXT,
        "kind": {"enum": list(KINDS)},
        "starts_at": _INSTANT,
        "ends_at": _INSTANT,
        "audiences": {"type": "array", "items": {"enum": list(AUDIENCES)}},
        "organizer_name": TEXT,
        "online": {"type": "boolean"},
        "timings": {
            "type": "array",
            "description": "every session, sorted (starts_at and ends_at: the first start "
            "and the last end)",
            "minItems": 1,
            "items": {"type": "object", "required": ["starts_at", "ends_at"],
                      "properties": {"starts_at": _INSTANT, "ends_at": _INSTANT}},
        },
        "accessibility_codes": {"type": "array", "items": {"enum": list(ACCESSIBILITY_CODES)}},
        "capacity": _OPTIONAL_COUNT,
        "event_status": {"enum": list(EVENT_STATUSES)},
        "remaining_places": _OPTIONAL_COUNT,
        "event_status_at": {"anyOf": [_INSTANT, {"type": "null"}]},
    },
}
_EVENT: Schema = {
    "type": "object",
    "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": TEXT,
        "geometry": {"anyOf": [_POINT, {"type": "null"}]},
        "properties": _EVENT_PROPERTIES,
    },
}
_CLUSTER: Schema = {
    "type": "object",
    "description": "several events close together at this zoom",
    "required": ["type", "id", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "id": {"type": "string", "pattern": "^cluster-"},
        "geometry": _POINT,
        "properties": {
            "type": "object",
            "required": ["cluster", "point_count", "expansion_zoom"],
            "properties": {
                "cluster": {"const": True},
                "point_count": {"type": "integer", "minimum": 2},
                "expansion_zoom": {"type": "integer", "description": "the zoom that splits it"},
            },
        },
    },
}


def _collection(feature: Schema) -> Schema:
    return {
        "type": "object",
        "required": ["type", "features", "revision"],
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": feature},
            "revision": {"type": "integer", "description": "the feed revision of this body"},
        },
    }


FEATURE_COLLECTION = _collection(_EVENT)
CLUSTERS = _collection({"anyOf": [_CLUSTER, _EVENT]})
JSONLD: Schema = {
    "type": "object",
    "required": ["@context", "@graph"],
    "properties": {
        "@context": {"const": "https://schema.org"},
        "@graph": {
            "type": "array",
            "items": {
                "type": "object",
                "description": "a schema.org Event",
                "required": ["@type", "identifier", "name", "startDate", "endDate"],
                "properties": {"@type": {"const": "Event"}},
            },
        },
    },
}

_REVISION_HEADER = {
    "description": "the feed revision the body reflects",
    "required": True,
    "schema": {"type": "integer"},
}
CACHED = {
    "ETag": {
        "description": "changes with the revision; send it back in If-None-Match",
        "required": True,
        "schema": TEXT,
    },
    "Cache-Control": {"required": True, "schema": TEXT},
    "X-Feed-Revision": _REVISION_HEADER,
}
_RETRY_AFTER = {"Retry-After": {"required": True, "schema": {"type": "integer"}}}


def _problem(description: str, headers: dict | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": PROBLEM}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def documented(
    summary: str,
    media_type: str,
    schema: Schema,
    *,
    parameters: list[dict[str, Any]],
    tag: str = "feed",
    headers: dict[str, Any] = CACHED,
    cached: bool = True,
) -> dict[str, Any]:
    """A feed route's documentation, as the keyword arguments of its decorator: the query
    parameters its dependency parses (``openapi_extra``) and what it answers (``responses``)."""
    responses: dict[int, Any] = {
        200: {
            "description": "OK",
            "content": {media_type.split(";")[0]: {"schema": schema}},
            "headers": headers,
        },
        422: _problem("a parameter is malformed: each one is listed in errors"),
        503: _problem("the feed is still loading (or this replica is full)", _RETRY_AFTER),
    }
    if cached:
        responses[304] = {"description": "Not Modified (If-None-Match)", "headers": headers}
    return {
        "summary": summary,
        "tags": [tag],
        "openapi_extra": {"parameters": parameters},
        "responses": responses,
    }


STREAM_HEADERS = {"X-Feed-Revision": _REVISION_HEADER}


_HTML_PAGE: Schema = {"type": "string", "description": "an HTML page (DSFR), in French"}


def event_documented(
    summary: str, media_type: str, parameter: dict[str, Any], *, page: bool = False
) -> dict[str, Any]:
    """An event's page (``page``: HTML, its 404 and 410 pages too) or its calendar file
    (whose 404 and 410 are problem+json)."""
    kind = media_type.split(";")[0]
    if page:
        missing = {
            "description": "no published event has this id (a page; a path naming no page "
            "at all gets problem+json)",
            "content": {kind: {"schema": _HTML_PAGE}, PROBLEM_JSON: {"schema": PROBLEM}},
        }
        gone = {
            "description": "the event was withdrawn (a page)",
            "content": {kind: {"schema": _HTML_PAGE}},
        }
    else:
        missing = _problem("no published event has this id")
        gone = _problem("the event was withdrawn")
    return {
        "summary": summary,
        "tags": ["pages"],
        "openapi_extra": {"parameters": [parameter]},
        "responses": {
            200: {
                "description": "OK",
                "content": {kind: {"schema": _HTML_PAGE if page else TEXT}},
                "headers": CACHED,
            },
            304: {"description": "Not Modified (If-None-Match)", "headers": CACHED},
            404: missing,
            410: gone,
            503: _problem("the feed is still loading", _RETRY_AFTER),
        },
    }
