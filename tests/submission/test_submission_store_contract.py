"""One contract, two adapters: SQLite (always) and MongoDB (where one is reachable).

MongoDB runs where ``MONGODB_URL`` is set, or in a testcontainers container where a Docker
engine answers; elsewhere those cases are skipped and the reason is reported.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sdi_common.contracts import Judged, Received, Status, Submission, Withdrawn
from sdi_common.testing import docker_available
from submission.store.base import Filters, Store
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


async def test_submissions_of_one_address_are_found_by_their_lookup(store):
    from sdi_common.contracts import ContactErased
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
    import sqlite3

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
