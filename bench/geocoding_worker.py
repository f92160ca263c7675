"""Benchmark: the geocoding worker's messages/s through a real nats-server.

    uv run python bench/geocoding_worker.py [--messages 2000] [--rounds 3]

Each variant gets a fresh nats-server (topology bootstrapped) and the shared runtime's
``Worker`` on the ``geocoding`` durable consumer; N ``labelled`` events (real mairie
addresses of tests/data/mairie_addresses.csv, a third of them written in capitals without
accents, a tenth with a city that does not exist) are published concurrently as a
backlog; then the worker starts and the time runs until the consumer has nothing pending
nor unacknowledged (the drain rate, what KEDA scales on). Variants, in the same run:

- ``noop-ack``: a handler that does nothing (the runtime's own cost: fetch, parse, ack);
- ``noop-publish``: a handler that publishes a ``Geocoded`` without a point (adds the
  output publish every real handler pays);
- ``gazetteer``: the geocoding worker with ``GEOCODER_CHAIN=gazetteer`` (what one machine
  runs): commune lookup, then ``Geocoded`` or ``LocationUnresolved``.

The machine is shared: compare the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import statistics
import tempfile
import time
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import nats
from geocoding.app import build_worker
from geocoding.chain import build_chain
from geocoding.gazetteer import default_gazetteer
from geocoding.settings import GeocodingSettings
from sdi_common import subjects, topology
from sdi_common.bootstrap import bootstrap
from sdi_common.contracts import Geocoded, Judged, Submission
from sdi_common.logging import configure_logging
from sdi_common.natsconn import publish_event
from sdi_common.testing import nats_server
from sdi_common.worker import Worker

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "data" / "mairie_addresses.csv"
PARIS = ZoneInfo("Europe/Paris")


def events(n: int) -> list[Judged]:
    with SAMPLE.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for i in range(n):
        row = rows[i % len(rows)]
        street, city = row["street"], row["city"]
        if i % 3 == 1:
            street, city = plain(street).upper(), plain(city).upper()
        if i % 10 == 7:
            city = f"Zzyzx-{i}"
        submission = Submission(
            title="Visite de l'atelier de mécanique",
            kind="company_visit",
            starts_at=datetime(2024, 11, 20, 9, tzinfo=PARIS),
            ends_at=datetime(2024, 11, 20, 12, tzinfo=PARIS),
            audiences=["pupils"],
            is_free=True,
            informs_about_industry=True,
            location={"street": street, "postcode": row["postcode"], "city": city},
            organizer={"name": "Atelier", "type": "company"},
        )
        out.append(
            Judged(
                type="labelled",
                submission_id=f"b{i}",
                version=1,
                by="validation",
                submission=submission,
                edition="2024",
            )
        )
    return out


def plain(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


def noop_worker(settings: GeocodingSettings, publish: bool) -> Worker:
    worker = Worker(
        settings,
        topology.GEOCODING,
        publishes={"geocoded": Geocoded},
        batch_size=settings.fetch_batch,
    )

    @worker.handler
    async def handle(event, ctx) -> None:
        if publish:
            await worker.publish(
                Geocoded(
                    submission_id=event.submission_id,
                    version=event.version,
                    by="bench",
                    submission=event.submission,
                    location=None,
                ),
                ctx,
            )

    return worker


async def run_variant(variant: str, batch: list[Judged]) -> dict:
    with tempfile.TemporaryDirectory() as tmp, nats_server(Path(tmp)) as url:
        await bootstrap(url)
        settings = GeocodingSettings(
            nats_url=url, service_name=f"bench-{variant}", log_level="WARNING"
        )
        chain = None
        if variant == "gazetteer":
            chain = build_chain(settings, default_gazetteer())
            worker = build_worker(settings, chain)
        else:
            worker = noop_worker(settings, publish=variant == "noop-publish")
        nc = await nats.connect(url)
        js = nc.jetstream()
        sem = asyncio.Semaphore(256)

        async def pub(event: Judged) -> None:
            async with sem:
                await publish_event(js, event)

        t0 = time.perf_counter()
        await asyncio.gather(*(pub(e) for e in batch))  # the backlog, published concurrently
        publish_rate = len(batch) / (time.perf_counter() - t0)

        start = time.perf_counter()
        await worker.broker.start()
        while True:
            await asyncio.sleep(0.01)
            info = await js.consumer_info(subjects.STREAM, topology.GEOCODING.durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                break
        elapsed = time.perf_counter() - start
        redelivered = info.num_redelivered
        outcomes = Counter()
        for subject in (subjects.GEOCODED, subjects.LOCATION_UNRESOLVED):
            state = await js.stream_info(subjects.STREAM, subjects_filter=subject)
            outcomes[subject.split(".")[1]] = (state.state.subjects or {}).get(subject, 0)
        await worker.broker.stop()
        if chain is not None:
            await chain.aclose()
        await nc.close()
    return {
        "rate": len(batch) / elapsed,
        "seconds": elapsed,
        "publish_rate": publish_rate,
        "redelivered": redelivered,
        "outcomes": dict(outcomes),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    configure_logging("bench", "WARNING", "console")
    default_gazetteer()  # loaded once, outside the timings
    batch = events(args.messages)
    variants = ("noop-ack", "noop-publish", "gazetteer")
    rates: dict[str, list[float]] = {v: [] for v in variants}
    last: dict[str, dict] = {}
    for r in range(args.rounds):
        for variant in variants:
            res = await run_variant(variant, batch)
            rates[variant].append(res["rate"])
            last[variant] = res
            print(
                f"round {r + 1} {variant:13s} {res['rate']:8.0f} msg/s "
                f"({res['seconds']:.2f} s; backlog published at "
                f"{res['publish_rate']:.0f}/s; redelivered {res['redelivered']}) "
                f"{res['outcomes']}",
                flush=True,
            )
    med = {v: statistics.median(rates[v]) for v in variants}
    print(f"\n{args.messages} labelled events per run, median of {args.rounds} round(s):")
    for v in variants:
        print(
            f"  {v:13s} {med[v]:8.0f} msg/s   ratio to noop-ack {med[v] / med['noop-ack']:.2f}"
            f"   to noop-publish {med[v] / med['noop-publish']:.2f}"
        )
    out = last["gazetteer"]["outcomes"]
    print(f"  gazetteer outcomes (last run): {out}")


if __name__ == "__main__":
    asyncio.run(main())
