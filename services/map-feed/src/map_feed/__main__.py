"""``sdi-map-feed``: serve the feed, its stream, exports and widget (and run the indexer)."""

from __future__ import annotations

from sdi_common.http import serve

from .app import build_app
from .settings import MapFeedSettings


def main() -> None:
    settings = MapFeedSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
