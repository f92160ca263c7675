"""Benchmark: accepted submissions per second, one submission replica against two sharing
one store, on SQLite and on FerretDB (the MongoDB wire protocol), side by side in one run.

    uv run python bench/replicas.py [--seconds 8] [--rounds 2] [--concurrency 32]

Four stacks, each with its own nats-server (JetStream, the real topology) and store:
SQLite (one file; two replicas on one machine share it, WAL) and FerretDB (the cached
binary, ``make test-deps``; SQLite backend), with one or two ``sdi-submission`` processes
(intake and projector: the store is written by both). The load generator keeps
``--concurrency`` requests in flight, spread over the replicas as a Service would, with
realistic bodies (``scripts/sample_events.py``). After each phase the stack's projector
drains what it was given before the next phase starts; variants alternate round by round
(this is a shared 2-core machine: read the ratios). A 202 counts as accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nats
from sdi_common import subjects, topology
from sdi_common.bootstrap import bootstrap
from sdi_common.stack import Stack, wait_until

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench"), str(REPO / "scripts")]

from intake import Connection, percentile
from sample_events import generate

VARIANTS = [("sqlite", 1), ("sqlite", 2), ("ferretdb", 1), ("ferretdb", 2)]


def start(tmp: Path, store: str, replicas: int) -> Stack:
    env = {
        "RATE_LIMIT_PER_MINUTE": "0",
        "RETENTION_INTERVAL": "0",
        "LOG_LEVEL": "WARNING",
        "EDITION_FILE": str(REPO / "config" / "trial" / "2024-open.toml"),
        "STORE": "mongodb" if store == "ferretdb" else "sqlite",
    }
    os.environ.pop("MONGODB_URL", None)  # the stack's own FerretDB, not another server
    stack = Stack(tmp / f"{store}-{replicas}", env=env)
    asyncio.run(bootstrap(stack.start_nats()))
    stack.start_store()  # FerretDB when STORE=mongodb without MONGODB_URL
    for replica in range(1, replicas + 1):
        stack.start("submission", replica)
    return stack


async def pending(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        info = await nc.jetstream().consumer_info(subjects.STREAM,
                                                  topology.SUBMISSION_PROJECTOR.durable)
        return info.num_pending + info.num_ack_pending
    finally:
        await nc.close()


async def phase(urls: list[str], seconds: float, concurrency: int, bodies: list[bytes],
                cursor: list[int]) -> dict:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    async def one(n: int) -> None:
        host, port = urls[n % len(urls)].rsplit("/", 1)[1].split(":")
        conn = Connection(host, int(port))
        while time.perf_counter() < stop:
            body = bodies[cursor[0] % len(bodies)]
            cursor[0] += 1
            start = time.perf_counter()
            status = await conn.request("POST", "/v1/submissions", body)
            if status == 202:
                latencies.append(time.perf_counter() - start)
            else:
                errors[status] = errors.get(status, 0) + 1
        if conn.writer is not None:
            conn.writer.close()

    began = time.perf_counter()
    await asyncio.gather(*[one(n) for n in range(concurrency)])
    return {"ok": len(latencies), "elapsed": time.perf_counter() - began,
            "latencies": latencies, "errors": errors}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--samples", type=int, default=4000)
    args = p.parse_args()
    bodies = [json.dumps(s.body).encode() for s in generate(args.samples, seed=11, tag="replicas")]
    cursor = [0]
    results: dict[tuple[str, int], list[dict]] = {v: [] for v in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="bench-replicas-") as tmp:
        stacks = {}
        try:
            for variant in VARIANTS:
                stacks[variant] = start(Path(tmp), *variant)
            for round_ in range(args.rounds + 1):  # the first round warms up, not counted
                for variant, stack in stacks.items():
                    urls = [stack.url("submission", r) for r in range(1, variant[1] + 1)]
                    seconds = 1.5 if round_ == 0 else args.seconds
                    run = asyncio.run(phase(urls, seconds, args.concurrency, bodies, cursor))
                    wait_until(lambda s=stack: asyncio.run(pending(s.nats_url)) == 0, 600,
                               f"{variant}'s projector to drain", interval=0.5)
                    if round_:
                        results[variant].append(run)
        finally:
            for stack in stacks.values():
                stack.stop_all()

    print(f"intake with 1 and 2 submission replicas: concurrency {args.concurrency}, "
          f"{args.rounds} x {args.seconds:.0f} s per variant, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'store':<9} {'replicas':>8} {'accepted/s':>10} {'p50 ms':>7} {'p99 ms':>7}  errors")
    rate = {}
    for variant, runs in results.items():
        ok = sum(r["ok"] for r in runs)
        rate[variant] = ok / sum(r["elapsed"] for r in runs)
        lat = [x for r in runs for x in r["latencies"]]
        errors: dict[int, int] = {}
        for r in runs:
            for code, n in r["errors"].items():
                errors[code] = errors.get(code, 0) + n
        print(f"{variant[0]:<9} {variant[1]:>8} {rate[variant]:>10.1f} "
              f"{percentile(lat, 0.5) * 1000:>7.1f} {percentile(lat, 0.99) * 1000:>7.1f}  "
              f"{errors or '-'}")
    for store in ("sqlite", "ferretdb"):
        print(f"{store}: two replicas / one = {rate[(store, 2)] / rate[(store, 1)]:.2f}")
    for replicas in (1, 2):
        print(f"{replicas} replica(s): ferretdb / sqlite = "
              f"{rate[('ferretdb', replicas)] / rate[('sqlite', replicas)]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
