"""map-feed settings, from the environment (see ``sdi_common.settings.ServiceSettings``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import NoDecode
from sdi_common.settings import ServiceSettings

STATIC_DIR = Path(__file__).parent / "static"


class MapFeedSettings(ServiceSettings):
    service_name: str = "map-feed"
    port: int = 8004
    #: CORS_ORIGINS: origins allowed to read the feed from a browser, comma-separated
    #: ("*" for any; empty: same origin only)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["*"])
    #: CACHE_CONTROL: for the feed and exports (a CDN may serve them a little stale)
    cache_control: str = "public, max-age=15, stale-while-revalidate=60"
    #: TILE_URL: the map tiles the widget may load (its host is allowed by the CSP)
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    #: RUN_INDEXER: also run the indexer (the shared durable consumer) in this process
    run_indexer: bool = True
    #: SSE_MAX_CLIENTS: Server-Sent Events connections per replica; more get 503
    sse_max_clients: int = 10_000
    #: SSE_QUEUE_SIZE: frames buffered per SSE client; a client this far behind is dropped
    sse_queue_size: int = 256
    #: SSE_HEARTBEAT: seconds between heartbeat comments
    sse_heartbeat: float = 15.0
    #: CHANGE_LOG_SIZE: recent changes kept for SSE resume (older gaps get a reset)
    change_log_size: int = 10_000
    #: GZIP_LEVEL: 1 (fast) .. 9 (small) for the compressed feed, made once per revision
    gzip_level: int = 6
    #: SNAPSHOT_MIN_INTERVAL: seconds; under a burst of changes the full collection is
    #: rebuilt at most this often (its ETag names the revision it holds)
    snapshot_min_interval: float = 0.5
    #: CLUSTERS_MAX_AGE: seconds a zoom level's clusters may lag behind the feed (each
    #: recomputation costs ~0.2-0.5 s at 500,000 events)
    clusters_max_age: float = 1.0
    #: STATIC_DIR: the widget's built files (served at /widget and /static)
    static_dir: Path = STATIC_DIR
    #: MAP_PUBLIC_URL: this service's public address (``https://carte.example.fr``), the
    #: start of the event pages' canonical URL (share link, Open Graph, JSON-LD); unset:
    #: the address the request was sent to. The submission service's mails use the same.
    map_public_url: str | None = None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            return [o.strip() for o in value.split(",") if o.strip()]
        return value

    @field_validator("map_public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("MAP_PUBLIC_URL: an http(s) address, e.g. https://carte.example.fr")
        return value.rstrip("/")

    @property
    def tile_origin(self) -> str | None:
        """The CSP source of the tile host: ``https://{s}.tile.x.org/...`` -> ``https://*.tile.x.org``."""
        if not self.tile_url or self.tile_url == "none":
            return None
        parts = urlsplit(self.tile_url.replace("{s}", "*"))
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
