"""Shared plumbing of the map-feed benchmarks: a temporary nats-server, the FEED bucket
filled with realistic events, a map-feed process, and small measuring helpers."""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import nats
import orjson
from sdi_common import contracts
from sdi_common.bootstrap import bootstrap
from sdi_common.stack import BIN, NatsServer, free_port

REPO = Path(__file__).resolve().parents[1]
WORDS = [
    "usine",
    "atelier",
    "robotique",
    "soudure",
    "métallurgie",
    "chimie",
    "énergie",
    "aéronautique",
    "numérique",
    "maintenance",
    "logistique",
    "textile",
    "agroalimentaire",
    "plasturgie",
    "automobile",
    "ferroviaire",
    "découverte",
    "métiers",
    "apprentissage",
    "innovation",
    "transition",
    "écologique",
    "jeunes",
]
#: the feed's vocabulary, without "other" and with the seven target publics only
KINDS = tuple(k for k in contracts.KINDS if k != "other")
AUDIENCES = tuple(a for a in contracts.AUDIENCES if a in contracts.TARGET_AUDIENCES)


_TEXTS: dict[int, list[str]] = {}


def sentence(rng: random.Random, n: int) -> str:
    """One of 512 pre-made texts of ``n`` words (generating 100,000 would be slow)."""
    texts = _TEXTS.get(n)
    if texts is None:
        r = random.Random(n)
        texts = _TEXTS[n] = [
            " ".join(r.choice(WORDS) for _ in range(n)).capitalize() for _ in range(512)
        ]
    return texts[rng.getrandbits(9)]


def feature(rng: random.Random, i: int, title: str | None = None) -> tuple[str, bytes]:
    """A feature shaped like the indexer's, with realistic text lengths."""
    sid = uuid.UUID(int=rng.getrandbits(128)).hex
    tz = timezone(timedelta(hours=1))
    start = datetime(2024, 11, 18, 8, tzinfo=tz) + timedelta(hours=rng.randrange(0, 7 * 24, 1))
    online = rng.random() < 0.08
    lon, lat = rng.uniform(-4.5, 7.8), rng.uniform(42.5, 51.0)
    postcode = f"{rng.randrange(1, 96):02d}{rng.randrange(0, 999):03d}"
    props = {
        "id": sid,
        "version": 1,
        "title": title or sentence(rng, 6),
        "description": sentence(rng, 60),
        "kind": rng.choice(KINDS),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "audiences": rng.sample(AUDIENCES, 2),
        "organizer_name": sentence(rng, 3),
        "venue": None if online else sentence(rng, 2),
        "street": None if online else f"{i % 200 + 1} rue de l'Industrie",
        "city": "Ville",
        "postcode": postcode,
        "department": postcode[:2],
        "region": "84",
        "online": online,
        "online_url": "https://visio.example/x" if online else None,
        "registration_url": "https://inscription.example/e",
        "accessibility": "Accès PMR",
        "precision": None if online else "housenumber",
        "timings": [{"starts_at": start.isoformat(),
                     "ends_at": (start + timedelta(hours=3)).isoformat()}],
        "accessibility_codes": ["motor"] if i % 3 == 0 else [],
        "capacity": 30,
        "event_status": "scheduled",
        "remaining_places": None,
        "event_status_at": None,
    }
    geometry = None if online else {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
    return sid, orjson.dumps(
        {"type": "Feature", "id": sid, "geometry": geometry, "properties": props}
    )


class Nats:
    """A nats-server with JetStream in a temporary directory, and the project's topology."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="bench-nats-")
        self.server = NatsServer(Path(self.dir)).start()
        self.url = self.server.url

    async def ready(self) -> nats.NATS:
        nc = await nats.connect(self.url)
        await bootstrap(self.url, nc=nc)
        return nc

    def stop(self) -> None:
        self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


async def fill(nc: nats.NATS, count: int, seed: int) -> int:
    """Put ``count`` features into FEED; returns the last revision.

    Core-NATS publishes (the stream stores them in order), then one acknowledged
    JetStream publish whose sequence is the bucket's last revision.
    """
    rng = random.Random(seed)
    items = [feature(rng, i) for i in range(count)]
    for n, (sid, body) in enumerate(items[:-1]):
        await nc.publish(f"$KV.FEED.{sid}", body)
        if n % 5000 == 4999:
            await nc.flush()
    sid, body = items[-1]
    ack = await nc.jetstream().publish(f"$KV.FEED.{sid}", body)
    return ack.seq


class Service:
    """A map-feed process (no indexer: the bucket is filled directly)."""

    def __init__(self, nats_url: str, workers: int = 1, **env: str) -> None:
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "NATS_URL": nats_url,
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "RUN_INDEXER": "false",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        command = [str(BIN / "sdi-map-feed")]
        if workers > 1:  # uvicorn's own supervisor; every worker syncs the whole feed
            command = [
                str(BIN / "uvicorn"),
                "--factory",
                "map_feed.app:build_asgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--no-access-log",
                "--log-level",
                "warning",
            ]
        self.proc = subprocess.Popen(
            command,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def ready(self, revision: int = 0, timeout: float = 120) -> None:
        """Ready, with every revision up to ``revision`` applied in memory (from /metrics)."""
        deadline = time.monotonic() + timeout
        # a new connection each time, so that every worker gets asked; several in a row
        close = {"Connection": "close"}
        in_a_row = 0
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                try:
                    if (await http.get(self.url + "/readyz", headers=close)).status_code == 200:
                        metrics = (await http.get(self.url + "/metrics", headers=close)).text
                        applied = re.search(r"^mapfeed_feed_revision (\S+)$", metrics, re.MULTILINE)
                        if applied and float(applied.group(1)) >= revision:
                            in_a_row += 1
                            if in_a_row >= 1 + 4 * (self.workers - 1):
                                return
                            continue
                except httpx.TransportError:
                    pass
                in_a_row = 0
                await asyncio.sleep(0.2)
        raise RuntimeError("map-feed not ready in time")

    def rss_mb(self) -> float:
        """Resident memory of the server process(es): with workers, their sum."""
        pids = [self.proc.pid]
        if self.workers > 1:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
            pids = [int(p) for p in children.split()]
        total = 0.0
        for pid in pids:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
