"""The map-feed HTTP service: the live feed, its stream, clusters, exports, the events'
public pages and the widget.

Everything is answered from memory (``FeedStore``), kept in step with the ``FEED`` bucket
by this replica's own watcher. The indexer (the shared durable consumer that writes
the bucket) runs in the same process unless ``RUN_INDEXER=false``.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import Gauge
from sdi_common.http import create_app
from sdi_common.security import SecurityHeaders
from starlette.middleware.cors import CORSMiddleware

from . import api, event_page, widget
from .fast_path import FeedFastPath
from .problems import Problem, problem_response
from .replica import MapFeed
from .security import html_headers
from .settings import MapFeedSettings

FEED_REVISION = Gauge("mapfeed_feed_revision", "Last FEED bucket revision applied in memory")
FEED_EVENTS = Gauge("mapfeed_feed_events", "Events in the in-memory feed")


@asynccontextmanager
async def lifespan(app: FastAPI):
    feed: MapFeed = app.state.feed
    await feed.start()
    try:
        yield
    finally:
        await feed.stop()


def build_app(settings: MapFeedSettings | None = None) -> FastAPI:
    settings = settings or MapFeedSettings()
    feed = MapFeed(settings)
    app = create_app(
        title="Semaine de l'industrie — map-feed",
        settings=settings,
        lifespan=lifespan,
        ready=feed.ready,
        docs_url=None,  # Swagger UI would load from a CDN; /openapi.json stays
        redoc_url=None,
    )
    app.state.feed = feed
    FEED_REVISION.set_function(lambda: feed.store.revision)
    FEED_EVENTS.set_function(lambda: len(feed.store))
    app.add_exception_handler(Problem, problem_response)
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
    app.include_router(api.router)
    app.include_router(event_page.router)
    app.include_router(widget.router)
    app.mount(
        "/static", widget.WidgetFiles(directory=settings.static_dir, check_dir=False), name="static"
    )
    return app


def build_asgi(settings: MapFeedSettings | None = None) -> FeedFastPath:
    """What uvicorn serves: the app behind the unfiltered-feed fast path (fast_path.py)."""
    settings = settings or MapFeedSettings()
    app = build_app(settings)
    return FeedFastPath(app, feed=app.state.feed, cache_control=settings.cache_control)
