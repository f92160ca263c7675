"""Settings common to every service, read from the environment (pydantic-settings).

Each service subclasses ``ServiceSettings`` with its own fields and defaults; a field
``foo_bar`` is read from ``FOO_BAR``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    service_name: str = "sdi"
    nats_url: str = "nats://127.0.0.1:4222"
    #: a NATS credentials file (production: one user per service)
    nats_creds: str | None = None
    nats_tls_ca: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = REPO_ROOT / "var"
    log_level: str = "INFO"
    #: "json" (default, for machines) or "console" (for people)
    log_format: str = "json"
    #: seconds a stopping service waits for in-flight work before giving up
    drain_timeout: float = 10.0
    #: FETCH_BATCH: messages a worker fetches per pull request (handled concurrently)
    fetch_batch: int = 64
    #: number of JetStream replicas of streams and buckets (3 in a cluster)
    stream_replicas: int = 1
