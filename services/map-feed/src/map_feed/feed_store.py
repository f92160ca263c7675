"""The whole feed in memory, kept in step with the ``FEED`` bucket by a per-replica watcher.

Each replica watches every key of the bucket (an ordered, ephemeral consumer: fan-out,
never the indexer's shared durable). The store keeps one ``FeedEntry`` per event — the
feature's serialized bytes plus the few fields filters need — and builds the full
collection lazily, once per revision. Recent changes are kept for SSE resume.

The bucket keeps one revision per key (history 1): a value replaced before the watcher
received it is gone from the stream, so a burst on one key can skip intermediate
revisions. Every message is a whole state, so the store (and SSE clients) still converge.

The tombstones are in the bucket too (the indexer never purges them): from them every
replica knows, also after a restart, which events were withdrawn (``withdrawn``), so
that their public page answers 410 Gone rather than 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter

import nats.errors
import numpy as np
import orjson
import structlog
from sdi_common.text import fold

from .clusters import GridIndex
from .features import WITHDRAWN, dumps, read_tombstone, upgrade
from .filters import FeedQuery

#: feeds larger than this build their derived representations in a thread
THREAD_THRESHOLD = 2_000

log = structlog.get_logger(__name__)

COLLECTION_HEAD = b'{"type":"FeatureCollection","features":['
KV_DELETE_OPS = frozenset({"DEL", "PURGE"})


@dataclass(slots=True)
class FeedEntry:
    id: str
    revision: int
    body: bytes  # the Feature, serialized
    lon: float | None
    lat: float | None
    kind: str
    audiences: frozenset[str]
    department: str | None
    region: str | None
    starts: float
    ends: float
    online: bool
    text: str  # folded title, description, organiser, place: for ``q``
    sort_key: tuple = ()
    #: every timing, (start, end) in epoch seconds: the date filters match any of them
    spans: tuple[tuple[float, float], ...] = ()
    accessibility: frozenset[str] = frozenset()

    @classmethod
    def from_bytes(cls, key: str, revision: int, body: bytes) -> FeedEntry:
        feature = orjson.loads(body)
        p = feature["properties"]
        if "timings" not in p:  # written before contract version 2
            body = dumps(upgrade(feature))
        coords = (feature.get("geometry") or {}).get("coordinates")
        spans = tuple((datetime.fromisoformat(t["starts_at"]).timestamp(),
                       datetime.fromisoformat(t["ends_at"]).timestamp()) for t in p["timings"])
        starts = min(start for start, _ in spans)
        text = " ".join(
            v
            for v in (
                p.get("title"),
                p.get("description"),
                p.get("organizer_name"),
                p.get("venue"),
                p.get("city"),
            )
            if v
        )
        return cls(
            id=key,
            revision=revision,
            body=body,
            lon=coords[0] if coords else None,
            lat=coords[1] if coords else None,
            kind=p.get("kind"),
            audiences=frozenset(p.get("audiences") or ()),
            department=p.get("department"),
            region=p.get("region"),
            starts=starts,
            ends=max(end for _, end in spans),
            online=bool(p.get("online")),
            text=fold(text),
            sort_key=(starts, key),
            spans=spans,
            accessibility=frozenset(p.get("accessibility_codes") or ()),
        )


@dataclass(slots=True)
class Change:
    revision: int
    op: str  # "upsert" | "delete"
    id: str
    frame: bytes  # the Server-Sent Event, ready to write


def sse_frame(event: str, revision: int, data: bytes) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (revision, event.encode(), data)


def collection(bodies, revision: int) -> bytes:
    """A FeatureCollection from serialized features (``revision``: a foreign member)."""
    return b"".join((COLLECTION_HEAD, b",".join(bodies), b'],"revision":%d}' % revision))


class Representation:
    """A response body at one revision, with its ETag and a gzip variant made once."""

    def __init__(self, body: bytes, etag: str, revision: int, gzip_level: int = 6) -> None:
        self.body = body
        self.etag = etag  # quoted, e.g. '"r42"'
        self.gzip_etag = etag[:-1] + '-gz"'
        self.etag_bytes = etag.encode()
        self.gzip_etag_bytes = self.gzip_etag.encode()
        self.revision = revision
        self.gzip_level = gzip_level
        self._gz: bytes | None = None
        self._gz_task: asyncio.Future[bytes] | None = None
        self.built_at = time.monotonic()

    def _compress(self) -> bytes:
        z = zlib.compressobj(self.gzip_level, zlib.DEFLATED, 31)
        return z.compress(self.body) + z.flush()

    async def gzipped(self) -> bytes:
        """Compressed once, off the event loop when large; concurrent callers share it."""
        if self._gz is not None:
            return self._gz
        if len(self.body) < 256 * 1024:
            self._gz = self._compress()
            return self._gz
        if self._gz_task is None:
            self._gz_task = asyncio.ensure_future(asyncio.to_thread(self._compress))
        self._gz = await asyncio.shield(self._gz_task)
        return self._gz


class FeedStore:
    def __init__(
        self,
        *,
        change_log_size: int = 10_000,
        gzip_level: int = 6,
        snapshot_min_interval: float = 0.0,
        max_zoom: int = 16,
        clusters_max_age: float = 0.0,
    ) -> None:
        self.entries: dict[str, FeedEntry] = {}
        #: ids whose latest state in the bucket is a withdrawal's tombstone
        self.withdrawn: set[str] = set()
        self.revision = 0
        self.synced = False
        self.change_log_size = change_log_size
        self.gzip_level = gzip_level
        #: the full collection is rebuilt at most this often (seconds) under a burst of changes
        self.snapshot_min_interval = snapshot_min_interval
        self.log: deque[Change] = deque()
        #: the log holds every change with a revision above this one
        self.log_floor = 0
        self.listeners: list[Callable[[Change], None]] = []
        self.grid = GridIndex(max_zoom=max_zoom, max_age=clusters_max_age)
        self._ordered: list[FeedEntry] | None = None
        self._snapshot: Representation | None = None
        self._cache: dict[tuple, Representation] = {}

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------------ applying the bucket

    def apply(self, key: str, revision: int, value: bytes | None, operation: str | None) -> None:
        """Apply one bucket entry; entries arrive in revision order (a restarted watch
        replays the current state first: what we have seen already is skipped)."""
        if revision <= self.revision:
            return
        self.revision = revision
        if operation in KV_DELETE_OPS:
            if read_tombstone(value).get("reason") == WITHDRAWN:
                self.withdrawn.add(key)
            else:
                self.withdrawn.discard(key)
            if self.entries.pop(key, None) is None:
                return  # a tombstone of an event we never showed
            self.grid.remove(key)
            change = Change(
                revision, "delete", key, sse_frame("delete", revision, orjson.dumps({"id": key}))
            )
        else:
            try:
                entry = FeedEntry.from_bytes(key, revision, value or b"")
            except (ValueError, KeyError, TypeError) as exc:
                log.error("feed.bad_entry", key=key, revision=revision, error=repr(exc))
                return
            self.entries[key] = entry
            self.withdrawn.discard(key)
            if entry.lon is None:
                self.grid.remove(key)
            else:
                self.grid.put(key, entry.lon, entry.lat)
            change = Change(revision, "upsert", key, sse_frame("upsert", revision, entry.body))
        self._ordered = None
        self._cache.clear()
        if not self.synced:
            return
        self.log.append(change)
        while len(self.log) > self.change_log_size:
            self.log_floor = self.log.popleft().revision
        for listener in self.listeners:
            listener(change)

    def mark_synced(self) -> None:
        """The watcher delivered the bucket's initial content: from now on, log changes."""
        if not self.synced:
            self.synced = True
            self.log_floor = self.revision
            # The feed's objects live until replaced: keep the cyclic GC from walking them.
            gc.collect()
            gc.freeze()
            log.info("feed.synced", events=len(self.entries), revision=self.revision)

    def changes_since(self, revision: int) -> list[Change] | None:
        """Changes after ``revision``, or None when the gap is older than the log (reset)."""
        if revision < self.log_floor:
            return None
        if not self.log or revision >= self.log[-1].revision:
            return []
        return [c for c in self.log if c.revision > revision]

    # ------------------------------------------------------------------ reading

    def ordered(self) -> list[FeedEntry]:
        """Entries by start time then id: the same bytes on every replica at one revision."""
        if self._ordered is None:
            self._ordered = sorted(self.entries.values(), key=attrgetter("sort_key"))
        return self._ordered

    def select(self, query: FeedQuery) -> list[FeedEntry]:
        entries = self.ordered()
        if query.is_empty:
            return entries
        return [e for e in entries if query.matches(e)]

    def snapshot(self, force: bool = False) -> Representation:
        """The unfiltered collection at the current revision (rebuilt lazily, throttled)."""
        snap = self._snapshot
        if snap is not None and (
            snap.revision == self.revision
            or (not force and time.monotonic() - snap.built_at < self.snapshot_min_interval)
        ):
            return snap
        body = collection([e.body for e in self.ordered()], self.revision)
        self._snapshot = Representation(body, f'"r{self.revision}"', self.revision, self.gzip_level)
        return self._snapshot

    def _cache_key(self, kind: str, query: FeedQuery) -> tuple:
        return (kind, query.key())

    def cached_if_present(self, kind: str, query: FeedQuery) -> Representation | None:
        return self._cache.get(self._cache_key(kind, query))

    def remember(self, kind: str, query: FeedQuery, body: bytes, revision: int) -> Representation:
        """Keep a representation built (elsewhere) from the feed at ``revision``."""
        cache_key = self._cache_key(kind, query)
        digest = zlib.crc32(repr(cache_key).encode()) & 0xFFFFFFFF
        rep = Representation(body, f'"r{revision}-{kind}-{digest:08x}"', revision, self.gzip_level)
        if revision == self.revision:  # not if the feed changed meanwhile
            if len(self._cache) >= 128:
                self._cache.pop(next(iter(self._cache)))
            self._cache[cache_key] = rep
        return rep

    async def derived(
        self, kind: str, query: FeedQuery, build: Callable[[list[FeedEntry]], bytes]
    ) -> Representation:
        """A derived representation (filtered feed, export) cached until the next change;
        built in a thread when the feed is large, so that the event loop keeps serving."""
        revision = self.revision  # read first: the ETag must not claim a newer feed than built
        rep = self.cached_if_present(kind, query)
        if rep is None:
            entries = self.select(query)
            if len(self) <= THREAD_THRESHOLD:
                body = build(entries)
            else:
                body = await asyncio.to_thread(build, entries)
            rep = self.remember(kind, query, body, revision)
        return rep

    def slot_mask(self, query: FeedQuery) -> np.ndarray | None:
        """For filtered clusters: which grid slots pass the query."""
        if query.is_empty:
            return None
        mask = np.zeros(self.grid.size, dtype=bool)
        for e in self.entries.values():
            if e.lon is not None and query.matches(e):
                slot = self.grid.slot_of(e.id)
                if slot is not None:
                    mask[slot] = True
        return mask


