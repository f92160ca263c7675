"""The back office's pages, under ``/back-office/``: one HTML shell whose script shows the
queue, a submission or the statistics, from the documented API (nothing is rendered here:
every figure and action goes through ``/v1``).

The submission page holds the map (Leaflet): its policy lets it load the tiles
(``TILE_URL``'s origin) and Leaflet's inline styles; the other pages keep the strict one.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from sdi_common.security import content_security_policy, tile_origin

from ..settings import SubmissionSettings

SHELL = Path(__file__).resolve().parents[1] / "static" / "back-office" / "index.html"
PREFIX = "/back-office"
MAP_PAGES = PREFIX + "/inscriptions/"

def headers(settings: SubmissionSettings,
            default: Mapping[str, str]) -> Callable[[str], Mapping[str, str]]:
    """The headers of an HTML answer at ``path`` (``sdi_common.security.SecurityHeaders``)."""
    origin = tile_origin(settings.tile_url)
    with_map = {**default, "Content-Security-Policy": content_security_policy(
        images=(origin,) if origin else (), inline_styles=True)}
    return lambda path: with_map if path.startswith(MAP_PAGES) else default


def router(settings: SubmissionSettings) -> APIRouter:
    """The pages; the shell carries the configured tiles (``<body data-tiles>``)."""
    tiles = "" if settings.tile_url == "none" else settings.tile_url
    page = SHELL.read_text(encoding="utf-8").replace(
        'data-tiles=""', f'data-tiles="{html.escape(tiles, quote=True)}"', 1).encode()
    pages = APIRouter(include_in_schema=False)

    async def shell() -> Response:
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})

    async def to_slash() -> RedirectResponse:
        return RedirectResponse(PREFIX + "/", status_code=308)

    pages.add_api_route(PREFIX, to_slash, methods=["GET"])
    for path in (PREFIX + "/", PREFIX + "/statistiques", MAP_PAGES + "{submission_id}"):
        pages.add_api_route(path, shell, methods=["GET"])
    return pages
