"""The feed's HTTP API: the GeoJSON feed, its exports, its live stream and its clusters.

Module-level endpoints; the replica comes from ``request.app.state`` (``Replica``, and
``Store`` once the feed is loaded), the query from one dependency per grammar
(``filters.py``), which raises the 422 problem+json.
"""

from __future__ import annotations

import zlib
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from . import exports, openapi
from .feed_store import FeedStore, Representation, collection, sse_frame
from .filters import (
    OPENAPI_CLUSTERS,
    OPENAPI_FILTERS,
    OPENAPI_STREAM,
    ClusterQuery,
    FeedQuery,
    parse_cluster_query,
    parse_query,
    parse_revision,
)
from .http_cache import represent
from .problems import Problem
from .replica import Replica, Store
from .sse import EventStreamResponse

GEOJSON = openapi.GEOJSON

#: a plain Response: each route documents its own media type (openapi.documented)
router = APIRouter(default_response_class=Response)


def feed_query(request: Request) -> FeedQuery:
    return parse_query(request.query_params)


def cluster_query(request: Request) -> ClusterQuery:
    return parse_cluster_query(request.query_params)


def resume_revision(request: Request) -> int | None:
    return parse_revision(request.query_params, request.headers.get("last-event-id"))


Filters = Annotated[FeedQuery, Depends(feed_query)]


# ---------------------------------------------------------------------- the feed and exports


@router.get(
    "/v1/feed",
    **openapi.documented(
        "The events as a GeoJSON FeatureCollection",
        GEOJSON,
        openapi.FEATURE_COLLECTION,
        parameters=OPENAPI_FILTERS,
    ),
)
async def get_feed(request: Request, feed: Replica, store: Store, query: Filters) -> Response:
    if query.is_empty:
        rep = store.snapshot()
    else:
        # read now, not in the builder's thread: the body's revision matches its ETag
        revision = store.revision
        rep = await store.derived(
            "feed", query, lambda es: collection([e.body for e in es], revision)
        )
    return await represent(request, rep, GEOJSON, feed.cache_headers)


async def export(
    request: Request, feed: Replica, store: FeedStore, query: FeedQuery, fmt: exports.Export
) -> Response:
    rep = await store.derived(fmt.kind, query, lambda es: fmt.to_bytes(e.body for e in es))
    headers = {**feed.cache_headers, "Content-Disposition": f'inline; filename="{fmt.filename}"'}
    return await represent(request, rep, fmt.media_type, headers)


def export_doc(fmt: exports.Export, schema: openapi.Schema, summary: str) -> dict:
    return openapi.documented(
        summary, fmt.media_type, schema, parameters=OPENAPI_FILTERS, tag="exports"
    )


@router.get(
    "/v1/feed.csv", **export_doc(exports.CSV, openapi.TEXT, "The events as CSV (UTF-8, header row)")
)
async def get_csv(request: Request, feed: Replica, store: Store, query: Filters) -> Response:
    return await export(request, feed, store, query, exports.CSV)


@router.get(
    "/v1/feed.ics", **export_doc(exports.ICS, openapi.TEXT, "The events as iCalendar (RFC 5545)")
)
async def get_ics(request: Request, feed: Replica, store: Store, query: Filters) -> Response:
    return await export(request, feed, store, query, exports.ICS)


@router.get(
    "/v1/feed.jsonld",
    **export_doc(exports.JSONLD, openapi.JSONLD, "The events as schema.org/Event JSON-LD"),
)
async def get_jsonld(request: Request, feed: Replica, store: Store, query: Filters) -> Response:
    return await export(request, feed, store, query, exports.JSONLD)


# ---------------------------------------------------------------------- the live stream


def reset_frames(store: FeedStore) -> list[bytes]:
    """A snapshot, then whatever changed since it was made (it may be a little older)."""
    snap = store.snapshot()
    later = store.changes_since(snap.revision)
    if later is None:  # too old to catch up: a fresh one
        snap = store.snapshot(force=True)
        later = []
    return [sse_frame("reset", snap.revision, snap.body), *(c.frame for c in later)]


@router.get(
    "/v1/feed/stream",
    **openapi.documented(
        "Live changes as Server-Sent Events",
        "text/event-stream",
        openapi.TEXT,
        parameters=OPENAPI_STREAM,
        headers=openapi.STREAM_HEADERS,
        cached=False,
    ),
)
async def get_stream(
    feed: Replica,
    resume: Annotated[int | None, Depends(resume_revision)],
    store: Store,
) -> Response:
    client = feed.broadcaster.connect()
    if client is None:
        raise Problem(
            503,
            "Trop de connexions",
            "Ce serveur est complet ; réessayez plus tard.",
            headers={"Retry-After": "10"},
        )
    # Registered before reading the log, with no await in between: nothing is missed.
    first: list[bytes] = []
    if resume is not None:
        changes = store.changes_since(resume)
        first = reset_frames(store) if changes is None else [c.frame for c in changes]
    headers = {
        "Cache-Control": "no-cache, no-transform",
        "X-Accel-Buffering": "no",
        "X-Feed-Revision": str(store.revision),
    }
    return EventStreamResponse(feed.broadcaster, client, first, headers)


# ---------------------------------------------------------------------- clusters


def cluster_features(store: FeedStore, view: ClusterQuery) -> list[bytes]:
    """The view's clusters as point features (``cluster: true``), then its single events."""
    mask = store.slot_mask(view.filters)
    clusters, point_ids = store.grid.query(view.bbox, view.zoom, mask)
    parts = [
        orjson.dumps(
            {
                "type": "Feature",
                "id": f"cluster-{view.zoom}-{key}",
                "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                "properties": {"cluster": True, "point_count": count, "expansion_zoom": expansion},
            }
        )
        for key, lon, lat, count, expansion in clusters
    ]
    parts.extend(store.entries[i].body for i in point_ids if i in store.entries)
    return parts


@router.get(
    "/v1/feed/clusters",
    **openapi.documented(
        "Clusters of events for a map view",
        GEOJSON,
        openapi.CLUSTERS,
        parameters=OPENAPI_CLUSTERS,
    ),
)
async def get_clusters(
    request: Request,
    feed: Replica,
    store: Store,
    view: Annotated[ClusterQuery, Depends(cluster_query)],
) -> Response:
    digest = zlib.crc32(str(request.query_params).encode()) & 0xFFFFFFFF
    rep = Representation(
        collection(cluster_features(store, view), store.revision),
        f'"r{store.revision}-z-{digest:08x}"',
        store.revision,
        gzip_level=1,
    )
    return await represent(request, rep, GEOJSON, feed.cache_headers)
