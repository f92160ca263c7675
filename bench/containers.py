"""What the images weigh and cost, and what each container needs: the figures behind the
requests and limits of the manifests.

    .venv/bin/python bench/containers.py [--load 600] [--rate 10]      # root; make test-deps

On a fresh private engine (``sdi_common.testing.DockerEngine``, on the tests' local bases):

1. builds deploy/Dockerfile and deploy/addok/Dockerfile: seconds and MB;
2. runs the walking skeleton as the prod overlay declares it (sdi_common.testing.pods), without
   its limits (to see what each container takes): the time from a POST to that event in
   the feed;
3. each container's memory (peak resident set, sampled every 0.2 s; and the cgroup's own
   peak, page cache included) and CPU (cores, averaged), idle, then while ``--load``
   submissions arrive at ``--rate`` per second through one submission replica;
4. map-feed with 5,500 (an edition) then 100,000 events (what the clusters endpoint is
   built for) in the FEED bucket: its memory; and a second replica started with the
   manifest's own limit, to see whether it holds the 100,000 or is OOM-killed.

Prints each figure beside the manifest's request and limit. Figures are of this machine
(2 shared cores): CPU shares are indicative, memory is what sizes the limits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import nats

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "scripts"), str(REPO / "bench")]

import sample_events
from feed_common import fill
from sdi_common import subjects, topology
from sdi_common.stack import wait_until
from sdi_common.testing import DockerEngine
from sdi_common.testing.pods import EVENT, Skeleton, quantity

DEPLOY = REPO / "deploy"


class Cgroup:
    """A container's memory and CPU accounting (cgroup v1 or v2), found from its pid."""

    def __init__(self, pid: int) -> None:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        controllers = {c: path for _, cs, path in (line.split(":", 2) for line in lines)
                       for c in cs.split(",")}
        self.v1 = "memory" in controllers
        if self.v1:
            self.memory = Path("/sys/fs/cgroup/memory") / controllers["memory"].lstrip("/")
            self.cpu = Path("/sys/fs/cgroup/cpuacct") / controllers["cpuacct"].lstrip("/")
        else:
            self.memory = self.cpu = Path("/sys/fs/cgroup") / controllers[""].lstrip("/")

    def rss(self) -> int:
        stat = (self.memory / "memory.stat").read_text()
        key = r"^total_rss (\d+)$" if self.v1 else r"^anon (\d+)$"
        return int(re.search(key, stat, re.MULTILINE).group(1))

    def peak(self) -> int:
        name = "memory.max_usage_in_bytes" if self.v1 else "memory.peak"
        return int((self.memory / name).read_text())

    def cpu_seconds(self) -> float:
        if self.v1:
            return int((self.cpu / "cpuacct.usage").read_text()) / 1e9
        usage = re.search(r"^usage_usec (\d+)$", (self.cpu / "cpu.stat").read_text(), re.MULTILINE)
        return int(usage.group(1)) / 1e6


class Sampler:
    """Peak RSS and CPU of each container over a phase (a thread samples every 0.2 s)."""

    def __init__(self, groups: dict[str, Cgroup]) -> None:
        self.groups = groups
        self.peak_rss = dict.fromkeys(groups, 0)
        self._stop = threading.Event()

    def __enter__(self):
        self.t0 = time.monotonic()
        self.cpu0 = {}
        for name, group in self.groups.items():
            try:
                self.cpu0[name] = group.cpu_seconds()
            except OSError:  # gone (OOM-killed)
                self.cpu0[name] = float("nan")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, group in self.groups.items():
                try:
                    self.peak_rss[name] = max(self.peak_rss[name], group.rss())
                except OSError:  # the container is gone (OOM-killed)
                    pass
            self._stop.wait(0.2)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        elapsed = time.monotonic() - self.t0
        self.cores = {}
        for name, group in self.groups.items():
            try:
                self.cores[name] = (group.cpu_seconds() - self.cpu0[name]) / elapsed
            except OSError:
                self.cores[name] = float("nan")


async def load(url: str, count: int, rate: float) -> tuple[Counter, float]:
    """``count`` realistic submissions at ``rate`` per second; (statuses, seconds)."""
    samples = sample_events.generate(count, seed=3, tag=f"bench{int(time.time())}")
    statuses: Counter = Counter()
    async with httpx.AsyncClient(timeout=60) as client:
        async def post(sample):
            try:
                r = await client.post(url + "/v1/submissions", json=sample.body)
                statuses[r.status_code] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1

        t0 = time.monotonic()
        tasks = []
        for n, sample in enumerate(samples):
            await asyncio.sleep(max(0.0, t0 + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(post(sample)))
        await asyncio.gather(*tasks)
        return statuses, time.monotonic() - t0


def drained(skeleton: Skeleton) -> bool:
    """No consumer of the stream has anything pending or unacknowledged."""
    async def check() -> bool:
        nc = await nats.connect(skeleton.nats_url)
        try:
            js = nc.jetstream()
            infos = [await js.consumer_info(subjects.STREAM, c.durable) for c in topology.CONSUMERS]
            return all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos)
        finally:
            await nc.close()

    return asyncio.run(check())


