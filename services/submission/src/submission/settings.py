"""Settings of the submission service (environment variables, upper-case field names)."""

from __future__ import annotations

from pathlib import Path

from sdi_common.editions import EDITIONS_DIR
from sdi_common.settings import ServiceSettings


class SubmissionSettings(ServiceSettings):
    service_name: str = "submission"
    port: int = 8001

    #: STORE: "sqlite" (default, one file ``DATA_DIR/submissions.sqlite3``) or "mongodb"
    store: str = "sqlite"
    #: MONGODB_URL / MONGODB_DB: used when STORE=mongodb
    mongodb_url: str = "mongodb://127.0.0.1:27017"
    mongodb_db: str = "sdi_submission"

    #: MAX_BODY_BYTES: larger request bodies are refused with 413
    max_body_bytes: int = 64 * 1024
    #: IMPORT_MAX_BODY_BYTES: the largest bulk import (500 events, JSON or CSV); 413 past it
    import_max_body_bytes: int = 8 * 1024 * 1024
    #: IMPORT_RATE_LIMIT_PER_MINUTE / IMPORT_RATE_LIMIT_BURST: imports (dry runs included)
    #: per client address, each up to 500 events; 0 = off
    import_rate_limit_per_minute: int = 6
    import_rate_limit_burst: int = 10
    #: IMPORT_CONCURRENCY: rows of one import published at once (1: one JetStream ack after
    #: the other, what bench/imports.py compares with)
    import_concurrency: int = 64
    #: RATE_LIMIT_PER_MINUTE: writes (POST/PUT/DELETE) allowed per client and minute; 0 = off
    rate_limit_per_minute: int = 120
    #: RATE_LIMIT_BURST: how many writes a client may send at once before being limited
    rate_limit_burst: int = 60
    #: TRUST_FORWARDED_FOR: behind a reverse proxy, take the client address from
    #: X-Forwarded-For — only when the request comes from one of TRUSTED_PROXIES, so that a
    #: client cannot dodge the rate limit by forging the header
    trust_forwarded_for: bool = False
    #: TRUSTED_PROXIES: comma-separated networks of the proxies (default: the private ranges
    #: where an ingress controller lives; not loopback)
    trusted_proxies: str = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
    #: REBUILD_IF_EMPTY: at start, an empty store is rebuilt from the stream before serving
    rebuild_if_empty: bool = True
    #: PUBLISH_TIMEOUT: seconds to wait for the JetStream ack before answering 503
    publish_timeout: float = 5.0
    #: RETRY_AFTER: seconds suggested to the client in 503/429 answers
    retry_after: int = 5
    #: APPLY_ON_ACCEPT: also project accepted events into the store at once (read-your-writes);
    #: the projector applies them again, idempotently
    apply_on_accept: bool = True

    #: EDITIONS_DIR: where the previous edition is found (the carry-over of its events)
    editions_dir: Path = EDITIONS_DIR

    #: CONTACT_KEY_POOL: sealing keys created ahead (stored before use); 0 = one per request
    contact_key_pool: int = 256

    #: OPERATOR_TOKENS: "name:sha256hex[@expiry],..." (expiry ISO date or date-time, UTC)
    operator_tokens: str = ""
    #: OPERATOR_TOKENS_FILE: same entries, one per line (# comments allowed)
    operator_tokens_file: Path | None = None

    #: CALLBACK_SECRET: HMAC-SHA256 key signing callbacks (X-Signature-256); empty = unsigned
    callback_secret: str = ""
    #: CALLBACK_MAX_ATTEMPTS / CALLBACK_BACKOFF: retries (exponential, base seconds)
    callback_max_attempts: int = 6
    callback_backoff: float = 2.0
    callback_timeout: float = 5.0
    #: CALLBACK_ALLOW_PRIVATE: allow callbacks to loopback/private addresses (tests only)
    callback_allow_private: bool = False

    #: CONTACT_RETENTION_DAYS: contact data is erased this many days after the edition's week
    contact_retention_days: int = 180
    #: RETENTION_INTERVAL: seconds between runs of the in-process retention job; 0 = off
    retention_interval: float = 3600.0

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "submissions.sqlite3"
