"""Benchmark: the geocoding worker's messages/s through a real nats-server.

    uv run python bench/geocoding_worker.py [--messages 2000] [--rounds 3] [--addok 1000]

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

With ``--addok N``: N events through ``GEOCODER_CHAIN=addok,gazetteer`` against a real
addok (own redis-server, the mairie sample indexed), once with a cold GEOCACHE and once
more, the same addresses as new submissions, with a warm one.

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
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import nats
from geocoding.app import build_service, build_worker
from geocoding.chain import build_chain
from geocoding.gazetteer import default_gazetteer
from geocoding.settings import GeocodingSettings
from sdi_common import subjects, topology
from sdi_common.bootstrap import bootstrap
from sdi_common.contracts import Geocoded, Judged, Submission
from sdi_common.logging import configure_logging
from sdi_common.natsconn import publish_event
from sdi_common.testing import nats_server
from sdi_common.testing.addok import read_mairies, running_addok
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
            timings=[{"starts_at": datetime(2024, 11, 20, 9, tzinfo=PARIS),
                      "ends_at": datetime(2024, 11, 20, 12, tzinfo=PARIS)}],
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
        publishes=("geocoded",),
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


async def publish_backlog(js, batch: list[Judged]) -> float:
    """Publish the events concurrently; returns the publish rate."""
    sem = asyncio.Semaphore(256)

    async def pub(event: Judged) -> None:
        async with sem:
            await publish_event(js, event)

    t0 = time.perf_counter()
    await asyncio.gather(*(pub(e) for e in batch))
    return len(batch) / (time.perf_counter() - t0)


async def drain(js, worker: Worker, n: int) -> dict:
    """Start the worker and time it until the consumer has nothing pending nor unacked."""
    start = time.perf_counter()
    await worker.start()
    while True:
        await asyncio.sleep(0.01)
        info = await js.consumer_info(subjects.STREAM, topology.GEOCODING.durable)
        if info.num_pending == 0 and info.num_ack_pending == 0:
            break
    elapsed = time.perf_counter() - start
    await worker.stop()
    return {"rate": n / elapsed, "seconds": elapsed, "redelivered": info.num_redelivered}


async def outcomes(js) -> dict[str, int]:
    out = {}
    for subject in (subjects.GEOCODED, subjects.LOCATION_UNRESOLVED):
        state = await js.stream_info(subjects.STREAM, subjects_filter=subject)
        out[subject.split(".")[1]] = (state.state.subjects or {}).get(subject, 0)
    return out


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
        publish_rate = await publish_backlog(js, batch)
        res = await drain(js, worker, len(batch))
        res.update(publish_rate=publish_rate, outcomes=await outcomes(js))
        if chain is not None:
            await chain.aclose()
        await nc.close()
    return res


async def run_addok(batch: list[Judged]) -> dict:
    """GEOCODER_CHAIN=addok,gazetteer against a real addok (the mairie sample indexed):
    a cold GEOCACHE, then the same addresses again (new submissions) with a warm one."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        nats_server(Path(tmp) / "nats") as url,
        running_addok(Path(tmp), read_mairies()) as addok_url,
    ):
        await bootstrap(url)
        settings = GeocodingSettings(
            nats_url=url,
            service_name="bench-addok",
            log_level="WARNING",
            geocoder_chain="addok,gazetteer",
            addok_url=addok_url,
            addok_rate=1000,
            # addok's debug server is single-threaded with a listen backlog of 5
            http_max_connections=4,
        )
        nc = await nats.connect(url)
        js = nc.jetstream()
        res = {}
        for name, events_ in (
            ("cold", batch),
            (
                "warm",
                [e.model_copy(update={"submission_id": "w" + e.submission_id}) for e in batch],
            ),
        ):
            worker, chain = build_service(settings, default_gazetteer())
            await publish_backlog(js, events_)
            res[name] = await drain(js, worker, len(events_))
            await chain.aclose()
        res["outcomes"] = await outcomes(js)
        await nc.close()
    return res


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--addok",
        type=int,
        default=0,
        metavar="N",
        help="also N events through a real addok (cold, then warm GEOCACHE)",
    )
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
    if args.addok:
        res = await run_addok(events(args.addok))
        cold, warm = res["cold"], res["warm"]
        print(f"\naddok,gazetteer chain, {args.addok} events (each pass once):")
        print(
            f"  cold GEOCACHE {cold['rate']:8.0f} msg/s   warm GEOCACHE {warm['rate']:8.0f} "
            f"msg/s   warm/cold {warm['rate'] / cold['rate']:.2f}   "
            f"warm/gazetteer-only {warm['rate'] / med['gazetteer']:.2f}"
        )
        print(f"  outcomes of both passes: {res['outcomes']}")


if __name__ == "__main__":
    asyncio.run(main())
