"""One contract, two adapters: SQLite (always) and MongoDB (where one is reachable).

MongoDB runs where ``MONGODB_URL`` is set, or in a testcontainers container where a Docker
engine answers; elsewhere those cases are skipped and the reason is reported.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sdi_common.contracts import Judged, Received, Status, Submission, Withdrawn
from sdi_common.testing import docker_available
from submission.scopes import NATIONAL, Scope
from submission.statistics import statistics
from submission.store.base import QUEUE, Filters, Store
from submission.store.sqlite import SqliteStore

from .submission_support import make_payload


def _mongo_url():
    if os.environ.get("MONGODB_URL"):
        return os.environ["MONGODB_URL"], None
    if not docker_available():
        pytest.skip("MongoDB contract: MONGODB_URL is not set and no Docker engine answers")
    from testcontainers.mongodb import MongoDbContainer

    container = MongoDbContainer("mongo:7")
    container.start()
    return container.get_connection_url(), container


@pytest.fixture(scope="module")
def mongo_url():
    url, container = _mongo_url()
    yield url
    if container is not None:
        container.stop()


@pytest.fixture(params=["sqlite", "mongodb"])
async def store(request, tmp_path) -> Store:
    if request.param == "sqlite":
        s = SqliteStore(tmp_path / "store.sqlite3")
    else:
        from submission.store.mongo import MongoStore

        s = MongoStore(request.getfixturevalue("mongo_url"), f"test_{uuid.uuid4().hex[:8]}")
    await s.open()
    yield s
    await s.clear()
    await s.close()


def submission(title="Visite de l'usine", postcode="69007", kind="company_visit"):
    body = make_payload(title=title, kind=kind,
                        location={"postcode": postcode, "city": "Quelque part"})
    body["organizer"] = {"name": "ACME", "type": "company"}
    return Submission.model_validate(body)


T0 = datetime(2026, 11, 1, tzinfo=UTC)


def received(sid, n=0, **kw):
    return Received(submission_id=sid, version=1, by="organizer", submission=submission(**kw),
                    received_at=T0, at=T0 + timedelta(seconds=n))


async def test_apply_is_idempotent_and_get_returns_the_document(store):
    event = received("s1")
    assert (await store.apply(event)).status_changed
    assert await store.apply(event) is None
    record = await store.get("s1")
    assert record.status == "received" and record.version == 1
    assert await store.get("nope") is None
    assert await store.count() == 1


async def test_concurrent_writers_do_not_lose_updates(store):
    await store.apply(received("s2"))
    judged = Judged(type="labelled", submission_id="s2", version=1, by="validation",
                    submission=submission(), edition="2026")
    withdrawn = Withdrawn(submission_id="s2", version=1, by="organizer")
    await asyncio.gather(store.apply(judged), store.apply(withdrawn))
    record = await store.get("s2")
    assert record.status == "withdrawn"
    assert {h.event for h in record.history} >= {"received", "withdrawn"}


async def test_save_refuses_a_stale_revision(store):
    await store.apply(received("s3"))
    doc, rev = await store.load("s3")
    assert await store.save({**doc, "status": "labelled"}, rev)
    assert not await store.save({**doc, "status": "rejected"}, rev)
    assert not await store.save(doc, None)  # exists already
    assert (await store.get("s3")).status == "labelled"


async def test_list_filters_and_cursor_paging(store):
    for i in range(7):
        await store.apply(received(f"p{i}", n=i, postcode="69001" if i % 2 else "75011",
                                   title=f"Atelier soudure numéro {i}" if i < 3 else f"Forum métiers {i}",
                                   kind="workshop" if i < 3 else "forum"))
    page = await store.list(Filters(), cursor=None, limit=3)
    assert [r.id for r in page.items] == ["p6", "p5", "p4"]  # newest first
    seen = [r.id for r in page.items]
    while page.next_cursor:
        page = await store.list(Filters(), cursor=page.next_cursor, limit=3)
        seen += [r.id for r in page.items]
    assert seen == [f"p{i}" for i in range(6, -1, -1)]
    lyon = await store.list(Filters(department="69"), cursor=None, limit=50)
    assert {r.id for r in lyon.items} == {"p1", "p3", "p5"}
    both = await store.list(Filters(status=Status.received, department="75", kind="forum"),
                            cursor=None, limit=50)
    assert {r.id for r in both.items} == {"p4", "p6"}
    words = await store.list(Filters(q="soudure"), cursor=None, limit=50)
    assert {r.id for r in words.items} == {"p0", "p1", "p2"}
    assert (await store.list(Filters(status=Status.published), cursor=None, limit=50)).items == []
    with pytest.raises(ValueError):
        await store.list(Filters(), cursor="not-a-cursor", limit=5)


async def test_scan_and_clear(store):
    for i in range(3):
        await store.apply(received(f"c{i}", n=i))
    assert [r.id async for r in store.scan(Filters())] == ["c2", "c1", "c0"]
    await store.clear()
    assert await store.count() == 0


def judged(sid, verdict, n=0, edition="2026"):
    return Judged(type=verdict, submission_id=sid, version=1, by="validation",
                  submission=submission(), edition=edition, at=T0 + timedelta(seconds=n))


async def seed_queue(store):
    """Eight submissions in Lyon (69, région 84), Paris (75, 11) and Ajaccio (2A, 94)."""
    plan = [("q0", "69001", "labelled"), ("q1", "75011", "needs_review"),
            ("q2", "69002", "needs_review"), ("q3", "20000", "rejected"),
            ("q4", "75012", None), ("q5", "69003", "needs_review"),
            ("q6", "20090", "labelled"), ("q7", "75013", "needs_review")]
    for i, (sid, postcode, verdict) in enumerate(plan):
        await store.apply(received(sid, n=i, postcode=postcode))
        if verdict:
            await store.apply(judged(sid, verdict, n=100 + i))


async def test_region_is_kept_and_filters(store):
    await seed_queue(store)
    record = await store.get("q3")
    assert (record.department, record.region) == ("2A", "94")
    ids = {r.id for r in (await store.list(Filters(region="84"), cursor=None, limit=50)).items}
    assert ids == {"q0", "q2", "q5"}


async def test_the_queue_puts_what_waits_for_a_person_first_oldest_first(store):
    await seed_queue(store)
    waiting = ["q1", "q2", "q5", "q7"]
    others = ["q0", "q3", "q4", "q6"]
    seen, cursor = [], None
    while True:
        page = await store.list(Filters(), cursor=cursor, limit=3, order=QUEUE)
        seen += [r.id for r in page.items]
        if not (cursor := page.next_cursor):
            break
    assert seen == waiting + others
    only = await store.list(Filters(needs_person=True), cursor=None, limit=50, order=QUEUE)
    assert [r.id for r in only.items] == waiting
    with pytest.raises(ValueError):
        await store.list(Filters(), cursor="0_x", limit=5, order=QUEUE)


async def test_a_scope_keeps_its_regions_and_departments(store):
    await seed_queue(store)
    await store.apply(Received(submission_id="online", version=1, by="organizer",
                               submission=submission().model_copy(update={"online": True,
                                                                          "location": None}),
                               received_at=T0, at=T0))

    async def ids(scope):
        page = await store.list(Filters(scope=scope), cursor=None, limit=50)
        return {r.id for r in page.items}

    assert await ids(Scope.of(["84"])) == {"q0", "q2", "q5"}
    assert await ids(Scope.of(["84"], ["2A"])) == {"q0", "q2", "q5", "q3", "q6"}
    assert await ids(Scope.of([], ["75"])) == {"q1", "q4", "q7"}
    assert "online" in await ids(NATIONAL) and len(await ids(NATIONAL)) == 9
    counted = await store.count_by(Filters(scope=Scope.of(["84"])), "status")
    assert counted == {("labelled",): 1, ("needs_review",): 2}
    corsica = await store.count_by(Filters(scope=Scope.of([], ["2A"])), "status", "department")
    assert corsica == {("labelled", "2A"): 1, ("rejected", "2A"): 1}


async def test_counts_by_several_fields(store):
    await seed_queue(store)
    assert await store.count_by(Filters(), "status") == {
        ("received",): 1, ("labelled",): 2, ("rejected",): 1, ("needs_review",): 4}
    assert await store.count_by(Filters(needs_person=True), "region") == {("11",): 2, ("84",): 2}
    assert await store.count_by(Filters(), "audience_mask") == {(0b101,): 8}  # pupils, students
    assert await store.count_by(Filters(), "created_day") == {("2026-11-01",): 8}
    decided = await store.count_by(Filters(), "decided_by", "decision_seconds")
    # labelled or rejected 100 + i s after the reception; needs_review is no decision
    assert decided == {(None, None): 5, ("validation", 100): 1, ("validation", 103): 1,
                       ("validation", 106): 1}
    with pytest.raises(ValueError):
        await store.count_by(Filters(), "doc")


async def test_the_statistics_count_the_edition_and_what_is_not_judged_yet(store):
    await store.apply(received("e1"))
    await store.apply(judged("e1", "labelled", edition="2025"))
    await store.apply(received("e2", n=1))
    await store.apply(judged("e2", "labelled", edition="2026"))
    await store.apply(received("e3", n=2))
    figures = await statistics(store, Filters(), "2026")
    assert figures["total"] == 2 and figures["by_status"]["labelled"] == 1
    assert figures["by_audience"]["pupils"] == 2 and figures["by_audience"]["youth"] == 0
    assert (await statistics(store, Filters(), None))["total"] == 3


async def test_a_file_of_the_first_schema_is_upgraded_at_open(tmp_path):
    """A store written before the queue's fields (region, received_at...) existed."""
    path = tmp_path / "old.sqlite3"
    new = SqliteStore(path)
    await new.open()
    await new.apply(received("old1", postcode="69001"))
    await new.apply(judged("old1", "needs_review"))
    doc, _ = await new.load("old1")
    await new.close()
    for key in ("region", "decided_at", "decided_by"):
        doc.pop(key)
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE submissions;" + OLD_SCHEMA)
    db.execute("INSERT INTO submissions VALUES ('old1', 1, 'needs_review', '69', "
               "'company_visit', 'Visite', ?, 0, ?)", (doc["created_at"], orjson.dumps(doc)))
    db.commit()
    db.close()
    upgraded = SqliteStore(path)
    await upgraded.open()
    try:
        record = await upgraded.get("old1")
        assert record.region == "84"
        page = await upgraded.list(Filters(region="84", needs_person=True), cursor=None,
                                   limit=5, order=QUEUE)
        assert [r.id for r in page.items] == ["old1"]
        await upgraded.apply(judged("old1", "labelled"))  # ignored: one verdict per version
        assert (await upgraded.count_by(Filters(), "queue_rank")) == {(0,): 1}
    finally:
        await upgraded.close()


OLD_SCHEMA = """
CREATE TABLE submissions (
    id TEXT PRIMARY KEY, rev INTEGER NOT NULL, status TEXT NOT NULL, department TEXT,
    kind TEXT, title TEXT NOT NULL, created_at TEXT NOT NULL,
    contact_erased INTEGER NOT NULL DEFAULT 0, doc BLOB NOT NULL
);
CREATE INDEX submissions_status_dep ON submissions (status, department);
CREATE INDEX submissions_order ON submissions (created_at DESC, id DESC);
"""
