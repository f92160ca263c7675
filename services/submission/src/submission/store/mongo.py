"""MongoDB adapter, through PyMongo's native async API (``AsyncMongoClient``).

One collection ``submissions``; ``_id`` is the submission id (which is derived from the
Idempotency-Key when the client sent one, so the ``_id`` index also serves retries).
Indexes: status + department, kind, the listing order, and a French text index on title.
A write carries the revision it read (``rev``): replicas projecting the same submission at
once cannot overwrite each other.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.errors import DuplicateKeyError

from ..record import Document, index_fields
from .base import EXACT_FILTERS, After, Filters, Store

_ORDER = [("created_at", DESCENDING), ("_id", DESCENDING)]


def _query(filters: Filters, cursor: After | None) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for field in EXACT_FILTERS:
        value = getattr(filters, field)
        if value:
            query[field] = str(value)  # a Status is a str; BSON needs no enum
    if filters.q:
        # every word must appear in the title (same meaning as the SQLite adapter); the
        # text index serves the $text pre-filter, the regexes keep the semantics exact
        words = filters.q.split()
        query["$text"] = {"$search": " ".join(f'"{w}"' for w in words)}
        query["$and"] = [{"title": {"$regex": re.escape(w), "$options": "i"}} for w in words]
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

    async def open(self) -> None:
        await self.col.create_indexes(
            [
                IndexModel([("status", ASCENDING), ("department", ASCENDING)], name="status_dep"),
                IndexModel([("kind", ASCENDING)], name="kind"),
                IndexModel(_ORDER, name="order"),
                IndexModel([("contact_erased", ASCENDING)], name="contact_erased"),
                IndexModel([("email_lookup", ASCENDING)], name="email_lookup", sparse=True),
                IndexModel([("import_key", ASCENDING)], name="import_key", sparse=True),
                IndexModel(
                    [("title", "text")], name="title_text", default_language="french"
                ),
            ]
        )

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

    async def _find(self, filters: Filters, after: After | None, limit: int) -> list[Document]:
        found = self.col.find(_query(filters, after), {"doc": 1}).sort(_ORDER).limit(limit)
        return [r["doc"] async for r in found]

    async def _scan(self, filters: Filters) -> AsyncIterator[Document]:
        async for record in self.col.find(_query(filters, None), {"doc": 1}).sort(_ORDER):
            yield record["doc"]

    async def _clear(self) -> None:
        await self.col.delete_many({})

    async def count(self) -> int:
        return await self.col.count_documents({})
