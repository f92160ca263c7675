"""``GET /v1/geocode``: an address resolved by the geocoding chain, for the browser.

The back office places an event from a typed address with it; the organiser's form may
complete addresses with it (public, rate-limited per client like the writes). The contract:

- 200: a ``GeoResult`` (point, precision, INSEE code, commune, département, région);
- 404: problem+json with ``code`` ``address_not_found`` or ``address_ambiguous``, the French
  ``detail`` and the ``candidates`` communes (each a ``GeoResult``), possibly empty;
- 400: a parameter is invalid (``errors``); 429: too many requests (``Retry-After``);
- 503: the geocoding service is unreachable or a remote geocoder is down: try again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sdi_common.contracts import GeoResult
from sdi_common.http import PROBLEM_JSON

from ..geocoding_client import GeocodingUnavailable, NotFound
from .deps import RateLimited, RuntimeDep
from .problems import Problem, documented, fail

router = APIRouter(prefix="/v1", tags=["geocoding"])


class AddressNotFound(Problem):
    #: address_not_found, or address_ambiguous (several communes answer alike)
    code: str
    #: the communes the address may mean (at most five)
    candidates: list[GeoResult]


def _not_found_schema() -> dict:
    """The 404's schema, its GeoResult referring to the one the 200 puts in the components."""
    schema = AddressNotFound.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


@router.get(
    "/geocode",
    summary="Situer une adresse (la chaîne de géocodage du service geocoding)",
    operation_id="geocode_address",
    response_model=GeoResult,
    dependencies=[RateLimited],
    responses={
        **documented(400, 429, 503),
        404: {"description": "Adresse introuvable ou ambiguë, avec les communes possibles",
              "content": {PROBLEM_JSON: {"schema": _not_found_schema()}}},
    },
)
async def geocode(
    rt: RuntimeDep,
    postcode: Annotated[str, Query(pattern=r"^\d{5}$", description="Code postal, 5 chiffres")],
    city: Annotated[str, Query(pattern=r"\S", max_length=200, description="Commune")],
    street: Annotated[str | None, Query(max_length=300, description="Numéro et voie")] = None,
) -> GeoResult:
    """Resolves an address with the geocoding service's chain (the national address API,
    addok, the commune gazetteer, as configured there). Public, rate-limited per client.

    - **200**: the point (`GeoResult`: point, precision, INSEE code, commune, département,
      région, source).
    - **404**: nothing sure: `code` is `address_not_found` or `address_ambiguous`, `detail`
      says why in French, `candidates` lists the communes it may mean (possibly none).
    - **400**: a parameter is invalid (`errors`, one per parameter).
    - **429**: too many requests from this client (`Retry-After`).
    - **503**: the geocoding service or a remote geocoder does not answer: try again.
    """
    try:
        found = await rt.geocoder.geocode((street or "").strip() or None, postcode, city.strip())
    except GeocodingUnavailable:
        raise fail(503, "Géocodage momentanément indisponible",
                   "Le service d'adresses ne répond pas ; réessayez dans un instant, ou placez "
                   "le point sur la carte.", code="geocoding-unavailable",
                   headers={"Retry-After": str(rt.settings.retry_after)}) from None
    if isinstance(found, NotFound):
        title = "Adresse ambiguë" if found.code == "address_ambiguous" else "Adresse introuvable"
        raise fail(404, title, found.detail, code=found.code,
                   extra={"code": found.code,
                          "candidates": [c.model_dump(mode="json") for c in found.candidates]})
    return found
