"""Two submission replicas sharing one MongoDB-wire database, under load: the deployment
SQLite cannot serve (FerretDB here; a real MongoDB where MONGODB_URL is set).

Both replicas take submissions (alternately, as behind the Service) and both project the
stream (one shared durable consumer): the same submission is written by both, often at
once (a replica's intake applies ``received`` while the other's projector applies the
next events). Afterwards: every accepted submission is listed once, by either replica,
with the status its content calls for; every event of the stream is in its document (no
update lost to a concurrent writer); every published one is in the feed once; a client
retrying through the other replica with the same Idempotency-Key got the same submission.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import Counter

import httpx
import nats
import pytest
import sample_events  # scripts/ (pytest's pythonpath)
from pymongo import MongoClient
from sdi_common import subjects
from sdi_common.contracts import parse_event
from sdi_common.settings import REPO_ROOT
from sdi_common.stack import Stack, wait_until

COUNT = 120
CONCURRENCY = 8
DATABASE = f"replicas_{uuid.uuid4().hex[:8]}"
TOKEN = uuid.uuid4().hex
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, mongodb_url):
    env = {
        "EDITION_FILE": str(REPO_ROOT / "config" / "trial" / "2024-open.toml"),
        "STORE": "mongodb", "MONGODB_URL": mongodb_url, "MONGODB_DB": DATABASE,
        "OPERATOR_TOKENS": f"ops:{hashlib.sha256(TOKEN.encode()).hexdigest()}",
        "RATE_LIMIT_PER_MINUTE": "0", "GEOCODER_CHAIN": "gazetteer", "LOG_LEVEL": "WARNING",
    }
    with Stack(data_dir=tmp_path_factory.mktemp("replicas"), env=env) as s:
        s.start("submission", replica=2)
        yield s


async def submit_all(urls: list[str], samples) -> tuple[dict[int, str], dict[int, str]]:
    """Each sample to one replica in turn; every tenth again to the other replica, with the
    same Idempotency-Key (a client's retry landing elsewhere). Returns sample -> id, twice."""
    first, retried = {}, {}
    slots = asyncio.Semaphore(CONCURRENCY)

    async def post(client, url, sample):
        async with slots:
            r = await client.post(f"{url}/v1/submissions", json=sample.body,
                                  headers={"Idempotency-Key": sample.idempotency_key})
        assert r.status_code == 202, r.text
        return r.json()["id"]

    # idle connections expire before uvicorn's 5 s keep-alive does: with both at 5 s, a
    # request may go out on a connection the server is closing (httpx.ReadError, seen on CI)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(keepalive_expiry=1)) as client:
        async def one(n, sample):
            first[n] = await post(client, urls[n % 2], sample)
            if n % 10 == 0:
                retried[n] = await post(client, urls[(n + 1) % 2], sample)

        await asyncio.gather(*(one(n, s) for n, s in enumerate(samples)))
    return first, retried


def listed(url: str) -> list[dict]:
    """The operators' list, every page."""
    items, cursor = [], None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(f"{url}/v1/submissions", params=params, headers=OPERATOR, timeout=30)
        page.raise_for_status()
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


async def stream_events(nats_url: str) -> list:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(subjects.STREAM)).state.messages
        sub = await js.subscribe(subjects.ALL, stream=subjects.STREAM, ordered_consumer=True)
        events = [parse_event((await sub.next_msg(timeout=10)).data) for _ in range(total)]
        await sub.unsubscribe()
        return events
    finally:
        await nc.close()


def test_two_replicas_share_one_database_under_load(stack, mongodb_url):
    samples = sample_events.generate(COUNT, seed=15, tag=f"replicas{uuid.uuid4().hex[:6]}")
    urls = [stack.url("submission", 1), stack.url("submission", 2)]
    first, retried = asyncio.run(submit_all(urls, samples))
    assert {n: first[n] for n in retried} == retried  # the retry named the same submission
    ids = set(first.values())
    assert len(ids) == COUNT
    expected = {first[n]: s.expected_status for n, s in enumerate(samples)}

    def settled():
        items = listed(urls[1])
        return items if {i["id"]: i["status"] for i in items} == expected else None

    items = wait_until(settled, 240, "every submission in its expected status", interval=1)
    # each replica lists every submission once
    for url in urls:
        counts = Counter(i["id"] for i in (items if url == urls[1] else listed(url)))
        assert set(counts) == ids and set(counts.values()) == {1}, url

    # no update lost: every event of the stream is in its submission's document
    events = asyncio.run(stream_events(stack.nats_url))
    client = MongoClient(mongodb_url)
    try:
        db = client[DATABASE]
        docs = {r["_id"]: r["doc"] for r in db["submissions"].find({}, {"doc": 1})}
        leftover_claims = db["submission_claims"].count_documents({})
    finally:
        client.close()
    assert set(docs) == ids
    missing = [(e.submission_id, e.version, e.type) for e in events
               if e.submission_id in ids and f"{e.version}:{e.type}" not in docs[e.submission_id]["applied"]]
    assert not missing, missing[:10]
    assert leftover_claims == 0  # every writer released its claim

    feed = httpx.get(stack.url("map-feed") + "/v1/feed", timeout=30).json()
    published = Counter(f["id"] for f in feed["features"] if f["id"] in ids)
    assert set(published) == {i for i, s in expected.items() if s == "published"}
    assert set(published.values()) == {1}
