"""GET /v1/feed (200 and 304) at 5,500 and 100,000 events, beside nginx serving the same bytes.

    uv run python bench/feed_http.py [--duration 5] [--connections 32]

Needs ``wrk`` and ``nginx`` (Debian: apt-get install -y wrk nginx-light). One run starts a
temporary nats-server, one map-feed process (one uvicorn worker, uvloop + httptools; ``--workers N``: N, each
holding the whole feed) and one nginx (as many workers; the same gzip bytes as a static
file with gzip_static),
then measures both with wrk on loopback, gzip accepted, one after the other. Prints the
requests per second and map-feed's share of nginx's (goals: >= 25 % for 200, >= 50 % for 304).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from feed_common import Nats, Service, fill, free_port

NGINX_CONF = """
worker_processes {workers};
user root;  # the temp dir is private (0700)
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {dir}/tmp; proxy_temp_path {dir}/tmp; fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp; scgi_temp_path {dir}/tmp;
    types {{ application/geo+json json; }}
    server {{
        listen 127.0.0.1:{port};
        location = /v1/feed {{
            gzip_static on;
            default_type application/geo+json;
            add_header Cache-Control "public, max-age=15, stale-while-revalidate=60";
            add_header Vary Accept-Encoding;
            alias {dir}/feed.json;
        }}
    }}
}}
"""


def wrk(url: str, headers: dict[str, str], duration: int, connections: int) -> float:
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{out}")
    return rps


async def main(duration: int, connections: int, workers: int) -> None:
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is missing: apt-get install -y wrk nginx-light")
    work = Path(tempfile.mkdtemp(prefix="bench-feed-"))
    (work / "tmp").mkdir()
    broker = Nats()
    nc = await broker.ready()
    service = Service(broker.url, workers=workers, SNAPSHOT_MIN_INTERVAL="0")
    nginx_port = free_port()
    (work / "nginx.conf").write_text(NGINX_CONF.format(dir=work, port=nginx_port, workers=workers))
    nginx = None
    results = []
    try:
        total = 0
        for size in (5_500, 100_000):
            t0 = time.perf_counter()
            revision = await fill(nc, size - total, seed=size)
            t1 = time.perf_counter()
            total = size
            await service.ready(revision)
            print(
                f"{size} events: filled in {t1 - t0:.1f} s, map-feed in step {time.perf_counter() - t1:.1f} s later",
                file=sys.stderr,
            )
            feed_url = service.url + "/v1/feed"
            async with httpx.AsyncClient(timeout=60) as http:
                plain = await http.get(feed_url, headers={"Accept-Encoding": "identity"})
                async with http.stream("GET", feed_url, headers={"Accept-Encoding": "gzip"}) as r:
                    gz = b"".join([c async for c in r.aiter_raw()])
                    etag = r.headers["etag"]
            (work / "feed.json").write_bytes(plain.content)
            (work / "feed.json.gz").write_bytes(gz)
            if nginx is None:
                cmd = ["nginx", "-c", str(work / "nginx.conf"), "-p", str(work)]
                # started once and left running beside the event loop: not awaited on purpose
                nginx = subprocess.Popen(  # noqa: ASYNC220
                    cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                await asyncio.sleep(0.5)
            nginx_url = f"http://127.0.0.1:{nginx_port}/v1/feed"
            async with httpx.AsyncClient() as http:
                r = await http.get(nginx_url, headers={"Accept-Encoding": "gzip"})
                assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip", (
                    r.status_code,
                    r.headers,
                )
                nginx_etag = r.headers["etag"]
            gzip_h = {"Accept-Encoding": "gzip"}
            row = {
                "events": size,
                "identity_mb": len(plain.content) / 1e6,
                "gzip_mb": len(gz) / 1e6,
            }
            row["feed_200"] = wrk(feed_url, gzip_h, duration, connections)
            row["nginx_200"] = wrk(nginx_url, gzip_h, duration, connections)
            row["feed_304"] = wrk(
                feed_url, {**gzip_h, "If-None-Match": etag}, duration, connections
            )
            row["nginx_304"] = wrk(
                nginx_url, {**gzip_h, "If-None-Match": nginx_etag}, duration, connections
            )
            row["rss_mb"] = service.rss_mb()
            results.append(row)
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)
        service.stop()
        await nc.close()
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"GET /v1/feed, gzip, wrk -t1 -c{connections} -d{duration}s, loopback; map-feed: {workers} "
        f"uvicorn worker(s); nginx: {workers} worker(s), gzip_static"
    )
    print(
        f"{'events':>8} {'body MB':>8} {'gz MB':>6} | {'200 feed':>9} {'200 nginx':>9} {'ratio':>6} "
        f"| {'304 feed':>9} {'304 nginx':>9} {'ratio':>6} | {'RSS MB':>7}"
    )
    for r in results:
        print(
            f"{r['events']:>8} {r['identity_mb']:>8.2f} {r['gzip_mb']:>6.2f} | {r['feed_200']:>9.0f} "
            f"{r['nginx_200']:>9.0f} {r['feed_200'] / r['nginx_200']:>6.0%} | {r['feed_304']:>9.0f} "
            f"{r['nginx_304']:>9.0f} {r['feed_304'] / r['nginx_304']:>6.0%} | {r['rss_mb']:>7.0f}"
        )
    print("goals: 200 >= 25 % of nginx, 304 >= 50 % of nginx")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn and nginx workers")
    args = parser.parse_args()
    asyncio.run(main(args.duration, args.connections, args.workers))
