"""The BAN client against a local server that misbehaves on purpose: 429 with
Retry-After, 5xx, timeouts, malformed JSON. No address lost, the rate never exceeded
(request arrival times measured by the server), the breaker opens and closes."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise

import pytest
from geocoding.breaker import CircuitBreaker, State
from geocoding.http_geocoder import (
    GeocoderUnavailable,
    HttpGeocoder,
    HttpGeocoderConfig,
    parse_retry_after,
)
from geocoding.quality import AddressQuery
from geocoding.settings import GeocodingSettings
from sdi_common.testing import eventually

from .geo_faults import fault_server

QUERY = AddressQuery("10 place de l'Hôtel-de-Ville", "01100", "Bellignat")


def client(url: str, breaker: CircuitBreaker | None = None, **overrides) -> HttpGeocoder:
    config = {
        "base_url": url,
        "rate": 50,
        "timeout": 1.0,
        "backoff_base": 0.02,
        "backoff_cap": 0.1,
        "deadline": 10.0,
    }
    config.update(overrides)
    return HttpGeocoder(
        HttpGeocoderConfig.from_settings(GeocodingSettings(), "ban", **config), breaker=breaker
    )


class Clock:
    """Time as the breaker sees it: the test moves it instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def script(*answers: str, then: str = "ok"):
    return lambda n, params: answers[n] if n < len(answers) else then


async def test_429_retry_after_is_honoured():
    with fault_server(script("429:1")) as (url, server):
        geocoder = client(url)
        start = time.monotonic()
        res = await geocoder.geocode(QUERY)
        await geocoder.aclose()
    assert res is not None and res.citycode == "01031" and res.precision == "housenumber"
    assert server.answers == ["429:1", "ok"]
    assert server.arrivals[1] - server.arrivals[0] >= 0.95
    assert time.monotonic() - start >= 0.95


async def test_429_holds_back_every_request_of_the_process():
    """One 429 among concurrent requests: nothing reaches the server during Retry-After,
    and every address still gets its answer."""
    with fault_server(lambda n, p: "429:1" if n == 5 else "ok") as (url, server):
        geocoder = client(url, rate=40)
        results = await asyncio.gather(*(geocoder.geocode(QUERY) for _ in range(30)))
        await geocoder.aclose()
    assert all(r is not None and r.citycode == "01031" for r in results)
    # requests already on their way when the 429 came back may still arrive; then the
    # server hears nothing for Retry-After (measured from when the client learnt it)
    arrivals = sorted(server.arrivals)
    t429 = server.arrivals[5]
    gaps = [b - a for a, b in pairwise(arrivals) if a >= t429]
    assert max(gaps) >= 0.9
    assert sum(1 for t in arrivals if t > t429) == 25


async def test_5xx_is_retried_with_backoff():
    with fault_server(script("5xx", "5xx")) as (url, server):
        geocoder = client(url)
        res = await geocoder.geocode(QUERY)
        await geocoder.aclose()
    assert res is not None and res.citycode == "01031"
    assert server.answers == ["5xx", "5xx", "ok"]
    assert geocoder.breaker.state is State.closed


async def test_timeout_is_retried():
    with fault_server(script("sleep:1.5")) as (url, server):
        geocoder = client(url, timeout=0.3)
        start = time.monotonic()
        res = await geocoder.geocode(QUERY)
        elapsed = time.monotonic() - start
        await geocoder.aclose()
    assert res is not None
    assert server.count() == 2 and elapsed < 1.2


@pytest.mark.parametrize("bad", ["malformed", "badshape", "badpoint"])
async def test_malformed_answers_are_retried(bad):
    with fault_server(script(bad)) as (url, server):
        geocoder = client(url)
        res = await geocoder.geocode(QUERY)
        await geocoder.aclose()
    assert res is not None and server.answers == [bad, "ok"]


async def test_a_client_error_is_final_and_not_retried():
    with fault_server(script("400")) as (url, server):
        geocoder = client(url)
        assert await geocoder.geocode(QUERY) is None
        await geocoder.aclose()
    assert server.count() == 1
    assert geocoder.breaker.state is State.closed


async def test_gives_up_within_bounds_when_the_server_keeps_failing():
    with fault_server(lambda n, p: "5xx") as (url, server):
        geocoder = client(url, max_attempts=3, failure_threshold=100)
        start = time.monotonic()
        with pytest.raises(GeocoderUnavailable):
            await geocoder.geocode(QUERY)
        await geocoder.aclose()
    assert server.count() == 3
    assert time.monotonic() - start < 3.0  # bounded: 3 attempts, backoff capped at 0.1 s


