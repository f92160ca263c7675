"""What the ``FEED`` bucket holds: the public feature of a labelled, placed event, or the
tombstone left where one was removed.

The feature is built from a ``Geocoded`` or ``Relocated`` event, by an explicit allow-list
of public fields: the organiser's e-mail and phone never reach it (they are not in these
events either; the submission service keeps them sealed). A tombstone (the body of a
``DEL`` marker) records the version and the reason of the removal: the indexer compares
versions with it, and the replicas remember the withdrawn events (their page answers 410).
"""

from __future__ import annotations

from typing import Any

import orjson
from sdi_common.contracts import Geocoded, GeoResult, Relocated, Submission
from sdi_common.places import department_of

#: the properties of every feature, in this order (documented in FIELDS.md)
PROPERTIES: tuple[str, ...] = (
    "id",
    "version",
    "title",
    "description",
    "kind",
    "starts_at",
    "ends_at",
    "audiences",
    "organizer_name",
    "venue",
    "street",
    "city",
    "postcode",
    "department",
    "region",
    "online",
    "online_url",
    "registration_url",
    "accessibility",
    "precision",
)


def build_feature(event: Geocoded | Relocated) -> dict[str, Any]:
    sub: Submission = event.submission
    geo: GeoResult | None = event.location
    loc = sub.location
    postcode = (geo.postcode if geo else None) or (loc.postcode if loc else None)
    properties = {
        "id": event.submission_id,
        "version": event.version,
        "title": sub.title,
        "description": sub.description,
        "kind": sub.kind,
        "starts_at": sub.starts_at.isoformat(),
        "ends_at": sub.ends_at.isoformat(),
        "audiences": list(sub.audiences),
        "organizer_name": sub.organizer.name,
        "venue": loc.venue if loc else None,
        "street": loc.street if loc else None,
        "city": (geo.city if geo else None) or (loc.city if loc else None),
        "postcode": postcode,
        "department": (geo.department if geo else None) or department_of(postcode),
        "region": geo.region if geo else None,
        "online": sub.online,
        "online_url": sub.online_url,
        "registration_url": sub.registration_url,
        "accessibility": sub.accessibility,
        "precision": geo.precision if geo else None,
    }
    geometry = {"type": "Point", "coordinates": [geo.point.lon, geo.point.lat]} if geo else None
    return {
        "type": "Feature",
        "id": event.submission_id,
        "geometry": geometry,
        "properties": properties,
    }


def dumps(feature: dict[str, Any]) -> bytes:
    return orjson.dumps(feature)


#: the reason of the tombstone an organiser's (or operator's) withdrawal leaves
WITHDRAWN = "withdrawn"


def tombstone(submission_id: str, version: int, reason: str) -> bytes:
    """The body of a removal: ``reason`` is ``withdrawn`` or the lifecycle event's type."""
    return orjson.dumps({"id": submission_id, "version": version, "reason": reason})


def read_tombstone(value: bytes | None) -> dict[str, Any]:
    """A removal's body (``{}`` for an empty or foreign one: a purge, a hand-made delete)."""
    try:
        data = orjson.loads(value) if value else {}
    except orjson.JSONDecodeError:
        data = {}
    return data if isinstance(data, dict) else {}
