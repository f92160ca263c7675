"""Benchmark: intake (POST /v1/submissions) against the real service and a real nats-server.

    uv run python bench/intake.py [--seconds 6] [--rounds 2] [--concurrency 64]
    BENCH_ENV="APPLY_ON_ACCEPT=false" uv run python bench/intake.py   # service settings to try

Starts a nats-server (JetStream, temp dir) with the real topology and ``sdi-submission`` as
its own process (uvicorn, SQLite store in a temp dir, the projector consuming the stream),
then drives it with ``--concurrency`` requests in flight from one client process:

- ``trivial``: ``GET /healthz`` of the same server (the baseline: HTTP + framework + middleware);
- ``intake``: realistic bodies (``scripts/sample_events.py``: real mairie addresses, 10 %
  online, a mix of outcomes), each validated, sealed and published with its JetStream ack;
- ``intake+key``: the same with an ``Idempotency-Key`` (what the reference form sends:
  adds the atomic KV create and the "done" update);
- ``intake×20``: the same bodies with 20 timings each (``timings``: 20 sessions of 2 h, 6 h
  apart, from the sample's start) instead of one (``intake``): the cost of sessions, side
  by side (issue 16).

Phases alternate round by round so that every phase sees the same machine load (this is a
shared 2-core machine): read the ratios. A 202 counts as accepted; anything else is
reported as an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sdi_common.bootstrap import bootstrap
from sdi_common.stack import Stack

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from sample_events import generate


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class Connection:
    """A bare HTTP/1.1 keep-alive connection: a load generator must cost far less than the
    server it measures (httpx costs about as much CPU per request as the endpoint itself)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        if body:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def phase(url: str, pids: tuple[int, int], kind: str, seconds: float, concurrency: int,
                bodies: list[dict], cursor: list[int]) -> dict:
    latencies: list[float] = []
    errors: dict[int, int] = {}
    host, port = url.rsplit("/", 1)[1].split(":")
    stop = time.perf_counter() + seconds

    async def one() -> None:
        conn = Connection(host, int(port))
        while time.perf_counter() < stop:
            start = time.perf_counter()
            if kind == "trivial":
                status = await conn.request("GET", "/healthz")
                ok = status == 200
            else:
                sample = bodies[cursor[0] % len(bodies)]
                cursor[0] += 1
                headers = {"Idempotency-Key": sample["key"]} if kind == "intake+key" else {}
                raw = sample["raw20"] if kind == "intake×20" else sample["raw"]
                status = await conn.request("POST", "/v1/submissions", raw, headers)
                ok = status == 202
            if ok:
                latencies.append(time.perf_counter() - start)
            else:
                errors[status] = errors.get(status, 0) + 1
        if conn.writer is not None:
            conn.writer.close()

    pid, nats_pid = pids
    nats_before = cpu_seconds(nats_pid)
    cpu_before, began = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*[one() for _ in range(concurrency)])
    elapsed = time.perf_counter() - began
    return {"kind": kind, "ok": len(latencies), "elapsed": elapsed, "latencies": latencies,
            "errors": errors, "server_cpu": cpu_seconds(pid) - cpu_before,
            "nats_cpu": cpu_seconds(nats_pid) - nats_before}


def with_timings(body: dict, count: int) -> dict:
    """The sample's body with ``count`` timings (2 h each, 6 h apart) from its start."""
    body = dict(body)
    start = datetime.fromisoformat(body.pop("starts_at"))
    body.pop("ends_at")
    body["timings"] = [{"starts_at": (start + timedelta(hours=6 * i)).isoformat(),
                        "ends_at": (start + timedelta(hours=6 * i + 2)).isoformat()}
                       for i in range(count)]
    return body


async def run(args: argparse.Namespace, url: str, pids: tuple[int, int]) -> None:
    samples = generate(args.samples, seed=7, tag="bench")
    bodies = [{"raw": json.dumps(with_timings(s.body, 1)).encode(),
               "raw20": json.dumps(with_timings(s.body, 20)).encode(),
               "key": s.idempotency_key} for s in samples]
    cursor = [0]
    results: dict[str, list[dict]] = {"trivial": [], "intake": [], "intake×20": [],
                                      "intake+key": []}
    await phase(url, pids, "trivial", 1.0, args.concurrency, bodies, cursor)  # warm-up
    await phase(url, pids, "intake", 1.0, args.concurrency, bodies, cursor)
    for _ in range(args.rounds):
        for kind, runs in results.items():
            runs.append(await phase(url, pids, kind, args.seconds, args.concurrency, bodies, cursor))
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
            "cpu_ms": 1000 * sum(r["server_cpu"] for r in runs) / max(ok, 1),
            "nats_ms": 1000 * sum(r["nats_cpu"] for r in runs) / max(ok, 1),
            "busy": sum(r["server_cpu"] for r in runs) / elapsed,
        }
    base = summary["trivial"]["per_s"]
    print(f"intake benchmark: concurrency {args.concurrency}, {args.rounds} x {args.seconds:.0f} s "
          f"per phase, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{'phase':<12} {'ok/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7} "
          f"{'service CPU ms/req':>18} {'service busy':>12} {'nats CPU ms/req':>15}  errors")
    for kind, s in summary.items():
        print(f"{kind:<12} {s['per_s']:8.0f} {s['p50_ms']:8.1f} {s['p99_ms']:8.1f} "
              f"{s['per_s'] / base:7.0%} {s['cpu_ms']:18.2f} {s['busy']:12.0%} {s['nats_ms']:15.2f}"
              f"  {s['errors'] or '-'}")
    ratio = summary["intake"]["per_s"] / base
    print(f"accepted/s {summary['intake']['per_s']:.0f} vs trivial {base:.0f}/s: ratio {ratio:.0%} "
          f"(goal >= 40 %); with Idempotency-Key {summary['intake+key']['per_s'] / base:.0%}")
    twenty = summary["intake×20"]
    print(f"20 timings per event: {twenty['per_s']:.0f} accepted/s vs {summary['intake']['per_s']:.0f} "
          f"with one: ratio {twenty['per_s'] / summary['intake']['per_s']:.0%}; service CPU "
          f"{twenty['cpu_ms']:.2f} vs {summary['intake']['cpu_ms']:.2f} ms per accepted "
          f"(x{twenty['cpu_ms'] / summary['intake']['cpu_ms']:.2f})")
    cpu_ratio = summary["trivial"]["cpu_ms"] / summary["intake"]["cpu_ms"]
    print(f"server CPU per request: intake {summary['intake']['cpu_ms']:.2f} ms vs trivial "
          f"{summary['trivial']['cpu_ms']:.2f} ms: CPU-bound ratio {cpu_ratio:.0%} "
          "(the projector's work on the accepted events included)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--samples", type=int, default=5000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        stack = Stack(Path(tmp), env={
            "RATE_LIMIT_PER_MINUTE": "0",
            "RETENTION_INTERVAL": "0",
            "LOG_LEVEL": "WARNING",
            "EDITION_FILE": str(REPO / "config" / "trial" / "2024-open.toml"),
            **dict(kv.split("=", 1) for kv in os.environ.get("BENCH_ENV", "").split() if kv),
        })
        try:
            asyncio.run(bootstrap(stack.start_nats()))
            service = stack.start("submission")
            asyncio.run(run(args, service.url, (service.proc.pid, stack.nats.proc.pid)))
        finally:
            stack.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
