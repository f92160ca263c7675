"""The codes of the contracts as organisers read and write them in French (the import's
spreadsheet, its template, the summary mail). The reference form says the same words."""

from __future__ import annotations

from sdi_common.contracts import ACCESSIBILITY_CODES, AUDIENCES, KINDS
from sdi_common.text import fold

KIND_LABELS: dict[str, str] = {
    "company_visit": "Visite d'entreprise",
    "training_visit": "Visite d'un lieu de formation",
    "workshop": "Atelier",
    "escape_game": "Escape game",
    "webinar": "Webinaire",
    "job_dating": "Job dating",
    "conference": "Conférence",
    "forum": "Forum",
    "exhibition": "Exposition",
    "other": "Autre",
}
AUDIENCE_LABELS: dict[str, str] = {
    "pupils": "Élèves",
    "youth": "Jeunes",
    "students": "Étudiants",
    "job_seekers": "Demandeurs d'emploi",
    "educators": "Communauté éducative",
    "hr_professionals": "Professionnels des ressources humaines",
    "general_public": "Grand public",
    "employees": "Salariés",
    "business_partners": "Partenaires d'affaires",
}
ORGANIZER_TYPE_LABELS: dict[str, str] = {
    "company": "Entreprise",
    "school": "Établissement scolaire",
    "training_centre": "Centre de formation",
    "federation": "Fédération professionnelle",
    "public_body": "Organisme public",
    "association": "Association",
    "other": "Autre",
}
ACCESSIBILITY_LABELS: dict[str, str] = {
    "motor": "Handicap moteur",
    "hearing": "Handicap auditif",
    "visual": "Handicap visuel",
    "intellectual": "Handicap intellectuel",
    "psychic": "Handicap psychique",
}
#: as the organiser's page and the history say it
EVENT_STATUS_LABELS: dict[str, str] = {"scheduled": "ouvert", "full": "complet",
                                       "cancelled": "annulé"}


def event_status_said(event_status: str, remaining_places: int | None) -> str:
    """« complet », « ouvert, 3 places restantes »: an event status in the history."""
    said = EVENT_STATUS_LABELS[event_status]
    if remaining_places is not None:
        said += f", {remaining_places} place{'s' if remaining_places > 1 else ''} restante" \
            f"{'s' if remaining_places > 1 else ''}"
    return said

assert set(KIND_LABELS) == set(KINDS) and set(AUDIENCE_LABELS) == set(AUDIENCES)
assert set(ACCESSIBILITY_LABELS) == set(ACCESSIBILITY_CODES)


def reader(labels: dict[str, str], *aliases: tuple[str, str]) -> dict[str, str]:
    """What a person may write for each code (the code, its label, a few usual words;
    case, accents and spacing aside) -> the code."""
    words = {fold(code): code for code in labels}
    words.update({fold(label): code for code, label in labels.items()})
    words.update({fold(word): code for word, code in aliases})
    return words
