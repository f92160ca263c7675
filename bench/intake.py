"""Benchmark: intake (POST /v1/submissions) against the real service and a real nats-server.

    uv run python bench/intake.py [--seconds 6] [--rounds 2] [--concurrency 64]

Starts a nats-server (JetStream, temp dir) with the real topology and ``sdi-submission`` as
its own process (uvicorn, SQLite store in a temp dir, the projector consuming the stream),
then drives it with ``--concurrency`` requests in flight from one client process:

- ``trivial``: ``GET /healthz`` of the same server (the baseline: HTTP + framework + middleware);
- ``intake``: realistic bodies (``scripts/sample_events.py``: real mairie addresses, 10 %
  online, a mix of outcomes), each validated, sealed and published with its JetStream ack;
- ``intake+key``: the same with an ``Idempotency-Key`` (what the reference form sends:
  adds the atomic KV create and the "done" update).

Phases alternate round by round so that every phase sees the same machine load (this is a
shared 2-core machine): read the ratios. A 202 counts as accepted; anything else is
reported as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sdi_common.bootstrap import bootstrap
from sdi_common.stack import BIN, NatsServer, free_port, http_ok, wait_until

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from sample_events import generate  # noqa: E402


def start_service(nats_url: str, data_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "PORT": str(port),
        "DATA_DIR": str(data_dir),
        "RATE_LIMIT_PER_MINUTE": "0",
        "RETENTION_INTERVAL": "0",
        "LOG_LEVEL": "WARNING",
        "EDITION_FILE": str(REPO / "bench" / "peak" / "edition-2024-open.toml"),
    }
    proc = subprocess.Popen([str(BIN / "sdi-submission")], env=env,
                            stdout=subprocess.DEVNULL, stderr=open(data_dir / "service.log", "ab"))
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_ok(url + "/readyz"), 60, "sdi-submission ready")
    return proc, url


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def phase(client: httpx.AsyncClient, kind: str, seconds: float, concurrency: int,
                bodies: list[dict], cursor: list[int]) -> dict:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    async def one() -> None:
        while time.perf_counter() < stop:
            start = time.perf_counter()
            if kind == "trivial":
                r = await client.get("/healthz")
                ok = r.status_code == 200
            else:
                sample = bodies[cursor[0] % len(bodies)]
                cursor[0] += 1
                headers = {"Idempotency-Key": sample["key"]} if kind == "intake+key" else {}
                r = await client.post("/v1/submissions", json=sample["body"], headers=headers)
                ok = r.status_code == 202
            if ok:
                latencies.append(time.perf_counter() - start)
            else:
                errors[r.status_code] = errors.get(r.status_code, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*[one() for _ in range(concurrency)])
    elapsed = time.perf_counter() - began
    return {"kind": kind, "ok": len(latencies), "elapsed": elapsed, "latencies": latencies,
            "errors": errors}


async def run(args: argparse.Namespace, url: str) -> None:
    samples = generate(args.samples, seed=7, tag="bench")
    bodies = [{"body": s.body, "key": s.idempotency_key} for s in samples]
    cursor = [0]
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    results: dict[str, list[dict]] = {"trivial": [], "intake": [], "intake+key": []}
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await phase(client, "trivial", 1.0, args.concurrency, bodies, cursor)  # warm-up
        await phase(client, "intake", 1.0, args.concurrency, bodies, cursor)
        for _ in range(args.rounds):
            for kind in results:
                results[kind].append(
                    await phase(client, kind, args.seconds, args.concurrency, bodies, cursor))
    summary = {}
    for kind, runs in results.items():
        ok = sum(r["ok"] for r in runs)
        elapsed = sum(r["elapsed"] for r in runs)
        lat = [x for r in runs for x in r["latencies"]]
        errors: dict[int, int] = {}
        for r in runs:
            for code, n in r["errors"].items():
                errors[code] = errors.get(code, 0) + n
        summary[kind] = {
            "per_s": ok / elapsed,
            "p50_ms": percentile(lat, 0.50) * 1000,
            "p99_ms": percentile(lat, 0.99) * 1000,
            "mean_ms": statistics.fmean(lat) * 1000 if lat else float("nan"),
            "ok": ok,
            "errors": errors,
        }
    base = summary["trivial"]["per_s"]
    print(f"intake benchmark: concurrency {args.concurrency}, {args.rounds} x {args.seconds:.0f} s "
          f"per phase, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'phase':<12} {'ok/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}  errors")
    for kind, s in summary.items():
        print(f"{kind:<12} {s['per_s']:8.0f} {s['p50_ms']:8.1f} {s['p99_ms']:8.1f} "
              f"{s['per_s'] / base:7.0%}  {s['errors'] or '-'}")
    ratio = summary["intake"]["per_s"] / base
    print(f"accepted/s {summary['intake']['per_s']:.0f} vs trivial {base:.0f}/s: ratio {ratio:.0%} "
          f"(goal >= 40 %); with Idempotency-Key {summary['intake+key']['per_s'] / base:.0%}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--samples", type=int, default=5000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        tmp_path = Path(tmp)
        server = NatsServer(tmp_path / "nats").start()
        proc = None
        try:
            asyncio.run(bootstrap(server.url))
            proc, url = start_service(server.url, tmp_path)
            asyncio.run(run(args, url))
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(20)
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
