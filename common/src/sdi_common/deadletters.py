"""Dead letters: messages no consumer could handle, kept for an operator to list and replay.

A record is a JSON message on ``deadletter.<consumer>`` in the DEADLETTER stream, holding
the original subject, payload (base64), headers, the error and the delivery count. The same
stream also captures JetStream's max-deliveries advisories, for messages whose consumer
died on them before it could write a record.

    sdi-deadletters list [--consumer validation]
    sdi-deadletters replay SEQ [SEQ...]     # republish the original message, then delete the record
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
from datetime import UTC, datetime

import nats
from nats.js import JetStreamContext

from . import subjects
from .logging import configure_logging
from .natsconn import connect
from .settings import ServiceSettings


async def write_dead_letter(
    js: JetStreamContext,
    *,
    consumer: str,
    subject: str,
    data: bytes,
    headers: dict[str, str] | None,
    error: str,
    deliveries: int,
) -> None:
    record = {
        "consumer": consumer,
        "subject": subject,
        "data_b64": base64.b64encode(data).decode(),
        "headers": dict(headers or {}),
        "error": error[:2000],
        "deliveries": deliveries,
        "at": datetime.now(UTC).isoformat(),
    }
    await js.publish(
        subjects.deadletter(consumer),
        json.dumps(record).encode(),
        stream=subjects.DEADLETTER_STREAM,
    )


async def list_dead_letters(js: JetStreamContext, consumer: str | None = None) -> list[dict]:
    """Every record (and advisory) in the DEADLETTER stream, oldest first."""
    info = await js.stream_info(subjects.DEADLETTER_STREAM)
    out: list[dict] = []
    seq = info.state.first_seq
    while info.state.messages and seq <= info.state.last_seq:
        try:
            msg = await js.get_msg(subjects.DEADLETTER_STREAM, seq)
        except nats.js.errors.NotFoundError:
            seq += 1
            continue
        record = json.loads(msg.data)
        record["seq"] = seq
        record["record_subject"] = msg.subject
        if consumer is None or record.get("consumer", record.get("consumer_name")) == consumer:
            out.append(record)
        seq += 1
    return out


async def replay(js: JetStreamContext, seq: int) -> str:
    """Republish a dead letter's original message, then delete the record."""
    msg = await js.get_msg(subjects.DEADLETTER_STREAM, seq)
    record = json.loads(msg.data)
    if "data_b64" not in record:
        raise ValueError(f"record {seq} is an advisory, not a dead letter: nothing to replay")
    headers = {k: v for k, v in record["headers"].items() if k != "Nats-Msg-Id"}
    # A fresh message id: the original id would be dropped by JetStream's dedupe window.
    headers["Nats-Msg-Id"] = f"replay:{seq}:{record['headers'].get('Nats-Msg-Id', '')}"
    await js.publish(record["subject"], base64.b64decode(record["data_b64"]), headers=headers)
    await js.delete_msg(subjects.DEADLETTER_STREAM, seq)
    return record["subject"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sdi-deadletters", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="list dead letters as JSON lines")
    ls.add_argument("--consumer")
    rp = sub.add_parser("replay", help="republish dead letters by sequence number")
    rp.add_argument("seqs", nargs="+", type=int)
    args = parser.parse_args(argv)

    # Logs go to stderr: stdout carries only the JSON lines an operator may pipe elsewhere.
    configure_logging("sdi-deadletters", os.environ.get("LOG_LEVEL", "WARNING"))

    async def run() -> int:
        # NATS_URL, NATS_CREDS and NATS_TLS_CA from the environment, as for the services
        nc = await connect(ServiceSettings(service_name="sdi-deadletters"))
        js = nc.jetstream()
        try:
            if args.command == "list":
                for record in await list_dead_letters(js, args.consumer):
                    print(json.dumps(record, ensure_ascii=False))
            else:
                for seq in args.seqs:
                    print(f"replayed {seq} on {await replay(js, seq)}")
            return 0
        finally:
            await nc.close()

    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
