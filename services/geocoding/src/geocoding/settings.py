"""geocoding settings, from the environment (see ``sdi_common.settings.ServiceSettings``)."""

from __future__ import annotations

from pydantic import field_validator, model_validator
from sdi_common.settings import ServiceSettings

STEPS = ("ban", "addok", "gazetteer")


class GeocodingSettings(ServiceSettings):
    service_name: str = "geocoding"
    port: int = 8003
    #: GEOCODER_CHAIN: the steps, in order, among ban, addok, gazetteer (gazetteer last).
    #: One machine (no internet): "gazetteer"; production: "ban,addok,gazetteer".
    geocoder_chain: str = "gazetteer"
    #: BAN_URL: base URL of the national address API (``/search`` is appended)
    ban_url: str = "https://data.geopf.fr/geocodage"
    #: BAN_RATE: requests/s of this process to the BAN. The API allows 50/s per IP, so
    #: keep replicas × BAN_RATE ≤ 50 (e.g. 16 with three replicas behind one NAT address).
    ban_rate: float = 40.0
    #: ADDOK_URL: base URL of the self-hosted addok (required when the chain names addok)
    addok_url: str | None = None
    #: ADDOK_RATE: requests/s of this process to the self-hosted addok (our own capacity)
    addok_rate: float = 200.0
    #: HTTP_BURST: requests a geocoder may send at once beyond its rate (token bucket size)
    http_burst: int = 1
    #: HTTP_TIMEOUT: seconds per HTTP request
    http_timeout: float = 5.0
    #: HTTP_MAX_CONNECTIONS: concurrent connections to each geocoder (more requests wait)
    http_max_connections: int = 32
    #: HTTP_MAX_ATTEMPTS: attempts per address and geocoder (5xx, timeouts, 429 included)
    http_max_attempts: int = 4
    #: HTTP_DEADLINE: seconds one address may spend in one geocoder, waits included; keep it
    #: well below the consumer's ack_wait (60 s)
    http_deadline: float = 20.0
    #: MIN_SCORE: a remote result scoring lower (0–1) sends the address to the next step
    min_score: float = 0.5
    #: BREAKER_FAILURES: consecutive failed requests that open a geocoder's circuit
    breaker_failures: int = 5
    #: BREAKER_RESET: seconds an open circuit waits before letting one probe through
    breaker_reset: float = 30.0
    #: ACCEPT_DEPARTMENT: publish the département's point for a CEDEX address whose commune
    #: is unknown (off: such an address is unresolved, an operator places it)
    accept_department: bool = False
    #: NEGATIVE_TTL: seconds an address no remote geocoder found is not asked again in this
    #: process (0: off). Never stored in the shared cache.
    negative_ttl: float = 600.0

    @field_validator("geocoder_chain")
    @classmethod
    def _known_steps(cls, value: str) -> str:
        steps = [s.strip().lower() for s in value.split(",") if s.strip()]
        unknown = [s for s in steps if s not in STEPS]
        if unknown:
            raise ValueError(f"unknown geocoder(s) {unknown}; choose among {list(STEPS)}")
        if not steps:
            raise ValueError("the chain needs at least one step")
        if len(set(steps)) != len(steps):
            raise ValueError("a step appears twice")
        if "gazetteer" in steps and steps[-1] != "gazetteer":
            raise ValueError("the gazetteer, the least precise step, must come last")
        return ",".join(steps)

    @model_validator(mode="after")
    def _addok_needs_url(self) -> GeocodingSettings:
        if "addok" in self.chain_steps() and not self.addok_url:
            raise ValueError("GEOCODER_CHAIN names addok but ADDOK_URL is not set")
        return self

    def chain_steps(self) -> list[str]:
        return self.geocoder_chain.split(",")
