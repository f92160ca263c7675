"""Open-data exports of the feed: CSV, iCalendar (RFC 5545) and schema.org/Event JSON-LD.

Each takes the feed's serialized features and returns bytes (UTF-8). Fields are
documented in FIELDS.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from sdi_common.csv_safe import cell

from .features import PROPERTIES
from .labels import ACCESSIBILITY, EVENT_STATUSES

_V1 = PROPERTIES[: PROPERTIES.index("precision")]
#: the feature's properties, then its point, then what contract version 2 added (so that
#: the columns readers rely on keep their place; FIELDS.md documents each one)
CSV_COLUMNS = (
    *_V1,
    "longitude",
    "latitude",
    "precision",
    *PROPERTIES[PROPERTIES.index("precision") + 1 :],
)
PRODID = "-//Semaine de l'industrie//Carte des evenements//FR"
#: Europe/Paris as RFC 5545 writes it (the EU rule, since 1996: the last Sundays of March and
#: October). The events are given in UTC; this component is what X-WR-TIMEZONE names, and it
#: keeps a calendar that no event matches valid (RFC 5545 requires one component at least).
VTIMEZONE_PARIS = (
    "BEGIN:VTIMEZONE",
    "TZID:Europe/Paris",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19960331T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19961027T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def _features(bodies: Iterable[bytes]) -> Iterable[dict]:
    return (orjson.loads(b) for b in bodies)


# --------------------------------------------------------------------------- CSV


def to_csv(bodies: Iterable[bytes]) -> bytes:
    """RFC 4180 CSV, comma-separated, UTF-8, one header row; audiences joined by ``;``;
    text that a spreadsheet would run as a formula starts with ``'`` (``sdi_common.csv_safe``)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for f in _features(bodies):
        p = f["properties"]
        coords = (f.get("geometry") or {}).get("coordinates") or (None, None)
        row = {
            **p,
            "audiences": ";".join(p.get("audiences") or ()),
            "online": "true" if p.get("online") else "false",
            "longitude": coords[0],
            "latitude": coords[1],
            "timings": ";".join(f"{t['starts_at']}/{t['ends_at']}" for t in p["timings"]),
            "accessibility_codes": ";".join(p.get("accessibility_codes") or ()),
        }
        writer.writerow([cell(row.get(c)) for c in CSV_COLUMNS])
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- iCalendar


