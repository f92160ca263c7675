"""Malformed and poison messages on every subject of the bus.

On the real stack, we publish on each lifecycle subject a message that is not JSON and one
that is JSON but no lifecycle event. Then:

- every consumer whose filter covers that subject writes a dead-letter record holding the
  original bytes (DEADLETTER stream, ``deadletter.<durable>``), and no durable keeps
  anything pending or unacknowledged: no message is retried forever;
- the services keep working: a valid submission posted afterwards is published;
- ``sdi-deadletters list`` shows the records, and ``sdi-deadletters replay`` republishes a
  record's original message: a valid event held in a dead letter (as after an outage) is
  then processed to the end, and a replayed poison lands in the dead letters again.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import nats
import pytest
import sample_events
import stackclient
from sdi_common import subjects, topology
from sdi_common.contracts import Received, Submission, encode, new_id, utcnow
from sdi_common.deadletters import list_dead_letters, write_dead_letter
from sdi_common.stack import Stack
from sdi_common.testing import eventually
from sdi_common.upcasting import upcast_submission

from .proof_support import proof_env

pytestmark = pytest.mark.timeout(240)
CLI = str(Path(sys.executable).parent / "sdi-deadletters")

LIFECYCLE_SUBJECTS = [
    subjects.RECEIVED,
    subjects.LABELLED,
    subjects.REJECTED,
    subjects.NEEDS_REVIEW,
    subjects.GEOCODED,
    subjects.LOCATION_UNRESOLVED,
    subjects.PUBLISHED,
    subjects.WITHDRAWN,
    subjects.DECIDED,
    subjects.RELOCATED,
    subjects.CONTACT_ERASED,
]


def poisons(subject: str) -> list[bytes]:
    tag = uuid.uuid4().hex
    return [
        # not JSON at all
        b"\x00\xff proof-poison " + tag.encode() + b" {{{",
        # JSON, but no lifecycle event: unknown type, missing fields, wrong types
        json.dumps(
            {
                "type": subject.rsplit(".", 1)[1],
                "submission_id": 42,
                "version": 0,
                "proof_poison": tag,
            }
        ).encode(),
    ]


def consumers_of(subject: str) -> list[str]:
    def covers(pattern: str) -> bool:
        return pattern == subject or (pattern.endswith(".>") and subject.startswith(pattern[:-1]))

    return [c.durable for c in topology.CONSUMERS if any(covers(f) for f in c.filter_subjects)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, operator_tokens):
    env = proof_env(OPERATOR_TOKENS=operator_tokens.env())
    with Stack(data_dir=tmp_path_factory.mktemp("poison"), env=env) as s:
        yield s


def cli(stack: Stack, *args: str) -> str:
    env = {**os.environ, "NATS_URL": stack.nats_url}  # it connects like the services do
    out = subprocess.run(
        [CLI, *args], check=False, capture_output=True, text=True, timeout=30, env=env
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


async def test_poison_messages_end_in_dead_letters_and_the_services_go_on(stack):
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    try:
        expected: set[tuple[str, str, bytes]] = set()
        for subject in LIFECYCLE_SUBJECTS:
            for i, data in enumerate(poisons(subject)):
                await js.publish(
                    subject,
                    data,
                    stream=subjects.STREAM,
                    headers={"Nats-Msg-Id": f"poison-{uuid.uuid4().hex}-{i}"},
                )
                for durable in consumers_of(subject):
                    expected.add((durable, subject, data))
        assert len(expected) >= 2 * len(LIFECYCLE_SUBJECTS) + 2  # the projector sees all

        def recorded(records) -> set[tuple[str, str, bytes]]:
            return {
                (r.get("consumer"), r.get("subject"), base64.b64decode(r["data_b64"]))
                for r in records
                if "data_b64" in r
            }

        async def every_poison_recorded() -> list[dict]:
            records = await list_dead_letters(js)
            missing = sorted((d, s) for d, s, _ in expected - recorded(records))
            assert not missing, f"no dead-letter record for (consumer, subject): {missing}"
            return records

        records = await eventually(every_poison_recorded, 30, interval=0.3)
        for r in records:
            if "data_b64" in r:
                assert r["error"], r  # a record says why
                assert r["deliveries"] <= topology.CONSUMERS[0].max_deliver

        # nothing stays pending or unacknowledged: the poison was terminated, not retried
        async with stackclient.Bus(stack.nats_url) as bus:

            async def nothing_pending() -> bool:
                lag = await bus.lag()
                assert stackclient.drained(lag), f"consumers stuck on poison: {lag}"
                return True

            await eventually(nothing_pending, 20, interval=0.3)

        # the services go on: a valid submission is published
        sample = sample_events.Generator(seed=7, tag="poison").sample()
        while sample.expected_status != "published" or sample.online:
            sample = sample_events.Generator(seed=sample.n + 7, tag="poison").sample()
        async with httpx.AsyncClient(base_url=stack.url("submission"), timeout=10) as client:
            sub = await stackclient.submit(client, sample)
            assert sub.accepted, sub.body
            final = await stackclient.wait_settled(client, [sub], timeout=30)
        assert final[sub.id]["status"] == "published", final.get(sub.id)
        for name in ("submission", "validation", "geocoding", "map-feed"):
            assert stack.processes[(name, 1)].alive(), name
    finally:
        await nc.close()


async def test_operator_lists_and_replays_dead_letters(stack, operator_tokens):
    nc = await nats.connect(stack.nats_url)
    js = nc.jetstream()
    try:
        # A valid event that validation could not handle at the time (say, during an outage)
        # and that was dead-lettered after max_deliver: exactly what write_dead_letter keeps.
        sample = sample_events.Generator(seed=99, tag="replay").sample()
        while sample.expected_status != "published" or sample.online:
            sample = sample_events.Generator(seed=sample.n + 99, tag="replay").sample()
        body = dict(sample.body)
        body["organizer"] = {
            k: v for k, v in body["organizer"].items() if k not in ("email", "phone")
        }
        event = Received(
            submission_id=new_id(),
            version=1,
            by="organizer",
            submission=Submission.model_validate(upcast_submission(body)),  # the intake's shape
            received_at=utcnow(),
        )
        await write_dead_letter(
            js,
            consumer="validation",
            subject=subjects.RECEIVED,
            data=encode(event),
            headers={
                "Nats-Msg-Id": f"{event.submission_id}:1:received",
                "X-Submission-Id": event.submission_id,
            },
            error="simulated: failed 8 times: ConnectionError",
            deliveries=8,
        )

        # and a poison of our own, dead-lettered by validation
        data = poisons(subjects.RECEIVED)[0]
        await js.publish(
            subjects.RECEIVED,
            data,
            stream=subjects.STREAM,
            headers={"Nats-Msg-Id": f"poison-{uuid.uuid4().hex}"},
        )

        def poison_record(rs):
            return next(
                (
                    r
                    for r in rs
                    if r.get("consumer") == "validation"
                    and r.get("data_b64")
                    and base64.b64decode(r["data_b64"]) == data
                ),
                None,
            )

        async def dead_lettered() -> dict:
            record = poison_record(await list_dead_letters(js))
            assert record, "the poison was not dead-lettered by validation"
            return record

        poison = await eventually(dead_lettered, 30, interval=0.3)

        listed = [
            json.loads(line)
            # stdout is only JSON lines (logs go to stderr): every line must parse
            for line in cli(stack, "list", "--consumer", "validation").splitlines()
        ]
        ours = [
            r for r in listed if r.get("headers", {}).get("X-Submission-Id") == event.submission_id
        ]
        assert len(ours) == 1, listed
        seq = ours[0]["seq"]
        assert poison["seq"] in {r["seq"] for r in listed}

        out = cli(stack, "replay", str(seq), str(poison["seq"]))
        assert f"replayed {seq} on {subjects.RECEIVED}" in out, out
        remaining = {r["seq"] for r in await list_dead_letters(js)}
        assert seq not in remaining and poison["seq"] not in remaining

        # the replayed event goes through the whole pipeline
        headers = {"Authorization": f"Bearer {operator_tokens.valid}"}
        async with httpx.AsyncClient(base_url=stack.url("submission"), timeout=10) as client:

            async def published() -> bool:
                r = await client.get(f"/v1/submissions/{event.submission_id}", headers=headers)
                status = r.json().get("status") if r.status_code == 200 else r.status_code
                assert status == "published", status
                return True

            await eventually(published, 30, interval=0.3)

        # the replayed poison is poison still: it is dead-lettered again, not lost
        async def dead_lettered_again() -> dict:
            again = poison_record(await list_dead_letters(js))
            assert again and again["seq"] != poison["seq"], "a replayed poison vanished"
            return again

        await eventually(dead_lettered_again, 30, interval=0.3)
    finally:
        await nc.close()
