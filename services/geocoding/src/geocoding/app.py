"""The geocoding worker: places each labelled event and publishes where it takes place.

It consumes the shared durable consumer ``topology.GEOCODING`` (subjects ``labelled`` and
``decided``):

- ``Judged`` labelled, or ``Decided`` with decision=label → geocode the address;
- ``Decided`` with decision=reject → ack, nothing to do (the submission service records it);
- an online event → ``Geocoded`` with ``location`` None, no geocoding;
- a point found → ``Geocoded``; nothing acceptable → ``LocationUnresolved`` with the reason
  ``address_not_found``, or ``address_ambiguous`` when several communes answer alike (the
  reason names them; an operator may place it by hand: ``Relocated``).

Published events keep the input's submission id and version (``by="geocoding"``). The
shared ``Worker`` acks, retries and dead-letters; ``ChainUnavailable`` (a remote geocoder
down and nothing else resolved it) is an ordinary exception, hence a nak with backoff.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from sdi_common import topology
from sdi_common.contracts import (
    Decided,
    Event,
    Geocoded,
    Judged,
    LocationUnresolved,
    Submission,
)
from sdi_common.http import create_app
from sdi_common.worker import Delivery, Poison, Worker

from . import communes, lookup
from .cache import GeoCache
from .chain import GeocodingChain, build_chain
from .gazetteer import Gazetteer
from .reasons import ADDRESS_MISSING, address_not_found
from .settings import GeocodingSettings

log = structlog.get_logger(__name__)


def to_place(event: Event, subject: str) -> Submission | None:
    """The submission to geocode, None for a message to ack and ignore; Poison otherwise."""
    if isinstance(event, Judged):
        if event.type != "labelled":
            raise Poison(f"a {event.type!r} verdict on {subject}: only 'labelled' is geocoded")
        return event.submission
    if isinstance(event, Decided):
        return event.submission if event.decision == "label" else None
    raise Poison(f"expected 'labelled' or 'decided' on {subject}, got {event.type!r}")


async def place(chain: GeocodingChain, event: Event, submission: Submission) -> Event:
    """The ``Geocoded`` or ``LocationUnresolved`` answer to a labelled submission."""
    common = {
        "submission_id": event.submission_id,
        "version": event.version,
        "by": "geocoding",
        "submission": submission,
    }
    if submission.online:
        return Geocoded(location=None, **common)
    if submission.location is None:
        return LocationUnresolved(reason=ADDRESS_MISSING, **common)
    result = await chain.geocode(submission.location)
    if result is None:
        reason = address_not_found(submission.location, chain.candidates(submission.location))
        return LocationUnresolved(reason=reason, **common)
    return Geocoded(location=result, **common)


def build_worker(settings: GeocodingSettings, chain: GeocodingChain) -> Worker:
    worker = Worker(
        settings,
        topology.GEOCODING,
        publishes=("geocoded", "location_unresolved"),
    )

    @worker.handler
    async def on_event(event: Event, ctx: Delivery) -> None:
        submission = to_place(event, ctx.subject)
        if submission is None:
            log.info("submission.not_to_place", reason="rejected by an operator")
            return
        answer = await place(chain, event, submission)
        await worker.publish(answer, ctx)
        location = getattr(answer, "location", None)
        log.info(
            "submission.placed",
            submission_id=event.submission_id,
            version=event.version,
            outcome=answer.type,
            source=location.source if location else None,
            precision=location.precision if location else None,
            citycode=location.citycode if location else None,
            deliveries=ctx.num_delivered,
        )

    return worker


def build_service(
    settings: GeocodingSettings, gazetteer: Gazetteer | None = None
) -> tuple[Worker, GeocodingChain]:
    """The worker and its chain, the shared cache reading the worker's own connection."""
    holder: dict[str, Worker] = {}
    cache = GeoCache(lambda: holder["worker"].broker.connection.jetstream())
    chain = build_chain(settings, gazetteer, cache)
    worker = holder["worker"] = build_worker(settings, chain)
    return worker, chain


def build_app(
    settings: GeocodingSettings | None = None, gazetteer: Gazetteer | None = None
) -> FastAPI:
    settings = settings or GeocodingSettings()
    worker, chain = build_service(settings, gazetteer)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            async with worker.lifespan()(app):
                yield
        finally:
            await chain.aclose()

    app = create_app(
        title="Semaine de l'industrie — geocoding",
        settings=settings,
        lifespan=lifespan,
        ready=lambda: worker.ready,
    )
    app.state.worker = worker
    app.state.chain = chain
    app.state.communes = communes.CommuneIndex(chain.gazetteer)
    app.include_router(communes.router)
    app.include_router(lookup.router)
    log.info("geocoding.chain", steps=chain.steps, min_score=settings.min_score)
    return app