def ics_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def ics_fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (§3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # continuation byte
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74  # continuation lines start with one space
    return "\r\n ".join(parts)


def _ics_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _ics_uid(event_id: str, timing: dict, count: int) -> str:
    """One timing keeps the event's id (as before timings); several are told apart by
    their start, which stays the same when another session is added or removed."""
    return event_id if count == 1 else f"{event_id}-{_ics_time(timing['starts_at'])}"


def to_ics(bodies: Iterable[bytes], *, stamp: datetime | None = None) -> bytes:
    """One ``VEVENT`` per timing (calendar applications show every session; RDATE with
    periods is not read by most), each ``STATUS:CANCELLED`` once the event is cancelled."""
    stamp_text = (stamp or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Semaine de l'industrie",
        "X-WR-TIMEZONE:Europe/Paris",
        *VTIMEZONE_PARIS,
    ]
    for f in _features(bodies):
        lines.extend(_vevents(f, stamp_text))
    lines.append("END:VCALENDAR")
    return ("\r\n".join(ics_fold(line) for line in lines) + "\r\n").encode("utf-8")


def _vevents(f: dict, stamp_text: str) -> list[str]:
    p = f["properties"]
    coords = (f.get("geometry") or {}).get("coordinates")
    place = ", ".join(
        v
        for v in (
            p.get("venue"),
            p.get("street"),
            " ".join(x for x in (p.get("postcode"), p.get("city")) if x),
        )
        if v
    )
    status = p.get("event_status") or "scheduled"
    notes = [p.get("description") or ""]
    if p.get("organizer_name"):
        notes.append(f"Organisateur : {p['organizer_name']}")
    if p.get("accessibility_codes"):
        notes.append("Accessibilité : "
                     + ", ".join(ACCESSIBILITY[c] for c in p["accessibility_codes"]))
    if status == "scheduled" and p.get("remaining_places") is not None:
        notes.append(f"Places restantes : {p['remaining_places']}")
    description = "\n\n".join(n for n in notes if n).strip()
    url = p.get("registration_url") or p.get("online_url")
    title = p["title"] if status == "scheduled" else (
        f"{EVENT_STATUSES[status]} : {p['title']}")
    timings = p["timings"]
    out = []
    for n, timing in enumerate(timings, 1):
        summary = title if len(timings) == 1 else f"{title} (séance {n} sur {len(timings)})"
        event = [
            "BEGIN:VEVENT",
            f"UID:{_ics_uid(p['id'], timing, len(timings))}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART:{_ics_time(timing['starts_at'])}",
            f"DTEND:{_ics_time(timing['ends_at'])}",
            f"SEQUENCE:{int(p.get('version') or 1) - 1}",
            f"SUMMARY:{ics_escape(summary)}",
            f"STATUS:{'CANCELLED' if status == 'cancelled' else 'CONFIRMED'}",
        ]
        if description:
            event.append(f"DESCRIPTION:{ics_escape(description)}")
        if place:
            event.append(f"LOCATION:{ics_escape(place)}")
        elif p.get("online"):
            event.append("LOCATION:En ligne")
        if coords:
            event.append(f"GEO:{coords[1]:.6f};{coords[0]:.6f}")
        if url and "\n" not in url and "\r" not in url:
            event.append(f"URL:{url}")
        event.append(f"CATEGORIES:{ics_escape(p['kind'])}")
        event.append("END:VEVENT")
        out.extend(event)
    return out


# --------------------------------------------------------------------------- JSON-LD


def _attendance(online: bool, placed: bool) -> str:
    mode = "Mixed" if online and placed else "Online" if online else "Offline"
    return f"https://schema.org/{mode}EventAttendanceMode"


SCHEMA = "https://schema.org/"
#: schema.org has no "full": a full event takes place (EventScheduled), its offer is sold out
EVENT_STATUS_TERMS = {"scheduled": "EventScheduled", "full": "EventScheduled",
                      "cancelled": "EventCancelled"}
AVAILABILITY_TERMS = {"scheduled": "InStock", "full": "SoldOut", "cancelled": "Discontinued"}


def jsonld_event(f: dict) -> dict:
    p = f["properties"]
    coords = (f.get("geometry") or {}).get("coordinates")
    status = p.get("event_status") or "scheduled"
    event: dict = {
        "@type": "Event",
        "identifier": p["id"],
        "name": p["title"],
        "description": p.get("description") or "",
        "startDate": p["starts_at"],
        "endDate": p["ends_at"],
        "eventStatus": SCHEMA + EVENT_STATUS_TERMS[status],
        "eventAttendanceMode": _attendance(bool(p.get("online")), bool(coords)),
        "isAccessibleForFree": True,
        "organizer": {"@type": "Organization", "name": p.get("organizer_name")},
        "audience": [{"@type": "Audience", "audienceType": a} for a in p.get("audiences") or ()],
        "keywords": p["kind"],
        "offers": {
            "@type": "Offer",
            "price": 0,
            "priceCurrency": "EUR",
            "availability": SCHEMA + AVAILABILITY_TERMS[status],
        },
    }
    if p.get("capacity") is not None:
        event["maximumAttendeeCapacity"] = p["capacity"]
    if p.get("remaining_places") is not None:
        event["remainingAttendeeCapacity"] = p["remaining_places"]
    timings = p.get("timings") or ()
    if len(timings) > 1:  # each session its own event, within the whole
        event["subEvent"] = [
            {"@type": "Event", "name": f"{p['title']} (séance {n} sur {len(timings)})",
             "startDate": t["starts_at"], "endDate": t["ends_at"],
             "eventStatus": event["eventStatus"]}
            for n, t in enumerate(timings, 1)
        ]
    if p.get("registration_url"):
        event["url"] = p["registration_url"]
        event["offers"]["url"] = p["registration_url"]
    locations = []
    if coords or p.get("city"):
        place: dict = {
            "@type": "Place",
            "name": p.get("venue") or p.get("city"),
            "address": {
                "@type": "PostalAddress",
                "streetAddress": p.get("street"),
                "postalCode": p.get("postcode"),
                "addressLocality": p.get("city"),
                "addressRegion": p.get("region"),
                "addressCountry": "FR",
            },
        }
        if coords:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "longitude": coords[0],
                "latitude": coords[1],
            }
        features = [
            {"@type": "LocationFeatureSpecification", "identifier": code,
             "name": f"accessible : {ACCESSIBILITY[code]}", "value": True}
            for code in p.get("accessibility_codes") or ()
        ]
        if p.get("accessibility"):
            features.append({
                "@type": "LocationFeatureSpecification",
                "name": "accessibilité",
                "value": p["accessibility"],
            })
        if features:
            place["amenityFeature"] = features[0] if len(features) == 1 else features
        locations.append(place)
    if p.get("online") and p.get("online_url"):
        locations.append({"@type": "VirtualLocation", "url": p["online_url"]})
    if locations:
        event["location"] = locations[0] if len(locations) == 1 else locations
    return event


def to_jsonld(bodies: Iterable[bytes]) -> bytes:
    return orjson.dumps(
        {"@context": "https://schema.org", "@graph": [jsonld_event(f) for f in _features(bodies)]}
    )


# --------------------------------------------------------------------------- the formats


@dataclass(frozen=True)
class Export:
    """An open-data format, served at ``/v1/feed.<kind>`` as ``semaine-industrie.<kind>``."""

    kind: str
    media_type: str
    to_bytes: Callable[[Iterable[bytes]], bytes]

    @property
    def filename(self) -> str:
        return f"semaine-industrie.{self.kind}"


CSV = Export("csv", "text/csv; charset=utf-8", to_csv)
ICS = Export("ics", "text/calendar; charset=utf-8", to_ics)
JSONLD = Export("jsonld", "application/ld+json", to_jsonld)
