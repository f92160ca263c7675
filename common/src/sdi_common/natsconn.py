"""Connecting to NATS and publishing lifecycle events."""

from __future__ import annotations

import re
import ssl
from collections.abc import Awaitable, Callable

import nats
import structlog
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import PubAck

from . import subjects
from .contracts import OUTCOMES, Event, encode
from .settings import ServiceSettings

log = structlog.get_logger(__name__)

MSG_ID_HEADER = "Nats-Msg-Id"
CORRELATION_HEADER = "X-Correlation-Id"
SUBMISSION_HEADER = "X-Submission-Id"


def connect_options(
    settings: ServiceSettings,
    name: str,
    on_reconnected: Callable[[], Awaitable[None]] | None = None,
) -> dict:
    """Options shared by nats-py and FastStream's broker: reconnect forever, log state changes
    (and call ``on_reconnected`` once the connection is back)."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats.error", error=repr(exc))

    async def on_disconnected() -> None:
        log.warning("nats.disconnected")

    async def reconnected() -> None:
        log.info("nats.reconnected")
        if on_reconnected is not None:
            await on_reconnected()

    options: dict = {
        "servers": [s.strip() for s in settings.nats_url.split(",")],
        "name": name,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 1,
        "error_cb": on_error,
        "disconnected_cb": on_disconnected,
        "reconnected_cb": reconnected,
    }
    if settings.nats_creds:
        options["user_credentials"] = settings.nats_creds
    if settings.nats_tls_ca:
        options["tls"] = ssl.create_default_context(cafile=settings.nats_tls_ca)
    return options


def redact(url: str) -> str:
    """A NATS URL without the password it may carry (``tls://user:secret@host``)."""
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)


async def connect(
    settings: ServiceSettings,
    name: str | None = None,
    on_reconnected: Callable[[], Awaitable[None]] | None = None,
) -> NATS:
    return await nats.connect(
        **connect_options(settings, name or settings.service_name, on_reconnected)
    )


#: events a person may legitimately repeat within one version (place it again, elsewhere;
#: say it is full, then that places are free again; ask for a new link again)
REPEATABLE = frozenset({"relocated", "token_renewed", "event_status"})


#: one decision per stage and version, whatever it says: a redelivery judged differently
#: (another edition, a geocoder that came back) cannot add a second, contradicting one
STAGE = {**dict.fromkeys(OUTCOMES, "judged"), "geocoded": "placed", "location_unresolved": "placed"}


def msg_id(event: Event) -> str:
    """Deterministic per (submission, version, stage): a redelivered input is deduplicated by
    JetStream (within the stream's duplicate window) instead of producing a second decision."""
    base = f"{event.submission_id}:{event.version}:{STAGE.get(event.type, event.type)}"
    return f"{base}:{event.event_id}" if event.type in REPEATABLE else base


def event_headers(event: Event, correlation_id: str | None = None) -> dict[str, str]:
    headers = {MSG_ID_HEADER: msg_id(event), SUBMISSION_HEADER: event.submission_id}
    if correlation_id:
        headers[CORRELATION_HEADER] = correlation_id
    return headers


async def publish_event(
    js: JetStreamContext,
    event: Event,
    *,
    correlation_id: str | None = None,
    timeout: float = 5.0,
) -> PubAck:
    """Publish one lifecycle event on its subject; returns once JetStream has stored it."""
    return await js.publish(
        subjects.for_type(event.type),
        encode(event),
        timeout=timeout,
        stream=subjects.STREAM,
        headers=event_headers(event, correlation_id),
    )
