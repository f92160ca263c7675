"""The back office's API over real HTTP (the service behind uvicorn, a real nats-server): the
session (cookie, CSRF, the entry checked again), scopes, the queue, the review view, bulk
decisions, statistics, the export's new columns, the geocoding proxy when geocoding is down."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sdi_common.contracts import Judged, LocationUnresolved, Reason, Submission
from sdi_common.stack import free_port
from sdi_common.testing import eventually
from submission.sessions import COOKIE
from submission.tokens import token_hash

from .submission_support import OPERATOR_TOKEN, make_payload, operator_headers

OP = operator_headers()
LYON_TOKEN = "regional-operator-lyon-0123456789abcdef"
PARIS_TOKEN = "departmental-operator-paris-0123456789ab"


@pytest.fixture
async def service(start_service):
    tokens = (f"alice:{token_hash(OPERATOR_TOKEN)},"
              f"bruno:{token_hash(LYON_TOKEN)}/region=84,"
              f"chloe:{token_hash(PARIS_TOKEN)}/department=75,"
              f"old:{token_hash('expired-token-0123456789')}@2020-01-01")
    return await start_service(operator_tokens=tokens, session_secret="s3cret",
                               geocoding_url=f"http://127.0.0.1:{free_port()}",
                               geocoding_timeout=1.0)


async def submit(client, postcode="69007", city="Lyon", **changes) -> str:
    body = make_payload(location={"street": "1 rue X", "postcode": postcode, "city": city},
                        **changes)
    r = await client.post("/v1/submissions", json=body)
    assert r.status_code == 202, r.text
    return r.json()["id"]


async def judged(publish, client, sid, verdict="needs_review"):
    doc = (await client.get(f"/v1/submissions/{sid}", headers=OP)).json()
    reasons = [Reason(code="industry_theme_unclear", message="Thème à vérifier.")]
    await publish(Judged(type=verdict, submission_id=sid, version=1, by="validation",
                         edition="2026", submission=Submission.model_validate(doc["submission"]),
                         reasons=reasons if verdict != "labelled" else []))

    async def there():
        r = await client.get(f"/v1/submissions/{sid}", headers=OP)
        return r.json()["status"] == verdict
    await eventually(there)


async def signed_in(client, token=OPERATOR_TOKEN) -> str:
    r = await client.post("/v1/session", json={"token": token})
    assert r.status_code == 201, r.text
    return r.json()["csrf_token"]


# --------------------------------------------------------------------------- sessions


async def test_sign_in_sets_a_strict_http_only_cookie_and_csrf_guards_changes(client, publish):
    sid = await submit(client)
    await judged(publish, client, sid)
    r = await client.post("/v1/session", json={"token": OPERATOR_TOKEN})
    assert r.status_code == 201
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie and "Path=/" in cookie and "Secure" not in cookie
    assert OPERATOR_TOKEN not in cookie
    body = r.json()
    assert body["operator"] == "alice" and body["scope"]["national"] and body["csrf_token"]
    assert (await client.get("/v1/session")).json()["csrf_token"] == body["csrf_token"]
    assert (await client.get(f"/v1/submissions/{sid}/review")).status_code == 200  # a read
    decide = f"/v1/submissions/{sid}/decision"
    no_csrf = await client.post(decide, json={"decision": "label"})
    assert no_csrf.status_code == 403 and no_csrf.json()["type"].endswith("/csrf")
    wrong = await client.post(decide, json={"decision": "label"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    foreign = await client.post(decide, json={"decision": "label"},
                                headers={"X-CSRF-Token": body["csrf_token"],
                                         "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    cross = await client.post(decide, json={"decision": "label"},
                              headers={"X-CSRF-Token": body["csrf_token"],
                                       "Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    ok = await client.post(decide, json={"decision": "label"},
                           headers={"X-CSRF-Token": body["csrf_token"], "Origin": client.base_url
                                    .copy_with(path="").__str__().rstrip("/")})
    assert ok.status_code == 202, ok.text
    history = (await client.get(f"/v1/submissions/{sid}", headers=OP)).json()["history"]
    assert history[-1]["by"] == "operator:alice" and history[-1]["event"] == "decided"
    out = await client.delete("/v1/session", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204 and 'sdi_session=""' in out.headers["set-cookie"]
    assert (await client.get("/v1/session")).status_code == 401


async def test_wrong_expired_and_missing_tokens_are_refused_clearly(client):
    assert (await client.get("/v1/session")).status_code == 401
    wrong = await client.post("/v1/session", json={"token": "not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["title"] == "Jeton refusé"
    assert "set-cookie" not in wrong.headers
    expired = await client.post("/v1/session", json={"token": "expired-token-0123456789"})
    assert expired.status_code == 401 and "expiré le 01/01/2020" in expired.json()["detail"]
    empty = await client.post("/v1/session", json={"token": ""})
    assert empty.status_code == 422
    assert "expired-token" not in empty.text + expired.text


async def test_https_behind_a_trusted_proxy_makes_the_cookie_secure(start_service):
    svc = await start_service(session_secret="s", trust_forwarded_for=True,
                              trusted_proxies="127.0.0.1/32")
    async with httpx.AsyncClient(base_url=svc.url) as c:
        r = await c.post("/v1/session", json={"token": OPERATOR_TOKEN},
                         headers={"X-Forwarded-Proto": "https"})
        assert "Secure" in r.headers["set-cookie"]


async def test_a_session_ends_with_its_entry_and_works_on_another_replica(start_service,
                                                                          tmp_path):
    """Nothing is kept in memory: a replica with the same secret reads the session; a
    replica whose configuration no longer has the entry (or another secret) refuses it."""
    first = await start_service(session_secret="shared", data_dir=tmp_path / "a")
    same = await start_service(session_secret="shared", data_dir=tmp_path / "b")
    removed = await start_service(session_secret="shared", data_dir=tmp_path / "c",
                                  operator_tokens=f"zoe:{token_hash('another-token-01234')}")
    other_secret = await start_service(session_secret="other", data_dir=tmp_path / "d")
    async with httpx.AsyncClient(base_url=first.url) as c:
        await signed_in(c)
        cookie = c.cookies[COOKIE]
    for svc, status in ((same, 200), (removed, 401), (other_secret, 401)):
        async with httpx.AsyncClient(base_url=svc.url, cookies={COOKIE: cookie}) as c:
            r = await c.get("/v1/session")
            assert r.status_code == status, (svc.url, r.text)
            if status == 401:
                assert r.json()["title"] == "Session terminée"


def test_a_session_stops_at_the_entrys_expiry():
    from submission.sessions import Sessions
    from submission.tokens import Operators

    ops = Operators.from_config(f"eve:{token_hash('tok-eve-0123456789')}@2026-06-01", None)
    sessions = Sessions("k", max_age=8 * 3600)
    now = datetime(2026, 5, 31, 20, tzinfo=UTC)
    value, session = sessions.issue(ops.authenticate("tok-eve-0123456789", now), now)
    assert session.expires_at == datetime(2026, 6, 1, tzinfo=UTC)  # not 04:00 the next day
    assert sessions.read(value, ops, now + timedelta(hours=3)).operator.name == "eve"
    assert sessions.read(value, ops, now + timedelta(hours=4)) is None
    assert sessions.read(value[:-2] + "xx", ops, now) is None  # a forged signature
    assert sessions.read("garbage", ops, now) is None


# --------------------------------------------------------------------------- scopes


async def test_a_scoped_operator_sees_counts_exports_and_acts_only_in_scope(client, publish):
    lyon = await submit(client, "69007", "Lyon", title="Visite à Lyon")
    paris = await submit(client, "75011", "Paris", title="Visite à Paris")
    r = await client.post("/v1/submissions", json=make_payload(
        title="Webinaire en ligne", online=True, location=..., online_url="https://visio.example/w"))
    online = r.json()["id"]
    for sid in (lyon, paris):
        await judged(publish, client, sid)
    lyon_op, paris_op = operator_headers(LYON_TOKEN), operator_headers(PARIS_TOKEN)

    mine = {lyon, paris, online}  # the stream also holds other tests' submissions

    async def ids(path, headers):
        r = await client.get(path, headers=headers)
        assert r.status_code == 200, r.text
        return {i["id"] for i in r.json()["items"]} & mine

    assert await ids("/v1/submissions?limit=200", lyon_op) == {lyon}
    assert await ids("/v1/submissions?limit=200", paris_op) == {paris}
    assert await ids("/v1/submissions?limit=200", OP) == mine
    assert await ids("/v1/queue?status=all&limit=200", lyon_op) == {lyon}
    assert await ids("/v1/queue?limit=200", OP) == {lyon, paris}
    for path in (f"/v1/submissions/{paris}", f"/v1/submissions/{paris}/review",
                 f"/v1/submissions/{online}/review"):
        assert (await client.get(path, headers=lyon_op)).status_code == 404, path
    refused = await client.post(f"/v1/submissions/{paris}/decision", headers=lyon_op,
                                json={"decision": "label"})
    assert refused.status_code == 404
    for path in (f"/v1/submissions/{paris}/rejudge",):
        assert (await client.post(path, headers=lyon_op)).status_code == 404
    assert (await client.put(f"/v1/submissions/{paris}/location", headers=lyon_op,
                             json={"lon": 2.3, "lat": 48.8})).status_code == 404
    assert (await client.delete(f"/v1/submissions/{paris}/contact",
                                headers=lyon_op)).status_code == 404
    export = (await client.get("/v1/submissions/export.csv", headers=lyon_op)).text
    rows = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff")), delimiter=";"))
    assert {r["identifiant"] for r in rows} & mine == {lyon}
    assert {r["région"] for r in rows} == {"84"}
    stats = (await client.get("/v1/statistics", headers=lyon_op)).json()
    assert set(stats["by_region"]) == {"84"} and stats["scope"]["regions"] == ["84"]
    assert set((await client.get("/v1/statistics", headers=paris_op)).json()["by_department"]) == {"75"}
    session = (await client.get("/v1/session", headers=lyon_op)).json()
    assert session["territory"]["regions"] == {"84": "Auvergne-Rhône-Alpes"}
    assert "69" in session["territory"]["departments"] and "75" not in session["territory"]["departments"]


# --------------------------------------------------------------------------- the queue


async def test_the_queue_puts_waiting_first_oldest_first_with_counts_and_pages(client, publish):
    tag = "Zorglub"  # the stream also holds other tests' submissions: this test's own word
    done = await submit(client, title=f"{tag} déjà labellisée")
    await judged(publish, client, done, "labelled")
    waiting = []
    for i in range(3):
        waiting.append(await submit(client, title=f"{tag} à examiner {i}"))
        await judged(publish, client, waiting[-1])
    lost = await submit(client, "69400", "Nulle-Part", title=f"{tag} adresse perdue")
    await judged(publish, client, lost, "labelled")
    doc = (await client.get(f"/v1/submissions/{lost}", headers=OP)).json()
    await publish(LocationUnresolved(submission_id=lost, version=1, by="geocoding",
                                     submission=Submission.model_validate(doc["submission"]),
                                     reason=Reason(code="address_not_found", message="Introuvable.")))
    await eventually(lambda: _status(client, lost, "location_unresolved"))

    page = (await client.get(f"/v1/queue?limit=2&q={tag}", headers=OP)).json()
    assert [i["id"] for i in page["items"]] == waiting[:2]  # oldest first
    assert page["total"] == 4 and page["counts"]["waiting"] == 4
    assert page["counts"]["by_status"]["labelled"] == 1 and page["counts"]["all"] == 5
    item = page["items"][0]
    assert item["age"] == {"working_days": 0, "target": 4, "overdue": False}
    assert item["region"] == "84" and item["status"] == "needs_review"
    rest = (await client.get(page["links"]["next"], headers=OP)).json()
    assert [i["id"] for i in rest["items"]] == [waiting[2], lost] and rest["next_cursor"] is None
    everything = (await client.get(f"/v1/queue?status=all&q={tag}", headers=OP)).json()
    assert [i["id"] for i in everything["items"]][-1] == done  # the decided come after
    assert everything["items"][-1]["age"] is None
    only = (await client.get(f"/v1/queue?status=location_unresolved&q={tag}", headers=OP)).json()
    assert [i["id"] for i in only["items"]] == [lost] and only["total"] == 1
    words = (await client.get("/v1/queue?q=perdue&region=84&department=69", headers=OP)).json()
    assert [i["id"] for i in words["items"]] == [lost]
    nothing = (await client.get("/v1/queue?q=Inexistantissime", headers=OP)).json()
    assert nothing["items"] == [] and nothing["total"] == 0  # was a 500: 0 is falsy
    for bad in ("status=nope", "region=99", "cursor=abc", "limit=201"):
        r = await client.get(f"/v1/queue?{bad}", headers=OP)
        assert r.status_code == 400, bad
        assert r.headers["content-type"].startswith("application/problem+json")


async def _status(client, sid, status):
    r = await client.get(f"/v1/submissions/{sid}", headers=OP)
    return r.json()["status"] == status


async def test_the_review_view_says_what_the_record_allows(client, publish):
    sid = await submit(client)
    await judged(publish, client, sid)
    r = (await client.get(f"/v1/submissions/{sid}/review", headers=OP)).json()
    assert r["submission"]["contact"]["email"] == make_payload()["organizer"]["email"]
    assert r["region"] == "84" and r["region_name"] == "Auvergne-Rhône-Alpes"
    actions = {a["command"]: a for a in r["actions"]}
    assert actions["decide"]["allowed"] and not actions["relocate"]["allowed"]
    assert "labellisé" in actions["relocate"]["refusal"]
    assert not actions["set_event_status"]["allowed"]  # only a labelled event is full
    assert "labellisé" in actions["set_event_status"]["refusal"]
    await client.post(f"/v1/submissions/{sid}/decision", headers=OP,
                      json={"decision": "reject", "reason": "Pas de lien avec l'industrie."})
    r = (await client.get(f"/v1/submissions/{sid}/review", headers=OP)).json()
    assert r["decision"] == "reject" and r["decided_by"] == "operator:alice"
    assert not {a["command"]: a for a in r["actions"]}["decide"]["allowed"]
    last = r["submission"]["history"][-1]
    assert last["event"] == "decided" and last["detail"] == "Pas de lien avec l'industrie."
    rows = list(csv.DictReader(io.StringIO(
        (await client.get("/v1/submissions/export.csv", headers=OP)).text.lstrip("\ufeff")),
        delimiter=";"))
    row = next(r for r in rows if r["identifiant"] == sid)
    assert row["décision"] == "refusé" and row["décidé par"] == "alice"
    assert row["motif de la décision"] == "Pas de lien avec l'industrie." and row["décidé le"]


# --------------------------------------------------------------------------- bulk decisions


async def test_bulk_decisions_answer_per_item(client, publish):
    ready = [await submit(client, title=f"Lot {i}") for i in range(3)]
    for sid in ready:
        await judged(publish, client, sid)
    decided = await submit(client, title="Déjà décidée")
    await judged(publish, client, decided, "labelled")
    paris = await submit(client, "75011", "Paris")
    await judged(publish, client, paris)
    ids = [*ready, decided, "0" * 32, paris]
    r = await client.post("/v1/submissions/decisions", headers=operator_headers(LYON_TOKEN),
                          json={"ids": ids, "decision": "label", "reason": ""})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["id"] for x in body["results"]] == ids
    assert [x["status"] for x in body["results"]] == [202, 202, 202, 409, 404, 404]
    assert body["results"][3]["problem"]["code"] == "not_in_review"
    assert body["accepted"] == 3 and body["refused"] == 3
    for sid in ready:
        history = (await client.get(f"/v1/submissions/{sid}", headers=OP)).json()["history"]
        assert [(h["event"], h["by"]) for h in history if h["event"] == "decided"] == [
            ("decided", "operator:bruno")]
    refusal = await client.post("/v1/submissions/decisions", headers=OP,
                                json={"ids": [paris], "decision": "reject"})
    assert refusal.status_code == 422  # a refusal needs its motif
    twice = await client.post("/v1/submissions/decisions", headers=OP,
                              json={"ids": [paris, paris], "decision": "label"})
    assert twice.status_code == 422


# --------------------------------------------------------------------------- statistics


@pytest.fixture
async def alone(nats_url, start_service):
    """The service on its own nats-server: a stream with this test's submissions only."""
    import nats
    from sdi_common.natsconn import publish_event

    svc = await start_service(nats_url=nats_url)
    nc = await nats.connect(nats_url)
    async with httpx.AsyncClient(base_url=svc.url, timeout=15) as c:
        yield svc, c, lambda e: publish_event(nc.jetstream(), e)
    await nc.drain()


