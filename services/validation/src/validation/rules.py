"""The labelling rules of the Semaine de l'industrie, judged for one edition.

Every rule is judged and every failing one reported, in the order of ``RULES``. The codes
are stable (web clients rely on them); the messages are French and say what the rule is
and what the submission says. Dates are Paris local dates (the edition's time zone),
bounds included. ``rejected`` wins over ``needs_review`` when both apply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sdi_common.contracts import TARGET_AUDIENCES, Outcome, Reason, Submission
from sdi_common.editions import Edition

from . import french
from .industry import IndustrySignal, detect

OUT_OF_PERIOD = "out_of_period"
NO_TARGET_AUDIENCE = "no_target_audience"
NOT_INDUSTRY_RELATED = "not_industry_related"
INDUSTRY_THEME_UNCLEAR = "industry_theme_unclear"
NOT_FREE = "not_free"
LATE_SUBMISSION = "late_submission"

#: code -> the outcome it leads to when it fails
OUTCOME_OF: dict[str, Outcome] = {
    OUT_OF_PERIOD: "rejected",
    NO_TARGET_AUDIENCE: "rejected",
    NOT_INDUSTRY_RELATED: "rejected",
    INDUSTRY_THEME_UNCLEAR: "needs_review",
    NOT_FREE: "rejected",
    LATE_SUBMISSION: "rejected",
}

AUDIENCE_LABELS: dict[str, str] = {
    "pupils": "scolaires",
    "youth": "jeunes",
    "students": "étudiants",
    "job_seekers": "demandeurs d'emploi",
    "educators": "communauté éducative",
    "hr_professionals": "professionnels des ressources humaines",
    "general_public": "grand public",
    "employees": "salariés",
    "business_partners": "partenaires commerciaux",
}
_TARGETS_TEXT = ", ".join(AUDIENCE_LABELS[a] for a in AUDIENCE_LABELS if a in TARGET_AUDIENCES)


@dataclass(frozen=True)
class Case:
    """What a rule looks at: the submission, when it arrived, the edition, and the signal."""

    submission: Submission
    received_at: datetime
    edition: Edition
    industry: IndustrySignal


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reasons: list[Reason] = field(default_factory=list)
    #: why the industry rule decided as it did (for logs and operators)
    industry: IndustrySignal | None = None

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


# --------------------------------------------------------------------------- the rules


#: how many out-of-window timings a message names (the others are counted)
NAMED_TIMINGS = 3


def out_of_period(case: Case) -> Reason | None:
    """Every timing within the window; the message names each one that is not."""
    edition = case.edition
    first, last = edition.window()
    timings = case.submission.timings

    def said(d):  # the window's year is implied when the date shares it
        return french.day(d, year=not (first.year == last.year == d.year))

    def outside(start, end) -> str | None:
        """What a timing from ``start`` to ``end`` (local dates) does wrong, or None."""
        start_bad = not first <= start <= last
        end_bad = not first <= end <= last
        if start_bad and end_bad:
            if start == end:
                return f"a lieu le {said(start)}"
            return f"commence le {said(start)} et se termine le {said(end)}"
        if start_bad:
            return f"commence le {said(start)}"
        if end_bad:
            return f"se termine le {said(end)}"
        return None

    bad = [
        (n, wrong)
        for n, t in enumerate(timings, 1)
        if (wrong := outside(edition.local_date(t.starts_at), edition.local_date(t.ends_at)))
    ]
    if not bad:
        return None
    if len(timings) == 1:
        actual = f"il {bad[0][1]}"
    else:
        actual = " ; ".join(f"la séance n° {n} sur {len(timings)} {wrong}"
                            for n, wrong in bad[:NAMED_TIMINGS])
        others = len(bad) - NAMED_TIMINGS
        if others == 1:
            actual += " ; et une autre séance hors de la période"
        elif others > 1:
            actual += f" ; et {others} autres séances hors de la période"
    return Reason(
        code=OUT_OF_PERIOD,
        message=(
            f"L'événement doit se dérouler entre {french.day_span(first, last)} ; {actual}."
        ),
    )


def no_target_audience(case: Case) -> Reason | None:
    audiences = case.submission.audiences
    if any(a in TARGET_AUDIENCES for a in audiences):
        return None
    declared = (
        "publics indiqués : " + ", ".join(AUDIENCE_LABELS.get(a, a) for a in dict.fromkeys(audiences))
        if audiences
        else "aucun public n'est indiqué"
    )
    return Reason(
        code=NO_TARGET_AUDIENCE,
        message=(
            "L'événement doit être ouvert à au moins un des publics de la Semaine de "
            f"l'industrie ({_TARGETS_TEXT}) ; {declared}."
        ),
    )


def not_industry_related(case: Case) -> Reason | None:
    if case.submission.informs_about_industry:
        return None
    return Reason(
        code=NOT_INDUSTRY_RELATED,
        message=(
            "L'événement doit avoir pour objectif d'informer et de communiquer sur "
            "l'industrie ; la demande indique que ce n'est pas le cas."
        ),
    )


def industry_theme_unclear(case: Case) -> Reason | None:
    if not case.submission.informs_about_industry or case.industry.found:
        return None
    return Reason(
        code=INDUSTRY_THEME_UNCLEAR,
        message=(
            "L'événement doit avoir pour objectif d'informer sur l'industrie ; ni le titre ni "
            "la description n'évoquent l'industrie (usine, production, métiers, filière, "
            "ingénierie…). Un opérateur va examiner la demande."
        ),
    )


def not_free(case: Case) -> Reason | None:
    s = case.submission
    price = s.price_eur or 0
    if s.is_free and price <= 0:
        return None
    if not s.is_free:
        said = f"il est indiqué payant ({french.euros(price)})" if price > 0 else (
            "il est indiqué payant"
        )
    else:
        said = f"un prix de {french.euros(price)} est indiqué"
    return Reason(
        code=NOT_FREE,
        message=f"L'événement doit être gratuit pour tous les participants ; {said}.",
    )


def late_submission(case: Case) -> Reason | None:
    edition = case.edition
    if not edition.is_late(case.received_at):
        return None
    close = edition.submissions_close_at.astimezone(edition.tz)
    deadline = (
        french.day(close.date())
        if (close.hour, close.minute, close.second) == (0, 0, 0)
        else french.moment(close)
    )
    received = french.moment(case.received_at.astimezone(edition.tz))
    return Reason(
        code=LATE_SUBMISSION,
        message=(
            f"Les demandes de label de l'édition {edition.name} devaient être envoyées avant "
            f"le {deadline} ; la vôtre a été reçue le {received}."
        ),
    )


RULES: tuple[Callable[[Case], Reason | None], ...] = (
    out_of_period,
    no_target_audience,
    not_industry_related,
    industry_theme_unclear,
    not_free,
    late_submission,
)


def judge(submission: Submission, received_at: datetime, edition: Edition) -> Verdict:
    """Judge every rule; the outcome is the worst one (rejected > needs_review > labelled)."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    signal = detect(submission.title, submission.description)
    case = Case(submission, received_at, edition, signal)
    reasons = [reason for rule in RULES if (reason := rule(case)) is not None]
    outcomes = {OUTCOME_OF[r.code] for r in reasons}
    outcome: Outcome = (
        "rejected" if "rejected" in outcomes else "needs_review" if outcomes else "labelled"
    )
    return Verdict(outcome, reasons, signal)
