"""MongoDB adapter, through PyMongo's native async API (``AsyncMongoClient``).

One collection ``submissions``; ``_id`` is the submission id (which is derived from the
Idempotency-Key when the client sent one, so the ``_id`` index also serves retries).
Indexes: status + department, kind, the listing order, and the title's words.

**Writes.** A write carries the revision it read (``rev``): replicas projecting the same
submission at once cannot overwrite each other. Two guards, each enough where it holds:

- the write is conditional (``replace_one({_id, rev})``): atomic on MongoDB, whose
  single-document writes are;
- before it, the writer claims the transition: it inserts ``<id>/<rev+1>`` into
  ``submission_claims`` (a unique ``_id``: one insert wins) and deletes the claim after.
  Inserts are atomic on every MongoDB-wire server; conditional updates are not on FerretDB
  1.x, which reads the filter's matches then writes them, unisolated (two racing
  ``replace_one`` of one revision both succeeded 99 times in 100 here). With the claim, no
  two writers make the same transition at once, and the next transition needs this one's
  result: the filter is then never raced. A claim left by a writer that died between the
  two steps is dropped after ``CLAIM_LEASE``.

**Title search** uses no text index: each record carries ``words``, the title folded
(``sdi_common.text.fold``: case, accents, punctuation away) and split, under a multikey
index; every word of the query must begin one of them (an anchored regex, which MongoDB
serves from that index). The same query runs on FerretDB, which has neither text indexes
nor ``$text``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.errors import DuplicateKeyError, PyMongoError
from sdi_common.text import fold

from ..record import Document, index_fields
from .base import After, Filters, Store

_ORDER = [("created_at", DESCENDING), ("_id", DESCENDING)]
_INDEXES = [
    IndexModel([("status", ASCENDING), ("department", ASCENDING)], name="status_dep"),
    IndexModel([("kind", ASCENDING)], name="kind"),
    IndexModel(_ORDER, name="order"),
    IndexModel([("contact_erased", ASCENDING)], name="contact_erased"),
    IndexModel([("email_lookup", ASCENDING)], name="email_lookup", sparse=True),
    IndexModel([("words", ASCENDING)], name="words"),
]
#: a claim older than this was left by a writer that died before its write
CLAIM_LEASE = timedelta(seconds=30)
log = structlog.get_logger(__name__)


def _query(filters: Filters, cursor: After | None) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for field in ("status", "department", "kind", "email_lookup"):
        value = getattr(filters, field)
        if value:
            query[field] = str(value)  # a Status is a str; BSON needs no enum
    words = fold(filters.q or "").split()
    if words:
        query["$and"] = [{"words": {"$regex": "^" + re.escape(w)}} for w in words]
    if cursor:
        created_at, ident = cursor
        query["$or"] = [
            {"created_at": {"$lt": created_at}},
            {"created_at": created_at, "_id": {"$lt": ident}},
        ]
    return query


class MongoStore(Store):
    def __init__(self, url: str, database: str, *, client: AsyncMongoClient | None = None):
        self.client = client or AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)
        self.col = self.client[database]["submissions"]
        self.claims = self.client[database]["submission_claims"]

    async def open(self) -> None:
        # One index per command: FerretDB 1.24 drops the connection on a createIndexes that
        # names two or more existing indexes (every start but the first, every replica but
        # the first); one at a time is as idempotent, and correct everywhere.
        for model in _INDEXES:
            await self.col.create_indexes([model])

    async def close(self) -> None:
        await self.client.close()

    @staticmethod
    def _record(doc: Document, rev: int) -> dict[str, Any]:
        fields = index_fields(doc)
        words = sorted(set(fold(fields["title"]).split()))
        return {"_id": doc["id"], "rev": rev, **fields, "words": words, "doc": doc}

    async def load(self, submission_id: str) -> tuple[Document, int] | None:
        found = await self.col.find_one({"_id": submission_id}, {"doc": 1, "rev": 1})
        return (found["doc"], found["rev"]) if found else None

    async def save(self, doc: Document, revision: int | None) -> bool:
        new = (revision or 0) + 1
        claim = {"_id": f"{doc['id']}/{new}", "token": uuid.uuid4().hex, "at": datetime.now(UTC)}
        try:
            await self.claims.insert_one(claim)
        except DuplicateKeyError:  # another writer is making this transition
            await self.claims.delete_one(
                {"_id": claim["_id"], "at": {"$lt": claim["at"] - CLAIM_LEASE}}
            )
            return False
        try:
            if revision is None:
                try:
                    await self.col.insert_one(self._record(doc, 1))
                    return True
                except DuplicateKeyError:
                    return False
            result = await self.col.replace_one(
                {"_id": doc["id"], "rev": revision}, self._record(doc, new)
            )
            return result.modified_count == 1
        finally:
            try:
                await self.claims.delete_one({"_id": claim["_id"], "token": claim["token"]})
            except PyMongoError as exc:  # not masking the write's own error: the lease ends it
                log.warning("store.claim_not_released", claim=claim["_id"], error=str(exc))

    async def _find(self, filters: Filters, after: After | None, limit: int) -> list[Document]:
        found = self.col.find(_query(filters, after), {"doc": 1}).sort(_ORDER).limit(limit)
        return [r["doc"] async for r in found]

    async def _scan(self, filters: Filters) -> AsyncIterator[Document]:
        async for record in self.col.find(_query(filters, None), {"doc": 1}).sort(_ORDER):
            yield record["doc"]

    async def _clear(self) -> None:
        await self.col.delete_many({})
        await self.claims.delete_many({})

    async def count(self) -> int:
        return await self.col.count_documents({})
