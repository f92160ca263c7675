"""HEAD on every GET route and a truthful ``Allow`` on 405, through a real uvicorn."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
import uvicorn
from fastapi.responses import StreamingResponse
from sdi_common.http import create_app, server_config
from sdi_common.settings import ServiceSettings
from sdi_common.stack import free_port, http_ok
from sdi_common.testing import wait_until


@pytest.fixture(scope="module")
def base_url():
    settings = ServiceSettings(service_name="methods-test", port=free_port())
    app = create_app(title="methods", settings=settings)

    @app.get("/things")
    async def things() -> dict:
        return {"things": [1, 2, 3]}

    @app.post("/things", status_code=201)
    async def add_thing() -> dict:
        return {"ok": True}

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def events():
            while True:
                yield b"data: tick\n\n"
                await asyncio.sleep(0.05)

        return StreamingResponse(events(), media_type="text/event-stream")

    server = uvicorn.Server(server_config(app, settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{settings.port}"
    wait_until(lambda: http_ok(url + "/healthz"), 10, "the test server")
    yield url
    server.should_exit = True
    thread.join(10)


def test_head_answers_like_get_without_a_body(base_url):
    get = httpx.get(base_url + "/things")
    head = httpx.head(base_url + "/things")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))
    assert httpx.head(base_url + "/healthz").status_code == 200


def test_head_on_an_endless_stream_returns_at_once(base_url):
    head = httpx.head(base_url + "/stream", timeout=3)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/event-stream")
    # the connection is reusable afterwards
    with httpx.Client(base_url=base_url, timeout=3) as client:
        assert client.head("/stream").status_code == 200
        assert client.get("/things").json() == {"things": [1, 2, 3]}


def test_405_names_every_method_of_the_path(base_url):
    r = httpx.patch(base_url + "/things")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST"
    assert r.headers["content-type"] == "application/problem+json"
    assert httpx.delete(base_url + "/healthz").headers["allow"] == "GET, HEAD"
