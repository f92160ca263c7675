"""The import page (``/import``) in a real Chromium against the service as a real process:
a federation downloads the template, uploads its spreadsheet, checks it (nothing created,
each row's answer), imports it (ids and tokens), downloads the result; French errors; axe;
screenshots at 1280 and 390 px."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from .browser_support import (
    BROWSER_MARKS,
    DESKTOP,
    PHONE,
    axe_violations,
    close_page,
    new_page,
    screenshot,
)
from .submission_support import OPERATOR_TOKEN

pytestmark = BROWSER_MARKS
EXCEL = Path(__file__).parent / "data" / "excel_import.csv"


@pytest.fixture(params=["desktop", "phone"])
def device(request, browser):
    pg = new_page(browser, **(DESKTOP if request.param == "desktop" else PHONE))
    yield pg
    close_page(pg)


def rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#lignes tr", "trs => trs.map(tr => [...tr.children].map(td => td.innerText.trim()))")


def test_check_then_import_a_spreadsheet(form_service, device, tmp_path):
    page = device
    page.goto(form_service + "/")
    page.get_by_role("link", name="Importez-les d'un coup avec un tableur").click()
    expect(page).to_have_title("Importer des événements — Semaine de l'industrie")
    # the template downloads as the service serves it
    with page.expect_download() as got:
        page.locator("#modele").click()
    template = Path(got.value.path()).read_bytes()
    assert template.startswith(b"\xef\xbb\xbf") and got.value.suggested_filename.endswith(".csv")
    assert axe_violations(page) == []
    # DSFR's secondary button (outlined, blue text), not the form's fallback look
    assert page.evaluate("getComputedStyle(document.querySelector('#verifier')).color") == \
        "rgb(0, 0, 145)"
    screenshot(page, "import-empty")

    # a file of our own (fresh references: a second device run would find them imported)
    width = page.viewport_size["width"]
    data = EXCEL.read_bytes().replace(b"UIMM-", f"W{width}-".encode())
    upload = tmp_path / "evenements.csv"
    upload.write_bytes(data)
    page.set_input_files("#fichier", str(upload))
    page.fill("#importer_email", "imports@federation.example")
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.locator("#resume")).to_have_text(
        "4 lignes valides, 1 ligne à corriger : rien n'a été créé.")
    found = rows(page)
    assert [r[0] for r in found] == ["2", "3", "4", "5", "7"]
    assert [r[2] for r in found] == ["VALIDE", "VALIDE", "VALIDE", "À CORRIGER", "VALIDE"] or \
        [r[2].lower() for r in found] == ["valide", "valide", "valide", "à corriger", "valide"]
    assert "type : Valeur non reconnue" in found[3][3]
    assert "code_postal : Le code postal doit comporter 5 chiffres" in found[3][3]
    assert page.evaluate("document.activeElement.id") == "resultat-titre"
    assert axe_violations(page) == []
    screenshot(page, "import-checked")

    page.get_by_role("button", name="Importer les événements").click()
    expect(page.locator("#resume")).to_have_text(
        "4 événements créés, 0 mis à jour, 0 inchangé, 1 ligne refusée.")
    expect(page.locator("#jetons")).to_be_visible()
    found = rows(page)
    assert [r[2].lower() for r in found] == ["créé", "créé", "créé", "refusé", "créé"]
    with page.expect_download() as got:
        page.get_by_role("button", name="Télécharger le résultat (CSV)").click()
    text = Path(got.value.path()).read_text(encoding="utf-8-sig")
    result = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [r["ligne"] for r in result] == ["2", "3", "4", "5", "7"]
    created = [r for r in result if r["jeton_de_suivi"]]
    assert len(created) == 4
    # each token opens its event
    for row in created:
        doc = httpx.get(f"{form_service}/v1/submissions/{row['numero']}",
                        headers={"Authorization": f"Bearer {row['jeton_de_suivi']}"}, timeout=10)
        assert doc.status_code == 200 and doc.json()["external_id"] == row["identifiant_externe"]
    assert not [c for r in result for c in r.values() if c and c[0] in "=+-@"]
    assert axe_violations(page) == []
    # nothing wider than the screen (a phone reads each row as a block)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "import-done")

    # the same file again: nothing created
    page.get_by_role("button", name="Importer les événements").click()
    expect(page.locator("#resume")).to_have_text(
        "0 événement créé, 0 mis à jour, 4 inchangés, 1 ligne refusée.")


def test_what_the_page_says_when_the_file_is_wrong(form_service, page, tmp_path):
    page.goto(form_service + "/import")
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.locator("#fichier-err")).to_have_text("Choisissez le fichier CSV à importer.")
    wrong = tmp_path / "autre.csv"
    wrong.write_text("nom;date\r\nx;y\r\n", encoding="utf-8")
    page.set_input_files("#fichier", str(wrong))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.locator("#erreur")).to_be_visible()
    expect(page.locator("#erreur-liste")).to_contain_text("Colonne 1 « nom » inconnue")
    expect(page.locator("#erreur-liste")).to_contain_text("La colonne « titre » manque")
    assert page.evaluate("document.activeElement.id") == "erreur"
    page.set_input_files("#fichier", str(EXCEL))
    page.fill("#importer_email", "pas-une-adresse")
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.locator("#importer_email-err")).to_contain_text("Adresse e-mail invalide")
    assert axe_violations(page) == []
    screenshot(page, "import-errors")
    assert httpx.get(f"{form_service}/v1/submissions", timeout=10,
                     headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}).status_code == 200
