"""End to end: the real processes (nats-server + four services) over real HTTP.

A valid submission posted to the submission service travels through validation and
geocoding and shows up in the map feed; the organiser then sees it as published.
"""

import time
import uuid

import httpx
import pytest
from pymongo import MongoClient
from sdi_common.stack import SERVICES, Stack
from sdi_common.testing import wait_until
from sdi_common.testing.samples import SKELETON_EVENT as EVENT
from sdi_common.testing.samples import TRIAL_EDITION


@pytest.fixture(scope="module", params=["sqlite", "mongodb"])
def stack(request, tmp_path_factory):
    """The whole stack, its submission store SQLite or MongoDB (the session's MongoDB-wire
    server: FerretDB here, a real MongoDB where MONGODB_URL is set)."""
    env = {"EDITION_FILE": TRIAL_EDITION}
    if request.param == "mongodb":
        env |= {"STORE": "mongodb", "MONGODB_URL": request.getfixturevalue("mongodb_url"),
                "MONGODB_DB": f"e2e_{uuid.uuid4().hex[:8]}"}
    with Stack(data_dir=tmp_path_factory.mktemp("stack"), env=env) as s:
        yield s


def test_every_service_answers_health_readiness_and_metrics(stack):
    for name in SERVICES:
        for path in ("/healthz", "/readyz", "/metrics"):
            r = httpx.get(stack.url(name) + path, timeout=5)
            assert r.status_code == 200, (name, path, r.text)
        assert "sdi_http_requests_total" in httpx.get(stack.url(name) + "/metrics").text


def test_submission_reaches_the_feed_and_is_published(stack):
    t0 = time.monotonic()
    r = httpx.post(stack.url("submission") + "/v1/submissions", json=EVENT, timeout=10)
    assert r.status_code == 202, r.text
    body = r.json()
    sid, token = body["id"], body["organizer_token"]
    assert body["status"] == "received"

    def in_feed():
        feed = httpx.get(stack.url("map-feed") + "/v1/feed", timeout=5).json()
        return next((f for f in feed["features"] if f["id"] == sid), None)

    feature = wait_until(in_feed, 10, "the event in the feed")
    elapsed = time.monotonic() - t0
    # FerretDB on SQLite writes ~13 records a second here: the bound is SQLite's
    limit = 5 if stack.env.get("STORE") != "mongodb" else 10
    assert elapsed < limit, f"took {elapsed:.1f}s to reach the feed"
    assert feature["properties"]["title"] == EVENT["title"]
    lon, lat = feature["geometry"]["coordinates"]
    assert 4.7 < lon < 5.0 and 45.6 < lat < 45.9  # Lyon, not a random point
    assert "contact@example.fr" not in httpx.get(stack.url("map-feed") + "/v1/feed").text

    def published():
        got = httpx.get(
            f"{stack.url('submission')}/v1/submissions/{sid}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        ).json()
        return got if got["status"] == "published" else None

    doc = wait_until(published, 10, "status published")
    assert [h["status"] for h in doc["history"]] == ["received", "labelled", "published"]


def test_the_submissions_are_in_the_configured_store(stack):
    r = httpx.post(stack.url("submission") + "/v1/submissions", json=EVENT, timeout=10)
    assert r.status_code == 202, r.text
    sqlite_file = stack.data_dir / "submissions.sqlite3"
    if stack.env.get("STORE") != "mongodb":
        assert sqlite_file.exists()
        return
    client = MongoClient(stack.env["MONGODB_URL"])
    try:
        found = wait_until(lambda: client[stack.env["MONGODB_DB"]]["submissions"].find_one(
            {"_id": r.json()["id"]}), 10, "the record in MongoDB")
    finally:
        client.close()
    assert found["doc"]["id"] == r.json()["id"]
    assert not sqlite_file.exists()


def test_the_form_completes_communes_through_the_geocoding_service(stack):
    """Submission relays geocoding's gazetteer (the browser talks to submission only); Lyon
    3e is its arrondissement's INSEE code."""
    url = stack.url("submission") + "/v1/communes"
    by_postcode = httpx.get(url, params={"postcode": "69003"}, timeout=10)
    assert by_postcode.status_code == 200, by_postcode.text
    assert {"name": "Lyon", "postcode": "69003", "citycode": "69383", "department": "69"} in (
        by_postcode.json()["communes"])
    by_name = httpx.get(url, params={"q": "colmars"}, timeout=10).json()["communes"]
    assert any(c["name"].startswith("Colmars") and c["department"] == "04" for c in by_name)
    assert httpx.get(url, params={"postcode": "6900"}, timeout=10).status_code == 400


def test_rejected_submission_never_reaches_the_feed(stack):
    bad = {**EVENT, "title": "Visite payante de l'usine", "is_free": False, "price_eur": 12}
    r = httpx.post(stack.url("submission") + "/v1/submissions", json=bad, timeout=10)
    assert r.status_code == 202, r.text
    sid, token = r.json()["id"], r.json()["organizer_token"]

    def decided():
        got = httpx.get(
            f"{stack.url('submission')}/v1/submissions/{sid}",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        return got if got["status"] == "rejected" else None

    doc = wait_until(decided, 10, "status rejected")
    assert "not_free" in {r["code"] for r in doc["reasons"]}
    feed = httpx.get(stack.url("map-feed") + "/v1/feed").json()
    assert sid not in {f["id"] for f in feed["features"]}


def test_after_a_nats_restart_new_events_reach_the_feed_within_seconds(stack):
    # The feed watch's ephemeral consumer dies with the server; map-feed watches afresh
    # on reconnection (nats-py alone notices after two missed heartbeats: 16-19 s here).
    stack.restart_nats()

    def accepted():
        r = httpx.post(stack.url("submission") + "/v1/submissions", json=EVENT, timeout=10)
        return r.json()["id"] if r.status_code == 202 else None

    sid = wait_until(accepted, 30, "a 202 once NATS is back")
    t0 = time.monotonic()

    def in_feed() -> bool:
        feed = httpx.get(stack.url("map-feed") + "/v1/feed", timeout=5).json()
        return any(f["id"] == sid for f in feed["features"])

    wait_until(in_feed, 15, "the event in the feed after the restart")
    assert time.monotonic() - t0 < 8


def test_sigterm_stops_every_service_cleanly(stack):
    # Last test of the module: stop each service gracefully, expect exit code 0.
    for name in reversed(list(SERVICES)):
        t0 = time.monotonic()
        code = stack.stop(name)
        assert code == 0, f"{name} exited with {code}"
        assert time.monotonic() - t0 < 15
