"""The reference form in a real Chromium, against the real service process and NATS:
accessible (axe), errors explained next to their fields, status and reasons in French."""

from __future__ import annotations

import time

import httpx
from sdi_common.contracts import Judged, Reason, Submission

from .browser_support import BROWSER_MARKS, axe_violations, publish_events

pytestmark = BROWSER_MARKS


def fill_valid(page) -> None:
    page.fill("#title", "Visite de la fonderie")
    page.select_option("#kind", "company_visit")
    page.fill("#starts_at", "2026-11-18T09:00")
    page.fill("#ends_at", "2026-11-18T12:00")
    page.click("label[for=aud-pupils]")  # as a person does: DSFR draws the box on the label
    page.click("label[for=informs_about_industry]")
    page.fill("#postcode", "59140")
    page.fill("#city", "Dunkerque")
    page.fill("#org_name", "Fonderie du Nord")
    page.fill("#siret", "732 829 320 00074")
    page.fill("#email", "contact@fonderie.example")


def test_the_form_is_accessible_and_styled(form_service, page):
    page.goto(form_service + "/")
    assert page.title().startswith("Inscrire un événement")
    assert page.evaluate("getComputedStyle(document.getElementById('envoyer')).backgroundColor") \
        in ("rgb(0, 0, 145)",)  # DSFR's blue France (from the vendor CSS or the fallback)
    assert axe_violations(page) == []


def test_errors_are_shown_next_to_their_fields(form_service, page):
    page.goto(form_service + "/")
    page.fill("#title", "ab")
    page.fill("#postcode", "123")
    page.fill("#email", "pas-un-email")
    page.click("#envoyer")
    page.wait_for_selector("#erreurs:not([hidden])")
    summary = page.inner_text("#erreurs")
    assert "Trop court" in summary and "5 chiffres" in summary and "e-mail" in summary
    assert page.get_attribute("#title", "aria-invalid") == "true"
    assert "Trop court" in page.inner_text("#title-err")
    assert page.evaluate("document.activeElement.id") == "erreurs"
    assert axe_violations(page) == []


def test_submission_then_status_and_reasons_in_french(form_service, page, nats_server):
    page.goto(form_service + "/")
    fill_valid(page)
    page.click("#envoyer")
    page.wait_for_selector("#suivi:not([hidden])")
    assert "reçue" in page.inner_text("#statut")
    sid = page.inner_text("#numero")
    token = page.inner_text("#jeton")
    doc = httpx.get(f"{form_service}/v1/submissions/{sid}",
                    headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert doc["submission"]["timings"] == [{"starts_at": "2026-11-18T09:00:00+01:00",
                                             "ends_at": "2026-11-18T12:00:00+01:00"}]
    assert doc["submission"]["organizer"]["siret"] == "73282932000074"

    publish_events(nats_server.url, Judged(
        type="rejected", submission_id=sid, version=1, by="validation", edition="2026",
        submission=Submission.model_validate(doc["submission"]),
        reasons=[Reason(code="not_free", message="L'événement doit être gratuit.")]))
    deadline = time.monotonic() + 30
    while "refusée" not in page.inner_text("#statut") and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert "Votre inscription est refusée." in page.inner_text("#statut")
    assert page.inner_text("#motifs") == "L'événement doit être gratuit."
    assert axe_violations(page) == []
