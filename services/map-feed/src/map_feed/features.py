"""What the ``FEED`` bucket holds: the public feature of a labelled, placed event, or the
tombstone left where one was removed.

The feature is built from a ``Geocoded`` or ``Relocated`` event, by an explicit allow-list
of public fields: the organiser's e-mail and phone never reach it (they are not in these
events either; the submission service keeps them sealed). A tombstone (the body of a
``DEL`` marker) records the version and the reason of the removal: the indexer compares
versions with it, and the replicas remember the withdrawn events (their page answers 410).

The event status (scheduled, full, cancelled, the places left) comes from another event,
``EventStatusSet``, at any time: the indexer keeps it in the bucket's entry, the feature's
or the tombstone's, and carries it over every write (``status_of``, ``with_status``).
Features written before contract version 2 are brought to the current shape when read
(``upgrade``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sdi_common.contracts import EventStatusSet, Geocoded, GeoResult, Relocated, Submission
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
    # contract version 2 (issue 16)
    "timings",
    "accessibility_codes",
    "capacity",
    "event_status",
    "remaining_places",
    "event_status_at",
)

#: what an ``EventStatusSet`` says, as the feature's properties (and tombstones) keep it
STATUS_FIELDS = ("event_status", "remaining_places", "event_status_at")
SCHEDULED: dict[str, Any] = {"event_status": "scheduled", "remaining_places": None,
                             "event_status_at": None}


def build_feature(event: Geocoded | Relocated,
                  status: dict[str, Any] | None = None) -> dict[str, Any]:
    """The feature of a placed event, with its event status (``status_of`` the entry it
    replaces; scheduled when there was none)."""
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
        "timings": [{"starts_at": t.starts_at.isoformat(), "ends_at": t.ends_at.isoformat()}
                    for t in sub.timings],
        "accessibility_codes": list(sub.accessibility_codes),
        "capacity": sub.capacity,
        **(status or SCHEDULED),
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


def status_change(event: EventStatusSet) -> dict[str, Any]:
    return {"event_status": event.event_status, "remaining_places": event.remaining_places,
            "event_status_at": event.at.isoformat()}


def status_of(data: dict[str, Any]) -> dict[str, Any] | None:
    """The event status kept in a feature's properties or a tombstone (None: never set)."""
    if data.get("event_status_at") is None:
        return None
    return {k: data.get(k) for k in STATUS_FIELDS}


def status_time(status: dict[str, Any] | None) -> datetime | None:
    at = (status or {}).get("event_status_at")
    return datetime.fromisoformat(at) if at else None


def with_status(body: bytes, status: dict[str, Any]) -> bytes:
    """A serialized feature with another event status."""
    feature = orjson.loads(body)
    feature["properties"].update(status)
    return dumps(feature)


def upgrade(feature: dict[str, Any]) -> dict[str, Any]:
    """A feature as written before contract version 2 (one start and one end, no codes,
    no status, a point placed by hand said ``operator``), in the current shape: its one
    timing, scheduled, ``manual``."""
    p = feature["properties"]
    if "timings" in p:
        return feature
    if p.get("precision") == "operator":
        p["precision"] = "manual"
    p["timings"] = [{"starts_at": p["starts_at"], "ends_at": p["ends_at"]}]
    p.setdefault("accessibility_codes", [])
    p.setdefault("capacity", None)
    for key, value in SCHEDULED.items():
        p.setdefault(key, value)
    return feature


#: the reason of the tombstone an organiser's (or operator's) withdrawal leaves
WITHDRAWN = "withdrawn"


def tombstone(submission_id: str, version: int, reason: str,
              status: dict[str, Any] | None = None) -> bytes:
    """The body of a removal: ``reason`` is ``withdrawn`` or the lifecycle event's type (or
    ``event_status``: nothing removed, a status kept for the event to come); ``status`` the
    event status it carries over."""
    return orjson.dumps({"id": submission_id, "version": version, "reason": reason,
                         **(status or {})})


def read_tombstone(value: bytes | None) -> dict[str, Any]:
    """A removal's body (``{}`` for an empty or foreign one: a purge, a hand-made delete)."""
    try:
        data = orjson.loads(value) if value else {}
    except orjson.JSONDecodeError:
        data = {}
    return data if isinstance(data, dict) else {}
