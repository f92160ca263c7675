"""``POST /v1/submissions/import`` over real HTTP, on a real nats-server (issue 16): a file
shaped as a French Excel writes it, a dry run that creates nothing, the real run (ids and
tokens, concurrent publishing, one Nats-Msg-Id each), the same file again (nothing created,
changed rows amended), 500 rows, the summary for the importer's mail, the errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import orjson
import pytest
from sdi_common import subjects
from sdi_common.contracts import parse_event
from submission import sealing
from submission.import_csv import COLUMNS

from .submission_support import make_payload, operator_headers

pytestmark = pytest.mark.timeout(300)
OP = operator_headers()
EXCEL = (Path(__file__).parent / "data" / "excel_import.csv").read_bytes()
#: the valid rows of that file (its row 5 is wrong in seven cells; row 6 is empty)
VALID_LINES = [2, 3, 4, 7]


async def post_csv(client, data: bytes, **params):
    return await client.post("/v1/submissions/import", content=data, params=params,
                             headers={"Content-Type": "text/csv"})


async def messages(bus, subject: str) -> list[tuple[dict, dict]]:
    """(headers, body) of every message of ``subject`` in the stream."""
    js = bus.jetstream()
    sub = await js.subscribe(subject, ordered_consumer=True)
    out = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except TimeoutError:
                return out
            out.append((dict(msg.headers or {}), orjson.loads(msg.data)))
    finally:
        await sub.unsubscribe()


async def test_a_dry_run_answers_every_row_in_order_and_creates_nothing(client, service, bus):
    before = await service.runtime.store.count()
    r = await post_csv(client, EXCEL, dry_run="true")
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["dry_run"], answer["import_id"]) == (True, None)
    rows = answer["rows"]
    assert [row["line"] for row in rows] == [2, 3, 4, 5, 7]  # the empty row 6 skipped
    assert [row["ok"] for row in rows] == [True, True, True, False, True]
    assert answer["counts"] == {"valid": 4, "refused": 1}
    bad = {e["field"]: e["code"] for e in rows[3]["errors"]}
    assert bad == {
        "type": "not_allowed", "seances": "invalid_session", "publics": "not_allowed",
        "gratuit": "invalid_boolean", "capacite": "invalid_number",
        "codes_accessibilite": "not_allowed", "code_postal": "invalid_postcode",
        "organisateur": "required", "email": "invalid_email",
    }
    assert all(e["message"][0].isupper() for e in rows[3]["errors"])  # French, for people
    assert "Barbecue" in next(e["message"] for e in rows[3]["errors"] if e["field"] == "type")
    assert all(row["id"] is None for row in rows)  # nothing imported before
    assert "organizer_token" not in rows[0]
    assert await service.runtime.store.count() == before
    assert not [m for _, m in await messages(bus, subjects.RECEIVED)
                if m.get("by") == "import"]


async def test_the_import_creates_then_the_same_file_creates_nothing(client, bus):
    r = await post_csv(client, EXCEL)
    assert r.status_code == 200, r.text
    first = r.json()
    rows = {row["line"]: row for row in first["rows"]}
    assert [line for line, row in rows.items() if row["ok"]] == VALID_LINES
    assert first["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "refused": 1}
    for line in VALID_LINES:
        row = rows[line]
        assert row["action"] == "created" and row["id"] and row["organizer_token"]
        mine = {"Authorization": f"Bearer {row['organizer_token']}"}
        doc = (await client.get(f"/v1/submissions/{row['id']}", headers=mine)).json()
        assert doc["external_id"] == row["external_id"]
        assert doc["history"][0]["by"] == "import"
    assert rows[5]["action"] == "refused" and rows[5]["id"] is None
    visit = (await client.get(f"/v1/submissions/{rows[2]['id']}", headers=OP)).json()
    assert len(visit["submission"]["timings"]) == 3
    assert visit["submission"]["accessibility_codes"] == ["motor", "hearing"]
    assert visit["contact"] == {"email": "contact@moteurs.example", "phone": "+33 4 72 00 00 00"}
    reunion = (await client.get(f"/v1/submissions/{rows[7]['id']}", headers=OP)).json()
    assert reunion["submission"]["timings"][0]["starts_at"] == "2026-11-20T09:00:00+04:00"
    # each row its own message, its own Nats-Msg-Id
    received = [(h, m) for h, m in await messages(bus, subjects.RECEIVED)
                if m["submission_id"] in {rows[n]["id"] for n in VALID_LINES}]
    assert len(received) == 4
    assert len({h["Nats-Msg-Id"] for h, _ in received}) == 4

    dry = {row["line"]: row for row in (await post_csv(client, EXCEL, dry_run="true")).json()[
        "rows"]}
    assert [dry[line]["id"] for line in VALID_LINES] == [rows[n]["id"] for n in VALID_LINES]
    again = await post_csv(client, EXCEL)
    second = {row["line"]: row for row in again.json()["rows"]}
    assert again.json()["counts"] == {"created": 0, "updated": 0, "unchanged": 4, "refused": 1}
    for line in VALID_LINES:
        assert second[line]["id"] == rows[line]["id"]
        assert second[line]["organizer_token"] is None
    assert len([m for _, m in await messages(bus, subjects.RECEIVED)
                if m["submission_id"] in {rows[n]["id"] for n in VALID_LINES}]) == 4

    # a changed row amends its event (a new version); the others stay as they are
    changed = EXCEL.replace(b"Lignes de production ;", b"Nos lignes de production ;")
    third = (await post_csv(client, changed)).json()
    assert third["counts"] == {"created": 0, "updated": 1, "unchanged": 3, "refused": 1}
    assert third["rows"][0]["action"] == "updated" and third["rows"][0]["id"] == rows[2]["id"]
    amended = (await client.get(f"/v1/submissions/{rows[2]['id']}", headers=OP)).json()
    assert amended["version"] == 2
    assert amended["submission"]["description"].startswith("Nos lignes de production")


async def test_a_formula_looking_cell_stays_text_in_every_export(client):
    r = await post_csv(client, EXCEL.replace(b"UIMM-", b"FORMULA-"))
    (row,) = [row for row in r.json()["rows"] if row["line"] == 3]
    doc = (await client.get(f"/v1/submissions/{row['id']}", headers=OP)).json()
    assert doc["submission"]["title"] == '=HYPERLINK("http://evil.example";"Portes ouvertes")'
    export = (await client.get("/v1/submissions/export.csv", headers=OP)).content.decode()
    cells = [c for line in csv.reader(io.StringIO(export.lstrip("\ufeff")), delimiter=";")
             for c in line]
    assert "'=HYPERLINK(\"http://evil.example\";\"Portes ouvertes\")" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]


async def test_the_summary_for_the_importer_is_an_event_with_the_address_sealed(
        client, bus, service):
    body = {"submissions": [make_payload(external_id="JSON-1"),
                            make_payload(title="x", external_id="JSON-2")],
            "importer_email": "imports@federation.example"}
    r = await client.post("/v1/submissions/import", json=body)
    assert r.status_code == 200, r.text
    import_id = r.json()["import_id"]
    summaries = [m for _, m in await messages(bus, subjects.IMPORTED)
                 if m["submission_id"] == import_id]
    (summary,) = summaries
    event = parse_event(orjson.dumps(summary))
    assert [(row.line, row.action, row.external_id) for row in event.rows] == [
        (1, "created", "JSON-1"), (2, "refused", "JSON-2")]
    assert event.rows[1].errors == ["title:too_short"]
    assert "imports@federation.example" not in orjson.dumps(summary).decode()
    envelope = sealing.read_envelope(event.importer_sealed)
    key = await service.runtime.commands.keys.get(envelope.kid)
    assert sealing.unseal(key, envelope, submission_id=import_id) == {
        "email": "imports@federation.example"}


async def test_json_rows_and_their_external_ids(client):
    body = {"submissions": [
        make_payload(external_id="E-1"),
        make_payload(external_id="E-1"),  # the same key twice in one file
        make_payload(external_id="E-1", organizer={**make_payload()["organizer"],
                                                   "email": "autre@example.fr"}),
        make_payload(),  # no external_id: always a new event
        "not an object",
    ]}
    rows = (await client.post("/v1/submissions/import", json=body)).json()["rows"]
    assert [r["ok"] for r in rows] == [True, False, True, True, False]
    assert rows[1]["errors"][0]["code"] == "duplicate_external_id"
    assert "ligne 1" in rows[1]["errors"][0]["message"]
    assert rows[0]["id"] != rows[2]["id"]  # another organiser: another event
    assert rows[4]["errors"][0]["code"] == "not_an_object"
    again = (await client.post("/v1/submissions/import", json=body)).json()["rows"]
    assert again[0]["action"] == "unchanged" and again[0]["id"] == rows[0]["id"]
    assert again[3]["action"] == "created" and again[3]["id"] != rows[3]["id"]


async def test_500_rows_at_once_and_not_501(client, bus):
    header = ";".join(c.header for c in COLUMNS)
    line = ("BIG-{n};Visite de l'atelier n° {n};Métiers de l'usinage et de la soudure.;"
            "Atelier;18/11/2026 09:00-12:00 | 19/11/2026 09:00-12:00;;Élèves;oui;;oui;non;;;"
            "1 rue de l'Usine;69007;Lyon;;20;;moteur;Mécanique {n};Entreprise;;"
            "atelier{n}@example.fr;")
    rows = [line.format(n=n) for n in range(500)]
    data = ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode()
    r = await post_csv(client, data)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["counts"]["created"] == 500
    assert [row["line"] for row in answer["rows"]] == list(range(2, 502))
    ids = {row["id"] for row in answer["rows"]}
    received = [(h, m) for h, m in await messages(bus, subjects.RECEIVED)
                if m["submission_id"] in ids]
    assert len(received) == 500 and len({h["Nats-Msg-Id"] for h, _ in received}) == 500
    too_many = await post_csv(client, data.rstrip(b"\r\n") + b"\r\n"
                              + line.format(n=500).encode() + b"\r\n")
    assert too_many.status_code == 422
    assert too_many.json()["errors"][0]["code"] == "too_many_rows"
    items = {"submissions": [make_payload() for _ in range(501)]}
    too_many = await client.post("/v1/submissions/import", json=items)
    assert (too_many.status_code, too_many.json()["errors"][0]["field"]) == (422, "submissions")


async def test_the_upload_form_and_the_errors_of_the_whole_file(client):
    r = await client.post("/v1/submissions/import", params={"dry_run": "true"},
                          files={"file": ("evenements.csv", EXCEL, "text/csv")},
                          data={"importer_email": "imports@federation.example"})
    assert r.status_code == 200, r.text
    assert len(r.json()["rows"]) == 5
    cases = [
        (b"titre;couleur\r\nx;y\r\n", {"couleur": "unknown_column", "type": "missing_column"}),
        (b"", {"": "empty_file"}),
        ("\ufeff" + ";".join(c.header for c in COLUMNS) + "\r\n# rien\r\n", {"": "no_rows"}),
    ]
    for data, wanted in cases:
        data = data if isinstance(data, bytes) else data.encode()
        r = await post_csv(client, data)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        found = {e["field"]: e["code"] for e in r.json()["errors"]}
        assert {k: found.get(k) for k in wanted} == wanted
    r = await client.post("/v1/submissions/import", content=b"<xml/>",
                          headers={"Content-Type": "application/xml"})
    assert r.status_code == 415
    r = await client.post("/v1/submissions/import", files={"other": ("x.csv", b"a", "text/csv")})
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
        ("file", "required"), ("other", "unknown_field")]
    r = await client.post("/v1/submissions/import", json={"submissions": [], "x": 1})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"submissions", "x"}


async def test_the_template_opens_in_a_spreadsheet_and_imports_as_nothing(client):
    r = await client.get("/v1/submissions/import/template.csv")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["content-disposition"]
    data = r.content
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert data.count(b"\r\n") == data.count(b"\n")  # CRLF only
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == [c.header for c in COLUMNS]
    assert all(len(row) == len(COLUMNS) for row in rows)
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'+33 4 72 00 00 00" in cells  # the example phone, kept text
    assert rows[1][0].startswith("#") and rows[2][0].startswith("#")
    nothing = await post_csv(client, data)
    assert (nothing.status_code, nothing.json()["errors"][0]["code"]) == (422, "no_rows")
