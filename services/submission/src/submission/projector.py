"""Keeping the store up to date: the durable projector, and the rebuild from the stream.

The projector binds to the ``submission-projector`` durable (shared by the replicas, all
subjects) through ``sdi_common.worker`` (its error policy: poison -> dead letter; other
errors -> nak with backoff). The rebuild replays the whole ``SUBMISSIONS`` stream with an
ordered ephemeral consumer into an emptied store; erased contacts stay erased, since
their keys are gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from nats.aio.client import Client as NATS
from nats.js.api import DeliverPolicy
from pydantic import ValidationError
from sdi_common import subjects, topology
from sdi_common.contracts import Event, parse_event
from sdi_common.settings import ServiceSettings
from sdi_common.worker import Delivery, Worker

from .record import Change, NotYet
from .store.base import Store

log = structlog.get_logger(__name__)


def build_projector(
    settings: ServiceSettings,
    store: Store,
    on_change: Callable[[Change], Awaitable[None]] | None = None,
) -> Worker:
    worker = Worker(settings, topology.SUBMISSION_PROJECTOR)

    @worker.handler
    async def project(event: Event, ctx: Delivery) -> None:
        # NotYet (the event's Received is not projected yet) propagates: the worker naks
        # with backoff and the message comes back once its Received has been applied
        change = await store.apply(event)
        if change is not None and on_change is not None:
            await on_change(change)

    return worker


async def rebuild(nc: NATS, store: Store, *, batch_log: int = 1000) -> dict[str, int]:
    """Empty the store and replay every lifecycle event. Returns counts."""
    js = nc.jetstream()
    info = await js.stream_info(subjects.STREAM)
    last = info.state.last_seq
    await store.clear()
    counts = {"events": 0, "applied": 0, "invalid": 0}
    if info.state.messages == 0:
        return counts
    sub = await js.subscribe(
        subjects.ALL,
        stream=subjects.STREAM,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
        pending_msgs_limit=10_000,
    )
    try:
        while True:
            msg = await asyncio.wait_for(sub.next_msg(timeout=30), 35)
            seq = msg.metadata.sequence.stream
            counts["events"] += 1
            try:
                event = parse_event(msg.data)
            except ValidationError:
                counts["invalid"] += 1
                log.warning("rebuild.invalid_event", seq=seq)
            else:
                try:
                    if await store.apply(event) is not None:
                        counts["applied"] += 1
                except NotYet:  # cannot happen in stream order; a damaged stream
                    counts["invalid"] += 1
                    log.warning("rebuild.event_before_its_received", seq=seq)
            if counts["events"] % batch_log == 0:
                log.info("rebuild.progress", seq=seq, last=last, **counts)
            if seq >= last:
                break
    finally:
        await sub.unsubscribe()
    log.info("rebuild.done", **counts)
    return counts
