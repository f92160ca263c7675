"""An event's public page (/evenements/{id}) and its calendar file, over real HTTP, fed
through the real bus (nats-server, the indexer, the FEED bucket, the replica's watcher);
the answers read by real parsers: lxml for the HTML, pyld for the JSON-LD (expanded),
icalendar for the .ics."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import icalendar
import lxml.html
import pytest
from pyld import jsonld
from sdi_common.natsconn import publish_event
from sdi_common.testing import eventually

from .mapfeed_events import geocoded, judged, new_sid, withdrawn

pytestmark = pytest.mark.timeout(120)

SCHEMA = "http://schema.org/"
#: what https://schema.org answers as its JSON-LD context, reduced to the part the page's
#: terms need (schema.org's context maps every term into its vocabulary, http://schema.org/):
#: no network here, and pyld would otherwise fetch it.
SCHEMA_ORG_CONTEXT = {"@context": {"@vocab": SCHEMA, "schema": SCHEMA}}
TITLE = '<script>window.__xss = 1</script> Visite de l\'usine & "portes ouvertes"'


@pytest.fixture(scope="module")
async def service(nats_url, start_service):
    svc = await start_service(nats_url, snapshot_min_interval=0)
    yield svc
    await svc.stop()


async def published(service, nc, http, event) -> str:
    """Publish ``event`` on the bus as geocoding does; wait until its page answers 200."""
    await publish_event(nc.jetstream(), event)
    url = f"{service.url}/evenements/{event.submission_id}"

    async def shown():
        return (await http.get(url)).status_code == 200

    await eventually(shown)
    return url


def expanded_jsonld(url: str, page: str) -> list[dict]:
    """The page's JSON-LD, found in its HTML and expanded by pyld (no network: the page and
    schema.org's context come from this loader)."""

    def loader(wanted: str, options=None) -> dict:
        if wanted == url:
            document, kind = page, "text/html"
        elif wanted.rstrip("/") in ("https://schema.org", "http://schema.org"):
            document, kind = SCHEMA_ORG_CONTEXT, "application/ld+json"
        else:
            raise jsonld.JsonLdError(f"no network in tests: {wanted}", "loading document failed")
        return {
            "contentType": kind,
            "contextUrl": None,
            "documentUrl": wanted,
            "document": document,
        }

    return jsonld.expand(url, {"documentLoader": loader})


def value(node: dict, term: str):
    """The first value of a schema.org property in an expanded node."""
    (first, *_) = node[SCHEMA + term]
    return first.get("@value", first.get("@id", first))


def words(text: str) -> str:
    return " ".join(text.split())  # non-breaking spaces too


