"""Status-change callbacks: POST to the organiser's ``callback_url``, signed, retried.

Body: ``{"id", "version", "status", "reasons", "at"}``. Headers: ``X-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body with CALLBACK_SECRET>`` (as GitHub webhooks),
``X-Sdi-Delivery`` (the callback's id: unique per status change, the same on every retry:
receivers deduplicate on it) and ``X-Sdi-Attempt``.

The queue lives in memory: retries with exponential backoff survive a NATS outage but not a
restart of this process; pending callbacks are then lost (logged as such at shutdown).
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

from .record import Change

log = structlog.get_logger(__name__)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Callback:
    """One status change to POST to the organiser's URL, until it is taken or given up."""

    url: str
    body: bytes
    id: str  # sent as X-Sdi-Delivery
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
        self.queue: asyncio.Queue[Callback] = asyncio.Queue(maxsize=10_000)
        self.client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._tasks: list[asyncio.Task] = []
        self._delayed: set[asyncio.Task] = set()
        self._workers = workers

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

    async def on_change(self, change: Change) -> None:
        """Queue a callback when a projected event changed the status."""
        record = change.record
        if not change.status_changed or not record.callback_url:
            return
        payload = {
            "id": record.id,
            "version": record.version,
            "status": record.status,
            "reasons": [r.model_dump() for r in record.reasons],
            "at": record.history[-1].at.isoformat() if record.history else None,
        }
        callback = Callback(
            url=record.callback_url,
            body=orjson.dumps(payload),
            id=f"{record.id}:{record.version}:{record.status}",
        )
        try:
            self.queue.put_nowait(callback)
        except asyncio.QueueFull:
            log.warning("callbacks.queue_full", submission_id=record.id)

    async def _work(self) -> None:
        while True:
            callback = await self.queue.get()
            try:
                await self._attempt(callback)
            except Exception:  # never let one callback kill the worker
                log.exception("callbacks.error", url=callback.url)
            finally:
                self.queue.task_done()

    async def _attempt(self, callback: Callback) -> None:
        callback.attempt += 1
        if not self.allow_private and not await _is_public(callback.url):
            log.warning("callbacks.refused_address", callback=callback.id)
            return
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "sdi-submission-callbacks/1",
            "X-Sdi-Delivery": callback.id,
            "X-Sdi-Attempt": str(callback.attempt),
        }
        if self.secret:
            headers["X-Signature-256"] = sign(self.secret, callback.body)
        try:
            response = await self.client.post(callback.url, content=callback.body, headers=headers)
            ok = 200 <= response.status_code < 300
            detail = response.status_code
        except httpx.HTTPError as exc:
            ok, detail = False, repr(exc)
        if ok:
            log.info("callbacks.sent", callback=callback.id, attempt=callback.attempt)
            return
        if callback.attempt >= self.max_attempts:
            log.warning("callbacks.gave_up", callback=callback.id, detail=str(detail))
            return
        delay = self.backoff * 2 ** (callback.attempt - 1)
        log.info("callbacks.retry", callback=callback.id, delay=delay, detail=str(detail))
        task = asyncio.create_task(self._later(callback, delay))
        self._delayed.add(task)
        task.add_done_callback(self._delayed.discard)

    async def _later(self, callback: Callback, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.queue.put(callback)
