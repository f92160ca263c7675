"""``sdi-map-feed``: serve the feed, its stream, exports and widget (and run the indexer)."""

from __future__ import annotations

from .app import build_asgi
from .server import serve
from .settings import MapFeedSettings


def main() -> None:
    settings = MapFeedSettings()
    serve(build_asgi(settings), settings)


if __name__ == "__main__":
    main()
