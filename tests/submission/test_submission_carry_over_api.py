"""Carry over (issue 16): the events an organiser's address held in the previous edition,
offered for the active one with their sessions moved to its week, then created from them
once (however often they are carried over), over real HTTP on a real nats-server."""

from __future__ import annotations

import httpx
import pytest
from sdi_common.contracts import Geocoded, GeoResult, Judged, Point, Published, Submission
from sdi_common.testing import eventually

from .submission_support import make_payload, operator_headers, two_editions

OP = operator_headers()
GEO = GeoResult(point=Point(lon=4.84, lat=45.75), precision="housenumber", source="ban",
                department="69", city="Lyon")


@pytest.fixture
def editions(tmp_path):
    return two_editions(tmp_path / "editions")


def dates(day: str, start: str, end: str) -> list[dict[str, str]]:
    return [{"starts_at": f"{day}T{start}:00+01:00", "ends_at": f"{day}T{end}:00+01:00"}]


async def submit(client, email: str, title: str, timings) -> tuple[str, dict]:
    organizer = {**make_payload()["organizer"], "email": email}
    r = await client.post("/v1/submissions", json=make_payload(
        title=title, timings=timings, organizer=organizer, accessibility_codes=["motor"]))
    assert r.status_code == 202, r.text
    return r.json()["id"], {"Authorization": f"Bearer {r.json()['organizer_token']}"}


async def publish_it(client, publish, sid: str, headers: dict) -> None:
    doc = (await client.get(f"/v1/submissions/{sid}", headers=headers)).json()
    sub = Submission.model_validate(doc["submission"])
    await publish(Judged(type="labelled", submission_id=sid, version=1, by="validation",
                         submission=sub, edition="2025"))
    await publish(Geocoded(submission_id=sid, version=1, by="geocoding", submission=sub,
                           location=GEO))
    await publish(Published(submission_id=sid, version=1, by="map-feed", feed_revision=1))

    async def published():
        return (await client.get(f"/v1/submissions/{sid}", headers=headers)).json()[
            "status"] == "published"

    await eventually(published)


async def test_the_previous_edition_is_offered_then_carried_over_once(
        start_service, editions, publish):
    svc = await start_service(edition=editions / "2026.toml", editions_dir=editions)
    async with httpx.AsyncClient(base_url=svc.url, timeout=15) as client:
        mine = "usine@exemple.fr"
        visit, visit_h = await submit(client, mine, "Visite de l'usine 2025", [
            *dates("2025-11-18", "09:00", "12:00"), *dates("2025-11-20", "14:00", "17:00")])
        forum, forum_h = await submit(client, mine, "Forum des métiers 2025",
                                      dates("2025-11-21", "10:00", "16:00"))
        await submit(client, mine, "Jamais publié", dates("2025-11-19", "09:00", "10:00"))
        other, other_h = await submit(client, "autre@exemple.fr", "Chez un autre",
                                      dates("2025-11-18", "09:00", "12:00"))
        for sid, h in ((visit, visit_h), (forum, forum_h), (other, other_h)):
            await publish_it(client, publish, sid, h)
        # the organiser's page holds the token of this year's submission
        now, now_h = await submit(client, mine.upper(), "Visite de l'usine 2026",
                                  dates("2026-11-17", "09:00", "12:00"))

        r = await client.get(f"/v1/submissions/{now}/carry-over", headers=now_h)
        assert r.status_code == 200, r.text
        offer = r.json()
        assert (offer["edition"], offer["from_edition"]) == ("2026", "2025")
        assert [i["id"] for i in offer["items"]] == [visit, forum]  # published, by date
        item = offer["items"][0]
        assert (item["status"], item["carried_over_id"]) == ("published", None)
        body = item["body"]
        # the same weekday and local time, 52 weeks on
        assert body["timings"] == [*dates("2026-11-17", "09:00", "12:00"),
                                   *dates("2026-11-19", "14:00", "17:00")]
        assert body["organizer"]["email"] == mine and body["accessibility_codes"] == ["motor"]
        assert body["external_id"] == f"carry-over:{visit}"
        # an operator sees the same; another organiser's token does not open it
        assert (await client.get(f"/v1/submissions/{now}/carry-over", headers=OP)).json() == offer
        assert (await client.get(f"/v1/submissions/{now}/carry-over",
                                 headers=other_h)).status_code == 404
        # the body is one the intake takes as it is
        check = await client.post("/v1/submissions/import", params={"dry_run": "true"},
                                  json={"submissions": [body]})
        assert check.json()["rows"][0]["ok"], check.text

        r = await client.post(f"/v1/submissions/{now}/carry-over", headers=now_h,
                              json={"submission_ids": [visit, forum]})
        assert r.status_code == 200, r.text
        rows = r.json()["rows"]
        assert [row["action"] for row in rows] == ["created", "created"]
        copy = rows[0]["id"]
        doc = (await client.get(f"/v1/submissions/{copy}",
                                headers={"Authorization": f"Bearer {rows[0]['organizer_token']}"}
                                )).json()
        assert doc["submission"]["title"] == "Visite de l'usine 2025"
        assert doc["submission"]["timings"][0]["starts_at"] == "2026-11-17T09:00:00+01:00"
        assert doc["history"][0]["by"] == "organizer"
        again = (await client.get(f"/v1/submissions/{now}/carry-over", headers=now_h)).json()
        assert [i["carried_over_id"] for i in again["items"]] == [copy, rows[1]["id"]]
        twice = await client.post(f"/v1/submissions/{now}/carry-over", headers=now_h,
                                  json={"submission_ids": [visit]})
        assert [(row["action"], row["id"]) for row in twice.json()["rows"]] == [
            ("unchanged", copy)]

        refused = await client.post(f"/v1/submissions/{now}/carry-over", headers=now_h,
                                    json={"submission_ids": [other]})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["code"] == "not_offered"


async def test_nothing_is_offered_without_events_or_without_a_previous_edition(
        client, start_service, editions, tmp_path):
    r = await client.post("/v1/submissions", json=make_payload())
    sid, token = r.json()["id"], r.json()["organizer_token"]
    mine = {"Authorization": f"Bearer {token}"}
    # the shipped editions: 2024 comes before the tests' 2026, this address held nothing then
    offer = (await client.get(f"/v1/submissions/{sid}/carry-over", headers=mine)).json()
    assert offer == {"edition": "2026", "from_edition": "2024", "items": []}
    (editions / "2025.toml").unlink()
    alone = await start_service(data_dir=tmp_path / "alone", edition=editions / "2026.toml",
                                editions_dir=editions)
    async with httpx.AsyncClient(base_url=alone.url, timeout=15) as other:
        r = await other.post("/v1/submissions", json=make_payload())
        offer = (await other.get(f"/v1/submissions/{r.json()['id']}/carry-over", headers={
            "Authorization": f"Bearer {r.json()['organizer_token']}"})).json()
    assert offer == {"edition": "2026", "from_edition": None, "items": []}
