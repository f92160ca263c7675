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

from ..record import INDEX_FIELDS, Change, Document, index_fields
from .base import (
    EXACT_FILTERS,
    NEWEST,
    After,
    Filters,
    Order,
    Store,
    StoreConflict,
    countable,
    project,
)

T = TypeVar("T")

#: bumped when the indexed columns change: the store, a projection, is then emptied and
#: rebuilt from the stream at start (REBUILD_IF_EMPTY) rather than migrated
SCHEMA_VERSION = 4

#: the SQLite type of each index field (record.INDEX_FIELDS); a test checks they agree
COLUMNS = {"status": "TEXT NOT NULL", "department": "TEXT", "region": "TEXT", "kind": "TEXT",
           "title": "TEXT NOT NULL", "created_at": "TEXT NOT NULL", "received_at": "TEXT",
           "contact_erased": "INTEGER NOT NULL DEFAULT 0", "email_lookup": "TEXT",
           "import_key": "TEXT",
           "queue_rank": "INTEGER", "edition": "TEXT", "audience_mask": "INTEGER",
           "precision": "TEXT", "decided_at": "TEXT", "decided_by": "TEXT",
           "created_day": "TEXT", "decision_seconds": "INTEGER"}

_TABLE = (
    "CREATE TABLE IF NOT EXISTS submissions (\n    id TEXT PRIMARY KEY,\n    rev INTEGER NOT NULL,\n"
    + "".join(f"    {c} {t},\n" for c, t in COLUMNS.items())
    + "    doc BLOB NOT NULL\n);"
)
_INDEXES = """
CREATE INDEX IF NOT EXISTS submissions_status_dep ON submissions (status, department);
CREATE INDEX IF NOT EXISTS submissions_order ON submissions (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS submissions_email ON submissions (email_lookup)
    WHERE email_lookup IS NOT NULL;
CREATE INDEX IF NOT EXISTS submissions_queue ON submissions (queue_rank, received_at, id);
CREATE INDEX IF NOT EXISTS submissions_region ON submissions (region, status);
-- the queue's counts under any of its filters, from the index alone
CREATE INDEX IF NOT EXISTS queue_counts ON submissions (status, region, department, kind, title);
-- the statistics: each count reads one of these alone (the places' in order, no sort)
CREATE INDEX IF NOT EXISTS stats_places
    ON submissions (edition, status, region, department, kind, precision);
CREATE INDEX IF NOT EXISTS stats_others ON submissions
    (edition, created_day, decided_by, decision_seconds, audience_mask, region, department);
CREATE INDEX IF NOT EXISTS submissions_import ON submissions (import_key)
    WHERE import_key IS NOT NULL;
"""


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _in(column: str, values: frozenset[str], args: list[Any]) -> str:
    args.extend(sorted(values))
    return f"{column} IN ({', '.join('?' * len(values))})"


def _where(filters: Filters, cursor: After | None = None, order: Order = NEWEST,
           covering: bool = False) -> tuple[str, list[Any]]:
    """The WHERE clause of a filter (and the position after a cursor). ``covering``: a
    count, which reads a covering index whole; the scope's terms then must not make SQLite
    prefer the région index and read thousands of rows instead (a unary ``+``)."""
    clauses, args = [], []
    for column in EXACT_FILTERS:
        value = getattr(filters, column)
        if value:
            clauses.append(f"{column} = ?")
            args.append(value)
    if filters.needs_person:
        clauses.append("queue_rank = 0")
    if filters.q:
        for word in filters.q.split():
            clauses.append("title LIKE ? ESCAPE '\\'")
            args.append(_like(word))
    scope = filters.scope
    if not scope.national:
        either = [_in(("+" if covering else "") + column, codes, args)
                  for column, codes in (("region", scope.regions), ("department", scope.departments))
                  if codes]
        clauses.append(f"({' OR '.join(either)})")
    if cursor:
        keys = ", ".join(order.keys)
        clauses.append(f"({keys}) {'<' if order.descending else '>'} ({', '.join('?' * len(cursor))})")
        args.extend(cursor)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _values(fields: dict[str, Any]) -> list[Any]:
    return [int(fields[f]) if isinstance(fields[f], bool) else fields[f] for f in INDEX_FIELDS]


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
            db.executescript(_TABLE + _INDEXES)
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

    _INSERT = (f"INSERT OR IGNORE INTO submissions ({', '.join(INDEX_FIELDS)}, doc, id, rev) "
               f"VALUES ({', '.join('?' * len(INDEX_FIELDS))}, ?, ?, 1)")
    _UPDATE = (f"UPDATE submissions SET {', '.join(f'{f} = ?' for f in INDEX_FIELDS)}, "
               "doc = ?, rev = rev + 1 WHERE id = ? AND rev = ?")

    @classmethod
    def _save_here(cls, db: sqlite3.Connection, doc: Document, revision: int | None) -> bool:
        values = (*_values(index_fields(doc)), orjson.dumps(doc), doc["id"])
        if revision is None:
            cur = db.execute(cls._INSERT, values)
        else:
            cur = db.execute(cls._UPDATE, (*values, revision))
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

    async def _find(self, filters: Filters, after: After | None, limit: int,
                    order: Order = NEWEST) -> list[Document]:
        where, args = _where(filters, after, order)
        direction = " DESC" if order.descending else ""
        sort = ", ".join(k + direction for k in order.keys)

        def _select(db: sqlite3.Connection):
            return db.execute(
                f"SELECT doc FROM submissions{where} ORDER BY {sort} LIMIT ?", (*args, limit)
            ).fetchall()

        return [orjson.loads(row[0]) for row in await self._run(_select)]

    async def count_by(self, filters: Filters, *fields: str) -> dict[tuple[Any, ...], int]:
        where, args = _where(filters, covering=True)
        columns = ", ".join(countable(fields))
        sql = f"SELECT {columns}, count(*) FROM submissions{where} GROUP BY {columns}"
        rows = await self._run(lambda db: db.execute(sql, args).fetchall())
        return {tuple(row[:-1]): row[-1] for row in rows}

    async def _scan(self, filters: Filters) -> AsyncIterator[Document]:
        after = None
        while True:
            docs = await self._find(filters, after, 500)
            for doc in docs:
                yield doc
            if len(docs) < 500:
                return
            after = NEWEST.after(NEWEST.cursor(docs[-1]))

    async def _clear(self) -> None:
        await self._run(lambda db: db.execute("DELETE FROM submissions"))

    async def count(self) -> int:
        return await self._run(lambda db: db.execute("SELECT count(*) FROM submissions").fetchone()[0])
