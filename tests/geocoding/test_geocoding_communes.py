"""Commune completion (``GET /v1/communes``) from the gazetteer, over the route itself."""

from __future__ import annotations

import httpx
import pytest
from geocoding.communes import CommuneIndex, router
from geocoding.gazetteer import default_gazetteer


@pytest.fixture(scope="module")
def index():
    return CommuneIndex(default_gazetteer())


def names(found):
    return [(c.name, c.postcode) for c in found]


def test_a_postcode_gives_the_communes_it_serves(index):
    assert names(index.search("59140", None)) == [("Dunkerque", "59140")]
    assert ("Bourg-en-Bresse", "01000") in names(index.search("01000", None))
    assert names(index.search("69003", None)) == [("Lyon", "69003")]  # the city, not "Lyon 3e"
    assert index.search("00000", None) == []


def test_the_start_of_a_name_folded(index):
    found = names(index.search(None, "st etienne"))
    assert found[0] == ("Saint-Étienne", "42000")
    assert names(index.search("42100", "saint-é")) == [("Saint-Étienne", "42100")]
    assert index.search(None, "x") == []  # one letter: nothing yet


async def test_the_route(index):
    from fastapi import FastAPI

    app = FastAPI()
    app.state.communes = index
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as c:
        r = await c.get("/v1/communes", params={"q": "dunkerq", "limit": 2})
        assert r.status_code == 200 and len(r.json()["communes"]) == 2
        assert r.json()["communes"][0]["citycode"] == "59183"
        assert (await c.get("/v1/communes", params={"postcode": "123"})).status_code == 422
