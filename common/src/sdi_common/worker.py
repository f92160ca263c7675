"""The runtime of a service that consumes one durable pull consumer.

    worker = Worker(settings, topology.VALIDATION, publishes=("labelled", "rejected", ...))

    @worker.handler
    async def judge(event: Event, ctx: Delivery) -> None:
        await worker.publish(Judged(...), ctx)

The error policy lives here, once:
- a message that does not parse as a lifecycle event, or a handler raising ``Poison``:
  a dead-letter record, then ``term`` (no retry can fix it);
- any other exception: ``nak`` with exponential backoff, until the consumer's
  ``max_deliver``; on the last delivery, a dead-letter record then ``term``; a handler
  raising ``Retry(delay)`` chooses the delay itself (the outbox waits out a mail server);
- success: ``ack``. A handler cancelled by shutdown ``nak``s at once so another replica
  takes the message without waiting for ``ack_wait``.

FastStream's broker holds the connection and the publishers (the AsyncAPI document is
generated apart, by ``sdi_common.asyncapi``). The pull loop is nats-py's own: it fetches up
to ``FETCH_BATCH`` messages at a time and handles them concurrently. FastStream's per-message subscriber
machinery cost more CPU than our whole handling, and its batch mode drops a partial batch
when a later fetch of it times out (ag2ai/faststream#2219), so it is not used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import nats.errors
import structlog
from faststream.nats import JStream, NatsBroker
from faststream.nats.security import NatsSecurity
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from pydantic import ValidationError

from . import subjects
from .contracts import Event, encode, parse_event
from .deadletters import write_dead_letter
from .metrics import HANDLER_LATENCY, MESSAGES
from .natsconn import CORRELATION_HEADER, SUBMISSION_HEADER, connect_options, event_headers
from .settings import ServiceSettings
from .topology import Consumer

log = structlog.get_logger(__name__)

#: how long an idle fetch waits on the server (a new message ends it at once)
POLL_SECONDS = 1.0

#: the stream exists already (bootstrap declared it); FastStream must not declare it
SUBMISSIONS = JStream(subjects.STREAM, declare=False)


class Poison(Exception):
    """Raise from a handler for a message no retry will ever fix."""


class Retry(Exception):
    """Raise from a handler to have the message delivered again in ``delay`` seconds."""

    def __init__(self, delay: float, why: str = ""):
        super().__init__(why or f"retry in {delay:.1f} s")
        self.delay = delay


@dataclass(frozen=True)
class Delivery:
    """What a handler may want to know about the message it handles."""

    subject: str
    num_delivered: int
    correlation_id: str | None
    message: Msg


Handler = Callable[[Event, Delivery], Awaitable[None]]


def backoff(num_delivered: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Jittered exponential delay before the next delivery."""
    return min(cap, base * 2 ** (num_delivered - 1)) * random.uniform(0.5, 1.0)


def build_broker(settings: ServiceSettings, **kwargs: Any) -> NatsBroker:
    options = connect_options(settings, settings.service_name)
    if (ssl_context := options.pop("tls", None)) is not None:
        # FastStream takes TLS as a security object, not nats-py's ``tls=`` option.
        kwargs["security"] = NatsSecurity(ssl_context=ssl_context)
    # No subscriber: the pull loop below consumes, and stop() drains it.
    return NatsBroker(
        logger=logging.getLogger("faststream"),
        log_level=logging.DEBUG,  # FastStream's own records: free at INFO
        **options,
        **kwargs,
    )


