"""Event dates as French readers write them: « mercredi 20 novembre 2024, de 9 h à 12 h ».

Shown in the time of the place: Europe/Paris, or the overseas territory's own zone (an
event in La Réunion at 9 h is at 9 h there, 6 h in Paris), named after the times. Online
events and events without a département are in Paris time. No locale is needed (the
machine's locales are not relied on): the names are here.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from .filters import PARIS

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
NBSP = "\u00a0"

#: overseas départements and collectivities: their zone, and how the time is named
OVERSEAS: dict[str, tuple[str, str]] = {
    "971": ("America/Guadeloupe", "heure de la Guadeloupe"),
    "972": ("America/Martinique", "heure de la Martinique"),
    "973": ("America/Cayenne", "heure de la Guyane"),
    "974": ("Indian/Reunion", "heure de La Réunion"),
    "975": ("America/Miquelon", "heure de Saint-Pierre-et-Miquelon"),
    "976": ("Indian/Mayotte", "heure de Mayotte"),
    "977": ("America/St_Barthelemy", "heure de Saint-Barthélemy"),
    "978": ("America/Marigot", "heure de Saint-Martin"),
    "986": ("Pacific/Wallis", "heure de Wallis-et-Futuna"),
    "987": ("Pacific/Tahiti", "heure de Polynésie française"),
    "988": ("Pacific/Noumea", "heure de Nouvelle-Calédonie"),
}


def zone_of(department: str | None) -> tuple[ZoneInfo, str | None]:
    """The zone an event's times are shown in, and its name when it is not Paris time."""
    if department in OVERSEAS:
        name, said = OVERSEAS[department]
        return ZoneInfo(name), said
    return PARIS, None


def day(moment: datetime) -> str:
    """« mercredi 20 novembre 2024 », « vendredi 1er novembre 2024 »."""
    number = "1er" if moment.day == 1 else str(moment.day)
    return f"{WEEKDAYS[moment.weekday()]} {number} {MONTHS[moment.month - 1]} {moment.year}"


def hour(moment: datetime) -> str:
    """« 9 h », « 9 h 30 », « 0 h » (non-breaking spaces: the time never splits)."""
    text = f"{moment.hour}{NBSP}h"
    return f"{text}{NBSP}{moment.minute:02d}" if moment.minute else text


def session(start: datetime, end: datetime, department: str | None = None) -> str:
    """One session: « mercredi 20 novembre 2024, de 9 h à 12 h », or across days
    « du mardi 19 novembre 2024 à 9 h au jeudi 21 novembre 2024 à 17 h »."""
    zone, said = zone_of(department)
    start, end = start.astimezone(zone), end.astimezone(zone)
    if start.date() == end.date():
        text = f"{day(start)}, de {hour(start)} à {hour(end)}"
    else:
        text = f"du {day(start)} à {hour(start)} au {day(end)} à {hour(end)}"
    return f"{text} ({said})" if said else text
