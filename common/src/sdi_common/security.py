"""Security headers on every answer, and more on HTML pages (pure ASGI: no buffering)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: on every answer: the browser must not guess another type than the one sent
ALWAYS: Mapping[str, str] = {"X-Content-Type-Options": "nosniff"}
#: FastAPI's API documentation pages load Swagger UI and ReDoc from their CDN
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})


def tile_origin(tile_url: str) -> str | None:
    """The CSP source of a tile URL template: ``https://{s}.tile.x.org/{z}/{x}/{y}.png`` ->
    ``https://*.tile.x.org``; None for "none" or no URL."""
    if not tile_url or tile_url == "none":
        return None
    parts = urlsplit(tile_url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(
    *,
    frame_ancestors: str = "'none'",
    images: tuple[str, ...] = (),
    inline_styles: bool = False,
    base_uri: str = "'none'",
) -> str:
    """A strict CSP: the page loads only this origin's scripts, styles and fonts."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            # Leaflet positions markers and tiles with inline styles
            "style-src 'self' 'unsafe-inline'" if inline_styles else "style-src 'self'",
            "img-src " + " ".join(("'self'", "data:", *images)),
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            f"base-uri {base_uri}",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


class SecurityHeaders:
    """Adds ``always`` to every answer and ``html(path)`` to HTML answers (but the API docs).

    A header the route already set wins (a page may widen its own policy)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        always: Mapping[str, str] = ALWAYS,
        html: Callable[[str], Mapping[str, str]] | None = None,
    ) -> None:
        self.app = app
        self.always = dict(always)
        self.html = html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                extra = dict(self.always)
                if (
                    self.html is not None
                    and scope["path"] not in DOCS_PATHS
                    and headers.get("content-type", "").startswith("text/html")
                ):
                    extra.update(self.html(scope["path"]))
                for name, value in extra.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
