"""The geocoding service's ``GET /v1/geocode``, as this service calls it (``GEOCODING_URL``).

The browser talks only to this service; the back office (and later the organiser's form)
resolves an address through ``api/geocode.py``, which relays this client's answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from pydantic import ValidationError
from sdi_common.contracts import GeoResult

log = structlog.get_logger(__name__)


class GeocodingUnavailable(Exception):
    """The geocoding service did not answer, or answered something else than its contract."""


@dataclass(frozen=True)
class NotFound:
    """No sure point: the reason (``address_not_found``, ``address_ambiguous``), in French,
    and the communes the address may mean."""

    code: str
    detail: str
    candidates: list[GeoResult] = field(default_factory=list)


class GeocodingClient:
    def __init__(self, url: str, timeout: float) -> None:
        self._http = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def geocode(self, street: str | None, postcode: str, city: str) -> GeoResult | NotFound:
        params: dict[str, Any] = {"postcode": postcode, "city": city}
        if street:
            params["street"] = street
        try:
            answer = await self._http.get("/v1/geocode", params=params)
        except httpx.HTTPError as exc:
            log.warning("geocoding.unreachable", error=repr(exc))
            raise GeocodingUnavailable(str(exc) or type(exc).__name__) from exc
        try:
            if answer.status_code == 200:
                return GeoResult.model_validate_json(answer.content)
            if answer.status_code == 404:
                body = answer.json()
                return NotFound(body["code"], body["detail"],
                                [GeoResult.model_validate(c) for c in body.get("candidates", [])])
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            log.warning("geocoding.bad_answer", status=answer.status_code, error=repr(exc))
        raise GeocodingUnavailable(f"geocoding answered {answer.status_code}")
