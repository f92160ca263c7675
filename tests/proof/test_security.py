"""Security of the public surface, black-box, on the real stack.

- operator endpoints refuse missing, wrong, expired and organiser tokens;
- an organiser token reaches its own submission only, and a wrong token does not reveal
  whether an id exists;
- the organiser's e-mail and phone appear in no public response: every GET of map-feed's
  OpenAPI without path parameters (feed, filters, clusters, exports CSV/iCalendar/JSON-LD),
  each published event's page and calendar file, the SSE stream, the widget page and the
  event page with their scripts and styles, the reference form; nor in the FEED bucket,
  nor in clear on the SUBMISSIONS stream;
- body-size limit (413), content type (415), per-client rate limit (429 + Retry-After), not
  bypassed by a forged X-Forwarded-For;
- CORS only for the allow-list; security headers on HTML pages (the widget embeddable,
  the form not).
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import uuid

import httpx
import nats
import pytest
import sample_events
import stackclient
from sdi_common import subjects
from sdi_common.stack import Stack

from .proof_support import EDITION

pytestmark = pytest.mark.timeout(240)
ALLOWED = "https://partenaire.example"
EVIL = "https://evil.example"
BURST = 40  # enough for the other tests' writes; the rate test goes past it


@pytest.fixture(scope="module")
def stack(tmp_path_factory, operator_tokens):
    env = {
        "EDITION_FILE": str(EDITION),
        "LOG_LEVEL": "WARNING",
        "OPERATOR_TOKENS": operator_tokens.env(),
        "CORS_ORIGINS": ALLOWED,
        # X-Forwarded-For is NOT trusted here (no proxy): the limit keys on the peer
        "RATE_LIMIT_PER_MINUTE": "30",
        "RATE_LIMIT_BURST": str(BURST),
    }
    with Stack(data_dir=tmp_path_factory.mktemp("security"), env=env) as s:
        yield s


@pytest.fixture(scope="module")
def published(stack):
    """Three events (two in person, one online) published, with their organisers' contacts."""
    gen = sample_events.Generator(seed=2024, tag=f"sec{uuid.uuid4().hex[:6]}")
    chosen: list = []
    while len(chosen) < 3:
        s = gen.sample()
        if s.expected_status == "published" and s.online == (len(chosen) == 2):
            s.body["organizer"]["phone"] = f"+33 7 {len(chosen) + 10} 48 93 {17 + len(chosen)}"
            chosen.append(s)

    async def go():
        async with httpx.AsyncClient(base_url=stack.url("submission"), timeout=10) as c:
            subs = [await stackclient.submit(c, s, forwarded_for=False) for s in chosen]
            assert all(x.accepted for x in subs), [x.body for x in subs]
            final = await stackclient.wait_settled(c, subs, timeout=30)
        assert all(final[x.id]["status"] == "published" for x in subs), final
        return subs

    return asyncio.run(go())


def secrets_of(subs) -> list[str]:
    """The personal values to look for, as submitted and in the usual other spellings."""
    out = []
    for s in subs:
        email, phone = s.sample.email, s.sample.phone
        out += [email, email.split("@")[0], email.replace("@", "%40")]
        if phone:
            digits = re.sub(r"\D", "", phone)
            out += [phone, digits, "0" + digits[2:], phone.replace(" ", "")]
    return out


def assert_clean(where: str, text: str, secrets: list[str]) -> None:
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"personal data in {where}: {leaked}"


# ------------------------------------------------------------------ personal data


def test_no_personal_data_in_any_public_response(stack, published):
    secrets = secrets_of(published)
    feed = stack.url("map-feed")
    ids = {s.id for s in published}
    seen = []
    with httpx.Client(base_url=feed, timeout=10) as c:
        got = c.get("/v1/feed").json()
        assert ids <= {f["id"] for f in got["features"]}, "the events are not in the feed"
        spec = c.get("/openapi.json").json()
        paths = [
            p
            for p, ops in spec["paths"].items()
            if "get" in ops and "{" not in p and not p.endswith("/stream")
        ]
        queries = {
            "/v1/feed/clusters": [{"bbox": "-180,-90,180,90", "zoom": z} for z in (3, 8, 14)],
            "/v1/feed": [{}, {"online": "true"}, {"q": published[0].sample.body["title"][:12]}],
        }
        for path in paths:
            for params in queries.get(path, [{}]):
                r = c.get(path, params=params)
                assert r.status_code < 500, (path, r.status_code)
                assert_clean(f"GET {path} {params}", r.text, secrets)
                seen.append(path)
        pages = [f"/evenements/{sid}" for sid in sorted(ids)]
        calendars = [f"{page}.ics" for page in pages]
        for path in (
            "/widget",
            "/v1/feed.csv",
            "/v1/feed.ics",
            "/v1/feed.jsonld",
            *pages,
            *calendars,
        ):
            r = c.get(path)
            assert r.status_code == 200, (path, r.status_code)
            assert_clean(f"GET {path}", r.text, secrets)
            if path == "/widget" or path == pages[0]:  # and every script and style it loads
                assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', r.text)
                assert assets, path
                for asset in assets:
                    if asset.startswith("/") or not asset.startswith("http"):
                        a = c.get(asset if asset.startswith("/") else f"/widget/{asset}")
                        assert_clean(f"GET {asset}", a.text, secrets)
        # the pages name who organises (the organisation), nothing of how to reach them
        for sub in published:
            page = html.unescape(c.get(f"/evenements/{sub.id}").text)
            assert sub.sample.body["organizer"]["name"] in page, sub.id
    # the reference form of the submission service is public too
    r = httpx.get(stack.url("submission") + "/", timeout=10)
    assert_clean("GET / (form)", r.text, secrets)
    assert {"/v1/feed", "/v1/feed/clusters"} <= set(seen), seen


