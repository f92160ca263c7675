"""The submission service: the HTTP API, the reference form and the projector, one process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import structlog
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from nats.aio.client import Client as NATS
from sdi_common import subjects, topology
from sdi_common.editions import Edition, EditionError, load_edition
from sdi_common.http import create_app
from sdi_common.natsconn import connect
from sdi_common.security import SecurityHeaders, content_security_policy
from sdi_common.worker import Worker

from .api import carry_over, event_status, imports, operators, organizers, problems
from .api.deps import Runtime
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
FAVICON = STATIC / "vendor" / "dsfr" / "favicon" / "favicon.ico"

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


async def rebuild_if_empty(nc: NATS, store: Store) -> None:
    """A new or wiped store beside an existing stream: the durable consumer is past those
    events, so replay them first (idempotent if replicas race to do it)."""
    if await store.count() == 0:
        stream = await nc.jetstream().stream_info(subjects.STREAM)
        if stream.state.messages:
            log.info("submission.rebuilding_empty_store", events=stream.state.messages)
            await rebuild(nc, store)


@dataclass
class Parts:
    """What the service is made of before it starts (``build_app``); ``lifespan`` runs it."""

    settings: SubmissionSettings
    operators: Operators
    store: Store
    callbacks: Callbacks
    projector: Worker
    edition: Edition | None


async def open_runtime(parts: Parts, nc: NATS) -> tuple[Runtime, ContactKeys]:
    """What the routes need once NATS is connected (and the sealing keys' pool, to stop)."""
    settings = parts.settings
    js = nc.jetstream(timeout=settings.publish_timeout)
    keys = ContactKeys(await js.key_value(topology.CONTACT_KEYS_BUCKET.name),
                       pool_size=settings.contact_key_pool)
    keys.start()
    commands = Commands(
        nc=nc,
        store=parts.store,
        keys=keys,
        idempotency=IdempotencyRecords(await js.key_value(topology.IDEMPOTENCY_BUCKET.name)),
        edition=lambda: parts.edition,
        publish_timeout=settings.publish_timeout,
        apply_on_accept=settings.apply_on_accept,
        on_change=parts.callbacks.on_change,
    )
    runtime = Runtime(
        settings=settings,
        store=parts.store,
        commands=commands,
        operators=parts.operators,
        limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        import_limiter=RateLimiter(settings.import_rate_limit_per_minute,
                                   settings.import_rate_limit_burst),
    )
    return runtime, keys


@asynccontextmanager
async def retention_job(parts: Parts, commands: Commands) -> AsyncIterator[None]:
    """The in-process retention job, every RETENTION_INTERVAL seconds (0: none)."""
    settings = parts.settings
    if settings.retention_interval <= 0:
        yield
        return
    task = asyncio.create_task(retention_loop(
        commands, parts.store, lambda: parts.edition, settings.contact_retention_days,
        settings.retention_interval,
    ))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    parts: Parts = app.state.parts
    settings, store = parts.settings, parts.store
    await store.open()
    nc = app.state.nc = await connect(settings, name=f"{settings.service_name}-api")
    app.state.runtime, keys = await open_runtime(parts, nc)
    if settings.rebuild_if_empty:
        await rebuild_if_empty(nc, store)
    parts.callbacks.start()
    await parts.projector.start()
    log.info("submission.started", store=settings.store, operators=len(parts.operators),
             edition=parts.edition.name if parts.edition else None)
    try:
        async with retention_job(parts, app.state.runtime.commands):
            yield
    finally:
        await parts.projector.stop()
        await parts.callbacks.stop()
        await keys.stop()
        await nc.drain()
        await store.close()
        log.info("submission.stopped")


def build_app(settings: SubmissionSettings | None = None) -> FastAPI:
    settings = settings or SubmissionSettings()
    store = make_store(settings)
    callbacks = Callbacks(
        secret=settings.callback_secret,
        max_attempts=settings.callback_max_attempts,
        backoff=settings.callback_backoff,
        timeout=settings.callback_timeout,
        allow_private=settings.callback_allow_private,
    )
    parts = Parts(
        settings=settings,
        operators=Operators.from_config(settings.operator_tokens, settings.operator_tokens_file),
        store=store,
        callbacks=callbacks,
        projector=build_projector(settings, store, callbacks.on_change),
        edition=active_edition(),
    )

    def ready() -> bool:
        nc = getattr(app.state, "nc", None)
        return bool(nc is not None and nc.is_connected and parts.projector.ready)

    app = create_app(
        title="Semaine de l'industrie — inscriptions",
        settings=settings,
        lifespan=lifespan,
        ready=ready,
        description="Inscription des événements, suivi par les organisateurs, modération.",
    )
    app.state.parts = parts
    app.state.callbacks = callbacks
    app.add_middleware(SecurityHeaders, always=ALWAYS, html=lambda path: PAGE_HEADERS)
    problems.install(app, settings.retry_after)
    app.include_router(imports.router)  # /import before /{submission_id}
    app.include_router(operators.router)  # first: /export.csv before /{submission_id}
    app.include_router(organizers.router)
    app.include_router(event_status.router)
    app.include_router(carry_over.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/", form, include_in_schema=False)
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.add_api_route("/import", import_page, include_in_schema=False)
    return app


async def form() -> FileResponse:
    """The reference form."""
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


async def import_page() -> FileResponse:
    """The organiser space's import page: upload the spreadsheet, read each row's answer."""
    return FileResponse(STATIC / "import" / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


async def favicon() -> FileResponse:
    """DSFR's favicon, where browsers and link checkers look for it."""
    return FileResponse(FAVICON, media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})
