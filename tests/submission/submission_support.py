"""Helpers of the submission service's tests (imported by the tests and the conftest)."""

from __future__ import annotations

import asyncio
import copy
import os
from pathlib import Path
from typing import Any

import uvicorn
from sdi_common.contracts import Submission
from sdi_common.stack import free_port
from submission.app import build_app
from submission.intake_model import SubmissionIn
from submission.settings import SubmissionSettings
from submission.tokens import token_hash

OPERATOR_TOKEN = "operator-secret-token-for-tests-0123456789"
EXPIRED_OPERATOR_TOKEN = "expired-operator-token-for-tests-0123456789"

VALID: dict[str, Any] = {
    "title": "Visite de l'usine de pièces aéronautiques",
    "description": "Découverte des métiers de l'usinage et de la chaudronnerie.",
    "kind": "company_visit",
    "timings": [{"starts_at": "2026-11-18T09:00:00+01:00", "ends_at": "2026-11-18T12:00:00+01:00"}],
    "audiences": ["pupils", "students"],
    "is_free": True,
    "informs_about_industry": True,
    "online": False,
    "location": {"venue": "Atelier 3", "street": "12 rue de l'Industrie", "postcode": "69007",
                 "city": "Lyon"},
    "registration_url": "https://example.org/inscription",
    "capacity": 30,
    "accessibility": "Accès en fauteuil roulant",
    "organizer": {"name": "Mécanique Lyonnaise", "type": "company", "siret": "73282932000074",
                  "email": "contact.secret@mecalyon.example", "phone": "04 72 00 00 00"},
}
#: the body as contract version 1 had it: one start and one end (still accepted)
LEGACY_DATES = {"starts_at": "2026-11-18T09:00:00+01:00", "ends_at": "2026-11-18T12:00:00+01:00"}
EMAIL = VALID["organizer"]["email"]
PHONE = VALID["organizer"]["phone"]


def make_payload(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def public_submission(**changes: Any) -> Submission:
    """The public part of ``make_payload(**changes)``, as the intake publishes it."""
    return SubmissionIn.model_validate(make_payload(**changes)).to_submission()


class Service:
    """The submission service, in this process, behind a real uvicorn socket."""

    def __init__(self, settings: SubmissionSettings):
        self.settings = settings
        self.app = build_app(settings)
        self.url = f"http://127.0.0.1:{settings.port}"
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task | None = None

    @property
    def runtime(self):
        return self.app.state.runtime

    async def start(self) -> Service:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.settings.port,
                                log_config=None, access_log=False, lifespan="on",
                                proxy_headers=False)  # as __main__ serves it
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve())
        for _ in range(400):
            if self.server.started:
                return self
            if self.task.done():
                self.task.result()
            await asyncio.sleep(0.025)
        raise TimeoutError("service did not start")

    async def stop(self) -> None:
        if self.server is not None and self.task is not None and not self.task.done():
            self.server.should_exit = True
            await self.task


def service_settings(nats_url: str, data_dir: Path, edition_file: Path, **extra: Any):
    os.environ["EDITION_FILE"] = str(edition_file)
    values = {
        "nats_url": nats_url,
        "data_dir": data_dir,
        "port": free_port(),
        "operator_tokens": f"alice:{token_hash(OPERATOR_TOKEN)},"
        f"old:{token_hash(EXPIRED_OPERATOR_TOKEN)}@2020-01-01",
        "rate_limit_per_minute": 0,
        "import_rate_limit_per_minute": 0,
        "retention_interval": 0,
        "callback_allow_private": True,
        "callback_secret": "callback-secret",
        "callback_backoff": 0.05,
        "log_level": "WARNING",
    }
    values.update(extra)
    return SubmissionSettings(**values)


def operator_headers(token: str = OPERATOR_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def two_editions(folder: Path) -> Path:
    """``folder`` holding 2025 then the active 2026 (the carry-over's previous edition)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "2025.toml").write_text(
        'name = "2025"\nweek_start = 2025-11-17\nweek_end = 2025-11-23\n'
        "tolerance_days = 15\nsubmissions_close_at = 2025-11-10T00:00:00+01:00\n")
    (folder / "2026.toml").write_text(
        'name = "2026"\nweek_start = 2026-11-16\nweek_end = 2026-11-22\n'
        "tolerance_days = 15\nsubmissions_close_at = 2099-01-01T00:00:00+01:00\n")
    return folder
