"""SSE fan-out: how long one update takes to reach 1,000 and 5,000 clients of one replica;
and the memory the feed takes per 100,000 events.

    uv run python bench/feed_sse.py [--clients 1000,5000] [--updates 5]

One map-feed process (one uvicorn worker) with 5,500 events; the clients run in a
separate process (asyncio + uvloop, raw sockets), so that the two cores are shared as in
production between the replica and the network. Each update is a FEED put whose title
carries a marker; its latency is the time from just before the put to the moment a
client reads the marker (same machine clock). Prints p50/p99/max over every client and
update. Goal: p99 <= 1 s at 5,000 clients. Then loads 100,000 more events and prints the
resident memory growth per 100,000 events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from feed_common import Nats, Service, feature, fill

# ---------------------------------------------------------------------------- client side


async def clients_main(port: int, count: int, updates: int) -> None:
    """Child process: ``count`` SSE clients; prints 'ready', then arrival times as JSON."""
    markers = [b"bench-marker-%d " % k for k in range(updates)]
    arrivals: list[list[float]] = [[] for _ in range(updates)]
    connected = 0
    all_ready = asyncio.Event()

    async def one() -> None:
        nonlocal connected
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"GET /v1/feed/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n"
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert b" 200 " in head.split(b"\r\n", 1)[0], head
        connected += 1
        if connected == count:
            all_ready.set()
        seen = 0
        tail = b""
        while seen < updates:
            data = await reader.read(65536)
            if not data:
                return
            now = time.time()
            window = tail + data
            while seen < updates and markers[seen] in window:
                arrivals[seen].append(now)
                seen += 1
            tail = data[-64:]
        writer.close()

    tasks = []
    for start in range(0, count, 250):  # connect in waves (listen backlog)
        tasks += [asyncio.create_task(one()) for _ in range(min(250, count - start))]
        await asyncio.sleep(0.05)
    await asyncio.wait_for(all_ready.wait(), 60)
    print("ready", flush=True)
    await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30 + 5 * updates)
    print(json.dumps(arrivals), flush=True)


# ---------------------------------------------------------------------------- driver


async def fan_out(service: Service, nc, clients: int, updates: int) -> list[float]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        str(service.port),
        str(clients),
        str(updates),
        stdout=subprocess.PIPE,
    )
    line = await asyncio.wait_for(proc.stdout.readline(), 90)
    assert line.strip() == b"ready", line
    js = nc.jetstream()
    rng = random.Random(clients)
    sent = []
    await asyncio.sleep(1)
    for k in range(updates):
        sid, body = feature(rng, k, title=f"bench-marker-{k} mise à jour")
        sent.append(time.time())
        await js.publish(f"$KV.FEED.{sid}", body)
        await asyncio.sleep(1.5)
    out, _ = await proc.communicate()
    arrivals = json.loads(out.decode().strip().splitlines()[-1])
    latencies = [t - sent[k] for k in range(updates) for t in arrivals[k]]
    missing = clients * updates - len(latencies)
    if missing:
        print(f"  {missing} deliveries missing", file=sys.stderr)
    return latencies


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


async def main(client_counts: list[int], updates: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by both children
    broker = Nats()
    nc = await broker.ready()
    service = Service(broker.url, SSE_MAX_CLIENTS=str(max(client_counts) + 100))
    rows = []
    try:
        await service.ready(0)
        empty_rss = service.rss_mb()
        revision = await fill(nc, 5_500, seed=1)
        await service.ready(revision)
        for clients in client_counts:
            latencies = await fan_out(service, nc, clients, updates)
            rows.append((clients, latencies))
        base_rss = service.rss_mb()
        t0 = time.perf_counter()
        revision = await fill(nc, 100_000, seed=2)
        await service.ready(revision)
        load_s = time.perf_counter() - t0
        await asyncio.sleep(1)
        full_rss = service.rss_mb()
    finally:
        service.stop()
        await nc.close()
        broker.stop()

    print(
        f"SSE fan-out, one map-feed replica (1 uvicorn worker), {updates} updates each; "
        "latency from the FEED put to the client's read"
    )
    print(f"{'clients':>8} {'deliveries':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for clients, lat in rows:
        print(
            f"{clients:>8} {len(lat):>10} {pct(lat, 50) * 1e3:>8.0f} {pct(lat, 99) * 1e3:>8.0f} "
            f"{max(lat) * 1e3:>8.0f}"
        )
    print("goal: p99 <= 1000 ms at 5,000 clients")
    print(
        f"memory: RSS {empty_rss:.0f} MB empty, {base_rss:.0f} MB at 5,500 events, "
        f"{full_rss:.0f} MB at 105,500 -> {full_rss - base_rss:.0f} MB per 100,000 events "
        f"(loaded in {load_s:.1f} s)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        import uvloop

        uvloop.run(clients_main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="1000,5000")
    parser.add_argument("--updates", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main([int(c) for c in args.clients.split(",")], args.updates))
