"""The store: a projection of the lifecycle events, one document per submission.

Adapters implement a handful of primitives (load/save with a revision check, list, scan,
clear); the projection itself (``projection.apply``) and the retry on a concurrent write
live here, once. Several replicas may project the same submission at the same time: the
revision check makes the second writer reload and re-apply.
"""

from __future__ import annotations

import base64
import binascii
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson
from sdi_common.contracts import Event

from ..projection import Doc, Outcome, apply


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    department: str | None = None
    kind: str | None = None
    q: str | None = None  # words of the title


@dataclass(frozen=True)
class Page:
    items: list[Doc]
    next_cursor: str | None


def encode_cursor(doc: Doc) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([doc["created_at"], doc["id"]])).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    """(created_at, id) of the last item of the previous page; ValueError if malformed."""
    try:
        created_at, ident = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error):  # orjson.JSONDecodeError is a ValueError
        raise ValueError("bad cursor") from None
    if not isinstance(created_at, str) or not isinstance(ident, str):
        raise ValueError("bad cursor")  # noqa: TRY004 - callers answer 400 on ValueError
    return created_at, ident


class StoreConflict(Exception):
    pass


class Store(ABC):
    """Documents are returned newest first: by ``created_at`` then ``id``, descending."""

    async def open(self) -> None:
        pass

    async def close(self) -> None:
        pass

    @abstractmethod
    async def load(self, submission_id: str) -> tuple[Doc, int] | None:
        """The document and its revision."""

    @abstractmethod
    async def save(self, doc: Doc, revision: int | None) -> bool:
        """Write ``doc`` if its stored revision is still ``revision`` (None: must not exist).
        False when another writer came first."""

    @abstractmethod
    async def list(self, filters: Filters, *, cursor: str | None, limit: int) -> Page: ...

    @abstractmethod
    def scan(self, filters: Filters) -> AsyncIterator[Doc]:
        """Every matching document, newest first (exports, retention)."""

    async def clear(self) -> None:
        """Drop every document (before a rebuild); every event must then be applied again."""
        await self._clear()
        self._forget_recent()

    @abstractmethod
    async def _clear(self) -> None: ...

    @abstractmethod
    async def count(self) -> int: ...

    async def get(self, submission_id: str) -> Doc | None:
        found = await self.load(submission_id)
        return found[0] if found else None

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

    async def apply(self, event: Event, attempts: int = 20) -> Outcome | None:
        """Project one event; None when it changes nothing (duplicate, stale, not allowed)."""
        if self._seen(event):
            return None
        outcome = await self._apply(event, attempts)
        self._remember(event)
        return outcome

    async def _apply(self, event: Event, attempts: int) -> Outcome | None:
        for _ in range(attempts):
            found = await self.load(event.submission_id)
            doc, revision = found if found else (None, None)
            outcome = apply(doc, event)
            if outcome is None:
                return None
            if await self.save(outcome.doc, revision):
                return outcome
        raise StoreConflict(f"{event.submission_id}: too many concurrent writers")


def summary_fields(doc: Doc) -> dict[str, Any]:
    """The indexed columns/fields, derived from the document."""
    return {
        "status": doc["status"],
        "department": doc.get("department"),
        "kind": doc.get("kind"),
        "title": doc.get("title") or "",
        "created_at": doc["created_at"],
        "contact_erased": bool(doc.get("contact_erased")),
    }
