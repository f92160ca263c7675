"""Load a few hundred realistic events into a running stack, so that the map comes alive.

    make run            # in one terminal (with EDITION_FILE=config/trial/2024-open.toml,
                        # else every event is late: the 2024 deadline has passed)
    make demo           # in another: uv run python scripts/demo.py

It posts the events concurrently through the public API (retrying with the Idempotency-Key
on 429/503), waits until each has settled (published, rejected, needs_review...), prints a
summary beside the expected outcomes, and the widget's URL.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

import httpx
import sample_events  # beside this script
import stackclient


async def run(args: argparse.Namespace) -> int:
    samples = sample_events.generate(args.count, seed=args.seed, tag=f"demo{args.seed}")
    sem = asyncio.Semaphore(args.concurrency)
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=args.base_url, timeout=10, limits=limits) as client:

        async def one(s):
            async with sem:
                return await stackclient.submit(client, s)

        t0 = time.monotonic()
        results = await asyncio.gather(*(one(s) for s in samples))
        took = time.monotonic() - t0
        accepted = [r for r in results if r.accepted]
        print(f"posted {len(samples)} events in {took:.1f} s: {len(accepted)} accepted (202)")
        refused = Counter(r.http_status for r in results if not r.accepted)
        if refused:
            print(f"  not accepted: {dict(refused)}")
            for r in results:
                if not r.accepted:
                    print(f"  e.g. {r.http_status}: {str(r.body)[:300]}")
                    break
        if not accepted:
            return 1
        final = await stackclient.wait_settled(client, accepted, timeout=args.wait)
    got = Counter(final.get(r.id, {}).get("status", "unknown") for r in accepted)
    expected = Counter(r.sample.expected_status for r in accepted)
    agree = sum(final.get(r.id, {}).get("status") == r.sample.expected_status for r in accepted)
    print(f"statuses after {args.wait:.0f} s at most: {dict(got)}")
    print(f"expected by the generator:        {dict(expected)}")
    print(f"agreement with the expected outcome: {agree}/{len(accepted)}")
    widget = args.feed_url.rstrip("/")
    print(f"\nThe map: {widget}/widget   (feed: {widget}/v1/feed)")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Post realistic events to a running stack.")
    p.add_argument("--base-url", default="http://127.0.0.1:8001", help="the submission service")
    p.add_argument("--feed-url", default="http://127.0.0.1:8004", help="the map-feed service")
    p.add_argument("-n", "--count", type=int, default=300)
    p.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--wait", type=float, default=60.0, help="seconds to wait for statuses")
    return asyncio.run(run(p.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
