"""The map-feed HTTP service: the live feed, its stream, clusters, exports and the widget.

Everything is answered from memory (``FeedStore``), kept in step with the ``FEED`` bucket
by this replica's own watcher. The indexer (the shared durable consumer that writes
the bucket) runs in the same process unless ``RUN_INDEXER=false``.
"""

from __future__ import annotations

import dataclasses
import html
import os
import zlib
from contextlib import asynccontextmanager
from typing import Any

import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from prometheus_client import Gauge
from sdi_common import natsconn, topology
from sdi_common.contracts import Event, Published
from sdi_common.http import create_app, problem
from sdi_common.security import SecurityHeaders
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.staticfiles import StaticFiles

from . import exports
from .fast_path import FeedFastPath
from .feed_store import FeedStore, FeedWatcher, Representation, collection, sse_frame
from .filters import OPENAPI_CLUSTERS, OPENAPI_FILTERS, FeedQuery, InvalidQuery, parse_query
from .http_cache import represent
from .indexer import FeedIndexer
from .security import html_headers
from .settings import MapFeedSettings
from .sse import Broadcaster, EventStreamResponse

log = structlog.get_logger(__name__)

FEED_REVISION = Gauge("mapfeed_feed_revision", "Last FEED bucket revision applied in memory")
FEED_EVENTS = Gauge("mapfeed_feed_events", "Events in the in-memory feed")

GEOJSON = "application/geo+json"
MAX_ZOOM = 22
#: the open-data exports: served at /v1/feed.<kind>, as semaine-industrie.<kind>
EXPORTS = (
    ("csv", exports.to_csv, "text/csv; charset=utf-8", "The events as CSV (UTF-8, header row)"),
    ("ics", exports.to_ics, "text/calendar; charset=utf-8", "The events as iCalendar (RFC 5545)"),
    ("jsonld", exports.to_jsonld, "application/ld+json", "The events as schema.org/Event JSON-LD"),
)


