"""The geocoding worker through a real nats-server: labelled in → geocoded out, online
events, unresolvable addresses, operator decisions, the shared cache, transient failures."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import nats
import pytest
from geocoding.app import build_app, build_service
from geocoding.gazetteer import default_gazetteer
from geocoding.settings import GeocodingSettings
from prometheus_client import REGISTRY
from sdi_common import subjects
from sdi_common.contracts import Decided, Judged, Submission, parse_event
from sdi_common.deadletters import list_dead_letters
from sdi_common.natsconn import publish_event
from sdi_common.testing import consumer_idle, eventually

from .geo_faults import fault_server

PARIS = ZoneInfo("Europe/Paris")
OUT = {subjects.GEOCODED, subjects.LOCATION_UNRESOLVED}


def submission(street=None, postcode="01100", city="Bellignat", **overrides) -> Submission:
    data = {
        "title": "Visite de l'usine de plasturgie",
        "description": "Découvrez les métiers de l'injection plastique.",
        "kind": "company_visit",
        "timings": [{"starts_at": datetime(2024, 11, 20, 9, tzinfo=PARIS),
                     "ends_at": datetime(2024, 11, 20, 12, tzinfo=PARIS)}],
        "audiences": ["pupils", "general_public"],
        "is_free": True,
        "informs_about_industry": True,
        "location": {"street": street, "postcode": postcode, "city": city},
        "organizer": {"name": "Plastiques de l'Ain", "type": "company"},
    }
    data.update(overrides)
    return Submission.model_validate(data)


def labelled(sid: str, sub: Submission, version: int = 1) -> Judged:
    return Judged(
        type="labelled",
        submission_id=sid,
        version=version,
        by="validation",
        submission=sub,
        edition="2024",
    )


async def start_worker(settings: GeocodingSettings):
    worker, chain = build_service(settings, default_gazetteer())
    await worker.start()
    return worker, chain


@pytest.fixture
async def gazetteer_worker(nats_url):
    worker, chain = await start_worker(
        GeocodingSettings(nats_url=nats_url, service_name="geocoding-test")
    )
    yield worker
    await worker.stop()
    await chain.aclose()


async def placed(js, expected: int, settle: float = 0.3, timeout: float = 15.0) -> dict:
    """Geocoded/unresolved events by submission id (fails on a second event for one id)."""
    sub = await js.subscribe(f"{subjects.PREFIX}.*", ordered_consumer=True)
    out: dict = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    try:
        while loop.time() < deadline:
            wait = settle if len(out) >= expected else max(0.05, deadline - loop.time())
            try:
                msg = await sub.next_msg(timeout=wait)
            except nats.errors.TimeoutError:
                if len(out) >= expected:
                    break
                continue
            if msg.subject in OUT:
                event = parse_event(msg.data)
                assert event.submission_id not in out, f"twice: {event.submission_id}"
                out[event.submission_id] = (msg.subject, event)
    finally:
        await sub.unsubscribe()
    return out


async def test_labelled_in_geocoded_out(js, gazetteer_worker, mairies):
    row = mairies[0]
    event = labelled("s-1", submission(row["street"], row["postcode"], row["city"]), version=2)
    await publish_event(js, event)
    ((subject, out),) = (await placed(js, 1)).values()
    assert subject == subjects.GEOCODED
    assert (out.submission_id, out.version, out.by) == ("s-1", 2, "geocoding")
    assert out.submission == event.submission
    loc = out.location
    assert (loc.citycode, loc.precision, loc.source) == (
        row["citycode"],
        "municipality",
        "gazetteer",
    )
    assert loc.department == "01" and loc.region


async def test_online_event_is_published_without_a_point(js, gazetteer_worker):
    sub = submission(
        online=True, online_url="https://exemple.fr/webinaire", location=None, kind="webinar"
    )
    await publish_event(js, labelled("web-1", sub))
    ((subject, out),) = (await placed(js, 1)).values()
    assert subject == subjects.GEOCODED and out.location is None


async def test_unresolvable_address_is_location_unresolved(js, gazetteer_worker):
    # a real postcode with a city it does not serve, and a city that exists nowhere
    await publish_event(js, labelled("bad-1", submission("1 rue de la Paix", "75011", "Lyon")))
    await publish_event(js, labelled("bad-2", submission(None, "01100", "Zzyzx-sur-Lune")))
    got = await placed(js, 2)
    for sid in ("bad-1", "bad-2"):
        subject, out = got[sid]
        assert subject == subjects.LOCATION_UNRESOLVED
        assert out.reason.code == "address_not_found"
        assert "Adresse introuvable" in out.reason.message
        assert out.by == "geocoding"


async def test_operator_decisions(js, gazetteer_worker, mairies):
    row = mairies[1]
    sub = submission(row["street"], row["postcode"], row["city"])
    await publish_event(
        js,
        Decided(
            submission_id="d-1",
            version=3,
            by="operator:alice",
            decision="reject",
            reason="hors sujet",
            submission=sub,
        ),
    )
    await publish_event(
        js,
        Decided(
            submission_id="d-2", version=2, by="operator:alice", decision="label", submission=sub
        ),
    )
    got = await placed(js, 1, settle=0.8)
    assert set(got) == {"d-2"}
    assert got["d-2"][1].location.citycode == row["citycode"]
    # the reject was acked, not left pending
    await eventually(lambda: consumer_idle(js, "geocoding"), what="the consumer idle")


async def test_a_wrong_verdict_on_the_labelled_subject_is_dead_lettered(js, gazetteer_worker):
    bogus = Judged(
        type="rejected",
        submission_id="odd-1",
        version=1,
        by="validation",
        submission=submission(),
        edition="2024",
    )
    await js.publish(subjects.LABELLED, bogus.model_dump_json().encode())
    await eventually(lambda: consumer_idle(js, "geocoding"), what="the consumer idle")
    letters = await list_dead_letters(js, consumer="geocoding")
    assert any("only 'labelled' is geocoded" in str(d) for d in letters)


async def test_second_identical_address_is_a_cache_hit(js, nats_url, addok_url, mairies):
    row = mairies[20]
    settings = GeocodingSettings(
        nats_url=nats_url,
        service_name="geocoding-test",
        geocoder_chain="addok,gazetteer",
        addok_url=addok_url,
    )
    worker, chain = await start_worker(settings)
    hits = lambda: REGISTRY.get_sample_value("sdi_geocache_lookups_total", {"result": "hit"}) or 0
    misses = lambda: (
        REGISTRY.get_sample_value("sdi_geocache_lookups_total", {"result": "miss"}) or 0
    )
    try:
        h0, m0 = hits(), misses()
        await publish_event(
            js, labelled("c-1", submission(row["street"], row["postcode"], row["city"]))
        )
        first = (await placed(js, 1))["c-1"][1]
        # the same address as people write it differently: same normalized key
        await publish_event(
            js,
            labelled(
                "c-2", submission(row["street"].upper(), row["postcode"], row["city"].upper())
            ),
        )
        got = await placed(js, 2)
        second = got["c-2"][1]
    finally:
        await worker.stop()
        await chain.aclose()
    assert first.location.source == "addok" and first.location.citycode == row["citycode"]
    assert second.location == first.location
    assert (hits() - h0, misses() - m0) == (1, 1)
    kv = await js.key_value("GEOCACHE")
    assert len(await kv.keys()) == 1


async def test_remote_outage_is_retried_not_lost(js, nats_url):
    """addok alone answers 503 for a while: the message is nak'ed and redelivered, then
    geocoded once; nothing is published while it fails."""
    healthy = asyncio.Event()

    with fault_server(lambda n, p: "ok" if healthy.is_set() else "5xx") as (url, server):
        settings = GeocodingSettings(
            nats_url=nats_url,
            service_name="geocoding-test",
            geocoder_chain="addok",
            addok_url=url,
            http_max_attempts=2,
            breaker_failures=100,
        )
        worker, chain = await start_worker(settings)
        try:
            await publish_event(js, labelled("o-1", submission("10 place de l'Hôtel-de-Ville")))
            assert await placed(js, 1, timeout=1.5) == {}
            healthy.set()
            got = await placed(js, 1)
        finally:
            await worker.stop()
            await chain.aclose()
    subject, out = got["o-1"]
    assert subject == subjects.GEOCODED
    assert (out.location.source, out.location.citycode) == ("addok", "01031")
    assert server.count("5xx") >= 2


async def test_app_serves_health_and_metrics(nats_url):
    import httpx

    app = build_app(GeocodingSettings(nats_url=nats_url, service_name="geocoding-test"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 200
            metrics = (await client.get("/metrics")).text
    assert "sdi_geocoding_duration_seconds" in metrics
