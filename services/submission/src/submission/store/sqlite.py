"""SQLite adapter: one file, WAL, the stdlib driver on one dedicated thread.

One thread owns the connection, so calls are serialised without locks and the event loop
never blocks on disk. The document is kept as JSON beside a few indexed columns.

Group commit: callers queue operations; the thread takes every operation waiting and runs
them in one ``BEGIN ... COMMIT`` (each in its own savepoint, so one failing operation
undoes only its own writes), then hands each caller its result once the batch is
committed. Under load (the projector runs up to 64 handlers at once) this turns one
transaction and one executor hop per event into one per batch.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sdi_common.contracts import Event

from ..record import Change, Document, index_fields
from .base import EXACT_FILTERS, After, Filters, Store, StoreConflict, project

T = TypeVar("T")

#: bumped when the indexed columns change: the store, a projection, is then emptied and
#: rebuilt from the stream at start (REBUILD_IF_EMPTY) rather than migrated
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    rev INTEGER NOT NULL,
    status TEXT NOT NULL,
    department TEXT,
    kind TEXT,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    contact_erased INTEGER NOT NULL DEFAULT 0,
    email_lookup TEXT,
    import_key TEXT,
    doc BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_status_dep ON submissions (status, department);
CREATE INDEX IF NOT EXISTS submissions_order ON submissions (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS submissions_email ON submissions (email_lookup)
    WHERE email_lookup IS NOT NULL;
CREATE INDEX IF NOT EXISTS submissions_import ON submissions (import_key)
    WHERE import_key IS NOT NULL;
"""


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _where(filters: Filters, cursor: After | None) -> tuple[str, list[Any]]:
    clauses, args = [], []
    for column in EXACT_FILTERS:
        value = getattr(filters, column)
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if filters.q:
        for word in filters.q.split():
            clauses.append("title LIKE ? ESCAPE '\\'")
            args.append(_like(word))
    if cursor:
        clauses.append("(created_at < ? OR (created_at = ? AND id < ?))")
        args.extend([cursor[0], cursor[0], cursor[1]])
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


_Op = tuple[Callable[[sqlite3.Connection], Any], asyncio.AbstractEventLoop, asyncio.Future]
_STOP = None  # queued by close(): the thread finishes the batch before it, then exits


def _settle(done: list[tuple[asyncio.Future, Any, BaseException | None]]) -> None:
    """On the caller's loop: resolve the futures of one committed batch."""
    for future, result, error in done:
        if future.cancelled():
            continue
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)


