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

from sdi_common.contracts import Event, Kind, Status

from ..record import Change, Document, SubmissionRecord, apply

#: (created_at, id) of the last record of the previous page
After = tuple[str, str]


@dataclass(frozen=True)
class Filters:
    status: Status | None = None
    department: str | None = None
    kind: Kind | None = None
    q: str | None = None  # words of the title
    email_lookup: str | None = None  # the submissions of one address (sealing.email_lookup)
    import_key: str | None = None  # an imported event (sealing.import_key)


#: the filters that match an indexed column exactly
EXACT_FILTERS = ("status", "department", "kind", "email_lookup", "import_key")


@dataclass(frozen=True)
class Page:
    items: list[SubmissionRecord]
    next_cursor: str | None


def encode_cursor(doc: Document) -> str:
    """The position after the last record of a page: ``<created_at>_<id>``. Any such text is
    a position (records are ordered by that pair, compared as text), so a cursor never
    needs decoding and can never be stale."""
    return f"{doc['created_at']}_{doc['id']}"


def decode_cursor(cursor: str) -> After:
    """(created_at, id) of the last item of the previous page; ValueError if malformed."""
    created_at, sep, ident = cursor.rpartition("_")
    if not (sep and created_at and ident):
        raise ValueError("bad cursor")
    return created_at, ident


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
    async def _find(self, filters: Filters, after: After | None, limit: int) -> list[Document]:
        """Up to ``limit`` matching documents after ``after``, newest first."""

    @abstractmethod
    def _scan(self, filters: Filters) -> AsyncIterator[Document]:
        """Every matching document, newest first."""

    @abstractmethod
    async def _clear(self) -> None: ...

    @abstractmethod
    async def count(self) -> int: ...

    # ------------------------------------------------------------------ records

    async def get(self, submission_id: str) -> SubmissionRecord | None:
        found = await self.load(submission_id)
        return SubmissionRecord.from_document(found[0]) if found else None

    async def list(self, filters: Filters, *, cursor: str | None, limit: int) -> Page:
        """One page; ValueError for a malformed cursor."""
        after = decode_cursor(cursor) if cursor else None
        docs = await self._find(filters, after, limit + 1)
        more = len(docs) > limit
        docs = docs[:limit]
        return Page([SubmissionRecord.from_document(d) for d in docs],
                    encode_cursor(docs[-1]) if more and docs else None)

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
