"""The running parts of one map-feed replica: the in-memory feed, its watcher, the SSE
broadcaster and (unless ``RUN_INDEXER=false``) the indexer.

Endpoints reach them through ``request.app.state.feed`` (the ``Replica`` dependency).
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request
from sdi_common import natsconn, topology
from sdi_common.contracts import Event, Published

from .feed_store import FeedStore, FeedWatcher
from .indexer import FeedIndexer
from .problems import Problem
from .settings import MapFeedSettings
from .sse import Broadcaster

log = structlog.get_logger(__name__)


class MapFeed:
    def __init__(self, settings: MapFeedSettings) -> None:
        self.settings = settings
        self.cache_headers = {"Cache-Control": settings.cache_control}
        self.store = FeedStore(
            change_log_size=settings.change_log_size,
            gzip_level=settings.gzip_level,
            snapshot_min_interval=settings.snapshot_min_interval,
            clusters_max_age=settings.clusters_max_age,
        )
        self.broadcaster = Broadcaster(
            max_clients=settings.sse_max_clients,
            queue_size=settings.sse_queue_size,
            heartbeat=settings.sse_heartbeat,
        )
        self.store.listeners.append(lambda change: self.broadcaster.publish(change.frame))
        self.nc = None
        self.watcher: FeedWatcher | None = None
        self.worker = None

    def ready(self) -> bool:
        if not (self.store.synced and self.nc is not None and self.nc.is_connected):
            return False
        return self.worker is None or self.worker.ready

    async def start(self) -> None:
        settings = self.settings
        self.nc = await natsconn.connect(
            settings, name=f"{settings.service_name}-watcher", on_reconnected=self._rewatch
        )
        js = self.nc.jetstream()
        kv = await js.key_value(topology.FEED_BUCKET.name)
        self.watcher = FeedWatcher(self.store, kv)
        await self.watcher.start()
        self.broadcaster.start()
        if settings.run_indexer:
            self.worker = self._indexer_worker(FeedIndexer(js, kv))
            await self.worker.start()
        log.info("map_feed.started", indexer=settings.run_indexer)

    async def _rewatch(self) -> None:
        if self.watcher is not None:
            await self.watcher.rewatch()

    def _indexer_worker(self, indexer: FeedIndexer):
        from sdi_common.worker import Worker

        worker = Worker(self.settings, topology.FEED_INDEXER, publishes={"published": Published})

        @worker.handler
        async def index(event: Event, ctx) -> None:
            result = await indexer.handle(event)
            if result.revision is not None:
                await worker.publish(
                    Published(
                        submission_id=event.submission_id,
                        version=event.version,
                        by="map-feed",
                        feed_revision=result.revision,
                    ),
                    ctx,
                )

        return worker

    async def stop(self) -> None:
        await self.broadcaster.stop()
        if self.worker is not None:
            await self.worker.stop()
        if self.watcher is not None:
            await self.watcher.stop()
        if self.nc is not None:
            await self.nc.close()


def current(request: Request) -> MapFeed:
    return request.app.state.feed


def synced_store(feed: Annotated[MapFeed, Depends(current)]) -> FeedStore:
    """The feed, once the watcher has delivered the bucket's content (503 before)."""
    if not feed.store.synced:
        raise Problem(
            503,
            "Flux en cours de chargement",
            "Réessayez dans un instant.",
            headers={"Retry-After": "2"},
        )
    return feed.store


Replica = Annotated[MapFeed, Depends(current)]
Store = Annotated[FeedStore, Depends(synced_store)]
