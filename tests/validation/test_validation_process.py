"""The real ``sdi-validation`` process: EDITION_FILE honoured, health, verdicts, SIGTERM."""

import asyncio
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import nats
from sdi_common import subjects
from sdi_common.contracts import Received, parse_event
from sdi_common.natsconn import publish_event
from sdi_common.stack import Stack

PARIS = ZoneInfo("Europe/Paris")
EDITION = """
name = "test-2030"
week_start = 2030-11-18
week_end = 2030-11-24
tolerance_days = 2
submissions_close_at = 2030-11-12
"""


async def publish_and_collect(url: str, events: list[Received], n: int) -> list:
    nc = await nats.connect(url)
    js = nc.jetstream()
    try:
        for e in events:
            await publish_event(js, e)
        sub = await js.subscribe(f"{subjects.PREFIX}.*", ordered_consumer=True)
        out = []
        while len(out) < n:
            msg = await sub.next_msg(timeout=15)
            if msg.subject != subjects.RECEIVED:
                out.append(parse_event(msg.data))
        return out
    finally:
        await nc.close()


def test_process_uses_edition_file_and_stops_cleanly(tmp_path, make_submission):
    edition_file = tmp_path / "edition.toml"
    edition_file.write_text(EDITION, encoding="utf-8")
    stack = Stack(data_dir=tmp_path / "stack")
    try:
        stack.start_nats()
        stack.bootstrap()
        stack.start("validation", EDITION_FILE=str(edition_file), LOG_LEVEL="WARNING")
        base = stack.url("validation")
        for path in ("/healthz", "/readyz", "/metrics"):
            assert httpx.get(base + path, timeout=5).status_code == 200
        edition = httpx.get(base + "/v1/edition", timeout=5).json()
        assert edition["name"] == "test-2030"
        assert (edition["first_day"], edition["last_day"]) == ("2030-11-16", "2030-11-26")
        assert edition["submissions_close_at"] == "2030-11-12T00:00:00+01:00"

        inside = make_submission(
            starts_at=datetime(2030, 11, 16, 0, 0, tzinfo=PARIS),
            ends_at=datetime(2030, 11, 26, 23, 59, tzinfo=PARIS),
        )
        outside = make_submission(starts_at=datetime(2024, 11, 20, 9, tzinfo=PARIS))
        at = datetime(2030, 11, 11, 23, 59, tzinfo=PARIS)
        events = [
            Received(submission_id="in", version=1, by="organizer", submission=inside, received_at=at),
            Received(submission_id="out", version=1, by="organizer", submission=outside, received_at=at),
        ]
        got = {e.submission_id: e for e in asyncio.run(publish_and_collect(stack.nats_url, events, 2))}
        assert got["in"].type == "labelled" and got["in"].edition == "test-2030"
        assert got["out"].type == "rejected"
        assert got["out"].reasons[0].code == "out_of_period"
        assert "entre le 16 novembre et le 26 novembre 2030" in got["out"].reasons[0].message
        assert "sdi_validation_verdicts_total" in httpx.get(base + "/metrics").text
        assert stack.stop("validation") == 0
    finally:
        stack.stop_all()


def test_malformed_edition_file_is_refused_at_start(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(EDITION.replace("tolerance_days = 2", 'tolerance_days = "two"'), encoding="utf-8")
    env = {**os.environ, "EDITION_FILE": str(bad), "NATS_URL": "nats://127.0.0.1:1", "PORT": "0"}
    exe = Path(sys.executable).parent / "sdi-validation"
    done = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 2
    assert f"invalid edition file {bad}: tolerance_days must be a whole number" in done.stderr
