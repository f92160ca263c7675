"""The reference form in a real Chromium, against the real service process and NATS:
accessible (axe), errors explained next to their fields, status and reasons in French;
several sessions ("Séances") and the accessibility codes, sent, explained and prefilled."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect
from sdi_common.contracts import Judged, Reason, Submission

from .browser_support import (
    BROWSER_MARKS,
    PHONE,
    axe_violations,
    close_page,
    new_page,
    publish_events,
    screenshot,
)
from .submission_support import make_payload

pytestmark = BROWSER_MARKS


def fill_valid(page) -> None:
    page.fill("#title", "Visite de la fonderie")
    page.select_option("#kind", "company_visit")
    page.fill("#starts_at-1", "2026-11-18T09:00")
    page.fill("#ends_at-1", "2026-11-18T12:00")
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
    expect(page.locator("#statut")).to_contain_text("Votre inscription est refusée.",
                                                    timeout=30_000)
    assert page.inner_text("#motifs") == "L'événement doit être gratuit."
    assert axe_violations(page) == []


def add_session(page, start: str, end: str) -> None:
    """« Ajouter une séance », then its dates (the new row takes the focus)."""
    page.get_by_role("button", name="Ajouter une séance").click()
    n = page.locator(".sdi-seance").count()
    expect(page.locator(f"#starts_at-{n}")).to_be_focused()
    page.fill(f"#starts_at-{n}", start)
    page.fill(f"#ends_at-{n}", end)


def at_both_widths(page, name: str) -> None:
    """Screenshots at 1280 and 390 px; nothing wider than the phone's screen."""
    screenshot(page, name)
    page.set_viewport_size(PHONE["viewport"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, name)
    page.set_viewport_size({"width": 1280, "height": 900})


def stored(form_service: str, sid: str, token: str) -> dict:
    answer = httpx.get(f"{form_service}/v1/submissions/{sid}",
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200
    return answer.json()


def test_three_sessions_and_two_accessibility_codes_are_sent(form_service, page):
    page.goto(form_service + "/")
    fill_valid(page)
    assert page.locator("#seances .sdi-seance button").first.is_hidden()  # the first stays
    add_session(page, "2026-11-20T14:00", "2026-11-20T17:00")
    add_session(page, "2026-11-18T14:00", "2026-11-18T16:30")  # typed out of order
    # a fourth added then removed: its button says which; the focus goes to the add button
    page.get_by_role("button", name="Ajouter une séance").click()
    page.get_by_role("button", name="Retirer cette séance n° 4").click()
    expect(page.locator(".sdi-seance")).to_have_count(3)
    expect(page.get_by_role("button", name="Ajouter une séance")).to_be_focused()
    expect(page.locator("#seances-annonce")).to_have_text(
        "Séance n° 4 retirée ; 3 séance(s) restante(s).")
    page.click("label[for=acc-motor]")
    page.click("label[for=acc-hearing]")
    page.fill("#accessibility", "Boucle magnétique à l'accueil")
    at_both_widths(page, "form-three-sessions")
    assert axe_violations(page) == []
    page.click("#envoyer")
    expect(page.locator("#suivi")).to_be_visible()
    doc = stored(form_service, page.inner_text("#numero"), page.inner_text("#jeton"))
    assert doc["submission"]["timings"] == [
        {"starts_at": "2026-11-18T09:00:00+01:00", "ends_at": "2026-11-18T12:00:00+01:00"},
        {"starts_at": "2026-11-18T14:00:00+01:00", "ends_at": "2026-11-18T16:30:00+01:00"},
        {"starts_at": "2026-11-20T14:00:00+01:00", "ends_at": "2026-11-20T17:00:00+01:00"},
    ]
    assert doc["submission"]["accessibility_codes"] == ["motor", "hearing"]
    assert doc["submission"]["accessibility"] == "Boucle magnétique à l'accueil"


def test_session_errors_are_shown_at_their_session(form_service, page):
    page.goto(form_service + "/")
    fill_valid(page)  # n° 1: 18 November, 9:00 to 12:00
    add_session(page, "2026-11-19T10:00", "2026-11-19T09:00")  # ends before it starts
    add_session(page, "2026-11-18T11:00", "2026-11-18T13:00")  # overlaps n° 1
    page.click("#envoyer")
    expect(page.locator("#erreurs")).to_be_focused()
    # sent in order of start, as the event keeps them: the overlapping one is now n° 2
    expect(page.locator("#starts_at-2")).to_have_value("2026-11-18T11:00")
    overlap = page.locator("#timings\\.1-err")
    expect(overlap).to_have_text("La séance n° 2 chevauche la séance n° 1 : deux séances ne "
                                 "peuvent pas se superposer (l'une peut commencer quand "
                                 "l'autre finit).")
    assert page.locator(".sdi-seance").nth(1).locator("fieldset").evaluate(
        "f => f.classList.contains('fr-fieldset--error')"
        " && f.getAttribute('aria-describedby') === 'timings.1-err'")
    expect(page.locator("#timings\\.2\\.ends_at-err")).to_have_text(
        "La fin de l'événement doit être après son début.")
    expect(page.locator("#ends_at-3")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#timings\\.0-err").is_hidden()  # n° 1 is right
    # the summary's links lead to the session's fields
    summary = page.locator("#erreurs-liste a")
    expect(summary).to_have_count(2)
    assert sorted(summary.evaluate_all("as => as.map(a => a.getAttribute('href'))")) == \
        ["#ends_at-3", "#starts_at-2"]
    at_both_widths(page, "form-session-error")
    assert axe_violations(page) == []

    # a session left empty is reported as required, at its own fields
    page.get_by_role("button", name="Retirer cette séance n° 3").click()
    page.get_by_role("button", name="Retirer cette séance n° 2").click()
    expect(page.locator("#ends_at-1")).to_be_visible()
    page.get_by_role("button", name="Ajouter une séance").click()
    page.click("#envoyer")
    expect(page.locator("#timings\\.1\\.starts_at-err")).to_have_text("Ce champ est obligatoire.")
    expect(page.locator("#timings\\.1\\.ends_at-err")).to_have_text("Ce champ est obligatoire.")


def test_modify_and_duplicate_prefill_every_session(form_service, browser):
    timings = [
        {"starts_at": "2026-11-17T09:00:00+01:00", "ends_at": "2026-11-17T12:00:00+01:00"},
        {"starts_at": "2026-11-17T14:00:00+01:00", "ends_at": "2026-11-17T17:00:00+01:00"},
        {"starts_at": "2026-11-19T09:00:00+01:00", "ends_at": "2026-11-19T12:00:00+01:00"},
    ]
    body = make_payload(timings=timings, accessibility_codes=["visual", "psychic"])
    answer = httpx.post(form_service + "/v1/submissions", json=body, timeout=10).json()
    sid, token = answer["id"], answer["organizer_token"]
    page = new_page(browser, viewport={"width": 1280, "height": 900})
    try:
        page.goto(f"{form_service}/organisateur/#id={sid}&jeton={token}")
        page.click("#modifier")
        expect(page.locator("#form-titre")).to_have_text("Modifier mon événement")
        expect(page.locator(".sdi-seance")).to_have_count(3)
        for n, value in enumerate(["2026-11-17T09:00", "2026-11-17T14:00", "2026-11-19T09:00"], 1):
            expect(page.locator(f"#starts_at-{n}")).to_have_value(value)
        expect(page.locator("#ends_at-3")).to_have_value("2026-11-19T12:00")
        checked = page.locator("input[name=accessibility_codes]:checked")
        assert checked.evaluate_all("bs => bs.map(b => b.value)") == ["visual", "psychic"]
        # one session less, then saved: the stored event has the two left
        page.get_by_role("button", name="Retirer cette séance n° 2").click()
        page.click("label[for=acc-psychic]")
        page.click("#envoyer")
        page.wait_for_url("**/organisateur/**")
        doc = stored(form_service, sid, token)
        assert doc["submission"]["timings"] == [timings[0], timings[2]]
        assert doc["submission"]["accessibility_codes"] == ["visual"]

        # « Dupliquer » a year later: every session, 52 weeks on (the same weekdays)
        page.goto(f"{form_service}/#dupliquer={sid}&quand=an")
        expect(page.locator("#form-titre")).to_have_text("Dupliquer un événement")
        expect(page.locator(".sdi-seance")).to_have_count(2)
        expect(page.locator("#starts_at-1")).to_have_value("2027-11-16T09:00")
        expect(page.locator("#ends_at-2")).to_have_value("2027-11-18T12:00")
        expect(page.locator("#acc-visual")).to_be_checked()
        # « Dupliquer » for another date: as many sessions, their dates to choose
        page.goto("about:blank")
        page.goto(f"{form_service}/#dupliquer={sid}")
        expect(page.locator("#mode-texte")).to_contain_text("choisissez ses dates")
        expect(page.locator(".sdi-seance")).to_have_count(2)
        expect(page.locator("#starts_at-2")).to_have_value("")
        assert axe_violations(page) == []
    finally:
        close_page(page)


def test_a_hundred_sessions_at_most(form_service, page):
    page.goto(form_service + "/")
    add = page.get_by_role("button", name="Ajouter une séance")
    page.evaluate("() => { for (let i = 0; i < 99; i++) document.getElementById('ajouter-seance').click(); }")
    expect(page.locator(".sdi-seance")).to_have_count(100)
    expect(add).to_be_disabled()
    expect(page.locator("#seances-max")).to_be_visible()
    page.get_by_role("button", name="Retirer cette séance n° 100").click()
    expect(add).to_be_enabled()
    expect(add).to_be_focused()
    expect(page.locator("#seances-max")).to_be_hidden()
