"""Status-change callbacks: POST to the organiser's ``callback_url``, signed, retried.

Body: ``{"id", "version", "status", "reasons", "at"}``. Headers: ``X-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body with CALLBACK_SECRET>`` (as GitHub webhooks),
``X-Sdi-Delivery`` (unique per status change, the same on every retry: receivers
deduplicate on it) and ``X-Sdi-Attempt``.

The queue lives in memory: retries with exponential backoff survive a NATS outage but not a
restart of this process; pending deliveries are then lost (logged as such at shutdown).
The status is always available from ``GET /v1/submissions/{id}``, which is the fallback.
Loopback, private and link-local addresses are refused (no SSRF into the cluster).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import orjson
import structlog

from .projection import Outcome

log = structlog.get_logger(__name__)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    url: str
    body: bytes
    delivery_id: str
    attempt: int = 0


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


class Callbacks:
    def __init__(
        self,
        *,
        secret: str,
        max_attempts: int,
        backoff: float,
        timeout: float,
        allow_private: bool = False,
        workers: int = 4,
    ):
        self.secret = secret
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.allow_private = allow_private
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue(maxsize=10_000)
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._tasks: list[asyncio.Task] = []
        self._delayed: set[asyncio.Task] = set()
        self._workers = workers
        self.delivered = 0
        self.failed = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self._workers)]

    async def stop(self) -> None:
        lost = self.queue.qsize() + len(self._delayed)
        for task in [*self._tasks, *self._delayed]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._delayed, return_exceptions=True)
        await self.client.aclose()
        if lost:
            log.warning("callbacks.lost_on_shutdown", pending=lost)

    async def on_outcome(self, outcome: Outcome) -> None:
        """Queue a delivery when a projected event changed the status."""
        doc = outcome.doc
        if not outcome.status_changed or not doc.get("callback_url"):
            return
        last = doc["history"][-1] if doc["history"] else {}
        payload = {
            "id": doc["id"],
            "version": doc["version"],
            "status": doc["status"],
            "reasons": doc["reasons"],
            "at": last.get("at"),
        }
        delivery = Delivery(
            url=doc["callback_url"],
            body=orjson.dumps(payload),
            delivery_id=f"{doc['id']}:{doc['version']}:{doc['status']}",
        )
        try:
            self.queue.put_nowait(delivery)
        except asyncio.QueueFull:
            log.warning("callbacks.queue_full", submission_id=doc["id"])

    async def _work(self) -> None:
        while True:
            delivery = await self.queue.get()
            try:
                await self._attempt(delivery)
            except Exception:  # never let one delivery kill the worker
                log.exception("callbacks.error", url=delivery.url)
            finally:
                self.queue.task_done()

    async def _attempt(self, delivery: Delivery) -> None:
        delivery.attempt += 1
        if not self.allow_private and not await _is_public(delivery.url):
            log.warning("callbacks.refused_address", delivery=delivery.delivery_id)
            self.failed += 1
            return
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "sdi-submission-callbacks/1",
            "X-Sdi-Delivery": delivery.delivery_id,
            "X-Sdi-Attempt": str(delivery.attempt),
        }
        if self.secret:
            headers["X-Signature-256"] = sign(self.secret, delivery.body)
        try:
            response = await self.client.post(delivery.url, content=delivery.body, headers=headers)
            ok = 200 <= response.status_code < 300
            detail = response.status_code
        except httpx.HTTPError as exc:
            ok, detail = False, repr(exc)
        if ok:
            self.delivered += 1
            log.info("callbacks.delivered", delivery=delivery.delivery_id, attempt=delivery.attempt)
            return
        if delivery.attempt >= self.max_attempts:
            self.failed += 1
            log.warning("callbacks.gave_up", delivery=delivery.delivery_id, detail=str(detail))
            return
        delay = self.backoff * 2 ** (delivery.attempt - 1)
        log.info("callbacks.retry", delivery=delivery.delivery_id, delay=delay, detail=str(detail))
        task = asyncio.create_task(self._later(delivery, delay))
        self._delayed.add(task)
        task.add_done_callback(self._delayed.discard)

    async def _later(self, delivery: Delivery, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.queue.put(delivery)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until nothing is queued or waiting for a retry (tests, shutdown)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while (self.queue.qsize() or self._delayed or self.queue._unfinished_tasks) and (
            asyncio.get_running_loop().time() < deadline
        ):
            await asyncio.sleep(0.05)
