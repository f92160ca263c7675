"""The OpenAPI document says what the service does: bodies, security, problems, limits."""

from __future__ import annotations

import jsonschema
import pytest

from .submission_support import make_payload, operator_headers

OP = operator_headers()


@pytest.fixture
async def spec(client) -> dict:
    return (await client.get("/openapi.json")).json()


def operation(spec, method, path) -> dict:
    return spec["paths"][path][method]


def body_schema(spec, method, path) -> dict:
    ref = operation(spec, method, path)["requestBody"]["content"]["application/json"]["schema"]
    return spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


async def test_every_request_body_is_documented(spec):
    assert set(body_schema(spec, "post", "/v1/submissions/{submission_id}/decision")
               ["properties"]) == {"decision", "reason"}
    assert set(body_schema(spec, "put", "/v1/submissions/{submission_id}/location")
               ["properties"]) == {"lon", "lat"}
    for method, path in [("post", "/v1/submissions"), ("put", "/v1/submissions/{submission_id}")]:
        assert "organizer" in body_schema(spec, method, path)["properties"]
    # the two "location" models have names that say which is which
    assert {"AddressIn", "PointIn"} <= set(spec["components"]["schemas"])
    assert "LocationIn" not in spec["components"]["schemas"]


#: the routes anyone may call (rate-limited): the intake and the bulk import (with its
#: template), the organiser's space, the back office's sign-in and address search
PUBLIC = {("post", "/v1/submissions"), ("post", "/v1/submissions/import"),
          ("get", "/v1/submissions/import/template.csv"), ("post", "/v1/organizer-links"),
          ("post", "/v1/submissions/check"), ("get", "/v1/communes"),
          ("post", "/v1/session"), ("get", "/v1/geocode")}


async def test_the_bearer_scheme_and_the_routes_it_protects(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes == {
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": schemes["bearer"]["description"]},
        # the back office's session cookie, exchanged for the operator token
        "session": {"type": "apiKey", "in": "cookie", "name": "sdi_session",
                    "description": schemes["session"]["description"]},
    }
    assert "X-CSRF-Token" in schemes["session"]["description"]
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            public = (method, path) in PUBLIC
            assert ("security" in op) is not public, (method, path)
            if not public:
                assert op["security"] == [{"bearer": []}, {"session": []}], (method, path)
                assert "401" in op["responses"]


async def test_problems_are_documented_with_their_real_schema(spec, client):
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    invalid = operation(spec, "post", "/v1/submissions")["responses"]["422"]
    schema = invalid["content"]["application/problem+json"]["schema"]
    assert set(schema["required"]) >= {"type", "title", "status", "errors"}
    answer = await client.post("/v1/submissions", json=make_payload(title="x", kind="bbq"))
    assert answer.status_code == 422
    jsonschema.validate(answer.json(), schema)
    for path, methods in [("/v1/submissions/{submission_id}", ("put", "delete")),
                          ("/v1/submissions", ("post",))]:
        for method in methods:
            limited = operation(spec, method, path)["responses"]["429"]
            assert "Retry-After" in limited["headers"], (method, path)
    for status in ("413", "415", "503"):
        assert status in operation(spec, "post", "/v1/submissions")["responses"]


async def test_the_documented_page_size_is_the_one_served(spec, client):
    limit = next(p for p in operation(spec, "get", "/v1/submissions")["parameters"]
                 if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 200
    assert (await client.get("/v1/submissions", headers=OP, params={"limit": 200})).status_code == 200
    over = await client.get("/v1/submissions", headers=OP, params={"limit": 201})
    assert over.status_code == 400 and over.json()["errors"][0]["field"] == "limit"


async def test_filters_are_documented_as_what_they_accept(spec, client):
    params = {p["name"]: p["schema"] for p in operation(spec, "get", "/v1/submissions")["parameters"]}
    status = spec["components"]["schemas"]["Status"]
    assert "needs_review" in status["enum"]
    assert "company_visit" in params["kind"]["anyOf"][0]["enum"]
    department = params["department"]["anyOf"][0]["pattern"]
    for code in ("69", "2A", "974"):
        ok = await client.get("/v1/submissions", headers=OP, params={"department": code})
        assert ok.status_code == 200, code
    refused = await client.get("/v1/submissions", headers=OP, params={"department": "20"})
    assert refused.status_code == 400 and refused.json()["type"].endswith("bad-filter")
    assert department


async def test_the_favicon_is_served_and_linked(client):
    icon = await client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    form = (await client.get("/")).text
    assert 'href="/favicon.ico"' in form
    for href in ("/static/vendor/dsfr/favicon/favicon.svg",
                 "/static/vendor/dsfr/favicon/apple-touch-icon.png"):
        assert f'href="{href}"' in form
        assert (await client.get(href)).status_code == 200
