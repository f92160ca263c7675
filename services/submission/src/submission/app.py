"""The submission service: the HTTP API, the reference form and the projector, one process."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from sdi_common import subjects, topology
from sdi_common.editions import Edition, EditionError, load_edition
from sdi_common.http import create_app
from sdi_common.natsconn import connect
from sdi_common.security import SecurityHeaders, content_security_policy

from .api import operators, organizers
from .api.deps import ProblemError, Runtime
from .callbacks import Callbacks
from .commands import Commands
from .idempotency import IdempotencyRecords
from .projector import build_projector, rebuild
from .ratelimit import RateLimiter
from .retention import retention_loop
from .sealing import ContactKeys
from .settings import SubmissionSettings
from .store.base import Store
from .tokens import Operators

log = structlog.get_logger(__name__)

STATIC = Path(__file__).parent / "static"

#: on every answer; the pages load only this service's files and talk only to it
ALWAYS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS = {"Content-Security-Policy": content_security_policy(), "X-Frame-Options": "DENY"}


def make_store(settings: SubmissionSettings) -> Store:
    if settings.store == "mongodb":
        from .store.mongo import MongoStore

        return MongoStore(settings.mongodb_url, settings.mongodb_db)
    if settings.store != "sqlite":
        raise ValueError(f"STORE must be sqlite or mongodb, not {settings.store!r}")
    from .store.sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path)


def active_edition() -> Edition | None:
    try:
        return load_edition()
    except EditionError as exc:
        log.error("edition.unavailable", error=str(exc))
        return None


def build_app(settings: SubmissionSettings | None = None) -> FastAPI:
    settings = settings or SubmissionSettings()
    operators_ = Operators.from_config(settings.operator_tokens, settings.operator_tokens_file)
    store = make_store(settings)
    callbacks = Callbacks(
        secret=settings.callback_secret,
        max_attempts=settings.callback_max_attempts,
        backoff=settings.callback_backoff,
        timeout=settings.callback_timeout,
        allow_private=settings.callback_allow_private,
    )
    projector = build_projector(settings, store, callbacks.on_outcome)
    edition = active_edition()
    status = {"nc": None}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await store.open()
        nc = await connect(settings, name=f"{settings.service_name}-api")
        status["nc"] = nc
        js = nc.jetstream(timeout=settings.publish_timeout)
        keys = ContactKeys(await js.key_value(topology.CONTACT_KEYS_BUCKET.name),
                           pool_size=settings.contact_key_pool)
        keys.start()
        commands = Commands(
            nc=nc,
            store=store,
            keys=keys,
            idempotency=IdempotencyRecords(await js.key_value(topology.IDEMPOTENCY_BUCKET.name)),
            edition=lambda: edition,
            publish_timeout=settings.publish_timeout,
            apply_on_accept=settings.apply_on_accept,
            on_outcome=callbacks.on_outcome,
        )
        app.state.runtime = Runtime(
            settings=settings,
            store=store,
            commands=commands,
            operators=operators_,
            limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        )
        app.state.callbacks = callbacks
        if settings.rebuild_if_empty and await store.count() == 0:
            # a new or wiped store beside an existing stream: the durable consumer is past
            # those events, so replay them first (idempotent if replicas race to do it)
            stream = await js.stream_info(subjects.STREAM)
            if stream.state.messages:
                log.info("submission.rebuilding_empty_store", events=stream.state.messages)
                await rebuild(nc, store)
        callbacks.start()
        await projector.start()
        retention = None
        if settings.retention_interval > 0:
            retention = asyncio.create_task(
                retention_loop(commands, store, lambda: edition,
                               settings.contact_retention_days, settings.retention_interval)
            )
        log.info("submission.started", store=settings.store, operators=len(operators_),
                 edition=edition.name if edition else None)
        try:
            yield
        finally:
            if retention is not None:
                retention.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await retention
            await projector.stop()
            await callbacks.stop()
            await keys.stop()
            await nc.drain()
            await store.close()
            log.info("submission.stopped")

    def ready() -> bool:
        nc = status["nc"]
        return bool(nc is not None and nc.is_connected and projector.ready)

    app = create_app(
        title="Semaine de l'industrie — inscriptions",
        settings=settings,
        lifespan=lifespan,
        ready=ready,
        description="Inscription des événements, suivi par les organisateurs, modération.",
    )

    app.add_middleware(SecurityHeaders, always=ALWAYS, html=lambda path: PAGE_HEADERS)

    @app.exception_handler(ProblemError)
    async def problem_error(request: Request, exc: ProblemError) -> Response:
        return exc.response

    app.include_router(operators.router)  # first: /export.csv before /{submission_id}
    app.include_router(organizers.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def form() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    return app