def busy_seconds(sampler: Sampler) -> float:
    return time.monotonic() - sampler.t0


#: what a map asks (the feed in both encodings, clusters), then the whole-feed exports
MAP_READS = (("/v1/feed", {"Accept-Encoding": "gzip"}), ("/v1/feed", {}),
             ("/v1/feed/clusters?zoom=5&bbox=-5,41,10,52", {}),
             ("/v1/feed/clusters?zoom=10&bbox=2,48,3,49", {}))
EXPORT_READS = (("/v1/feed.csv", {}), ("/v1/feed.ics", {}), ("/v1/feed.jsonld", {}))


def exercise(url: str, reads) -> None:
    for path, headers in reads:
        r = httpx.get(url + path, headers=headers, timeout=300)
        r.raise_for_status()


def feed_revision(url: str) -> float:
    try:
        metrics = httpx.get(url + "/metrics", timeout=5).text
    except httpx.HTTPError:
        return -1
    found = re.search(r"^mapfeed_feed_revision (\S+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else -1


def mib(n: float) -> str:
    return f"{n / 2**20:7.0f}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--load", type=int, default=600, help="submissions in the load phase")
    p.add_argument("--rate", type=float, default=10, help="submissions per second")
    p.add_argument("--store", choices=("mongodb", "sqlite"), default="mongodb",
                   help="submission's store in the load phase: the manifests' (FerretDB here, "
                   "which sustains a few submissions a second), or SQLite (out of the way)")
    args = p.parse_args()
    if reason := DockerEngine.unavailable():
        sys.exit(f"no Docker engine here: {reason}")
    with tempfile.TemporaryDirectory(prefix="bench-containers-") as tmp:
        engine = DockerEngine(Path(tmp) / "docker").start()
        try:
            run(engine, Path(tmp), args)
        finally:
            engine.stop()
    return 0


def run(engine: DockerEngine, tmp: Path, args) -> None:
    record: dict = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "command": " ".join(["python", "bench/containers.py", *sys.argv[1:]]),
                    "images": {}, "containers": {}, "map_feed": {}}
    images = {}
    print("images (deploy/*Dockerfile on the local bases, a fresh engine: no layer cache)")
    for name, dockerfile, context in (("sdi", DEPLOY / "Dockerfile", REPO),
                                      ("sdi-addok", DEPLOY / "addok" / "Dockerfile", DEPLOY / "addok")):
        images[name] = f"{name}:bench"
        seconds = engine.build(dockerfile, context, images[name], engine.base_args())
        size = engine.image_size(images[name])
        record["images"][name] = {"build_s": round(seconds, 1), "mb": round(size / 1e6)}
        print(f"  {name:<10} built in {seconds:5.1f} s, {size / 1e6:5.0f} MB")

    services = ("submission", "validation", "geocoding", "map-feed", "addok")
    # one client here: the per-client rate limit (RATE_LIMIT_PER_MINUTE) would refuse most
    with Skeleton(engine, images, tmp / "pods", unlimited=services,
                  env={"submission": {"RATE_LIMIT_PER_MINUTE": "0", "STORE": args.store}}) as skeleton:
        t0 = time.monotonic()
        r = httpx.post(skeleton.url("submission") + "/v1/submissions", json=EVENT, timeout=30)
        sid = r.json()["id"]
        wait_until(lambda: any(f["id"] == sid for f in httpx.get(
            skeleton.url("map-feed") + "/v1/feed", timeout=5).json()["features"]), 60, "the feed")
        record["first_event_in_feed_s"] = round(time.monotonic() - t0, 2)
        print(f"walking skeleton (containers): first event in the feed "
              f"{record['first_event_in_feed_s']:.2f} s after its POST")

        groups = {n: Cgroup(skeleton.running[n].wrapped.attrs["State"]["Pid"]) for n in services}
        nats_id = engine.cli("ps", "-q", "--filter", f"ancestor={engine.base('nats')}").stdout.split()[0]
        groups["nats"] = Cgroup(int(engine.cli("inspect", "--format", "{{.State.Pid}}", nats_id).stdout))
        with Sampler(groups) as idle:
            time.sleep(5)
        with Sampler(groups) as busy:
            statuses, seconds = asyncio.run(load(skeleton.url("submission"), args.load, args.rate))
            wait_until(lambda: drained(skeleton), 600, "the pipeline to drain", interval=1)
        accepted = statuses[202]
        record["load"] = {"submissions": args.load, "rate": args.rate, "store": args.store,
                          "statuses": {str(k): v for k, v in statuses.items()}}
        print(f"load: {args.load} submissions at {args.rate:g}/s: {dict(statuses)} in {seconds:.0f} s, "
              f"the pipeline drained after {busy_seconds(busy):.0f} s; one replica of each "
              f"service, submission store {args.store}{' (FerretDB)' if args.store == 'mongodb' else ''}")
        print(f"{'container':<11} {'idle RSS':>8} {'load RSS':>8} {'cg peak':>8} {'CPU idle':>8} "
              f"{'CPU load':>8} {'CPU ms/sub':>10}   manifest request / limit")
        for name in (*services, "nats"):
            res = skeleton.pods[name].container["resources"]
            per = 1000 * busy.cores[name] * busy_seconds(busy) / max(accepted, 1)
            record["containers"][name] = {
                "idle_rss_mi": round(idle.peak_rss[name] / 2**20),
                "load_rss_mi": round(busy.peak_rss[name] / 2**20),
                "cgroup_peak_mi": round(groups[name].peak() / 2**20),
                "cpu_ms_per_submission": round(per, 1)}
            print(f"{name:<11} {mib(idle.peak_rss[name])} Mi {mib(busy.peak_rss[name])} Mi "
                  f"{mib(groups[name].peak())} Mi {idle.cores[name]:8.2f} {busy.cores[name]:8.2f} "
                  f"{per:10.1f}   {res['requests']['memory']}/{res['limits']['memory']}, "
                  f"{res['requests']['cpu']}/{res['limits']['cpu']} CPU")

        record["map_feed"] = feed_scale(skeleton, groups["nats"])
    out = REPO / "bench" / "results" / f"containers-{record['at'].replace('-', '').replace(':', '')}.json"
    out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"written: {out.relative_to(REPO)}")


