"""The validation worker against a real nats-server: verdicts, redeliveries, poison messages."""

import asyncio
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import nats
import pytest
from sdi_common import subjects
from sdi_common.contracts import Received, Withdrawn, parse_event
from sdi_common.deadletters import list_dead_letters
from sdi_common.natsconn import publish_event
from sdi_common.testing import consumer_idle, eventually
from validation.app import build_worker
from validation.settings import ValidationSettings

PARIS = ZoneInfo("Europe/Paris")
ON_TIME = datetime(2024, 10, 15, 10, tzinfo=PARIS)
VERDICT_SUBJECTS = {subjects.LABELLED, subjects.REJECTED, subjects.NEEDS_REVIEW}


@pytest.fixture
async def worker(nats_url, edition_2024):
    w = build_worker(ValidationSettings(nats_url=nats_url, service_name="validation-test"), edition_2024)
    await w.start()
    yield w
    await w.stop()


def received(make_submission, sid, version=1, received_at=ON_TIME, **overrides):
    return Received(
        submission_id=sid, version=version, by="organizer",
        submission=make_submission(**overrides), received_at=received_at,
    )


async def judged_events(js, *, expected: int, settle: float = 0.5, timeout: float = 10) -> list:
    """Every verdict in the stream; waits for ``expected`` then ``settle`` s for extras."""
    sub = await js.subscribe(f"{subjects.PREFIX}.*", ordered_consumer=True)
    out = []
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            wait = settle if len(out) >= expected else max(0.05, remaining)
            if len(out) < expected and remaining <= 0:
                break
            try:
                msg = await sub.next_msg(timeout=wait)
            except nats.errors.TimeoutError:
                if len(out) >= expected:
                    break
                continue
            if msg.subject in VERDICT_SUBJECTS:
                out.append((msg.subject, parse_event(msg.data)))
    finally:
        await sub.unsubscribe()
    return out


async def test_each_outcome_is_published_on_its_subject(js, worker, make_submission):
    await publish_event(js, received(make_submission, "ok-1"))
    await publish_event(js, received(make_submission, "paid-1", version=3, is_free=False))
    await publish_event(js, received(make_submission, "vague-1", title="Atelier pâtisserie",
                                     description="Des gâteaux pour tous"))
    got = {e.submission_id: (subject, e) for subject, e in await judged_events(js, expected=3)}
    assert set(got) == {"ok-1", "paid-1", "vague-1"}

    subject, ok = got["ok-1"]
    assert subject == subjects.LABELLED
    assert (ok.type, ok.version, ok.by, ok.edition, ok.reasons) == ("labelled", 1, "validation", "2024", [])
    assert ok.submission == make_submission()

    subject, paid = got["paid-1"]
    assert subject == subjects.REJECTED and paid.version == 3
    assert [r.code for r in paid.reasons] == ["not_free"]
    assert paid.reasons[0].message.startswith("L'événement doit être gratuit")

    subject, vague = got["vague-1"]
    assert subject == subjects.NEEDS_REVIEW
    assert [r.code for r in vague.reasons] == ["industry_theme_unclear"]


async def test_late_submission_judged_on_received_at_not_on_now(js, worker, make_submission):
    late = received(make_submission, "late-1", received_at=datetime(2024, 11, 12, 8, tzinfo=PARIS))
    # an operator re-judge: a new version keeping the original (on-time) received_at
    rejudged = received(make_submission, "early-1", version=2, received_at=ON_TIME)
    await publish_event(js, late)
    await publish_event(js, rejudged)
    got = {e.submission_id: e for _, e in await judged_events(js, expected=2)}
    assert [r.code for r in got["late-1"].reasons] == ["late_submission"]
    assert got["early-1"].type == "labelled" and got["early-1"].version == 2


