"""The chain: order, fall-through, the commune check, what is cached and what is not.
BAN is played by a local HTTP server (tests/geocoding/geo_faults.py), the gazetteer is
the real one, the cache a real GEOCACHE bucket on a real nats-server."""

from __future__ import annotations

import asyncio

import nats
import pytest
from geocoding.cache import GeoCache, NegativeMemo
from geocoding.chain import ChainUnavailable, GeocodingChain, build_chain
from geocoding.gazetteer import default_gazetteer
from geocoding.http_geocoder import HttpGeocoder, HttpGeocoderConfig
from geocoding.settings import GeocodingSettings
from sdi_common.contracts import Location

from .geo_faults import fault_server

BELLIGNAT = Location(street="10 place de l'Hôtel-de-Ville", postcode="01100", city="Bellignat")


def ban(url: str) -> HttpGeocoder:
    settings = GeocodingSettings(ban_url=url, ban_rate=200, http_max_attempts=2, http_deadline=5)
    return HttpGeocoder(
        HttpGeocoderConfig.from_settings(settings, "ban", backoff_base=0.01, backoff_cap=0.02)
    )


def chain(url: str, js=None, **kw) -> GeocodingChain:
    cache = GeoCache(lambda: js) if js is not None else None
    return GeocodingChain(default_gazetteer(), [ban(url)], cache=cache, **kw)


async def cached_keys(js) -> list[str]:
    kv = await js.key_value("GEOCACHE")
    try:
        return await kv.keys()
    except nats.js.errors.NoKeysError:
        return []


async def test_remote_result_wins_and_is_cached(js):
    with fault_server(lambda n, p: "ok") as (url, server):
        c = chain(url, js)
        first = await c.geocode(BELLIGNAT)
        again = await c.geocode(BELLIGNAT.model_copy(update={"city": "BELLIGNAT"}))
        await c.aclose()
    assert (first.source, first.precision, first.citycode) == ("ban", "housenumber", "01031")
    assert first.region == "84"  # from the gazetteer's commune
    assert again == first
    assert server.count() == 1  # the second came from GEOCACHE
    assert len(await cached_keys(js)) == 1


async def test_remote_down_falls_through_to_the_gazetteer_uncached(js):
    with fault_server(lambda n, p: "5xx") as (url, _):
        c = chain(url, js)
        res = await c.geocode(BELLIGNAT)
        await c.aclose()
    assert (res.source, res.precision, res.citycode) == ("gazetteer", "municipality", "01031")
    assert await cached_keys(js) == []  # next time BAN gets its chance again


async def test_remote_down_and_nothing_else_is_a_transient_failure():
    with fault_server(lambda n, p: "5xx") as (url, _):
        c = chain(url, use_gazetteer=False)
        with pytest.raises(ChainUnavailable):
            await c.geocode(BELLIGNAT)
        await c.aclose()


async def test_a_remote_point_in_another_commune_is_refused():
    """The server always answers Bellignat (01031): for an address in Toulouse that is a
    wrong point, so the gazetteer's Toulouse point is used instead."""
    toulouse = Location(street="1 place du Capitole", postcode="31000", city="Toulouse")
    with fault_server(lambda n, p: "ok") as (url, server):
        c = chain(url)
        res = await c.geocode(toulouse)
        assert server.answers == ["ok"]
        c_only = chain(url, use_gazetteer=False)
        assert await c_only.geocode(toulouse) is None
        await c.aclose()
        await c_only.aclose()
    assert (res.source, res.citycode) == ("gazetteer", "31555")


async def test_unknown_addresses_are_remembered_briefly_in_process(js):
    nowhere = Location(street="1 rue du Néant", postcode="01100", city="Zzyzx-sur-Lune")
    with fault_server(lambda n, p: "empty") as (url, server):
        c = chain(url, js, negative=NegativeMemo(ttl=60))
        assert await c.geocode(nowhere) is None
        assert await c.geocode(nowhere) is None
        await c.aclose()
    assert server.count() == 1
    assert await cached_keys(js) == []  # never a negative in the shared bucket


async def test_identical_addresses_in_flight_share_one_request():
    with fault_server(lambda n, p: "sleep:0.2") as (url, server):
        c = chain(url)
        results = await asyncio.gather(*(c.geocode(BELLIGNAT) for _ in range(5)))
        await c.aclose()
    assert server.count() == 1 and all(r == results[0] for r in results)


async def test_a_department_point_is_published_only_if_allowed():
    cedex = Location(street="BP 12", postcode="13998", city="Zzyzx CEDEX")
    with fault_server(lambda n, p: "empty") as (url, _):
        strict = chain(url)
        assert await strict.geocode(cedex) is None
        lenient = chain(url, accept_department=True)
        res = await lenient.geocode(cedex)
        await strict.aclose()
        await lenient.aclose()
    assert (res.precision, res.department) == ("department", "13")


def test_gazetteer_only_chain_has_no_cache():
    c = GeocodingChain(default_gazetteer(), [], cache=GeoCache(lambda: None))
    assert c.cache is None and c.steps == ["gazetteer"]


async def test_each_remote_step_takes_its_knobs_from_the_settings():
    """One place for their defaults: GeocodingSettings (HTTP_DEADLINE had a second one)."""
    settings = GeocodingSettings(
        geocoder_chain="ban,addok,gazetteer", ban_url="https://ban.example/geocodage",
        ban_rate=10, addok_url="http://addok.internal:7878", addok_rate=300, http_burst=2,
        http_timeout=3, http_max_connections=8, http_max_attempts=6, http_deadline=25,
        min_score=0.7, breaker_failures=9, breaker_reset=45,
    )
    built = build_chain(settings, default_gazetteer())
    try:
        ban, addok = built.remote
        assert (ban.name, ban.config.base_url, ban.config.rate) == (
            "ban", "https://ban.example/geocodage", 10)
        assert (addok.name, addok.config.base_url, addok.config.rate) == (
            "addok", "http://addok.internal:7878", 300)
        for step in (ban, addok):
            c = step.config
            assert (c.burst, c.timeout, c.max_connections, c.max_attempts, c.deadline) == (
                2, 3, 8, 6, 25)
            assert (c.min_score, c.failure_threshold, c.reset_timeout) == (0.7, 9, 45)
            assert (step.breaker.failure_threshold, step.breaker.reset_timeout) == (9, 45)
        default = build_chain(GeocodingSettings(geocoder_chain="ban,gazetteer"), default_gazetteer())
        assert default.remote[0].config.deadline == GeocodingSettings().http_deadline == 20
        await default.aclose()
    finally:
        await built.aclose()
