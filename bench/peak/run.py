"""The registration rush: load the whole stack, measure it, and check that nothing is lost.

Two ways to run it:

    # against `make run` (EDITION_FILE=config/trial/2024-open.toml make run), using the
    # NATS URL printed in its banner:
    uv run python bench/peak/run.py --base-url http://127.0.0.1:8001 \
        --feed-url http://127.0.0.1:8004 --nats-url nats://127.0.0.1:PORT --rate 100

    # self-contained: a fresh nats-server and the four services in a temp dir
    uv run python bench/peak/run.py --rate 100 --duration 20
    uv run python bench/peak/run.py --rate 500 --duration 20      # the ≥ 500/s goal
    uv run python bench/peak/run.py --drain --backlog 3000        # 1 vs 2 replicas

The load is open-loop: submissions are started on a schedule (a linear ramp from a tenth of
the target rate to the target, then a hold), whatever the answers; each client retries with
its Idempotency-Key on 429, 503, 5xx and timeouts. The mix comes from
``scripts/sample_events.py`` (≈70 % labelled, 20 % rejected, 10 % needs review, 10 % online).

Measured: offered and accepted rates; per-stage throughput from the SUBMISSIONS stream's
per-subject counts (received, judged, geocoded, published) sampled every 0.5 s; consumer
lag of the four durables over time; accepted → visible latency (202 received → first
`upsert` of that id on the feed's SSE stream), p50/p95/p99. Checked at the end: every accepted
id has exactly one settled status through the submission API (no loss), one `received` and
one verdict per accepted id on the stream, and the feed's ids are unique and are exactly the
published ones (no duplicates). Writes ``bench/results/peak-<timestamp>.json`` and a PNG.

The ratio-to-baseline rule of the house: the same run measures a trivial endpoint of the
submission service (``GET /healthz``) at the same concurrency; the intake rate is reported
beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import sample_events
import stackclient
from stackclient import SETTLED, Background, Bus, FeedWatcher

RESULTS = REPO / "bench" / "results"
EDITION = REPO / "config" / "trial" / "2024-open.toml"
JUDGED = ("submissions.labelled", "submissions.rejected", "submissions.needs_review")
PLACED = ("submissions.geocoded", "submissions.location_unresolved")
STAGES = {
    "received": ("submissions.received",),
    "judged (validation)": JUDGED,
    "placed (geocoding)": PLACED,
    "published (map-feed)": ("submissions.published",),
}


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_cpu(stack) -> dict[str, float]:
    """CPU seconds so far of each process of a self-contained stack (empty otherwise)."""
    out: dict[str, float] = {}
    if stack is None:
        return out
    for (name, replica), p in stack.processes.items():
        if p.alive():
            out[f"{name}-{replica}"] = cpu_seconds(p.proc.pid)
    if stack.nats and stack.nats.proc:
        out["nats-server"] = cpu_seconds(stack.nats.proc.pid)
    return out


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg_at_start": os.getloadavg(),
    }


# --------------------------------------------------------------------------- the stack


class Target:
    """Where the stack is: URLs of submission and map-feed, and the NATS URL."""

    def __init__(self, base_url: str, feed_url: str, nats_url: str, stack=None):
        self.base_url, self.feed_url, self.nats_url, self.stack = (
            base_url,
            feed_url,
            nats_url,
            stack,
        )


def own_stack(data_dir: Path, env: dict[str, str] | None = None):
    from sdi_common.stack import Stack

    return Stack(
        data_dir=data_dir,
        env={
            "EDITION_FILE": str(EDITION),
            "LOG_LEVEL": "WARNING",
            # each simulated organiser has its own address (X-Forwarded-For), as behind the
            # production proxy, so the per-client rate limit applies per organiser
            "TRUST_FORWARDED_FOR": "true",
            "TRUSTED_PROXIES": "127.0.0.1/32",  # the load generator plays the proxy
            **(env or {}),
        },
    )


# --------------------------------------------------------------------------- sampling


class Sampler(Background):
    """Every `interval` s: per-subject counts and consumer lag, with a timestamp."""

    def __init__(self, bus: Bus, t0: float, interval: float = 0.5):
        self.bus, self.t0, self.interval = bus, t0, interval
        self.rows: list[dict] = []

    async def sample(self) -> dict | None:
        try:
            counts, lag = await self.bus.subject_counts(), await self.bus.lag()
        except Exception:  # noqa: BLE001 - nats restarting: skip this point
            return None
        row = {"t": round(time.monotonic() - self.t0, 3), "counts": counts, "lag": lag}
        self.rows.append(row)
        return row

    async def _run(self) -> None:
        while True:
            await self.sample()
            await asyncio.sleep(self.interval)


def stage_count(row: dict, subjects: tuple[str, ...], base: dict) -> int:
    return sum(row["counts"].get(s, 0) - base.get(s, 0) for s in subjects)


def stage_rates(rows: list[dict], base: dict, window: float = 5.0) -> dict:
    """Per stage: mean rate over the whole run and the best `window`-second rate."""
    out = {}
    for stage, subjects in STAGES.items():
        series = [(r["t"], stage_count(r, subjects, base)) for r in rows]
        best = 0.0
        j = 0
        for t, c in series:
            while series[j][0] < t - window:
                j += 1
            if t - series[j][0] >= window * 0.8:
                best = max(best, (c - series[j][1]) / (t - series[j][0]))
        active = [(t, c) for t, c in series if c > 0]
        mean = None
        if len(active) >= 2 and active[-1][0] > active[0][0]:
            first_t = active[0][0]
            last_t = next(t for t, c in active if c == active[-1][1])
            if last_t > first_t:
                mean = (active[-1][1] - active[0][1]) / (last_t - first_t)
        out[stage] = {
            "total": series[-1][1] if series else 0,
            "mean_per_s": round(mean, 1) if mean else None,
            f"best_{window:.0f}s_per_s": round(best, 1),
        }
    return out


def lag_is_zero(row: dict | None) -> bool:
    return bool(row) and stackclient.drained(row["lag"])


# --------------------------------------------------------------------------- load


async def baseline(base_url: str, concurrency: int, seconds: float = 3.0) -> float:
    """Requests/s of the trivial GET /healthz of the same server, at the same concurrency and
    with the same bare client as the load (the house's ratio-to-baseline rule)."""
    done = 0
    stop = time.monotonic() + seconds
    client = stackclient.BareHTTP(base_url, concurrency, 5.0)

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < stop:
            try:
                status, _, _ = await client.request("GET", "/healthz")
                done += status == 200
            except (OSError, TimeoutError, asyncio.IncompleteReadError):
                pass

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    took = time.monotonic() - t0
    await client.aclose()
    return done / took


async def offer_load(
    client: stackclient.BareHTTP | httpx.AsyncClient,
    gen: sample_events.Generator,
    rate: float,
    ramp: float,
    hold: float,
    max_in_flight: int,
    t0: float,
    on_tick=None,
) -> tuple[list[stackclient.Submitted], dict]:
    """Start submissions on an open-loop schedule; returns every outcome and the schedule
    slippage (how late the generator started requests, when it could not keep up)."""
    results: list[stackclient.Submitted] = []
    tasks: set[asyncio.Task] = set()
    sem = asyncio.Semaphore(max_in_flight)
    start = time.monotonic()
    # schedule: rate(t) = r0 + (rate - r0) * t / ramp during the ramp, then `rate`
    r0 = rate / 10
    late = []
    n = 0
    t_sched = 0.0
    total = ramp + hold

    async def one(sample):
        async with sem:
            results.append(await stackclient.submit(client, sample))

    async def progress():
        while True:
            await asyncio.sleep(2)
            done = len(results)
            print(
                f"  t={time.monotonic() - start:5.1f}s offered={n} done={done} "
                f"accepted={sum(r.accepted for r in results)} in_flight={n - done}",
                file=sys.stderr,
                flush=True,
            )

    reporter = asyncio.create_task(progress())

    while t_sched < total:
        now = time.monotonic() - start
        if t_sched > now:
            await asyncio.sleep(t_sched - now)
        late.append(max(0.0, time.monotonic() - start - t_sched))
        task = asyncio.create_task(one(gen.sample()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
        current = r0 + (rate - r0) * min(1.0, t_sched / ramp) if ramp > 0 else rate
        t_sched += 1.0 / current
        if on_tick and n % 200 == 0:
            on_tick(n)
    offered_for = time.monotonic() - start
    await asyncio.gather(*tasks)
    reporter.cancel()
    return results, {
        "offered": n,
        "offered_for_s": round(offered_for, 2),
        "schedule_late_p99_s": round(pct(late, 99) or 0, 3),
        "load_started_at_t": round(start - t0, 3),
    }


async def check(
    client: httpx.AsyncClient,
    feed_client: httpx.AsyncClient,
    accepted: list[stackclient.Submitted],
    base_counts: dict,
    end_counts: dict,
    exclusive: bool,
    settle_timeout: float,
) -> dict:
    """Zero loss, zero duplicates, and the outcomes against the generator's expectations."""
    final = await stackclient.wait_settled(client, accepted, timeout=settle_timeout)
    statuses = Counter(final.get(s.id, {}).get("status", "missing") for s in accepted)
    unsettled = [s.id for s in accepted if final.get(s.id, {}).get("status") not in SETTLED]
    # a settled status reached more than once in the history = a duplicate decision
    multi_final = [
        sid
        for sid, body in final.items()
        if sum(1 for st in stackclient.history_statuses(body) if st in SETTLED - {"needs_review"})
        > 1
    ]
    ids = {s.id for s in accepted}
    published = {sid for sid, body in final.items() if body.get("status") == "published"}
    feed = await stackclient.feed_ids(feed_client)
    feed_dupes = [i for i, c in Counter(feed).items() if c > 1]
    ours_in_feed = {i for i in feed if i in ids}
    mismatch = Counter(
        (s.sample.expected_status, final.get(s.id, {}).get("status", "missing"))
        for s in accepted
        if final.get(s.id, {}).get("status") != s.sample.expected_status
    )

    def delta(subjects):
        return sum(end_counts.get(x, 0) - base_counts.get(x, 0) for x in subjects)

    out = {
        "accepted": len(accepted),
        "accepted_unique_ids": len(ids),
        "statuses": dict(statuses),
        "unsettled": len(unsettled),
        "unsettled_sample": unsettled[:5],
        "more_than_one_final_status": len(multi_final),
        "feed_duplicates": len(feed_dupes),
        "published_not_in_feed": len(published - ours_in_feed),
        "in_feed_not_published": len(ours_in_feed - published),
        "stream_received": delta(("submissions.received",)),
        "stream_judged": delta(JUDGED),
        "stream_published": delta(("submissions.published",)),
        "expected_vs_got_mismatches": {f"{a}->{b}": c for (a, b), c in mismatch.items()},
    }
    if exclusive:  # the stack holds only this run's events
        out["feed_size"] = len(feed)
        out["feed_not_ours"] = len(set(feed) - ids)
    out["ok"] = (
        out["unsettled"] == 0
        and out["accepted_unique_ids"] == out["accepted"]
        and out["more_than_one_final_status"] == 0
        and out["feed_duplicates"] == 0
        and out["published_not_in_feed"] == 0
        and out["in_feed_not_published"] == 0
        and out["stream_received"] == len(accepted)
        and out["stream_judged"] == len(accepted)
        and (not exclusive or out["feed_not_ours"] == 0)
    )
    return out


async def peak(args: argparse.Namespace, target: Target) -> dict:
    t0 = time.monotonic()
    gen = sample_events.Generator(seed=args.seed, tag=f"peak{int(time.time())}")
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    async with (
        Bus(target.nats_url) as bus,
        httpx.AsyncClient(base_url=target.base_url, timeout=args.timeout, limits=limits) as client,
        httpx.AsyncClient(base_url=target.feed_url, timeout=30) as feed_client,
    ):
        base_rps = await baseline(target.base_url, args.connections)
        watcher = FeedWatcher(target.feed_url).start()
        await asyncio.wait_for(watcher.connected.wait(), 10)
        sampler = Sampler(bus, t0)
        base_row = await sampler.sample()
        base_counts = base_row["counts"] if base_row else {}
        sampler.start()
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"offering a ramp to {args.rate}/s over {args.ramp}s, then {args.duration}s ...",
            flush=True,
        )
        poster = stackclient.BareHTTP(target.base_url, args.connections, args.timeout)
        cpu0 = process_cpu(target.stack)
        results, sched = await offer_load(
            poster, gen, args.rate, args.ramp, args.duration, args.max_in_flight, t0
        )
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu1 = process_cpu(target.stack)
        await poster.aclose()
        load_end = time.monotonic()
        accepted = [r for r in results if r.accepted]
        # wait for the pipeline to drain (all durables at zero), then for the feed to catch up
        deadline = time.monotonic() + args.settle
        row = None
        while time.monotonic() < deadline:
            row = await sampler.sample()
            if lag_is_zero(row) and stage_count(row, JUDGED, base_counts) >= len(accepted):
                break
            await asyncio.sleep(0.5)
        drained_after = time.monotonic() - load_end
        await asyncio.sleep(1.0)  # the last SSE upserts
        await sampler.stop()
        end_counts = (await bus.subject_counts()) if sampler.rows else {}
        checks = await check(
            client,
            feed_client,
            accepted,
            base_counts,
            end_counts,
            exclusive=target.stack is not None,
            settle_timeout=args.settle,
        )
        await watcher.stop()
        dead = await bus.deadletter_count()

    # accepted -> visible latency, for the ones that reached the feed
    lat_all, lat_hold, posted_to_feed = [], [], []
    hold_from = t0 + sched["load_started_at_t"] + args.ramp
    for r in accepted:
        seen = watcher.first_seen.get(r.id)
        if seen is not None:
            # 0 when the event was in the feed before the client read its 202
            lat = max(0.0, seen - r.accepted_at)
            posted_to_feed.append(seen - r.started)
            lat_all.append(lat)
            if r.started >= hold_from:
                lat_hold.append(lat)
    http = Counter(r.http_status for r in results)
    retried = Counter()
    for r in results:
        retried.update(r.retried)
    intake = [r.accepted_at - r.started for r in accepted]
    hold_accepted = [r for r in accepted if r.started >= hold_from]
    hold_span = max((r.accepted_at for r in hold_accepted), default=hold_from) - hold_from
    result = {
        "kind": "peak",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": machine(),
        "target": {
            "base_url": target.base_url,
            "feed_url": target.feed_url,
            "self_contained": target.stack is not None,
        },
        "config": {
            k: getattr(args, k)
            for k in ("rate", "ramp", "duration", "seed", "connections", "max_in_flight")
        },
        "schedule": sched,
        "baseline_healthz_per_s": round(base_rps, 1),
        "http_final_status": {str(k): v for k, v in http.items()},
        "retries": dict(retried),
        "accepted_per_s_during_hold": round(len(hold_accepted) / hold_span, 1)
        if hold_span > 0
        else None,
        "intake_latency_s": {f"p{p}": round(pct(intake, p) or 0, 4) for p in (50, 95, 99)},
        "accepted_to_feed_s": {
            "n": len(lat_all),
            **{f"p{p}": round(pct(lat_all, p) or 0, 4) for p in (50, 95, 99)},
            "max": round(max(lat_all, default=0), 4),
        },
        "first_post_to_feed_s": {
            f"p{p}": round(pct(posted_to_feed, p) or 0, 4) for p in (50, 95, 99)
        },
        "accepted_to_feed_during_hold_s": {
            "n": len(lat_hold),
            **{f"p{p}": round(pct(lat_hold, p) or 0, 4) for p in (50, 95, 99)},
        },
        "stages": stage_rates(sampler.rows, base_counts),
        "drained_after_load_s": round(drained_after, 2),
        "max_lag": {
            d: max(
                (
                    r["lag"].get(d, {}).get("pending", 0)
                    + r["lag"].get(d, {}).get("ack_pending", 0)
                    for r in sampler.rows
                ),
                default=0,
            )
            for d in stackclient.DURABLES
        },
        "sse": {
            "reconnects": watcher.reconnects - 0,
            "resets": watcher.resets,
            "upserts": sum(watcher.upserts.values()),
        },
        "deadletters": dead,
        "cpu_s_during_load": {k: round(cpu1[k] - cpu0.get(k, 0), 2) for k in cpu1},
        "generator_cpu_s": round((ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime), 2),
        "checks": checks,
        "timeseries": sampler.rows,
        "latency_points": [
            [round(r.accepted_at - t0, 3), round(watcher.first_seen[r.id] - r.accepted_at, 4)]
            for r in accepted
            if r.id in watcher.first_seen
        ],
    }
    return result


# --------------------------------------------------------------------------- drain


async def _wait_lag(bus: Bus, durable: str, target: int, timeout: float) -> list[tuple[float, int]]:
    """Poll a durable's backlog until it is at most `target`; returns (t, backlog) points."""
    points = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lag = (await bus.lag()).get(durable)
        if lag is not None:
            left = lag["pending"] + lag["ack_pending"]
            points.append((time.monotonic(), left))
            if left <= target:
                break
        await asyncio.sleep(0.1)
    return points


def _drain_rate(points: list[tuple[float, int]], t_ready: float) -> dict:
    """Messages/s once every replica is ready (processes start at different speeds, so the
    window begins when the last one is up), until the backlog is empty."""
    after = [(t, left) for t, left in points if t >= t_ready]
    if len(after) < 2:
        return {"rate_per_s": None, "note": "drained before every replica was ready"}
    (t0, start_left), (t_end, left) = after[0], after[-1]
    span = t_end - t0
    return {
        "backlog_at_start": points[0][1],
        "backlog_when_all_ready": start_left,
        "drained": start_left - left,
        "seconds": round(span, 2),
        "rate_per_s": round((start_left - left) / span, 1) if span > 0 else None,
    }


async def post_all(client: httpx.AsyncClient, samples: list, concurrency: int) -> list:
    sem = asyncio.Semaphore(concurrency)

    async def post(s):
        async with sem:
            return await stackclient.submit(client, s)

    return await asyncio.gather(*(post(s) for s in samples))


async def drain(args: argparse.Namespace) -> dict:
    """Backlog drained by 1 and by 2 replicas of validation, then of geocoding."""
    out: dict = {
        "kind": "drain",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "machine": machine(),
        "backlog": args.backlog,
        "runs": {},
    }
    with tempfile.TemporaryDirectory(prefix="sdi-drain-") as tmp:
        stack = own_stack(Path(tmp))
        with stack:
            base = stack.url("submission")
            async with Bus(stack.nats_url) as bus:
                mix = sample_events.Mix(labelled=1.0, rejected=0.0, needs_review=0.0, online=0.0)
                gen = sample_events.Generator(seed=args.seed, mix=mix, tag="drain")
                for replicas in (1, 2):
                    # 1. stop both workers, fill the backlog through the public API
                    for name in ("validation", "geocoding"):
                        for rep in (1, 2):
                            if (name, rep) in stack.processes:
                                stack.stop(name, rep)

                    poster = stackclient.BareHTTP(base, args.connections, args.timeout)
                    res = await post_all(poster, gen.take(args.backlog), args.connections)
                    await poster.aclose()
                    n_ok = sum(r.accepted for r in res)
                    print(f"[{replicas} replica(s)] backlog of {n_ok} received", flush=True)
                    run: dict = {"accepted": n_ok}
                    # 2. validation drains received -> labelled (geocoding stays stopped)
                    for name, durable in (("validation", "validation"), ("geocoding", "geocoding")):
                        if name == "geocoding":  # a cold cache in every run: fair
                            await bus.js.purge_stream("KV_GEOCACHE")
                        for rep in range(1, replicas + 1):
                            stack.start(name, rep, wait=False)

                        def all_ready(name=name, replicas=replicas) -> float:
                            for rep in range(1, replicas + 1):
                                stack.wait_ready(name, rep)
                            return time.monotonic()

                        ready = asyncio.create_task(asyncio.to_thread(all_ready))
                        points = await _wait_lag(bus, durable, 0, args.settle)
                        run[name] = _drain_rate(points, await ready)
                        print(f"  {name}: {run[name]}", flush=True)
                    out["runs"][f"{replicas}_replica"] = run
                    await _wait_lag(bus, "map-feed-indexer", 0, args.settle)
    for name in ("validation", "geocoding"):
        r1 = out["runs"]["1_replica"][name].get("rate_per_s")
        r2 = out["runs"]["2_replica"][name].get("rate_per_s")
        out[f"{name}_speedup_2_vs_1"] = round(r2 / r1, 2) if r1 and r2 else None
    return out


# --------------------------------------------------------------------------- output


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["timeseries"]
    fig, axes = plt.subplots(3, 1, figsize=(10, 11), sharex=True)
    base = rows[0]["counts"] if rows else {}
    ts = [r["t"] for r in rows]
    ax = axes[0]
    for stage, subjects in STAGES.items():
        counts = [stage_count(r, subjects, base) for r in rows]
        w = 4  # samples: a 2 s moving window keeps the 0.5 s sampling noise out
        rates = [0.0] + [
            (counts[i] - counts[max(0, i - w)]) / max(1e-6, ts[i] - ts[max(0, i - w)])
            for i in range(1, len(ts))
        ]
        ax.plot(ts, rates, label=stage)
    ax.set_ylabel("events/s")
    ax.set_title(f"Per-stage throughput (target {result['config']['rate']}/s)")
    ax.legend(fontsize=8)
    ax = axes[1]
    for d in stackclient.DURABLES:
        ax.plot(
            ts,
            [
                r["lag"].get(d, {}).get("pending", 0) + r["lag"].get(d, {}).get("ack_pending", 0)
                for r in rows
            ],
            label=d,
        )
    ax.set_ylabel("consumer lag (messages)")
    ax.legend(fontsize=8)
    ax = axes[2]
    pts = result["latency_points"]
    if pts:
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=2, alpha=0.4)
    ax.set_yscale("log")
    ax.set_ylabel("accepted → in feed (s)")
    ax.set_xlabel("time since start (s)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def table(result: dict) -> str:
    if result["kind"] == "drain":
        lines = [
            "| worker | 1 replica (msg/s) | 2 replicas (msg/s) | speed-up |",
            "|---|---|---|---|",
        ]
        for name in ("validation", "geocoding"):
            r1 = result["runs"]["1_replica"][name].get("rate_per_s")
            r2 = result["runs"]["2_replica"][name].get("rate_per_s")
            lines.append(f"| {name} | {r1} | {r2} | {result.get(f'{name}_speedup_2_vs_1')} |")
        return "\n".join(lines)
    c, sch, il = result["checks"], result["schedule"], result["intake_latency_s"]
    lat, hold = result["accepted_to_feed_s"], result["accepted_to_feed_during_hold_s"]
    rows = [
        (
            "offered",
            f"{sch['offered']} in {sch['offered_for_s']} s (ramp to {result['config']['rate']}/s)",
        ),
        ("accepted (202)", f"{c['accepted']} ({result['accepted_per_s_during_hold']}/s in hold)"),
        ("baseline GET /healthz, same concurrency", f"{result['baseline_healthz_per_s']}/s"),
        ("HTTP final statuses / retries", f"{result['http_final_status']} / {result['retries']}"),
        ("intake latency p50/p99", f"{il['p50']} / {il['p99']} s"),
    ]
    for stage, st in result["stages"].items():
        rows.append(
            (
                f"{stage}: total, mean/s, best 5 s/s",
                f"{st['total']}, {st['mean_per_s']}, {st['best_5s_per_s']}",
            )
        )
    rows += [
        (
            f"accepted → feed p50/p95/p99 (all, n={lat['n']})",
            f"{lat['p50']} / {lat['p95']} / {lat['p99']} s",
        ),
        (
            f"accepted → feed p50/p95/p99 (hold, n={hold['n']})",
            f"{hold['p50']} / {hold['p95']} / {hold['p99']} s",
        ),
        (
            "first POST → feed p50/p95/p99 (client side, queueing included)",
            " / ".join(str(result["first_post_to_feed_s"][k]) for k in ("p50", "p95", "p99"))
            + " s",
        ),
        ("max consumer lag", result["max_lag"]),
        ("drained after load end", f"{result['drained_after_load_s']} s"),
        ("final statuses", c["statuses"]),
        (
            "loss: unsettled / >1 final status",
            f"{c['unsettled']} / {c['more_than_one_final_status']}",
        ),
        (
            "stream: received, judged vs accepted",
            f"{c['stream_received']}, {c['stream_judged']} vs {c['accepted']}",
        ),
        (
            "feed: duplicates / published missing / not published",
            f"{c['feed_duplicates']} / {c['published_not_in_feed']} / {c['in_feed_not_published']}",
        ),
        ("expected vs got mismatches", c["expected_vs_got_mismatches"] or "none"),
        ("dead letters", result["deadletters"]),
        ("CPU s during the load, per process", result["cpu_s_during_load"] or "n/a"),
        ("generator CPU (s)", result["generator_cpu_s"]),
        ("checks", "OK" if c["ok"] else "FAILED"),
    ]
    return "\n".join(["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows])


def write(result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{result['kind']}-{stamp}.json"
    if result["kind"] == "peak":
        path = RESULTS / f"peak-{stamp}.json"
        plot(result, path.with_suffix(".png"))
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return path


async def main_async(args: argparse.Namespace) -> int:
    if args.drain:
        result = await drain(args)
    elif args.base_url:
        target = Target(args.base_url, args.feed_url, args.nats_url)
        result = await peak(args, target)
    else:
        with tempfile.TemporaryDirectory(prefix="sdi-peak-") as tmp:
            data_dir = Path(args.data_dir) if args.data_dir else Path(tmp)
            with own_stack(data_dir) as stack:
                target = Target(
                    stack.url("submission"), stack.url("map-feed"), stack.nats_url, stack
                )
                result = await peak(args, target)
    path = write(result)
    print(table(result))
    print(f"\nwritten: {path}" + (" (+ .png)" if result["kind"] == "peak" else ""))
    return 0 if result["kind"] == "drain" or result["checks"]["ok"] else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Registration-rush load benchmark")
    p.add_argument("--base-url", help="submission service of a running stack; else self-contained")
    p.add_argument("--feed-url", default="http://127.0.0.1:8004")
    p.add_argument("--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    p.add_argument("--rate", type=float, default=100.0, help="target submissions/s")
    p.add_argument("--ramp", type=float, default=5.0, help="seconds of ramp to the target")
    p.add_argument("--duration", type=float, default=20.0, help="seconds at the target rate")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--max-in-flight", type=int, default=1024)
    p.add_argument("--timeout", type=float, default=10.0, help="client timeout per request")
    p.add_argument("--settle", type=float, default=60.0, help="seconds to wait for the drain")
    p.add_argument("--data-dir", help="keep the self-contained stack's data and logs here")
    p.add_argument("--drain", action="store_true", help="1 vs 2 replicas drain benchmark")
    p.add_argument("--backlog", type=int, default=2000)
    args = p.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
