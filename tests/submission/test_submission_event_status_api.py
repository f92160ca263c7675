"""``PUT /v1/submissions/{id}/event-status`` over real HTTP (issue 16): the organiser (with
the token) or an operator says an event is full, cancelled or on again; one event on the
stream per change; only a labelled event has one; French errors."""

from __future__ import annotations

import orjson
from sdi_common import subjects
from sdi_common.contracts import Judged, Submission
from sdi_common.testing import eventually

from .submission_support import make_payload, operator_headers

OP = operator_headers()


async def labelled(client, publish, **changes) -> tuple[str, dict]:
    r = await client.post("/v1/submissions", json=make_payload(**changes))
    assert r.status_code == 202, r.text
    sid, token = r.json()["id"], r.json()["organizer_token"]
    headers = {"Authorization": f"Bearer {token}"}
    doc = (await client.get(f"/v1/submissions/{sid}", headers=headers)).json()
    await publish(Judged(type="labelled", submission_id=sid, version=1, by="validation",
                         submission=Submission.model_validate(doc["submission"]),
                         edition="2026"))

    async def is_labelled():
        return (await client.get(f"/v1/submissions/{sid}", headers=headers)).json()[
            "status"] == "labelled"

    await eventually(is_labelled)
    return sid, headers


async def put(client, sid, headers, **body):
    return await client.put(f"/v1/submissions/{sid}/event-status", json=body, headers=headers)


async def status_events(bus, sid) -> list[dict]:
    js = bus.jetstream()
    sub = await js.subscribe(subjects.EVENT_STATUS, ordered_consumer=True)
    found = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except TimeoutError:
                return found
            data = orjson.loads(msg.data)
            if data["submission_id"] == sid:
                found.append(data)
    finally:
        await sub.unsubscribe()


async def test_the_organiser_cancels_then_reopens_with_places_left(client, publish, bus):
    sid, headers = await labelled(client, publish, capacity=30)
    r = await put(client, sid, headers, event_status="cancelled")
    assert r.status_code == 202, r.text
    assert (r.json()["event_status"], r.json()["remaining_places"]) == ("cancelled", None)
    assert r.json()["event_status_at"] and r.json()["links"]["self"] == f"/v1/submissions/{sid}"
    doc = (await client.get(f"/v1/submissions/{sid}", headers=headers)).json()
    assert (doc["event_status"], doc["status"]) == ("cancelled", "labelled")
    assert doc["history"][-1]["event"] == "event_status"
    # the same again publishes nothing; an operator reopens it with 12 places left
    assert (await put(client, sid, headers, event_status="cancelled")).status_code == 202
    r = await put(client, sid, OP, event_status="scheduled", remaining_places=12)
    assert r.status_code == 202 and r.json()["remaining_places"] == 12
    events = await status_events(bus, sid)
    assert [(e["event_status"], e["remaining_places"], e["by"]) for e in events] == [
        ("cancelled", None, "organizer"), ("scheduled", 12, "operator:alice")]
    assert events[0]["at"] < events[1]["at"]


async def test_who_may_say_it_and_when(client, publish):
    r = await client.post("/v1/submissions", json=make_payload())
    sid, token = r.json()["id"], r.json()["organizer_token"]
    headers = {"Authorization": f"Bearer {token}"}
    refused = await put(client, sid, headers, event_status="full")
    assert refused.status_code == 409  # received, not labelled yet
    assert refused.json()["code"] == "not_labelled"
    assert "labellisé" in refused.json()["detail"]
    assert (await put(client, sid, {}, event_status="full")).status_code == 401
    stranger = {"Authorization": "Bearer not-this-one"}
    assert (await put(client, sid, stranger, event_status="full")).status_code == 404
    assert (await put(client, "0" * 32, OP, event_status="full")).status_code == 404
    await client.delete(f"/v1/submissions/{sid}", headers=headers)
    withdrawn = await put(client, sid, headers, event_status="cancelled")
    assert (withdrawn.status_code, withdrawn.json()["code"]) == (409, "withdrawn")


async def test_bad_bodies_are_explained_in_french(client, publish):
    sid, headers = await labelled(client, publish, capacity=30)
    cases = [
        ({"event_status": "postponed"}, "event_status", "not_allowed"),
        ({}, "event_status", "required"),
        ({"event_status": "full", "remaining_places": 3}, "remaining_places",
         "remaining_places_when_full"),
        ({"event_status": "cancelled", "remaining_places": 0}, "remaining_places",
         "remaining_places_when_cancelled"),
        ({"event_status": "scheduled", "remaining_places": -1}, "remaining_places", "too_small"),
        ({"event_status": "scheduled", "remaining_places": "3"}, "remaining_places",
         "wrong_type"),
        ({"event_status": "scheduled", "remaining_places": 31}, "remaining_places",
         "remaining_places_above_capacity"),
        ({"event_status": "scheduled", "seats": 3}, "seats", "unknown_field"),
    ]
    for body, field, code in cases:
        r = await client.put(f"/v1/submissions/{sid}/event-status", json=body, headers=headers)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        errors = r.json()["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], body
        assert errors[0]["message"][0].isupper()
    ok = await put(client, sid, headers, event_status="full", remaining_places=0)
    assert ok.status_code == 202 and ok.json()["remaining_places"] == 0
