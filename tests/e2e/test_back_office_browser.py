"""The back office in Debian's Chromium against the real stack (nats-server and the four
services as processes): sign in, the queue, labelling, refusing, placing on the map, a
scoped operator, a decision on three at once, the statistics against the store, text shown
as text, axe on every page at 1280 and 390 px, a cross-site POST, no token in a URL or a log.
"""

from __future__ import annotations

import http.server
import json
import sqlite3
import threading
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from sdi_common.settings import REPO_ROOT
from sdi_common.stack import Stack, free_port
from sdi_common.testing import CHROMIUM, CHROMIUM_ARGS, wait_until
from submission.tokens import token_hash

from .back_office_support import (
    EXPIRED,
    NATIONAL,
    REGIONAL,
    SCREENSHOTS,
    TOKENS,
    axe_violations,
    body,
    sign_in,
)

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is absent: `apt-get install -y chromium`"),
    pytest.mark.timeout(600),
]

TRIAL_EDITION = str(REPO_ROOT / "config" / "trial" / "2024-open.toml")
SCRIPT_TITLE = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss=2\"> Atelier"
#: every URL the browser asked for, across the module (none may hold a token)
URLS: list[str] = []
#: a visit on Tuesday morning and afternoon and on Thursday morning (Paris time)
THREE_SESSIONS = [
    {"starts_at": "2024-11-19T09:00:00+01:00", "ends_at": "2024-11-19T12:00:00+01:00"},
    {"starts_at": "2024-11-19T14:00:00+01:00", "ends_at": "2024-11-19T17:00:00+01:00"},
    {"starts_at": "2024-11-21T09:00:00+01:00", "ends_at": "2024-11-21T12:00:00+01:00"},
]
#: two sessions a day from Monday 18 to Saturday 23 November
TWELVE_SESSIONS = [{"starts_at": f"2024-11-{d}T{h:02}:00:00+01:00", "ends_at": f"2024-11-{d}T{h + 3:02}:00:00+01:00"}
                   for d in range(18, 24) for h in (9, 14)]
