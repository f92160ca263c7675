"""The store: the lifecycle events projected into one record per submission.

Adapters keep each record as a JSON document beside a few indexed columns and implement
a handful of primitives on those documents: ``load``/``save`` with a revision check,
``_find`` (one page, newest first), ``_scan``, ``_clear``, ``count``. Everything above them
— records in and out, cursor paging, applying an event and the retry when another
writer came first — is here, once. Several replicas may project the same submission at
the same time: the revision check makes the second writer reload and apply again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sdi_common.contracts import Event, Kind, Status

from ..record import INDEX_FIELDS, Change, Document, SubmissionRecord, apply, index_fields
from ..scopes import NATIONAL, Scope

#: the sort keys of the last record of the previous page
After = tuple[Any, ...]


@dataclass(frozen=True)
class Filters:
    status: Status | None = None
    department: str | None = None
    kind: Kind | None = None
    q: str | None = None  # words of the title
    email_lookup: str | None = None  # the submissions of one address (sealing.email_lookup)
    import_key: str | None = None  # an imported event (sealing.import_key)
    region: str | None = None
    #: only what waits for a person (needs_review, location_unresolved)
    needs_person: bool = False
    #: the caller's régions and départements (``Scope.covers``)
    scope: Scope = NATIONAL


@dataclass(frozen=True)
class Order:
    """How a listing is sorted: index fields (``id`` last, so the order is total), all
    ascending or all descending. A cursor is the keys of the last record of a page joined
    by ``_``: any such text is a position (keys compare as text, the rank as a number), so
    a cursor can never be stale."""

    keys: tuple[str, ...]
    descending: bool

    def cursor(self, doc: Document) -> str:
        fields = {**index_fields(doc), "id": doc["id"]}
        return "_".join(str(fields[k]) for k in self.keys)

    def after(self, cursor: str) -> After:
        """The keys a cursor holds; ValueError if malformed."""
        parts = cursor.split("_")
        if len(parts) != len(self.keys) or not all(parts):
            raise ValueError("bad cursor")
        return tuple(int(p) if k == "queue_rank" else p for k, p in zip(self.keys, parts))


#: newest first: the operators' list and export (cursor ``<created_at>_<id>``)
NEWEST = Order(("created_at", "id"), descending=True)
#: the review queue: what waits for a person first, then the oldest request first
#: (cursor ``<queue_rank>_<received_at>_<id>``)
QUEUE = Order(("queue_rank", "received_at", "id"), descending=False)


def countable(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The fields of a ``count_by``; ValueError for anything but index fields."""
    if not fields or not set(fields) <= set(INDEX_FIELDS):
        raise ValueError(f"cannot count by {fields!r}")
    return fields


#: the filters that match an indexed column exactly
EXACT_FILTERS = ("status", "department", "kind", "region", "email_lookup", "import_key")


@dataclass(frozen=True)
class Page:
    items: list[SubmissionRecord]
    next_cursor: str | None


class StoreConflict(Exception):
    """Another writer saved the document since it was read."""


def project(stored: tuple[Document, int] | None, event: Event) -> tuple[Change | None, int | None]:
    """``event`` applied to a stored document: the change, and the revision it was read at."""
    doc, revision = stored if stored else (None, None)
    record = SubmissionRecord.from_document(doc) if doc is not None else None
    return apply(record, event), revision


class Store(ABC):
    """Records come newest first: by ``created_at`` then ``id``, descending."""

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    # ------------------------------------------------------------------ adapter primitives

    @abstractmethod
    async def load(self, submission_id: str) -> tuple[Document, int] | None:
        """The document and its revision."""

    @abstractmethod
    async def save(self, doc: Document, revision: int | None) -> bool:
        """Write ``doc`` if its stored revision is still ``revision`` (None: must not exist).
        False when another writer came first."""

    @abstractmethod
    async def _find(self, filters: Filters, after: After | None, limit: int,
                    order: Order = NEWEST) -> list[Document]:
        """Up to ``limit`` matching documents after ``after``, in ``order``."""

    @abstractmethod
    def _scan(self, filters: Filters) -> AsyncIterator[Document]:
        """Every matching document, newest first."""

    @abstractmethod
    async def count_by(self, filters: Filters, *fields: str) -> dict[tuple[Any, ...], int]:
        """How many matching records have each combination of these index fields' values."""

    @abstractmethod
    async def _clear(self) -> None: ...

    @abstractmethod
    async def count(self) -> int: ...

    # ------------------------------------------------------------------ records

    async def get(self, submission_id: str) -> SubmissionRecord | None:
        found = await self.load(submission_id)
        return SubmissionRecord.from_document(found[0]) if found else None

    async def list(self, filters: Filters, *, cursor: str | None, limit: int,
                   order: Order = NEWEST) -> Page:
        """One page; ValueError for a malformed cursor."""
        after = order.after(cursor) if cursor else None
        docs = await self._find(filters, after, limit + 1, order)
        more = len(docs) > limit
        docs = docs[:limit]
        return Page([SubmissionRecord.from_document(d) for d in docs],
                    order.cursor(docs[-1]) if more and docs else None)

    async def scan(self, filters: Filters) -> AsyncIterator[SubmissionRecord]:
        """Every matching record, newest first (exports, retention)."""
        async for doc in self._scan(filters):
            yield SubmissionRecord.from_document(doc)

    async def clear(self) -> None:
        """Drop every record (before a rebuild); every event must then be applied again."""
        await self._clear()
        self._forget_recent()

    # ------------------------------------------------------------------ applying events

    async def apply(self, event: Event, attempts: int = 20) -> Change | None:
        """Project one event; None when it changes nothing (duplicate, stale, not allowed).
        Raises ``NotYet`` for an event ahead of its ``Received``."""
        if self._seen(event):
            return None
        for _ in range(attempts):
            try:
                change = await self._apply_once(event)
            except StoreConflict:
                continue  # another writer came first: read again, apply again
            self._remember(event)
            return change
        raise StoreConflict(f"{event.submission_id}: too many concurrent writers")

    async def _apply_once(self, event: Event) -> Change | None:
        """Read, apply, write with the revision read; ``StoreConflict`` if it moved since."""
        change, revision = project(await self.load(event.submission_id), event)
        if change is not None and not await self.save(change.record.to_document(), revision):
            raise StoreConflict(event.submission_id)
        return change

    #: (submission, version, type, event id) this process applied lately: the projector
    #: then skips, without a read, the events the API has just applied (apply_on_accept)
    _recent: OrderedDict[tuple[str, int, str, str], None]

    def _seen(self, event: Event) -> bool:
        recent = self.__dict__.setdefault("_recent", OrderedDict())
        return (event.submission_id, event.version, event.type, event.event_id) in recent

    def _remember(self, event: Event) -> None:
        recent = self.__dict__.setdefault("_recent", OrderedDict())
        recent[(event.submission_id, event.version, event.type, event.event_id)] = None
        if len(recent) > 50_000:
            recent.popitem(last=False)

    def _forget_recent(self) -> None:
        self.__dict__.pop("_recent", None)
