"""The geocoding chain: BAN → addok → offline gazetteer, in the order configured.

    GEOCODER_CHAIN=ban,addok,gazetteer   (default on one machine: gazetteer)

The gazetteer runs first in any case, in-process and offline, to recognise the commune the
input names; remote results must lie in that commune (``quality.commune_agrees``). The first
acceptable remote answer wins; otherwise the gazetteer's commune point (precision
``municipality``), if ``gazetteer`` is in the chain. Nothing acceptable → None: the worker
publishes ``location_unresolved``. Never a random point.

A remote step that cannot answer (breaker open, retries spent) is skipped; if nothing else
resolves the address, ``ChainUnavailable`` makes the worker retry the message later rather
than call the address unknown.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from sdi_common.contracts import GeoResult, Location

from .cache import GeoCache, NegativeMemo, cache_key
from .gazetteer import Gazetteer
from .http_geocoder import CircuitOpen, GeocoderUnavailable, HttpGeocoder, HttpGeocoderConfig
from .metrics import CHAIN_LATENCY, RESULTS, STEP_RESULTS
from .quality import AddressQuery
from .settings import GeocodingSettings

log = structlog.get_logger(__name__)


class ChainUnavailable(Exception):
    """No step resolved the address and at least one could not answer: try again later."""


class GeocodingChain:
    def __init__(
        self,
        gazetteer: Gazetteer,
        remote: list[HttpGeocoder] | None = None,
        *,
        use_gazetteer: bool = True,
        accept_department: bool = False,
        cache: GeoCache | None = None,
        negative: NegativeMemo | None = None,
    ) -> None:
        self.gazetteer = gazetteer
        self.remote = list(remote or [])
        self.use_gazetteer = use_gazetteer
        self.accept_department = accept_department
        # only a chain that calls remote geocoders has something worth caching
        self.cache = cache if self.remote else None
        self.negative = negative if self.remote else None
        self._inflight: dict[str, asyncio.Future[GeoResult | None]] = {}

    @property
    def steps(self) -> list[str]:
        return [g.name for g in self.remote] + (["gazetteer"] if self.use_gazetteer else [])

    async def aclose(self) -> None:
        for geocoder in self.remote:
            await geocoder.aclose()

    async def geocode(self, location: Location) -> GeoResult | None:
        start = time.perf_counter()
        try:
            result = await self._geocode(location)
        finally:
            CHAIN_LATENCY.observe(time.perf_counter() - start)
        if result is None:
            RESULTS.labels("none", "none").inc()
        else:
            RESULTS.labels(result.source, result.precision).inc()
        return result

    async def _geocode(self, location: Location) -> GeoResult | None:
        if not self.remote:
            return self._resolve_offline(location)
        key = cache_key(location.street, location.postcode, location.city)
        if self.cache is not None:
            cached = await self.cache.get(key)
            if cached is not None:
                return cached
        if self.negative is not None and key in self.negative:
            return None
        # the same address twice in one batch: one resolution, both wait for it
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._resolve(location, key))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    def _commune(self, location: Location) -> GeoResult | None:
        return self.gazetteer.lookup(location.postcode, location.city)

    def candidates(self, location: Location) -> list[GeoResult]:
        """The communes an unresolved address may mean, for the reason the committee reads
        (``Gazetteer.candidates``)."""
        return self.gazetteer.candidates(location.postcode, location.city)

    def _acceptable(self, commune: GeoResult | None) -> GeoResult | None:
        if commune is None:
            return None
        if commune.precision == "department" and not self.accept_department:
            return None
        return commune

    def _resolve_offline(self, location: Location) -> GeoResult | None:
        result = self._acceptable(self._commune(location)) if self.use_gazetteer else None
        STEP_RESULTS.labels("gazetteer", "found" if result else "not_found").inc()
        return result

    async def _resolve(self, location: Location, key: str) -> GeoResult | None:
        commune = self._commune(location)
        query = AddressQuery.from_location(location, commune)
        unavailable: list[str] = []
        result: GeoResult | None = None
        for geocoder in self.remote:
            try:
                result = await geocoder.geocode(query)
            except CircuitOpen:
                STEP_RESULTS.labels(geocoder.name, "skipped").inc()
                unavailable.append(geocoder.name)
                continue
            except GeocoderUnavailable as exc:
                STEP_RESULTS.labels(geocoder.name, "unavailable").inc()
                log.warning("geocoding.step_unavailable", step=geocoder.name, error=str(exc))
                unavailable.append(geocoder.name)
                continue
            STEP_RESULTS.labels(geocoder.name, "found" if result else "not_found").inc()
            if result is not None:
                break
        if result is None and self.use_gazetteer:
            result = self._acceptable(commune)
            STEP_RESULTS.labels("gazetteer", "found" if result else "not_found").inc()
        if result is None:
            if unavailable:
                raise ChainUnavailable(f"unresolved while {', '.join(unavailable)} unavailable")
            if self.negative is not None:
                self.negative.add(key)
            return None
        if self.cache is not None and not unavailable:
            await self.cache.put(key, result)
        return result


def build_chain(
    settings: GeocodingSettings,
    gazetteer: Gazetteer | None = None,
    cache: GeoCache | None = None,
) -> GeocodingChain:
    """The chain the settings describe (``GEOCODER_CHAIN``, ``BAN_*``, ``ADDOK_*``...)."""
    names = settings.chain_steps()
    remote = [
        HttpGeocoder(HttpGeocoderConfig.from_settings(settings, name))
        for name in names
        if name != "gazetteer"
    ]
    if gazetteer is None:
        from .gazetteer import default_gazetteer

        gazetteer = default_gazetteer()
    return GeocodingChain(
        gazetteer,
        remote,
        use_gazetteer="gazetteer" in names,
        accept_department=settings.accept_department,
        cache=cache,
        negative=NegativeMemo(settings.negative_ttl),
    )
