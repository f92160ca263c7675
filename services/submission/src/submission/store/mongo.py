"""MongoDB adapter, through PyMongo's native async API (``AsyncMongoClient``).

One collection ``submissions``; ``_id`` is the submission id (which is derived from the
Idempotency-Key when the client sent one, so the ``_id`` index also serves retries).
Indexes: status + department, région + status, kind, the listing order, the review
queue's order, the e-mail lookup and the title's words.

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

from ..record import Document, SubmissionRecord, index_fields
from .base import EXACT_FILTERS, NEWEST, After, Filters, Order, Store, countable

_ORDER = [("created_at", DESCENDING), ("_id", DESCENDING)]
_INDEXES = [
    IndexModel([("status", ASCENDING), ("department", ASCENDING)], name="status_dep"),
    IndexModel([("region", ASCENDING), ("status", ASCENDING)], name="region_status"),
    IndexModel([("queue_rank", ASCENDING), ("received_at", ASCENDING), ("_id", ASCENDING)],
               name="queue"),
    IndexModel([("kind", ASCENDING)], name="kind"),
    IndexModel(_ORDER, name="order"),
    IndexModel([("contact_erased", ASCENDING)], name="contact_erased"),
    IndexModel([("email_lookup", ASCENDING)], name="email_lookup", sparse=True),
    IndexModel([("import_key", ASCENDING)], name="import_key", sparse=True),
    IndexModel([("words", ASCENDING)], name="words"),
]
#: a claim older than this was left by a writer that died before its write
CLAIM_LEASE = timedelta(seconds=30)
log = structlog.get_logger(__name__)


def _field(key: str) -> str:
    return "_id" if key == "id" else key


def _sort(order: Order) -> list[tuple[str, int]]:
    return [(_field(k), DESCENDING if order.descending else ASCENDING) for k in order.keys]


def _query(filters: Filters, cursor: After | None = None, order: Order = NEWEST) -> dict[str, Any]:
    query: dict[str, Any] = {}
    every: list[dict[str, Any]] = []  # conditions that each need their own $or / $and
    for field in EXACT_FILTERS:
        value = getattr(filters, field)
        if value:
            query[field] = str(value)  # a Status is a str; BSON needs no enum
    if filters.needs_person:
        query["queue_rank"] = 0
    every += [{"words": {"$regex": "^" + re.escape(w)}} for w in fold(filters.q or "").split()]
    scope = filters.scope
    if not scope.national:
        every.append({"$or": [{field: {"$in": sorted(codes)}} for field, codes in
                              (("region", scope.regions), ("department", scope.departments))
                              if codes]})
    if cursor:
        # after the cursor in the order: (k1 > v1) or (k1 = v1 and k2 > v2) or ...
        op = "$lt" if order.descending else "$gt"
        keys = [_field(k) for k in order.keys]
        every.append({"$or": [{**dict(zip(keys[:i], cursor[:i])), keys[i]: {op: cursor[i]}}
                              for i in range(len(keys))]})
    if every:
        query["$and"] = every
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
        # documents written before the queue's fields existed: read again, written back
        async for old in self.col.find({"queue_rank": {"$exists": False}}, {"doc": 1, "rev": 1}):
            doc = SubmissionRecord.from_document(old["doc"]).to_document()
            await self.save(doc, old["rev"])  # False if a writer came first: it wrote them

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

    async def _find(self, filters: Filters, after: After | None, limit: int,
                    order: Order = NEWEST) -> list[Document]:
        found = self.col.find(_query(filters, after, order), {"doc": 1})
        return [r["doc"] async for r in found.sort(_sort(order)).limit(limit)]

    async def count_by(self, filters: Filters, *fields: str) -> dict[tuple[Any, ...], int]:
        pipeline = [{"$match": _query(filters)},
                    {"$group": {"_id": {f: f"${f}" for f in countable(fields)}, "n": {"$sum": 1}}}]
        return {tuple(r["_id"].get(f) for f in fields): r["n"]
                async for r in await self.col.aggregate(pipeline)}

    async def _scan(self, filters: Filters) -> AsyncIterator[Document]:
        async for record in self.col.find(_query(filters, None), {"doc": 1}).sort(_ORDER):
            yield record["doc"]

    async def _clear(self) -> None:
        await self.col.delete_many({})
        await self.claims.delete_many({})

    async def count(self) -> int:
        return await self.col.count_documents({})
