"""The BAN/addok client against a real addok indexing ~3,000 real mairie addresses."""

from __future__ import annotations

import asyncio

import pytest
from geocoding.http_geocoder import HttpGeocoder, HttpGeocoderConfig
from geocoding.quality import AddressQuery
from geocoding.settings import GeocodingSettings
from sdi_common.contracts import GeoResult, Point
from sdi_common.testing.addok import HOUSENUMBER


def commune_of(row: dict[str, str]) -> GeoResult:
    """What the gazetteer answers for the row's postcode and city."""
    return GeoResult(
        point=Point(lon=float(row["lon"]), lat=float(row["lat"])),
        precision="municipality",
        citycode=row["citycode"],
        city=row["city"],
        postcode=row["postcode"],
        department=row["department"],
        source="gazetteer",
    )


def query(row: dict[str, str], *, with_commune: bool = True, **changes) -> AddressQuery:
    fields = {"street": row["street"], "postcode": row["postcode"], "city": row["city"]}
    fields.update(changes)
    return AddressQuery(**fields, commune=commune_of(row) if with_commune else None)


def addok_client(addok_url: str, **settings) -> HttpGeocoder:
    settings = GeocodingSettings(addok_url=addok_url, addok_rate=500, **settings)
    return HttpGeocoder(HttpGeocoderConfig.from_settings(settings, "addok"))


@pytest.fixture
async def addok(addok_url):
    geocoder = addok_client(addok_url)
    yield geocoder
    await geocoder.aclose()


async def geocode_all(geocoder, queries, concurrency: int = 4):
    # addok's debug server is single-threaded: a few requests in flight are enough
    sem = asyncio.Semaphore(concurrency)

    async def one(q):
        async with sem:
            return await geocoder.geocode(q)

    return await asyncio.gather(*(one(q) for q in queries))


def expected_precision(row: dict[str, str]) -> str:
    return "housenumber" if HOUSENUMBER.match(row["street"]) else "street"


async def test_exact_mairie_addresses_resolve_to_their_housenumber(addok, mairies):
    rows = mairies[::10]
    results = await geocode_all(addok, [query(r) for r in rows])
    right = sum(
        1
        for row, res in zip(rows, results, strict=True)
        if res is not None
        and res.precision == expected_precision(row)
        and res.citycode == row["citycode"]
        and abs(res.point.lon - float(row["lon"])) < 1e-4
        and abs(res.point.lat - float(row["lat"])) < 1e-4
    )
    wrong = [r for row, r in zip(rows, results, strict=True) if r and r.citycode != row["citycode"]]
    assert wrong == []
    assert right / len(rows) >= 0.98, f"{right}/{len(rows)}"
    res = next(r for r in results if r is not None)
    assert res.source == "addok" and res.label and 0.5 <= res.score <= 1
    assert res.department and res.postcode


async def test_messy_input_still_lands_in_the_right_commune(addok, mairies):
    rows = mairies[5::40]
    queries = [
        query(
            r,
            street=r["street"].upper().replace("É", "E").replace("È", "E"),
            city=r["city"].upper(),
        )
        for r in rows
    ]
    results = await geocode_all(addok, queries)
    ok = sum(
        1
        for row, res in zip(rows, results, strict=True)
        if res is not None and res.citycode == row["citycode"]
    )
    assert all(
        res is None or res.citycode == row["citycode"]
        for row, res in zip(rows, results, strict=True)
    )
    assert ok / len(rows) >= 0.95, f"{ok}/{len(rows)}"


async def test_without_a_gazetteer_reference_postcode_and_city_must_match(addok, mairies):
    rows = mairies[7::60]
    results = await geocode_all(addok, [query(r, with_commune=False) for r in rows])
    assert (
        sum(
            1
            for row, res in zip(rows, results, strict=True)
            if res and res.citycode == row["citycode"]
        )
        / len(rows)
        >= 0.95
    )
    # the same street with another (real) postcode: nothing, rather than a wrong point
    other = mairies[100]
    row = mairies[7]
    assert other["postcode"] != row["postcode"]
    res = await addok.geocode(query(row, with_commune=False, postcode=other["postcode"]))
    assert res is None


async def test_a_street_of_another_commune_never_gives_its_point(addok, mairies):
    """Street of commune A written with commune B: A's address is the best text match,
    but only a result in B may come back (B's municipality at best)."""
    pairs = list(zip(mairies[3::97], mairies[50::97], strict=False))
    for a, b in pairs:
        for with_commune in (True, False):
            q = AddressQuery(
                a["street"], b["postcode"], b["city"], commune_of(b) if with_commune else None
            )
            res = await addok.geocode(q)
            assert res is None or (
                res.citycode == b["citycode"] and res.precision != "housenumber"
            ), (a, b, res)


async def test_no_street_gives_the_municipality(addok, mairies):
    row = mairies[42]
    res = await addok.geocode(query(row, street=None))
    assert res is not None
    assert (res.precision, res.citycode, res.city) == ("municipality", row["citycode"], row["city"])


async def test_nonexistent_street_is_not_a_housenumber(addok, mairies):
    row = mairies[1234]
    res = await addok.geocode(query(row, street="999 rue des Zèbres Imaginaires"))
    assert res is None or (res.citycode == row["citycode"] and res.precision != "housenumber")


async def test_below_the_minimum_score_goes_to_the_next_step(addok_url, mairies):
    strict = addok_client(addok_url, min_score=0.999)
    try:
        assert await strict.geocode(query(mairies[10])) is None
    finally:
        await strict.aclose()