def feed_scale(skeleton: Skeleton, nats_group: Cgroup) -> dict:
    """map-feed's memory with an edition's worth of events, then with 100,000."""
    feed = skeleton.running["map-feed"]
    limit = quantity(skeleton.pods["map-feed"].container["resources"]["limits"]["memory"])
    limited = skeleton.start("map-feed", replica=2, unlimited=False)
    skeleton.wait_started(limited)
    groups = {"unlimited": Cgroup(feed.wrapped.attrs["State"]["Pid"]),
              "limited": Cgroup(limited.wrapped.attrs["State"]["Pid"]), "nats": nats_group}

    async def fill_to(total: int, have: int) -> int:
        nc = await nats.connect(skeleton.nats_url)
        try:
            return await fill(nc, total - have, seed=total)
        finally:
            await nc.close()

    have, measured = 0, {}
    print(f"map-feed and the FEED bucket (a second replica with the manifest's limit, "
          f"{limit / 2**20:.0f} Mi)")
    for total in (5_500, 100_000):
        revision = asyncio.run(fill_to(total, have))
        have = total
        for what, reads in (("feed and clusters", MAP_READS), ("then the exports", EXPORT_READS)):
            failed = None
            with Sampler(groups) as s:
                for replica in (feed, limited):
                    url = f"http://127.0.0.1:{replica.port}"
                    try:
                        wait_until(lambda u=url, r=revision: feed_revision(u) >= r, 300,
                                   f"map-feed at {total} events", interval=0.5)
                        exercise(url, reads)
                    except (TimeoutError, httpx.HTTPError) as exc:
                        if replica is feed:
                            raise  # the limited one may be OOM-killed: that is what is measured
                        failed = f"{type(exc).__name__}: {exc}"[:120]
            limited.wrapped.reload()
            state = limited.wrapped.attrs["State"]
            fate = ("OOM-killed" if state.get("OOMKilled") else f"exited {state['ExitCode']}"
                    if state["Status"] != "running" else
                    f"running, peak RSS {mib(s.peak_rss['limited']).strip()} Mi, "
                    + (f"a read failed ({failed})" if failed else "every read answered"))
            measured[f"{total} {what}"] = {
                "rss_peak_mi": round(s.peak_rss["unlimited"] / 2**20),
                "cgroup_peak_mi": round(groups["unlimited"].peak() / 2**20),
                "with_the_manifest_limit": fate, "nats_rss_mi": round(s.peak_rss["nats"] / 2**20)}
            print(f"  {total:>7} events, {what:<17}: peak RSS {mib(s.peak_rss['unlimited']).strip()} Mi "
                  f"(cgroup peak {mib(groups['unlimited'].peak()).strip()} Mi); limited replica: {fate}; "
                  f"nats-server RSS {mib(s.peak_rss['nats']).strip()} Mi")
    return measured


if __name__ == "__main__":
    raise SystemExit(main())