#: the map-feed's French words for the accessibility codes (the back office says the same)
FEED_LABELS = json.loads((REPO_ROOT / "services" / "map-feed" / "src" / "map_feed" / "labels.json")
                         .read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    tokens = (f"alice:{token_hash(NATIONAL)},bruno:{token_hash(REGIONAL)}/region=84,"
              f"old:{token_hash(EXPIRED)}@2020-01-01")
    env = {"EDITION_FILE": TRIAL_EDITION, "RATE_LIMIT_PER_MINUTE": "0", "OPERATOR_TOKENS": tokens,
           "SESSION_SECRET": "back-office-test-secret", "TILE_URL": "none"}
    s = Stack(data_dir=tmp_path_factory.mktemp("back-office"), env=env)
    try:
        s.start_all()
        yield s
    finally:
        s.stop_all()


def api(stack, token=NATIONAL) -> httpx.Client:
    return httpx.Client(base_url=stack.url("submission"), timeout=10,
                        headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def events(stack):
    """Posted through the intake, then judged and geocoded by the real services."""
    plan = {
        "to_label": (body("Matinée d'échanges avec l'équipe"), "needs_review"),
        "to_refuse": (body("Après-midi convivial", postcode="75011", city="Paris"), "needs_review"),
        "to_place": (body("Visite de l'atelier de chaudronnerie", review=False, postcode="69400",
                          city="Nulle-Part-sur-Saône"), "location_unresolved"),
        "bulk1": (body("Rencontre numéro un"), "needs_review"),
        "bulk2": (body("Rencontre numéro deux"), "needs_review"),
        "bulk3": (body("Rencontre numéro trois"), "needs_review"),
        "script": (body(SCRIPT_TITLE), "needs_review"),
        "published": (body("Journée portes ouvertes de l'usine de pièces", review=False),
                      "published"),
        "sessions": (body("Visite de la fonderie en trois séances", review=False,
                          timings=THREE_SESSIONS, accessibility_codes=["motor", "hearing"]),
                     "published"),
        "many_sessions": (body("Ateliers de soudure toute la semaine", review=False,
                               timings=TWELVE_SESSIONS), "published"),
    }
    out = {}
    with api(stack) as c:
        for name, (payload, _) in plan.items():
            if name == "sessions":  # as a federation imports it: with its own identifier
                r = c.post("/v1/submissions/import", json={"submissions": [
                    {**payload, "external_id": "FED-2024-0042"}]})
                assert r.status_code == 200 and r.json()["rows"][0]["ok"], r.text
                out[name] = r.json()["rows"][0]
                continue
            r = c.post("/v1/submissions", json=payload)
            assert r.status_code == 202, r.text
            out[name] = r.json()
        for name, (_, status) in plan.items():
            sid = out[name]["id"]
            wait_until(lambda sid=sid, status=status: c.get(f"/v1/submissions/{sid}").json()
                       ["status"] == status, 30, f"{name} {status}")
    return out


@pytest.fixture
def page_at(browser):
    contexts = []

    def open_page(width=1280):
        ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR",
                                  timezone_id="Europe/Paris")
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("dialog", lambda d: (page.errors.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("request", lambda r: URLS.append(r.url))
        return page

    yield open_page
    for ctx in contexts:
        for page in ctx.pages:
            assert not page.errors, page.errors
        ctx.close()


def feature(stack, sid):
    feed = httpx.get(stack.url("map-feed") + "/v1/feed", timeout=5).json()
    return next((f for f in feed["features"] if f["id"] == sid), None)


def organiser_view(stack, answer):
    return httpx.get(f"{stack.url('submission')}/v1/submissions/{answer['id']}", timeout=5,
                     headers={"Authorization": f"Bearer {answer['organizer_token']}"}).json()


def open_submission(page, stack, sid):
    page.goto(f"{stack.url('submission')}/back-office/inscriptions/{sid}")
    page.wait_for_selector("#historique-titre")


# --------------------------------------------------------------------------- sign in


def test_missing_wrong_and_expired_tokens_are_refused_then_sign_in_and_out(stack, page_at):
    page = page_at()
    base = stack.url("submission")
    page.goto(base + "/back-office/")
    page.wait_for_selector("#connexion:not([hidden])")
    form = page.locator("#connexion")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("#connexion-erreur:not([hidden])")
    assert "Jeton manquant" in form.inner_text()
    for token, title in (("pas-un-jeton", "Jeton refusé"), (EXPIRED, "Jeton expiré")):
        page.get_by_label("Jeton opérateur").fill(token)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_function(
            f"() => document.querySelector('#connexion-erreur-titre').textContent === {title!r}")
        assert page.get_by_label("Jeton opérateur").input_value() == ""
    assert "expiré le 01/01/2020" in form.inner_text()
    sign_in(page, base, NATIONAL)
    assert page.locator("#operateur").inner_text() == "alice"
    cookie = next(c for c in page.context.cookies() if c["name"] == "sdi_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and NATIONAL not in cookie["value"]
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_selector("#connexion:not([hidden])")
    page.reload()
    page.wait_for_selector("#connexion:not([hidden])")
    assert page.locator("#vue").inner_text() == ""


# --------------------------------------------------------------------------- the queue


def test_review_and_unresolved_events_are_in_the_queue_oldest_first(stack, events, page_at):
    page = page_at()
    sign_in(page, stack.url("submission"), NATIONAL)
    page.wait_for_selector("table.bo-queue")
    titles = page.locator("a.bo-title").all_inner_texts()
    waiting = ["to_label", "to_refuse", "to_place", "bulk1", "bulk2", "bulk3", "script"]
    expected = [body_title(events, n, stack) for n in waiting]
    assert [t for t in titles if t in expected] == expected  # oldest first
    assert body_title(events, "published", stack) not in titles
    assert "À traiter (7)" in page.locator("#filtre-status").inner_text()
    # by keyboard: a filter, then a title opens the submission
    page.get_by_label("Mots du titre").fill("chaudronnerie")
    page.get_by_label("Mots du titre").press("Enter")
    page.wait_for_function("() => document.querySelectorAll('a.bo-title').length === 1")
    assert "q=chaudronnerie" in page.url
    link = page.locator("a.bo-title")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#historique-titre")
    assert page.locator("#vue h1").inner_text() == "Visite de l'atelier de chaudronnerie"
    assert "Adresse introuvable" in page.inner_text("#vue")


def body_title(events, name, stack):
    with api(stack) as c:
        return c.get(f"/v1/submissions/{events[name]['id']}").json()["submission"]["title"]


# --------------------------------------------------------------------------- decisions


def test_label_refuse_and_place_reach_the_organiser_and_the_feed(stack, events, page_at):
    page = page_at()
    sign_in(page, stack.url("submission"), NATIONAL)

    labelled = events["to_label"]
    open_submission(page, stack, labelled["id"])
    page.get_by_role("button", name="Labelliser", exact=True).click()
    page.wait_for_selector("#resultat .fr-alert--success")
    assert "Décision du comité" in page.locator("#historique-titre + *").inner_text()
    assert "alice (opérateur)" in page.locator("#historique-titre + *").inner_text()
    wait_until(lambda: organiser_view(stack, labelled)["status"] == "published", 30, "published")
    wait_until(lambda: feature(stack, labelled["id"]), 15, "labelled one in the feed")

    refused = events["to_refuse"]
    motif = "L'événement ne présente pas les métiers de l'industrie."
    open_submission(page, stack, refused["id"])
    page.get_by_role("button", name="Refuser", exact=True).click()
    dialog = page.locator("dialog")
    dialog.get_by_role("button", name="Confirmer le refus").click()
    assert dialog.get_by_text("Indiquez le motif du refus.").is_visible()  # required
    dialog.get_by_label("Motif").fill(motif)
    dialog.get_by_role("button", name="Confirmer le refus").click()
    page.wait_for_selector("#resultat .fr-alert--success")
    assert motif in page.locator("#historique-titre + *").inner_text()
    seen = organiser_view(stack, refused)
    assert seen["status"] == "rejected" and seen["reasons"][0]["message"] == motif
    assert feature(stack, refused["id"]) is None

    placed = events["to_place"]
    open_submission(page, stack, placed["id"])
    page.get_by_role("button", name="Placer sur la carte").click()
    page.wait_for_selector("#carte.leaflet-container")
    page.wait_for_selector("#carte path.leaflet-interactive, #carte svg path")  # the outline
    page.locator("#carte").scroll_into_view_if_needed()
    box = page.locator("#carte").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.45)
    page.wait_for_selector("#carte .leaflet-marker-icon")
    lat = float(page.get_by_label("Latitude").input_value())
    lon = float(page.get_by_label("Longitude").input_value())
    assert 41 < lat < 52 and -5 < lon < 10  # in France, where the map was clicked
    page.get_by_role("button", name="Enregistrer la position").click()
    page.wait_for_selector("#resultat .fr-alert--success")
    assert "Placée à la main" in page.locator("#historique-titre + *").inner_text()
    placed_feature = wait_until(lambda: feature(stack, placed["id"]), 15, "placed one in the feed")
    assert placed_feature["properties"]["precision"] == "manual"
    f_lon, f_lat = placed_feature["geometry"]["coordinates"]
    assert abs(f_lon - lon) < 1e-5 and abs(f_lat - lat) < 1e-5
    wait_until(lambda: organiser_view(stack, placed)["status"] == "published", 15, "published")


def test_an_address_typed_on_the_map_is_resolved_by_the_geocoding_chain(stack, events, page_at):
    page = page_at()
    sign_in(page, stack.url("submission"), NATIONAL)
    open_submission(page, stack, events["published"]["id"])
    page.get_by_role("button", name="Placer sur la carte").click()
    page.wait_for_selector("#carte.leaflet-container")
    page.get_by_label("Commune").fill("Château-Chinon")
    page.get_by_label("Code postal").fill("58120")
    page.get_by_label("Numéro et voie").fill("")
    page.get_by_role("button", name="Chercher l'adresse").click()
    page.wait_for_selector("#carte-message .fr-alert")
    assert "Adresse ambiguë" in page.locator("#carte-message").inner_text()
    page.get_by_role("button", name="Placer à Château-Chinon (Ville) (INSEE 58062)").click()
    assert 46.9 < float(page.get_by_label("Latitude").input_value()) < 47.2
    page.get_by_label("Commune").fill("Lyon")
    page.get_by_label("Code postal").fill("69003")
    page.get_by_role("button", name="Chercher l'adresse").click()
    page.wait_for_selector("#carte-message .fr-alert--info")
    assert 45.6 < float(page.get_by_label("Latitude").input_value()) < 45.9
    assert page.get_by_role("button", name="Enregistrer la position").is_enabled()


# --------------------------------------------------------------------------- scopes


def test_a_scoped_operator_neither_sees_nor_acts_outside_its_region(stack, events, page_at):
    page = page_at()
    sign_in(page, stack.url("submission"), REGIONAL)
    page.get_by_label("Statut").select_option("all")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_function("() => document.querySelector('#filtre-status').value === 'all'")
    page.wait_for_selector("table.bo-queue")
    titles = page.locator("a.bo-title").all_inner_texts()
    assert body_title(events, "bulk1", stack) in titles
    assert body_title(events, "to_refuse", stack) not in titles  # Paris, région 11
    assert "Auvergne-Rhône-Alpes" in page.locator("#perimetre").inner_text()
    options = page.locator("#filtre-region option").all_inner_texts()
    assert options == ["Toutes", "Auvergne-Rhône-Alpes (84)"]
    paris = events["to_refuse"]["id"]
    page.goto(f"{stack.url('submission')}/back-office/inscriptions/{paris}")
    page.wait_for_selector("#vue h1")
    assert page.locator("#vue h1").inner_text() == "Inscription introuvable"
    with api(stack, REGIONAL) as c:
        assert c.get(f"/v1/submissions/{paris}/review").status_code == 404
        assert c.post(f"/v1/submissions/{paris}/rejudge").status_code == 404
        assert c.post(f"/v1/submissions/{paris}/decision",
                      json={"decision": "label"}).status_code == 404
        bulk = c.post("/v1/submissions/decisions", json={"ids": [paris], "decision": "label"})
        assert bulk.json()["results"][0]["status"] == 404
        stats = c.get("/v1/statistics").json()
        assert set(stats["by_region"]) == {"84"}
        assert paris not in c.get("/v1/submissions/export.csv").text


def test_bulk_label_of_three(stack, events, page_at):
    page = page_at()
    sign_in(page, stack.url("submission"), REGIONAL)
    page.wait_for_selector("table.bo-queue")
    for name in ("bulk1", "bulk2", "bulk3"):
        page.locator(f"#choix-{events[name]['id']}").check(force=True)
    assert page.locator("#selection").inner_text() == "3 sélectionnée(s)"
    page.get_by_role("button", name="Labelliser la sélection").click()
    page.wait_for_selector("#resultats-lot .fr-alert--success")
    assert "3 inscriptions labellisées" in page.locator("#resultats-lot").inner_text()
    with api(stack) as c:
        for name in ("bulk1", "bulk2", "bulk3"):
            doc = c.get(f"/v1/submissions/{events[name]['id']}").json()
            decided = [h for h in doc["history"] if h["event"] == "decided"]
            assert [(h["by"], h["status"]) for h in decided] == [("operator:bruno", "labelled")]
        for name in ("bulk1", "bulk2", "bulk3"):
            wait_until(lambda n=name: feature(stack, events[n]["id"]), 20, f"{name} in the feed")


# --------------------------------------------------------------------------- statistics


def test_statistics_equal_the_counts_in_the_store(stack, events, page_at):
    with api(stack) as c:
        # settled: every labelled event published (map-feed answers after the decisions)
        stats = wait_until(lambda: (st := c.get("/v1/statistics").json())["by_status"]
                           ["labelled"] == 0 and st, 30, "every labelled event published")
    db = sqlite3.connect(stack.data_dir / "submissions.sqlite3")
    try:
        stored = dict(db.execute("SELECT status, count(*) FROM submissions GROUP BY status"))
        total = db.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        db.close()
    assert {s: n for s, n in stats["by_status"].items() if n} == stored
    assert stats["total"] == total == len(events)
    assert stats["placement"]["by_precision"]["manual"] == 1
    page = page_at()
    sign_in(page, stack.url("submission"), NATIONAL)
    page.get_by_role("link", name="Statistiques").click()
    page.wait_for_selector("#st-carte")
    figures = page.locator(".bo-figure__value").all_inner_texts()
    assert figures[0] == str(total) and figures[1] == str(stored["published"])
    chart = page.locator("svg[role=img]").first
    assert "Auvergne-Rhône-Alpes" in chart.inner_html()
    csv_text = page.context.request.get(stack.url("submission") + "/v1/statistics.csv").text()
    assert csv_text.startswith("\ufeffdimension;code;libellé")


# --------------------------------------------------------------------------- safety


def test_a_script_in_a_title_shows_as_text_on_every_page(stack, events, page_at):
    page = page_at()
    sign_in(page, stack.url("submission"), NATIONAL)
    page.wait_for_selector("table.bo-queue")
    assert page.get_by_text(SCRIPT_TITLE, exact=True).is_visible()
    open_submission(page, stack, events["script"]["id"])
    assert page.locator("#vue h1").inner_text() == SCRIPT_TITLE
    assert SCRIPT_TITLE in page.title()
    page.goto(stack.url("submission") + "/back-office/statistiques")
    page.wait_for_selector("#st-carte")
    assert page.evaluate("window.__xss") is None
    assert page.locator("main script, main img[src=x]").count() == 0


def test_a_cross_site_post_is_refused(stack, events, browser):
    """A page of another site (127.0.0.2 is not 127.0.0.1's site) posts a decision with the
    operator's session: the browser does not send the SameSite=Strict cookie, the JSON
    request needs a CORS preflight the service never grants, a form cannot send JSON."""
    target = events["script"]["id"]
    url = f"{stack.url('submission')}/v1/submissions/{target}/decision"
    evil = f"""<!doctype html><html lang="fr"><title>x</title><body>
    <form id="f" method="post" action="{url}" enctype="text/plain">
      <input name='{{"decision":"label","x":"' value='"}}'></form>
    <script>
      fetch("{url}", {{method: "POST", credentials: "include",
        headers: {{"Content-Type": "application/json"}}, body: '{{"decision":"label"}}'}})
        .then(r => document.title = "fetch " + r.status, e => document.title = "fetch blocked");
    </script></body></html>""".encode()

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(evil)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.2", free_port()), Evil)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # the hermetic rules resolve only 127.0.0.1: this browser also reaches the other site
    args = [a for a in CHROMIUM_ARGS if not a.startswith("--host-resolver-rules")]
    other = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *args, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE 127.0.0.2"])
    try:
        page = other.new_page()
        sign_in(page, stack.url("submission"), NATIONAL)
        page.goto(f"http://127.0.0.2:{server.server_address[1]}/")
        page.wait_for_function("() => document.title.startsWith('fetch')")
        assert page.title() == "fetch blocked"
        with page.expect_navigation():
            page.evaluate("document.getElementById('f').submit()")
        refused = page.locator("body").inner_text()
        assert '"status":401' in refused.replace(" ", "") or '"status":415' in refused.replace(" ", "")
    finally:
        other.close()
        server.shutdown()
    with api(stack) as c:
        assert c.get(f"/v1/submissions/{target}").json()["status"] == "needs_review"


# --------------------------------------------------------------------------- sessions, status


def test_every_session_the_accessibility_codes_and_the_external_id_show(stack, events, page_at):
    page = page_at()
    sign_in(page, stack.url("submission"), NATIONAL)
    open_submission(page, stack, events["sessions"]["id"])
    facts = page.locator("#evenement-titre + .bo-facts")
    expect(facts.locator("dt", has_text="Séances (3)")).to_be_visible()
    expect(facts.locator("ol.bo-sessions > li")).to_have_text([
        "mardi 19 novembre 2024, 09:00 – 12:00",
        "mardi 19 novembre 2024, 14:00 – 17:00",
        "jeudi 21 novembre 2024, 09:00 – 12:00",
    ])
    words = FEED_LABELS["accessibility"]
    expect(facts.locator("dt:text-is('Accessibilité') + dd")).to_have_text(
        f"{words['motor']}, {words['hearing']}")
    expect(facts.locator("dt:text-is('Identifiant externe (import)') + dd")).to_have_text(
        "FED-2024-0042")
    expect(page.locator("#vue")).not_to_contain_text("Invalid Date")

    # twelve sessions: ten listed, the other two behind a disclosure
    open_submission(page, stack, events["many_sessions"]["id"])
    lines = page.locator("#evenement-titre + .bo-facts ol.bo-sessions > li")
    expect(lines).to_have_count(12)
    expect(lines.filter(visible=True)).to_have_count(10)
    more = page.get_by_text("Voir les 2 autres séances")
    more.click()
    expect(lines.filter(visible=True)).to_have_count(12)
    expect(lines.last).to_have_text("samedi 23 novembre 2024, 14:00 – 17:00")


def test_the_operator_marks_a_labelled_event_full(stack, events, page_at):
    sid = events["sessions"]["id"]
    wait_until(lambda: feature(stack, sid), 20, "the three-session event in the feed")
    page = page_at()
    sign_in(page, stack.url("submission"), NATIONAL)

    # not yet labelled: the form says why it is off
    open_submission(page, stack, events["script"]["id"])
    expect(page.get_by_role("button", name="Enregistrer le statut")).to_be_disabled()
    expect(page.locator("#statut-evenement-titre ~ form")).to_contain_text(
        "Seul un événement labellisé")
    expect(page.get_by_label("Complet", exact=True)).to_be_disabled()

    open_submission(page, stack, sid)
    status = page.locator("#statut-evenement-titre + .bo-facts")
    expect(status.locator("dt:text-is('Statut') + dd")).to_have_text("Ouvert")
    expect(status.locator("dt:text-is('Places restantes') + dd")).to_have_text("non publiées")
    form = page.locator("#statut-evenement-titre ~ form")
    form.get_by_text("Complet", exact=True).click()  # the label: DSFR draws the radio on it
    expect(page.get_by_label("Complet", exact=True)).to_be_checked()
    expect(page.get_by_label("Places restantes")).to_be_disabled()
    page.get_by_role("button", name="Enregistrer le statut").click()
    expect(page.locator("#resultat .fr-alert--success")).to_contain_text(
        "L'événement est annoncé « Complet ».")
    expect(status.locator("dt:text-is('Statut') + dd")).to_have_text("Complet")
    expect(page.locator(".bo-badges")).to_contain_text("Complet")
    last = page.locator("#historique-titre + * tbody tr").last
    expect(last).to_contain_text("Statut de l'événement annoncé")
    expect(last).to_contain_text("alice (opérateur)")
    expect(last.locator("td").last).to_have_text("complet")
    with api(stack) as c:
        doc = c.get(f"/v1/submissions/{sid}").json()
    assert doc["event_status"] == "full" and doc["remaining_places"] is None
    assert doc["history"][-1]["event"] == "event_status"
    assert doc["history"][-1]["by"] == "operator:alice"
    assert doc["history"][-1]["detail"] == "complet"
    wait_until(lambda: feature(stack, sid)["properties"]["event_status"] == "full", 20,
               "the feed says full")
    # the same again changes nothing and says so
    page.get_by_role("button", name="Enregistrer le statut").click()
    expect(page.locator("#resultat .fr-alert--success")).to_contain_text("Rien à changer")


# --------------------------------------------------------------------------- every page


PAGES = ["connexion", "file", "inscription", "seances", "seances-12", "refus", "carte", "statistiques"]


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_passes_axe_and_is_photographed(stack, events, page_at, width,
                                                   tmp_path_factory):
    folder = Path(SCREENSHOTS or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    page = page_at(width)
    base = stack.url("submission")
    found = {}

    def look(name):
        page.screenshot(path=folder / f"back-office-{name}-{width}.png", full_page=True)
        found[name] = axe_violations(page)

    page.goto(base + "/back-office/")
    page.wait_for_selector("#connexion:not([hidden])")
    look("connexion")
    sign_in(page, base, NATIONAL)
    page.wait_for_selector("table.bo-queue")
    look("file")
    open_submission(page, stack, events["script"]["id"])
    look("inscription")
    open_submission(page, stack, events["sessions"]["id"])
    look("seances")
    open_submission(page, stack, events["many_sessions"]["id"])
    look("seances-12")
    open_submission(page, stack, events["script"]["id"])
    page.get_by_role("button", name="Refuser", exact=True).click()
    page.wait_for_selector("dialog[open]")
    look("refus")
    page.get_by_role("button", name="Annuler").click()
    open_submission(page, stack, events["published"]["id"])
    page.get_by_role("button", name="Placer sur la carte").click()
    page.wait_for_selector("#carte .leaflet-marker-icon")
    look("carte")
    page.goto(base + "/back-office/statistiques")
    page.wait_for_selector("#st-carte")
    look("statistiques")
    print(f"\nscreenshots ({width} px): {folder}")
    assert found == {name: [] for name in PAGES}
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scroll


def test_no_token_in_a_url_or_a_log(stack):
    """Last: every URL the browser asked for and every log line of the stack."""
    assert URLS, "the browser tests ran first"
    logs = list((stack.data_dir / "logs").glob("*.log")) + list(stack.data_dir.rglob("*.log"))
    assert logs
    for token in TOKENS:
        assert not [u for u in URLS if token in u]
        for log in logs:
            assert token not in log.read_text(errors="replace"), log
    text = "".join(log.read_text(errors="replace") for log in logs)
    assert "back_office.signed_in" in text and "back_office.sign_in_refused" in text
