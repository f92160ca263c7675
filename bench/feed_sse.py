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

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from feed_common import Nats, Service, feature, fill, free_port

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


# ---------------------------------------------------------------------------- baseline


async def baseline_main(port: int) -> None:
    """Child process: the least a Python SSE server can do (asyncio + uvloop, no framework):
    answer the stream's headers, and write each line read on stdin to every connection."""
    transports: list[asyncio.Transport] = []

    class Stream(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            if b"\r\n\r\n" in data:
                self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n")
                transports.append(self.transport)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(Stream, "127.0.0.1", port)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    print("listening", flush=True)
    while line := await reader.readline():
        frame = b"id: 1\nevent: upsert\ndata: " + line.rstrip(b"\n") + b"\n\n"
        for transport in transports:
            if not transport.is_closing():
                transport.write(frame)
    server.close()


# ---------------------------------------------------------------------------- driver


async def fan_out(port: int, publish, clients: int, updates: int) -> list[float]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        str(port),
        str(clients),
        str(updates),
        stdout=subprocess.PIPE,
    )
    line = await asyncio.wait_for(proc.stdout.readline(), 90)
    assert line.strip() == b"ready", line
    rng = random.Random(clients)
    sent = []
    await asyncio.sleep(1)
    for k in range(updates):
        _, body = feature(rng, k, title=f"bench-marker-{k} mise à jour")
        sent.append(time.time())
        await publish(body)
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
        js = nc.jetstream()

        async def put(body: bytes) -> None:
            sid = orjson.loads(body)["id"]
            await js.publish(f"$KV.FEED.{sid}", body)

        baseline_port = free_port()
        baseline = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--baseline",
            str(baseline_port),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert (await baseline.stdout.readline()).strip() == b"listening"

        async def write_baseline(body: bytes) -> None:
            baseline.stdin.write(body + b"\n")
            await baseline.stdin.drain()

        for clients in client_counts:
            latencies = await fan_out(service.port, put, clients, updates)
            reference = await fan_out(baseline_port, write_baseline, clients, updates)
            rows.append((clients, latencies, reference))
        baseline.stdin.close()
        await baseline.wait()
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
    print(
        "baseline: a bare asyncio+uvloop server writing the same frame to every socket "
        "(no NATS, no HTTP framework), in the same run"
    )
    print(
        f"{'clients':>8} {'deliveries':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} | "
        f"{'base p50':>8} {'base p99':>8} | {'p99 ratio':>9}"
    )
    for clients, lat, ref in rows:
        print(
            f"{clients:>8} {len(lat):>10} {pct(lat, 50) * 1e3:>8.0f} {pct(lat, 99) * 1e3:>8.0f} "
            f"{max(lat) * 1e3:>8.0f} | {pct(ref, 50) * 1e3:>8.0f} {pct(ref, 99) * 1e3:>8.0f} | "
            f"{pct(lat, 99) / pct(ref, 99):>8.1f}x"
        )
    print("goal: p99 <= 1000 ms at 5,000 clients")
    print(
        f"memory: RSS {empty_rss:.0f} MB empty, {base_rss:.0f} MB at 5,500 events, "
        f"{full_rss:.0f} MB at 105,500 -> {full_rss - base_rss:.0f} MB per 100,000 events "
        f"(loaded in {load_s:.1f} s)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--baseline":
        import uvloop

        uvloop.run(baseline_main(int(sys.argv[2])))
        sys.exit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        import uvloop

        uvloop.run(clients_main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", default="1000,5000")
    parser.add_argument("--updates", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main([int(c) for c in args.clients.split(",")], args.updates))
