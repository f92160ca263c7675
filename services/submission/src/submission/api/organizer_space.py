"""The organiser's space: lost links, the check of a form before sending, commune
completion; and the pages (``/organisateur/``), served as static files.

- ``POST /v1/organizer-links`` ``{"email"}``: always 202 with the same body, known address
  or not (the work is done in the background, ``lost_links.py``); rate-limited.
- ``POST /v1/submissions/check``: the verdict the rules would give the body now (200:
  ``outcome``, ``reasons`` with what to change), creating nothing. The rules belong to the
  validation service, asked over HTTP (``VALIDATION_URL``, its ``POST /v1/verdicts``): one
  implementation, judged by the edition validation itself uses.
- ``GET /v1/communes?postcode=&q=``: communes for the form's completion, from the
  geocoding service's gazetteer (``GEOCODING_URL``): the browser talks to this service only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sdi_common.contracts import Communes, Outcome

from ..intake_model import EMAIL, Matching, SubmissionIn
from ..lost_links import LostLinks
from .body import JsonBodyRoute
from .deps import CorrelationId, RateLimited
from .problems import documented, fail
from .views import OUTCOME_LABELS, ReasonView, explained

log = structlog.get_logger(__name__)

router = APIRouter(tags=["organisers"], route_class=JsonBodyRoute)


class Space:
    """What these routes need beyond the runtime (built once NATS is connected)."""

    def __init__(self, lost_links: LostLinks, client: httpx.AsyncClient,
                 validation_url: str, geocoding_url: str):
        self.lost_links = lost_links
        self.client = client
        self.validation_url = validation_url
        self.geocoding_url = geocoding_url

    async def aclose(self) -> None:
        await self.lost_links.stop()
        await self.client.aclose()


async def get_space(request: Request) -> Space:
    return request.app.state.space


SpaceDep = Annotated[Space, Depends(get_space)]


def _unavailable(what: str) -> Exception:
    return fail(503, "Service momentanément indisponible",
                f"{what} ne répond pas ; réessayez dans quelques secondes.",
                code="unavailable", headers={"Retry-After": "5"})


async def _call(space: Space, method: str, url: str, what: str, **kwargs: Any) -> Any:
    try:
        response = await space.client.request(method, url, **kwargs)
        response.raise_for_status()
        return response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("upstream.failed", url=url.split("?")[0], error=repr(exc))
        raise _unavailable(what) from None


# --------------------------------------------------------------------------- lost links


class LinkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)
    email: Matching(EMAIL, "invalid_email")


class LinkAccepted(BaseModel):
    detail: str


LINK_SENT = ("Si cette adresse a servi à inscrire des événements, un nouveau lien vient d'y "
             "être envoyé pour chacun d'eux. Il remplace le précédent.")


@router.post(
    "/v1/organizer-links",
    status_code=202,
    summary="Recevoir un nouveau lien (lien perdu)",
    operation_id="request_organizer_links",
    dependencies=[RateLimited],
    responses=documented(413, 415, 422, 429),
)
async def organizer_links(body: LinkRequest, space: SpaceDep,
                          correlation_id: CorrelationId) -> LinkAccepted:
    """Toujours 202, que l'adresse soit connue ou non : un lien neuf est envoyé par courriel
    pour chaque inscription faite avec elle, et remplace l'ancien."""
    space.lost_links.request(body.email, correlation_id)
    return LinkAccepted(detail=LINK_SENT)


# --------------------------------------------------------------------------- check


class CheckView(BaseModel):
    """What the rules would say of the submission if it were sent now."""

    outcome: Outcome
    outcome_label: str
    reasons: list[ReasonView]
    edition: str


@router.post(
    "/v1/submissions/check",
    summary="Vérifier un événement avant de l'envoyer (rien n'est enregistré)",
    operation_id="check_submission",
    dependencies=[RateLimited],
    responses=documented(413, 415, 422, 429, 503),
)
async def check(body: SubmissionIn, space: SpaceDep) -> CheckView:
    found = await _call(
        space, "POST", f"{space.validation_url}/v1/verdicts", "La vérification",
        json={"submission": body.to_submission().model_dump(mode="json"),
              "received_at": datetime.now(UTC).isoformat()},
    )
    return CheckView(outcome=found["outcome"], outcome_label=OUTCOME_LABELS[found["outcome"]],
                     reasons=explained(found["reasons"]), edition=found["edition"])


# --------------------------------------------------------------------------- communes


@router.get(
    "/v1/communes",
    summary="Communes d'un code postal ou commençant par un nom (complétion du formulaire)",
    operation_id="complete_commune",
    responses=documented(400, 503),
)
async def communes(
    space: SpaceDep,
    postcode: Annotated[str | None, Query(pattern=r"^[0-9]{5}$")] = None,
    q: Annotated[str | None, Query(min_length=2, max_length=100)] = None,
) -> Communes:
    if not postcode and not q:
        return Communes(communes=[])
    params = {k: v for k, v in (("postcode", postcode), ("q", q)) if v}
    found = await _call(space, "GET", f"{space.geocoding_url}/v1/communes",
                        "La recherche des communes", params=params | {"limit": 10})
    return Communes(communes=found["communes"])
