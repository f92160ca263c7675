"""The import's spreadsheet read cell by cell (``import_csv``): sessions in the row's time
zone, French words or codes, what Excel writes (BOM or not, Windows-1252, ``;`` or ``,``,
CRLF, quoted line breaks), formulas kept text, errors named by their column."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sdi_common.csv_safe import cell, uncell
from submission.import_csv import (
    COLUMNS,
    CellError,
    CsvFileError,
    column_errors,
    read_file,
    read_sessions,
)

PARIS, REUNION = ZoneInfo("Europe/Paris"), ZoneInfo("Indian/Reunion")
HEADER = ";".join(c.header for c in COLUMNS)

SESSIONS = [
    ("19/11/2026 09:00-12:00", PARIS, [("2026-11-19T09:00:00+01:00", "2026-11-19T12:00:00+01:00")]),
    ("19/11/2026 9h-12h30 | 21/11/2026 14h00-17h00", PARIS,
     [("2026-11-19T09:00:00+01:00", "2026-11-19T12:30:00+01:00"),
      ("2026-11-21T14:00:00+01:00", "2026-11-21T17:00:00+01:00")]),
    ("19/11/2026 09:00-12:00\n19/11/2026 14:00-17:00", PARIS,
     [("2026-11-19T09:00:00+01:00", "2026-11-19T12:00:00+01:00"),
      ("2026-11-19T14:00:00+01:00", "2026-11-19T17:00:00+01:00")]),
    ("2026-11-19 09:00 - 2026-11-20 18:00", PARIS,
     [("2026-11-19T09:00:00+01:00", "2026-11-20T18:00:00+01:00")]),
    ("20/11/2026 22:00-01:00", PARIS,  # an evening past midnight
     [("2026-11-20T22:00:00+01:00", "2026-11-21T01:00:00+01:00")]),
    ("20/11/2026 09:00-12:00", REUNION, [("2026-11-20T09:00:00+04:00", "2026-11-20T12:00:00+04:00")]),
    ("29/03/2026 01:00-04:00", PARIS,  # the clocks go forward at 2:00
     [("2026-03-29T01:00:00+01:00", "2026-03-29T04:00:00+02:00")]),
    ("2026-11-19T09:00:00Z/2026-11-19T10:00:00Z", PARIS,
     [("2026-11-19T09:00:00Z", "2026-11-19T10:00:00Z")]),
]


@pytest.mark.parametrize(("text", "zone", "expected"), SESSIONS, ids=[s[0] for s in SESSIONS])
def test_sessions_are_read_in_the_row_time_zone(text, zone, expected):
    assert [(s["starts_at"], s["ends_at"]) for s in read_sessions(text, zone)] == expected


@pytest.mark.parametrize("text", ["19/11/2026", "demain matin", "19/11/2026 09:00",
                                  "31/02/2026 09:00-10:00", "19/11/2026 25:00-26:00", " | "])
def test_unreadable_sessions_are_explained(text):
    with pytest.raises(CellError) as caught:
        read_sessions(text, PARIS)
    assert caught.value.code in ("invalid_session", "required")
    assert caught.value.message[0].isupper()


def one_row(**cells: str) -> bytes:
    values = {c.header: "" for c in COLUMNS} | {
        "titre": "Visite de l'atelier", "type": "Atelier", "seances": "19/11/2026 09:00-12:00",
        "publics": "Élèves", "gratuit": "oui", "informe_sur_industrie": "oui",
        "code_postal": "69007", "commune": "Lyon", "organisateur": "Mécanique",
        "type_organisateur": "Entreprise", "email": "a@b.fr"} | cells
    line = ";".join(values[c.header] for c in COLUMNS)
    return f"{HEADER}\r\n{line}\r\n".encode()


def test_words_and_codes_are_both_read():
    (row,) = read_file(one_row(type="workshop", publics="pupils, Demandeurs d'emploi",
                               codes_accessibilite="Handicap moteur, auditif, psychic",
                               type_organisateur="FEDERATION PROFESSIONNELLE", gratuit="Oui",
                               en_ligne="non", prix_eur="0,00", capacite="1 200"))
    body = row.body
    assert row.errors == []
    assert (body["kind"], body["audiences"], body["accessibility_codes"]) == (
        "workshop", ["pupils", "job_seekers"], ["motor", "hearing", "psychic"])
    assert (body["organizer"]["type"], body["is_free"], body["online"]) == (
        "federation", True, False)
    assert (body["price_eur"], body["capacity"]) == (0.0, 1200)
    assert body["location"] == {"postcode": "69007", "city": "Lyon"}


def test_what_excel_writes_is_read():
    data = one_row(titre='"Visite ""portes ouvertes"" ; atelier"')
    for variant in (b"\xef\xbb\xbf" + data,  # "CSV UTF-8"
                    data.replace(b"\r\n", b"\n"),  # LF
                    data.decode().replace("É", "É").encode("cp1252"),  # plain "CSV" on Windows
                    data.replace(b";", b",").replace(b'" , atelier', b'" ; atelier')):
        (row,) = read_file(variant)
        assert row.body["title"] == 'Visite "portes ouvertes" ; atelier', variant[:40]
        assert row.body["audiences"] == ["pupils"]


def test_a_neutralised_formula_reads_back_as_its_text():
    for text in ("=HYPERLINK(\"http://x\";\"y\")", "+33 1 23 45 67 89", "-20 %", "@home"):
        assert uncell(cell(text)) == text
    assert uncell("'bonjour") == "'bonjour"  # an apostrophe of its own stays
    (row,) = read_file(one_row(titre=cell("=1+1 ateliers"), telephone=cell("+33 4 72 00 00 00")))
    assert row.body["title"] == "=1+1 ateliers"
    assert row.body["organizer"]["phone"] == "+33 4 72 00 00 00"


def test_comments_and_empty_rows_are_skipped_but_counted():
    data = one_row() + b"# une note\r\n;;;\r\n" + one_row().split(b"\r\n", 1)[1]
    assert [row.line for row in read_file(data)] == [2, 5]


def test_headers_in_any_order_case_and_accents_aside():
    columns = list(reversed([c.header for c in COLUMNS]))
    data = one_row().decode().split("\r\n")[1].split(";")
    by_header = dict(zip([c.header for c in COLUMNS], data, strict=True))
    header = ";".join(h.upper().replace("SEANCES", "Séances") for h in columns)
    line = ";".join(by_header[h] for h in columns)
    (row,) = read_file(f"{header}\r\n{line}\r\n".encode())
    assert row.errors == [] and row.body["title"] == "Visite de l'atelier"


def test_errors_of_the_whole_file():
    with pytest.raises(CsvFileError) as caught:
        read_file(b"titre;inconnue\r\n")
    codes = {(e["field"], e["code"]) for e in caught.value.errors}
    assert ("inconnue", "unknown_column") in codes and ("seances", "missing_column") in codes


def test_the_intake_errors_are_named_by_the_columns():
    errors = column_errors([
        {"field": "location.postcode", "code": "invalid_postcode", "message": "M."},
        {"field": "timings.1.ends_at", "code": "ends_before_start", "message": "La fin."},
        {"field": "timings", "code": "too_long", "message": "Au plus."},
        {"field": "organizer.email", "code": "invalid_email", "message": "M."},
        {"field": "audiences.0", "code": "not_allowed", "message": "M."},
        {"field": "location", "code": "required_unless_online", "message": "M."},
    ])
    assert [(e["field"], e["message"]) for e in errors] == [
        ("code_postal", "M."), ("seances", "Séance n° 2 : la fin."), ("seances", "Au plus."),
        ("email", "M."), ("publics", "M."), ("code_postal", "M.")]
