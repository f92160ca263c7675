"""The organiser's page (``/organisateur/``) in a real Chromium against the service as a real
process and a real nats-server (issue 16, items 4 and 5): the sessions in French dates and
the accessibility in words; "complet" and "annulé" once labelled (places left, bounded by
the capacity; the cancellation confirmed), as the API record then says; a needs_review
event refused the section; the previous edition's events carried over, the copy linked.
axe at each step; screenshots at 1280 and 390 px under $SCREENSHOT_DIR."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect
from sdi_common.contracts import Judged, Submission
from sdi_common.testing import wait_until

from .browser_support import (
    BROWSER_MARKS,
    axe_violations,
    publish_events,
    screenshot,
)
from .conftest import service_process
from .submission_support import make_payload, two_editions

pytestmark = BROWSER_MARKS
MINE = "usine.organisatrice@exemple.fr"


def dates(day: str, start: str, end: str) -> dict[str, str]:
    return {"starts_at": f"{day}T{start}:00+01:00", "ends_at": f"{day}T{end}:00+01:00"}


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    return two_editions(tmp_path_factory.mktemp("editions"))


@pytest.fixture(scope="module")
def service(nats_server, tmp_path_factory, editions):
    with service_process(nats_server.url, tmp_path_factory.mktemp("organiser"),
                         editions / "2026.toml", EDITIONS_DIR=str(editions)) as url:
        yield url


class Organiser:
    """Submissions made over HTTP and judged on the bus as the validation service would."""

    def __init__(self, url: str, nats_url: str):
        self.url, self.nats_url = url, nats_url

    def submit(self, email: str, title: str, timings: list[dict], **changes) -> tuple[str, str]:
        organizer = {**make_payload()["organizer"], "email": email}
        r = httpx.post(f"{self.url}/v1/submissions", timeout=10, json=make_payload(
            title=title, timings=timings, organizer=organizer, **changes))
        assert r.status_code == 202, r.text
        return r.json()["id"], r.json()["organizer_token"]

    def get(self, sid: str, token: str, path: str = "") -> dict:
        r = httpx.get(f"{self.url}/v1/submissions/{sid}{path}", timeout=10,
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        return r.json()

    def judge(self, sid: str, token: str, outcome: str, edition: str) -> None:
        sub = Submission.model_validate(self.get(sid, token)["submission"])
        publish_events(self.nats_url, Judged(type=outcome, submission_id=sid, version=1,
                                             by="validation", submission=sub, edition=edition))
        wait_until(lambda: self.get(sid, token)["status"] == outcome, timeout=20)

    def page_url(self, sid: str, token: str) -> str:
        return f"{self.url}/organisateur/#id={sid}&jeton={token}"


@pytest.fixture(scope="module")
def organiser(service, nats_server):
    return Organiser(service, nats_server.url)


def both_widths(page, name: str) -> None:
    """Screenshots at 1280 and 390 px (nothing wider than a phone's screen), axe at each."""
    assert axe_violations(page) == []
    screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    screenshot(page, name)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_sessions_event_status_and_carry_over(organiser, page):
    # last year's two events under this address, labelled then
    visit, visit_token = organiser.submit(MINE, "Visite de l'usine 2025", [
        dates("2025-11-18", "09:00", "12:00"), dates("2025-11-20", "14:30", "17:00")])
    forum, forum_token = organiser.submit(MINE, "Forum des métiers 2025", [
        dates("2025-11-21", "10:00", "16:00")])
    # this year's, whose mail link the organiser follows
    now, token = organiser.submit(MINE, "Portes ouvertes de l'usine", [
        dates("2026-11-17", "09:00", "12:00"), dates("2026-11-19", "14:00", "17:30")],
        capacity=30, accessibility_codes=["motor", "hearing"],
        accessibility="Boucle magnétique à l'accueil.")
    organiser.judge(visit, visit_token, "labelled", "2025")
    organiser.judge(forum, forum_token, "labelled", "2025")
    organiser.judge(now, token, "labelled", "2026")

    page.goto(organiser.page_url(now, token))
    expect(page.locator("#titre")).to_have_text("Portes ouvertes de l'usine")
    # every session, in French, at the time of the place
    expect(page.locator("#seances li")).to_have_text([
        "mardi 17 novembre 2026, de 9 h à 12 h",
        "jeudi 19 novembre 2026, de 14 h à 17 h 30",
    ])
    expect(page.locator("#accessibilite")).to_have_text(
        "Accessible : handicap moteur, handicap auditif. Boucle magnétique à l'accueil.")
    expect(page.locator("#capacite")).to_have_text("30 places")

    # complet, annulé: open with places left, bounded by the capacity
    expect(page.locator("#etat-badge")).to_have_text("Ouvert")
    expect(page.locator("#etat-scheduled")).to_be_checked()
    page.fill("#places", "50")
    page.click("#etat-envoyer")
    expect(page.locator("#places-err")).to_have_text(
        "Il ne peut rester plus de places que la capacité annoncée (30).")
    expect(page.locator("#places")).to_have_attribute("aria-invalid", "true")
    page.fill("#places", "3")
    page.click("#etat-envoyer")
    expect(page.locator("#etat-message")).to_have_text(
        "C'est enregistré : le public voit l'événement ouvert, 3 places restantes.")
    expect(page.locator("#etat-detail")).to_contain_text("(3 places restantes sur 30, annoncé le")
    expect(page.locator("#places-err")).to_be_hidden()
    wait_until(lambda: (organiser.get(now, token)["event_status"],
                        organiser.get(now, token)["remaining_places"]) == ("scheduled", 3),
               timeout=20)
    page.check("#etat-full", force=True)
    expect(page.locator("#places-groupe")).to_be_hidden()  # a full event has no place left
    page.click("#etat-envoyer")
    expect(page.locator("#etat-message")).to_have_text(
        "C'est enregistré : le public voit l'événement complet.")
    expect(page.locator("#etat-badge")).to_have_text("Complet")
    wait_until(lambda: organiser.get(now, token)["event_status"] == "full", timeout=20)
    assert organiser.get(now, token)["remaining_places"] is None

    # the carry-over list: last year's events, their sessions moved to this year's week
    expect(page.locator("#report-titre")).to_have_text("Vos événements de l'édition 2025")
    expect(page.locator("#report-liste label")).to_have_count(2)
    visit_label = page.locator(f"label[for='report-{visit}']")
    expect(visit_label).to_contain_text("Visite de l'usine 2025")
    expect(visit_label.locator(".report-seance")).to_have_text([
        "mardi 17 novembre 2026, de 9 h à 12 h", "jeudi 19 novembre 2026, de 14 h 30 à 17 h"])
    page.click("label[for=etat-cancelled]")
    page.click("#etat-envoyer")
    # cancelling asks first; "no" changes nothing
    expect(page.locator("#annuler")).to_be_visible()
    expect(page.locator("#annuler-titre")).to_be_focused()
    both_widths(page, "organiser-status-carry-over")
    page.click("#annuler-non")
    expect(page.locator("#annuler")).to_be_hidden()
    assert organiser.get(now, token)["event_status"] == "full"
    page.click("#etat-envoyer")
    page.click("#annuler-oui")
    expect(page.locator("#etat-message")).to_have_text(
        "C'est enregistré : le public voit l'événement annulé.")
    expect(page.locator("#etat-badge")).to_have_text("Annulé")
    wait_until(lambda: organiser.get(now, token)["event_status"] == "cancelled", timeout=20)
    doc = organiser.get(now, token)
    assert doc["remaining_places"] is None and doc["event_status_at"]
    assert doc["status"] == "labelled"  # cancelled, not withdrawn: it stays on the map
    assert [h["detail"] for h in doc["history"] if h["event"] == "event_status"] == [
        "ouvert, 3 places restantes", "complet", "annulé"]
    page.reload()  # the history, as the record now has it
    expect(page.locator("#historique")).to_contain_text("Annoncé au public : ouvert, 3 places restantes")
    expect(page.locator("#historique tr").first).to_contain_text("Annoncé au public : annulé")
    expect(page.locator("#etat-badge")).to_have_text("Annulé")

    # carry one over: created, linked to its own page; marked as done
    page.click(f"label[for='report-{visit}']")
    page.get_by_role("button", name="Reporter dans l'édition en cours").click()
    expect(page.locator("#report-message")).to_contain_text("1 événement reporté")
    link = page.locator("#report-crees a")
    expect(link).to_have_text("Ouvrir la page de « Visite de l'usine 2025 »")
    expect(page.locator("#report-liste")).to_contain_text("Déjà reporté")
    expect(page.locator(f"#report-{visit}")).to_have_count(0)
    expect(page.locator(f"#report-{forum}")).to_have_count(1)
    offer = organiser.get(now, token, "/carry-over")
    copy = next(i for i in offer["items"] if i["id"] == visit)["carried_over_id"]
    assert copy and link.get_attribute("href").startswith(f"/organisateur/#id={copy}&jeton=")
    both_widths(page, "organiser-carried-over")

    link.click()
    expect(page.locator("#titre")).to_have_text("Visite de l'usine 2025")
    assert "jeton" not in page.url and f"id={copy}" in page.url
    expect(page.locator("#seances li")).to_have_text([
        "mardi 17 novembre 2026, de 9 h à 12 h", "jeudi 19 novembre 2026, de 14 h 30 à 17 h"])
    expect(page.locator("#badge")).to_have_text("Reçue")
    # not labelled yet: the status section says when it will be offered
    expect(page.locator("#etat-refus")).to_have_text(
        "Vous pourrez annoncer ici votre événement complet ou annulé dès qu'il sera labellisé.")
    # its own offer: the same address, the original already carried over
    expect(page.locator("#report-liste")).to_contain_text("Déjà reporté")
    assert axe_violations(page) == []


def test_needs_review_is_refused_the_status_section(organiser, page):
    sid, token = organiser.submit("nouvel.organisateur@exemple.fr", "Atelier à examiner",
                                  [dates("2026-11-18", "10:00", "12:00")])
    organiser.judge(sid, token, "needs_review", "2026")
    page.goto(organiser.page_url(sid, token))
    expect(page.locator("#badge")).to_have_text("À examiner")
    expect(page.locator("#etat-refus")).to_have_text(
        "Vous pourrez annoncer ici votre événement complet ou annulé dès qu'il sera labellisé.")
    expect(page.locator("#etat-bloc")).to_be_hidden()
    # the API refuses it too, in French
    r = httpx.put(f"{organiser.url}/v1/submissions/{sid}/event-status", timeout=10,
                  json={"event_status": "full"}, headers={"Authorization": f"Bearer {token}"})
    assert (r.status_code, r.json()["code"]) == (409, "not_labelled")
    # nothing from 2025 under this address: one sentence
    expect(page.locator("#report-vide")).to_have_text(
        "Aucun événement labellisé de l'édition 2025 n'a été inscrit avec cette adresse e-mail.")
    expect(page.locator("#report-form")).to_be_hidden()
    both_widths(page, "organiser-needs-review")
