"""``sdi-map-feed``: serve the feed, its stream, exports and widget (and run the indexer)."""

from __future__ import annotations

from sdi_common.http import serve

from .app import build_asgi
from .settings import MapFeedSettings


def main() -> None:
    settings = MapFeedSettings()
    app = build_asgi(settings)
    # end the Server-Sent Event streams first: they never end by themselves
    serve(app, settings, before_shutdown=app.state.feed.broadcaster.stop)


if __name__ == "__main__":
    main()
