"""Faults under steady load: nothing accepted is lost, nothing is published twice.

The real stack (nats-server, the four services as processes, two map-feed replicas, a real
addok behind a proxy we can break) takes a steady stream of realistic submissions while,
one after the other: each worker and a map-feed replica are killed with SIGKILL and started
again (as a supervisor would), nats-server is restarted, and the addok API answers 500 for
a while (geocoding runs with GEOCODER_CHAIN=addok,gazetteer). Then:

- on the stream (the truth), every accepted submission went through the pipeline exactly
  once: one ``received``, one verdict, one placement and one ``published`` if labelled
  (client retries and redeliveries produced no second event), and no orphan;
- through the submission API, every accepted submission has the stream's outcome as its
  status, and its history holds one final status only;
- both map-feed replicas serve exactly the published submissions, each once;
- no service other than the killed ones was restarted, and all are alive.

Every property is checked and all failures are reported together. About 2.5 minutes on
2 cores. FAULT_TEST_RATE (default 20/s) sets the load.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter

import httpx
import pytest
import sample_events
import stackclient
from sdi_common.stack import Stack
from sdi_common.testing import eventually
from sdi_common.testing.addok import read_mairies, running_addok

from .proof_support import FlakyProxy, proof_env

RATE = float(os.environ.get("FAULT_TEST_RATE", "20"))
FEED_CONVERGE = 30.0
pytestmark = pytest.mark.timeout(290)


@pytest.fixture(scope="module")
def addok(tmp_path_factory):
    with (
        running_addok(tmp_path_factory.mktemp("addok"), read_mairies()) as url,
        FlakyProxy(url) as proxy,
    ):
        yield proxy


@pytest.fixture(scope="module")
def stack(tmp_path_factory, addok):
    s = Stack(
        data_dir=tmp_path_factory.mktemp("faults"),
        env=proof_env(),
        service_env={
            "geocoding": {"GEOCODER_CHAIN": "addok,gazetteer", "ADDOK_URL": addok.url},
            "submission": {"RATE_LIMIT_PER_MINUTE": "0"},
        },
    )
    with s:
        s.start("map-feed", replica=2)
        yield s


class Load:
    """Submissions at a steady rate until stopped; every outcome kept."""

    def __init__(self, base_url: str, rate: float) -> None:
        self.base_url, self.rate = base_url, rate
        self.gen = sample_events.Generator(seed=42, tag=f"faults{int(time.time())}")
        self.results: list[stackclient.Submitted] = []
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=5) as client:
            tasks = set()
            while not self.stopping.is_set():
                t = asyncio.create_task(stackclient.submit(client, self.gen.sample()))
                t.add_done_callback(lambda t: self.results.append(t.result()))
                tasks.add(t)
                t.add_done_callback(tasks.discard)
                await asyncio.sleep(1 / self.rate)
            await asyncio.gather(*tasks)


async def test_nothing_lost_nothing_duplicated_under_faults(stack, addok):
    load = Load(stack.url("submission"), RATE)
    runner = asyncio.create_task(load.run())
    killed: Counter = Counter()
    log: list[str] = []
    t0 = time.monotonic()

    def note(what: str) -> None:
        log.append(f"{time.monotonic() - t0:5.1f}s {what}")

    async def kill_and_restart(name: str, replica: int = 1) -> None:
        await asyncio.sleep(4)
        note(f"kill -9 {name}-{replica}")
        stack.kill(name, replica)
        killed[(name, replica)] += 1
        await asyncio.sleep(1.5)  # the supervisor notices, then starts it again
        await asyncio.to_thread(stack.start, name, replica)
        note(f"{name}-{replica} ready again")

    await asyncio.sleep(3)
    await kill_and_restart("validation")
    await kill_and_restart("geocoding")
    await kill_and_restart("map-feed", 2)
    await kill_and_restart("submission")

    await asyncio.sleep(3)
    note("addok starts failing (500)")
    addok.failing = True
    await asyncio.sleep(8)
    addok.failing = False
    note("addok healthy again")

    await asyncio.sleep(3)
    note("restart nats-server")
    nats_restarted_at = time.monotonic()
    await asyncio.to_thread(stack.restart_nats)
    note("nats-server back")
    await asyncio.sleep(6)
    load.stopping.set()
    await runner
    note(f"load stopped: {len(load.results)} submissions")

    accepted = [r for r in load.results if r.accepted]
    refused = Counter(r.http_status for r in load.results if not r.accepted)
    assert accepted, "nothing was accepted"
    # a client that retried long enough always got its 202 (no 4xx for valid bodies)
    assert not refused, f"submissions finally refused: {refused}; e.g. " + next(
        str(r.body)[:300] for r in load.results if not r.accepted
    )

    async with (
        httpx.AsyncClient(base_url=stack.url("submission"), timeout=10) as client,
        stackclient.Bus(stack.nats_url) as bus,
    ):

        async def drained() -> bool:
            lag = await bus.lag()
            return len(lag) == 4 and stackclient.drained(lag)

        # the pipeline drains first (what does not is reported by the checks below)
        with contextlib.suppress(TimeoutError):
            await eventually(drained, 60, "the consumers drained", interval=0.5)
        final = await stackclient.wait_settled(client, accepted, timeout=30)
        counts = await bus.subject_counts()
        truth = await stackclient.events_by_submission(bus)
        dead = await bus.deadletter_count()
    note("settled")
    print("\n".join(log))
    problems: list[str] = []  # every property is checked; all failures reported together

    # 1. the stream: each accepted submission went through the pipeline exactly once
    def stream_outcome(events: list[str]) -> str | None:
        c = Counter(events)
        if c["received"] != 1 or c["labelled"] + c["rejected"] + c["needs_review"] != 1:
            return None
        if c["labelled"]:
            if c["geocoded"] + c["location_unresolved"] != 1:
                return None
            if c["geocoded"]:
                return "published" if c["published"] == 1 else None
            return "location_unresolved"
        return "rejected" if c["rejected"] else "needs_review"

    outcome = {r.id: stream_outcome(truth.get(r.id, [])) for r in accepted}
    broken = {sid: truth.get(sid) for sid, o in outcome.items() if o is None}
    if broken:
        problems.append(
            f"stream: {len(broken)} submissions without exactly one path through "
            f"the pipeline, e.g. {list(broken.items())[:3]}"
        )
    orphans = set(truth) - {r.id for r in accepted}
    if orphans:
        problems.append(f"stream: {len(orphans)} submissions no client was told about")
    judged = sum(
        counts.get(f"submissions.{t}", 0) for t in ("labelled", "rejected", "needs_review")
    )
    if counts.get("submissions.received", 0) != len(accepted) or judged != len(accepted):
        problems.append(f"stream counts {counts} for {len(accepted)} accepted")

    # 2. the submission API: every accepted submission settled, in the stream's outcome,
    #    with a single final status in its history
    wrong_status = {
        r.id: (final.get(r.id, {}).get("status"), outcome[r.id])
        for r in accepted
        if final.get(r.id, {}).get("status") != outcome[r.id]
    }
    if wrong_status:
        stuck = Counter(f"api {a} / stream {b}" for a, b in wrong_status.values())
        problems.append(
            f"submission API: {len(wrong_status)} statuses differ from the stream's "
            f"outcome: {dict(stuck)}; e.g. {list(wrong_status)[:3]}"
        )
    finals = stackclient.SETTLED - {"needs_review"}
    twice = {
        sid: stackclient.history_statuses(body)
        for sid, body in final.items()
        if sum(st in finals for st in stackclient.history_statuses(body)) > 1
    }
    if twice:
        problems.append(f"submission API: more than one final status: {list(twice.items())[:3]}")

    # 3. the feed, on both replicas, holds exactly the published ones, once each
    published = {sid for sid, o in outcome.items() if o == "published"}
    # (a replica converges on its own: give it up to FEED_CONVERGE seconds)
    for replica in (1, 2):
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=stack.url("map-feed", replica)) as feed:

            async def converged(feed=feed) -> bool:
                return set(await stackclient.feed_ids(feed)) == published

            with contextlib.suppress(TimeoutError):  # reported below
                await eventually(converged, FEED_CONVERGE, "the feed", interval=1)
            ids = await stackclient.feed_ids(feed)
        waited = time.monotonic() - started
        print(
            f"map-feed-{replica}: {len(set(ids) & published)}/{len(published)} after {waited:.1f} s"
        )
        dupes = [i for i, c in Counter(ids).items() if c > 1]
        if dupes or set(ids) != published:
            missing = published - set(ids)
            late = sum(1 for r in accepted if r.id in missing and r.accepted_at > nats_restarted_at)
            problems.append(
                f"map-feed-{replica}: {len(dupes)} duplicates, missing {len(missing)} "
                f"({late} of them accepted after the nats-server restart), "
                f"extra {len(set(ids) - published)}"
            )

    # 4. the injected failure really happened, and the pipeline went on through it
    if not (addok.served["500"] > 0 and addok.served["forwarded"] > 0):
        problems.append(f"addok failure not exercised: {addok.served}")
    expected = Counter(r.sample.expected_status for r in accepted)
    got = Counter(outcome.values())
    wrong = [r for r in accepted if outcome[r.id] != r.sample.expected_status]
    # the generator's outcome is right for the rules; a few mairie addresses might still
    # go unresolved, which is a geocoding matter, not a lost event
    if len(wrong) > max(2, 0.02 * len(accepted)):
        problems.append(f"outcomes {dict(got)} vs expected {dict(expected)}")
    if dead:
        problems.append(f"{dead} dead letters")

    # 5. nobody was restarted by hand: only the killed processes, once each, all alive
    for (name, replica), p in stack.processes.items():
        if not p.alive() or p.restarts != killed[(name, replica)]:
            problems.append(f"{name}-{replica}: alive={p.alive()} restarts={p.restarts}")
    print(f"accepted {len(accepted)}, stream outcomes {dict(got)}, addok {addok.served}")
    assert not problems, "\n".join(problems)
