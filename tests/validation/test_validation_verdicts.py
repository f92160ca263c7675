"""``POST /v1/verdicts``: the rules' verdict without an event (the form's check)."""

from __future__ import annotations

import httpx
from sdi_common.editions import load_edition
from sdi_common.settings import REPO_ROOT
from validation.app import build_app
from validation.settings import ValidationSettings

SUBMISSION = {
    "title": "Visite de l'usine de moteurs", "description": "Lignes de production.",
    "kind": "company_visit",
    "timings": [{"starts_at": "2024-11-20T09:00:00+01:00", "ends_at": "2024-11-20T12:00:00+01:00"}],
    "audiences": ["pupils"], "is_free": False,
    "price_eur": 5, "informs_about_industry": True,
    "location": {"postcode": "69003", "city": "Lyon"},
    "organizer": {"name": "Moteurs", "type": "company"},
}


async def test_the_verdict_and_its_reasons_without_any_event():
    edition = load_edition(REPO_ROOT / "config" / "trial" / "2024-open.toml")
    app = build_app(ValidationSettings(), edition)  # no lifespan: no worker, no NATS
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        r = await c.post("/v1/verdicts", json={"submission": SUBMISSION,
                                               "received_at": "2024-11-01T10:00:00+01:00"})
        assert r.status_code == 200
        assert r.json()["outcome"] == "rejected" and r.json()["edition"] == "2024-trial"
        assert [x["code"] for x in r.json()["reasons"]] == ["not_free"]
        free = {**SUBMISSION, "is_free": True, "price_eur": None}
        r = await c.post("/v1/verdicts", json={"submission": free,
                                               "received_at": "2024-11-01T10:00:00+01:00"})
        assert r.json() == {"outcome": "labelled", "reasons": [], "edition": "2024-trial"}
