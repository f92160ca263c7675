"""The walking skeleton's event and the edition it runs under, shared by the end-to-end
tests, the container tests and the benchmarks that replay them."""

from __future__ import annotations

from ..settings import REPO_ROOT

#: the real 2024 deadline has passed: the trial edition keeps the same week, its window open
TRIAL_EDITION = str(REPO_ROOT / "config" / "trial" / "2024-open.toml")

SKELETON_EVENT = {
    "title": "Visite de l'usine de moteurs électriques",
    "description": "Découvrez nos lignes de production et d'assemblage, l'atelier d'usinage "
    "et les métiers de l'industrie : opérateurs, techniciens de maintenance, ingénieurs.",
    "kind": "company_visit",
    "starts_at": "2024-11-20T09:00:00+01:00",
    "ends_at": "2024-11-20T12:00:00+01:00",
    "audiences": ["pupils", "job_seekers"],
    "is_free": True,
    "informs_about_industry": True,
    "online": False,
    "location": {"venue": "Usine Nord", "street": "2 rue de la Mairie", "postcode": "69003",
                 "city": "Lyon"},
    "organizer": {"name": "Moteurs de France", "type": "company", "email": "contact@example.fr"},
}
