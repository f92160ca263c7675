"""Benchmark: the validation worker's messages/s through a real nats-server.

    uv run python bench/validation_worker.py [--messages 2000] [--rounds 2]

Starts a nats-server (JetStream, temp dir) with the real topology. Each round fills the
``validation`` consumer's backlog with N ``Received`` (published concurrently with
``publish_async``, not one awaited publish after another), then starts a worker and times
until the consumer is drained (nothing pending, nothing awaiting ack):

- ``no-op``: the shared runtime (fetch, parse, ack) with a handler that does nothing;
- ``real``: the validation handler (judge the six rules, publish the ``Judged`` with its
  JetStream ack, metrics, one INFO log line per verdict, rendered to /dev/null).

Rounds alternate so both see the same machine load; the figure to read is the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta

import nats
from sdi_common import subjects, topology
from sdi_common.bootstrap import bootstrap
from sdi_common.contracts import Received, Submission
from sdi_common.editions import EDITIONS_DIR, read_edition
from sdi_common.logging import configure_logging
from sdi_common.natsconn import event_headers
from sdi_common.settings import ServiceSettings
from sdi_common.testing import nats_server
from sdi_common.worker import Worker
from validation.app import build_worker
from validation.settings import ValidationSettings

TITLES = [
    ("Visite de l'usine de moteurs électriques", "Lignes de production et métiers de l'usinage."),
    ("Atelier pâtisserie", "Des gâteaux pour les enfants."),
    ("Webinaire : les métiers de l'aéronautique", "Témoignages d'ingénieures."),
    ("Forum des métiers de l'industrie", "Trente entreprises industrielles présentes."),
]


def received(i: int, tag: str) -> Received:
    title, description = TITLES[i % len(TITLES)]
    start = datetime(2024, 11, 20, 8, tzinfo=UTC) + timedelta(days=(i % 30) - 15)
    return Received(
        submission_id=f"{tag}-{i}",
        version=1,
        by="organizer",
        received_at=datetime(2024, 10, 20, tzinfo=UTC),
        submission=Submission(
            title=title, description=description, kind="company_visit",
            timings=[{"starts_at": start, "ends_at": start + timedelta(hours=3)}],
            audiences=["pupils"], is_free=i % 7 != 0, informs_about_industry=True,
            organizer={"name": "Bench", "type": "company"},
        ),
    )


async def fill_backlog(js, n: int, tag: str) -> float:
    """Publish n Received concurrently; returns the publish rate (msg/s)."""
    payloads = [received(i, tag) for i in range(n)]
    t0 = time.perf_counter()
    futures = [
        await js.publish_async(subjects.RECEIVED, e.model_dump_json().encode(),
                               headers=event_headers(e), wait_stall=30)
        for e in payloads
    ]
    acks = await asyncio.gather(*futures)
    assert len(acks) == n and not any(a.duplicate for a in acks)
    return n / (time.perf_counter() - t0)


async def drain_time(js, worker: Worker, n: int) -> float:
    t0 = time.perf_counter()
    await worker.start()
    try:
        while True:
            info = await js.consumer_info(subjects.STREAM, topology.VALIDATION.durable)
            if info.num_pending == 0 and info.num_ack_pending == 0:
                return time.perf_counter() - t0
            await asyncio.sleep(0.01)
    finally:
        await worker.stop()


async def verdict_count(js) -> int:
    info = await js.stream_info(subjects.STREAM, subjects_filter=f"{subjects.PREFIX}.*")
    counts = info.state.subjects or {}
    return sum(v for k, v in counts.items() if k != subjects.RECEIVED)


async def main_async(n_total: int, rounds: int) -> None:
    edition = read_edition(EDITIONS_DIR / "2024.toml")
    with tempfile.TemporaryDirectory() as tmp, nats_server(tmp) as url:
        await bootstrap(url)
        nc = await nats.connect(url)
        js = nc.jetstream(publish_async_max_pending=4000)
        rates: dict[str, list[float]] = {"no-op": [], "real": []}
        publish_rates = []
        # round 0 warms up (connections, imports, JIT-free but cache-hungry Python): not counted
        for r in range(rounds + 1):
            for kind in ("no-op", "real"):
                n = max(200, n_total // 10) if r == 0 else n_total
                before = await verdict_count(js)
                publish_rates.append(await fill_backlog(js, n, f"{kind}{r}"))
                if kind == "real":
                    worker = build_worker(ValidationSettings(nats_url=url), edition)
                else:
                    worker = Worker(ServiceSettings(nats_url=url, service_name="noop"),
                                    topology.VALIDATION)

                    @worker.handler
                    async def noop(event, ctx) -> None:
                        return None

                seconds = await drain_time(js, worker, n)
                made = await verdict_count(js) - before
                assert made == (n if kind == "real" else 0), (kind, made)
                label = "warm-up" if r == 0 else f"round {r}"
                if r:
                    rates[kind].append(n / seconds)
                print(f"{label} {kind:>5}: {n} messages in {seconds:.2f} s = "
                      f"{n / seconds:,.0f} msg/s")
        await nc.close()
    noop, real = max(rates["no-op"]), max(rates["real"])
    print(f"publish (concurrent, into the backlog): best {max(publish_rates):,.0f} msg/s")
    print(f"no-op handler: best {noop:,.0f} msg/s")
    print(f"real handler:  best {real:,.0f} msg/s  ({real / noop:.2f} x the no-op handler)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    configure_logging("validation-bench", "INFO")
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 (lives as long as the run)
    logging.getLogger("faststream").setLevel(logging.WARNING)
    asyncio.run(main_async(args.messages, args.rounds))


if __name__ == "__main__":
    main()
