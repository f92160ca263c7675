"""A replica's initial sync, live updates and Server-Sent Events (resume, reset, drop, cap)."""

from __future__ import annotations

import asyncio
import socket

import httpx
import orjson
import pytest
from map_feed.sse import SSE_DROPPED
from sdi_common.testing import eventually

from .mapfeed_events import feature_bytes, new_sid

pytestmark = pytest.mark.timeout(120)


class SSE:
    """Reads events (comments skipped) from one streaming httpx response."""

    def __init__(self, response) -> None:
        self.lines = response.aiter_lines()

    async def take(self, count: int, timeout: float = 10.0) -> list[dict]:
        events, current = [], {}

        async def read():
            async for line in self.lines:
                if line == "":
                    if "data" in current:
                        events.append(dict(current))
                        if len(events) == count:
                            return
                    current.clear()
                elif not line.startswith(":"):
                    field, _, value = line.partition(":")
                    current[field] = value.removeprefix(" ")

        await asyncio.wait_for(read(), timeout)
        return events


async def sse_events(response, count: int, timeout: float = 10.0) -> list[dict]:
    reader = response.extensions.setdefault("sse_reader", SSE(response))
    return await reader.take(count, timeout)


async def test_replica_initial_sync_then_live_updates(nats_url, kv, start_service):
    before = [new_sid() for _ in range(5)]
    for sid in before:
        await kv.put(sid, feature_bytes(sid))
    replica = await start_service(nats_url, run_indexer=False, snapshot_min_interval=0)
    try:
        assert replica.feed.store.synced
        async with httpx.AsyncClient(base_url=replica.url, timeout=10) as http:
            assert (await http.get("/readyz")).status_code == 200
            ids = {f["id"] for f in (await http.get("/v1/feed")).json()["features"]}
            assert set(before) <= ids
            async with http.stream("GET", "/v1/feed/stream") as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                sid = new_sid()
                revision = await kv.put(sid, feature_bytes(sid, title="Nouvel atelier"))
                (event,) = await sse_events(stream, 1)
                assert event["event"] == "upsert" and int(event["id"]) == revision
                assert orjson.loads(event["data"])["properties"]["title"] == "Nouvel atelier"
                revision = (
                    await kv.delete(before[0]) and (await kv.status()).stream_info.state.last_seq
                )
                (event,) = await sse_events(stream, 1)
                assert event["event"] == "delete" and orjson.loads(event["data"]) == {
                    "id": before[0]
                }
                assert int(event["id"]) == revision
            assert before[0] not in {
                f["id"] for f in (await http.get("/v1/feed")).json()["features"]
            }
    finally:
        await replica.stop()


async def test_resume_with_last_event_id_and_since(nats_url, kv, start_service):
    replica = await start_service(nats_url, run_indexer=False)
    try:
        async with httpx.AsyncClient(base_url=replica.url, timeout=10) as http:
            sid = new_sid()
            async with http.stream("GET", "/v1/feed/stream") as stream:
                await kv.put(sid, feature_bytes(sid, 1))
                (first,) = await sse_events(stream, 1)
            # disconnected; two changes happen meanwhile
            r2 = await kv.put(sid, feature_bytes(sid, 2))
            other = new_sid()
            r3 = await kv.put(other, feature_bytes(other))
            await eventually(lambda: replica.feed.store.revision >= r3)
            async with http.stream(
                "GET", "/v1/feed/stream", headers={"Last-Event-ID": first["id"]}
            ) as stream:
                events = await sse_events(stream, 2)
            assert [int(e["id"]) for e in events] == [r2, r3]
            assert orjson.loads(events[0]["data"])["properties"]["version"] == 2
            async with http.stream("GET", "/v1/feed/stream", params={"since": str(r2)}) as stream:
                (event,) = await sse_events(stream, 1)
            assert int(event["id"]) == r3
            bad = await http.get("/v1/feed/stream", params={"since": "yesterday"})
            assert (
                bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
            )
    finally:
        await replica.stop()


async def test_gap_older_than_the_log_gets_a_reset(nats_url, kv, start_service):
    replica = await start_service(nats_url, run_indexer=False, change_log_size=2)
    try:
        sid = new_sid()
        start = await kv.put(sid, feature_bytes(sid, 1))
        for version in range(2, 6):
            last = await kv.put(sid, feature_bytes(sid, version))
        await eventually(lambda: replica.feed.store.revision >= last)
        async with (
            httpx.AsyncClient(base_url=replica.url, timeout=10) as http,
            http.stream("GET", "/v1/feed/stream", params={"since": str(start)}) as stream,
        ):
            events = await sse_events(stream, 1)
        reset = events[0]
        assert reset["event"] == "reset" and int(reset["id"]) >= last
        collection = orjson.loads(reset["data"])
        assert collection["type"] == "FeatureCollection"
        mine = [f for f in collection["features"] if f["id"] == sid]
        assert mine[0]["properties"]["version"] == 5
    finally:
        await replica.stop()


async def test_slow_client_is_dropped_without_slowing_others(nats_url, kv, start_service):
    replica = await start_service(nats_url, run_indexer=False, sse_queue_size=64)
    try:
        host, port = replica.url.removeprefix("http://").split(":")
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect((host, int(port)))
        slow.sendall(b"GET /v1/feed/stream HTTP/1.1\r\nHost: x\r\n\r\n")  # and never read
        broadcaster = replica.feed.broadcaster
        for _ in range(100):
            if len(broadcaster) == 1:
                break
            await asyncio.sleep(0.02)
        assert len(broadcaster) == 1
        dropped_before = SSE_DROPPED._value.get()
        count = 800  # 8 MB: more than the socket buffers (4 MB at most here) can hide
        async with (
            httpx.AsyncClient(base_url=replica.url, timeout=30) as http,
            http.stream("GET", "/v1/feed/stream") as fast,
        ):
            sid = new_sid()
            big = "é" * 5000  # 10 kB per event

            async def produce():
                for version in range(1, count + 1):
                    await kv.put(sid, feature_bytes(sid, version, description=big))

            producer = asyncio.create_task(produce())
            versions = []
            while not versions or versions[-1] < count:  # states, in order, up to the last
                (event,) = await sse_events(fast, 1, timeout=30)
                versions.append(orjson.loads(event["data"])["properties"]["version"])
            await producer
        # Every state arrives in order. (The bucket keeps one revision per key: a revision
        # replaced before the watcher got it is gone, so a burst on one key may skip some;
        # the last state always arrives.)
        assert versions == sorted(set(versions)) and versions[-1] == count
        assert len(versions) > count * 0.9
        await eventually(lambda: len(broadcaster) == 0)  # the fast one left; the slow one was dropped
        assert SSE_DROPPED._value.get() >= dropped_before + 1
    finally:
        slow.close()
        await replica.stop()


async def test_connection_cap_answers_503(nats_url, start_service):
    replica = await start_service(nats_url, run_indexer=False, sse_max_clients=2)
    try:
        async with (
            httpx.AsyncClient(base_url=replica.url, timeout=10) as http,
            http.stream("GET", "/v1/feed/stream"),
            http.stream("GET", "/v1/feed/stream"),
        ):
            full = await http.get("/v1/feed/stream")
            assert full.status_code == 503
            assert full.headers["content-type"] == "application/problem+json"
            assert full.headers["retry-after"]
    finally:
        await replica.stop()
