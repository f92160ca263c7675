"""The names people write that are not the official one (issue 17): usual forms, La Poste's
abbreviations, postal towns; never a wrong commune, and the candidates named when unsure."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from geocoding.app import place
from geocoding.chain import GeocodingChain
from geocoding.gazetteer import SCORE, Gazetteer, default_gazetteer, usual_form
from sdi_common.contracts import Judged, Submission

USUAL = Path(__file__).resolve().parents[1] / "data" / "mairie_usual_names.csv"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return default_gazetteer()


def code(gaz: Gazetteer, postcode: str, city: str) -> str | None:
    r = gaz.lookup(postcode, city)
    return None if r is None else r.citycode


def candidates(gaz: Gazetteer, postcode: str, city: str) -> set[str]:
    return {c.citycode for c in gaz.candidates(postcode, city)}


# ----------------------------------------------------------------- what people write


@pytest.mark.parametrize(
    ("postcode", "city", "expected"),
    [
        # the official name with a qualifier after it
        ("04370", "Colmars-les-Alpes", "04061"),  # officially Colmars
        ("04330", "Senez-le-Poil", "04204"),
        ("11560", "Fleury-d'Aude", "11145"),
        ("17380", "Saint-Loup-de-Saintonge", "17356"),
        ("16190", "Bors-de-Montmoreau", "16052"),  # "Bors (Canton de Tude-et-Lavalette)"
        ("16360", "Bors-de-Baignes", "16053"),  # "Bors (Canton de Charente-Sud)"
        ("64370", "Castillon-d'Arthez", "64181"),
        ("06902", "Valbonne-Sophia-Antipolis Cedex", "06152"),  # a CEDEX postcode: the dép.
        ("80290", "La Chapelle sous Poix", "80455"),  # officially Lachapelle
        # words left out, La Poste's 32-letter forms among them
        ("02700", "Barisis", "02049"),  # Barisis-aux-Bois
        ("92300", "Levallois", "92044"),  # Levallois-Perret
        ("51290", "St-Rémy-Bouzemont-Genest-Isson", "51513"),
        ("70230", "Roche-Linotte-Sorans-Cordiers", "70449"),
        ("24206", "Sarlat Cedex", "24520"),  # Sarlat-la-Canéda
        # one typo, linking words, CIDEX, text that went through the wrong code page
        ("05100", "Villard-Saint-Pancrace", "05183"),  # Villar-Saint-Pancrace
        ("63800", "Pérignat-ès-Allier", "63273"),  # Pérignat-sur-Allier
        ("62126", "Conteville-lez-Boulogne", "62237"),
        ("25250", "Onans Cidex 1", "25431"),
        ("14113", "Cricqueb\x9cuf", "14202"),
        ("57600", "\x8cting", "57521"),
    ],
)
def test_the_names_communes_write_themselves(
    gaz: Gazetteer, postcode: str, city: str, expected: str
) -> None:
    r = gaz.lookup(postcode, city)
    assert r is not None and r.precision == "municipality"
    assert r.citycode == expected


def test_a_usual_form_scores_below_a_typo(gaz: Gazetteer) -> None:
    usual = gaz.lookup("04370", "Colmars-les-Alpes")
    typo = gaz.lookup("04370", "Colmrs")
    assert usual and typo and usual.citycode == typo.citycode == "04061"
    assert usual.score == SCORE["usual"] < typo.score


def test_a_postal_town_is_taken_at_its_word(gaz: Gazetteer) -> None:
    # the mairie of Soyaux writes "16000 Angoulême": the point is Angoulême's, as BAN does
    r = gaz.lookup("16000", "Angoulême")
    assert r is not None and (r.citycode, r.precision, r.score) == ("16015", "municipality", 1.0)


# ----------------------------------------------------------------- never a wrong commune


@pytest.mark.parametrize(
    ("postcode", "city", "named"),
    [
        # two communes answer alike: both named
        ("58120", "Château-Chinon", {"58062", "58063"}),
        ("95000", "Cergy-Pontoise", {"95127", "95500"}),  # names Pontoise too
        # the qualifier names the other homonym's neighbourhood
        ("64350", "Castillon-d'Arthez", {"64181", "64182"}),
        ("16190", "Bors-de-Baignes", {"16052", "16053"}),
        # what was written is a commune elsewhere: the local one is named, not chosen
        ("50310", "Saint-Cyr", {"50461"}),  # Saint-Cyr-Bocage; Saint-Cyr is in 07, 71...
        ("46300", "Le Vigan", {"46334"}),  # Le Vigan-en-Quercy; Le Vigan is in the Gard
    ],
)
def test_unsure_means_unresolved_with_the_candidates_named(
    gaz: Gazetteer, postcode: str, city: str, named: set[str]
) -> None:
    assert gaz.lookup(postcode, city) is None
    assert candidates(gaz, postcode, city) == named


@pytest.mark.parametrize(
    ("postcode", "city"),
    [
        ("04150", "Colmars-les-Alpes"),  # a usual form outside its postcode
        ("64300", "Mont-Bernenchon"),  # not Mont (64): one typo from Mont-Bernanchon (62)
        ("01480", "Villeneuve-Saint-Vistre"),  # not Villeneuve (01): a shortened 51 name
        ("02600", "Fleury-d'Aude"),  # not the Fleury of the Aisne: the Aude is elsewhere
        ("07110", "Montréal-du-Gers"),  # nor the Montréal of the Ardèche
        ("75012", "Paris Bastille 11e"),  # a usual form may not change a number
        ("38750", "Saint"),  # a saint without a name is nobody
        ("92044", "Paris La Défense Cedex"),  # no commune of the 92 starts so
    ],
)
def test_no_usual_form_across_what_the_input_says(gaz: Gazetteer, postcode: str, city: str) -> None:
    r = gaz.lookup(postcode, city)
    assert r is None or r.precision == "department"


def test_usual_form() -> None:
    assert usual_form(("colmars", "alpes"), ("colmars",))
    assert usual_form(("barisis",), ("barisis", "bois"))
    assert usual_form(
        ("saint", "remy", "bouzemont", "genest", "isson"),
        ("saint", "remy", "bouzemont", "saint", "genest", "isson"),
    )
    assert not usual_form(("saint", "loup"), ("saint", "martin", "loup"))  # Saint's name kept
    assert not usual_form(("genest", "isson"), ("saint", "genest", "isson"))  # first word kept
    assert not usual_form(("villeneuve",), ("villeneuve", "saint", "vistre", "villevotte"))
    # equal words: an official name whose parenthesized qualifier was set aside
    assert usual_form(("bors",), ("bors",))


# ----------------------------------------------------------------- the real addresses


def _rows(kind: str) -> list[dict[str, str]]:
    with USUAL.open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["kind"] == kind]


def test_nine_in_ten_usual_names_of_the_open_data_resolve_and_none_wrongly(
    gaz: Gazetteer,
) -> None:
    rows = _rows("usual name")
    assert len(rows) >= 190
    got = [code(gaz, r["postcode"], r["city"]) for r in rows]
    wrong = [
        (r["postcode"], r["city"], g)
        for r, g in zip(rows, got, strict=True)
        if g and g != r["citycode"]
    ]
    assert wrong == []
    assert sum(g is not None for g in got) >= 0.9 * len(rows)


def test_postal_towns_and_former_communes_resolve_to_the_commune_they_name(
    gaz: Gazetteer,
) -> None:
    rows = [r for r in _rows("postal town") + _rows("former commune") if r["named"]]
    got = [code(gaz, r["postcode"], r["city"]) for r in rows]
    assert all(g in (r["named"], None) for r, g in zip(rows, got, strict=True))
    # all but "67201 Strasbourg" (the mairie of Eckbolsheim): 67201 does not serve Strasbourg
    assert [r["city"] for r, g in zip(rows, got, strict=True) if g is None] == ["Strasbourg"]


def test_usual_names_at_every_other_postcode_of_their_departement(gaz: Gazetteer) -> None:
    """13,900 real usual names at a postcode that does not serve their commune: none
    resolves through a usual form."""
    served: dict[str, set[str]] = {}
    by_department: dict[str, set[str]] = {}
    for e in gaz.entries:
        served.setdefault(e.target, set()).update(e.postcodes)
        for pc in e.postcodes:
            by_department.setdefault(e.department, set()).add(pc)
    placed = []
    for r in _rows("usual name"):
        for pc in sorted(by_department[r["department"]] - served[r["citycode"]]):
            res = gaz.lookup(pc, r["city"])
            if res is not None and res.precision == "municipality":
                placed.append((pc, r["city"], res.citycode))
    # the one left is the one-typo rule's, older than usual forms: Rossay (86137, a former
    # commune of Loudun, served by 86200) is one letter from "Sossay"
    assert placed == [("86200", "Sossay", "86137")]


# ----------------------------------------------------------------- what the committee reads

PARIS = ZoneInfo("Europe/Paris")


def _labelled(postcode: str, city: str) -> tuple[Judged, Submission]:
    sub = Submission.model_validate(
        {
            "title": "Portes ouvertes de la fonderie",
            "kind": "company_visit",
            "timings": [{"starts_at": datetime(2024, 11, 20, 9, tzinfo=PARIS),
                         "ends_at": datetime(2024, 11, 20, 12, tzinfo=PARIS)}],
            "audiences": ["general_public"],
            "is_free": True,
            "informs_about_industry": True,
            "location": {"street": "Place de la Mairie", "postcode": postcode, "city": city},
            "organizer": {"name": "Fonderie du Morvan", "type": "company"},
        }
    )
    event = Judged(
        type="labelled", submission_id="s-1", version=1, by="validation", submission=sub,
        edition="2024",
    )  # fmt: skip
    return event, sub


async def test_an_ambiguous_address_names_both_communes(gaz: Gazetteer) -> None:
    event, sub = _labelled("58120", "Château-Chinon")
    out = await place(GeocodingChain(gaz), event, sub)
    assert out.type == "location_unresolved"
    assert out.reason.code == "address_ambiguous"
    assert "Château-Chinon (Ville) (INSEE 58062)" in out.reason.message
    assert "Château-Chinon (Campagne) (INSEE 58063)" in out.reason.message


async def test_a_near_miss_names_the_local_commune(gaz: Gazetteer) -> None:
    event, sub = _labelled("50310", "Saint-Cyr")
    out = await place(GeocodingChain(gaz), event, sub)
    assert out.reason.code == "address_not_found"
    assert "s'agit-il de 50310 Saint-Cyr-Bocage (INSEE 50461) ?" in out.reason.message


async def test_an_unknown_address_names_nobody(gaz: Gazetteer) -> None:
    event, sub = _labelled("01100", "Zzyzx-sur-Lune")
    out = await place(GeocodingChain(gaz), event, sub)
    assert out.reason.code == "address_not_found"
    assert "s'agit-il" not in out.reason.message


async def test_a_usual_name_is_published_at_its_commune(gaz: Gazetteer) -> None:
    event, sub = _labelled("04370", "Colmars-les-Alpes")
    out = await place(GeocodingChain(gaz), event, sub)
    assert out.type == "geocoded"
    assert out.location.citycode == "04061" and out.location.precision == "municipality"
