"""The map-feed's page policy: the widget may be framed by any partner site, nothing else."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sdi_common.security import content_security_policy


def html_headers(tile_origin: str | None) -> Callable[[str], Mapping[str, str]]:
    """The headers of an HTML answer at ``path`` (for ``sdi_common.security.SecurityHeaders``)."""
    images = (tile_origin,) if tile_origin else ()
    common = {"Referrer-Policy": "strict-origin-when-cross-origin"}
    embeddable = {
        **common,
        "Content-Security-Policy": content_security_policy(
            frame_ancestors="*", images=("blob:", *images), inline_styles=True, base_uri="'self'"
        ),
    }
    own = {
        **common,
        "Content-Security-Policy": content_security_policy(
            frame_ancestors="'self'", images=("blob:", *images), inline_styles=True, base_uri="'self'"
        ),
        "X-Frame-Options": "SAMEORIGIN",
    }

    def headers(path: str) -> Mapping[str, str]:
        return embeddable if path == "/widget" or path.startswith("/widget/") else own

    return headers
