"""What the submission service's browser tests share: the service as a real process, pages
at a desktop and a phone width, axe, screenshots (under $SCREENSHOT_DIR, to be looked at)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nats
import pytest
from sdi_common.contracts import Event
from sdi_common.natsconn import publish_event
from sdi_common.testing import CHROMIUM

AXE = Path(__file__).resolve().parents[1] / "widget" / "vendor" / "axe.min.js"

BROWSER_MARKS = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is absent: `apt-get install -y chromium`"),
    pytest.mark.timeout(240),
]
#: a desktop's and a phone's screen (CSS px)
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def new_page(browser, **options):
    """A page (French, Paris time) that records the page's JavaScript errors."""
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def close_page(page) -> None:
    errors = page.errors
    page.context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 15  # axe really looked
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page, name: str) -> None:
    """The whole page as ``<name>-<width>.png`` under $SCREENSHOT_DIR (nothing when unset)."""
    if folder := os.environ.get("SCREENSHOT_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(Path(folder) / f"{name}-{width}.png"), full_page=True)


def publish_events(nats_url: str, *events: Event) -> None:
    """Publish events as the other services would, from a synchronous (Playwright) test."""

    async def publish() -> None:
        nc = await nats.connect(nats_url)
        try:
            for event in events:
                await publish_event(nc.jetstream(), event)
        finally:
            await nc.drain()

    # playwright's sync API owns this thread's event loop: publish from another thread
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, publish()).result(30)
