"""Issue 16 on the public feed, over real HTTP fed through the bus: a three-session visit is
one pin with its dates (GeoJSON, iCalendar read by ``icalendar``, JSON-LD expanded by
``pyld``, CSV), a cancelled event stays on the map marked as such, and the filters
(dates: any timing; ``accessibility``: every code asked)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import httpx
import icalendar
import pytest
from pyld import jsonld
from sdi_common.natsconn import publish_event
from sdi_common.testing import eventually

from .mapfeed_events import THREE_SESSIONS, event_status, geocoded, new_sid

pytestmark = pytest.mark.timeout(120)
SCHEMA = "https://schema.org/"
#: schema.org's JSON-LD context, reduced to what the export's terms need (no network here):
#: its vocabulary, and the terms whose values are schema.org URLs declared as ids, as the
#: real context declares them
SCHEMA_ORG_CONTEXT = {"@context": {
    "@vocab": SCHEMA,
    **{term: {"@id": SCHEMA + term, "@type": "@id"}
       for term in ("eventStatus", "eventAttendanceMode", "availability")},
}}


def expand(document: dict) -> list[dict]:
    def loader(url, options=None):
        if url.rstrip("/") not in ("https://schema.org", "http://schema.org"):
            raise jsonld.JsonLdError(f"no network in tests: {url}", "loading document failed")
        return {"contentType": "application/ld+json", "contextUrl": None,
                "documentUrl": url, "document": SCHEMA_ORG_CONTEXT}
    return jsonld.expand(document, {"documentLoader": loader})


def value(node: dict, term: str):
    (found,) = node[SCHEMA + term]
    return found.get("@id", found.get("@value"))


@pytest.fixture(scope="module")
async def service(nats_url, start_service):
    svc = await start_service(nats_url, snapshot_min_interval=0)
    yield svc
    await svc.stop()


@pytest.fixture(scope="module")
async def events(service, nats_url):
    """A three-session visit (motor and hearing accessible), a cancelled one, a full one."""
    import nats

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    ids = {"visit": new_sid(), "cancelled": new_sid(), "full": new_sid()}
    await publish_event(js, geocoded(ids["visit"], 1, title="Visite en trois séances",
                                     timings=THREE_SESSIONS,
                                     accessibility_codes=["motor", "hearing"], capacity=25))
    await publish_event(js, geocoded(ids["cancelled"], 1, title="Atelier annulé",
                                     accessibility_codes=["motor"]))
    await publish_event(js, geocoded(ids["full"], 1, title="Atelier complet", capacity=12))
    await publish_event(js, event_status(ids["cancelled"], 1, "cancelled"))
    await publish_event(js, event_status(ids["full"], 1, "full", 0))

    async with httpx.AsyncClient(timeout=10) as http:
        async def indexed():
            features = (await http.get(service.url + "/v1/feed")).json()["features"]
            statuses = {f["id"]: f["properties"]["event_status"] for f in features}
            return (statuses.get(ids["cancelled"]), statuses.get(ids["full"])) == (
                "cancelled", "full") and ids["visit"] in statuses

        await eventually(indexed)
    await nc.close()
    return ids


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def feed(http, service, **params) -> dict[str, dict]:
    r = await http.get(service.url + "/v1/feed", params=params)
    assert r.status_code == 200, r.text
    return {f["id"]: f for f in r.json()["features"]}


async def test_three_sessions_are_one_pin_with_its_dates(service, events, http):
    features = await feed(http, service)
    visit = features[events["visit"]]
    assert visit["geometry"]["type"] == "Point"
    p = visit["properties"]
    assert [t["starts_at"] for t in p["timings"]] == [
        "2024-11-19T09:00:00+01:00", "2024-11-19T14:00:00+01:00", "2024-11-21T09:00:00+01:00"]
    assert (p["starts_at"], p["ends_at"]) == ("2024-11-19T09:00:00+01:00",
                                              "2024-11-21T12:00:00+01:00")
    assert (p["accessibility_codes"], p["capacity"], p["event_status"]) == (
        ["motor", "hearing"], 25, "scheduled")
    assert sum(1 for f in features.values() if f["properties"]["title"] == p["title"]) == 1


async def test_the_date_filters_match_any_session(service, events, http):
    visit = events["visit"]
    # 20 November: between the sessions; the event spans it, but no session is on that day
    assert visit not in await feed(http, service, **{"from": "2024-11-20", "to": "2024-11-20"})
    assert visit in await feed(http, service, **{"from": "2024-11-21", "to": "2024-11-21"})
    # Tuesday 12:30 to 13:30: between two sessions of the same day
    between = {"from": "2024-11-19T12:30:00+01:00", "to": "2024-11-19T13:30:00+01:00"}
    assert visit not in await feed(http, service, **between)
    assert visit in await feed(http, service, **{"from": "2024-11-19T16:00:00+01:00",
                                                 "to": "2024-11-19T16:30:00+01:00"})
    assert visit in await feed(http, service, to="2024-11-19")
    assert visit not in await feed(http, service, **{"from": "2024-11-22"})


async def test_the_accessibility_filter_asks_for_every_code(service, events, http):
    visit, cancelled = events["visit"], events["cancelled"]
    motor = await feed(http, service, accessibility="motor")
    assert {visit, cancelled} <= set(motor) and events["full"] not in motor
    both = await feed(http, service, accessibility="motor,hearing")
    assert visit in both and cancelled not in both
    assert set(await feed(http, service, accessibility=["motor", "hearing"])) == set(both)
    bad = await http.get(service.url + "/v1/feed", params={"accessibility": "wheelchair"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["field"] == "accessibility"


async def test_a_cancelled_event_stays_on_the_map_marked(service, events, http):
    features = await feed(http, service)
    cancelled = features[events["cancelled"]]
    assert cancelled["geometry"] is not None
    assert cancelled["properties"]["event_status"] == "cancelled"
    assert cancelled["properties"]["event_status_at"]
    full = features[events["full"]]["properties"]
    assert (full["event_status"], full["remaining_places"], full["capacity"]) == ("full", 0, 12)


async def test_the_icalendar_export_has_every_session_and_the_cancellation(service, events,
                                                                           http):
    r = await http.get(service.url + "/v1/feed.ics")
    assert r.status_code == 200
    calendar = icalendar.Calendar.from_ical(r.text)
    vevents = [c for c in calendar.walk("VEVENT")]
    visit = [e for e in vevents if str(e["UID"]).startswith(events["visit"])]
    assert [e.decoded("DTSTART") for e in visit] == [
        t["starts_at"].astimezone(UTC) for t in THREE_SESSIONS]
    assert [e.decoded("DTEND") for e in visit] == [
        t["ends_at"].astimezone(UTC) for t in THREE_SESSIONS]
    assert len({str(e["UID"]) for e in visit}) == 3
    assert [str(e["SUMMARY"]) for e in visit] == [
        f"Visite en trois séances (séance {n} sur 3)" for n in (1, 2, 3)]
    assert {str(e["STATUS"]) for e in visit} == {"CONFIRMED"}
    assert "handicap moteur, handicap auditif" in str(visit[0]["DESCRIPTION"])
    (cancelled,) = [e for e in vevents if str(e["UID"]) == events["cancelled"]]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["SUMMARY"]) == "Annulé : Atelier annulé"


async def test_the_json_ld_expands_with_every_session_and_the_statuses(service, events, http):
    r = await http.get(service.url + "/v1/feed.jsonld")
    assert r.headers["content-type"].startswith("application/ld+json")
    nodes = expand(r.json())
    by_id = {value(n, "identifier"): n for n in nodes if SCHEMA + "identifier" in n}
    visit = by_id[events["visit"]]
    assert value(visit, "startDate") == "2024-11-19T09:00:00+01:00"
    assert value(visit, "endDate") == "2024-11-21T12:00:00+01:00"
    sessions = visit[SCHEMA + "subEvent"]
    assert [value(s, "startDate") for s in sessions] == [
        t["starts_at"].isoformat() for t in THREE_SESSIONS]
    assert value(visit, "eventStatus") == SCHEMA + "EventScheduled"
    assert value(visit, "maximumAttendeeCapacity") == 25
    features = visit[SCHEMA + "location"][0][SCHEMA + "amenityFeature"]
    assert sorted(value(f, "identifier") for f in features if SCHEMA + "identifier" in f) == [
        "hearing", "motor"]
    cancelled = by_id[events["cancelled"]]
    assert value(cancelled, "eventStatus") == SCHEMA + "EventCancelled"
    assert SCHEMA + "subEvent" not in cancelled
    full = by_id[events["full"]]
    assert value(full, "eventStatus") == SCHEMA + "EventScheduled"
    (offer,) = full[SCHEMA + "offers"]
    assert value(offer, "availability") == SCHEMA + "SoldOut"
    assert value(full, "remainingAttendeeCapacity") == 0


async def test_the_csv_has_every_session_and_the_codes(service, events, http):
    r = await http.get(service.url + "/v1/feed.csv")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(r.text))}
    visit = rows[events["visit"]]
    assert visit["timings"].split(";") == [
        f"{t['starts_at'].isoformat()}/{t['ends_at'].isoformat()}" for t in THREE_SESSIONS]
    assert (visit["accessibility_codes"], visit["event_status"], visit["capacity"]) == (
        "motor;hearing", "scheduled", "25")
    assert rows[events["cancelled"]]["event_status"] == "cancelled"
    header = r.text.splitlines()[0].split(",")
    assert header[-6:] == ["timings", "accessibility_codes", "capacity", "event_status",
                           "remaining_places", "event_status_at"]
    assert datetime.fromisoformat(rows[events["cancelled"]]["event_status_at"])
