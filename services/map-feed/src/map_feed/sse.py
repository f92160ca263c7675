"""Server-Sent Events fan-out: one bounded queue per client, never waiting on anyone.

The feed store calls ``publish`` with a ready-made frame; the broadcaster puts it in
every client's queue without awaiting. A client whose queue is full (its connection
cannot keep up) is dropped: its stream ends, and its browser reconnects with
``Last-Event-ID`` to resume from where it was (or gets a ``reset``).
"""

from __future__ import annotations

import asyncio
from collections import deque

import structlog
from prometheus_client import Counter, Gauge
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

log = structlog.get_logger(__name__)

HEARTBEAT = b": heartbeat\n\n"
SSE_CLIENTS = Gauge("mapfeed_sse_clients", "Connected Server-Sent Events clients")
SSE_DROPPED = Counter("mapfeed_sse_dropped_total", "SSE clients dropped for falling behind")
SSE_REFUSED = Counter("mapfeed_sse_refused_total", "SSE connections refused (replica full)")


class Client:
    """A connected stream: a bounded buffer of frames and a wake-up for its writer."""

    __slots__ = ("closed", "dropped", "frames", "limit", "waiter", "writer")

    def __init__(self, limit: int) -> None:
        self.frames: deque[bytes] = deque()
        self.limit = limit
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.dropped = False
        self.writer: asyncio.Task | None = None

    def push(self, frame: bytes) -> bool:
        """Queue a frame; False when the client is too far behind."""
        if len(self.frames) >= self.limit:
            return False
        self.frames.append(frame)
        self._wake()
        return True

    def close(self) -> None:
        self.closed = True
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def next_chunk(self) -> bytes | None:
        """Every frame queued so far, in one write; None once closed."""
        while not self.frames:
            if self.closed:
                return None
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        if self.closed:
            return None
        if len(self.frames) == 1:
            return self.frames.popleft()
        chunk = b"".join(self.frames)
        self.frames.clear()
        return chunk


class Broadcaster:
    def __init__(self, *, max_clients: int, queue_size: int, heartbeat: float) -> None:
        self.max_clients = max_clients
        self.queue_size = queue_size
        self.heartbeat = heartbeat
        self.clients: set[Client] = set()
        self._heartbeat_task: asyncio.Task | None = None

    def __len__(self) -> int:
        return len(self.clients)

    def connect(self) -> Client | None:
        if len(self.clients) >= self.max_clients:
            SSE_REFUSED.inc()
            return None
        client = Client(self.queue_size)
        self.clients.add(client)
        SSE_CLIENTS.set(len(self.clients))
        return client

    def disconnect(self, client: Client) -> None:
        self.clients.discard(client)
        SSE_CLIENTS.set(len(self.clients))

    def publish(self, frame: bytes) -> None:
        slow = [c for c in self.clients if not c.push(frame)]
        for client in slow:
            client.dropped = True
            client.close()
            if client.writer is not None:
                client.writer.cancel()  # it may be stuck writing to a stalled socket
            self.disconnect(client)
            SSE_DROPPED.inc()
        if slow:
            log.warning("sse.clients_dropped", count=len(slow))

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._heartbeat_task = asyncio.create_task(self._beat(), name="sse-heartbeat")

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat)
            self.publish(HEARTBEAT)

    async def stop(self) -> None:
        """Ends every stream (browsers reconnect to another replica)."""
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()
        for client in list(self.clients):
            client.close()
        self.clients.clear()
        SSE_CLIENTS.set(0)


class EventStreamResponse(Response):
    """The ASGI response of one SSE client: the replay (or reset) first, then live frames.

    The writer runs in its own task so that a dropped client's stalled write can be
    cancelled; returning without completing the response makes the server close the socket.
    """

    def __init__(
        self, broadcaster: Broadcaster, client: Client, first: list[bytes], headers: dict[str, str]
    ) -> None:
        self.status_code = 200
        self.background = None
        self.broadcaster = broadcaster
        self.client = client
        self.first = first
        self.raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = self.client
        headers = [(b"content-type", b"text/event-stream; charset=utf-8"), *self.raw_headers]
        await send({"type": "http.response.start", "status": 200, "headers": headers})

        async def write() -> None:
            await send(
                {
                    "type": "http.response.body",
                    "body": b"retry: 2000\n\n" + b"".join(self.first),
                    "more_body": True,
                }
            )
            self.first = []
            while (chunk := await client.next_chunk()) is not None:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def until_disconnect() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        client.writer = asyncio.create_task(write())
        watcher = asyncio.create_task(until_disconnect())
        try:
            await asyncio.wait((client.writer, watcher), return_when=asyncio.FIRST_COMPLETED)
        finally:
            client.writer.cancel()
            watcher.cancel()
            self.broadcaster.disconnect(client)
        if client.writer.done() and not client.writer.cancelled():
            client.writer.exception()  # retrieved: a vanished client is not an error
