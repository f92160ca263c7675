"""map-feed over real HTTP, fed by a real nats-server: indexer -> bucket -> replicas."""

from __future__ import annotations

import csv
import gzip
import io
import re

import httpx
import icalendar
import orjson
import pytest
from sdi_common import subjects
from sdi_common.natsconn import publish_event
from sdi_common.settings import REPO_ROOT
from sdi_common.testing import eventually

from .mapfeed_events import geocoded, new_sid, withdrawn

pytestmark = pytest.mark.timeout(120)
#: the DSFR's icon as the build copies it for the submission service's reference form
DSFR_FAVICON = (
    REPO_ROOT / "services/submission/src/submission/static/vendor/dsfr/favicon/favicon.ico"
)


@pytest.fixture(scope="module")
async def service(nats_url, start_service):
    svc = await start_service(
        nats_url,
        cors_origins="https://partenaire.example",
        sse_heartbeat=0.5,
        snapshot_min_interval=0,
    )
    yield svc
    await svc.stop()


async def feature_ids(http, url, **params) -> set[str]:
    r = await http.get(url + "/v1/feed", params=params)
    assert r.status_code == 200, r.text
    return {f["id"] for f in r.json()["features"]}


async def test_published_event_reaches_the_feed_and_published_is_emitted(service, http, nc):
    js = nc.jetstream()
    sid = new_sid()
    published = await js.subscribe(subjects.PUBLISHED, ordered_consumer=True)
    await publish_event(js, geocoded(sid, 1, title="Journée portes ouvertes"))

    async def present():
        return sid in await feature_ids(http, service.url)

    await eventually(present)
    async for msg in published.messages:
        data = orjson.loads(msg.data)
        if data["submission_id"] == sid:
            assert data["type"] == "published" and data["feed_revision"] > 0
            break
    await published.unsubscribe()
    # withdrawn: gone
    await publish_event(js, withdrawn(sid, 1))

    async def absent():
        return sid not in await feature_ids(http, service.url)

    await eventually(absent)


