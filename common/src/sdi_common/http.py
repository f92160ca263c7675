"""HTTP plumbing shared by every service: health, metrics, correlation ids, problem+json.

``create_app`` gives a FastAPI app with ``/healthz`` (the process answers), ``/readyz``
(the ``ready`` callable says the service can do its job: NATS connected, consumer bound,
initial sync done) and ``/metrics``; every error is answered as RFC 9457 problem+json.
``serve`` runs it under uvicorn with a graceful shutdown on SIGTERM.
"""

from __future__ import annotations

import signal
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logging import configure_logging
from .metrics import HTTP_LATENCY, HTTP_REQUESTS
from .natsconn import CORRELATION_HEADER
from .settings import ServiceSettings

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
ReadyCheck = Callable[[], bool | Awaitable[bool]]


def problem(
    status: int,
    title: str | None = None,
    detail: str | None = None,
    *,
    type: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """An RFC 9457 problem details response."""
    body: dict[str, Any] = {
        "type": type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class ObservabilityMiddleware:
    """Binds a correlation id to the log context, echoes it, and records HTTP metrics.

    A pure ASGI middleware (not BaseHTTPMiddleware) so that streaming responses such as
    Server-Sent Events pass through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = CORRELATION_HEADER.lower().encode()
        correlation_id = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == header), None
        ) or uuid.uuid4().hex
        correlation_id = correlation_id[:128]
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (CORRELATION_HEADER.encode(), correlation_id.encode("latin-1")),
                ]
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                route = scope.get("route")
                path = getattr(route, "path", None) or "unmatched"
                HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()
                HTTP_LATENCY.labels(scope["method"], path).observe(time.perf_counter() - start)


class _HeadDone(Exception):
    """Raised into a streaming GET handler answering a HEAD: its headers are sent."""


class HeadAsGet:
    """Answers ``HEAD`` on every ``GET`` route: the GET runs, its headers go out, no body.

    FastAPI's routes accept only the methods they declare, and uptime monitors and link
    checkers send HEAD. A stream that never ends by itself (Server-Sent Events) is stopped
    once its headers are sent. uvicorn keeps the original scope, where the method is still
    HEAD, so it sends no body and accepts the GET's ``Content-Length``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def send_headers_only(message: Message) -> None:
            nonlocal finished
            if finished:
                raise _HeadDone
            if message["type"] == "http.response.body":
                finished = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                if message.get("more_body"):
                    raise _HeadDone
                return
            await send(message)

        try:
            await self.app({**scope, "method": "GET"}, receive, send_headers_only)
        except* _HeadDone:
            pass


def allowed_methods(app: Any, scope: Scope) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first
    route's: ``PATCH /v1/submissions`` said ``Allow: GET`` though POST is served too)."""
    methods: set[str] = set()
    for route in app.routes:
        match, _ = route.matches({**scope, "method": "\0"})
        if match is not Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def correlation_id(request: Request) -> str:
    return request.scope.get("state", {}).get("correlation_id") or uuid.uuid4().hex


def _install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return problem(exc.status_code, detail=str(exc.detail), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
                "code": e.get("type", "invalid"),
                "message": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        return problem(422, "Requête invalide", errors=errors)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("http.unhandled_error", path=request.url.path)
        return problem(500, detail="Erreur interne ; réessayez plus tard.")


def create_app(
    *,
    title: str,
    settings: ServiceSettings,
    lifespan: Any = None,
    ready: ReadyCheck | None = None,
    **fastapi_kwargs: Any,
) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level, settings.log_format)
    app = FastAPI(title=title, lifespan=lifespan, **fastapi_kwargs)
    app.add_middleware(ObservabilityMiddleware)
    app.add_middleware(HeadAsGet)  # outermost: the metrics count a HEAD as the GET it runs
    _install_problem_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict:
        return {"status": "ok", "service": settings.service_name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        ok = True
        if ready is not None:
            result = ready()
            ok = await result if isinstance(result, Awaitable) else result
        if not ok:
            return problem(503, "Not ready", headers={"Retry-After": "1"})
        return JSONResponse({"status": "ready", "service": settings.service_name})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app


class Server(uvicorn.Server):
    """uvicorn, with a hook run when shutdown starts.

    uvicorn waits for open responses before the lifespan's shutdown; a response that never
    ends by itself (Server-Sent Events) would hold every stop for the whole drain time.
    ``before_shutdown`` ends such responses first, so clients reconnect elsewhere at once.
    """

    def __init__(self, config: uvicorn.Config, before_shutdown=None) -> None:
        super().__init__(config)
        self.before_shutdown = before_shutdown

    async def shutdown(self, sockets: Any = None) -> None:
        if self.before_shutdown is not None:
            await self.before_shutdown()
        await super().shutdown(sockets)


def server_config(app: ASGIApp, settings: ServiceSettings, **uvicorn_kwargs: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # our structlog setup stays in charge
        access_log=False,
        timeout_graceful_shutdown=int(settings.drain_timeout),
        lifespan="on",
        # X-Forwarded-For is trusted only where a service says which proxies to trust.
        proxy_headers=False,
        **uvicorn_kwargs,
    )


def serve(
    app: ASGIApp,
    settings: ServiceSettings,
    *,
    before_shutdown: Callable[[], Awaitable[None]] | None = None,
    **uvicorn_kwargs: Any,
) -> None:
    """Run under uvicorn; on SIGTERM stop accepting, finish in-flight requests, then exit 0."""
    # uvicorn re-raises the signal it caught once it has shut down: make that a clean exit.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sys.exit(0))
    Server(server_config(app, settings, **uvicorn_kwargs), before_shutdown).run()
