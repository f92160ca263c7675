"""The real ``sdi-geocoding`` process: health, a labelled event placed, clean SIGTERM;
bad settings refused at start with a clear message."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import nats
from sdi_common import subjects
from sdi_common.contracts import Judged, Submission, parse_event
from sdi_common.natsconn import publish_event
from sdi_common.stack import Stack


async def place_one(url: str, event: Judged):
    nc = await nats.connect(url)
    js = nc.jetstream()
    try:
        sub = await js.subscribe(subjects.GEOCODED, ordered_consumer=True)
        await publish_event(js, event)
        msg = await sub.next_msg(timeout=20)
        return parse_event(msg.data)
    finally:
        await nc.close()


def test_process_places_an_event_and_stops_cleanly(tmp_path, mairies):
    row = mairies[300]
    submission = Submission.model_validate(
        {
            "title": "Portes ouvertes de la fonderie",
            "kind": "company_visit",
            "timings": [{"starts_at": "2024-11-20T09:00:00+01:00",
                         "ends_at": "2024-11-20T12:00:00+01:00"}],
            "audiences": ["general_public"],
            "is_free": True,
            "informs_about_industry": True,
            "location": {"street": row["street"], "postcode": row["postcode"], "city": row["city"]},
            "organizer": {"name": "Fonderie", "type": "company"},
        }
    )
    event = Judged(
        type="labelled",
        submission_id="p-1",
        version=1,
        by="validation",
        submission=submission,
        edition="2024",
    )
    with Stack(data_dir=tmp_path / "stack") as stack:
        stack.start_nats()
        stack.bootstrap()
        stack.start("geocoding", LOG_LEVEL="WARNING", GEOCODER_CHAIN="gazetteer")
        base = stack.url("geocoding")
        for path in ("/healthz", "/readyz"):
            assert httpx.get(base + path, timeout=5).status_code == 200
        placed = asyncio.run(place_one(stack.nats_url, event))
        assert placed.location.citycode == row["citycode"]
        metrics = httpx.get(base + "/metrics", timeout=5).text
        assert (
            'sdi_geocoding_results_total{precision="municipality",source="gazetteer"} 1.0'
            in metrics
        )
        assert stack.stop("geocoding") == 0


def test_bad_settings_are_refused_at_start():
    exe = Path(sys.executable).parent / "sdi-geocoding"
    env = {**os.environ, "GEOCODER_CHAIN": "addok,gazetteer", "NATS_URL": "nats://127.0.0.1:1"}
    env.pop("ADDOK_URL", None)
    done = subprocess.run(
        [str(exe)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert "GEOCODER_CHAIN names addok but ADDOK_URL is not set" in done.stderr
