"""``GET /v1/geocode`` on the real ``sdi-geocoding`` process (gazetteer chain): a point, or
the reason it was not placed with the candidate communes, as problem+json."""

from __future__ import annotations

import httpx
import pytest
from sdi_common.contracts import GeoResult
from sdi_common.stack import Stack


@pytest.fixture(scope="module")
def geocoding(tmp_path_factory):
    stack = Stack(data_dir=tmp_path_factory.mktemp("lookup"))
    try:
        stack.start_nats()
        stack.bootstrap()
        stack.start("geocoding", LOG_LEVEL="WARNING", GEOCODER_CHAIN="gazetteer")
        yield stack.url("geocoding")
    finally:
        stack.stop_all()


def test_an_address_gives_the_chains_point(geocoding, mairies):
    row = mairies[300]
    r = httpx.get(geocoding + "/v1/geocode",
                  params={"street": row["street"], "postcode": row["postcode"], "city": row["city"]})
    assert r.status_code == 200, r.text
    found = GeoResult.model_validate(r.json())
    assert found.citycode == row["citycode"] and found.source == "gazetteer"
    assert abs(found.point.lon - float(row["lon"])) < 0.2
    assert abs(found.point.lat - float(row["lat"])) < 0.2


def test_an_ambiguous_address_names_its_candidates(geocoding):
    r = httpx.get(geocoding + "/v1/geocode", params={"postcode": "58120", "city": "Château-Chinon"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "address_ambiguous" and "Château-Chinon (Ville)" in body["detail"]
    assert {c["citycode"] for c in body["candidates"]} == {"58062", "58063"}
    assert all(GeoResult.model_validate(c).point for c in body["candidates"])


def test_an_unknown_commune_is_not_found(geocoding):
    r = httpx.get(geocoding + "/v1/geocode", params={"postcode": "69400", "city": "Nulle-Part-sur-Loire"})
    assert r.status_code == 404 and r.json()["code"] == "address_not_found"
    assert "Adresse introuvable" in r.json()["detail"]


@pytest.mark.parametrize("params", [{"postcode": "123", "city": "Lyon"}, {"postcode": "69001"},
                                    {"postcode": "69001", "city": ""}])
def test_bad_parameters_are_refused(geocoding, params):
    r = httpx.get(geocoding + "/v1/geocode", params=params)
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_the_route_is_in_openapi(geocoding):
    spec = httpx.get(geocoding + "/openapi.json").json()
    op = spec["paths"]["/v1/geocode"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"street", "postcode", "city"}
    assert set(op["responses"]) >= {"200", "404", "422", "503"}
    assert "$defs" not in str(spec) and "GeoResult" in spec["components"]["schemas"]
