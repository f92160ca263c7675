"""The industry-signal detector: normalisation, strong/weak words, neutral phrases, contexts."""

import json
from pathlib import Path

import pytest
from validation.industry import detect, normalize

DATA = Path(__file__).parent / "data"


def test_normalize_is_accent_and_case_insensitive():
    assert normalize("L’Aéronautique, c'est l'ŒUVRE d'ingénieurs !") == (
        " l aeronautique c est l oeuvre d ingenieurs "
    )


@pytest.mark.parametrize(
    "title",
    ["Visite d'usine", "VISITE D’USINE", "Métiers de l'AÉRONAUTIQUE", "metiers de l aeronautique",
     "Découverte de la métallurgie", "Soudeuse, un métier d'avenir"],
)
def test_strong_words_suffice(title):
    signal = detect(title)
    assert signal.found and signal.strong


def test_evidence_names_what_matched():
    signal = detect("Portes ouvertes", "Visitez notre ligne de production et l'atelier d'usinage.")
    assert {(e.concept, e.text) for e in signal.strong} >= {
        ("production_site", "ligne de production"),
        ("shop_floor", "atelier d usinage"),
    }
    assert "ligne de production" in signal.summary()


def test_atelier_alone_is_no_sign():
    assert not detect("Atelier découverte", "Un moment convivial pour petits et grands.").found


def test_one_weak_word_is_not_enough_two_are():
    assert not detect("Découvrez nos métiers").found
    signal = detect("Découvrez nos métiers", "Nos techniciens présentent la production.")
    assert signal.found and not signal.strong
    assert {e.concept for e in signal.weak} >= {"trades_generic", "technique", "production"}


@pytest.mark.parametrize(
    ("title", "description", "context"),
    [
        ("Atelier pâtisserie", "Fabrication de macarons et métiers de bouche.", "cooking"),
        ("Visite guidée", "Au musée : les techniques de fabrication du vitrail.", "museum_heritage"),
        ("Inauguration", "Notre boutique présente sa production et ses métiers.", "shop"),
        ("Les coulisses du théâtre", "Les techniciens et la machinerie.", "performing_arts"),
    ],
)
def test_other_world_cancels_weak_words(title, description, context):
    signal = detect(title, description)
    assert not signal.found
    assert context in {e.concept for e in signal.other_world}


@pytest.mark.parametrize(
    ("title", "description"),
    [
        ("Concert à l'Usine", "Trois groupes de rock sur la scène."),
        ("Exposition photo : usines abandonnées", "À la galerie municipale."),
        ("Atelier mécanique horlogère au musée", "Démonstration par un restaurateur."),
    ],
)
def test_lone_strong_word_in_another_world_needs_review(title, description):
    signal = detect(title, description)
    assert signal.strong and signal.other_world
    assert not signal.found


@pytest.mark.parametrize(
    ("title", "description"),
    [
        # a second strong concept
        ("Au musée de la mine", "Les ingénieurs racontent le patrimoine industriel."),
        # a weak word outside the strong phrase
        ("Visite de la brasserie", "Ligne de conditionnement et métiers ; dégustation."),
    ],
)
def test_corroborated_strong_word_survives_another_world(title, description):
    signal = detect(title, description)
    assert signal.other_world and signal.found


@pytest.mark.parametrize(
    "text",
    [
        "Dans le cadre de la Semaine de l'industrie, lecture de contes",
        "Conférence sur l'industrie du spectacle",
        "Atelier d'ingénierie pédagogique",
        "Rencontre avec un ingénieur du son",
        "La production théâtrale de l'année",
        "Salle polyvalente, zone industrielle des Prés",
        "Avec la chambre de commerce et d'industrie",
    ],
)
def test_neutral_phrases_are_not_signs(text):
    signal = detect(text)
    assert not signal.found
    assert signal.neutralised


def load(name):
    return [json.loads(x) for x in (DATA / name).read_text(encoding="utf-8").splitlines() if x]


def scores(rows):
    tp = sum(1 for r in rows if r["industry"] and detect(r["title"], r["description"]).found)
    fp = sum(1 for r in rows if not r["industry"] and detect(r["title"], r["description"]).found)
    positives = sum(1 for r in rows if r["industry"])
    return tp / (tp + fp), tp / positives


def test_samples_are_big_and_balanced_enough():
    rows = load("industry_sample.jsonl") + load("industry_holdout.jsonl") + load(
        "industry_fresh.jsonl"
    )
    assert len(rows) >= 150
    assert len({r["id"] for r in rows}) == len(rows)
    assert sum(r["industry"] for r in rows) >= 60
    assert sum(not r["industry"] for r in rows) >= 60
    assert sum(r["hard"] for r in rows) >= 40


@pytest.mark.parametrize(
    "name", ["industry_sample.jsonl", "industry_holdout.jsonl", "industry_fresh.jsonl"]
)
def test_quality_does_not_regress(name):
    """Guards the figures reported in the README (precision first: prefer review)."""
    precision, recall = scores(load(name))
    assert precision >= 0.95
    assert recall >= 0.85
