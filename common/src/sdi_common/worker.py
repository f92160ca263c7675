"""FastStream plumbing for a service that consumes one durable pull consumer.

    worker = Worker(settings, topology.VALIDATION, publishes={"labelled": Judged, ...})

    @worker.handler
    async def judge(event: Event, ctx: Delivery) -> None:
        await worker.publish(Judged(...), ctx)

The error policy lives here, once:
- a message that does not parse as a lifecycle event, or a handler raising ``Poison``:
  a dead-letter record, then ``term`` (no retry can fix it);
- any other exception: ``nak`` with exponential backoff, until the consumer's
  ``max_deliver``; on the last delivery, a dead-letter record then ``term``;
- success: ``ack``. A handler cancelled by shutdown ``nak``s at once so another replica
  takes the message without waiting for ``ack_wait``.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import nats.errors
import structlog
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from faststream.nats.security import NatsSecurity
from pydantic import ValidationError

from . import subjects
from .contracts import Event, encode, parse_event
from .deadletters import write_dead_letter
from .metrics import HANDLER_LATENCY, MESSAGES
from .natsconn import CORRELATION_HEADER, SUBMISSION_HEADER, connect_options, event_headers
from .settings import ServiceSettings
from .topology import Consumer

log = structlog.get_logger(__name__)

#: the stream exists already (bootstrap declared it); FastStream must not declare it
SUBMISSIONS = JStream(subjects.STREAM, declare=False)


class Poison(Exception):
    """Raise from a handler for a message no retry will ever fix."""


@dataclass(frozen=True)
class Delivery:
    """What a handler may want to know about the message it handles."""

    subject: str
    num_delivered: int
    correlation_id: str | None
    message: NatsMessage


Handler = Callable[[Event, Delivery], Awaitable[None]]


async def _the_message(msg: NatsMessage) -> NatsMessage:
    # The handler gets the message itself: we parse (and dead-letter) ourselves, and skip
    # FastStream's JSON decoding and dependency injection (apply_types=False), which cost
    # more CPU per message than our whole handling.
    return msg


def backoff(num_delivered: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Jittered exponential delay before the next delivery."""
    return min(cap, base * 2 ** (num_delivered - 1)) * random.uniform(0.5, 1.0)


def build_broker(settings: ServiceSettings, **kwargs: Any) -> NatsBroker:
    options = connect_options(settings, settings.service_name)
    if (ssl_context := options.pop("tls", None)) is not None:
        # FastStream takes TLS as a security object, not nats-py's ``tls=`` option.
        kwargs["security"] = NatsSecurity(ssl_context=ssl_context)
    return NatsBroker(
        logger=logging.getLogger("faststream"),
        # FastStream's per-message records go to DEBUG: free at INFO (a large cost otherwise)
        log_level=logging.DEBUG,
        graceful_timeout=settings.drain_timeout,
        apply_types=False,
        **options,
        **kwargs,
    )


class Worker:
    def __init__(
        self,
        settings: ServiceSettings,
        consumer: Consumer,
        *,
        publishes: dict[str, type[Event]] | None = None,
        batch_size: int | None = None,
        max_workers: int = 64,
        broker: NatsBroker | None = None,
    ) -> None:
        self.consumer = consumer
        self.batch_size = batch_size or settings.fetch_batch
        # Handlers run concurrently (up to max_workers) while the next batch is fetched.
        self.max_workers = max_workers
        self.broker = broker or build_broker(settings)
        # Declared as FastStream publishers so that the AsyncAPI document shows them.
        self._publishers = {
            kind: self.broker.publisher(
                subjects.for_type(kind),
                stream=SUBMISSIONS,
                schema=model,
                title=f"{subjects.for_type(kind)}:publish",
                timeout=5.0,
            )
            for kind, model in (publishes or {}).items()
        }

    @property
    def ready(self) -> bool:
        return self.broker._connection is not None and self.broker._connection.is_connected

    async def publish(self, event: Event, ctx: Delivery | None = None) -> None:
        """Publish an event, deduplicated by JetStream (see ``natsconn.msg_id``)."""
        headers = event_headers(event, ctx.correlation_id if ctx else None)
        await self._publishers[event.type].publish(encode(event), headers=headers)

    def handler(self, fn: Handler) -> Handler:
        consumer = self.consumer

        @self.broker.subscriber(
            consumer.subject,
            stream=SUBMISSIONS,
            durable=consumer.durable,
            pull_sub=PullSub(batch_size=self.batch_size, timeout=1.0),
            ack_policy=AckPolicy.MANUAL,
            max_workers=self.max_workers,
            decoder=_the_message,
            title=f"{consumer.durable}:consume",
            description=f"{consumer.description} (filter: {', '.join(consumer.filter_subjects)})",
        )
        async def on_message(msg: NatsMessage) -> None:
            await self._handle(fn, msg)

        return fn

    async def _handle(self, fn: Handler, msg: NatsMessage) -> None:
        raw = msg.raw_message
        headers = raw.headers or {}
        ctx = Delivery(
            subject=raw.subject,
            num_delivered=raw.metadata.num_delivered or 1,
            correlation_id=headers.get(CORRELATION_HEADER),
            message=msg,
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
                await self._dead_letter(msg, ctx, str(exc))
                MESSAGES.labels(*labels, "dead_letter").inc()
            except asyncio.CancelledError:
                await msg.nack()
                raise
            except Exception as exc:
                if ctx.num_delivered >= self.consumer.max_deliver:
                    log.exception("message.giving_up", deliveries=ctx.num_delivered)
                    await self._dead_letter(msg, ctx, f"failed {ctx.num_delivered} times: {exc!r}")
                    MESSAGES.labels(*labels, "dead_letter").inc()
                else:
                    delay = backoff(ctx.num_delivered)
                    log.warning("message.retry", error=repr(exc), delay=round(delay, 2))
                    await msg.nack(delay=delay)
                    MESSAGES.labels(*labels, "retry").inc()
            else:
                await msg.ack()
                MESSAGES.labels(*labels, "ok").inc()
            finally:
                HANDLER_LATENCY.labels(*labels).observe(time.perf_counter() - start)

    async def _dead_letter(self, msg: NatsMessage, ctx: Delivery, error: str) -> None:
        log.error("message.dead_letter", error=error, deliveries=ctx.num_delivered)
        await write_dead_letter(
            self.broker.connection.jetstream(),
            consumer=self.consumer.durable,
            subject=ctx.subject,
            data=msg.raw_message.data,
            headers=msg.raw_message.headers,
            error=error,
            deliveries=ctx.num_delivered,
        )
        await msg.reject()  # term: JetStream will not deliver it again

    def lifespan(self):
        """A FastAPI lifespan that runs the broker alongside the health endpoints."""

        @asynccontextmanager
        async def _lifespan(app):
            await self.broker.start()
            log.info("worker.started", consumer=self.consumer.durable)
            try:
                yield
            finally:
                # FastStream stops fetching, then waits up to graceful_timeout for handlers.
                try:
                    await self.broker.stop()
                except nats.errors.Error as exc:
                    # NATS unreachable while stopping: whatever is unacked is redelivered.
                    log.warning("worker.stop_without_drain", error=repr(exc))
                log.info("worker.stopped", consumer=self.consumer.durable)

        return _lifespan
