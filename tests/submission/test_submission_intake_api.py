"""Intake over real HTTP against a real nats-server: accepted, refused, idempotent, 503."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from nats.js.errors import NotFoundError
from sdi_common import subjects
from sdi_common.contracts import parse_event
from sdi_common.stack import NatsServer
from sdi_common.testing import eventually

from .submission_support import EMAIL, PHONE, make_payload


async def stream_events(bus, submission_id: str | None = None) -> list:
    """Every event on the SUBMISSIONS stream (optionally of one submission), raw and parsed."""
    js = bus.jetstream()
    info = await js.stream_info(subjects.STREAM)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await js.get_msg(subjects.STREAM, seq)
        except NotFoundError:  # a deleted message (KV history)
            continue
        event = parse_event(msg.data)
        if submission_id is None or event.submission_id == submission_id:
            out.append((msg, event))
    return out


async def test_valid_submission_is_published_then_answered(client, bus):
    r = await client.post("/v1/submissions", json=make_payload())
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "received" and len(body["organizer_token"]) >= 40
    assert body["links"]["self"] == f"/v1/submissions/{body['id']}"
    assert r.headers["location"] == body["links"]["self"]
    events = await stream_events(bus, body["id"])
    assert len(events) == 1
    msg, event = events[0]
    assert event.type == "received" and event.version == 1 and event.by == "organizer"
    assert msg.headers["Nats-Msg-Id"] == f"{body['id']}:1:received"
    # the contact is sealed: neither the e-mail nor the phone is in the message
    assert EMAIL.encode() not in msg.data and PHONE.encode() not in msg.data
    assert body["organizer_token"].encode() not in msg.data
    # read your writes: the organiser sees it at once, with the contact
    got = await client.get(body["links"]["self"],
                           headers={"Authorization": f"Bearer {body['organizer_token']}"})
    assert got.status_code == 200
    doc = got.json()
    assert doc["status"] == "received" and doc["contact"] == {"email": EMAIL, "phone": PHONE}
    assert "token_sha256" not in got.text


async def test_invalid_submission_lists_every_error(client, bus):
    before = len(await stream_events(bus))
    r = await client.post("/v1/submissions", json=make_payload(
        title="", audiences=[], location={"postcode": "ABCDE", "city": "Lyon"}, hacker="x"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["status"] == 422 and problem["type"].endswith("invalid-submission")
    codes = {(e["field"], e["code"]) for e in problem["errors"]}
    assert codes == {("title", "too_short"), ("audiences", "too_short"),
                     ("location.postcode", "invalid_postcode"), ("hacker", "unknown_field")}
    assert all(e["message"] for e in problem["errors"])
    assert len(await stream_events(bus)) == before  # nothing published


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"title=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b"{}", {"Content-Type": "text/plain"}, 415),
        (b"{}", {}, 415),
        (b"{" + b'"title": "' + b"x" * 70_000 + b'"}', {"Content-Type": "application/json"}, 413),
        (b"{not json", {"Content-Type": "application/json"}, 422),
        (b"[1,2,3]", {"Content-Type": "application/json"}, 422),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, {"Content-Type": "application/json"}, 422),
        ("\"\udcff\"".encode("utf-8", "surrogatepass"), {"Content-Type": "application/json"}, 422),
    ],
)
async def test_hostile_bodies(client, content, headers, status):
    r = await client.post("/v1/submissions", content=content, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_body_over_the_limit_without_content_length(client):
    async def chunks():
        for _ in range(80):
            yield b" " * 1024

    r = await client.post("/v1/submissions", content=chunks(),
                          headers={"Content-Type": "application/json"})
    assert r.status_code == 413


async def test_idempotency_key_same_body_same_answer_other_body_409(client, bus):
    headers = {"Idempotency-Key": "f3b1c6c2-7a54-4d1c-9b53-1d1a5e7a0001"}
    first = await client.post("/v1/submissions", json=make_payload(), headers=headers)
    again = await client.post("/v1/submissions", json=make_payload(), headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert len(await stream_events(bus, first.json()["id"])) == 1
    other = await client.post("/v1/submissions", json=make_payload(title="Autre titre"),
                              headers=headers)
    assert other.status_code == 409
    assert other.json()["type"].endswith("idempotency-key-reused")
    # the idempotency record does not keep the token in clear
    kv = await bus.jetstream().key_value("IDEMPOTENCY")
    for key in await kv.keys():
        assert first.json()["organizer_token"].encode() not in (await kv.get(key)).value


async def test_concurrent_retries_with_one_key_publish_once(client, bus):
    headers = {"Idempotency-Key": "concurrent-key-0002"}
    answers = await asyncio.gather(*[
        client.post("/v1/submissions", json=make_payload(), headers=headers) for _ in range(8)
    ])
    assert {r.status_code for r in answers} == {202}
    assert len({r.json()["organizer_token"] for r in answers}) == 1
    assert len(await stream_events(bus, answers[0].json()["id"])) == 1


async def test_idempotent_after_restart(start_service, bus, tmp_path):
    headers = {"Idempotency-Key": "restart-key-0003"}
    first_service = await start_service(data_dir=tmp_path / "a")
    async with httpx.AsyncClient(base_url=first_service.url) as c:
        first = await c.post("/v1/submissions", json=make_payload(), headers=headers)
    await first_service.stop()
    second_service = await start_service(data_dir=tmp_path / "b")  # even a fresh store
    async with httpx.AsyncClient(base_url=second_service.url) as c:
        again = await c.post("/v1/submissions", json=make_payload(), headers=headers)
        clash = await c.post("/v1/submissions", json=make_payload(capacity=3), headers=headers)
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert clash.status_code == 409
    assert len(await stream_events(bus, first.json()["id"])) == 1


async def test_rate_limit_answers_429_with_retry_after(start_service):
    svc = await start_service(rate_limit_per_minute=6, rate_limit_burst=3)
    async with httpx.AsyncClient(base_url=svc.url) as c:
        codes = [(await c.post("/v1/submissions", json=make_payload())).status_code
                 for _ in range(5)]
        limited = await c.post("/v1/submissions", json=make_payload())
    assert codes[:3] == [202, 202, 202] and codes[3:] == [429, 429]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


async def test_nats_down_answers_503_and_stores_nothing(start_service, tmp_path):
    from sdi_common.bootstrap import bootstrap

    server = NatsServer(tmp_path / "own-nats").start()
    try:
        await bootstrap(server.url)
        svc = await start_service(nats_url=server.url, data_dir=tmp_path / "d", publish_timeout=2)
        async with httpx.AsyncClient(base_url=svc.url, timeout=20) as c:
            ok = await c.post("/v1/submissions", json=make_payload())
            assert ok.status_code == 202
            server.stop()
            await eventually(lambda: _not_ready(c))
            down = await c.post("/v1/submissions", json=make_payload(title="Pendant la panne"),
                                headers={"Idempotency-Key": "outage-key-0004"})
            assert down.status_code == 503
            assert int(down.headers["retry-after"]) >= 1
            assert down.headers["content-type"].startswith("application/problem+json")
            listing = await svc.runtime.store.count()
            assert listing == 1  # only the first one
            server.start()  # same port, same data
            await eventually(lambda: _ready(c), timeout=30)
            after = await c.post("/v1/submissions", json=make_payload(title="Pendant la panne"),
                                 headers={"Idempotency-Key": "outage-key-0004"})
            assert after.status_code == 202
            import nats

            nc = await nats.connect(server.url)
            try:
                titles = [e.submission.title for _, e in await stream_events(nc)]
            finally:
                await nc.drain()
            assert titles.count("Pendant la panne") == 1
    finally:
        server.stop()


async def _not_ready(c: httpx.AsyncClient) -> bool:
    return (await c.get("/readyz")).status_code == 503


async def _ready(c: httpx.AsyncClient) -> bool:
    return (await c.get("/readyz")).status_code == 200


async def test_health_ready_metrics_openapi_and_form(client):
    assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
    assert "http_requests" in (await client.get("/metrics")).text or (
        await client.get("/metrics")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    schema = spec["paths"]["/v1/submissions"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert "organizer" in schema["properties"] and "$defs" not in orjson.dumps(spec).decode()
    form = await client.get("/")
    assert form.status_code == 200 and '<html lang="fr"' in form.text
    assert "/static/vendor/dsfr/dsfr.min.css" in form.text
    assert (await client.get("/static/form.js")).status_code == 200


async def test_form_security_headers(client):
    form = await client.get("/")
    csp = form.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert form.headers["x-content-type-options"] == "nosniff"
    api = await client.get("/healthz")
    assert api.headers["referrer-policy"] == "no-referrer"


async def test_forged_forwarded_for_does_not_dodge_the_rate_limit(start_service):
    svc = await start_service(rate_limit_per_minute=6, rate_limit_burst=2, trust_forwarded_for=True)
    async with httpx.AsyncClient(base_url=svc.url) as c:
        codes = [(await c.post("/v1/submissions", json=make_payload(),
                               headers={"X-Forwarded-For": f"203.0.113.{i}"})).status_code
                 for i in range(4)]
    assert codes == [202, 202, 429, 429]  # the peer (loopback) is not a trusted proxy


def test_client_address_behind_a_trusted_proxy():
    from types import SimpleNamespace

    from submission.api.deps import client_address
    from submission.settings import SubmissionSettings

    rt = SimpleNamespace(settings=SubmissionSettings(trust_forwarded_for=True))

    def request(peer, xff):
        return SimpleNamespace(client=SimpleNamespace(host=peer),
                               headers={"x-forwarded-for": xff} if xff else {})

    # ingress 10.0.0.5 appended the real client; whatever the client wrote is to its left
    assert client_address(request("10.0.0.5", "1.2.3.4, 198.51.100.7"), rt) == "198.51.100.7"
    assert client_address(request("10.0.0.5", "198.51.100.7, 10.0.0.9"), rt) == "198.51.100.7"
    assert client_address(request("198.51.100.9", "1.2.3.4"), rt) == "198.51.100.9"
    assert client_address(request("10.0.0.5", None), rt) == "10.0.0.5"
