"""The validation worker: judges each ``Received`` and publishes one ``Judged``.

It consumes the shared durable consumer ``topology.VALIDATION`` (work-queue style, so
replicas share the load) and publishes the verdict on ``submissions.<outcome>``. The
shared ``Worker`` acks, retries and dead-letters; idempotency on (submission id, version)
comes from the verdict being a pure function of the message and the edition, and from
the ``Nats-Msg-Id`` (``<id>:<version>:judged``) that makes JetStream drop a second
publication of the same decision after a redelivery.

The edition is loaded once at start-up. Changing it re-judges nothing: an operator
re-judge is a new ``Received`` (a new version, same ``received_at``) published by the
submission service, judged here like any other.
"""

from __future__ import annotations

import structlog
from fastapi import FastAPI
from sdi_common import topology
from sdi_common.contracts import OUTCOMES, Judged, Received
from sdi_common.editions import Edition, load_edition
from sdi_common.http import create_app
from sdi_common.worker import Delivery, Poison, Worker

from .metrics import REASONS, VERDICTS
from .rules import judge
from .settings import ValidationSettings
from .verdicts import router as verdicts

log = structlog.get_logger(__name__)


def verdict_event(received: Received, edition: Edition) -> Judged:
    """The ``Judged`` event for a ``Received``: same submission id and version."""
    verdict = judge(received.submission, received.received_at, edition)
    return Judged(
        type=verdict.outcome,
        submission_id=received.submission_id,
        version=received.version,
        by="validation",
        submission=received.submission,
        reasons=verdict.reasons,
        edition=edition.name,
    )


def build_worker(settings: ValidationSettings, edition: Edition) -> Worker:
    worker = Worker(
        settings,
        topology.VALIDATION,
        publishes={outcome: Judged for outcome in OUTCOMES},
    )

    @worker.handler
    async def on_received(event, ctx: Delivery) -> None:
        if not isinstance(event, Received):
            raise Poison(f"expected a 'received' event on {ctx.subject}, got {event.type!r}")
        judged = verdict_event(event, edition)
        await worker.publish(judged, ctx)
        VERDICTS.labels(judged.type).inc()
        for reason in judged.reasons:
            REASONS.labels(reason.code).inc()
        log.info(
            "submission.judged",
            submission_id=event.submission_id,
            version=event.version,
            outcome=judged.type,
            codes=[r.code for r in judged.reasons],
            edition=edition.name,
            deliveries=ctx.num_delivered,
        )

    return worker


def build_app(
    settings: ValidationSettings | None = None, edition: Edition | None = None
) -> FastAPI:
    settings = settings or ValidationSettings()
    edition = edition or load_edition(settings.edition_file)
    worker = build_worker(settings, edition)
    app = create_app(
        title="Semaine de l'industrie — validation",
        settings=settings,
        lifespan=worker.lifespan(),
        ready=lambda: worker.ready,
    )
    app.state.worker = worker
    app.state.edition = edition
    app.include_router(verdicts)

    @app.get("/v1/edition", tags=["edition"], summary="The edition this replica judges against")
    async def get_edition() -> dict:
        first, last = edition.window()
        return {
            "name": edition.name,
            "timezone": edition.timezone,
            "week_start": edition.week_start.isoformat(),
            "week_end": edition.week_end.isoformat(),
            "tolerance_days": edition.tolerance_days,
            "first_day": first.isoformat(),
            "last_day": last.isoformat(),
            "submissions_close_at": edition.submissions_close_at.isoformat(),
        }

    log.info("validation.edition", edition=edition.name, window=[d.isoformat() for d in
             edition.window()], submissions_close_at=edition.submissions_close_at.isoformat())
    return app
