"""``GET /v1/geocode``: one address through the chain, for a person placing an event by hand
(the submission service's back office, later the organiser's form, through its proxy).

200: the chain's ``GeoResult``. 404: nothing sure, as problem+json with the reason the
worker would publish (``code``: ``address_not_found`` or ``address_ambiguous``, the French
``detail``) and the ``candidates`` communes. 503: a remote step could not answer and no
other resolved it (try again). The answers also go through the shared cache, so a lookup
costs the national API nothing the worker has not already paid.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from sdi_common.contracts import GeoResult, Location
from sdi_common.http import PROBLEM_JSON, problem

from .chain import ChainUnavailable, GeocodingChain
from .reasons import MAX_CANDIDATES, address_not_found

PROBLEMS = "https://semaine-industrie.example/problems/"

router = APIRouter(prefix="/v1", tags=["geocoding"])


class AddressNotFound(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    #: address_not_found, or address_ambiguous (several communes answer alike)
    code: str
    #: the communes the address may mean (at most five), each with its point
    candidates: list[GeoResult]


def _problem_doc(description: str, model: type[BaseModel] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object"}
    if model is not None:  # its GeoResult is the one the 200 puts in the components
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schema.pop("$defs", None)
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}


@router.get(
    "/geocode",
    summary="Situer une adresse (BAN, addok, répertoire des communes, selon GEOCODER_CHAIN)",
    operation_id="geocode",
    response_model=GeoResult,
    responses={
        404: _problem_doc("Adresse introuvable ou ambiguë", AddressNotFound),
        422: _problem_doc("Paramètre invalide"),
        503: _problem_doc("Un géocodeur distant ne répond pas : réessayez"),
    },
)
async def geocode(
    request: Request,
    postcode: Annotated[str, Query(pattern=r"^\d{5}$", description="Code postal")],
    city: Annotated[str, Query(min_length=1, max_length=200, description="Commune")],
    street: Annotated[str | None, Query(max_length=300, description="Numéro et voie")] = None,
):
    chain: GeocodingChain = request.app.state.chain
    location = Location(street=(street or "").strip() or None, postcode=postcode,
                        city=city.strip() or city)
    try:
        found = await chain.geocode(location)
    except ChainUnavailable:
        return problem(503, "Géocodage momentanément indisponible",
                       "Un service d'adresses ne répond pas ; réessayez dans un instant.",
                       type=PROBLEMS + "geocoding-unavailable", headers={"Retry-After": "5"})
    if found is not None:
        return found
    candidates = chain.candidates(location)
    reason = address_not_found(location, candidates)
    return problem(404, "Adresse introuvable", reason.message, type=PROBLEMS + reason.code,
                   code=reason.code,
                   candidates=[c.model_dump(mode="json") for c in candidates[:MAX_CANDIDATES]])
