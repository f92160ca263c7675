"""Unit tests of every rule, its outcome and its French message (2024 edition)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from validation.rules import judge

PARIS = ZoneInfo("Europe/Paris")


def at(y, mo, d, h=10, mi=0, tz=PARIS):
    return datetime(y, mo, d, h, mi, tzinfo=tz)


def test_valid_submission_is_labelled(make_submission, edition_2024, on_time):
    v = judge(make_submission(), on_time, edition_2024)
    assert v.outcome == "labelled"
    assert v.reasons == []
    assert v.industry.found and v.industry.strong


# --------------------------------------------------------------------------- out_of_period


def test_issue_example_message(make_submission, edition_2024, on_time):
    s = make_submission(starts_at=at(2024, 12, 8), ends_at=at(2024, 12, 12))
    v = judge(s, on_time, edition_2024)
    assert v.outcome == "rejected"
    assert [(r.code, r.message) for r in v.reasons] == [
        (
            "out_of_period",
            (
                "L'événement doit se dérouler entre le 3 novembre et le 9 décembre 2024 ; "
                "il se termine le 12 décembre."
            ),
        )
    ]


@pytest.mark.parametrize(
    ("start", "end", "tail"),
    [
        (at(2024, 11, 1), at(2024, 11, 20), "il commence le 1er novembre."),
        (at(2024, 10, 1), at(2024, 10, 1, 18), "il a lieu le 1er octobre."),
        (at(2024, 10, 1), at(2024, 10, 2), "il commence le 1er octobre et se termine le 2 octobre."),
        (at(2025, 1, 5), at(2025, 1, 6), "il commence le 5 janvier 2025 et se termine le 6 janvier 2025."),
        (at(2024, 11, 2, 23, 59), at(2024, 11, 20), "il commence le 2 novembre."),
    ],
)
def test_out_of_period_messages(make_submission, edition_2024, on_time, start, end, tail):
    v = judge(make_submission(starts_at=start, ends_at=end), on_time, edition_2024)
    assert v.codes == ["out_of_period"]
    assert v.reasons[0].message == (
        "L'événement doit se dérouler entre le 3 novembre et le 9 décembre 2024 ; " + tail
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at(2024, 11, 3, 0, 0), at(2024, 12, 9, 23, 59)),  # both bounds, included
        # 2 Nov 23:30 UTC is already 3 Nov 00:30 in Paris
        (datetime(2024, 11, 2, 23, 30, tzinfo=UTC), at(2024, 11, 4)),
        # 9 Dec 22:59 UTC is 23:59 in Paris: still the 9th
        (at(2024, 12, 1), datetime(2024, 12, 9, 22, 59, tzinfo=UTC)),
        # an organiser in Guadeloupe: 9 Dec 17:00 there = 9 Dec 22:00 in Paris
        (at(2024, 12, 1), datetime(2024, 12, 9, 17, 0, tzinfo=ZoneInfo("America/Guadeloupe"))),
    ],
)
def test_bounds_included_in_paris_dates(make_submission, edition_2024, on_time, start, end):
    assert judge(make_submission(starts_at=start, ends_at=end), on_time, edition_2024).codes == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at(2024, 11, 2, 23, 59), at(2024, 11, 4)),
        # 9 Dec 23:30 UTC = 10 Dec 00:30 in Paris
        (at(2024, 12, 1), datetime(2024, 12, 9, 23, 30, tzinfo=UTC)),
        # 9 Dec 19:00 in Guadeloupe = 10 Dec 00:00 in Paris
        (at(2024, 12, 1), datetime(2024, 12, 9, 19, 0, tzinfo=ZoneInfo("America/Guadeloupe"))),
    ],
)
def test_just_outside_bounds(make_submission, edition_2024, on_time, start, end):
    assert judge(make_submission(starts_at=start, ends_at=end), on_time, edition_2024).codes == [
        "out_of_period"
    ]


# --------------------------------------------------------------------------- audiences


def test_no_target_audience(make_submission, edition_2024, on_time):
    v = judge(make_submission(audiences=["employees", "business_partners"]), on_time, edition_2024)
    assert v.outcome == "rejected"
    assert v.codes == ["no_target_audience"]
    assert v.reasons[0].message == (
        "L'événement doit être ouvert à au moins un des publics de la Semaine de l'industrie "
        "(scolaires, jeunes, étudiants, demandeurs d'emploi, communauté éducative, "
        "professionnels des ressources humaines, grand public) ; publics indiqués : salariés, "
        "partenaires commerciaux."
    )


def test_no_audience_at_all(make_submission, edition_2024, on_time):
    v = judge(make_submission(audiences=[]), on_time, edition_2024)
    assert v.codes == ["no_target_audience"]
    assert v.reasons[0].message.endswith("; aucun public n'est indiqué.")


@pytest.mark.parametrize(
    "audience",
    ["pupils", "youth", "students", "job_seekers", "educators", "hr_professionals", "general_public"],
)
def test_each_target_audience_suffices(make_submission, edition_2024, on_time, audience):
    s = make_submission(audiences=["employees", audience])
    assert judge(s, on_time, edition_2024).outcome == "labelled"


# --------------------------------------------------------------------------- industry


def test_not_industry_related(make_submission, edition_2024, on_time):
    v = judge(make_submission(informs_about_industry=False), on_time, edition_2024)
    assert v.outcome == "rejected"
    assert v.codes == ["not_industry_related"]
    assert v.reasons[0].message == (
        "L'événement doit avoir pour objectif d'informer et de communiquer sur l'industrie ; "
        "la demande indique que ce n'est pas le cas."
    )


def test_industry_theme_unclear_needs_review(make_submission, edition_2024, on_time):
    s = make_submission(
        title="Atelier pâtisserie pour les enfants",
        description="Venez préparer des macarons avec notre chef, dans le cadre de la "
        "Semaine de l'industrie.",
    )
    v = judge(s, on_time, edition_2024)
    assert v.outcome == "needs_review"
    assert v.codes == ["industry_theme_unclear"]
    assert "ni le titre ni la description n'évoquent l'industrie" in v.reasons[0].message
    assert "Un opérateur va examiner la demande." in v.reasons[0].message


def test_unclear_theme_not_reported_when_declared_false(make_submission, edition_2024, on_time):
    s = make_submission(title="Atelier pâtisserie", description="", informs_about_industry=False)
    assert judge(s, on_time, edition_2024).codes == ["not_industry_related"]


# --------------------------------------------------------------------------- free


@pytest.mark.parametrize(
    ("is_free", "price", "tail"),
    [
        (False, None, "il est indiqué payant."),
        (False, 0, "il est indiqué payant."),
        (False, 12.5, "il est indiqué payant (12,50\u00a0€)."),
        (True, 5, "un prix de 5\u00a0€ est indiqué."),
        (True, 1200, "un prix de 1\u202f200\u00a0€ est indiqué."),
    ],
)
def test_not_free(make_submission, edition_2024, on_time, is_free, price, tail):
    v = judge(make_submission(is_free=is_free, price_eur=price), on_time, edition_2024)
    assert v.outcome == "rejected"
    assert v.codes == ["not_free"]
    assert v.reasons[0].message == (
        "L'événement doit être gratuit pour tous les participants ; " + tail
    )


def test_free_with_zero_price_is_free(make_submission, edition_2024, on_time):
    assert judge(make_submission(is_free=True, price_eur=0), on_time, edition_2024).codes == []


# --------------------------------------------------------------------------- deadline


def test_late_submission(make_submission, edition_2024):
    v = judge(make_submission(), at(2024, 11, 12, 9, 5), edition_2024)
    assert v.outcome == "rejected"
    assert v.codes == ["late_submission"]
    assert v.reasons[0].message == (
        "Les demandes de label de l'édition 2024 devaient être envoyées avant le "
        "12 novembre 2024 ; la vôtre a été reçue le 12 novembre 2024 à 9 h 05."
    )


def test_deadline_edges(make_submission, edition_2024):
    close = edition_2024.submissions_close_at
    s = make_submission()
    assert judge(s, close - timedelta(microseconds=1), edition_2024).codes == []
    assert judge(s, close, edition_2024).codes == ["late_submission"]  # "avant le 12"
    # 11 Nov 23:30 UTC is already the 12th in Paris
    assert judge(s, datetime(2024, 11, 11, 23, 30, tzinfo=UTC), edition_2024).codes == [
        "late_submission"
    ]
    # 11 Nov 18:00 in Réunion (UTC+4) is 15:00 in Paris: on time
    assert judge(s, datetime(2024, 11, 11, 18, 0, tzinfo=ZoneInfo("Indian/Reunion")),
                 edition_2024).codes == []


def test_deadline_with_a_time_of_day(make_submission, edition_2024):
    edition = edition_2024.model_copy(
        update={"submissions_close_at": datetime(2024, 11, 12, 18, 0, tzinfo=PARIS)}
    )
    v = judge(make_submission(), at(2024, 11, 12, 18, 30), edition)
    assert v.reasons[0].message == (
        "Les demandes de label de l'édition 2024 devaient être envoyées avant le "
        "12 novembre 2024 à 18 h 00 ; la vôtre a été reçue le 12 novembre 2024 à 18 h 30."
    )


def test_naive_received_at_is_refused(make_submission, edition_2024):
    with pytest.raises(ValueError, match="timezone-aware"):
        judge(make_submission(), datetime(2024, 10, 1), edition_2024)


# --------------------------------------------------------------------------- combined


def test_all_failures_reported_in_stable_order(make_submission, edition_2024):
    s = make_submission(
        title="Soirée pâtisserie",
        description="Des gâteaux",
        starts_at=at(2025, 3, 1),
        ends_at=at(2025, 3, 1),
        audiences=["employees"],
        is_free=False,
        price_eur=10,
    )
    v = judge(s, at(2024, 11, 20), edition_2024)
    assert v.outcome == "rejected"  # rejected wins over needs_review
    assert v.codes == [
        "out_of_period",
        "no_target_audience",
        "industry_theme_unclear",
        "not_free",
        "late_submission",
    ]


def test_rejected_wins_over_needs_review(make_submission, edition_2024, on_time):
    s = make_submission(title="Cours de yoga", description="Détente", is_free=False)
    v = judge(s, on_time, edition_2024)
    assert v.outcome == "rejected"
    assert v.codes == ["industry_theme_unclear", "not_free"]


def test_edition_changes_the_window(make_submission, edition_2024, on_time):
    later = edition_2024.model_copy(update={"tolerance_days": 0, "name": "strict"})
    s = make_submission(starts_at=at(2024, 11, 25), ends_at=at(2024, 11, 25))
    assert judge(s, on_time, edition_2024).outcome == "labelled"
    v = judge(s, on_time, later)
    assert v.reasons[0].message == (
        "L'événement doit se dérouler entre le 18 novembre et le 24 novembre 2024 ; "
        "il a lieu le 25 novembre."
    )
