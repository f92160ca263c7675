"""The embeddable widget: its page (``/widget``), its built files (``/static``) and the
DSFR's icon at ``/favicon.ico`` (copied beside the page by the build: web/build.mjs)."""

from __future__ import annotations

import html
import json
import os
from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles

from .problems import Problem
from .replica import Replica

router = APIRouter(include_in_schema=False)


def built_assets(static_dir: Path) -> dict[str, str]:
    """The build's content-hashed files by entry (``{"event.css": "/static/widget/assets/…"}``,
    from ``widget/manifest.json``, written by web/build.mjs); empty when not built. Read
    again when the build changes (``make assets`` while the service runs)."""
    manifest = static_dir / "widget" / "manifest.json"
    try:
        return _read_manifest(manifest, manifest.stat().st_mtime_ns)
    except (OSError, ValueError):
        return {}


@cache
def _read_manifest(path: Path, mtime_ns: int) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8"))


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


@router.get("/widget")
async def widget(feed: Replica) -> Response:
    settings = feed.settings
    index = settings.static_dir / "widget" / "index.html"
    if not index.is_file():
        raise Problem(404, "Widget absent", "Le widget n'a pas été construit (make assets).")
    # The configured tiles (the ones the CSP allows) go to the page as <body data-tiles>.
    page = index.read_text(encoding="utf-8").replace(
        'data-tiles=""', f'data-tiles="{html.escape(settings.tile_url, quote=True)}"', 1
    )
    return HTMLResponse(page, headers={"Cache-Control": "no-cache"})


@router.get("/favicon.ico")
async def favicon(feed: Replica) -> Response:
    icon = feed.settings.static_dir / "widget" / "favicon.ico"
    if not icon.is_file():
        raise Problem(404, "Icône absente", "Le widget n'a pas été construit (make assets).")
    return FileResponse(
        icon, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )
