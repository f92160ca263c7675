"""Client of the BAN ``/search`` API: the national API on the IGN Géoplateforme
(``https://data.geopf.fr/geocodage``) or a self-hosted addok (same engine, same API and
GeoJSON answer), each with its own base URL, token bucket and circuit breaker.

``geocode`` answers a ``GeoResult`` in the input's commune, ``None`` when the server has
nothing acceptable there (the chain tries its next step), or raises
``GeocoderUnavailable`` when the server cannot answer now (breaker open, retries or time
budget exhausted): the chain then falls through as well, but knows the miss is not final.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from sdi_common.contracts import GeoResult, Point
from sdi_common.places import department_of

from .breaker import CircuitBreaker, State
from .metrics import BREAKER_STATE, GEOCODER_LATENCY, GEOCODER_REQUESTS
from .quality import AddressQuery, commune_agrees, is_plm, same_commune
from .ratelimit import TokenBucket
from .settings import GeocodingSettings

log = structlog.get_logger(__name__)

#: BAN result type -> our precision ("locality" is a lieu-dit: street-level at best)
PRECISIONS = {
    "housenumber": "housenumber",
    "street": "street",
    "locality": "street",
    "municipality": "municipality",
}
#: the API refuses a q shorter than 3 or longer than 200 characters
Q_MAX = 200


class GeocoderUnavailable(Exception):
    """The geocoder could not answer now; a later attempt may succeed."""


class CircuitOpen(GeocoderUnavailable):
    """The breaker is open: the geocoder was not even asked."""


class MalformedAnswer(ValueError):
    """The server answered 200 with something that is not a /search FeatureCollection."""


class _Retryable(Exception):
    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(f"{outcome}: {detail}")
        self.outcome = outcome


@dataclass(frozen=True)
class HttpGeocoderConfig:
    """One remote geocoder's knobs. Those an operator sets come from ``GeocodingSettings``
    (``from_settings``), which holds their defaults and documents them; the others are the
    client's own."""

    name: str  # "ban" or "addok": the GeoResult source and the metrics label
    base_url: str  # without /search
    rate: float  # requests/s of this process (replicas × rate <= 50 for the BAN)
    burst: int
    timeout: float  # per request
    max_attempts: int  # per address, 429s included
    deadline: float  # whole budget of one address (< the consumer's ack_wait, 60 s)
    min_score: float
    failure_threshold: int
    reset_timeout: float
    max_connections: int  # concurrent connections to the server (requests beyond wait)
    backoff_base: float = 0.2  # full jitter: uniform(0, min(cap, base * 2**attempt))
    backoff_cap: float = 5.0
    retry_after_default: float = 1.0  # a 429 without Retry-After
    limit: int = 5
    user_agent: str = "semaine-industrie-geocoding/1"

    @classmethod
    def from_settings(
        cls, settings: GeocodingSettings, name: str, **overrides: Any
    ) -> HttpGeocoderConfig:
        """Step ``name`` (``ban`` or ``addok``) as the settings describe it."""
        ban = name == "ban"
        values = {
            "name": name,
            "base_url": str(settings.ban_url if ban else settings.addok_url),
            "rate": settings.ban_rate if ban else settings.addok_rate,
            "burst": settings.http_burst,
            "timeout": settings.http_timeout,
            "max_attempts": settings.http_max_attempts,
            "deadline": settings.http_deadline,
            "min_score": settings.min_score,
            "failure_threshold": settings.breaker_failures,
            "reset_timeout": settings.breaker_reset,
            "max_connections": settings.http_max_connections,
        }
        return cls(**(values | overrides))


