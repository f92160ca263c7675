"""Fixtures of the browser tests: the map-feed service seeded with the SEED events, pages
at a desktop and a phone width (``widget_support`` holds the helpers)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx
import pytest
from sdi_common.stack import Stack, wait_until
from sdi_common.testing import bootstrapped, nats_server


@pytest.fixture(scope="module")
def service():
    """nats-server + map-feed (real processes), seeded with the SEED events."""
    from .widget_support import SEED, geocoded, in_thread, online_event, publish

    with (
        tempfile.TemporaryDirectory(prefix="sdi-widget-") as tmpdir,
        nats_server(Path(tmpdir)) as url,
    ):
        tmp = Path(tmpdir)
        in_thread(bootstrapped, url)
        stack = Stack(data_dir=tmp / "stack", nats_url=url)
        try:
            stack.start("map-feed")
            base = stack.url("map-feed")
            events = [
                geocoded(t, k, a, c, p, d, lon, lat, day, desc)
                for (t, k, a, c, p, d, lon, lat, day, desc) in SEED
            ]
            events.append(online_event())
            publish(url, events)
            wait_until(
                lambda: (
                    len(httpx.get(base + "/v1/feed", timeout=5).json()["features"]) == len(events)
                ),
                20,
                "the seeded events in /v1/feed",
            )
            yield {"base": base, "nats": url, "count": len(events), "stack": stack}
        finally:
            stack.stop_all()


def _page(browser, **context_options):
    context = browser.new_context(locale="fr-FR", **context_options)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def page(browser):
    """A desktop browser's page (1280 x 900)."""
    yield from _page(browser, viewport={"width": 1280, "height": 900})


#: a phone's screen: 390 x 844 CSS px (an iPhone 12 to 15), touch
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def phone(browser):
    """A phone's page (390 x 844, touch), geolocation granted and set by the test."""
    yield from _page(browser, **PHONE)
