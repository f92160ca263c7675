"""Fixtures shared by every area of the suite.

Where root, Debian's docker.io and the cached local bases are present (``make test-deps``),
a private Docker engine starts once for the session (``engine_state``), and the NATS and
MongoDB-wire servers below are testcontainers containers on it; elsewhere they are local
processes, or the tests needing them skip and say why.
"""

from __future__ import annotations

import os

import nats
import pytest
from sdi_common.bootstrap import bootstrap
from sdi_common.stack import ferretdb_binary
from sdi_common.testing import CHROMIUM, CHROMIUM_ARGS, DockerEngine, ferretdb_server, nats_server


@pytest.fixture(scope="session")
def engine_state(tmp_path_factory):
    """(engine, None), or (None, why there is none). Bases are imported on first use."""
    reason = DockerEngine.unavailable()
    if reason:
        yield None, reason
        return
    engine = DockerEngine(tmp_path_factory.mktemp("docker"))
    try:
        engine.start()
    except Exception as exc:  # noqa: BLE001 - reported as the reason of every skip below
        engine.stop()
        yield None, f"the private dockerd did not come up: {exc}"
        return
    saved = {k: os.environ.get(k) for k in ("DOCKER_HOST", "TESTCONTAINERS_RYUK_DISABLED")}
    engine.activate()
    try:
        yield engine, None
    finally:
        engine.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def docker_engine(engine_state) -> DockerEngine:
    engine, reason = engine_state
    if engine is None:
        pytest.skip(f"no Docker engine: {reason}")
    return engine


@pytest.fixture
async def nats_url(tmp_path, engine_state):
    """A fresh JetStream server with the project's topology, for one test: a container of
    the local NATS image where the engine is up, the nats-server binary otherwise."""
    with nats_server(tmp_path, engine_state[0]) as url:
        await bootstrap(url)
        yield url


@pytest.fixture
async def js(nats_url):
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


@pytest.fixture(scope="session")
def mongodb_url(request, tmp_path_factory):
    """A MongoDB-wire server for the session (each user takes its own database):
    ``MONGODB_URL`` when set (a real MongoDB), else FerretDB, in a container where the
    engine is up, else the cached binary."""
    if os.environ.get("MONGODB_URL"):
        yield os.environ["MONGODB_URL"]
        return
    engine, reason = request.getfixturevalue("engine_state")
    if engine is None:
        try:
            ferretdb_binary()
        except FileNotFoundError as exc:
            pytest.skip(f"no MongoDB-wire server: MONGODB_URL unset, no engine ({reason}), {exc}")
    with ferretdb_server(tmp_path_factory.mktemp("ferretdb"), engine) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a test module (the module skips itself when it is absent)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Playwright gives every launch a fresh temporary profile (--user-data-dir).
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
