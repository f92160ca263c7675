"""MongoDB adapter, through PyMongo's native async API (``AsyncMongoClient``).

One collection ``submissions``; ``_id`` is the submission id (which is derived from the
Idempotency-Key when the client sent one, so the ``_id`` index also serves retries).
Indexes: status + department, région + status, kind, the listing order, the review
queue's order, and a French text index on title.
A write carries the revision it read (``rev``): replicas projecting the same submission at
once cannot overwrite each other.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.errors import DuplicateKeyError

from ..record import Document, SubmissionRecord, index_fields
from .base import NEWEST, After, Filters, Order, Store, countable

_ORDER = [("created_at", DESCENDING), ("_id", DESCENDING)]


def _field(key: str) -> str:
    return "_id" if key == "id" else key


def _sort(order: Order) -> list[tuple[str, int]]:
    return [(_field(k), DESCENDING if order.descending else ASCENDING) for k in order.keys]


def _query(filters: Filters, cursor: After | None = None, order: Order = NEWEST) -> dict[str, Any]:
    query: dict[str, Any] = {}
    every: list[dict[str, Any]] = []  # conditions that each need their own $or / $and
    for field in ("status", "department", "kind", "region"):
        value = getattr(filters, field)
        if value:
            query[field] = str(value)  # a Status is a str; BSON needs no enum
    if filters.needs_person:
        query["queue_rank"] = 0
    if filters.q:
        # every word must appear in the title (same meaning as the SQLite adapter); the
        # text index serves the $text pre-filter, the regexes keep the semantics exact
        words = filters.q.split()
        query["$text"] = {"$search": " ".join(f'"{w}"' for w in words)}
        every += [{"title": {"$regex": re.escape(w), "$options": "i"}} for w in words]
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

    async def open(self) -> None:
        await self.col.create_indexes(
            [
                IndexModel([("status", ASCENDING), ("department", ASCENDING)], name="status_dep"),
                IndexModel([("region", ASCENDING), ("status", ASCENDING)], name="region_status"),
                IndexModel([("queue_rank", ASCENDING), ("received_at", ASCENDING),
                            ("_id", ASCENDING)], name="queue"),
                IndexModel([("kind", ASCENDING)], name="kind"),
                IndexModel(_ORDER, name="order"),
                IndexModel([("contact_erased", ASCENDING)], name="contact_erased"),
                IndexModel(
                    [("title", "text")], name="title_text", default_language="french"
                ),
            ]
        )
        # documents written before the queue's fields existed: read again, written back
        async for old in self.col.find({"queue_rank": {"$exists": False}}, {"doc": 1, "rev": 1}):
            doc = SubmissionRecord.from_document(old["doc"]).to_document()
            await self.save(doc, old["rev"])  # False if a writer came first: it wrote them

    async def close(self) -> None:
        await self.client.close()

    @staticmethod
    def _record(doc: Document, rev: int) -> dict[str, Any]:
        return {"_id": doc["id"], "rev": rev, **index_fields(doc), "doc": doc}

    async def load(self, submission_id: str) -> tuple[Document, int] | None:
        found = await self.col.find_one({"_id": submission_id}, {"doc": 1, "rev": 1})
        return (found["doc"], found["rev"]) if found else None

    async def save(self, doc: Document, revision: int | None) -> bool:
        if revision is None:
            try:
                await self.col.insert_one(self._record(doc, 1))
                return True
            except DuplicateKeyError:
                return False
        result = await self.col.replace_one(
            {"_id": doc["id"], "rev": revision}, self._record(doc, revision + 1)
        )
        return result.modified_count == 1

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

    async def count(self) -> int:
        return await self.col.count_documents({})
