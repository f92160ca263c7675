"""The submission service: the HTTP API, the reference form and the projector, one process."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
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

from .api import (
    back_office,
    carry_over,
    event_status,
    geocode,
    imports,
    operators,
    organizer_space,
    organizers,
    pages,
    problems,
    sign_in,
)
from .api import statistics as statistics_api
from .api.deps import Runtime
from .api.organizer_space import Space
from .callbacks import Webhooks
from .commands import Commands
from .geocoding_client import GeocodingClient
from .idempotency import IdempotencyRecords
from .lost_links import LostLinks
from .mail.transport import make_transport
from .outbox import Claims, Outbox, build_outbox_worker
from .projector import build_projector, rebuild
from .ratelimit import RateLimiter
from .retention import retention_loop
from .sealing import ContactKeys
from .sessions import Sessions
from .settings import SubmissionSettings
from .store.base import Store
from .tokens import Operators

log = structlog.get_logger(__name__)

STATIC = Path(__file__).parent / "static"
FAVICON = STATIC / "vendor" / "dsfr" / "favicon" / "favicon.ico"

#: on every answer; the pages load only this service's files and talk only to it
ALWAYS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGE_HEADERS = {"Content-Security-Policy": content_security_policy(), "X-Frame-Options": "DENY"}


def session_secret(settings: SubmissionSettings) -> str:
    if settings.session_secret:
        return settings.session_secret
    log.warning("back_office.session_secret_unset",
                detail="SESSION_SECRET is empty: a random one for this process; sessions end "
                "when it stops and are not shared by replicas")
    return secrets.token_urlsafe(32)


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
    webhooks: Webhooks
    projector: Worker
    outbox: Worker
    edition: Edition | None
    sessions: Sessions


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
    )
    runtime = Runtime(
        settings=settings,
        store=parts.store,
        commands=commands,
        operators=parts.operators,
        limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
        sessions=parts.sessions,
        geocoder=GeocodingClient(settings.geocoding_url, settings.geocoding_timeout),
        import_limiter=RateLimiter(settings.import_rate_limit_per_minute,
                                   settings.import_rate_limit_burst),
    )
    return runtime, keys


async def open_outbox(parts: Parts, nc: NATS, keys: ContactKeys) -> Outbox:
    settings = parts.settings
    kv = await nc.jetstream(timeout=settings.publish_timeout).key_value(
        topology.OUTBOX_BUCKET.name)
    transport = make_transport(settings.smtp_url, settings.maildir,
                               timeout=settings.smtp_timeout, ca_file=settings.smtp_ca_file)
    log.info("submission.mail", transport=transport.description)
    return Outbox(settings=settings, store=parts.store, keys=keys,
                  edition=lambda: parts.edition, transport=transport, webhooks=parts.webhooks,
                  claims=Claims(kv, lease=topology.SUBMISSION_OUTBOX.ack_wait))


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
    app.state.outbox = await open_outbox(parts, nc, keys)
    app.state.space = Space(
        LostLinks(app.state.runtime.commands, store, settings.lost_links_per_hour),
        httpx.AsyncClient(timeout=settings.upstream_timeout),
        validation_url=settings.validation_url, geocoding_url=settings.geocoding_url)
    await parts.projector.start()
    await parts.outbox.start()
    log.info("submission.started", store=settings.store, operators=len(parts.operators),
             edition=parts.edition.name if parts.edition else None)
    try:
        async with retention_job(parts, app.state.runtime.commands):
            yield
    finally:
        await app.state.space.aclose()
        await parts.outbox.stop()
        await parts.projector.stop()
        await app.state.runtime.geocoder.aclose()
        await parts.webhooks.aclose()
        await keys.stop()
        await nc.drain()
        await store.close()
        log.info("submission.stopped")


def build_app(settings: SubmissionSettings | None = None) -> FastAPI:
    settings = settings or SubmissionSettings()
    store = make_store(settings)
    webhooks = Webhooks(secret=settings.callback_secret, timeout=settings.callback_timeout,
                        allow_private=settings.callback_allow_private)
    parts = Parts(
        settings=settings,
        operators=Operators.from_config(settings.operator_tokens, settings.operator_tokens_file),
        store=store,
        webhooks=webhooks,
        projector=build_projector(settings, store),
        outbox=build_outbox_worker(settings, lambda: app.state.outbox),
        edition=active_edition(),
        sessions=Sessions(session_secret(settings), settings.session_max_age),
    )

    def ready() -> bool:
        nc = getattr(app.state, "nc", None)
        return bool(nc is not None and nc.is_connected and parts.projector.ready
                    and parts.outbox.ready)

    app = create_app(
        title="Semaine de l'industrie — inscriptions",
        settings=settings,
        lifespan=lifespan,
        ready=ready,
        description="Inscription des événements, suivi par les organisateurs, modération.",
    )
    app.state.parts = parts
    app.add_middleware(SecurityHeaders, always=ALWAYS, html=pages.headers(settings, PAGE_HEADERS))
    problems.install(app, settings.retry_after)
    # before organizers: /check, /import, /export.csv before /{submission_id}
    app.include_router(organizer_space.router)
    app.include_router(imports.router)
    app.include_router(operators.router)
    app.include_router(back_office.router)
    app.include_router(organizers.router)
    app.include_router(event_status.router)
    app.include_router(carry_over.router)
    app.include_router(sign_in.router)
    app.include_router(statistics_api.router)
    app.include_router(geocode.router)
    app.include_router(pages.router(settings))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/", form, include_in_schema=False)
    app.add_api_route("/organisateur/", organiser_page, include_in_schema=False)
    app.add_api_route("/favicon.ico", favicon, include_in_schema=False)
    app.add_api_route("/import", import_page, include_in_schema=False)
    return app


async def form() -> FileResponse:
    """The reference form."""
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


async def organiser_page() -> FileResponse:
    """The organiser's page (the token comes in the URL's fragment: never sent here)."""
    return FileResponse(STATIC / "organisateur" / "index.html",
                        media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


async def import_page() -> FileResponse:
    """The organiser space's import page: upload the spreadsheet, read each row's answer."""
    return FileResponse(STATIC / "import" / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})


async def favicon() -> FileResponse:
    """DSFR's favicon, where browsers and link checkers look for it."""
    return FileResponse(FAVICON, media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})