async def test_page_of_a_published_event(service, nc, http):
    sid = new_sid()
    event = geocoded(
        sid,
        title=TITLE,
        description="Lignes de production.\n\nAtelier d'usinage <b>pas du HTML</b>.",
        accessibility="Accessible en fauteuil roulant (rampe côté parking)",
        timings=[{"starts_at": datetime(2024, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=1))),
                  "ends_at": datetime(2024, 11, 20, 12, 0, tzinfo=timezone(timedelta(hours=1)))}],
    )
    url = await published(service, nc, http, event)
    r = await http.get(url)
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    doc = lxml.html.fromstring(r.text)

    # escaped, shown as text: the only scripts are the JSON-LD and the page's own file
    assert doc.findtext(".//h1") == TITLE
    scripts = doc.xpath("//script")
    assert all(s.get("type") == "application/ld+json" or s.get("src") for s in scripts)
    assert "<script>window" not in r.text and not doc.xpath("//b")
    main = words(doc.xpath("//main")[0].text_content())
    assert "mercredi 20 novembre 2024, de 9 h à 12 h" in main
    assert "Visite d’entreprise" in main and "Élèves" in main and "Étudiants" in main
    assert "Usine Nord, 1 rue de l'Industrie, 59000 Lille" in main
    assert "Organisé par Métaux du Nord" in main
    assert "Accessible en fauteuil roulant (rampe côté parking)" in main
    assert "Atelier d'usinage <b>pas du HTML</b>." in main
    (register,) = doc.xpath("//a[normalize-space()='S’inscrire']")
    assert register.get("href") == "https://example.org/inscription"
    assert register.get("rel") == "noopener noreferrer"
    (agenda,) = doc.xpath("//a[normalize-space()='Ajouter à mon agenda']")
    assert agenda.get("href") == f"/evenements/{sid}.ics"
    # the share block: the canonical address, a copy button, a mail
    assert doc.xpath("//link[@rel='canonical']/@href") == [url]
    assert doc.xpath("//input[@id='sdi-url']/@value") == [url]
    assert doc.xpath("//button[@id='sdi-copy']/@data-url") == [url]
    (mail,) = doc.xpath("//a[contains(@class, 'fr-btn--mail')]/@href")
    mail_fields = parse_qs(urlsplit(mail).query)
    assert mail.startswith("mailto:?") and mail_fields["subject"] == [TITLE]
    assert mail_fields["body"][0].endswith("\n" + url)
    # the small map knows the point and the configured tiles
    (place_map,) = doc.xpath("//div[@id='sdi-event-map']")
    assert (place_map.get("data-lat"), place_map.get("data-lon")) == ("50.63", "3.06")
    assert place_map.get("data-tiles") == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

    # Open Graph
    og = {m.get("property"): m.get("content") for m in doc.xpath("//meta[@property]")}
    assert og["og:title"] == TITLE and og["og:url"] == url and og["og:type"] == "website"
    assert og["og:description"].startswith("mercredi 20 novembre 2024, de 9\u00a0h à 12\u00a0h")
    assert og["og:image"].startswith(service.url + "/static/widget/")
    assert (await http.get(og["og:image"])).headers["content-type"] == "image/png"

    # schema.org Event, as a JSON-LD processor reads it
    (node,) = expanded_jsonld(url, r.text)
    assert node["@type"] == [SCHEMA + "Event"]
    assert value(node, "name") == TITLE
    assert value(node, "startDate") == "2024-11-20T09:00:00+01:00"
    assert value(node, "endDate") == "2024-11-20T12:00:00+01:00"
    assert value(node, "url") == url
    place = node[SCHEMA + "location"][0]
    assert place["@type"] == [SCHEMA + "Place"]
    address = place[SCHEMA + "address"][0]
    assert value(address, "addressLocality") == "Lille"
    assert value(address, "postalCode") == "59000"
    geo = place[SCHEMA + "geo"][0]
    assert (value(geo, "latitude"), value(geo, "longitude")) == (50.63, 3.06)
    assert value(node[SCHEMA + "organizer"][0], "name") == "Métaux du Nord"

    # like the feed: an ETag, 304 on If-None-Match, Cache-Control; the page policy
    assert "max-age" in r.headers["cache-control"]
    again = await http.get(url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (await http.head(url)).status_code == 200


async def test_calendar_file_of_an_event(service, nc, http):
    sid = new_sid()
    url = await published(service, nc, http, geocoded(sid, 2, title="Atelier ; soudure, « laser »"))
    r = await http.get(url + ".ics")
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["content-disposition"] == f'attachment; filename="evenement-{sid}.ics"'
    (vevent,) = icalendar.Calendar.from_ical(r.content).walk("VEVENT")
    assert str(vevent["UID"]) == sid and str(vevent["SUMMARY"]) == "Atelier ; soudure, « laser »"
    assert vevent.decoded("DTSTART") == datetime(2024, 11, 19, 8, 0, tzinfo=UTC)
    assert int(vevent["SEQUENCE"]) == 1
    assert "59000 Lille" in str(vevent["LOCATION"])
    again = await http.get(url + ".ics", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


async def test_withdrawn_event_answers_410_on_every_replica_and_after_a_restart(
    service, nc, http, nats_url, start_service
):
    sid = new_sid()
    url = await published(service, nc, http, geocoded(sid, title="Visite bientôt retirée"))
    await publish_event(nc.jetstream(), withdrawn(sid, 1))

    async def gone():
        return (await http.get(url)).status_code == 410

    await eventually(gone)
    r = await http.get(url)
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    doc = lxml.html.fromstring(r.text)
    assert doc.findtext(".//h1") == "Cet événement a été retiré"
    assert doc.xpath("//meta[@name='robots']/@content") == ["noindex"]
    assert doc.xpath("//a[normalize-space()='Voir les autres événements']/@href") == ["/widget"]
    assert "Visite bientôt retirée" not in r.text
    ics = await http.get(url + ".ics")
    assert ics.status_code == 410 and ics.headers["content-type"] == "application/problem+json"
    assert ics.json()["title"] == "Événement retiré"

    # another replica, started now, learns it from the bucket's tombstone (as a restarted one)
    other = await start_service(nats_url, run_indexer=False)
    try:
        page = await http.get(f"{other.url}/evenements/{sid}")
        assert page.status_code == 410, page.text[:200]
        assert sid in other.feed.store.withdrawn and sid not in other.feed.store.entries
    finally:
        await other.stop()


async def test_unknown_and_unpublished_events_answer_404(service, nc, http):
    r = await http.get(f"{service.url}/evenements/{new_sid()}")
    assert r.status_code == 404 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert lxml.html.fromstring(r.text).findtext(".//h1") == "Événement introuvable"
    assert r.headers["cache-control"] == "no-cache"
    # published, then an amendment rejected: no longer on the map, but not withdrawn
    sid = new_sid()
    url = await published(service, nc, http, geocoded(sid))
    await publish_event(nc.jetstream(), judged(sid, 2, "rejected"))

    async def removed():
        return (await http.get(url)).status_code == 404

    await eventually(removed)
    ics = await http.get(url + ".ics")
    assert ics.status_code == 404 and ics.headers["content-type"] == "application/problem+json"
    # anything else after /evenements/ is an id no event has
    for odd in ("%3Cscript%3E", "a.b", "x" * 300):
        page = await http.get(f"{service.url}/evenements/{odd}")
        assert page.status_code == 404, odd
        assert "<script>" not in page.text


async def test_canonical_address_from_map_public_url(nats_url, nc, http, start_service):
    svc = await start_service(nats_url, map_public_url="https://carte.example.fr/")
    try:
        sid = new_sid()
        await published(svc, nc, http, geocoded(sid))
        r = await http.get(f"{svc.url}/evenements/{sid}")
        canonical = f"https://carte.example.fr/evenements/{sid}"
        doc = lxml.html.fromstring(r.text)
        assert doc.xpath("//link[@rel='canonical']/@href") == [canonical]
        assert doc.xpath("//meta[@property='og:url']/@content") == [canonical]
        assert re.search(r'"url":"https://carte\.example\.fr/evenements/' + sid, r.text)
    finally:
        await svc.stop()
