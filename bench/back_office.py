"""Benchmark: the back office with 50,000 submissions in the store.

    uv run python bench/back_office.py [--submissions 50000] [--requests 200] [--renders 15]

Fills a SQLite store with ``--submissions`` records made by the real aggregate from the
lifecycle events (received, then judged, geocoded, published, unresolved, decided or
withdrawn in realistic proportions, across every département, over four weeks), starts a
nats-server and ``sdi-submission`` on that store as its own process, then measures:

- API latency (sequential requests, keep-alive) of a page of 50 of the queue (national, and
  an operator scoped to one région), a submission as reviewed, the statistics, and
  ``GET /healthz`` of the same server as the baseline;
- time to first render in Chromium (Debian's, through Playwright): from the navigation to
  the queue's table, the submission's history, the statistics' chart being in the page.

Goal (issue 13): p95 ≤ 300 ms for a page of 50 and for the statistics. MongoDB: with
``--mongodb-url`` the same against a MongoDB server (FerretDB 1.24 is too slow to fill:
over 7 CPU minutes for 2,000 records inserted in bulk, here).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sdi_common.contracts import (
    Decided,
    Geocoded,
    GeoResult,
    Judged,
    LocationUnresolved,
    Point,
    Published,
    Reason,
    Received,
    Submission,
    Withdrawn,
)
from sdi_common.places import REGIONS
from sdi_common.settings import REPO_ROOT
from sdi_common.stack import Stack
from sdi_common.testing import CHROMIUM, CHROMIUM_ARGS

EDITION = REPO_ROOT / "config" / "trial" / "2024-open.toml"
NATIONAL = "bench-national-operator-token-0123456789abcdef"
REGIONAL = "bench-regional-operator-token-0123456789abcdef"
T0 = datetime(2024, 10, 14, 8, tzinfo=UTC)
KINDS = ["company_visit", "training_visit", "workshop", "conference", "forum", "webinar"]
WORDS = ["usine", "atelier", "soudure", "robotique", "métiers", "chaudronnerie", "fonderie",
         "maintenance", "plasturgie", "aéronautique", "textile", "agroalimentaire"]


def events_of(i: int, rng: random.Random) -> list:
    """The lifecycle of the i-th submission, as the services would publish it."""
    department = rng.choice([d for ds in REGIONS.values() for d in ds])
    postcode = (department + "000")[:5] if len(department) == 2 else department + "00"
    if department in ("2A", "2B"):
        postcode = "20000" if department == "2A" else "20200"
    online = rng.random() < 0.08
    title = f"Visite {rng.choice(WORDS)} {rng.choice(WORDS)} n° {i}"
    start = datetime(2024, 11, 18 + rng.randrange(7), 9, tzinfo=UTC)
    submission = Submission(
        title=title, description="Découverte des métiers de l'industrie.", kind=rng.choice(KINDS),
        timings=[{"starts_at": start, "ends_at": start + timedelta(hours=3)}],
        audiences=rng.sample(["pupils", "students", "job_seekers", "general_public"], 2),
        is_free=True, informs_about_industry=True, online=online,
        online_url="https://visio.example/x" if online else None,
        location=None if online else {"postcode": postcode, "city": "Commune"},
        organizer={"name": f"Entreprise {i % 997}", "type": "company"})
    sid = f"{i:032x}"
    at = T0 + timedelta(seconds=i * 28 * 86400 / 50_000 + rng.random())
    common = {"submission_id": sid, "version": 1, "submission": submission}
    out = [Received(**common, by="organizer", received_at=at, at=at)]
    roll = rng.random()
    later = at + timedelta(seconds=1)
    if roll < 0.05:
        return out  # not judged yet
    if roll < 0.25:
        out.append(Judged(**common, type="rejected", by="validation", edition="2024-trial", at=later,
                          reasons=[Reason(code="not_free", message="Payant.")]))
        return out
    if roll < 0.37:
        out.append(Judged(**common, type="needs_review", by="validation", edition="2024-trial",
                          at=later, reasons=[Reason(code="industry_theme_unclear", message="À voir.")]))
        if roll < 0.33:
            return out
        out.append(Decided(**common, decision="label", by="operator:alice",
                           at=later + timedelta(hours=rng.randrange(1, 72))))
    else:
        out.append(Judged(**common, type="labelled", by="validation", edition="2024-trial", at=later))
    placed = later + timedelta(seconds=2)
    if not online and rng.random() < 0.04:
        out.append(LocationUnresolved(**common, by="geocoding", at=placed,
                                      reason=Reason(code="address_not_found", message="?")))
        return out
    where = None if online else GeoResult(
        point=Point(lon=2 + rng.random(), lat=46 + rng.random()),
        precision=rng.choice(["housenumber", "street", "municipality"]), source="gazetteer",
        department=department)
    out.append(Geocoded(**common, by="geocoding", location=where, at=placed))
    out.append(Published(submission_id=sid, version=1, by="map-feed", feed_revision=i + 1,
                         at=placed + timedelta(seconds=1)))
    if rng.random() < 0.02:
        out.append(Withdrawn(submission_id=sid, version=1, by="organizer", at=placed + timedelta(days=2)))
    return out


async def fill(store, count: int) -> None:
    rng = random.Random(13)
    await store.open()
    sem = asyncio.Semaphore(256)

    async def one(i: int) -> None:
        async with sem:
            for event in events_of(i, rng):
                await store.apply(event)

    await asyncio.gather(*(one(i) for i in range(count)))
    print(f"store: {await store.count()} submissions", flush=True)
    await store.close()


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def timed(client: httpx.Client, path: str, n: int) -> list[float]:
    client.get(path).raise_for_status()  # warm
    out = []
    for _ in range(n):
        start = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        r.raise_for_status()
    return out


def first_render(base: str, token: str, paths: dict[str, tuple[str, str]], n: int) -> dict:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {name: [] for name in paths}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.request.post(base + "/v1/session", data={"token": token})
        page = ctx.new_page()
        for _ in range(n + 1):  # the first round warms the caches
            for name, (path, selector) in paths.items():
                page.goto(base + path, wait_until="commit")
                page.wait_for_selector(selector, state="attached")
                ms = page.evaluate("performance.now()")
                out[name].append(ms)
        browser.close()
    return {name: values[1:] for name, values in out.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--submissions", type=int, default=50_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--renders", type=int, default=15)
    ap.add_argument("--mongodb-url", default="")
    args = ap.parse_args(argv)
    from submission.tokens import token_hash

    with tempfile.TemporaryDirectory(prefix="bench-back-office-") as tmp:
        data = Path(tmp)
        env = {"EDITION_FILE": str(EDITION), "LOG_LEVEL": "WARNING", "RATE_LIMIT_PER_MINUTE": "0",
               "SESSION_SECRET": "bench", "TILE_URL": "none", "REBUILD_IF_EMPTY": "false",
               "OPERATOR_TOKENS": f"alice:{token_hash(NATIONAL)},bruno:{token_hash(REGIONAL)}/region=84"}
        if args.mongodb_url:
            from submission.store.mongo import MongoStore

            env.update(STORE="mongodb", MONGODB_URL=args.mongodb_url, MONGODB_DB="bench_back_office")
            store = MongoStore(args.mongodb_url, "bench_back_office")
        else:
            from submission.store.sqlite import SqliteStore

            store = SqliteStore(data / "submissions.sqlite3")
        t = time.perf_counter()
        asyncio.run(fill(store, args.submissions))
        print(f"filled in {time.perf_counter() - t:.0f} s", flush=True)
        stack = Stack(data_dir=data, env=env)
        try:
            stack.start_nats()
            stack.bootstrap()
            stack.start("submission")
            base = stack.url("submission")
            with httpx.Client(base_url=base, timeout=30,
                              headers={"Authorization": f"Bearer {NATIONAL}"}) as c:
                review_id = c.get("/v1/queue?limit=1").json()["items"][0]["id"]
                cases = {
                    "healthz (baseline)": "/healthz",
                    "queue, page of 50": "/v1/queue?limit=50",
                    "queue, 3rd page of 50": None,
                    "queue, all statuses, text filter": "/v1/queue?status=all&q=usine&limit=50",
                    "submission (review)": f"/v1/submissions/{review_id}/review",
                    "statistics": "/v1/statistics",
                }
                page = c.get("/v1/queue?limit=50").json()
                page = c.get(page["links"]["next"]).json()
                cases["queue, 3rd page of 50"] = page["links"]["next"].split(base, 1)[-1]
                results = {name: timed(c, path, args.requests) for name, path in cases.items()}
            with httpx.Client(base_url=base, timeout=30,
                              headers={"Authorization": f"Bearer {REGIONAL}"}) as c:
                results["queue, région 84 operator"] = timed(c, "/v1/queue?limit=50", args.requests)
                results["statistics, région 84 operator"] = timed(c, "/v1/statistics", args.requests)
            base_p50 = statistics.median(results["healthz (baseline)"])
            print(f"\nAPI, {args.submissions} submissions ({'MongoDB' if args.mongodb_url else 'SQLite'}), "
                  f"{args.requests} sequential requests each")
            print(f"{'':36} {'p50 ms':>8} {'p95 ms':>8} {'p50/baseline':>13}")
            for name, values in results.items():
                p50, p95 = statistics.median(values), percentile(values, 0.95)
                flag = "" if "healthz" in name or p95 <= 300 else "  > 300 ms goal"
                print(f"{name:36} {p50:8.1f} {p95:8.1f} {p50 / base_p50:12.1f}x{flag}")
            renders = first_render(base, NATIONAL, {
                "queue": ("/back-office/", "table.bo-queue"),
                "submission": (f"/back-office/inscriptions/{review_id}", "#historique-titre"),
                "statistics": ("/back-office/statistiques", "#st-carte"),
            }, args.renders)
            print(f"\nChromium, time to first render (navigation start -> content in the page), "
                  f"{args.renders} loads each")
            for name, values in renders.items():
                print(f"{name:36} {statistics.median(values):8.0f} {percentile(values, 0.95):8.0f}")
        finally:
            stack.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
