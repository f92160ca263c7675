"""Event factories of the map-feed tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from map_feed.features import build_feature, dumps
from sdi_common.contracts import (
    EventStatusSet,
    Geocoded,
    GeoResult,
    Judged,
    Location,
    LocationUnresolved,
    Organizer,
    Point,
    Reason,
    Relocated,
    Submission,
    Withdrawn,
)

PARIS_TZ = timezone(timedelta(hours=1))


def submission(title: str = "Visite de l'usine", **over) -> Submission:
    base = {
        "title": title,
        "description": "Découverte des métiers de la métallurgie",
        "kind": "company_visit",
        "timings": [{"starts_at": datetime(2024, 11, 19, 9, 0, tzinfo=PARIS_TZ),
                     "ends_at": datetime(2024, 11, 19, 12, 0, tzinfo=PARIS_TZ)}],
        "audiences": ["pupils", "students"],
        "is_free": True,
        "informs_about_industry": True,
        "location": Location(
            venue="Usine Nord", street="1 rue de l'Industrie", postcode="59000", city="Lille"
        ),
        "registration_url": "https://example.org/inscription",
        "organizer": Organizer(name="Métaux du Nord", type="company"),
    }
    base.update(over)
    return Submission(**base)


def geo(lon: float = 3.06, lat: float = 50.63, **over) -> GeoResult:
    base = {
        "point": Point(lon=lon, lat=lat),
        "precision": "housenumber",
        "score": 0.9,
        "citycode": "59350",
        "city": "Lille",
        "postcode": "59000",
        "department": "59",
        "region": "32",
        "source": "ban",
    }
    base.update(over)
    return GeoResult(**base)


def geocoded(sid: str, version: int = 1, *, lon=3.06, lat=50.63, **sub) -> Geocoded:
    return Geocoded(
        submission_id=sid,
        version=version,
        by="geocoding",
        submission=submission(**sub),
        location=geo(lon, lat),
    )


def relocated(sid: str, version: int = 1, *, lon=2.35, lat=48.85, **sub) -> Relocated:
    return Relocated(
        submission_id=sid,
        version=version,
        by="operator:alice",
        submission=submission(**sub),
        location=geo(lon, lat, precision="manual", source="operator"),
    )


def feature_bytes(sid: str, version: int = 1, **kw) -> bytes:
    """The feed feature the indexer writes for ``geocoded(sid, version, **kw)``."""
    return dumps(build_feature(geocoded(sid, version, **kw)))


def judged(sid: str, version: int, type_: str) -> Judged:
    return Judged(
        submission_id=sid,
        version=version,
        by="validation",
        type=type_,
        submission=submission(),
        reasons=[Reason(code="x", message="x")],
        edition="2024",
    )


def unresolved(sid: str, version: int) -> LocationUnresolved:
    return LocationUnresolved(
        submission_id=sid,
        version=version,
        by="geocoding",
        submission=submission(),
        reason=Reason(code="no_match", message="introuvable"),
    )


def withdrawn(sid: str, version: int) -> Withdrawn:
    return Withdrawn(submission_id=sid, version=version, by="organizer")


def new_sid() -> str:
    return uuid.uuid4().hex


#: a plant open on Tuesday at 9:00 and 14:00 and on Thursday at 9:00 (issue 16)
THREE_SESSIONS = [
    {"starts_at": datetime(2024, 11, 19, 9, 0, tzinfo=PARIS_TZ),
     "ends_at": datetime(2024, 11, 19, 12, 0, tzinfo=PARIS_TZ)},
    {"starts_at": datetime(2024, 11, 19, 14, 0, tzinfo=PARIS_TZ),
     "ends_at": datetime(2024, 11, 19, 17, 0, tzinfo=PARIS_TZ)},
    {"starts_at": datetime(2024, 11, 21, 9, 0, tzinfo=PARIS_TZ),
     "ends_at": datetime(2024, 11, 21, 12, 0, tzinfo=PARIS_TZ)},
]


def event_status(sid: str, version: int, status: str, remaining: int | None = None,
                 at: datetime | None = None) -> EventStatusSet:
    return EventStatusSet(submission_id=sid, version=version, by="organizer",
                          event_status=status, remaining_places=remaining,
                          **({"at": at} if at else {}))
