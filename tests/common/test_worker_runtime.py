"""The shared worker runtime against a real nats-server: ack, dedupe, retry, dead letters."""

import asyncio
import json
from datetime import UTC, datetime

import nats
import nats.errors
from sdi_common import subjects, topology
from sdi_common.contracts import Judged, Received, parse_event
from sdi_common.deadletters import list_dead_letters, replay
from sdi_common.natsconn import publish_event
from sdi_common.settings import ServiceSettings
from sdi_common.testing import eventually
from sdi_common.worker import Poison, Worker

from .samples import SUBMISSION


def received(sid: str, version: int = 1) -> Received:
    return Received(
        submission_id=sid, version=version, by="organizer",
        submission=SUBMISSION, received_at=datetime(2024, 11, 1, tzinfo=UTC),
    )


async def _collect(js, subject: str, n: int, timeout: float = 10) -> list:
    sub = await js.subscribe(subject, ordered_consumer=True)
    out = []
    try:
        while len(out) < n:
            msg = await sub.next_msg(timeout=timeout)
            out.append(msg)
    finally:
        await sub.unsubscribe()
    return out


async def test_worker_judges_once_and_dead_letters_poison(nats_url):
    settings = ServiceSettings(service_name="test-worker", nats_url=nats_url)
    worker = Worker(settings, topology.VALIDATION, publishes=("labelled",))
    seen = []

    @worker.handler
    async def handle(event, ctx):
        seen.append((event.submission_id, ctx.num_delivered))
        if event.submission_id == "boom":
            raise Poison("cannot judge")
        await worker.publish(
            Judged(type="labelled", submission_id=event.submission_id, version=event.version,
                   by="validation", submission=event.submission, edition="test"),
            ctx,
        )

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await worker.start()
    try:
        await publish_event(js, received("a1"))
        await publish_event(js, received("a1"))  # same Nats-Msg-Id: deduplicated
        await js.publish(subjects.RECEIVED, b"{not json", headers={"Nats-Msg-Id": "p1"})
        await publish_event(js, received("boom"))
        await publish_event(js, received("a2"))
        msgs = await _collect(js, subjects.LABELLED, 2)
        judged = sorted(parse_event(m.data).submission_id for m in msgs)
        assert judged == ["a1", "a2"]
        async def both_dead_lettered():
            records = await list_dead_letters(js, "validation")
            return records if len(records) == 2 else None

        records = await eventually(both_dead_lettered, what="two dead letters")
        assert {r["error"].split(":")[0] for r in records} == {"not a lifecycle event", "cannot judge"}
        info = await js.consumer_info(subjects.STREAM, "validation")
        assert info.num_ack_pending == 0 and info.num_pending == 0
        # an operator replays the poison one: it is delivered again (and dead-lettered again)
        boom = next(r for r in records if "cannot judge" in r["error"])
        await replay(js, boom["seq"])
        await eventually(lambda: sum(1 for s, _ in seen if s == "boom") == 2,
                         what="the replayed poison delivered again")
        assert sum(1 for s, _ in seen if s == "boom") == 2
    finally:
        await worker.stop()
        await nc.close()


async def test_transient_errors_are_retried_then_dead_lettered(nats_url):
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    consumer = topology.Consumer(
        durable="flaky", filter_subjects=[subjects.WITHDRAWN], description="test", max_deliver=3
    )
    await js.add_consumer(subjects.STREAM, consumer.config())
    settings = ServiceSettings(service_name="flaky", nats_url=nats_url)
    worker = Worker(settings, consumer)
    attempts: dict[str, int] = {}

    @worker.handler
    async def handle(event, ctx):
        attempts[event.submission_id] = ctx.num_delivered
        if event.submission_id == "always" or ctx.num_delivered < 2:
            raise RuntimeError("database unavailable")

    from sdi_common.contracts import Withdrawn

    await worker.start()
    try:
        await publish_event(js, Withdrawn(submission_id="once", version=1, by="organizer"))
        await publish_event(js, Withdrawn(submission_id="always", version=1, by="organizer"))
        async def both_settled():
            records = await list_dead_letters(js, "flaky")
            return records if records and attempts.get("once") == 2 else None

        records = await eventually(both_settled, what="'once' retried and 'always' dead-lettered")
        assert attempts == {"once": 2, "always": 3}
        assert len(records) == 1 and "failed 3 times" in records[0]["error"]
        assert json.loads(__import__("base64").b64decode(records[0]["data_b64"]))["submission_id"] == "always"
    finally:
        await worker.stop()
        await nc.close()


async def test_stop_ends_the_pull_loop_even_if_a_fetch_swallows_the_cancellation(nats_url):
    """On Python 3.11, asyncio.wait_for (under nats-py's next_msg) loses a cancellation that
    comes just as the server's answer does: the fetch ends as an idle poll would, the loop
    went on, and stop() waited for it forever (seen once as a 300 s teardown hang in the
    suite). A fetch that always loses it plays the race here."""
    worker = Worker(ServiceSettings(service_name="swallow", nats_url=nats_url), topology.VALIDATION)

    @worker.handler
    async def handle(event, ctx):
        pass

    await worker.start()
    real_fetch = worker._sub.fetch
    fetching = asyncio.Event()

    async def fetch(*args, **kwargs):
        fetching.set()
        try:
            return await real_fetch(*args, **kwargs)
        except asyncio.CancelledError:
            raise nats.errors.TimeoutError from None

    worker._sub.fetch = fetch
    await eventually(fetching.is_set, what="a fetch through the swallowing wrapper")
    stopping = asyncio.create_task(worker.stop())
    try:
        done, _ = await asyncio.wait({stopping}, timeout=10)
        assert done, "stop() still waits for the pull loop after 10 s"
        assert not worker.ready
    finally:  # whatever happened, plain cancellations end the loop
        if worker._sub is not None:
            worker._sub.fetch = real_fetch
        while not stopping.done():
            if worker._pulling is not None:
                worker._pulling.cancel()
            await asyncio.wait({stopping}, timeout=1.5)
