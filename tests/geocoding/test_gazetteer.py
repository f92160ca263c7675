"""The offline commune gazetteer on the shipped data file: the cases people write."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from geocoding.gazetteer import Gazetteer, default_gazetteer, one_edit_apart
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "mairie_addresses.csv"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return default_gazetteer()


def code(gaz: Gazetteer, postcode: str | None, city: str | None) -> str | None:
    r = gaz.lookup(postcode, city)
    return None if r is None else r.citycode


# ----------------------------------------------------------------- the file itself


def test_every_commune_including_overseas_is_there(gaz: Gazetteer) -> None:
    communes = {e.code for e in gaz.entries if not e.alias and e.code == e.target}
    assert len(communes) > 34_800
    for dep in ("971", "972", "973", "974", "976"):
        assert sum(c.startswith(dep) for c in communes) >= 17, dep
    assert sum(c.startswith(("2A", "2B")) for c in communes) == 360
    # PLM arrondissements
    assert {f"751{n:02d}" for n in range(1, 21)} <= communes
    assert {f"6938{n}" for n in range(1, 10)} <= communes
    assert {f"132{n:02d}" for n in range(1, 17)} <= communes


def test_every_commune_resolves_to_itself_by_its_postcodes_and_name(gaz: Gazetteer) -> None:
    """The whole file round-trips: 39,000+ (postcode, official name) pairs."""
    wrong, unresolved, ok = [], [], 0
    for e in gaz.entries:
        for pc in e.postcodes:
            r = gaz.lookup(pc, e.name)
            if r is None:
                unresolved.append((pc, e.name))
            elif r.citycode != e.target:
                wrong.append((pc, e.name, r.citycode))
            else:
                ok += 1
    assert wrong == []
    assert unresolved == []
    assert ok > 39_000


def test_result_fields(gaz: Gazetteer) -> None:
    r = gaz.lookup("01400", "L'Abergement-Clémenciat")
    assert r is not None
    assert r.source == "gazetteer"
    assert r.precision == "municipality"
    assert r.score == 1.0
    assert (r.citycode, r.city, r.postcode) == ("01001", "L'Abergement-Clémenciat", "01400")
    assert (r.department, r.region) == ("01", "84")
    assert r.label == "01400 L'Abergement-Clémenciat"
    # the mairie, 119 route de la Fontaine
    assert r.point.lon == pytest.approx(4.92007, abs=1e-4)
    assert r.point.lat == pytest.approx(46.15168, abs=1e-4)


def test_load_from_an_explicit_path_is_the_same_data() -> None:
    path = Path(__file__).resolve().parents[2] / "services/geocoding/src/geocoding/data"
    g = Gazetteer.load(path / "communes.tsv.gz")
    assert len(g) == len(default_gazetteer())
    assert default_gazetteer() is default_gazetteer()


# ----------------------------------------------------------------- how people write


@pytest.mark.parametrize(
    ("postcode", "city", "expected"),
    [
        # accents and case
        ("42000", "SAINT-ETIENNE", "42218"),
        ("42000", "saint-étienne", "42218"),
        ("01400", "L'ABERGEMENT-CLEMENCIAT", "01001"),
        ("94240", "L’Haÿ-les-Roses", "94038"),
        ("94240", "L HAY LES ROSES", "94038"),
        # missing article
        ("72000", "Mans", "72181"),
        ("01400", "Abergement-Clémenciat", "01001"),
        ("97430", "Tampon", "97422"),
        ("59800", "Lille", "59350"),
        ("14130", "Pont l'Eveque", "14514"),
        # Saint/St, Sainte/Ste, hyphens vs spaces
        ("42000", "St Etienne", "42218"),
        ("42000", "St-Étienne", "42218"),
        ("83120", "Ste Maxime", "83115"),
        ("83120", "STE-MAXIME", "83115"),
        ("64500", "St Jean de Luz", "64483"),
        ("94190", "Villeneuve St Georges", "94078"),
        ("13100", "Aix en Provence", "13001"),
        ("62200", "Boulogne s/ Mer", "62160"),
        # a postcode written without its leading zero, or with a space
        ("1000", "Bourg-en-Bresse", "01053"),
        ("01 000", "Bourg-en-Bresse", "01053"),
        # words in parentheses are a hint; where they are the name, they count
        ("97400", "Saint-Denis (La Réunion)", "97411"),
        ("58120", "Château-Chinon (Ville)", "58062"),
        ("58120", "Château-Chinon (Campagne)", "58063"),
        ("58120", "CHATEAU CHINON CAMPAGNE", "58063"),
        # a former commune (commune déléguée) resolves to its commune nouvelle
        ("50100", "Cherbourg-Octeville", "50129"),
    ],
)
def test_written_forms(gaz: Gazetteer, postcode: str, city: str, expected: str) -> None:
    assert code(gaz, postcode, city) == expected


def test_an_article_less_match_scores_below_an_exact_one(gaz: Gazetteer) -> None:
    exact = gaz.lookup("72000", "Le Mans")
    bare = gaz.lookup("72000", "Mans")
    typo = gaz.lookup("72000", "Le Mns")
    assert exact and bare and typo
    assert 1.0 == exact.score > bare.score > typo.score > 0


def test_a_former_commune_keeps_its_own_point(gaz: Gazetteer) -> None:
    old = gaz.lookup("50100", "Cherbourg-Octeville")
    assert old is not None and old.city == "Cherbourg-en-Cotentin"
    assert "Cherbourg-Octeville" in (old.label or "")
    assert old.score is not None and old.score < 1.0


# ----------------------------------------------------------------- CEDEX


@pytest.mark.parametrize(
    ("postcode", "city", "expected"),
    [
        ("42000", "SAINT-ETIENNE CEDEX 2", "42218"),  # a regular postcode + CEDEX
        ("13090", "AIX EN PROVENCE CEDEX 2", "13001"),
        ("13233", "Marseille Cedex 20", "13055"),  # a CEDEX postcode: the name in 13
        ("75700", "Paris Cedex 07", "75056"),
        ("20304", "Ajaccio Cedex 1", "2A004"),  # Corsica: 20xxx searches 2A and 2B
        ("97717", "Saint-Denis Cedex 9", "97411"),
        ("69288", "LYON CEDEX 02", "69123"),
    ],
)
def test_cedex(gaz: Gazetteer, postcode: str, city: str, expected: str) -> None:
    r = gaz.lookup(postcode, city)
    assert r is not None and r.precision == "municipality"
    assert r.citycode == expected


def test_a_cedex_postcode_confirms_less_than_a_real_one(gaz: Gazetteer) -> None:
    real = gaz.lookup("13001", "Marseille")
    cedex = gaz.lookup("13233", "Marseille Cedex 20")
    assert real and cedex and real.score > cedex.score


def test_cedex_of_a_place_that_is_no_commune_falls_back_to_the_departement(
    gaz: Gazetteer,
) -> None:
    r = gaz.lookup("92044", "Paris La Défense Cedex")
    assert r is not None
    assert r.precision == "department"
    assert (r.citycode, r.city) == (None, None)
    assert (r.department, r.region, r.postcode) == ("92", "11", "92044")
    assert r.score is not None and r.score <= 0.5
    # the préfecture, Nanterre
    assert r.point.lon == pytest.approx(2.2069, abs=0.01)
    assert r.point.lat == pytest.approx(48.8922, abs=0.01)


def test_departement_fallback_in_corsica_and_overseas(gaz: Gazetteer) -> None:
    south = gaz.lookup("20189", "Zone Aéroportuaire Cedex")
    north = gaz.lookup("20289", "Zone Industrielle Cedex")
    reunion = gaz.lookup("97489", "Zone Portuaire CEDEX 9")
    assert south and south.department == "2A" and south.region == "94"
    assert north and north.department == "2B"
    assert reunion and reunion.department == "974" and reunion.region == "04"


def test_no_departement_fallback_without_cedex(gaz: Gazetteer) -> None:
    assert gaz.lookup("92044", "Paris La Défense") is None
    assert gaz.lookup("92800", "Paris La Défense") is None


def test_a_cedex_address_naming_a_commune_elsewhere_is_not_placed(gaz: Gazetteer) -> None:
    # 13233 is in the Bouches-du-Rhône; Lille is not
    assert gaz.lookup("13233", "Lille Cedex") is None


# ----------------------------------------------------------------- Paris, Lyon, Marseille


@pytest.mark.parametrize(
    ("postcode", "city", "expected"),
    [
        ("75011", "Paris", "75111"),
        ("75011", "PARIS", "75111"),
        ("75011", "Paris 11e", "75111"),
        ("75011", "Paris 11ème", "75111"),
        ("75011", "PARIS 11EME ARRONDISSEMENT", "75111"),
        ("75001", "Paris 1er", "75101"),
        ("75016", "Paris", "75116"),
        ("75116", "Paris 16e", "75116"),
        ("13008", "Marseille 8eme", "13208"),
        ("13008", "Marseille", "13208"),
        ("13001", "MARSEILLE 1ER ARRONDISSEMENT", "13201"),
        ("69001", "Lyon 1er", "69381"),
        ("69003", "Lyon", "69383"),
        (None, "Marseille 8eme", "13208"),
        ("", "Paris 11e", "75111"),
        ("", "Paris", "75056"),
        ("75011", "Paris XIe", "75111"),  # Roman numerals, as on street signs
        ("69003", "Lyon IIIème", "69383"),
        ("69007", "LYON 07", "69387"),
        ("", "75011 Paris", "75111"),  # the postcode in the city field
        ("F-75011", "Paris, France", "75111"),
    ],
)
def test_paris_lyon_marseille(
    gaz: Gazetteer, postcode: str | None, city: str, expected: str
) -> None:
    r = gaz.lookup(postcode, city)
    assert r is not None and r.citycode == expected


def test_arrondissement_result_carries_the_city_name_and_its_mairie(gaz: Gazetteer) -> None:
    r = gaz.lookup("75011", "Paris")
    assert r is not None
    assert (r.city, r.postcode, r.department, r.region) == ("Paris", "75011", "75", "11")
    assert r.label == "75011 Paris 11e Arrondissement"
    # the mairie of the 11e, place Léon-Blum
    assert r.point.lon == pytest.approx(2.3795, abs=1e-3)
    assert r.point.lat == pytest.approx(48.8585, abs=1e-3)


@pytest.mark.parametrize(
    ("postcode", "city"),
    [
        ("75012", "Paris 11e"),  # the arrondissement disagrees with the postcode
        ("75001", "Paris 11"),  # one digit away is no typo
        ("13008", "Marseille 9e"),
        ("75011", "Lyon"),
        ("69001", "Marseille"),
    ],
)
def test_paris_lyon_marseille_mismatches(gaz: Gazetteer, postcode: str, city: str) -> None:
    assert gaz.lookup(postcode, city) is None


# ----------------------------------------------------------------- Corsica and overseas


@pytest.mark.parametrize(
    ("postcode", "city", "expected", "department", "region"),
    [
        ("20000", "Ajaccio", "2A004", "2A", "94"),
        ("20090", "AJACCIO", "2A004", "2A", "94"),
        ("20200", "Bastia", "2B033", "2B", "94"),
        ("20100", "Sartene", "2A272", "2A", "94"),
        ("20260", "Calvi", "2B050", "2B", "94"),
        ("97100", "Basse-Terre", "97105", "971", "01"),
        ("97200", "Fort de France", "97209", "972", "02"),
        ("97300", "Cayenne", "97302", "973", "03"),
        ("97430", "Le Tampon", "97422", "974", "04"),
        ("97400", "St Denis", "97411", "974", "04"),
        ("97600", "Mamoudzou", "97611", "976", "06"),
        ("97615", "Pamandzi", "97615", "976", "06"),
    ],
)
def test_corsica_and_overseas(
    gaz: Gazetteer, postcode: str, city: str, expected: str, department: str, region: str
) -> None:
    r = gaz.lookup(postcode, city)
    assert r is not None
    assert (r.citycode, r.department, r.region) == (expected, department, region)


def test_overseas_points_are_overseas(gaz: Gazetteer) -> None:
    r = gaz.lookup("97600", "Mamoudzou")
    assert r is not None and -13.1 < r.point.lat < -12.6 and 45.0 < r.point.lon < 45.3


# ----------------------------------------------------------------- typos


@pytest.mark.parametrize(
    ("postcode", "city", "expected"),
    [
        ("01000", "Bourg-en-Bresze", "01053"),  # replaced
        ("20090", "Ajacio", "2A004"),  # dropped
        ("38000", "Grenobble", "38185"),  # added
        ("38000", "Grenolbe", "38185"),  # swapped
        ("72000", "Le Mns", "72181"),
        ("33000", "BORDAUX", "33063"),
        ("75011", "Pariss", "75111"),
        ("13233", "Marseile Cedex 20", "13055"),  # typo + CEDEX postcode
        ("02570", "Chézy-kur-Marne", "02186"),  # in a linking word
        ("02590", "Aubigny-axu-Kaisnes", "02032"),
    ],
)
def test_one_letter_typo(gaz: Gazetteer, postcode: str, city: str, expected: str) -> None:
    r = gaz.lookup(postcode, city)
    assert r is not None and r.citycode == expected
    assert r.score is not None and r.score < 0.9


def test_two_typos_are_too_many(gaz: Gazetteer) -> None:
    assert gaz.lookup("38000", "Grenbolle") is None


def test_a_real_commune_name_is_never_taken_for_a_typo(gaz: Gazetteer) -> None:
    # Rosans (05) is one letter from Romans (01400): the postcode disagrees, no answer
    assert code(gaz, "01400", "Romans") == "01328"
    assert gaz.lookup("01400", "Rosans") is None
    assert code(gaz, "05150", "Rosans") == "05126"


def test_one_edit_apart() -> None:
    assert one_edit_apart("grenoble", "grenble")
    assert one_edit_apart("grenoble", "grenobble")
    assert one_edit_apart("grenoble", "grenolbe")
    assert one_edit_apart("grenoble", "grenoblx")
    assert not one_edit_apart("grenoble", "grenoble")
    assert not one_edit_apart("grenoble", "grnolbe")
    assert not one_edit_apart("abc", "cba")


# ----------------------------------------------------------------- no answer rather than a wrong one


@pytest.mark.parametrize(
    ("postcode", "city"),
    [
        ("01400", "Nowhereville"),  # not a commune
        ("99999", "Nowhere"),  # not a postcode, not a département
        ("38000", "Lyon"),  # a commune, but not this postcode's
        ("75011", "Marseille"),
        ("69001", "Villeurbanne"),  # the neighbour: still another commune
        ("2A000", "Ajaccio"),  # malformed postcode
        ("ABCDE", "Paris"),
        ("01400", ""),  # a postcode serving several communes, no name
        ("", ""),
        (None, None),
        ("", "Saint-Denis"),  # many communes have that name
        ("58120", "Château-Chinon"),  # two communes answer to it
        ("97133", "Saint-Barthélemy"),  # a collectivité, not in the 971–976 départements
    ],
)
def test_no_answer(gaz: Gazetteer, postcode: str | None, city: str | None) -> None:
    assert gaz.lookup(postcode, city) is None


def test_a_postcode_serving_one_commune_alone_resolves(gaz: Gazetteer) -> None:
    r = gaz.lookup("72000", "")
    assert r is not None and r.citycode == "72181"
    assert r.score is not None and r.score <= 0.6


def test_scores_are_in_range(gaz: Gazetteer) -> None:
    cases = [
        ("72000", "Le Mans"),
        ("72000", "Mans"),
        ("72000", "Le Mns"),
        ("13233", "Marseille Cedex 20"),
        ("92044", "Paris La Défense Cedex"),
        ("", "Marseille 8e"),
        ("50100", "Cherbourg-Octeville"),
    ]
    for pc, city in cases:
        r = gaz.lookup(pc, city)
        assert r is not None and r.score is not None and 0 < r.score <= 1, (pc, city)


# ----------------------------------------------------------------- the real-address sample


def test_every_sampled_mairie_address_resolves_to_its_commune(gaz: Gazetteer) -> None:
    with SAMPLE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 3000
    assert {r["department"] for r in rows} >= {"2A", "2B", "971", "972", "973", "974", "976"}
    misses = [r for r in rows if code(gaz, r["postcode"], r["city"]) != r["citycode"]]
    assert misses == []


# ----------------------------------------------------------------- the safety property

_G = default_gazetteer()
_POSTCODES = sorted({pc for e in _G.entries for pc in e.postcodes})
_NAMES = sorted({e.name for e in _G.entries})
_SERVED: dict[str, set[str]] = {}
for _e in _G.entries:
    for _pc in _e.postcodes:
        _SERVED.setdefault(_pc, set()).add(_e.target)


def _mangle(name: str, draw_int) -> str:
    """A real name, maybe uppercased, maybe with one character dropped."""
    if draw_int(0, 1):
        name = name.upper()
    if len(name) > 3 and draw_int(0, 1):
        i = draw_int(0, len(name) - 1)
        name = name[:i] + name[i + 1 :]
    return name


@given(
    pc=st.sampled_from(_POSTCODES),
    name=st.sampled_from(_NAMES) | st.text(min_size=0, max_size=30),
    data=st.data(),
)
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_known_postcode_only_ever_yields_a_commune_it_serves(
    pc: str, name: str, data: st.DataObject
) -> None:
    city = _mangle(name, lambda a, b: data.draw(st.integers(a, b)))
    r = _G.lookup(pc, city)
    if r is not None and r.precision == "municipality":
        assert r.citycode in _SERVED[pc], (pc, city, r)
    if r is not None and r.precision == "department":
        assert "CEDEX" in city.upper()
