"""Fixtures shared by every area of the suite."""

from __future__ import annotations

import nats
import pytest
from sdi_common.bootstrap import bootstrap
from sdi_common.testing import CHROMIUM, CHROMIUM_ARGS, nats_server


@pytest.fixture
async def nats_url(tmp_path):
    """A fresh nats-server with JetStream and the project's topology, for one test."""
    with nats_server(tmp_path) as url:
        await bootstrap(url)
        yield url


@pytest.fixture
async def js(nats_url):
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a test module (the module skips itself when it is absent)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Playwright gives every launch a fresh temporary profile (--user-data-dir).
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
