"""What the browser tests share: the seeded events, publishing them through the bus,
opening the widget and reading what it shows, axe, screenshots.

Events enter through the bus exactly as geocoding and the submission service send them
(``Geocoded``, ``Withdrawn`` on the SUBMISSIONS stream); map-feed's own indexer writes the
FEED bucket, its watcher feeds ``/v1/feed`` and the SSE stream the widget follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect
from sdi_common.contracts import (
    Geocoded,
    GeoResult,
    Location,
    Organizer,
    Point,
    Submission,
    new_id,
)
from sdi_common.natsconn import publish_event
from sdi_common.testing import CHROMIUM

AXE = Path(__file__).parent / "vendor" / "axe.min.js"

#: every browser test module: skipped without Chromium, and given time
BROWSER_MARKS = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is absent: `apt-get install -y chromium` (make test does it)",
    ),
    pytest.mark.timeout(240),
]

PARIS = timezone(timedelta(hours=1))
REUNION = timezone(timedelta(hours=4))

# (title, kind, audiences, city, postcode, department, lon, lat, day, description)
SEED = [
    (
        "Visite de l'aciérie",
        "company_visit",
        ["pupils"],
        "Dunkerque",
        "59140",
        "59",
        2.37,
        51.03,
        19,
        "Hauts fourneaux et métallurgie",
    ),
    (
        "Atelier robotique collaborative",
        "workshop",
        ["students"],
        "Lille",
        "59000",
        "59",
        3.06,
        50.63,
        20,
        "Programmer un cobot",
    ),
    (
        "Escape game de l'usine du futur",
        "escape_game",
        ["youth"],
        "Lyon",
        "69003",
        "69",
        4.85,
        45.76,
        21,
        "Résoudre les énigmes de la production",
    ),
    (
        "Job dating aéronautique",
        "job_dating",
        ["job_seekers"],
        "Toulouse",
        "31000",
        "31",
        1.44,
        43.60,
        22,
        "Rencontrer des recruteurs",
    ),
    (
        "Conférence hydrogène",
        "conference",
        ["general_public"],
        "Grenoble",
        "38000",
        "38",
        5.72,
        45.19,
        18,
        "L'énergie de demain",
    ),
    (
        "Visite d'une distillerie",
        "company_visit",
        ["general_public"],
        "Saint-Denis",
        "97400",
        "974",
        55.45,
        -20.88,
        20,
        "Canne à sucre et industrie agroalimentaire",
    ),
    (
        "Forum des métiers de la mer",
        "forum",
        ["pupils", "educators"],
        "Brest",
        "29200",
        "29",
        -4.49,
        48.39,
        23,
        "Construction navale",
    ),
    (
        "Atelier impression 3D",
        "workshop",
        ["pupils"],
        "Nantes",
        "44000",
        "44",
        -1.55,
        47.22,
        24,
        "Fabrication additive",
    ),
    (
        '<script>window.__xss = 1</script><img src=x onerror="window.__xss=2"> Portes ouvertes',
        "exhibition",
        ["general_public"],
        "Paris",
        "75011",
        "75",
        2.38,
        48.86,
        19,
        "<b>Pas du HTML</b> <a href='javascript:window.__xss=3'>lien</a>",
    ),
]
ONLINE_TITLE = "Webinaire : les métiers de la maintenance"
#: INSEE region of each département used here
REGIONS = {
    "59": "32",
    "57": "44",
    "69": "84",
    "31": "76",
    "38": "84",
    "974": "04",
    "29": "53",
    "33": "75",
    "44": "52",
    "75": "11",
}


def _submission(title, kind, audiences, city, postcode, day, description, tz=PARIS, online=False):
    return Submission(
        title=title,
        description=description,
        kind=kind,
        timings=[{"starts_at": datetime(2024, 11, day, 9, 0, tzinfo=tz),
                  "ends_at": datetime(2024, 11, day, 12, 0, tzinfo=tz)}],
        audiences=audiences,
        is_free=True,
        informs_about_industry=True,
        online=online,
        online_url="https://visio.example.org/salle" if online else None,
        location=None
        if online
        else Location(venue="Site", street="1 rue de l'Usine", postcode=postcode, city=city),
        registration_url="https://example.org/inscription",
        accessibility="Accessible en fauteuil roulant",
        organizer=Organizer(name="Industries de France", type="company"),
    )


def geocoded(
    title,
    kind="workshop",
    audiences=("pupils",),
    city="Lille",
    postcode="59000",
    department="59",
    lon=3.06,
    lat=50.63,
    day=20,
    description="",
    sid=None,
):
    tz = REUNION if department == "974" else PARIS
    sub = _submission(title, kind, list(audiences), city, postcode, day, description, tz=tz)
    location = GeoResult(
        point=Point(lon=lon, lat=lat),
        precision="street",
        city=city,
        postcode=postcode,
        department=department,
        region=REGIONS[department],
        source="gazetteer",
    )
    return Geocoded(
        submission_id=sid or new_id(), version=1, by="geocoding", submission=sub, location=location
    )


def online_event():
    sub = _submission(
        ONLINE_TITLE, "webinar", ["job_seekers"], None, None, 21, "En visioconférence", online=True
    )
    return Geocoded(
        submission_id=new_id(), version=1, by="geocoding", submission=sub, location=None
    )


async def _publish(url: str, events) -> None:
    import nats

    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for event in events:
            await publish_event(js, event, correlation_id=new_id())
    finally:
        await nc.close()


def in_thread(fn, *args):
    """Run ``fn`` (which may call asyncio.run) in another thread: Playwright's sync API keeps
    an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result(timeout=60)


