"""Organiser and operator flows over real HTTP, the projector fed by the real stream, the
callbacks, the rebuild and the erasure of personal data."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
from nats.js.errors import APIError
from sdi_common.contracts import (
    Geocoded,
    GeoResult,
    Judged,
    LocationUnresolved,
    Point,
    Published,
    Reason,
    Submission,
)
from sdi_common.testing import eventually
from submission.projector import rebuild
from submission.retention import run_retention
from submission.store.base import Filters

from .submission_support import (
    EMAIL,
    EXPIRED_OPERATOR_TOKEN,
    PHONE,
    make_payload,
    operator_headers,
)

OP = operator_headers()


async def submit(client, **changes) -> dict[str, Any]:
    r = await client.post("/v1/submissions", json=make_payload(**changes))
    assert r.status_code == 202, r.text
    return r.json()


def organizer(answer) -> dict[str, str]:
    return {"Authorization": f"Bearer {answer['organizer_token']}"}


async def read(client, sid, headers) -> dict[str, Any]:
    r = await client.get(f"/v1/submissions/{sid}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


async def status_is(client, sid, status, headers=OP):
    async def check():
        doc = await read(client, sid, headers)
        return doc if doc["status"] == status else None

    return await eventually(check)


def sub_of(doc) -> Submission:
    return Submission.model_validate(doc["submission"])


async def test_auth_answers_do_not_reveal_existence(client):
    answer = await submit(client)
    sid = answer["id"]
    assert (await client.get(f"/v1/submissions/{sid}")).status_code == 401
    assert (await client.get(f"/v1/submissions/{sid}",
                             headers={"Authorization": "Basic abc"})).status_code == 401
    wrong = await client.get(f"/v1/submissions/{sid}", headers={"Authorization": "Bearer nope"})
    missing = await client.get("/v1/submissions/" + "0" * 32, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json()["detail"] == missing.json()["detail"]
    other = await submit(client)
    assert (await client.get(f"/v1/submissions/{sid}", headers=organizer(other))).status_code == 404
    expired = operator_headers(EXPIRED_OPERATOR_TOKEN)
    assert (await client.get(f"/v1/submissions/{sid}", headers=expired)).status_code == 404
    assert (await client.get("/v1/submissions", headers=expired)).status_code == 403
    assert (await client.get("/v1/submissions")).status_code == 401
    assert (await client.get("/v1/submissions", headers=organizer(answer))).status_code == 403
    assert (await client.get("/v1/submissions/export.csv")).status_code == 401
    assert (await client.delete(f"/v1/submissions/{sid}")).status_code == 401
    assert (await client.post(f"/v1/submissions/{sid}/decision", json={"decision": "label"},
                              headers=organizer(answer))).status_code == 403


async def test_lifecycle_projected_from_the_stream(client, publish):
    answer = await submit(client)
    sid = answer["id"]
    doc = await read(client, sid, organizer(answer))
    sub = sub_of(doc)
    await publish(Judged(type="labelled", submission_id=sid, version=1, by="validation",
                         submission=sub, edition="2026"))
    await status_is(client, sid, "labelled")
    geo = GeoResult(point=Point(lon=4.8421, lat=45.7485), precision="housenumber", source="ban",
                    department="69", city="Lyon", citycode="69387")
    await publish(Geocoded(submission_id=sid, version=1, by="geocoding", submission=sub, location=geo))
    await publish(Published(submission_id=sid, version=1, by="map-feed", feed_revision=12))
    doc = await status_is(client, sid, "published", organizer(answer))
    assert doc["location"]["point"] == {"lon": 4.8421, "lat": 45.7485}
    assert [h["status"] for h in doc["history"]] == ["received", "labelled", "published"]
    assert doc["status_label"] == "labellisée et publiée sur la carte"


async def test_amend_then_withdraw(client, publish, bus):
    answer = await submit(client)
    sid, headers = answer["id"], organizer(answer)
    doc = await read(client, sid, headers)
    await publish(Judged(type="rejected", submission_id=sid, version=1, by="validation",
                         submission=sub_of(doc), edition="2026",
                         reasons=[Reason(code="not_free", message="L'événement doit être gratuit.")]))
    doc = await status_is(client, sid, "rejected", headers)
    assert doc["reasons"][0]["code"] == "not_free"
    amended = await client.put(f"/v1/submissions/{sid}", headers=headers,
                               json=make_payload(title="Visite de l'usine (gratuite)"))
    assert amended.status_code == 202 and amended.json()["version"] == 2
    assert "organizer_token" not in amended.json()
    doc = await read(client, sid, headers)
    assert doc["version"] == 2 and doc["status"] == "received" and doc["reasons"] == []
    assert doc["submission"]["title"] == "Visite de l'usine (gratuite)"
    # the same amendment again is a no-op (no version 3)
    again = await client.put(f"/v1/submissions/{sid}", headers=headers,
                             json=make_payload(title="Visite de l'usine (gratuite)"))
    assert again.status_code == 202 and again.json()["version"] == 2
    bad = await client.put(f"/v1/submissions/{sid}", headers=headers, json=make_payload(title="x"))
    assert bad.status_code == 422
    # a late verdict on version 1 is ignored
    await publish(Judged(type="labelled", submission_id=sid, version=1, by="validation",
                         submission=sub_of(doc), edition="2026"))
    withdrawn = await client.delete(f"/v1/submissions/{sid}", headers=headers)
    assert withdrawn.status_code == 202 and withdrawn.json()["status"] == "withdrawn"
    doc = await read(client, sid, headers)
    assert doc["status"] == "withdrawn"
    assert (await client.delete(f"/v1/submissions/{sid}", headers=headers)).status_code == 202
    refused = await client.put(f"/v1/submissions/{sid}", headers=headers, json=make_payload())
    assert refused.status_code == 409 and refused.json()["code"] == "withdrawn"


async def test_amendment_after_the_deadline_is_refused(start_service, tmp_path):
    closed = tmp_path / "closed.toml"
    closed.write_text('name = "2026"\nweek_start = 2026-11-16\nweek_end = 2026-11-22\n'
                      "tolerance_days = 15\nsubmissions_close_at = 2020-01-01\n")
    svc = await start_service()
    late = await start_service(edition=closed)
    async with httpx.AsyncClient(base_url=svc.url) as c, httpx.AsyncClient(base_url=late.url) as lc:
        answer = await submit(c)
        r = await lc.put(f"/v1/submissions/{answer['id']}", headers=organizer(answer),
                         json=make_payload(title="Trop tard"))
    assert r.status_code == 409 and r.json()["code"] == "deadline_passed"


async def test_operator_review_decision_relocation_and_rejudge(client, publish):
    answer = await submit(client)
    sid = answer["id"]
    doc = await read(client, sid, OP)
    sub = sub_of(doc)
    early = await client.post(f"/v1/submissions/{sid}/decision", headers=OP, json={"decision": "label"})
    assert early.status_code == 409 and early.json()["code"] == "not_in_review"
    await publish(Judged(type="needs_review", submission_id=sid, version=1, by="validation",
                         submission=sub, edition="2026",
                         reasons=[Reason(code="industry_unclear", message="Lien avec l'industrie à vérifier.")]))
    await status_is(client, sid, "needs_review")
    listing = await client.get("/v1/submissions", headers=OP, params={"status": "needs_review"})
    assert sid in [i["id"] for i in listing.json()["items"]]
    assert EMAIL not in listing.text
    no_reason = await client.post(f"/v1/submissions/{sid}/decision", headers=OP,
                                  json={"decision": "reject"})
    assert no_reason.status_code == 422
    decided = await client.post(f"/v1/submissions/{sid}/decision", headers=OP,
                                json={"decision": "label", "reason": "Visite d'atelier : OK"})
    assert decided.status_code == 202
    doc = await status_is(client, sid, "labelled")
    assert doc["history"][-1]["by"] == "operator:alice"
    await publish(LocationUnresolved(submission_id=sid, version=1, by="geocoding", submission=sub,
                                     reason=Reason(code="address_not_found",
                                                   message="Adresse introuvable.")))
    await status_is(client, sid, "location_unresolved")
    bad = await client.put(f"/v1/submissions/{sid}/location", headers=OP, json={"lon": 500, "lat": 1})
    assert bad.status_code == 422
    placed = await client.put(f"/v1/submissions/{sid}/location", headers=OP,
                              json={"lon": 4.84, "lat": 45.75})
    assert placed.status_code == 202
    doc = await read(client, sid, OP)
    assert doc["location"]["source"] == "operator" and doc["location"]["precision"] == "manual"
    assert doc["history"][-1]["by"] == "operator:alice"
    await publish(Published(submission_id=sid, version=1, by="map-feed", feed_revision=3))
    await status_is(client, sid, "published")
    rejudged = await client.post(f"/v1/submissions/{sid}/rejudge", headers=OP)
    assert rejudged.status_code == 202 and rejudged.json()["version"] == 2
    doc = await read(client, sid, OP)
    assert doc["status"] == "received" and doc["version"] == 2
    assert doc["received_at"] == (await read(client, sid, organizer(answer)))["received_at"]
    assert doc["history"][-1] == {"status": "received", "at": doc["history"][-1]["at"],
                                  "by": "operator:alice", "event": "received", "detail": None}


async def test_list_paging_filters_and_csv_export(client):
    ids = [(await submit(client, title=f"Journée portes ouvertes {i}",
                         location={"postcode": "59000" if i % 2 else "13001", "city": "X"}))["id"]
           for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "q": "portes ouvertes"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/submissions", headers=OP, params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    nord = (await client.get("/v1/submissions", headers=OP,
                             params={"department": "59", "q": "portes"})).json()
    assert {i["id"] for i in nord["items"]} == {ids[1], ids[3]}
    assert (await client.get("/v1/submissions", headers=OP, params={"status": "bogus"})).status_code == 400
    assert (await client.get("/v1/submissions", headers=OP, params={"cursor": "%%%"})).status_code == 400
    csv = await client.get("/v1/submissions/export.csv", headers=OP)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith(b"\xef\xbb\xbf")
    text = csv.content.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("identifiant;version;statut;titre")
    assert all(i in text for i in ids)
    assert EMAIL not in text and PHONE not in text


async def test_csv_cells_cannot_become_formulas(client):
    answer = await submit(client, title="=HYPERLINK(\"http://evil\")")
    text = (await client.get("/v1/submissions/export.csv", headers=OP)).content.decode("utf-8-sig")
    line = next(line for line in text.splitlines() if answer["id"] in line)
    assert ';"\'=HYPERLINK' in line and ';=HYPERLINK' not in line and ';"=HYPERLINK' not in line


async def test_contact_never_leaves_the_private_endpoints(client, bus):
    answer = await submit(client)
    sid = answer["id"]
    for path, headers in [
        ("/v1/submissions", OP),
        ("/v1/submissions/export.csv", OP),
        ("/openapi.json", {}),
        ("/metrics", {}),
    ]:
        r = await client.get(path, headers=headers)
        assert EMAIL not in r.text and PHONE not in r.text, path
    # not in the stream either, nor the KV buckets (only sealed)
    js = bus.jetstream()
    for stream in ("SUBMISSIONS", "KV_IDEMPOTENCY", "KV_CONTACT_KEYS"):
        info = await js.stream_info(stream)
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                msg = await js.get_msg(stream, seq)
            except APIError:  # a deleted or purged message (KV history)
                continue
            assert EMAIL.encode() not in (msg.data or b""), stream
    assert (await read(client, sid, organizer(answer)))["contact"]["email"] == EMAIL
    assert (await read(client, sid, OP))["contact"]["phone"] == PHONE


async def test_erasure_shreds_the_contact_everywhere_and_survives_a_rebuild(client, service, bus):
    answer = await submit(client)
    sid = answer["id"]
    assert (await client.delete(f"/v1/submissions/{sid}/contact", headers=organizer(answer))).status_code == 403
    erased = await client.delete(f"/v1/submissions/{sid}/contact", headers=OP)
    assert erased.status_code == 202
    doc = await read(client, sid, organizer(answer))  # the organiser keeps access
    assert doc["contact"] is None and doc["contact_erased"] is True
    assert doc["history"][-1]["by"] == "operator:alice"
    store = service.runtime.store
    await rebuild(bus, store)
    doc = await read(client, sid, organizer(answer))
    assert doc["contact"] is None and doc["contact_erased"] is True
    assert doc["status"] == "received"


async def test_rebuild_reproduces_the_store(client, service, bus, publish):
    answer = await submit(client)
    doc = await read(client, answer["id"], OP)
    await publish(Judged(type="labelled", submission_id=answer["id"], version=1, by="validation",
                         submission=sub_of(doc), edition="2026"))
    await status_is(client, answer["id"], "labelled")
    store = service.runtime.store
    before = {r.id: (r.status, r.version, len(r.history)) async for r in store.scan(Filters())}
    counts = await rebuild(bus, store)
    after = {r.id: (r.status, r.version, len(r.history)) async for r in store.scan(Filters())}
    # the stream is shared with the other tests of this module: it holds more submissions
    assert counts["events"] >= len(before) and {k: after[k] for k in before} == before
    doc = await read(client, answer["id"], organizer(answer))
    assert doc["contact"]["email"] == EMAIL


async def test_retention_erases_contacts_after_the_edition(client, service):
    answer = await submit(client)
    rt = service.runtime
    edition = rt.commands.edition()
    assert await run_retention(rt.commands, rt.store, edition, 30, today=date(2026, 12, 1)) == 0
    erased = await run_retention(rt.commands, rt.store, edition, 30, today=date(2027, 1, 15))
    assert erased >= 1
    doc = await read(client, answer["id"], OP)
    assert doc["contact"] is None and doc["history"][-1]["by"] == "retention"
    assert await run_retention(rt.commands, rt.store, edition, 30, today=date(2027, 1, 15)) == 0


async def test_a_new_store_is_rebuilt_from_the_stream_at_start(client, start_service, tmp_path):
    answer = await submit(client)
    fresh = await start_service(data_dir=tmp_path / "fresh")  # empty SQLite, same stream
    async with httpx.AsyncClient(base_url=fresh.url) as c:
        doc = await read(c, answer["id"], organizer(answer))
    assert doc["status"] == "received" and doc["contact"]["email"] == EMAIL


async def test_the_submissions_of_an_address_are_found_and_a_rebuild_restores_it(
    client, service, bus
):
    """The e-mail lookup (lost links, imports): whatever the case, only that address's
    submissions, and still after a rebuild from the stream; not in the stream in clear."""
    email = f"Lookup-{uuid.uuid4().hex[:8]}@Example.fr"
    first = await submit(client, organizer={**make_payload()["organizer"], "email": email})
    second = await submit(client, organizer={**make_payload()["organizer"],
                                             "email": f"  {email.lower()} "})
    other = await submit(client)
    rt = service.runtime
    lookup = await rt.commands.email_lookup(email.upper())
    found = {r.id async for r in rt.store.scan(Filters(email_lookup=lookup))}
    assert found == {first["id"], second["id"]}
    assert other["id"] not in found and lookup not in email
    await rebuild(bus, rt.store)
    assert {r.id async for r in rt.store.scan(Filters(email_lookup=lookup))} == found
