"""Security headers: a strict CSP on HTML pages (the widget may be framed by anyone)."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(tile_origin: str | None, frame_ancestors: str) -> str:
    images = " ".join(x for x in ("'self'", "data:", "blob:", tile_origin) if x)
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            # Leaflet positions markers and tiles with inline styles
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


class SecurityHeaders:
    """``nosniff`` everywhere; CSP and Referrer-Policy on HTML (``/widget``: embeddable)."""

    def __init__(self, app: ASGIApp, tile_origin: str | None = None) -> None:
        self.app = app
        self.embeddable = content_security_policy(tile_origin, "*").encode()
        self.own = content_security_policy(tile_origin, "'self'").encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    embeddable = path == "/widget" or path.startswith("/widget/")
                    headers.append(
                        "Content-Security-Policy",
                        (self.embeddable if embeddable else self.own).decode(),
                    )
                    headers.append("Referrer-Policy", "strict-origin-when-cross-origin")
                    if not embeddable:
                        headers.append("X-Frame-Options", "SAMEORIGIN")
            await send(message)

        await self.app(scope, receive, send_with_headers)