class SqliteStore(Store):
    def __init__(self, path: Path):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._ops: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    thread = threading.Thread(target=self._serve, name="sqlite", daemon=True)
                    thread.start()
                    self._thread = thread
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._ops.put((fn, loop, future))
        return await future

    def _serve(self) -> None:
        """The database thread: run what is queued, a batch per transaction, until _STOP."""
        while True:
            first = self._ops.get()
            if first is _STOP:
                break
            batch = [first]
            stop = False
            while True:  # everything queued meanwhile joins this batch
                try:
                    op = self._ops.get_nowait()
                except queue.Empty:
                    break
                if op is _STOP:
                    stop = True
                    break
                batch.append(op)
            self._run_batch(batch)
            if stop:
                break
        if self._db is not None:
            self._db.close()
            self._db = None

    def _run_batch(self, batch: list[_Op]) -> None:
        outcomes: list[tuple[_Op, Any, BaseException | None]] = []
        db = None
        try:
            db = self._conn()
            # IMMEDIATE: take the write lock now, so a read-then-write cannot hit a
            # snapshot conflict with another process (busy_timeout waits for the lock)
            db.execute("BEGIN IMMEDIATE")
            for op in batch:
                db.execute("SAVEPOINT op")
                try:
                    outcomes.append((op, op[0](db), None))
                except Exception as exc:  # noqa: BLE001 - any failure undoes only this op
                    if db.in_transaction:
                        db.execute("ROLLBACK TO op")
                    outcomes.append((op, None, exc))
                if db.in_transaction:
                    db.execute("RELEASE op")
                else:  # SQLite rolled the whole transaction back (disk full, I/O error...)
                    lost = sqlite3.OperationalError("transaction rolled back by SQLite")
                    outcomes = [(o, None, e or lost) for o, _, e in outcomes]
                    db.execute("BEGIN IMMEDIATE")
            db.execute("COMMIT")
        except Exception as exc:  # noqa: BLE001 - nothing of this batch is committed: all of it fails
            if db is not None and db.in_transaction:
                db.rollback()
            failed = {id(o) for o, _, _ in outcomes}
            outcomes = [(o, None, e or exc) for o, _, e in outcomes]
            outcomes += [(o, None, exc) for o in batch if id(o) not in failed]
        by_loop: dict[asyncio.AbstractEventLoop, list] = {}
        for (_, loop, future), result, error in outcomes:
            by_loop.setdefault(loop, []).append((future, result, error))
        for loop, done in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, done)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                pass

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # durable enough: the stream is the truth
            db.execute("PRAGMA busy_timeout=5000")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                db.execute("DROP TABLE IF EXISTS submissions")  # rebuilt from the stream
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._db = db
        return self._db

    async def open(self) -> None:
        await self._run(lambda db: None)

    async def close(self) -> None:
        """Finish what is queued, close the connection, stop the thread."""
        thread = self._thread
        if thread is None:
            return
        self._ops.put(_STOP)
        await asyncio.to_thread(thread.join)
        self._thread = None

    @staticmethod
    def _load_here(db: sqlite3.Connection, submission_id: str) -> tuple[Document, int] | None:
        row = db.execute("SELECT doc, rev FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        return (orjson.loads(row[0]), row[1]) if row else None

    async def load(self, submission_id: str) -> tuple[Document, int] | None:
        return await self._run(lambda db: self._load_here(db, submission_id))

    async def save(self, doc: Document, revision: int | None) -> bool:
        return await self._run(lambda db: self._save_here(db, doc, revision))

    @staticmethod
    def _save_here(db: sqlite3.Connection, doc: Document, revision: int | None) -> bool:
        # the indexed columns are index_fields' keys, in its order (booleans as 0/1)
        fields = index_fields(doc)
        columns = [*fields, "doc"]
        values = [int(v) if isinstance(v, bool) else v for v in fields.values()]
        values.append(orjson.dumps(doc))
        if revision is None:
            cur = db.execute(
                f"INSERT OR IGNORE INTO submissions ({', '.join(columns)}, id, rev) "
                f"VALUES ({', '.join('?' * len(columns))}, ?, 1)",
                (*values, doc["id"]),
            )
        else:
            cur = db.execute(
                f"UPDATE submissions SET {', '.join(f'{c} = ?' for c in columns)}, "
                "rev = rev + 1 WHERE id = ? AND rev = ?",
                (*values, doc["id"], revision),
            )
        return cur.rowcount == 1

    async def _apply_once(self, event: Event) -> Change | None:
        """Read, apply and write in one trip to the database thread. Another process may
        still have written in between (``StoreConflict``: the base class retries)."""

        def _apply_here(db: sqlite3.Connection) -> Change | None:
            change, revision = project(self._load_here(db, event.submission_id), event)
            if change is not None and not self._save_here(db, change.record.to_document(),
                                                          revision):
                raise StoreConflict(event.submission_id)
            return change

        return await self._run(_apply_here)

    async def _find(self, filters: Filters, after: After | None, limit: int) -> list[Document]:
        where, args = _where(filters, after)

        def _select(db: sqlite3.Connection):
            return db.execute(
                f"SELECT doc FROM submissions{where} ORDER BY created_at DESC, id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()

        return [orjson.loads(row[0]) for row in await self._run(_select)]

    async def _scan(self, filters: Filters) -> AsyncIterator[Document]:
        after = None
        while True:
            docs = await self._find(filters, after, 500)
            for doc in docs:
                yield doc
            if len(docs) < 500:
                return
            after = (docs[-1]["created_at"], docs[-1]["id"])

    async def _clear(self) -> None:
        await self._run(lambda db: db.execute("DELETE FROM submissions"))

    async def count(self) -> int:
        return await self._run(lambda db: db.execute("SELECT count(*) FROM submissions").fetchone()[0])
