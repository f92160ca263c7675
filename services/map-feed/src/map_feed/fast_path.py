"""The hot path: ``GET /v1/feed`` without filters, answered straight from the snapshot.

Partner sites' widgets and the CDN in front poll this one URL, mostly to hear "304 Not
Modified". It is answered here, before routing and the other middlewares, with the
same headers the full stack would give. Requests carrying an ``Origin`` (CORS) or a
query string take the ordinary route.
"""

from __future__ import annotations

from sdi_common.etag import etag_matches
from sdi_common.metrics import HTTP_REQUESTS
from starlette.types import ASGIApp, Receive, Scope, Send

from .http_cache import GZIP_MIN


class FeedFastPath:
    """Wraps the whole FastAPI app (``build_asgi``): not even its middleware stack runs."""

    def __init__(self, app: ASGIApp, *, feed, cache_control: str) -> None:
        self.app = app
        self.state = getattr(app, "state", None)
        self.store = feed.store
        self.cache_control = cache_control.encode()
        self.ok = HTTP_REQUESTS.labels("GET", "/v1/feed", "200")
        self.not_modified = HTTP_REQUESTS.labels("GET", "/v1/feed", "304")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != "/v1/feed"
            or scope["method"] != "GET"
            or scope["query_string"]
            or not self.store.synced
        ):
            await self.app(scope, receive, send)
            return
        inm = encoding = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                inm = value
            elif name == b"accept-encoding":
                encoding = value
            elif name == b"origin":
                await self.app(scope, receive, send)
                return
        rep = self.store.snapshot()
        gzip = encoding is not None and b"gzip" in encoding and len(rep.body) >= GZIP_MIN
        etag = rep.gzip_etag_bytes if gzip else rep.etag_bytes
        headers = [
            (b"etag", etag),
            (b"cache-control", self.cache_control),
            (b"vary", b"Accept-Encoding"),
            (b"x-feed-revision", b"%d" % rep.revision),
            (b"x-content-type-options", b"nosniff"),
        ]
        if inm is not None and etag_matches(inm, rep.etag_bytes, rep.gzip_etag_bytes):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            self.not_modified.inc()
            return
        body = await rep.gzipped() if gzip else rep.body
        headers.append((b"content-type", b"application/geo+json"))
        headers.append((b"content-length", b"%d" % len(body)))
        if gzip:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        self.ok.inc()
