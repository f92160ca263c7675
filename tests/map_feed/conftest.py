"""Fixtures of the map-feed tests: event factories and a real nats-server with the topology."""

from __future__ import annotations

import asyncio

import nats
import pytest
from sdi_common import topology
from sdi_common.stack import free_port
from sdi_common.testing import bootstrapped, nats_server


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory):
    """A real nats-server with JetStream on a free port, and the project's topology."""
    with nats_server(tmp_path_factory.mktemp("nats")) as url:
        yield bootstrapped(url)


@pytest.fixture
async def nc(nats_url):
    conn = await nats.connect(nats_url)
    yield conn
    await conn.close()


@pytest.fixture
async def http():
    """An HTTP client for the services under test."""
    import httpx

    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def kv(nc):
    return await nc.jetstream().key_value(topology.FEED_BUCKET.name)


class RunningService:
    """A map-feed replica served by uvicorn on a free port, in the test's event loop."""

    def __init__(self, app, server, task, url):
        self.app, self.server, self.task, self.url = app, server, task, url

    @property
    def feed(self):
        return self.app.state.feed

    async def stop(self):
        self.server.should_exit = True
        await asyncio.wait_for(self.task, 20)


async def _start_service(nats_url: str, **overrides) -> RunningService:
    from map_feed.app import build_asgi
    from map_feed.settings import MapFeedSettings
    from sdi_common.http import Server, server_config

    port = free_port()
    settings = MapFeedSettings(
        nats_url=nats_url,
        host="127.0.0.1",
        port=port,
        log_format="console",
        drain_timeout=3,
        **overrides,
    )
    app = build_asgi(settings)
    server = Server(server_config(app, settings), app.state.feed.broadcaster.stop)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{port}"
    import httpx

    async with httpx.AsyncClient() as http:
        for _ in range(200):
            try:
                if (await http.get(url + "/readyz")).status_code == 200:
                    return RunningService(app, server, task, url)
            except httpx.TransportError:
                pass
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
    raise RuntimeError("map-feed did not become ready")


@pytest.fixture(scope="session")
def start_service():
    """``await start_service(nats_url, **settings)``: a replica served on a free port."""
    return _start_service
