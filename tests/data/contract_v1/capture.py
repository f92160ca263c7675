"""Capture what the stack writes: the stream's events, the feed's entries, the store's records.

Run on main at dab4134 (contract version 1) to write the fixtures beside this file:

    uv run python tests/data/contract_v1/capture.py tests/data/contract_v1

Never run it again to refresh them: they stand for what the stream already holds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx
import nats
from sdi_common.stack import Stack

TOKEN = "operator-capture-token-0123456789abcdef"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}


def body(title: str, description: str, start: str, end: str, **changes) -> dict:
    b = {
        "title": title, "kind": "company_visit", "description": description,
        "starts_at": start, "ends_at": end, "audiences": ["pupils", "job_seekers"],
        "is_free": True, "informs_about_industry": True, "online": False,
        "location": {"venue": "Usine Nord", "street": "1 place de la Comédie",
                     "postcode": "69001", "city": "Lyon"},
        "organizer": {"name": "Moteurs de France", "type": "company",
                      "email": "contact@example.fr", "phone": "01 23 45 67 89"},
        "accessibility": "Accès en fauteuil par l'entrée sud", "capacity": 30,
        "registration_url": "https://example.fr/inscription",
    }
    b.update(changes)
    return b


def wait(check, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    raise TimeoutError


async def dump(url: str) -> tuple[list[dict], list[dict]]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    info = await js.stream_info("SUBMISSIONS")
    events = []
    for seq in range(1, info.state.last_seq + 1):
        msg = await js.get_msg("SUBMISSIONS", seq)
        events.append({"subject": msg.subject, "data": msg.data.decode()})
    kv = await js.key_value("FEED")
    feed = [{"key": k, "value": (await kv.get(k)).value.decode()} for k in await kv.keys()]
    await nc.close()
    return events, feed


def scenario(sub: httpx.Client) -> None:
    def status(ident: str, token: str) -> str:
        return sub.get(f"/v1/submissions/{ident}",
                       headers={"Authorization": f"Bearer {token}"}).json()["status"]

    def post(b: dict) -> tuple[str, str]:
        r = sub.post("/v1/submissions", json=b)
        r.raise_for_status()
        return r.json()["id"], r.json()["organizer_token"]

    visit = ("Visite de l'usine de moteurs électriques",
             "Lignes de production, atelier d'usinage, métiers de l'industrie.")
    a, at = post(body(*visit, "2024-11-20T09:00:00+01:00", "2024-11-20T12:00:00+01:00"))
    wait(lambda: status(a, at) == "published")
    amended = body(visit[0], visit[1] + " Et la maintenance.",
                   "2024-11-21T14:00:00+01:00", "2024-11-21T17:30:00+01:00")
    sub.put(f"/v1/submissions/{a}", json=amended,
            headers={"Authorization": f"Bearer {at}"}).raise_for_status()
    wait(lambda: sub.get(f"/v1/submissions/{a}", headers=OPERATOR).json()["version"] == 2
         and status(a, at) == "published")

    b, bt = post(body("Atelier soudure et métiers de l'industrie",
                      "Découverte du soudage en usine.",
                      "2024-12-20T09:00:00+01:00", "2024-12-20T12:00:00+01:00"))
    wait(lambda: status(b, bt) == "rejected")
    sub.delete(f"/v1/submissions/{b}",
               headers={"Authorization": f"Bearer {bt}"}).raise_for_status()
    wait(lambda: status(b, bt) == "withdrawn")

    c, ct = post(body("Rencontre avec nos équipes", "Venez nous rencontrer et discuter.",
                      "2024-11-19T10:00:00+01:00", "2024-11-19T11:00:00+01:00"))
    wait(lambda: status(c, ct) == "needs_review")
    sub.post(f"/v1/submissions/{c}/decision", headers=OPERATOR,
             json={"decision": "label", "reason": "Usine de chaudronnerie"}).raise_for_status()
    wait(lambda: status(c, ct) == "published")

    d, dt = post(body("Webinaire : les métiers de l'industrie du futur",
                      "Ingénieurs et techniciens de production présentent leur usine.",
                      "2024-11-22T14:00:00+01:00", "2024-11-22T15:30:00+01:00",
                      online=True, online_url="https://visio.example.fr/salle",
                      location=None, kind="webinar"))
    wait(lambda: status(d, dt) == "published")

    e, et = post(body("Portes ouvertes de la fonderie",
                      "Fonderie industrielle, coulée et usinage des pièces.",
                      "2024-11-18T09:00:00+01:00", "2024-11-18T16:00:00+01:00",
                      location={"street": "Lieu-dit Introuvable", "postcode": "99999",
                                "city": "Nullepart-sur-Rien"}))
    wait(lambda: status(e, et) == "location_unresolved")
    sub.put(f"/v1/submissions/{e}/location", json={"lon": 4.85, "lat": 45.76},
            headers=OPERATOR).raise_for_status()
    wait(lambda: status(e, et) == "published")
    sub.delete(f"/v1/submissions/{e}/contact", headers=OPERATOR).raise_for_status()
    wait(lambda: sub.get(f"/v1/submissions/{e}", headers=OPERATOR).json()["contact_erased"])


def main(out: Path) -> None:
    data = Path(tempfile.mkdtemp(prefix="capture-"))
    env = {"EDITION_FILE": "config/trial/2024-open.toml", "RATE_LIMIT_PER_MINUTE": "0",
           "OPERATOR_TOKENS": f"capture:{hashlib.sha256(TOKEN.encode()).hexdigest()}"}
    try:
        with Stack(data_dir=data, env=env) as stack:
            scenario(httpx.Client(base_url=stack.url("submission"), timeout=10))
            events, feed = asyncio.run(dump(stack.nats_url))
            db = sqlite3.connect(data / "submissions.sqlite3")
            docs = [bytes(row[0]).decode()
                    for row in db.execute("SELECT doc FROM submissions ORDER BY created_at")]
    finally:
        shutil.rmtree(data, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    lines = lambda rows: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    (out / "events.jsonl").write_text(lines(events))
    (out / "feed.jsonl").write_text(lines(feed))
    (out / "records.jsonl").write_text("".join(d + "\n" for d in docs))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
