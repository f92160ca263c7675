"""Benchmark: a bulk import of 500 rows (POST /v1/submissions/import), dry run and real, on
the real service and a real nats-server (issue 16).

    uv run python bench/imports.py [--rounds 3] [--rows 500]

Starts a nats-server (JetStream, temp dir) with the topology and two ``sdi-submission``
processes (SQLite stores in temp dirs, projectors running): one as shipped (the rows of an
import published 64 at a time, ``IMPORT_CONCURRENCY=64``) and one publishing them one
after the other (``IMPORT_CONCURRENCY=1``). Each round, alternating the phases so that all
see the same load on this shared machine, times the request until its per-row answer:

- ``dry run``: a spreadsheet of ``--rows`` rows (each two sessions, French words, what a
  federation uploads), judged row by row, nothing created;
- ``import``: the same file with fresh references, every row created (sealed, published,
  acknowledged by JetStream, applied to the store);
- ``again``: the same file once more (every row found, unchanged: nothing published);
- ``import, 1 at a time``: the ``import`` phase on the other process;
- ``500 POSTs``: the same events through ``POST /v1/submissions``, 64 in flight (what a
  client without the import would do), for the ratio.
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
from pathlib import Path

import httpx
from sdi_common.bootstrap import bootstrap
from sdi_common.stack import Stack

REPO = Path(__file__).resolve().parents[1]

from submission.import_csv import COLUMNS

sys.path.insert(0, str(REPO / "scripts"))
from stackclient import BareHTTP  # scripts/ holds what the benchmarks share

ROW = ("{ref};Visite de l'atelier n° {n};Métiers de l'usinage, de la soudure et de la "
       "maintenance industrielle.;Atelier;18/11/2024 09:00-12:00 | 20/11/2024 14:00-17:00;;"
       "Élèves, Demandeurs d'emploi;oui;;oui;non;;Atelier {n};{n} rue de l'Usine;69007;Lyon;"
       "https://example.fr/inscription;20;Accès en fauteuil;moteur;Mécanique {n};Entreprise;;"
       "atelier{n}@example.fr;04 72 00 00 00")


def spreadsheet(rows: int, tag: str) -> bytes:
    header = ";".join(c.header for c in COLUMNS)
    lines = [ROW.format(ref=f"{tag}-{n}", n=n) for n in range(rows)]
    return ("\ufeff" + "\r\n".join([header, *lines]) + "\r\n").encode()


def intake_bodies(rows: int, tag: str) -> list[bytes]:
    body = {
        "title": "Visite de l'atelier", "kind": "workshop",
        "description": "Métiers de l'usinage, de la soudure et de la maintenance industrielle.",
        "timings": [{"starts_at": "2024-11-18T09:00:00+01:00", "ends_at": "2024-11-18T12:00:00+01:00"},
                    {"starts_at": "2024-11-20T14:00:00+01:00", "ends_at": "2024-11-20T17:00:00+01:00"}],
        "audiences": ["pupils", "job_seekers"], "is_free": True, "informs_about_industry": True,
        "location": {"street": "1 rue de l'Usine", "postcode": "69007", "city": "Lyon"},
        "accessibility_codes": ["motor"],
        "organizer": {"name": "Mécanique", "type": "company", "email": "a@example.fr"},
    }
    return [json.dumps({**body, "title": f"Visite de l'atelier {tag} {n}"}).encode()
            for n in range(rows)]


async def timed_import(client: httpx.AsyncClient, url: str, data: bytes, *, dry_run: bool,
                       expect: str, rows: int) -> float:
    start = time.perf_counter()
    r = await client.post(f"{url}/v1/submissions/import", content=data,
                          params={"dry_run": "true"} if dry_run else None,
                          headers={"Content-Type": "text/csv"})
    elapsed = time.perf_counter() - start
    answer = r.json()
    assert r.status_code == 200, r.text[:300]
    counts = answer["counts"]
    assert counts.get(expect) == rows, counts  # every row did what the phase says
    return elapsed


async def timed_posts(url: str, bodies: list[bytes]) -> float:
    """The events one by one, 64 in flight, through bare keep-alive connections (httpx
    would cost the client as much CPU as the service spends)."""
    http = BareHTTP(url, size=64, timeout=60)

    async def one(body: bytes) -> None:
        status, _, data = await http.request("POST", "/v1/submissions", body)
        assert status == 202, data[:200]

    start = time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    elapsed = time.perf_counter() - start
    await http.aclose()
    return elapsed


async def run(args: argparse.Namespace, fast: str, slow: str) -> None:
    times: dict[str, list[float]] = {k: [] for k in (
        "dry run", "import", "again", "import, 1 at a time", "500 POSTs")}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        for url, tag in ((fast, "warm-a"), (slow, "warm-b")):  # fresh rows for each process
            await timed_import(client, url, spreadsheet(20, tag), dry_run=False,
                               expect="created", rows=20)
        for r in range(args.rounds):
            data = spreadsheet(args.rows, f"r{r}")
            times["dry run"].append(await timed_import(
                client, fast, data, dry_run=True, expect="valid", rows=args.rows))
            times["import"].append(await timed_import(
                client, fast, data, dry_run=False, expect="created", rows=args.rows))
            times["again"].append(await timed_import(
                client, fast, data, dry_run=False, expect="unchanged", rows=args.rows))
            times["import, 1 at a time"].append(await timed_import(
                client, slow, spreadsheet(args.rows, f"s{r}"), dry_run=False, expect="created",
                rows=args.rows))
            times["500 POSTs"].append(await timed_posts(fast, intake_bodies(args.rows, f"p{r}")))
    print(f"import benchmark: {args.rows} rows, {args.rounds} rounds, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'phase':<22} {'median s':>9} {'best s':>8} {'rows/s':>8} {'vs import':>10}")
    base = statistics.median(times["import"])
    for phase, values in times.items():
        median = statistics.median(values)
        print(f"{phase:<22} {median:9.2f} {min(values):8.2f} {args.rows / median:8.0f} "
              f"{median / base:10.2f}")
    print(f"time to the per-row answer: dry run {statistics.median(times['dry run']):.2f} s, "
          f"real {base:.2f} s for {args.rows} rows; publishing one row after the other takes "
          f"{statistics.median(times['import, 1 at a time']) / base:.1f} times as long")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--rows", type=int, default=500)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        env = {"RATE_LIMIT_PER_MINUTE": "0", "IMPORT_RATE_LIMIT_PER_MINUTE": "0",
               "RETENTION_INTERVAL": "0", "LOG_LEVEL": "WARNING",
               "EDITION_FILE": str(REPO / "config" / "trial" / "2024-open.toml")}
        stack = Stack(Path(tmp), env=env)
        try:
            asyncio.run(bootstrap(stack.start_nats()))
            fast = stack.start("submission", DATA_DIR=str(Path(tmp) / "a"))
            slow = stack.start("submission", replica=2, DATA_DIR=str(Path(tmp) / "b"),
                               IMPORT_CONCURRENCY="1")
            asyncio.run(run(args, fast.url, slow.url))
        finally:
            stack.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
