"""The shared concerns of ``sdi_common``: one implementation each, tested as tables."""

from __future__ import annotations

import pytest
from sdi_common import csv_safe, envelope
from sdi_common.etag import etag_matches
from sdi_common.places import DEPARTMENTS, REGIONS, department_of, region_of
from sdi_common.text import fold


@pytest.mark.parametrize(
    ("code", "department"),
    [
        ("59000", "59"),
        ("01000", "01"),
        ("75011", "75"),
        ("75700", "75"),  # Paris CEDEX 07
        ("75111", "75"),  # INSEE code of the 11th arrondissement
        ("20000", "2A"),  # Ajaccio
        ("20090", "2A"),  # Ajaccio CEDEX 9
        ("20199", "2A"),
        ("20200", "2B"),  # Bastia
        ("20288", "2B"),  # Bastia CEDEX
        ("2A004", "2A"),  # INSEE code of Ajaccio
        ("2b033", "2B"),
        ("97100", "971"),
        ("97400", "974"),
        ("97105", "971"),
        ("97600", "976"),
        ("98735", "987"),
        ("98000", None),  # Monaco
        ("00100", None),  # military sector
        ("7501", None),
        ("750011", None),
        ("ABCDE", None),
        ("2C004", None),
        ("", None),
        (None, None),
    ],
)
def test_department_of(code, department):
    assert department_of(code) == department


def test_every_department_has_one_region():
    assert len(DEPARTMENTS) == 101
    assert sum(len(d) for d in REGIONS.values()) == 101
    assert region_of("69") == "84" and region_of("2A") == "94" and region_of("974") == "04"
    assert region_of("75") == "11" and region_of("987") is None and region_of(None) is None


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Écoles ŒUVRE Métiers", "ecoles oeuvre metiers"),
        ("L’Haÿ-les-Roses", "l hay les roses"),
        ("Saint-Étienne  CEDEX 2", "saint etienne cedex 2"),
        ("l'usine", "l usine"),
        ("Straße", "strasse"),
        ("Ελλάδα", "ελλαδα"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"a"', True),
        ('W/"a"', True),
        ('"b", "a-gz"', True),
        ("*", True),
        ('"c"', False),
        ('"a', False),
        ("", False),
    ],
)
def test_etag_matches(header, matches):
    assert etag_matches(header, '"a"', '"a-gz"') is matches
    assert etag_matches(header.encode(), b'"a"', b'"a-gz"') is matches


def test_envelope_binds_key_and_associated_data():
    key = envelope.new_key()
    nonce, ct = envelope.seal(key, b"secret", b"sub-1")
    assert envelope.unseal(key, nonce, ct, b"sub-1") == b"secret"
    assert envelope.unseal(key, nonce, ct, b"sub-2") is None
    assert envelope.unseal(envelope.new_key(), nonce, ct, b"sub-1") is None
    assert envelope.seal(key, b"secret", b"sub-1")[0] != nonce


def test_derived_keys_are_separated_by_purpose():
    a = envelope.derive_key(b"client key", "purpose a")
    assert len(a) == envelope.KEY_BYTES
    assert a == envelope.derive_key(b"client key", "purpose a")
    assert a != envelope.derive_key(b"client key", "purpose b")
    assert a != envelope.derive_key(b"other key", "purpose a")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ('=HYPERLINK("http://evil.example";"usine")', '\'=HYPERLINK("http://evil.example";"usine")'),
        ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Visite = découverte", "Visite = découverte"),
        ("", ""),
        (None, ""),
        (-1.55, "-1.55"),  # numbers are written by the services, never formulas
        (3, "3"),
    ],
)
def test_csv_cell(value, text):
    assert csv_safe.cell(value) == text
