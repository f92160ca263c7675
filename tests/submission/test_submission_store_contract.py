"""One contract, two adapters: SQLite and MongoDB.

The MongoDB adapter runs against the session's MongoDB-wire server (``mongodb_url`` in
tests/conftest.py): a real MongoDB where ``MONGODB_URL`` is set, else FerretDB (a
testcontainers container on the private engine, or the cached binary); the cases skip,
with the reason, only where none of these can be had.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sdi_common.contracts import ContactErased, Judged, Received, Status, Submission, Withdrawn
from submission.record import INDEX_FIELDS, index_fields
from submission.scopes import NATIONAL, Scope
from submission.statistics import statistics
from submission.store.base import QUEUE, Filters, Store
from submission.store.sqlite import COLUMNS, SqliteStore

from .submission_support import make_payload


def open_store(request, kind: str, where) -> Store:
    """A store on ``where``: a file (SQLite) or a database name (MongoDB); two calls with
    the same ``where`` are two replicas sharing one database."""
    if kind == "sqlite":
        return SqliteStore(where)
    from submission.store.mongo import MongoStore

    return MongoStore(request.getfixturevalue("mongodb_url"), where)


@pytest.fixture(params=["sqlite", "mongodb"])
def where(request, tmp_path):
    kind = request.param
    return kind, tmp_path / "store.sqlite3" if kind == "sqlite" else f"test_{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def store(request, where) -> Store:
    s = open_store(request, *where)
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
    # every word must be there, whatever the case; the beginning of a word is enough
    for q, expected in [("SOUDURE atelier", {"p0", "p1", "p2"}), ("soud", {"p0", "p1", "p2"}),
                        ("Forum métiers", {"p3", "p4", "p5", "p6"}), ("atelier forum", set()),
                        ("forum 5", {"p5"})]:
        found = await store.list(Filters(q=q), cursor=None, limit=50)
        assert {r.id for r in found.items} == expected, q
    lyon_forum = await store.list(Filters(q="forum", department="69"), cursor=None, limit=50)
    assert {r.id for r in lyon_forum.items} == {"p3", "p5"}
    assert (await store.list(Filters(status=Status.published), cursor=None, limit=50)).items == []
    with pytest.raises(ValueError):
        await store.list(Filters(), cursor="not-a-cursor", limit=5)


async def test_scan_and_clear(store):
    for i in range(3):
        await store.apply(received(f"c{i}", n=i))
    assert [r.id async for r in store.scan(Filters())] == ["c2", "c1", "c0"]
    await store.clear()
    assert await store.count() == 0


async def test_submissions_of_one_address_are_found_by_their_lookup(store):
    from submission import sealing

    key = b"k" * 32
    for sid, email in (("e1", "Anne@Exemple.fr"), ("e2", " anne@exemple.fr"), ("e3", "bob@x.fr")):
        envelope = sealing.seal(key, {"email": email}, kid="kid", submission_id=sid,
                                token_sha256="0" * 64, callback_url=None,
                                email_lookup=sealing.email_lookup(key, email))
        event = received(sid)
        await store.apply(event.model_copy(update={"contact_sealed": envelope}))
    anne = Filters(email_lookup=sealing.email_lookup(key, "anne@exemple.fr"))
    assert {r.id async for r in store.scan(anne)} == {"e1", "e2"}
    # an erased address is found no more
    await store.apply(ContactErased(submission_id="e2", version=1, by="operator:alice"))
    assert {r.id async for r in store.scan(anne)} == {"e1"}
    assert (await store.get("e2")).email_lookup is None


async def test_a_sqlite_store_of_another_schema_is_emptied_to_be_rebuilt(tmp_path):
    """The store is a projection: a file written with other indexed columns is not migrated
    but emptied, and the service rebuilds it from the stream at start (REBUILD_IF_EMPTY)."""

    path = tmp_path / "old.sqlite3"
    s = SqliteStore(path)
    await s.open()
    await s.apply(received("old"))
    await s.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=1")
    s = SqliteStore(path)
    await s.open()
    assert await s.count() == 0
    await s.apply(received("new"))
    assert (await s.get("new")) is not None
    await s.close()


async def test_two_replicas_sharing_one_database_lose_no_update(request, where):
    """Two stores on one database (two submission replicas) apply, at once, events about
    the same submissions: every one lands, none twice. On MongoDB the revision check is what
    makes the second writer of a document reload and re-apply: it must have refused some
    writes (the race was real), and lost none."""
    kind, place = where
    replicas = [open_store(request, kind, place) for _ in range(2)]
    refused = [0]
    for replica in replicas:
        await replica.open()
        save = replica.save

        async def counting_save(doc, revision, save=save):
            ok = await save(doc, revision)
            refused[0] += not ok
            return ok

        replica.save = counting_save
    ids = [f"r{i}" for i in range(12)]
    try:
        for sid in ids:
            await replicas[0].apply(received(sid))
        erasures = [ContactErased(submission_id=sid, version=1, by=f"operator:op{n}")
                    for sid in ids for n in range(8)]  # each adds a line to the history
        await asyncio.gather(*(replicas[n % 2].apply(e) for n, e in enumerate(erasures)))
        for sid in ids:
            record = await replicas[1].get(sid)
            lines = [h for h in record.history if h.event == "contact_erased"]
            assert sorted(h.by for h in lines) == [f"operator:op{n}" for n in range(8)], sid
        assert await replicas[0].count() == len(ids)
        if kind == "mongodb":
            assert refused[0] > 0, "no concurrent write was refused: the test raced nothing"
    finally:
        await replicas[0].clear()
        for replica in replicas:
            await replica.close()


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


async def test_the_sqlite_columns_are_the_index_fields(tmp_path):
    s = SqliteStore(tmp_path / "s.sqlite3")
    await s.open()
    try:
        await s.apply(received("one"))
        doc, _ = await s.load("one")
    finally:
        await s.close()
    assert tuple(index_fields(doc)) == INDEX_FIELDS
    assert tuple(COLUMNS) == INDEX_FIELDS