def publish(url: str, events) -> None:
    in_thread(lambda: asyncio.run(asyncio.wait_for(_publish(url, events), 30)))


def open_widget(service, page, query: str = ""):
    page.goto(f"{service['base']}/widget{query}")
    # set once the feed is loaded and the list and the map show it
    expect(page.locator("body")).to_have_attribute("data-loaded", "true", timeout=15000)
    expect(page.locator("#sdi-count")).to_contain_text("événement")


TITLES = "#sdi-results .sdi-event__title"
#: events on the map: single markers plus the counts of the clusters
POINTS = """() => {
  const singles = document.querySelectorAll('.leaflet-marker-pane .sdi-marker').length;
  const grouped = [...document.querySelectorAll('.leaflet-marker-pane .sdi-cluster')]
    .reduce((n, el) => n + parseInt(el.textContent, 10), 0);
  return singles + grouped;
}"""


def list_titles(page) -> list[str]:
    return page.eval_on_selector_all(TITLES, "els => els.map(e => e.textContent)")


def points_on_map(page) -> int:
    return page.evaluate(POINTS)


def expect_titles(page, titles: list[str], timeout: float = 5000) -> None:
    """The list comes to show exactly ``titles`` (in any order): waits, then asserts."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            f"""want => JSON.stringify([...document.querySelectorAll('{TITLES}')]
                .map(e => e.textContent).sort()) === JSON.stringify(want)""",
            arg=sorted(titles),
            timeout=timeout,
        )
    assert sorted(list_titles(page)) == sorted(titles)


def expect_points_on_map(page, count: int, timeout: float = 5000) -> None:
    """The map comes to show ``count`` events (markers re-cluster after a move, and in
    server mode the clusters are fetched again): waits, then asserts."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(f"n => ({POINTS})() === n", arg=count, timeout=timeout)
    assert points_on_map(page) == count


def fit_everything(page):
    page.evaluate("() => { window.sdiWidget.map.setView([20, 10], 2, {animate: false}); }")
    # the clusters animate into their new places (markercluster marks the map pane meanwhile)
    page.wait_for_function(
        "() => window.sdiWidget.map.getZoom() === 2"
        " && !document.querySelector('.leaflet-cluster-anim')"
    )


def expect_live(page) -> None:
    expect(page.locator("body")).to_have_attribute("data-live", "live", timeout=10000)


def axe_violations(
    page, context: str = "document", applied=("color-contrast", "label", "button-name")
):
    # evaluated through the DevTools protocol: the widget's CSP (script-src 'self') stays on
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; true")
    result = page.evaluate(f"async () => await axe.run({context}, {{resultTypes: ['violations']}})")
    # axe really looked: dozens of rules applied (colour contrast, names, landmarks, ARIA...)
    assert len(result["passes"]) > 20, result["passes"]
    assert set(applied) <= {r["id"] for r in result["passes"]}
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


#: screenshots are written here when set (``SCREENSHOT_DIR=/tmp/shots pytest tests/widget``),
#: to be looked at: a passing test does not say the page looks right
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


def screenshot(page, name: str) -> None:
    """The whole page as ``<name>-<width>.png`` under $SCREENSHOT_DIR (nothing when unset)."""
    if SCREENSHOT_DIR:
        folder = Path(SCREENSHOT_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)


#: what sticks out of the screen sideways (the map's own panes aside: Leaflet clips them)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const out = [...document.querySelectorAll('body *')].filter((el) => {
    if (el.closest('.leaflet-container') && !el.classList.contains('leaflet-container')) return false;
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && (box.right > width + 0.5 || box.left < -0.5);
  });
  return {
    width,
    scrollWidth: document.documentElement.scrollWidth,
    out: out.slice(0, 8).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`),
  };
}"""


def assert_fits_the_screen(page) -> None:
    """Nothing wider than the screen: no sideways scrolling, no element beyond its edges."""
    layout = page.evaluate(OVERFLOW)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert layout["out"] == [], layout