async def test_redelivery_after_a_crash_gives_one_decision(js, worker, make_submission):
    """The verdict is published, then the handler dies before the ack: JetStream redelivers,
    the same verdict is published again, and the Nats-Msg-Id dedupe keeps only one."""
    original = worker.publish
    deliveries = []

    async def publish_then_crash(event, ctx):
        deliveries.append(ctx.num_delivered)
        await original(event, ctx)
        if ctx.num_delivered == 1:
            raise RuntimeError("crash between publish and ack")

    worker.publish = publish_then_crash
    await publish_event(js, received(make_submission, "redelivered-1"))
    await judged_events(js, expected=1, settle=0.3)
    await eventually(lambda: deliveries == [1, 2], what="the redelivery handled")
    assert deliveries == [1, 2]
    # acknowledged: nothing is left to publish a second verdict
    await eventually(lambda: consumer_idle(js, "validation"), what="the consumer idle")
    events = await judged_events(js, expected=1, settle=0.5)
    assert [(e.submission_id, e.type) for _, e in events] == [("redelivered-1", "labelled")]
    info = await js.consumer_info(subjects.STREAM, "validation")
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_duplicate_received_gives_one_decision(js, worker, make_submission):
    # the same (submission, version) stored twice (e.g. replayed by hand without its msg id)
    event = received(make_submission, "twice-1")
    await js.publish(subjects.RECEIVED, event.model_dump_json().encode(), headers={"Nats-Msg-Id": "a"})
    await js.publish(subjects.RECEIVED, event.model_dump_json().encode(), headers={"Nats-Msg-Id": "b"})
    events = await judged_events(js, expected=1, settle=1.0)
    assert [(e.submission_id, e.version) for _, e in events] == [("twice-1", 1)]


async def test_poison_messages_are_dead_lettered_and_the_worker_goes_on(js, worker, make_submission):
    await js.publish(subjects.RECEIVED, b"{not json at all", headers={"Nats-Msg-Id": "poison-1"})
    bad = json.loads(received(make_submission, "bad-1").model_dump_json())
    bad["submission"]["timings"][0]["starts_at"] = "2024-11-20T09:00:00"  # naive: refused
    await js.publish(subjects.RECEIVED, json.dumps(bad).encode(), headers={"Nats-Msg-Id": "poison-2"})
    await js.publish(
        subjects.RECEIVED,
        Withdrawn(submission_id="wrong-type", version=1, by="organizer").model_dump_json().encode(),
        headers={"Nats-Msg-Id": "poison-3"},
    )
    await publish_event(js, received(make_submission, "after-poison"))

    events = await judged_events(js, expected=1)
    assert [e.submission_id for _, e in events] == ["after-poison"]
    async def dead_lettered():
        records = await list_dead_letters(js, "validation")
        return records if len(records) >= 3 else None

    records = await eventually(dead_lettered, what="three dead letters")
    assert len(records) == 3
    assert all(r["subject"] == subjects.RECEIVED for r in records)
    errors = sorted(r["error"] for r in records)
    assert sum(e.startswith("not a lifecycle event") for e in errors) == 2
    assert any("expected a 'received' event" in e and "'withdrawn'" in e for e in errors)
    info = await js.consumer_info(subjects.STREAM, "validation")
    assert info.num_ack_pending == 0 and info.num_pending == 0


async def test_replicas_share_the_consumer(js, nats_url, edition_2024, make_submission):
    """Two workers on the same durable: every submission judged exactly once."""
    settings = ValidationSettings(nats_url=nats_url, service_name="validation-test")
    workers = [build_worker(settings, edition_2024) for _ in range(2)]
    for w in workers:
        await w.start()
    try:
        await asyncio.gather(*(
            publish_event(js, received(make_submission, f"r-{i}")) for i in range(40)
        ))
        events = await judged_events(js, expected=40, settle=0.5)
        assert sorted(e.submission_id for _, e in events) == sorted(f"r-{i}" for i in range(40))
    finally:
        for w in workers:
            await w.stop()
