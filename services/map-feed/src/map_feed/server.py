"""uvicorn for map-feed: like ``sdi_common.http.serve``, but SSE streams end at shutdown.

uvicorn waits for open responses before running the lifespan's shutdown; an event stream
never ends by itself, so without this every stop would wait for the whole grace period.
Ending the streams first lets browsers reconnect to another replica at once.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

import uvicorn

from .settings import MapFeedSettings


class Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if sig == signal.SIGTERM:
            # uvicorn re-raises the signal after its graceful shutdown (exit status 143);
            # a requested stop that went well exits 0, as the house rules ask
            self._captured_signals.remove(sig)

    async def shutdown(self, sockets: Any = None) -> None:
        feed = getattr(getattr(self.config.loaded_app, "state", None), "feed", None)
        if feed is None:  # the app is wrapped by uvicorn's middlewares
            app = self.config.loaded_app
            while feed is None and hasattr(app, "app"):
                app = app.app
                feed = getattr(getattr(app, "state", None), "feed", None)
        if feed is not None:
            await feed.broadcaster.stop()
        await super().shutdown(sockets)


def config(app, settings: MapFeedSettings, **kwargs: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.drain_timeout),
        lifespan="on",
        **kwargs,
    )


def serve(app, settings: MapFeedSettings, **kwargs: Any) -> None:
    Server(config(app, settings, **kwargs)).run()