class Worker:
    def __init__(
        self,
        settings: ServiceSettings,
        consumer: Consumer,
        *,
        publishes: Iterable[str] = (),
        batch_size: int | None = None,
        broker: NatsBroker | None = None,
    ) -> None:
        self.consumer = consumer
        self.batch_size = batch_size or settings.fetch_batch
        # messages handled at once: a batch being handled while the next one is fetched
        self.max_in_flight = 2 * self.batch_size
        self.drain_timeout = settings.drain_timeout
        self._fn: Handler | None = None
        self._sub: JetStreamContext.PullSubscription | None = None
        self._pulling: asyncio.Task | None = None
        self._stopping = False
        self._in_flight: set[asyncio.Task] = set()
        self.broker = broker or build_broker(settings)
        # one FastStream publisher per event type the service may publish
        self._publishers = {
            kind: self.broker.publisher(subjects.for_type(kind), stream=SUBMISSIONS, timeout=5.0)
            for kind in publishes
        }

    @property
    def ready(self) -> bool:
        connection = self.broker._connection
        pulling = self._pulling is not None and not self._pulling.done()
        return pulling and connection is not None and connection.is_connected

    async def publish(self, event: Event, ctx: Delivery | None = None) -> None:
        """Publish an event, deduplicated by JetStream (see ``natsconn.msg_id``)."""
        headers = event_headers(event, ctx.correlation_id if ctx else None)
        await self._publishers[event.type].publish(encode(event), headers=headers)

    def handler(self, fn: Handler) -> Handler:
        self._fn = fn
        return fn

    async def start(self) -> None:
        """Connect, bind to the durable consumer and start pulling."""
        assert self._fn is not None, "no handler registered"
        await self.broker.start()
        js = self.broker.connection.jetstream()
        self._sub = await js.pull_subscribe_bind(self.consumer.durable, subjects.STREAM)
        self._stopping = False
        self._pulling = asyncio.create_task(self._pull(self._fn), name=f"pull:{self.consumer.durable}")

    async def _pull(self, fn: Handler) -> None:
        in_flight = self._in_flight
        room = asyncio.Semaphore(self.max_in_flight)

        def done(task: asyncio.Task) -> None:
            in_flight.discard(task)
            room.release()

        # The flag, not only the cancellation, ends the loop: on Python 3.11 a cancellation
        # that comes just as the server's answer does is lost (asyncio.wait_for, under
        # nats-py's next_msg, returns the answer), and the fetch ends as if nothing happened.
        while not self._stopping:
            try:
                # returns as soon as messages are there; raises TimeoutError when idle
                messages = await self._sub.fetch(self.batch_size, timeout=POLL_SECONDS)
            except TimeoutError:  # nats.errors.TimeoutError is one too
                continue
            except nats.errors.Error as exc:  # disconnected, reconnecting: the client retries
                log.warning("worker.fetch_failed", error=repr(exc))
                await asyncio.sleep(1.0)
                continue
            except Exception:  # whatever else: log it, and go on pulling
                log.exception("worker.fetch_error")
                await asyncio.sleep(1.0)
                continue
            for raw in messages:
                await room.acquire()
                task = asyncio.create_task(self._handle(fn, raw))
                in_flight.add(task)
                task.add_done_callback(done)

    async def stop(self) -> None:
        """Stop pulling, give the messages in hand ``DRAIN_TIMEOUT`` to finish (the rest
        are nak'ed), then close the connection."""
        self._stopping = True
        if self._pulling is not None:
            self._pulling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pulling
            self._pulling = None
        if self._in_flight:
            _, late = await asyncio.wait(set(self._in_flight), timeout=self.drain_timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self._sub is not None:
            # before the broker drains the connection: a pull subscription never drains
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()
            self._sub = None
        try:
            await self.broker.stop()
        except nats.errors.Error as exc:
            # NATS unreachable while stopping: whatever is unacked is redelivered.
            log.warning("worker.stop_without_drain", error=repr(exc))

    async def _handle(self, fn: Handler, raw: Msg) -> None:
        headers = raw.headers or {}
        ctx = Delivery(
            subject=raw.subject,
            num_delivered=raw.metadata.num_delivered or 1,
            correlation_id=headers.get(CORRELATION_HEADER),
            message=raw,
        )
        durable = self.consumer.durable
        labels = (durable, raw.subject)
        start = time.perf_counter()
        with structlog.contextvars.bound_contextvars(
            correlation_id=ctx.correlation_id,
            submission_id=headers.get(SUBMISSION_HEADER),
            subject=raw.subject,
        ):
            try:
                try:
                    event = parse_event(raw.data)
                except ValidationError as exc:
                    raise Poison(f"not a lifecycle event: {exc.error_count()} error(s)") from exc
                await fn(event, ctx)
            except Poison as exc:
                await self._dead_letter(raw, ctx, str(exc))
                MESSAGES.labels(*labels, "dead_letter").inc()
            except asyncio.CancelledError:
                await raw.nak()
                raise
            except Exception as exc:
                if ctx.num_delivered >= self.consumer.max_deliver:
                    log.exception("message.giving_up", deliveries=ctx.num_delivered)
                    await self._dead_letter(raw, ctx, f"failed {ctx.num_delivered} times: {exc!r}")
                    MESSAGES.labels(*labels, "dead_letter").inc()
                else:
                    delay = exc.delay if isinstance(exc, Retry) else backoff(ctx.num_delivered)
                    log.warning("message.retry", error=repr(exc), delay=round(delay, 2))
                    await raw.nak(delay=delay)
                    MESSAGES.labels(*labels, "retry").inc()
            else:
                await raw.ack()
                MESSAGES.labels(*labels, "ok").inc()
            finally:
                HANDLER_LATENCY.labels(*labels).observe(time.perf_counter() - start)

    async def _dead_letter(self, msg: Msg, ctx: Delivery, error: str) -> None:
        log.error("message.dead_letter", error=error, deliveries=ctx.num_delivered)
        await write_dead_letter(
            self.broker.connection.jetstream(),
            consumer=self.consumer.durable,
            subject=ctx.subject,
            data=msg.data,
            headers=msg.headers,
            error=error,
            deliveries=ctx.num_delivered,
        )
        await msg.term()  # JetStream will not deliver it again

    def lifespan(self):
        """A FastAPI lifespan that runs the worker alongside the health endpoints."""

        @asynccontextmanager
        async def _lifespan(app):
            await self.start()
            log.info("worker.started", consumer=self.consumer.durable)
            try:
                yield
            finally:
                await self.stop()
                log.info("worker.stopped", consumer=self.consumer.durable)

        return _lifespan
