"""The reference form in a real Chromium, against the real service process and NATS:
accessible (axe), errors explained next to their fields, status and reasons in French."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import nats
import pytest
from sdi_common.contracts import Judged, Reason, Submission
from sdi_common.natsconn import publish_event
from sdi_common.stack import Stack
from sdi_common.testing import CHROMIUM
from submission.tokens import token_hash

from .submission_support import OPERATOR_TOKEN

AXE = Path(__file__).resolve().parents[1] / "widget" / "vendor" / "axe.min.js"

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is absent: `apt-get install -y chromium`"),
    pytest.mark.timeout(240),
]


@pytest.fixture(scope="module")
def form_service(nats_server, tmp_path_factory, edition_file):
    env = {"OPERATOR_TOKENS": f"alice:{token_hash(OPERATOR_TOKEN)}", "RATE_LIMIT_PER_MINUTE": "0",
           "EDITION_FILE": str(edition_file), "LOG_LEVEL": "WARNING"}
    stack = Stack(data_dir=tmp_path_factory.mktemp("form"), nats_url=nats_server.url, env=env)
    try:
        yield stack.start("submission").url
    finally:
        stack.stop_all()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors in the form: {errors}"


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 15  # axe really looked
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


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
    assert doc["submission"]["starts_at"] == "2026-11-18T09:00:00+01:00"
    assert doc["submission"]["organizer"]["siret"] == "73282932000074"

    async def reject() -> None:
        nc = await nats.connect(nats_server.url)
        try:
            await publish_event(nc.jetstream(), Judged(
                type="rejected", submission_id=sid, version=1, by="validation", edition="2026",
                submission=Submission.model_validate(doc["submission"]),
                reasons=[Reason(code="not_free", message="L'événement doit être gratuit.")]))
        finally:
            await nc.drain()

    # playwright's sync API owns this thread's event loop: publish from another thread
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, reject()).result(30)
    deadline = time.monotonic() + 30
    while "refusée" not in page.inner_text("#statut") and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    assert "Votre inscription est refusée." in page.inner_text("#statut")
    assert page.inner_text("#motifs") == "L'événement doit être gratuit."
    assert axe_violations(page) == []
