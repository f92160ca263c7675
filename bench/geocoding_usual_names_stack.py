"""Post the real usual-name addresses through a running stack; count where they end.

    EDITION_FILE=config/trial/2024-open.toml make run          # in one terminal
    uv run python bench/geocoding_usual_names_stack.py [--base-url URL] [--limit N]

Every "usual name" row of tests/data/mairie_usual_names.csv (the mairie addresses of the open
data whose city line is not the official name: "Place Joseph-Girieud, 04370
Colmars-les-Alpes" for Colmars) becomes one event that validation labels (the body is one
of scripts/sample_events.py's labelled events, its location replaced by the mairie's
address). Waits until each has settled, then prints how many ended ``published`` in the
right commune (the INSEE code the geocoder gave), ``published`` in another one (wrong),
or ``location_unresolved`` (with the reason codes), beside what the gazetteer answers
in-process for the same inputs. The API refuses a city with control characters (two rows
carry Windows-1252 bytes read as Latin-1): those are printed, not posted again.

The stack's rate limit (120 writes a minute per client) would hold back 195 posts from one
address: run it with RATE_LIMIT_PER_MINUTE=0 for this check.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
from geocoding.gazetteer import default_gazetteer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))  # sample_events, stackclient

import sample_events
import stackclient

USUAL = REPO / "tests" / "data" / "mairie_usual_names.csv"


def samples(rows: list[dict[str, str]], seed: int) -> list[sample_events.Sample]:
    mix = sample_events.Mix(labelled=1.0, rejected=0.0, needs_review=0.0, online=0.0)
    out = sample_events.generate(len(rows), seed=seed, mix=mix, tag=f"usual{seed}")
    for s, r in zip(out, rows, strict=True):
        location = {"postcode": r["postcode"], "city": r["city"]}
        if r["street"]:
            location["street"] = r["street"]
        s.body["location"] = location
        s.extra["row"] = r
    return out


async def run(args: argparse.Namespace) -> int:
    with USUAL.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["kind"] == "usual name"]
    if args.limit:
        rows = rows[: args.limit]
    todo = samples(rows, args.seed)
    sem = asyncio.Semaphore(args.concurrency)
    async with httpx.AsyncClient(base_url=args.base_url, timeout=10) as client:

        async def one(s):
            async with sem:
                return await stackclient.submit(client, s)

        t0 = time.monotonic()
        posted = await asyncio.gather(*(one(s) for s in todo))
        accepted = [p for p in posted if p.accepted]
        print(
            f"posted {len(todo)} events in {time.monotonic() - t0:.1f} s: {len(accepted)} accepted"
        )
        for p in posted:
            if not p.accepted:
                print(f"  not accepted ({p.http_status}): {p.sample.body['location']} {p.body}")
        final = await stackclient.wait_settled(client, accepted, timeout=args.wait)

    gaz = default_gazetteer()
    outcome: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    agree = 0
    lines = []
    for p in accepted:
        r = p.sample.extra["row"]
        body = final.get(p.id, {})
        status = body.get("status", "unsettled")
        located = (body.get("location") or {}).get("citycode")
        if status == "published":
            kind = "published, right commune" if located == r["citycode"] else "published, WRONG"
        elif status == "location_unresolved":
            kind = "location_unresolved"
            reasons.update(x["code"] for x in body.get("reasons", []))
        else:
            kind = status
        outcome[kind] += 1
        local = gaz.lookup(r["postcode"], r["city"])
        agree += (local.citycode if local else None) == (located if status == "published" else None)
        if kind != "published, right commune":
            why = "; ".join(x["message"] for x in body.get("reasons", []))
            lines.append(f"  {kind}: {r['postcode']} {r['city']!r} ({r['official']}) {why}")

    n = len(accepted)
    print(f"\n{n} real usual-name addresses through the stack ({args.base_url}):")
    for kind, k in outcome.most_common():
        print(f"  {kind:<28}{k:>5}  {100 * k / n:5.1f} %")
    if reasons:
        print(f"  reasons of the unresolved: {dict(reasons)}")
    print(f"  same answer as the in-process gazetteer: {agree}/{n}")
    print()
    print("\n".join(lines))
    # a refusal by the API (422: control characters in the city) is an answer, not a loss
    lost = [p for p in posted if not p.accepted and not 400 <= (p.http_status or 0) < 500]
    return 0 if outcome["published, WRONG"] == 0 and not lost and "unsettled" not in outcome else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base-url", default="http://127.0.0.1:8001", help="the submission service")
    p.add_argument("--limit", type=int, default=0, help="only the first N addresses")
    p.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--wait", type=float, default=120.0, help="seconds to wait for statuses")
    return asyncio.run(run(p.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
