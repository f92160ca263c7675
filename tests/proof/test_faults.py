"""Faults under steady load: nothing accepted is lost, nothing is published twice.

The real stack (nats-server, the four services as processes, two map-feed replicas, a real
addok behind a proxy we can break) takes a steady stream of realistic submissions while,
one after the other: each worker and a map-feed replica are killed with SIGKILL and started
again (as a supervisor would), nats-server is restarted, and the addok API answers 500 for
a while (geocoding runs with GEOCODER_CHAIN=addok,gazetteer). Then:

- every accepted submission has exactly one settled status, and its history holds one
  final status only;
- the stream holds one ``received`` and one verdict per accepted submission (client retries
  and redeliveries produced no second event);
- both map-feed replicas serve exactly the published submissions, each once;
- no service other than the killed ones was restarted, and all are alive.

About 2 minutes on 2 cores. FAULT_TEST_RATE (default 20/s) sets the load.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

import httpx
import pytest
import sample_events
import stackclient
from geo_addok import read_mairies, running_addok
from proof_support import FlakyProxy, proof_env
from sdi_common.stack import Stack

RATE = float(os.environ.get("FAULT_TEST_RATE", "20"))
pytestmark = pytest.mark.timeout(290)


@pytest.fixture(scope="module")
def addok(tmp_path_factory):
    with running_addok(tmp_path_factory.mktemp("addok"), read_mairies()) as url:
        with FlakyProxy(url) as proxy:
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
        final = await stackclient.wait_settled(client, accepted, timeout=90)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # let the projector and indexer finish too
            lag = await bus.lag()
            if all(v["pending"] + v["ack_pending"] == 0 for v in lag.values()):
                break
            await asyncio.sleep(0.5)
        counts = await bus.subject_counts()
    note("settled")
    print("\n".join(log))

    # 1. no loss: every accepted submission settled, with a single final status
    unsettled = {r.id: final.get(r.id, {}).get("status") for r in accepted}
    unsettled = {k: v for k, v in unsettled.items() if v not in stackclient.SETTLED}
    assert not unsettled, f"{len(unsettled)} accepted submissions never settled: {unsettled}"
    finals = stackclient.SETTLED - {"needs_review"}
    twice = {
        sid: stackclient.history_statuses(body)
        for sid, body in final.items()
        if sum(s in finals for s in stackclient.history_statuses(body)) > 1
    }
    assert not twice, f"submissions with more than one final status: {twice}"

    # 2. no duplicate events: one received and one verdict per accepted submission
    judged = sum(
        counts.get(s, 0)
        for s in ("submissions.labelled", "submissions.rejected", "submissions.needs_review")
    )
    assert counts.get("submissions.received", 0) == len(accepted), counts
    assert judged == len(accepted), counts

    # 3. the feed, on both replicas, holds exactly the published ones, once each
    published = {sid for sid, body in final.items() if body["status"] == "published"}
    for replica in (1, 2):
        async with httpx.AsyncClient(base_url=stack.url("map-feed", replica)) as feed:
            ids = await stackclient.feed_ids(feed)
        dupes = [i for i, c in Counter(ids).items() if c > 1]
        assert not dupes, f"map-feed-{replica} serves duplicates: {dupes[:5]}"
        assert set(ids) == published, (
            f"map-feed-{replica}: missing {len(published - set(ids))}, "
            f"extra {len(set(ids) - published)}"
        )
    assert counts.get("submissions.published", 0) >= len(published)

    # 4. the injected failure really happened, and the pipeline went on through it
    assert addok.served["500"] > 0, "addok was never asked while failing"
    assert addok.served["forwarded"] > 0
    statuses = Counter(body["status"] for body in final.values())
    expected = Counter(r.sample.expected_status for r in accepted)
    wrong = [
        (r.sample.expected_status, final[r.id]["status"], r.sample.body.get("location"))
        for r in accepted
        if final[r.id]["status"] != r.sample.expected_status
    ]
    # the generator's outcome is right for the rules; a few mairie addresses might still
    # go unresolved, which is a geocoding matter, not a lost event
    assert len(wrong) <= max(2, 0.02 * len(accepted)), (statuses, expected, wrong[:10])

    # 5. nobody was restarted by hand: only the killed processes, once each, all alive
    for (name, replica), p in stack.processes.items():
        assert p.alive(), f"{name}-{replica} is dead; see {p.log_path}"
        assert p.restarts == killed[(name, replica)], (name, replica, p.restarts)
    print(f"accepted {len(accepted)}, statuses {dict(statuses)}, addok {addok.served}")
