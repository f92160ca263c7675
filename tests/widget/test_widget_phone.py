"""The widget on a phone (390 x 844) and what came with it: the filters folded behind one
"Filtres" button, "Près de moi" (geolocation mocked by Playwright; only a bbox leaves the
page), the "En ligne" filter, the list's count (online events apart from the zone shown),
no "Afficher 0 événements de plus", links to the events' pages; axe and the layout at
390 px. Screenshots under $SCREENSHOT_DIR."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from .widget_support import (
    BROWSER_MARKS,
    ONLINE_TITLE,
    SEED,
    TITLES,
    assert_fits_the_screen,
    axe_violations,
    expect_titles,
    list_titles,
    open_widget,
    screenshot,
)

pytestmark = BROWSER_MARKS

#: a visitor in Lyon (7e), away from the middle of its 0.1° grid cell (45.75, 4.85)
HERE = {"latitude": 45.7012, "longitude": 4.8093}
LYON_EVENT = "Escape game de l'usine du futur"  # at 45.76, 4.85


def box(element) -> dict:
    b = element.bounding_box()
    assert b is not None, "not displayed"
    return b


def test_on_a_phone_the_map_comes_first_and_the_filters_fold(service, phone):
    open_widget(service, phone)
    height = phone.viewport_size["height"]
    toggle = phone.get_by_role("button", name=re.compile("^Filtres"))
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(phone.locator("#sdi-filters")).to_be_hidden()
    # the map is in the first screen, most of it
    shown = box(phone.locator("#sdi-map"))
    assert shown["y"] < height / 2 and shown["y"] + min(shown["height"], 250) <= height, shown
    assert box(toggle)["y"] < shown["y"]
    assert_fits_the_screen(phone)
    assert axe_violations(phone) == []
    screenshot(phone, "widget-phone")

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(phone.locator("#sdi-filters")).to_be_visible()
    expect(phone.locator("#sdi-q")).to_be_focused()
    assert box(phone.locator("#sdi-filters"))["y"] < box(phone.locator("#sdi-map"))["y"]
    assert_fits_the_screen(phone)
    assert axe_violations(phone) == []
    screenshot(phone, "widget-phone-filters")

    phone.select_option("#sdi-kind", "workshop")
    phone.get_by_role("button", name="Filtrer", exact=True).click()
    # the results: the filters fold again, the button says one is on
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_text("Filtres (1)")
    expect(toggle).to_be_focused()
    expect(phone.locator("#sdi-filters")).to_be_hidden()
    expect(phone.locator("#sdi-count")).to_contain_text("événement")


def test_on_a_wide_screen_the_filters_are_always_there(service, page):
    open_widget(service, page)
    expect(page.locator("#sdi-filters-toggle")).to_be_hidden()
    expect(page.locator("#sdi-filters")).to_be_visible()
    assert_fits_the_screen(page)
    screenshot(page, "widget")


def requests_of(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    return urls


def test_near_me_sends_only_an_area_never_the_position(service, phone):
    """Server mode: every view is a request, so the area asked for is seen on the wire."""
    phone.context.grant_permissions(["geolocation"], origin=service["base"])
    phone.context.set_geolocation(HERE)
    open_widget(service, phone, "?mode=server")
    urls = requests_of(phone)
    near = phone.get_by_role("button", name="Près de moi")
    near.click()
    expect(phone.locator("#sdi-near-status")).to_contain_text("environs de votre position")
    expect(phone.locator("#sdi-in-view")).to_be_checked()
    phone.wait_for_function(
        "t => [...document.querySelectorAll('#sdi-results .sdi-event__title')]"
        ".some(e => e.textContent === t)",
        arg=LYON_EVENT,
        timeout=10000,
    )
    assert set(list_titles(phone)) == {LYON_EVENT, ONLINE_TITLE}
    expect(phone.locator("#sdi-count")).to_have_text(
        "1 événement dans la zone affichée et 1 en ligne"
    )
    asked = [u for u in urls if "/v1/" in u]
    boxes = [parse_qs(urlsplit(u).query)["bbox"][0] for u in asked if "bbox=" in u]
    assert boxes, asked
    for bbox in boxes:
        west, south, east, north = map(float, bbox.split(","))
        assert west < HERE["longitude"] < east and south < HERE["latitude"] < north, bbox
        # the area's middle is the grid cell's, not the visitor's
        middle = ((south + north) / 2, (west + east) / 2)
        assert max(abs(middle[0] - 45.75), abs(middle[1] - 4.85)) < 0.005, (bbox, middle)
    for url in asked:  # nor in any other form
        for written in ("45.701", "4.809", "45,701", "4,809"):
            assert written not in url, url
    assert_fits_the_screen(phone)
    screenshot(phone, "widget-phone-near-me")


def test_near_me_refused_says_what_to_do(service, phone):
    phone.context.clear_permissions()  # the visitor says no (headless Chromium: denied)
    open_widget(service, phone)
    phone.get_by_role("button", name="Près de moi").click()
    status = phone.locator("#sdi-near-status")
    expect(status).to_have_text(re.compile("^La localisation n’est pas autorisée"), timeout=10000)
    expect(status).to_have_attribute("data-kind", "error")
    assert axe_violations(phone) == []


@pytest.mark.parametrize("mode", ["client", "server"])
def test_online_filter(service, page, mode):
    open_widget(service, page, f"?mode={mode}&list=all")
    page.select_option("#sdi-online", "true")
    expect_titles(page, [ONLINE_TITLE])
    assert "online=true" in page.url
    page.select_option("#sdi-online", "false")
    expect_titles(page, [row[0] for row in SEED])
    open_widget(service, page, f"?mode={mode}&list=all&online=true")
    assert page.input_value("#sdi-online") == "true" and list_titles(page) == [ONLINE_TITLE]


@pytest.mark.parametrize("mode", ["client", "server"])
def test_count_tells_online_events_apart_from_the_zone(service, page, mode):
    open_widget(service, page, f"?mode={mode}&lat=50.8&lon=2.7&zoom=8")  # the Nord
    expect(page.locator("#sdi-count")).to_have_text(
        "2 événements dans la zone affichée et 1 en ligne"
        + (f" (sur {service['count']})" if mode == "client" else "")
    )
    # fewer than a page of events: no "Afficher 0 événements de plus"
    expect(page.locator("#sdi-more")).to_be_hidden()
    assert "Afficher 0" not in page.inner_text("body")


def test_list_and_popup_link_to_the_events_pages(service, page):
    feed = httpx.get(service["base"] + "/v1/feed", timeout=5).json()
    ids = {f["properties"]["title"]: f["id"] for f in feed["features"]}
    open_widget(service, page, "?list=all&q=hydrogene")
    link = page.locator(f"{TITLES} a")
    expect(link).to_have_attribute("href", f"/evenements/{ids['Conférence hydrogène']}")
    assert link.get_attribute("target") is None  # on its own, the widget opens it in place
    page.click("#sdi-results button:has-text('Voir sur la carte')")
    popup_link = page.locator(".leaflet-popup .sdi-event__title a")
    expect(popup_link).to_have_attribute("href", f"/evenements/{ids['Conférence hydrogène']}")
    popup_link.click()
    page.wait_for_url(f"{service['base']}/evenements/{ids['Conférence hydrogène']}")
    expect(page.locator("h1")).to_have_text("Conférence hydrogène")
