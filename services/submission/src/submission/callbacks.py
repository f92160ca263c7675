"""Status webhooks: POST to the organiser's ``callback_url``, signed; sent by the outbox.

Body: ``{"id", "version", "status", "reasons", "at"}``. Headers: ``X-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body with CALLBACK_SECRET>`` (as GitHub webhooks),
``X-Sdi-Delivery`` (``<id>:<version>:<status>``: unique per status change, the same on every
retry: receivers deduplicate on it) and ``X-Sdi-Attempt``.

The outbox (``outbox.py``) calls ``Webhooks.post`` once per lifecycle event that sets a
status, retries with exponential backoff (``CALLBACK_BACKOFF`` × 2^(attempt-1), at most
``CALLBACK_MAX_ATTEMPTS`` attempts) and remembers each attempt in the ``OUTBOX`` bucket, so a
pending callback survives a restart. Loopback, private and link-local addresses are refused
(no SSRF into the cluster): ``WebhookRefused``, never retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
from datetime import datetime
from urllib.parse import urlsplit

import httpx
import orjson
import structlog
from sdi_common.contracts import Reason, Status

log = structlog.get_logger(__name__)


class WebhookError(Exception):
    """Not taken this time (no answer, not 2xx): try again later."""


class WebhookRefused(Exception):
    """Never to be sent: the address is not a public one."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload(submission_id: str, version: int, status: Status, reasons: list[Reason],
            at: datetime) -> bytes:
    return orjson.dumps({"id": submission_id, "version": version, "status": status,
                         "reasons": [r.model_dump() for r in reasons], "at": at.isoformat()})


def delivery_id(submission_id: str, version: int, status: Status) -> str:
    return f"{submission_id}:{version}:{status}"


async def _is_public(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if not ip.is_global:
            return False
    return True


class Webhooks:
    def __init__(self, *, secret: str, timeout: float, allow_private: bool = False):
        self.secret = secret
        self.allow_private = allow_private
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def post(self, url: str, body: bytes, delivery: str, attempt: int) -> None:
        """One attempt; ``WebhookError`` to try again, ``WebhookRefused`` never to."""
        if not self.allow_private and not await _is_public(url):
            raise WebhookRefused("not a public address")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "sdi-submission-callbacks/1",
            "X-Sdi-Delivery": delivery,
            "X-Sdi-Attempt": str(attempt),
        }
        if self.secret:
            headers["X-Signature-256"] = sign(self.secret, body)
        try:
            response = await self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise WebhookError(repr(exc)) from None
        if not 200 <= response.status_code < 300:
            raise WebhookError(f"answered {response.status_code}")