class FeedWatcher:
    """Feeds a ``FeedStore`` from a KV watcher; restarts the watch if it ever ends."""

    def __init__(self, store: FeedStore, kv) -> None:
        self.store = store
        self.kv = kv
        self._task: asyncio.Task | None = None
        self._watcher = None

    async def start(self) -> None:
        self._watcher = await self.kv.watchall()
        self._task = asyncio.create_task(self._run(), name="feed-watcher")

    async def _run(self) -> None:
        store = self.store
        while True:
            async for entry in self._watcher:
                if entry is None:
                    store.mark_synced()
                    continue
                store.apply(entry.key, entry.revision, entry.value, entry.operation)
            if self._task is None:
                return
            log.warning("feed.watch_ended_restarting")
            while self._task is not None:
                await asyncio.sleep(1)
                try:
                    self._watcher = await self.kv.watchall()
                    break
                except nats.errors.Error as exc:  # NATS still coming back: try again
                    log.warning("feed.watch_restart_failed", error=repr(exc))

    async def rewatch(self) -> None:
        """Watch afresh (after a reconnection: the server may have lost the watch's
        ephemeral consumer, and nats-py notices only after two missed heartbeats)."""
        if self._task is not None and self._watcher is not None:
            log.info("feed.rewatch")
            with contextlib.suppress(nats.errors.Error):
                await self._watcher.stop()  # ends the loop in _run, which watches again

    async def stop(self) -> None:
        task, self._task = self._task, None
        if self._watcher is not None:
            with contextlib.suppress(nats.errors.Error):  # the connection may be closed already
                await self._watcher.stop()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