async def test_etag_304_gzip_and_cache_headers(service, http, nc):
    sid = new_sid()
    await publish_event(nc.jetstream(), geocoded(sid, 1, description="Des métiers. " * 200))

    async def present():
        return sid in await feature_ids(http, service.url)

    await eventually(present)
    r = await http.get(service.url + "/v1/feed", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    etag = r.headers["etag"]
    assert "max-age" in r.headers["cache-control"] and r.headers["vary"].startswith(
        "Accept-Encoding"
    )
    again = await http.get(service.url + "/v1/feed", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    raw = await http.get(service.url + "/v1/feed", headers={"Accept-Encoding": "gzip"})
    # httpx decodes; check the wire encoding and that the bytes decompress to the same body
    assert raw.headers["content-encoding"] == "gzip"
    async with http.stream(
        "GET", service.url + "/v1/feed", headers={"Accept-Encoding": "gzip"}
    ) as s:
        wire = b"".join([chunk async for chunk in s.aiter_raw()])
    assert len(wire) < len(r.content) and gzip.decompress(wire) == r.content
    # a filtered feed (the full stack, not the fast path) validates the same way
    filtered = await http.get(service.url + "/v1/feed", params={"kind": "company_visit"})
    assert filtered.status_code == 200 and filtered.headers["etag"] != etag
    assert sid in {f["id"] for f in filtered.json()["features"]}
    again = await http.get(
        service.url + "/v1/feed",
        params={"kind": "company_visit"},
        headers={"If-None-Match": filtered.headers["etag"]},
    )
    assert again.status_code == 304
    # the gzip variant's tag also validates
    assert (
        await http.get(service.url + "/v1/feed", headers={"If-None-Match": raw.headers["etag"]})
    ).status_code == 304


async def test_filters_and_validation_problem(service, http, nc):
    js = nc.jetstream()
    sid = new_sid()
    await publish_event(
        js, geocoded(sid, 1, title="Atelier soudure à Évry", kind="workshop", lon=2.45, lat=48.63)
    )

    async def present():
        return sid in await feature_ids(http, service.url, q="evry")

    await eventually(present)
    assert sid in await feature_ids(http, service.url, kind="workshop", bbox="2,48,3,49")
    assert sid not in await feature_ids(http, service.url, kind="webinar")
    bad = await http.get(service.url + "/v1/feed", params={"bbox": "x", "kind": "nope"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in bad.json()["errors"]} == {"bbox", "kind"}
    for name in ("from", "to"):  # given empty: an error, not "no filter"
        empty = await http.get(service.url + f"/v1/feed?{name}=")
        assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == name


async def test_cors_allow_list(service, http):
    ok = await http.get(service.url + "/v1/feed", headers={"Origin": "https://partenaire.example"})
    assert ok.headers["access-control-allow-origin"] == "https://partenaire.example"
    assert "ETag" in ok.headers["access-control-expose-headers"]
    other = await http.get(service.url + "/v1/feed", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = await http.options(
        service.url + "/v1/feed",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 400


async def test_exports_parse_with_real_parsers(service, http, nc):
    js = nc.jetstream()
    sid = new_sid()
    await publish_event(
        js,
        geocoded(
            sid,
            1,
            title="Visite, usine; « métiers »",
            description="Ligne 1\nLigne 2 ; virgule, barre \\ fin",
        ),
    )

    async def present():
        return sid in await feature_ids(http, service.url)

    await eventually(present)
    r = await http.get(service.url + "/v1/feed.csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(r.content.decode("utf-8")))}
    assert rows[sid]["title"] == "Visite, usine; « métiers »"
    assert rows[sid]["description"] == "Ligne 1\nLigne 2 ; virgule, barre \\ fin"
    r = await http.get(service.url + "/v1/feed.ics")
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    events = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(r.content).walk("VEVENT")}
    assert str(events[sid]["SUMMARY"]) == "Visite, usine; « métiers »"
    assert str(events[sid]["DESCRIPTION"]).startswith("Ligne 1\nLigne 2 ; virgule, barre \\ fin")
    r = await http.get(service.url + "/v1/feed.jsonld")
    graph = {e["identifier"]: e for e in r.json()["@graph"]}
    assert graph[sid]["@type"] == "Event" and graph[sid]["name"] == "Visite, usine; « métiers »"
    # no event matches: still a calendar (RFC 5545 wants a component: the VTIMEZONE)
    r = await http.get(service.url + "/v1/feed.ics", params={"q": "aucunevenementainsi"})
    assert r.status_code == 200
    cal = icalendar.Calendar.from_ical(r.content)
    assert [c.name for c in cal.subcomponents] == ["VTIMEZONE"]


async def test_public_csv_cannot_carry_a_formula(service, http, nc):
    """A title that a spreadsheet would run (the partners open the CSV in Excel) is
    published as is in the GeoJSON, and as text in the CSV."""
    sid = new_sid()
    title = '=HYPERLINK("http://evil.example";"usine")'
    await publish_event(nc.jetstream(), geocoded(sid, 1, title=title))

    async def present():
        return sid in await feature_ids(http, service.url)

    await eventually(present)
    feed = (await http.get(service.url + "/v1/feed")).json()
    assert next(f for f in feed["features"] if f["id"] == sid)["properties"]["title"] == title
    r = await http.get(service.url + "/v1/feed.csv")
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(r.content.decode("utf-8")))}
    assert rows[sid]["title"] == "'" + title
    assert ',"=HYPERLINK' not in r.text and ",=HYPERLINK" not in r.text


async def test_clusters(service, http, nc):
    js = nc.jetstream()
    sids = [new_sid() for _ in range(3)]
    for i, sid in enumerate(sids):
        await publish_event(js, geocoded(sid, 1, lon=-1.55 + i * 0.0001, lat=47.21))

    async def present():
        return set(sids) <= await feature_ids(http, service.url, bbox="-1.6,47.2,-1.5,47.3")

    await eventually(present)
    r = await http.get(
        service.url + "/v1/feed/clusters", params={"bbox": "-1.6,47.2,-1.5,47.3", "zoom": 5}
    )
    assert r.status_code == 200
    clusters = [f for f in r.json()["features"] if f["properties"].get("cluster")]
    assert clusters and clusters[0]["properties"]["point_count"] >= 3
    assert clusters[0]["properties"]["expansion_zoom"] > 5
    r = await http.get(
        service.url + "/v1/feed/clusters", params={"bbox": "-1.6,47.2,-1.5,47.3", "zoom": 22}
    )
    assert set(sids) <= {f["id"] for f in r.json()["features"]}
    bad = await http.get(service.url + "/v1/feed/clusters", params={"zoom": "x"})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} == {"bbox", "zoom"}
    # found by the fuzzer: a bbox of separators only is missing, not a 500
    empty = await http.get(service.url + "/v1/feed/clusters", params={"bbox": ",", "zoom": 8})
    assert empty.status_code == 422
    assert [e["code"] for e in empty.json()["errors"]] == ["missing"]


async def test_security_headers_and_widget_is_embeddable(service, http):
    r = await http.get(service.url + "/widget")
    assert r.status_code == 200, "the built widget is committed under map_feed/static"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors *" in csp and "https://tile.openstreetmap.org" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"]
    # the page is told which tiles the service (and its CSP) allows
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in r.text
    assert (await http.get(service.url + "/v1/feed")).headers["x-content-type-options"] == "nosniff"


async def test_widget_page_and_favicon_ico_have_the_dsfr_icon(service, http):
    """Browsers ask for /favicon.ico (and the page's <link rel=icon>): the DSFR's icon."""
    page = (await http.get(service.url + "/widget")).text
    icons = re.findall(r'<link rel="icon" href="([^"]+)"', page)
    assert "/favicon.ico" in icons and len(icons) >= 2, icons
    for href in icons:
        r = await http.get(service.url + href)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/"), href
        assert "max-age" in r.headers["cache-control"]
    ico = await http.get(service.url + "/favicon.ico")
    assert ico.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert ico.content == DSFR_FAVICON.read_bytes()  # the same file as the reference form's
    assert (await http.head(service.url + "/favicon.ico")).status_code == 200


async def test_widget_uses_the_configured_tiles(nats_url, start_service):
    svc = await start_service(nats_url, tile_url="https://{s}.tiles.example.fr/{z}/{x}/{y}.png")
    try:
        async with httpx.AsyncClient(base_url=svc.url) as client:
            r = await client.get("/widget")
        assert 'data-tiles="https://{s}.tiles.example.fr/{z}/{x}/{y}.png"' in r.text
        assert "https://*.tiles.example.fr" in r.headers["content-security-policy"]
    finally:
        await svc.stop()


async def test_service_starts_without_the_widget_build(nats_url, tmp_path, start_service):
    svc = await start_service(nats_url, run_indexer=False, static_dir=tmp_path / "missing")
    try:
        async with httpx.AsyncClient(base_url=svc.url) as http:
            assert (await http.get("/healthz")).status_code == 200
            widget = await http.get("/widget")
            assert (
                widget.status_code == 404
                and widget.headers["content-type"] == "application/problem+json"
            )
            assert (await http.get("/static/embed.js")).status_code == 404
            assert (await http.get("/v1/feed")).status_code == 200
    finally:
        await svc.stop()
