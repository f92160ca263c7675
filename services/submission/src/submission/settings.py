"""Settings of the submission service (environment variables, upper-case field names)."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from sdi_common.editions import EDITIONS_DIR
from sdi_common.settings import ServiceSettings


def _local(port: int) -> str:
    return f"http://127.0.0.1:{port}"


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

    #: OPERATOR_TOKENS: "name:sha256hex[@expiry][/region=CODE]...[/department=CODE]...,..."
    #: (expiry ISO date or date-time, UTC; no region or department: national; scopes.py)
    operator_tokens: str = ""
    #: OPERATOR_TOKENS_FILE: same entries, one per line (# comments allowed)
    operator_tokens_file: Path | None = None

    #: SESSION_SECRET: signs the back office's session cookies; the same on every replica
    #: (empty: a random one per process, so sessions end when it restarts; set it)
    session_secret: str = ""
    #: SESSION_MAX_AGE: seconds a back-office session lasts (at most the token's expiry)
    session_max_age: float = 8 * 3600.0
    #: REVIEW_TARGET_DAYS: the committee answers within this many working days (the back
    #: office's target, and what the needs_review mail promises)
    review_target_days: int = 4
    #: GEOCODING_TIMEOUT: seconds to wait for the geocoding service to place an address (the
    #: back office's search: the whole chain, a remote geocoder included)
    geocoding_timeout: float = 10.0
    #: TILE_URL: the map tiles of the back office's map ({z}/{x}/{y}; its origin is allowed
    #: by the page's CSP); "none": the outline of France only
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

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

    #: SMTP_URL: smtp://[user:password@]host[:port] (STARTTLS when offered) or smtps://…;
    #: empty: mails are written to the Maildir DATA_DIR/mail/
    smtp_url: str = ""
    #: MAIL_FROM: the sender of the organisers' mails
    mail_from: str = "Semaine de l'industrie <ne-pas-repondre@semaine-industrie.localhost>"
    #: SMTP_CA_FILE: the authorities that sign the SMTP server's certificate (default: the system's)
    smtp_ca_file: str | None = None
    #: SMTP_TIMEOUT: seconds for each exchange with the SMTP server
    smtp_timeout: float = 20.0
    #: MAIL_BACKOFF / MAIL_MAX_ATTEMPTS: a mail that could not be sent is tried again after
    #: MAIL_BACKOFF seconds, doubling up to an hour, MAIL_MAX_ATTEMPTS times (~1.5 days)
    mail_backoff: float = 30.0
    mail_max_attempts: int = 40
    #: LOST_LINKS_PER_HOUR: new links mailed per address and hour (and replica); 0 = no limit
    lost_links_per_hour: int = 3

    #: PUBLIC_URL: this service as organisers reach it (links in mails); default: this
    #: machine on PORT
    public_url: str = ""
    #: MAP_PUBLIC_URL: the map feed as the public reaches it (``/evenements/{id}``);
    #: default: this machine on MAP_FEED_PORT
    map_public_url: str = ""
    #: GEOCODING_URL / VALIDATION_URL: the geocoding service (commune completion, the back
    #: office's address search) and the validation service (the check of a form); default:
    #: this machine on their ports
    geocoding_url: str = ""
    validation_url: str = ""
    #: the other services' ports on this machine (``make run`` sets them), for the defaults
    map_feed_port: int = 8004
    geocoding_port: int = 8003
    validation_port: int = 8002
    #: UPSTREAM_TIMEOUT: seconds for a call to the geocoding or validation service
    upstream_timeout: float = 5.0

    @model_validator(mode="after")
    def _local_defaults(self) -> SubmissionSettings:
        for name, port in (("public_url", self.port), ("map_public_url", self.map_feed_port),
                           ("geocoding_url", self.geocoding_port),
                           ("validation_url", self.validation_port)):
            setattr(self, name, (getattr(self, name) or _local(port)).rstrip("/"))
        return self

    @property
    def maildir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "submissions.sqlite3"
