"""A real addok (own redis-server on a free port) indexing the mairie address sample, for
the geocoding tests, the fault proof test and ``bench/geocoding_worker.py``.

    with running_addok(tmp_path, read_mairies()) as url:
        ...  # GET {url}/search?q=...

Everything runs in subprocesses with their own ADDOK_CONFIG_MODULE, so the in-process
addok configuration (addok registers a pytest plugin that loads it) is never touched.
"""

from __future__ import annotations

import csv
import json
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ..settings import REPO_ROOT
from ..stack import BIN, free_port
from ..waiting import wait_until

MAIRIES = REPO_ROOT / "tests" / "data" / "mairie_addresses.csv"
ADDOK_CONF = REPO_ROOT / "services" / "geocoding" / "addok" / "addok.conf"
ADDOK_BIN = BIN / "addok"
REDIS_SERVER = "/usr/bin/redis-server"
HOUSENUMBER = re.compile(r"^(\d+)\s*((?:bis|ter|quater|[a-z])\b)?\s+(.+)$", re.IGNORECASE)


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def read_mairies() -> list[dict[str, str]]:
    with MAIRIES.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def addok_documents(rows: list[dict[str, str]]) -> Iterator[dict]:
    """BAN-style addok documents: one street (with its housenumber) per mairie address,
    and one municipality per commune."""
    communes: dict[str, dict] = {}
    for i, row in enumerate(rows):
        lon, lat = float(row["lon"]), float(row["lat"])
        communes.setdefault(
            row["citycode"],
            {
                "id": row["citycode"],
                "type": "municipality",
                "name": row["city"],
                "postcode": row["postcode"],
                "citycode": row["citycode"],
                "city": row["city"],
                "lon": lon,
                "lat": lat,
                "importance": 0.5,
                "context": row["department"],
            },
        )
        m = HOUSENUMBER.match(row["street"].strip())
        street = m.group(3) if m else row["street"].strip()
        doc = {
            "id": f"{row['citycode']}_{i:05d}",
            "type": "street",
            "name": street,
            "postcode": row["postcode"],
            "citycode": row["citycode"],
            "city": row["city"],
            "lon": lon,
            "lat": lat,
            "importance": 0.3,
            "context": row["department"],
        }
        if m:
            number = m.group(1) + (m.group(2) or "").lower()
            doc["housenumbers"] = {number: {"lon": lon, "lat": lat, "id": f"{doc['id']}_{number}"}}
        yield doc
    yield from communes.values()


@contextmanager
def running_addok(tmp: Path, rows: list[dict[str, str]]) -> Iterator[str]:
    """Start redis-server and addok on free ports, index ``rows``; yields addok's base URL."""
    redis_port, http_port = free_port(), free_port()
    procs: list[subprocess.Popen] = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    REDIS_SERVER,
                    "--port",
                    str(redis_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(tmp),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_until(lambda: _listening(redis_port), 20, f"redis-server on port {redis_port}")
        conf = tmp / "addok.conf"
        conf.write_text(ADDOK_CONF.read_text() + f"\nLOG_DIR = {str(tmp)!r}\nBATCH_WORKERS = 1\n")
        data = tmp / "addresses.jsonl"
        with data.open("w", encoding="utf-8") as f:
            for doc in addok_documents(rows):
                f.write(json.dumps(doc, ensure_ascii=False) + "\n")
        env = {
            **os.environ,
            "ADDOK_CONFIG_MODULE": str(conf),
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis_port),
        }
        for command in (["batch", str(data)], ["ngrams"]):
            done = subprocess.run(
                [str(ADDOK_BIN), *command],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode:
                raise RuntimeError(f"addok {command[0]} failed: {done.stdout}{done.stderr}")
        procs.append(
            subprocess.Popen(
                [str(ADDOK_BIN), "serve", "--host", "127.0.0.1", "--port", str(http_port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        wait_until(lambda: _listening(http_port), 20, f"addok on port {http_port}")
        url = f"http://127.0.0.1:{http_port}"
        httpx.get(f"{url}/search", params={"q": "mairie"}, timeout=10).raise_for_status()
        yield url
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
