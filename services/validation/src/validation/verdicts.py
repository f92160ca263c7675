"""``POST /v1/verdicts``: the verdict the rules would give, without any event.

The submission service's ``POST /v1/submissions/check`` (the form's "Vérifier mon
événement") asks here, so that the check and the real judgement are one implementation,
judged by the replica's own edition: the rules stay in this service, which owns them.
Nothing is published or stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel
from sdi_common.contracts import Outcome, Reason, Submission

from .rules import judge


class VerdictRequest(BaseModel):
    submission: Submission
    #: when it would be received (the deadline is judged against it)
    received_at: AwareDatetime


class VerdictView(BaseModel):
    outcome: Outcome
    reasons: list[Reason]
    edition: str


router = APIRouter(tags=["verdicts"])


@router.post("/v1/verdicts", summary="Judge a submission without publishing anything")
async def verdict(body: VerdictRequest, request: Request) -> VerdictView:
    edition = request.app.state.edition
    found = judge(body.submission, body.received_at, edition)
    return VerdictView(outcome=found.outcome, reasons=found.reasons, edition=edition.name)
