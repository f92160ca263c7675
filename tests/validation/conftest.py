"""Shared fixtures of the validation tests: a valid submission factory and editions."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sdi_common.contracts import Submission
from sdi_common.editions import EDITIONS_DIR, read_edition

PARIS = ZoneInfo("Europe/Paris")


def _submission(**overrides) -> Submission:
    """A valid submission; ``starts_at``/``ends_at`` give it one timing, ``timings`` several."""
    start = overrides.pop("starts_at", datetime(2024, 11, 20, 9, 0, tzinfo=PARIS))
    end = overrides.pop("ends_at", datetime(2024, 11, 20, 12, 0, tzinfo=PARIS))
    data = {
        "title": "Visite de l'usine Dupont Aéronautique",
        "description": "Découvrez nos lignes de production et les métiers de l'usinage.",
        "kind": "company_visit",
        "timings": [{"starts_at": start, "ends_at": end}],
        "audiences": ["pupils", "general_public"],
        "is_free": True,
        "price_eur": None,
        "informs_about_industry": True,
        "online": False,
        "location": {"venue": "Usine Dupont", "street": "1 rue de l'Usine", "postcode": "31000",
                     "city": "Toulouse"},
        "organizer": {"name": "Dupont Aéronautique", "type": "company"},
    }
    data.update(overrides)
    return Submission.model_validate(data)


@pytest.fixture
def make_submission():
    return _submission


@pytest.fixture(scope="session")
def edition_2024():
    return read_edition(EDITIONS_DIR / "2024.toml")


@pytest.fixture
def on_time():
    """A reception instant well before the 2024 deadline."""
    return datetime(2024, 10, 15, 10, 0, tzinfo=PARIS)


@pytest.fixture(scope="session")
def make_submission_fn():
    """The same factory, session-scoped (hypothesis refuses function-scoped fixtures)."""
    return _submission