async def test_statistics_count_what_the_store_holds(alone):
    service, client, publish = alone
    for postcode, city, verdict in (("69007", "Lyon", "labelled"), ("75011", "Paris", "rejected"),
                                    ("13001", "Marseille", "needs_review")):
        sid = await submit(client, postcode, city)
        await judged(publish, client, sid, verdict)
    await submit(client, title="Pas encore jugée")
    stats = (await client.get("/v1/statistics", headers=OP)).json()
    store = service.runtime.store
    counted = {status: n for (status,), n in (await store.count_by(_all(), "status")).items()}
    assert stats["by_status"] == {**dict.fromkeys(stats["by_status"], 0), **counted}
    assert stats["total"] == await store.count() == 4
    assert stats["by_region"]["84"]["labelled"] == 1 and stats["by_region"]["11"]["rejected"] == 1
    assert stats["by_department"]["13"] == {"needs_review": 1}
    assert stats["decision_time"]["decided"] == 2
    assert sum(stats["by_audience"].values()) == 8  # two publics each
    assert stats["submissions_per_day"][-1]["count"] == 4
    lines = (await client.get("/v1/statistics.csv", headers=OP)).text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("dimension;code;libellé;received;labelled")
    assert "région;84;Auvergne-Rhône-Alpes;1;1;0;0;0;0;0;2" in lines  # received, labelled


def _all():
    from submission.store.base import Filters

    return Filters()


# --------------------------------------------------------------------------- the proxy


async def test_the_geocoding_proxy_says_when_geocoding_is_unreachable(client):
    r = await client.get("/v1/geocode?postcode=69007&city=Lyon&street=1%20rue%20X")
    assert r.status_code == 503 and r.headers["retry-after"]
    assert r.json()["type"].endswith("/geocoding-unavailable")
    bad = await client.get("/v1/geocode?postcode=690&city=Lyon")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "postcode"


async def test_pages_are_served_with_their_policy(client):
    queue = await client.get("/back-office/")
    assert queue.status_code == 200 and "Jeton opérateur" in queue.text
    assert "'unsafe-inline'" not in queue.headers["content-security-policy"]
    page = await client.get("/back-office/inscriptions/abc")
    policy = page.headers["content-security-policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy and "https://tile.openstreetmap.org" in policy
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page.text
    assert (await client.get("/back-office", follow_redirects=False)).status_code == 308