class WidgetFiles(StaticFiles):
    """The widget's built files: a clear 404 while they are not built; hashed assets cached."""

    async def check_config(self) -> None:
        if not os.path.isdir(self.directory or ""):
            raise HTTPException(404, "Le widget n'a pas été construit.")
        await super().check_config()

    def file_response(self, full_path, stat_result, scope, status_code=200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if "/assets/" in str(full_path):  # content-hashed names (the build's esbuild)
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "public, max-age=300"
        return response


class MapFeed:
    """The running parts of one replica."""

    def __init__(self, settings: MapFeedSettings) -> None:
        self.settings = settings
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


def build_app(settings: MapFeedSettings | None = None) -> FastAPI:
    settings = settings or MapFeedSettings()
    feed = MapFeed(settings)
    store = feed.store

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await feed.start()
        try:
            yield
        finally:
            await feed.stop()

    app = create_app(
        title="Semaine de l'industrie — map-feed",
        settings=settings,
        lifespan=lifespan,
        ready=feed.ready,
        docs_url=None,  # Swagger UI would load from a CDN; /openapi.json stays
        redoc_url=None,
    )
    app.state.feed = feed
    FEED_REVISION.set_function(lambda: store.revision)
    FEED_EVENTS.set_function(lambda: len(store))
    app.add_middleware(SecurityHeaders, html=html_headers(settings.tile_origin))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "OPTIONS"],
            allow_headers=["If-None-Match", "Last-Event-ID", "Accept", "Accept-Encoding"],
            expose_headers=["ETag", "X-Feed-Revision"],
            max_age=3600,
        )
    cache_headers = {"Cache-Control": settings.cache_control}

    def query_of(request: Request) -> FeedQuery | Response:
        try:
            return parse_query(request.query_params)
        except InvalidQuery as exc:
            return problem(422, "Requête invalide", str(exc), errors=exc.errors)

    def not_synced() -> Response | None:
        if store.synced:
            return None
        return problem(
            503,
            "Flux en cours de chargement",
            "Réessayez dans un instant.",
            headers={"Retry-After": "2"},
        )

    # ------------------------------------------------------------------ feed

    @app.get(
        "/v1/feed",
        openapi_extra={"parameters": OPENAPI_FILTERS},
        tags=["feed"],
        summary="The events as a GeoJSON FeatureCollection",
    )
    async def get_feed(request: Request) -> Response:
        if (busy := not_synced()) is not None:
            return busy
        query = query_of(request)
        if isinstance(query, Response):
            return query
        if query.is_empty:
            rep = store.snapshot()
        else:
            # read now, not in the builder's thread: the body's revision matches its ETag
            revision = store.revision
            rep = await store.derived(
                "feed", query, lambda es: collection([e.body for e in es], revision)
            )
        return await represent(request, rep, GEOJSON, cache_headers)

    def export_endpoint(kind: str, to_bytes, media_type: str):
        filename = f"semaine-industrie.{kind}"

        async def endpoint(request: Request) -> Response:
            if (busy := not_synced()) is not None:
                return busy
            query = query_of(request)
            if isinstance(query, Response):
                return query
            rep = await store.derived(kind, query, lambda es: to_bytes(e.body for e in es))
            headers = {**cache_headers, "Content-Disposition": f'inline; filename="{filename}"'}
            return await represent(request, rep, media_type, headers)

        return endpoint

    for kind, to_bytes, media_type, summary in EXPORTS:
        app.add_api_route(
            f"/v1/feed.{kind}",
            export_endpoint(kind, to_bytes, media_type),
            methods=["GET"],
            name=f"get_{kind}",
            openapi_extra={"parameters": OPENAPI_FILTERS},
            tags=["exports"],
            summary=summary,
        )

    # ------------------------------------------------------------------ stream

    def reset_frames() -> list[bytes]:
        """A snapshot, then whatever changed since it was made (it may be a little older)."""
        snap = store.snapshot()
        later = store.changes_since(snap.revision)
        if later is None:  # too old to catch up: a fresh one
            snap = store.snapshot(force=True)
            later = []
        return [sse_frame("reset", snap.revision, snap.body), *(c.frame for c in later)]

    @app.get("/v1/feed/stream", tags=["feed"], summary="Live changes as Server-Sent Events")
    async def get_stream(request: Request, since: str | None = None) -> Any:
        raw = request.headers.get("last-event-id") or since
        resume: int | None = None
        if raw is not None and raw != "":
            try:
                resume = int(raw)
                if resume < 0:
                    raise ValueError
            except ValueError:
                return problem(
                    422,
                    "Requête invalide",
                    "Last-Event-ID / since : un entier positif",
                    errors=[
                        {
                            "field": "since",
                            "code": "invalid_revision",
                            "message": "attendu : une révision du flux (entier ≥ 0)",
                        }
                    ],
                )
        if (busy := not_synced()) is not None:
            return busy
        client = feed.broadcaster.connect()
        if client is None:
            return problem(
                503,
                "Trop de connexions",
                "Ce serveur est complet ; réessayez plus tard.",
                headers={"Retry-After": "10"},
            )
        # Registered before reading the log, with no await in between: nothing is missed.
        first: list[bytes] = []
        if resume is not None:
            changes = store.changes_since(resume)
            if changes is None:
                first = reset_frames()
            else:
                first = [c.frame for c in changes]
        headers = {
            "Cache-Control": "no-cache, no-transform",
            "X-Accel-Buffering": "no",
            "X-Feed-Revision": str(store.revision),
        }
        return EventStreamResponse(feed.broadcaster, client, first, headers)

    # ------------------------------------------------------------------ clusters

    @app.get(
        "/v1/feed/clusters",
        openapi_extra={"parameters": OPENAPI_CLUSTERS},
        tags=["feed"],
        summary="Clusters of events for a map view",
    )
    async def get_clusters(request: Request) -> Response:
        if (busy := not_synced()) is not None:
            return busy
        errors = []
        try:
            zoom = int(request.query_params.get("zoom", ""))
            if not 0 <= zoom <= MAX_ZOOM:
                raise ValueError
        except ValueError:
            errors.append(
                {"field": "zoom", "code": "invalid_zoom", "message": f"entier de 0 à {MAX_ZOOM}"}
            )
        query = query_of(request)
        if isinstance(query, Response):
            return query
        if query.bbox is None:  # absent, or only separators ("bbox=,")
            errors.insert(
                0, {"field": "bbox", "code": "missing", "message": "bbox=ouest,sud,est,nord est requis"}
            )
        if errors:
            return problem(
                422, "Requête invalide", "; ".join(e["message"] for e in errors), errors=errors
            )
        bbox = query.bbox
        filters = dataclasses.replace(query, bbox=None)
        mask = store.slot_mask(filters)
        clusters, point_ids = store.grid.query(bbox, zoom, mask)
        parts = [
            orjson.dumps(
                {
                    "type": "Feature",
                    "id": f"cluster-{zoom}-{key}",
                    "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                    "properties": {
                        "cluster": True,
                        "point_count": count,
                        "expansion_zoom": expansion,
                    },
                }
            )
            for key, lon, lat, count, expansion in clusters
        ]
        parts.extend(store.entries[i].body for i in point_ids if i in store.entries)
        digest = zlib.crc32(str(request.query_params).encode()) & 0xFFFFFFFF
        rep = Representation(
            collection(parts, store.revision),
            f'"r{store.revision}-z-{digest:08x}"',
            store.revision,
            gzip_level=1,
        )
        return await represent(request, rep, GEOJSON, cache_headers)

    # ------------------------------------------------------------------ widget

    static_dir = settings.static_dir
    index = static_dir / "widget" / "index.html"

    @app.get("/widget", include_in_schema=False)
    async def widget() -> Response:
        if not index.is_file():
            return problem(404, "Widget absent", "Le widget n'a pas été construit (make assets).")
        # The configured tiles (the ones the CSP allows) go to the page as <body data-tiles>.
        page = index.read_text(encoding="utf-8").replace(
            'data-tiles=""', f'data-tiles="{html.escape(settings.tile_url, quote=True)}"', 1
        )
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    app.mount("/static", WidgetFiles(directory=static_dir, check_dir=False), name="static")
    return app


def build_asgi(settings: MapFeedSettings | None = None) -> FeedFastPath:
    """What uvicorn serves: the app behind the unfiltered-feed fast path (fast_path.py)."""
    settings = settings or MapFeedSettings()
    app = build_app(settings)
    return FeedFastPath(app, feed=app.state.feed, cache_control=settings.cache_control)
