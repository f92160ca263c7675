"""Events as organisers hold them (issue 16), in a real Chromium against map-feed fed
through the bus: a three-session visit is one pin listing its dates; "Annulé", "Complet"
and the places left as badges (and on the markers); the accessibility filter (every code
ticked, in the URL, client and server mode) and its pictograms with their words; the event
pages list the dates and say the status; axe; screenshots at 1280 and 390 px."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sdi_common.contracts import EventStatusSet, Submission
from sdi_common.stack import Stack, wait_until
from sdi_common.testing import bootstrapped, nats_server

from .widget_support import (
    BROWSER_MARKS,
    PARIS,
    assert_fits_the_screen,
    axe_violations,
    expect_titles,
    geocoded,
    in_thread,
    open_widget,
    publish,
    screenshot,
)

pytestmark = BROWSER_MARKS

VISIT = "Visite de l'usine en trois séances"
CANCELLED = "Atelier de soudure annulé"
FULL = "Forum des métiers complet"
PLAIN = "Conférence sur la construction navale"
SESSIONS = [(19, 9, 12), (19, 14, 17), (21, 9, 12)]


def held(title, lon, lat, *, timings=None, codes=(), capacity=None, **kw):
    event = geocoded(title, lon=lon, lat=lat, **kw)
    sub = Submission.model_validate({  # validated: model_copy would keep the timings as dicts
        **event.submission.model_dump(),
        "timings": timings or event.submission.timings,
        "accessibility_codes": list(codes),
        "capacity": capacity,
    })
    return event.model_copy(update={"submission": sub})


def status(event, value, remaining=None):
    return EventStatusSet(submission_id=event.submission_id, version=1, by="organizer",
                          event_status=value, remaining_places=remaining)


@pytest.fixture(scope="module")
def service():
    visit = held(VISIT, 3.06, 50.63, codes=["motor", "hearing"], capacity=25, timings=[
        {"starts_at": datetime(2024, 11, d, a, tzinfo=PARIS),
         "ends_at": datetime(2024, 11, d, b, tzinfo=PARIS)} for d, a, b in SESSIONS])
    cancelled = held(CANCELLED, 4.85, 45.76, codes=["motor"], kind="workshop",
                     city="Lyon", postcode="69003", department="69")
    full = held(FULL, -0.58, 44.84, kind="forum", city="Bordeaux", postcode="33000",
                department="33", capacity=40)
    plain = held(PLAIN, -4.49, 48.39, kind="conference", city="Brest", postcode="29200",
                 department="29")
    events = [visit, cancelled, full, plain,
              status(visit, "scheduled", 7), status(cancelled, "cancelled"),
              status(full, "full", 0)]
    with tempfile.TemporaryDirectory(prefix="sdi-held-") as tmpdir, \
            nats_server(Path(tmpdir)) as url:
        in_thread(bootstrapped, url)
        stack = Stack(data_dir=Path(tmpdir) / "stack", nats_url=url)
        try:
            stack.start("map-feed")
            base = stack.url("map-feed")
            publish(url, events)

            def settled():
                features = httpx.get(base + "/v1/feed", timeout=5).json()["features"]
                said = {f["properties"]["title"]: f["properties"] for f in features}
                return len(said) == 4 and said[CANCELLED]["event_status"] == "cancelled" \
                    and said[FULL]["event_status"] == "full" \
                    and said[VISIT]["remaining_places"] == 7

            wait_until(settled, 20, "the four events with their statuses in /v1/feed")
            ids = {e.submission.title: e.submission_id for e in (visit, cancelled, full, plain)}
            yield {"base": base, "ids": ids}
        finally:
            stack.stop_all()


def tick(page, code):
    """As a person does: DSFR draws the box on the label."""
    page.click(f"label[for=sdi-access-{code}]")


def item(page, title):
    return page.locator(".sdi-item", has=page.locator(".sdi-event__title", has_text=title))


@pytest.mark.parametrize("mode", ["client", "server"])
def test_one_pin_its_dates_and_the_status_badges(service, page, mode):
    open_widget(service, page, f"?list=all&mode={mode}")
    expect_titles(page, [VISIT, CANCELLED, FULL, PLAIN])
    visit = item(page, VISIT)
    sessions = visit.locator(".sdi-sessions li")
    expect(sessions).to_have_count(3)
    expect(sessions.nth(0)).to_have_text("mardi 19 novembre 2024, de 09:00 à 12:00")
    expect(sessions.nth(1)).to_have_text("mardi 19 novembre 2024, de 14:00 à 17:00")
    expect(sessions.nth(2)).to_have_text("jeudi 21 novembre 2024, de 09:00 à 12:00")
    expect(visit.locator(".fr-badge--success")).to_have_text("7 places restantes")
    expect(item(page, CANCELLED).locator(".sdi-badge--cancelled")).to_have_text("Annulé")
    expect(item(page, FULL).locator(".sdi-badge--full")).to_have_text("Complet")
    for title, links in ((VISIT, 1), (CANCELLED, 0), (FULL, 0)):  # no registration once off
        expect(item(page, title).get_by_role("link", name="S’inscrire")).to_have_count(links)
    expect(item(page, PLAIN).locator(".fr-badge--error, .fr-badge--warning")).to_have_count(0)
    # one marker per event, the cancelled and the full ones drawn and named apart
    page.evaluate("() => window.sdiWidget.map.setView([47.5, 1.5], 5, {animate: false})")
    markers = page.locator(".leaflet-marker-pane .sdi-marker")
    expect(markers).to_have_count(4)
    expect(page.locator(".sdi-marker--cancelled")).to_have_attribute(
        "aria-label", f"{CANCELLED} (annulé)")
    expect(page.locator(".sdi-marker--full")).to_have_attribute("aria-label", f"{FULL} (complet)")
    expect(page.locator(f'.sdi-marker[aria-label="{VISIT}"]')).to_have_count(1)


def test_the_popup_lists_the_dates_and_says_cancelled(service, page):
    open_widget(service, page, "?list=all&mode=client")
    page.evaluate("() => window.sdiWidget.map.setView([47.5, 1.5], 5, {animate: false})")
    page.locator(".sdi-marker--cancelled").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup.locator(".sdi-badge--cancelled")).to_have_text("Annulé")
    page.keyboard.press("Escape")
    page.locator(f'.sdi-marker[aria-label="{VISIT}"]').click()
    expect(popup.locator(".sdi-sessions li")).to_have_count(3)
    expect(popup.locator('[role="img"][aria-label="Accessible : handicap moteur"]')).to_have_count(1)
    # the map pans to show the popup: axe reads the colours once it stands still
    page.wait_for_function("() => !window.sdiWidget.map._panAnim?._inProgress")
    assert axe_violations(page) == []
    screenshot(page, "widget-popup-sessions")


@pytest.mark.parametrize("mode", ["client", "server"])
def test_the_accessibility_filter_asks_for_every_code_ticked(service, page, mode):
    open_widget(service, page, f"?list=all&mode={mode}")
    tick(page, "motor")
    expect_titles(page, [VISIT, CANCELLED])
    assert "accessibility=motor" in page.url
    tick(page, "hearing")
    expect_titles(page, [VISIT])
    assert "accessibility=motor%2Chearing" in page.url or "accessibility=motor,hearing" in page.url
    # the address keeps the filter: opened again, the boxes are ticked and the list the same
    page.goto(page.url)
    expect(page.locator("body")).to_have_attribute("data-loaded", "true", timeout=15000)
    expect(page.get_by_role("checkbox", name="Handicap moteur")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Handicap auditif")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Handicap visuel")).not_to_be_checked()
    expect_titles(page, [VISIT])
    page.get_by_role("button", name="Effacer les filtres").click()
    expect_titles(page, [VISIT, CANCELLED, FULL, PLAIN])


def test_the_pictograms_have_their_words(service, page):
    open_widget(service, page, "?list=all&mode=client")
    icons = item(page, VISIT).locator(".sdi-access [role=img]")
    expect(icons).to_have_count(2)
    assert [icons.nth(i).get_attribute("aria-label") for i in range(2)] == [
        "Accessible : handicap moteur", "Accessible : handicap auditif"]
    assert icons.nth(0).get_attribute("title") == "Accessible : handicap moteur"
    expect(item(page, PLAIN).locator(".sdi-access")).to_have_count(0)


@pytest.mark.parametrize("device", ["page", "phone"])
def test_axe_and_the_layout_with_badges_and_the_filter(service, device, request):
    page = request.getfixturevalue(device)
    open_widget(service, page, "?list=all&mode=client")
    if device == "phone":
        page.get_by_role("button", name="Filtres").click()
        assert_fits_the_screen(page)
    tick(page, "motor")
    expect_titles(page, [VISIT, CANCELLED])
    assert axe_violations(page) == []
    screenshot(page, "widget-events-as-held")


@pytest.mark.parametrize("device", ["page", "phone"])
def test_the_event_pages_list_the_dates_and_say_the_status(service, device, request):
    page = request.getfixturevalue(device)
    ids = service["ids"]
    page.goto(f"{service['base']}/evenements/{ids[VISIT]}")
    sessions = page.locator(".sdi-sessions li")
    expect(sessions).to_have_count(3)
    expect(sessions.nth(2)).to_have_text("jeudi 21 novembre 2024, de 9\u00a0h à 12\u00a0h")
    expect(page.locator(".sdi-badges")).to_contain_text("7 places restantes")
    expect(page.locator(".sdi-access__item")).to_have_text(["handicap moteur", "handicap auditif"])
    assert axe_violations(page, applied=("color-contrast", "link-name")) == []
    if device == "phone":
        assert_fits_the_screen(page)
    screenshot(page, "event-three-sessions")
    page.goto(f"{service['base']}/evenements/{ids[CANCELLED]}")
    expect(page.locator(".sdi-status-notice")).to_contain_text("Cet événement est annulé")
    expect(page.locator(".sdi-badges .fr-badge--error")).to_have_text("Annulé")
    expect(page.get_by_role("link", name="S’inscrire")).to_have_count(0)
    assert axe_violations(page, applied=("color-contrast", "link-name")) == []
    screenshot(page, "event-cancelled")
