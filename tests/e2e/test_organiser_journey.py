"""An organiser's journey through the real stack (nats-server, the four services as
processes), a real SMTP server (aiosmtpd) and Chromium: submit through the form (checked
first), the receipt's link opens the organiser's page, the verdict mail, amend from the
page, a new verdict, withdraw, the event leaves the map and its public page answers 410
(map-feed's, from the mail's link); the lost link; a SIGKILL between
the 202 and its receipt. Screenshots at 1280 and 390 px go to ``tests/e2e/screenshots/``
(looked at by hand, not compared)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sdi_common.settings import REPO_ROOT
from sdi_common.stack import Stack
from sdi_common.testing import CHROMIUM, wait_until

from ..submission.mail_support import Mailbox, link_of, parts

TRIAL_EDITION = str(REPO_ROOT / "config" / "trial" / "2024-open.toml")
AXE = Path(__file__).resolve().parents[1] / "widget" / "vendor" / "axe.min.js"
SHOTS = Path(__file__).resolve().parent / "screenshots"
EMAIL = "usine.nord@example.fr"

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent"),
    pytest.mark.timeout(400),
]


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, mailbox):
    env = {"EDITION_FILE": TRIAL_EDITION, "SMTP_URL": mailbox.url, "RATE_LIMIT_PER_MINUTE": "0",
           "LOG_LEVEL": "INFO"}
    with Stack(data_dir=tmp_path_factory.mktemp("journey"), env=env) as s:
        yield s


def new_page(browser, width: int = 1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 10
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def shoot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def fill_event(page) -> None:
    page.fill("#title", "Visite de l'usine de moteurs électriques")
    page.fill("#description", "Lignes de production et d'assemblage, atelier d'usinage, "
              "métiers de l'industrie : opérateurs, techniciens de maintenance.")
    page.select_option("#kind", "company_visit")
    page.fill("#starts_at-1", "2024-11-20T09:00")
    page.fill("#ends_at-1", "2024-11-20T12:00")
    page.get_by_role("button", name="Ajouter une séance").click()
    page.fill("#starts_at-2", "2024-11-21T14:00")
    page.fill("#ends_at-2", "2024-11-21T17:00")
    page.click("label[for=aud-pupils]")
    page.click("label[for=informs_about_industry]")
    page.fill("#street", "2 rue de la Mairie")
    page.fill("#postcode", "69003")
    expect(page.locator("#city")).to_have_value("Lyon")  # completed from the postcode
    page.fill("#org_name", "Moteurs de France")
    page.fill("#email", EMAIL)


def status_text(page) -> str:
    return page.inner_text("#statut")


def feed_ids(stack) -> set[str]:
    feed = httpx.get(stack.url("map-feed") + "/v1/feed", timeout=5).json()
    return {f["id"] for f in feed["features"]}


def test_submit_follow_amend_withdraw(stack, mailbox, browser):
    page = new_page(browser)
    page.goto(stack.url("submission") + "/")
    assert axe_violations(page) == []
    fill_event(page)
    shoot(page, "form-1280")
    # checked before sending: a paid event with a session out of the window would be
    # refused, with what to change and which session
    page.click("label[for=is_free]")
    page.fill("#price_eur", "12")
    page.get_by_role("button", name="Ajouter une séance").click()
    page.fill("#starts_at-3", "2024-12-20T09:00")
    page.fill("#ends_at-3", "2024-12-20T12:00")
    page.click("#verifier")
    page.wait_for_selector("#verification:not([hidden])")
    verdict = page.inner_text("#verification")
    assert "ne pourrait pas être labellisé" in verdict and "gratuit" in verdict
    assert "retirez le prix" in verdict  # the advice
    assert "la séance n° 3 sur 3 a lieu le 20 décembre" in verdict
    shoot(page, "check-1280")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Retirer cette séance n° 3").click()
    page.fill("#price_eur", "")
    page.click("label[for=is_free]")
    page.click("#verifier")
    expect(page.locator("#verification-verdict")).to_contain_text("remplit les conditions")
    page.click("#envoyer")
    page.wait_for_selector("#suivi:not([hidden])")
    sid = page.inner_text("#numero")
    token = page.inner_text("#jeton")

    # the receipt, with a working link; the tab is closed, the organiser comes back by mail
    receipt = mailbox.wait_for("receipt", EMAIL)
    link = link_of(receipt)
    assert f"id={sid}" in link and token in link
    page.context.close()
    page = new_page(browser)
    page.goto(link)
    assert "jeton" not in page.url  # the token left the address bar at once
    page.wait_for_selector("#inscription:not([hidden])")
    assert page.inner_text("#titre") == "Visite de l'usine de moteurs électriques"
    published = mailbox.wait_for("published", EMAIL)
    text, html = parts(published)
    assert f"/evenements/{sid}" in text and "kit de communication" in text
    page.reload()
    expect(page.locator("#statut")).to_contain_text("publiée")
    assert page.get_attribute("#lien-public", "href") == \
        f"{stack.url('map-feed')}/evenements/{sid}"
    assert sid in feed_ids(stack)
    public = re.search(r"(http\S+/evenements/\w+)", text).group(1)
    assert httpx.get(public, timeout=5).status_code == 200  # the mail's link opens the page
    shoot(page, "organiser-1280")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "organiser-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    mail_page = new_page(browser)
    mail_page.set_content(html)
    shoot(mail_page, "mail-published-1280")
    mail_page.set_viewport_size({"width": 390, "height": 800})
    shoot(mail_page, "mail-published-390")
    assert mail_page.evaluate("document.documentElement.scrollWidth") <= 390
    mail_page.context.close()

    # amend from the page: make it a paid event; the new verdict refuses it, by mail too
    page.click("#modifier")
    expect(page.locator("#title")).to_have_value("Visite de l'usine de moteurs électriques")
    assert page.input_value("#email") == EMAIL and page.input_value("#city") == "Lyon"
    assert page.input_value("#starts_at-2") == "2024-11-21T14:00"  # every session prefilled
    page.click("label[for=is_free]")
    page.fill("#price_eur", "12")
    page.click("#envoyer")
    page.wait_for_url(re.compile(r"/organisateur/#id="))
    rejected = mailbox.wait_for("rejected", EMAIL)
    assert "gratuit" in parts(rejected)[0] and "Modifier mon inscription" in parts(rejected)[0]
    expect(page.locator("#statut")).to_contain_text("refusée", timeout=20000)
    assert "retirez le prix" in page.inner_text("#motifs")
    wait_until(lambda: sid not in feed_ids(stack), 15, "the refused version off the map")

    # withdraw, with confirmation
    page.click("#retirer")
    assert page.is_visible("#confirmer")
    page.click("#retirer-oui")
    expect(page.locator("#statut")).to_contain_text("retirée")
    mailbox.wait_for("withdrawn", EMAIL)
    assert page.is_disabled("#retirer")
    assert sid not in feed_ids(stack)
    wait_until(lambda: httpx.get(public, timeout=5).status_code == 410, 15,
               "the public page gone (410)")
    assert "Modification reçue" in page.inner_text("#historique")
    shoot(page, "organiser-withdrawn-1280")
    assert page.errors == []

    # the token never reached a log (it travels in fragments and headers only)
    logs = "".join(p.read_text(errors="replace") for p in (stack.data_dir / "logs").iterdir())
    assert "submission.started" in logs and token not in logs


def test_phone_layout_and_accessibility(stack, browser):
    page = new_page(browser, width=390)
    page.goto(stack.url("submission") + "/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    misplaced = page.evaluate("""() => [...document.querySelectorAll('label.fr-label[for]')]
        .filter(l => !l.closest('.fr-checkbox-group'))
        .map(l => [l, document.getElementById(l.htmlFor)])
        .filter(([l, i]) => i && !i.closest('[hidden]'))
        .filter(([l, i]) => { const a = l.getBoundingClientRect(), b = i.getBoundingClientRect();
                              return !(a.bottom <= b.top + 1 && Math.abs(a.left - b.left) < 2
                                       && b.right <= 390); })
        .map(([l]) => l.htmlFor)""")
    assert misplaced == []  # each label above its input, aligned, nothing off the screen
    shoot(page, "form-390")
    page.goto(stack.url("submission") + "/organisateur/")
    page.wait_for_selector("#perdu-form")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    shoot(page, "organiser-lost-link-390")


def test_at_1280_the_organiser_fields_stand_one_per_row(stack, browser):
    page = new_page(browser)
    page.goto(stack.url("submission") + "/")
    rows = page.evaluate("""() => ['org_name', 'org_type', 'siret', 'email', 'phone']
        .map(id => Math.round(document.getElementById(id).getBoundingClientRect().top))""")
    assert rows == sorted(rows) and len(set(rows)) == 5, rows


def test_a_lost_link_replaces_the_old_one(stack, mailbox):
    base = stack.url("submission")
    email = "perdu@example.fr"
    event = {**_EVENT, "organizer": {**_EVENT["organizer"], "email": email}}
    first = httpx.post(base + "/v1/submissions", json=event, timeout=10).json()
    second = httpx.post(base + "/v1/submissions", json=event, timeout=10).json()
    known = httpx.post(base + "/v1/organizer-links", json={"email": email.upper()}, timeout=10)
    unknown = httpx.post(base + "/v1/organizer-links", json={"email": "x@example.fr"},
                         timeout=10)
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    mailbox.wait_for("link", email, count=2)
    links = {re.search(r"id=(\w+)", link_of(m)).group(1): link_of(m)
             for m in mailbox.of_kind("link", email)}
    assert set(links) == {first["id"], second["id"]}
    assert mailbox.of_kind("link", "x@example.fr") == []
    for answer in (first, second):
        new = re.search(r"jeton=([^&\s]+)", links[answer["id"]]).group(1)
        url = f"{base}/v1/submissions/{answer['id']}"
        old = httpx.get(url, headers={"Authorization": f"Bearer {answer['organizer_token']}"})
        assert old.status_code == 404
        doc = httpx.get(url, headers={"Authorization": f"Bearer {new}"}).json()
        assert "token_renewed" in [h["event"] for h in doc["history"]]
    assert httpx.post(base + "/v1/organizer-links", json={"email": "pas-une-adresse"}
                      ).status_code == 422


def test_a_receipt_pending_at_a_sigkill_is_sent_once_after_the_restart(stack, mailbox):
    email = "crash@example.fr"
    mailbox.hold()  # the server takes the next message and does not answer it
    answer = httpx.post(stack.url("submission") + "/v1/submissions", timeout=10, json={
        **_EVENT, "organizer": {**_EVENT["organizer"], "email": email}})
    assert answer.status_code == 202
    assert mailbox.entered.wait(30), "the receipt never reached the SMTP server"
    stack.kill("submission")  # between the 202 and the mail's 250
    mailbox.release()  # the held message is refused (451) and not kept
    stack.start("submission")
    receipt = mailbox.wait_for("receipt", email, timeout=90)  # ack_wait, then the takeover
    assert answer.json()["organizer_token"] in link_of(receipt)
    # the other mails of this submission come too, and still a single receipt
    mailbox.wait_for("published", email, timeout=30)
    assert len(mailbox.of_kind("receipt", email)) == 1


_EVENT = {
    "title": "Atelier de fabrication additive",
    "description": "Découverte de l'impression 3D métal, de l'usinage et des métiers de la "
    "production industrielle.",
    "kind": "workshop",
    "starts_at": "2024-11-21T14:00:00+01:00",
    "ends_at": "2024-11-21T17:00:00+01:00",
    "audiences": ["students"],
    "is_free": True,
    "informs_about_industry": True,
    "location": {"street": "1 place de la Comédie", "postcode": "69001", "city": "Lyon"},
    "organizer": {"name": "Atelier 3D", "type": "company", "email": "atelier@example.fr"},
}