async def _read_sse(url: str, seconds: float) -> str:
    chunks = []
    async with httpx.AsyncClient(timeout=None) as c:
        try:
            async with asyncio.timeout(seconds):
                async with c.stream("GET", url, params={"since": "0"}) as r:
                    assert r.status_code == 200
                    async for chunk in r.aiter_text():
                        chunks.append(chunk)
        except TimeoutError:
            pass
    return "".join(chunks)


async def test_no_personal_data_on_the_sse_stream_the_bucket_or_the_bus(stack, published):
    secrets = secrets_of(published)
    text = await _read_sse(stack.url("map-feed") + "/v1/feed/stream", 3)
    assert any(s.id in text for s in published), f"nothing of ours on the stream: {text[:300]}"
    assert_clean("SSE /v1/feed/stream", text, secrets)

    nc = await nats.connect(stack.nats_url)
    try:
        js = nc.jetstream()
        kv = await js.key_value("FEED")
        for key in await kv.keys():
            entry = await kv.get(key)
            assert_clean(f"FEED[{key}]", (entry.value or b"").decode(errors="replace"), secrets)
        info = await js.stream_info(subjects.STREAM)
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(subjects.STREAM, seq)
            assert_clean(f"{msg.subject} #{seq}", msg.data.decode(errors="replace"), secrets)
    finally:
        await nc.close()


# ------------------------------------------------------------------ tokens