def parse_retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date)."""
    if not value:
        return default
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def build_params(query: AddressQuery, limit: int) -> dict[str, str]:
    city = query.city_for_search
    if query.street:
        q = f"{query.street} {query.postcode_for_search} {city}"
    else:
        q = city
    # the API wants q to start with a letter or a digit
    q = " ".join(q.split()).lstrip(" ,;:.-_'\"()/")[:Q_MAX]
    # autocomplete off: the input is a whole address, not the prefix of one being typed
    params = {"q": q, "limit": str(limit), "autocomplete": "0"}
    if not query.street:
        params["type"] = "municipality"
    ref = query.commune
    # Filtering on the commune keeps homonymous streets elsewhere out of the top results.
    # Not for Paris/Lyon/Marseille: their addresses carry the arrondissement's code, and
    # the input's postcode may name a neighbouring arrondissement.
    if ref is not None and ref.citycode and not is_plm(ref.citycode):
        params["citycode"] = ref.citycode
    return params


def parse_features(payload: Any) -> list[dict]:
    """The features of a /search answer; raises MalformedAnswer if the shape is not GeoJSON."""
    if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
        raise MalformedAnswer("not a FeatureCollection")
    features = []
    for feature in payload["features"]:
        props = feature.get("properties") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(props, dict) or not isinstance(geometry, dict):
            raise MalformedAnswer("feature without properties or geometry")
        coords = geometry.get("coordinates")
        if not (
            isinstance(coords, list)
            and len(coords) >= 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2])
        ):
            raise MalformedAnswer("feature without point coordinates")
        if not (-180 <= coords[0] <= 180 and -90 <= coords[1] <= 90):
            raise MalformedAnswer(f"coordinates out of range: {coords[:2]}")
        features.append(feature)
    return features


class HttpGeocoder:
    def __init__(
        self,
        config: HttpGeocoderConfig,
        *,
        client: httpx.AsyncClient | None = None,
        bucket: TokenBucket | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self._client = client or httpx.AsyncClient(
            base_url=config.base_url,
            timeout=httpx.Timeout(config.timeout),
            headers={"User-Agent": config.user_agent, "Accept": "application/json"},
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
        )
        self.bucket = bucket or TokenBucket(config.rate, config.burst)
        self.breaker = breaker or CircuitBreaker(
            config.name,
            failure_threshold=config.failure_threshold,
            reset_timeout=config.reset_timeout,
            on_change=lambda name, state: BREAKER_STATE.labels(name).set(
                0 if state is State.closed else 1
            ),
        )
        BREAKER_STATE.labels(config.name).set(0)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def geocode(self, query: AddressQuery) -> GeoResult | None:
        features = await self.search(build_params(query, self.config.limit))
        return self.pick(query, features)

    def pick(self, query: AddressQuery, features: list[dict]) -> GeoResult | None:
        """The best-ranked result in the input's commune, if its score is high enough."""
        for feature in features:
            props = feature["properties"]
            citycode = _str(props.get("citycode"))
            if not commune_agrees(
                query,
                citycode=citycode,
                postcode=_str(props.get("postcode")),
                city=_str(props.get("city")),
            ):
                continue
            score = props.get("score")
            score = float(score) if isinstance(score, int | float) else 0.0
            precision = PRECISIONS.get(_str(props.get("type")) or "")
            if precision is None or score < self.config.min_score:
                log.info(
                    "geocoder.low_quality",
                    geocoder=self.name,
                    score=score,
                    type=props.get("type"),
                    min_score=self.config.min_score,
                )
                return None
            lon, lat = feature["geometry"]["coordinates"][:2]
            ref = query.commune
            return GeoResult(
                point=Point(lon=lon, lat=lat),
                precision=precision,
                score=round(score, 4),
                citycode=citycode,
                city=_str(props.get("city")),
                postcode=_str(props.get("postcode")),
                department=department_of(citycode) if citycode else None,
                region=ref.region
                if ref is not None
                and ref.citycode
                and citycode
                and same_commune(citycode, ref.citycode)
                else None,
                label=_str(props.get("label")),
                source=self.name,
            )
        return None

    async def search(self, params: dict[str, str]) -> list[dict]:
        """GET /search with rate limiting, retries and the breaker; the answer's features."""
        cfg = self.config
        deadline = time.monotonic() + cfg.deadline
        for attempt in range(cfg.max_attempts):
            if not self.breaker.allow():
                raise CircuitOpen(f"{self.name}: circuit open")
            if not await self.bucket.acquire(max_wait=deadline - time.monotonic()):
                self.breaker.release()
                raise GeocoderUnavailable(f"{self.name}: rate limit queue beyond the deadline")
            try:
                return await self._request(params, deadline)
            except _Throttled as exc:
                # the server is fine, we are too fast: every request of this process waits
                self.breaker.release()
                self.bucket.pause(exc.retry_after)
                if time.monotonic() + exc.retry_after > deadline:
                    break
                delay = 0.0  # the bucket holds the next attempt back
            except _Retryable as exc:
                self.breaker.record_failure()
                delay = random.uniform(0, min(cfg.backoff_cap, cfg.backoff_base * 2**attempt))
                log.warning(
                    "geocoder.retry", geocoder=self.name, attempt=attempt + 1, error=str(exc)
                )
            if attempt + 1 < cfg.max_attempts and delay > 0:
                if time.monotonic() + delay > deadline:
                    break
                await asyncio.sleep(delay)
        raise GeocoderUnavailable(f"{self.name}: gave up after {attempt + 1} attempts")

    async def _request(self, params: dict[str, str], deadline: float) -> list[dict]:
        name = self.name
        timeout = max(0.05, min(self.config.timeout, deadline - time.monotonic()))
        start = time.perf_counter()
        try:
            response = await self._client.get("/search", params=params, timeout=timeout)
        except httpx.TimeoutException as exc:
            GEOCODER_REQUESTS.labels(name, "timeout").inc()
            raise _Retryable("timeout", repr(exc)) from exc
        except httpx.TransportError as exc:
            GEOCODER_REQUESTS.labels(name, "transport_error").inc()
            raise _Retryable("transport_error", repr(exc)) from exc
        finally:
            GEOCODER_LATENCY.labels(name).observe(time.perf_counter() - start)
        status = response.status_code
        if status == 429:
            GEOCODER_REQUESTS.labels(name, "throttled").inc()
            retry_after = parse_retry_after(
                response.headers.get("Retry-After"), self.config.retry_after_default
            )
            log.warning("geocoder.throttled", geocoder=name, retry_after=retry_after)
            raise _Throttled(retry_after)
        if status >= 500:
            GEOCODER_REQUESTS.labels(name, "server_error").inc()
            raise _Retryable("server_error", f"HTTP {status}")
        if status >= 400:
            # our query was refused (e.g. q too short): the server is fine, the answer final
            GEOCODER_REQUESTS.labels(name, "client_error").inc()
            self.breaker.record_success()
            log.warning(
                "geocoder.client_error", geocoder=name, status=status, body=response.text[:200]
            )
            return []
        try:
            features = parse_features(response.json())
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            GEOCODER_REQUESTS.labels(name, "malformed").inc()
            raise _Retryable("malformed", str(exc)) from exc
        GEOCODER_REQUESTS.labels(name, "ok").inc()
        self.breaker.record_success()
        return features


class _Throttled(Exception):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
