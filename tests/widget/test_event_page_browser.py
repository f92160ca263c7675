"""An event's public page in a real Chromium, at 1280 and 390 px: what it shows, its map
without tiles (Chromium resolves no host but 127.0.0.1: the tiles are unreachable), the
copy-link button, axe, the layout at a phone's width; the 410 page of a withdrawn event
(withdrawn through the bus) and the 404 page. Screenshots under $SCREENSHOT_DIR."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect
from sdi_common.contracts import Withdrawn
from sdi_common.stack import wait_until

from .widget_support import (
    BROWSER_MARKS,
    ONLINE_TITLE,
    SEED,
    assert_fits_the_screen,
    axe_violations,
    geocoded,
    publish,
    screenshot,
)

pytestmark = BROWSER_MARKS

#: axe's rules that must have applied to an event page (it really looked)
PAGE_RULES = ("color-contrast", "link-name", "landmark-one-main", "page-has-heading-one")


def event_id(service, title: str) -> str:
    feed = httpx.get(service["base"] + "/v1/feed", timeout=5).json()
    return next(f["id"] for f in feed["features"] if f["properties"]["title"] == title)


def open_page(page, url: str, status: int = 200):
    response = page.goto(url)
    assert response.status == status, (url, response.status)
    return response


@pytest.mark.parametrize("device", ["page", "phone"])
def test_event_page_shows_the_event_with_its_map(service, device, request):
    page = request.getfixturevalue(device)
    title = SEED[0][0]  # the steelworks in Dunkerque
    url = f"{service['base']}/evenements/{event_id(service, title)}"
    open_page(page, url)
    expect(page.locator("h1")).to_have_text(title)
    main = page.locator("main")
    expect(main).to_contain_text("mardi 19 novembre 2024, de 9\u00a0h à 12\u00a0h")
    expect(main).to_contain_text("Site, 1 rue de l'Usine, 59140 Dunkerque")
    expect(main).to_contain_text("Organisé par Industries de France")
    expect(main).to_contain_text("Accessible en fauteuil roulant")
    expect(page.get_by_role("link", name="S’inscrire")).to_have_attribute(
        "href", "https://example.org/inscription"
    )
    expect(page.get_by_role("link", name="Ajouter à mon agenda")).to_be_visible()
    # the map: the place's marker; no tiles here, so the place on the outline of France
    place_map = page.locator("#sdi-event-map")
    expect(place_map).to_be_visible()
    expect(place_map.locator(".sdi-marker")).to_have_count(1)
    expect(page.locator("#sdi-map-notice")).to_be_visible(timeout=10000)
    assert "sdi-no-tiles" in (place_map.get_attribute("class") or "")
    marker = place_map.locator(".sdi-marker").bounding_box()
    frame = place_map.bounding_box()
    assert (
        frame["x"] <= marker["x"] and marker["x"] + marker["width"] <= frame["x"] + frame["width"]
    )
    assert (
        frame["y"] <= marker["y"] and marker["y"] + marker["height"] <= frame["y"] + frame["height"]
    )
    assert axe_violations(page, applied=PAGE_RULES) == []
    assert_fits_the_screen(page)
    screenshot(page, "event-published")


def test_copy_link_button_copies_the_canonical_address(service, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service["base"])
    page = context.new_page()
    try:
        url = f"{service['base']}/evenements/{event_id(service, SEED[1][0])}"
        open_page(page, url)
        page.get_by_role("button", name="Copier le lien").click()
        expect(page.locator("#sdi-copy-status")).to_have_text(
            "Lien copié : vous pouvez le coller dans un message."
        )
        assert page.evaluate("() => navigator.clipboard.readText()") == url
        assert page.input_value("#sdi-url") == url
    finally:
        context.close()


def test_a_title_with_markup_is_text_on_its_page(service, page):
    title = SEED[8][0]  # '<script>window.__xss = 1</script><img src=x onerror=...> Portes ouvertes'
    open_page(page, f"{service['base']}/evenements/{event_id(service, title)}")
    expect(page.locator("h1")).to_have_text(title)
    assert page.locator("main script, main b, main img:not(.leaflet-tile)").count() == 0
    assert page.title().startswith("<script>window.__xss = 1</script>")
    expect(page.locator("main")).to_contain_text("<b>Pas du HTML</b>")
    assert page.evaluate("() => window.__xss") is None


@pytest.mark.parametrize("device", ["page", "phone"])
def test_withdrawn_event_page_answers_410(service, device, request):
    page = request.getfixturevalue(device)
    event = geocoded("Visite retirée par l'organisateur", city="Lille")
    url = f"{service['base']}/evenements/{event.submission_id}"
    publish(service["nats"], [event])
    wait_until(lambda: httpx.get(url, timeout=5).status_code == 200, 20, "the event's page")
    publish(
        service["nats"], [Withdrawn(submission_id=event.submission_id, version=1, by="organizer")]
    )
    wait_until(lambda: httpx.get(url, timeout=5).status_code == 410, 20, "the page's 410")
    open_page(page, url, 410)
    expect(page.locator("h1")).to_have_text("Cet événement a été retiré")
    expect(page.get_by_role("link", name="Voir les autres événements")).to_have_attribute(
        "href", "/widget"
    )
    assert axe_violations(page, applied=PAGE_RULES) == []
    assert_fits_the_screen(page)
    screenshot(page, "event-withdrawn")


@pytest.mark.parametrize("device", ["page", "phone"])
def test_unknown_event_page_answers_404(service, device, request):
    page = request.getfixturevalue(device)
    open_page(page, f"{service['base']}/evenements/cet-evenement-n-existe-pas", 404)
    expect(page.locator("h1")).to_have_text("Événement introuvable")
    assert axe_violations(page, applied=PAGE_RULES) == []
    assert_fits_the_screen(page)
    screenshot(page, "event-unknown")


@pytest.mark.parametrize("device", ["page", "phone"])
def test_online_and_overseas_events_pages(service, device, request):
    page = request.getfixturevalue(device)
    open_page(page, f"{service['base']}/evenements/{event_id(service, ONLINE_TITLE)}")
    main = page.locator("main")
    expect(main).to_contain_text("En ligne")
    expect(page.get_by_role("link", name="Rejoindre en ligne")).to_have_attribute(
        "href", "https://visio.example.org/salle"
    )
    expect(page.locator("#sdi-event-map")).to_have_count(0)  # no place, no map
    assert axe_violations(page, applied=PAGE_RULES) == []
    assert_fits_the_screen(page)
    screenshot(page, "event-online")
    # La Réunion: its own time, said so; the map shows the island when there are no tiles
    open_page(page, f"{service['base']}/evenements/{event_id(service, SEED[5][0])}")
    expect(main).to_contain_text(
        "mercredi 20 novembre 2024, de 9\u00a0h à 12\u00a0h (heure de La Réunion)"
    )
    expect(page.locator("#sdi-map-notice")).to_be_visible(timeout=10000)
    centre = page.evaluate("() => window.sdiEventMap.getCenter()")
    assert -21.5 < centre["lat"] < -20.8 and 55 < centre["lng"] < 56, centre
    screenshot(page, "event-reunion")
