"""Fixtures of the submission service's tests: a real nats-server with the topology, the
service served by uvicorn on a free port (real HTTP), a payload factory, a way to publish
the events the other services would publish."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from sdi_common.bootstrap import bootstrap
from sdi_common.contracts import Event
from sdi_common.natsconn import publish_event
from sdi_common.stack import NatsServer

from .browser_support import DESKTOP, close_page, new_page
from .submission_support import OPERATOR_TOKEN, Service, make_payload, service_settings


@pytest.fixture
def payload() -> Callable[..., dict[str, Any]]:
    return make_payload


@pytest.fixture(scope="session")
def edition_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("edition") / "2026.toml"
    path.write_text(
        'name = "2026"\nweek_start = 2026-11-16\nweek_end = 2026-11-22\n'
        "tolerance_days = 15\nsubmissions_close_at = 2099-01-01T00:00:00+01:00\n"
    )
    return path


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory):
    server = NatsServer(tmp_path_factory.mktemp("nats")).start()
    asyncio.run(bootstrap(server.url))
    yield server
    server.stop()


@pytest.fixture
async def start_service(nats_server, tmp_path, edition_file):
    """Start services (stopped at the end); several may share one data dir (restarts)."""
    started: list[Service] = []

    async def _start(data_dir: Path | None = None, nats_url: str | None = None,
                     edition: Path | None = None, **extra) -> Service:
        settings = service_settings(nats_url or nats_server.url, data_dir or tmp_path / "data",
                                    edition or edition_file, **extra)
        svc = await Service(settings).start()
        started.append(svc)
        return svc

    yield _start
    for svc in reversed(started):
        await svc.stop()


@pytest.fixture
async def service(start_service):
    return await start_service()


@pytest.fixture
async def client(service) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=service.url, timeout=15) as c:
        yield c


@pytest.fixture
async def bus(nats_server) -> AsyncIterator[nats.NATS]:
    nc = await nats.connect(nats_server.url)
    yield nc
    await nc.drain()


@pytest.fixture
def publish(bus) -> Callable[[Event], Any]:
    """Publish an event as another service would."""
    js = bus.jetstream()

    async def _publish(event: Event):
        return await publish_event(js, event)

    return _publish


@contextmanager
def service_process(nats_url: str, data_dir: Path, edition_file: Path, **env: str):
    """The service as a real process (its pages, for the browser tests): its URL."""
    from sdi_common.stack import Stack
    from submission.tokens import token_hash

    env = {"OPERATOR_TOKENS": f"alice:{token_hash(OPERATOR_TOKEN)}", "RATE_LIMIT_PER_MINUTE": "0",
           "IMPORT_RATE_LIMIT_PER_MINUTE": "0", "EDITION_FILE": str(edition_file),
           "LOG_LEVEL": "WARNING", **env}
    stack = Stack(data_dir=data_dir, nats_url=nats_url, env=env)
    try:
        yield stack.start("submission").url
    finally:
        stack.stop_all()


@pytest.fixture(scope="module")
def form_service(nats_server, tmp_path_factory, edition_file):
    with service_process(nats_server.url, tmp_path_factory.mktemp("form"), edition_file) as url:
        yield url


@pytest.fixture
def page(browser):
    """A desktop page (1280 x 900), its JavaScript errors failing the test."""
    pg = new_page(browser, **DESKTOP)
    yield pg
    close_page(pg)