def test_operator_endpoints_refuse_missing_wrong_expired_and_organiser_tokens(
    stack, published, operator_tokens
):
    sid, organiser = published[0].id, published[0].token
    base = stack.url("submission")
    endpoints = [
        ("GET", "/v1/submissions", None),
        ("GET", "/v1/submissions/export.csv", None),
        ("POST", f"/v1/submissions/{sid}/decision", {"decision": "reject", "reason": "test"}),
        ("PUT", f"/v1/submissions/{sid}/location", {"lon": 2.35, "lat": 48.85}),
    ]
    bad = {
        "missing": {},
        "wrong": {"Authorization": "Bearer " + uuid.uuid4().hex},
        "expired": {"Authorization": f"Bearer {operator_tokens.expired}"},
        "organiser": {"Authorization": f"Bearer {organiser}"},
        "not bearer": {"Authorization": f"Basic {operator_tokens.valid}"},
    }
    with httpx.Client(base_url=base, timeout=10) as c:
        for method, path, body in endpoints:
            for why, headers in bad.items():
                r = c.request(method, path, json=body, headers=headers)
                assert r.status_code in (401, 403), (why, method, path, r.status_code, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
        ok = {"Authorization": f"Bearer {operator_tokens.valid}"}
        r = c.get("/v1/submissions", headers=ok)
        assert r.status_code == 200, r.text
        r = c.get("/v1/submissions/export.csv", headers=ok)
        assert r.status_code == 200 and published[0].sample.body["title"] in r.text


def test_an_organiser_token_reaches_its_own_submission_only(stack, published):
    a, b = published[0], published[1]
    with httpx.Client(base_url=stack.url("submission"), timeout=10) as c:

        def get(sid, token):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return c.get(f"/v1/submissions/{sid}", headers=headers)

        assert get(a.id, a.token).status_code == 200
        other = get(b.id, a.token)
        unknown = get(uuid.uuid4().hex, a.token)
        assert other.status_code in (401, 403, 404), other.text
        # the same answer for another's id and for an id that does not exist
        assert other.status_code == unknown.status_code
        assert other.json().get("title") == unknown.json().get("title")
        assert get(a.id, None).status_code in (401, 404)
        assert get(a.id, b.token).status_code == other.status_code
        # nor may it amend or withdraw another's submission
        body = dict(b.sample.body)
        r = c.put(
            f"/v1/submissions/{b.id}", json=body, headers={"Authorization": f"Bearer {a.token}"}
        )
        assert r.status_code in (401, 403, 404), r.text
        r = c.delete(f"/v1/submissions/{b.id}", headers={"Authorization": f"Bearer {a.token}"})
        assert r.status_code in (401, 403, 404), r.text
        assert get(b.id, b.token).json()["status"] == "published"


# ------------------------------------------------------------------ CORS and headers


def test_cors_only_for_the_allow_list(stack):
    with httpx.Client(base_url=stack.url("map-feed"), timeout=10) as c:
        r = c.get("/v1/feed", headers={"Origin": ALLOWED})
        assert r.headers.get("access-control-allow-origin") == ALLOWED
        r = c.get("/v1/feed", headers={"Origin": EVIL})
        assert r.headers.get("access-control-allow-origin") not in (EVIL, "*")
        pre = {"Origin": EVIL, "Access-Control-Request-Method": "GET"}
        r = c.options("/v1/feed", headers=pre)
        assert r.headers.get("access-control-allow-origin") not in (EVIL, "*")
    with httpx.Client(base_url=stack.url("submission"), timeout=10) as c:
        pre = {"Origin": EVIL, "Access-Control-Request-Method": "POST"}
        r = c.options("/v1/submissions", headers=pre)
        assert r.headers.get("access-control-allow-origin") not in (EVIL, "*")


def test_security_headers_on_html_pages(stack, published):
    widget = httpx.get(stack.url("map-feed") + "/widget", timeout=10)
    form = httpx.get(stack.url("submission") + "/", timeout=10)
    event = httpx.get(f"{stack.url('map-feed')}/evenements/{published[0].id}", timeout=10)
    for name, r in (("widget", widget), ("form", form), ("event page", event)):
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), name
        csp = r.headers.get("content-security-policy", "")
        assert "default-src" in csp and "object-src 'none'" in csp, (name, csp)
        assert "unsafe-eval" not in csp and "script-src 'self'" in csp, (name, csp)
        assert r.headers.get("x-content-type-options") == "nosniff", name
        assert r.headers.get("referrer-policy"), name
    # the widget is made to be framed by partner sites; the form and the event pages are not
    assert "frame-ancestors *" in widget.headers["content-security-policy"]
    assert "x-frame-options" not in widget.headers
    assert "frame-ancestors 'self'" in event.headers["content-security-policy"]
    assert event.headers["x-frame-options"] == "SAMEORIGIN"
    form_csp = form.headers["content-security-policy"]
    assert (
        "frame-ancestors 'none'" in form_csp
        or "frame-ancestors 'self'" in form_csp
        or form.headers.get("x-frame-options", "").upper() in ("DENY", "SAMEORIGIN")
    ), form.headers


# ------------------------------------------------------------------ limits (last: they spend
# this client's rate budget)


def test_body_size_and_content_type_limits(stack):
    sample = sample_events.Generator(seed=5, tag="limits").sample()
    with httpx.Client(base_url=stack.url("submission"), timeout=10) as c:
        big = dict(sample.body, description="x" * (70 * 1024))
        r = c.post(
            "/v1/submissions", content=json.dumps(big), headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413, r.status_code
        assert r.headers["content-type"].startswith("application/problem+json")

        # a body announced small but streamed large is cut off as well
        def chunks():
            yield b'{"title": "' + b"y" * (40 * 1024)
            yield b"y" * (40 * 1024) + b'"}'

        r = c.post(
            "/v1/submissions", content=chunks(), headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413, r.status_code
        r = c.post(
            "/v1/submissions",
            content=json.dumps(sample.body),
            headers={"Content-Type": "text/plain"},
        )
        assert r.status_code == 415, r.status_code
        assert r.headers["content-type"].startswith("application/problem+json")


def test_rate_limit_per_client_holds_and_ignores_forged_forwarded_for(stack):
    gen = sample_events.Generator(seed=6, tag=f"rate{uuid.uuid4().hex[:6]}")
    codes = []
    with httpx.Client(base_url=stack.url("submission"), timeout=10) as c:
        for i in range(BURST * 2 + 20):
            s = gen.sample()
            r = c.post(
                "/v1/submissions",
                json=s.body,
                headers={"Idempotency-Key": s.idempotency_key, "X-Forwarded-For": f"203.0.113.{i}"},
            )
            codes.append(r.status_code)
            if r.status_code == 429:
                assert r.headers["content-type"].startswith("application/problem+json")
                assert int(r.headers["retry-after"]) >= 1
        assert 429 in codes, codes
        first = codes.index(429)
        assert first <= BURST, codes  # not more than the burst got through
        # once limited, a forged X-Forwarded-For does not help (only the refill, 0.5/s)
        assert codes[first:].count(202) <= 3, codes
        # reads are not writes: the public feed stays readable
        assert httpx.get(stack.url("map-feed") + "/v1/feed").status_code == 200
