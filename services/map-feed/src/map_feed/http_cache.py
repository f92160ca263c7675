"""Conditional and compressed responses of precomputed representations."""

from __future__ import annotations

from sdi_common.etag import etag_matches
from starlette.requests import Request
from starlette.responses import Response

from .feed_store import Representation

#: below this size gzip is not worth it
GZIP_MIN = 1024


def accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "")


async def represent(
    request: Request, rep: Representation, media_type: str, headers: dict[str, str]
) -> Response:
    gzip = accepts_gzip(request) and len(rep.body) >= GZIP_MIN
    headers = {
        **headers,
        "ETag": rep.gzip_etag if gzip else rep.etag,
        "Vary": "Accept-Encoding",
        "X-Feed-Revision": str(rep.revision),
    }
    inm = request.headers.get("if-none-match")
    if inm and etag_matches(inm, rep.etag, rep.gzip_etag):
        return Response(status_code=304, headers=headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(await rep.gzipped(), media_type=media_type, headers=headers)
    return Response(rep.body, media_type=media_type, headers=headers)