async def test_breaker_opens_then_half_opens_and_closes():
    healthy = False
    clock = Clock()
    breaker = CircuitBreaker("ban", failure_threshold=4, reset_timeout=30.0, clock=clock)
    with fault_server(lambda n, p: "ok" if healthy else "5xx") as (url, server):
        geocoder = client(url, breaker, max_attempts=2)
        for _ in range(2):  # 2 addresses x 2 attempts = 4 consecutive failures
            with pytest.raises(GeocoderUnavailable):
                await geocoder.geocode(QUERY)
        assert geocoder.breaker.state is State.open
        seen = server.count()
        with pytest.raises(GeocoderUnavailable, match="circuit open"):
            await geocoder.geocode(QUERY)
        assert server.count() == seen  # open: the server is left alone

        clock.now += 29.9
        assert geocoder.breaker.state is State.open  # not before reset_timeout
        clock.now += 0.1
        assert geocoder.breaker.state is State.half_open
        with pytest.raises(GeocoderUnavailable):  # the probe fails: open again
            await geocoder.geocode(QUERY)
        assert geocoder.breaker.state is State.open
        assert server.count() == seen + 1

        healthy = True
        clock.now += 30.0
        assert geocoder.breaker.state is State.half_open
        # half-open lets one probe through; concurrent calls meanwhile fall through
        results = await asyncio.gather(
            *(geocoder.geocode(QUERY) for _ in range(3)), return_exceptions=True
        )
        assert sum(1 for r in results if not isinstance(r, Exception)) >= 1
        assert geocoder.breaker.state is State.closed
        assert await geocoder.geocode(QUERY) is not None
        await geocoder.aclose()


async def test_rate_never_exceeded_under_faults_and_no_address_lost():
    """200 addresses at once, 1 request in 40 throttled (Retry-After 0.3) and 1 in 13
    failing with 503: every address resolved, never more than rate + burst requests in any
    second at the server."""

    def chaos(n: int, params: dict) -> str:
        if n % 40 == 7:
            return "429:0.3"
        if n % 13 == 3:
            return "5xx"
        return "ok"

    rate, burst = 80, 1
    with fault_server(chaos) as (url, server):
        geocoder = client(
            url, rate=rate, burst=burst, failure_threshold=50, max_attempts=6, deadline=30.0
        )
        results = await asyncio.gather(*(geocoder.geocode(QUERY) for _ in range(200)))
        await geocoder.aclose()
    assert all(r is not None and r.citycode == "01031" for r in results)
    assert server.count("ok") == 200
    # the bucket grants at most burst + rate × T in any T seconds; +1 for the transport's
    # jitter between a grant and the request's arrival
    assert server.max_in_window(1.0) <= rate + burst + 1
    assert server.max_in_window(0.5) <= rate * 0.5 + burst + 1


def test_parse_retry_after():
    assert parse_retry_after("3", 1.0) == 3.0
    assert parse_retry_after(None, 1.5) == 1.5
    assert parse_retry_after("soon", 1.5) == 1.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1.0) == 0.0


def test_breaker_state_machine_with_a_clock():
    from geocoding.breaker import CircuitBreaker

    now = [0.0]
    breaker = CircuitBreaker("x", failure_threshold=3, reset_timeout=10, clock=lambda: now[0])
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()  # a success resets the count
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state is State.closed and breaker.allow()
    breaker.record_failure()
    assert breaker.state is State.open and not breaker.allow()
    now[0] = 10.0
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    breaker.release()  # the probe told nothing (a 429): another may go
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is State.closed


def test_query_parameters():
    from geocoding.gazetteer import default_gazetteer
    from geocoding.http_geocoder import build_params

    g = default_gazetteer()
    ref = g.lookup("01100", "BELLIGNAT")
    p = build_params(AddressQuery(', "10 pl. de la Mairie', "01100", "BELLIGNAT", ref), 5)
    assert p == {
        "q": "10 pl. de la Mairie 01100 Bellignat",
        "limit": "5",
        "autocomplete": "0",
        "citycode": "01031",
    }
    # Paris: addresses carry the arrondissement's code, the input may name a neighbour one
    paris = build_params(
        AddressQuery("1 rue de la Roquette", "75011", "Paris 11e", g.lookup("75011", "Paris 11e")),
        5,
    )
    assert "citycode" not in paris and paris["q"].endswith("75011 Paris")
    town = build_params(AddressQuery(None, "01100", "Bellignat CEDEX"), 5)
    assert (town["q"], town["type"]) == ("Bellignat", "municipality")
    assert len(build_params(AddressQuery("x" * 500, "01100", "Bellignat"), 5)["q"]) == 200


async def test_bucket_survives_a_stalled_event_loop():
    """A loop blocked for 0.3 s wakes every overdue waiter at once: the real-time bucket
    still grants them one interval apart."""
    from geocoding.ratelimit import TokenBucket

    bucket = TokenBucket(rate=50, burst=1)
    grants: list[float] = []

    async def one():
        await bucket.acquire()
        grants.append(time.monotonic())

    tasks = [asyncio.create_task(one()) for _ in range(40)]
    await eventually(lambda: grants, what="the first grant")  # the waiters are queued
    time.sleep(0.3)  # noqa: ASYNC251 - the point: stall the loop, ~15 slots fall due
    await asyncio.gather(*tasks)
    grants.sort()
    spacing = [b - a for a, b in pairwise(grants)]
    assert min(spacing) >= 1 / 50 * 0.95
    assert grants[-1] - grants[0] >= 39 / 50 * 0.95
