"""A black-box client of the running stack, shared by the load benchmark (bench/peak), the
demo and the proof tests: submit with retries, read statuses, watch the feed's SSE stream,
read the JetStream consumers' lag.

It speaks only the public contracts (HTTP of submission and map-feed, JetStream info).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
import nats
import nats.errors

#: the statuses a submission rests in without a person acting (needs_review waits for one)
SETTLED = frozenset({"published", "rejected", "location_unresolved", "withdrawn", "needs_review"})
DURABLES = ("validation", "geocoding", "map-feed-indexer", "submission-projector")


@dataclass
class Submitted:
    """What happened to one POST, retries included."""

    sample: Any  # sample_events.Sample
    id: str | None = None
    token: str | None = None
    http_status: int | None = None
    attempts: int = 0
    retried: Counter = field(default_factory=Counter)  # why: 429, 503, timeout, ...
    started: float = 0.0  # monotonic, first attempt
    accepted_at: float | None = None  # monotonic, 202 received
    body: Any = None  # the last answer body (problem+json on errors)

    @property
    def accepted(self) -> bool:
        return self.http_status == 202 and self.id is not None


class BareHTTP:
    """A pool of bare HTTP/1.1 keep-alive connections for the hot path (POSTs).

    A load generator must cost far less than what it measures: httpx spends about as much
    CPU per request as the intake endpoint itself (see bench/intake.py), and on 2 shared
    cores that would cap the very rate we want to measure.
    """

    def __init__(self, base_url: str, size: int = 64, timeout: float = 10.0):
        hostport = base_url.split("://", 1)[1].rstrip("/")
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.timeout = timeout
        self.pool: asyncio.LifoQueue = asyncio.LifoQueue()
        for _ in range(size):
            self.pool.put_nowait(None)

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = await self.pool.get()
        try:
            async with asyncio.timeout(self.timeout):
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                reader, writer = conn
                lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
                if body:
                    lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
                lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                hdrs = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        hdrs[k.strip().lower()] = v.strip()
                if "content-length" in hdrs:
                    data = await reader.readexactly(int(hdrs["content-length"]))
                elif hdrs.get("transfer-encoding") == "chunked":
                    data = b""
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                        chunk = await reader.readexactly(size + 2)
                        if size == 0:
                            break
                        data += chunk[:-2]
                else:
                    data = b""
                if hdrs.get("connection", "").lower() == "close":
                    writer.close()
                    conn = None
                return status, hdrs, data
        except BaseException:
            if conn is not None:
                conn[1].close()
            conn = None
            raise
        finally:
            self.pool.put_nowait(conn)

    async def aclose(self) -> None:
        while not self.pool.empty():
            conn = self.pool.get_nowait()
            if conn is not None:
                conn[1].close()


def client_ip(n: int) -> str:
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _retry_after(resp: httpx.Response, default: float) -> float:
    try:
        return max(0.05, min(float(resp.headers.get("retry-after", default)), 5.0))
    except ValueError:
        return default


@dataclass
class _Answer:
    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


async def submit(
    client: httpx.AsyncClient | BareHTTP,
    sample: Any,
    *,
    max_attempts: int = 30,
    give_up_after: float = 120.0,
    forwarded_for: bool = True,
) -> Submitted:
    """POST one sample, retrying with the same Idempotency-Key on 429, 503, 5xx and network
    errors, as a well-behaved web client would. 202 and 4xx other than 429 are final."""
    out = Submitted(sample=sample, started=time.monotonic())
    headers = {"Idempotency-Key": sample.idempotency_key}
    if forwarded_for:
        # one client address per organiser, as behind the production proxy; honoured only
        # where the service trusts X-Forwarded-For (TRUST_FORWARDED_FOR=true)
        headers["X-Forwarded-For"] = client_ip(sample.n)
    backoff = 0.1
    while out.attempts < max_attempts and time.monotonic() - out.started < give_up_after:
        out.attempts += 1
        try:
            if isinstance(client, BareHTTP):
                code, hdrs, data = await client.request(
                    "POST", "/v1/submissions", json.dumps(sample.body).encode(), headers
                )
                resp = _Answer(code, hdrs, data)
            else:
                resp = await client.post("/v1/submissions", json=sample.body, headers=headers)
        except (
            httpx.TimeoutException,
            httpx.NetworkError,
            httpx.RemoteProtocolError,
            OSError,
            TimeoutError,
            asyncio.IncompleteReadError,
            ValueError,
        ) as exc:
            out.retried[type(exc).__name__] += 1
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, 2.0)
            continue
        out.http_status = resp.status_code
        try:
            out.body = resp.json()
        except ValueError:
            out.body = resp.text
        if resp.status_code == 202:
            out.accepted_at = time.monotonic()
            out.id = out.body["id"]
            out.token = out.body.get("organizer_token")
            return out
        if resp.status_code in (429, 503) or resp.status_code >= 500:
            out.retried[str(resp.status_code)] += 1
            await asyncio.sleep(_retry_after(resp, backoff) * (0.5 + random.random()))
            backoff = min(backoff * 2, 2.0)
            continue
        return out  # 4xx: the answer is final
    return out


async def get_submission(
    client: httpx.AsyncClient, sid: str, token: str
) -> tuple[int, dict | None]:
    resp = await client.get(f"/v1/submissions/{sid}", headers={"Authorization": f"Bearer {token}"})
    try:
        return resp.status_code, resp.json()
    except ValueError:
        return resp.status_code, None


async def wait_settled(
    client: httpx.AsyncClient,
    accepted: list[Submitted],
    *,
    timeout: float = 60.0,
    concurrency: int = 32,
) -> dict[str, dict]:
    """Poll every accepted submission until it has a settled status (or the timeout).
    Returns {id: last body}; ids still unsettled keep their last status."""
    last: dict[str, dict] = {}
    pending = {s.id: s for s in accepted if s.accepted}
    deadline = time.monotonic() + timeout
    sem = asyncio.Semaphore(concurrency)

    async def one(s: Submitted) -> None:
        async with sem:
            try:
                code, body = await get_submission(client, s.id, s.token)
            except httpx.HTTPError:
                return
        if code == 200 and body:
            last[s.id] = body
            if body.get("status") in SETTLED:
                pending.pop(s.id, None)

    while pending and time.monotonic() < deadline:
        await asyncio.gather(*(one(s) for s in list(pending.values())))
        if pending:
            await asyncio.sleep(0.5)
    return last


def history_statuses(body: dict) -> list[str]:
    return [h.get("status") for h in body.get("history", [])]


# --------------------------------------------------------------------------- feed


async def feed_ids(client: httpx.AsyncClient) -> list[str]:
    """Every feature id of the public feed, in order (duplicates kept, to be counted)."""
    resp = await client.get("/v1/feed")
    resp.raise_for_status()
    return [f["id"] for f in resp.json()["features"]]


class Background:
    """Runs ``self._run()`` in a task of its own between ``start()`` and ``await stop()``."""

    _task: asyncio.Task | None = None

    async def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class FeedWatcher(Background):
    """Follows ``/v1/feed/stream`` and records when each id was first upserted.

    Reconnects with ``Last-Event-ID`` when the stream drops (a map-feed replica killed).
    """

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.first_seen: dict[str, float] = {}
        self.upserts: Counter = Counter()
        self.deletes: Counter = Counter()
        self.resets = 0
        self.reconnects = 0
        self.last_id: str | None = None
        self.connected = asyncio.Event()

    def _on(self, event: str, data: str) -> None:
        now = time.monotonic()
        if event == "upsert":
            fid = json.loads(data)["id"]
            self.upserts[fid] += 1
            self.first_seen.setdefault(fid, now)
        elif event == "delete":
            self.deletes[json.loads(data)["id"]] += 1
        elif event == "reset":
            self.resets += 1
            for f in json.loads(data).get("features", []):
                self.first_seen.setdefault(f["id"], now)

    async def _run(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=None) as client:
            while True:
                headers = {"Accept": "text/event-stream"}
                if self.last_id:
                    headers["Last-Event-ID"] = self.last_id
                try:
                    async with client.stream("GET", "/v1/feed/stream", headers=headers) as r:
                        if r.status_code != 200:
                            raise httpx.HTTPError(f"stream answered {r.status_code}")
                        self.connected.set()
                        event, data = "message", []
                        async for line in r.aiter_lines():
                            if line == "":
                                if data:
                                    self._on(event, "\n".join(data))
                                event, data = "message", []
                            elif line.startswith(":"):
                                continue
                            elif line.startswith("event:"):
                                event = line[6:].strip()
                            elif line.startswith("data:"):
                                data.append(line[5:].lstrip())
                            elif line.startswith("id:"):
                                self.last_id = line[3:].strip()
                except (httpx.HTTPError, ValueError):
                    pass
                self.reconnects += 1
                await asyncio.sleep(0.2)


# --------------------------------------------------------------------------- JetStream


def drained(lag: dict[str, dict[str, int]]) -> bool:
    """Nothing pending nor awaiting an ack on any consumer of a ``Bus.lag()`` answer."""
    return all(v["pending"] + v["ack_pending"] == 0 for v in lag.values())


class Bus:
    """Read-only views of the JetStream state: consumer lag and per-subject counts."""

    def __init__(self, nats_url: str):
        self.nats_url = nats_url
        self.nc = None
        self.js = None

    async def __aenter__(self) -> Self:
        self.nc = await nats.connect(
            self.nats_url,
            name="sdi-proof-observer",
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.2,
        )
        self.js = self.nc.jetstream(timeout=2)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.nc:
            await self.nc.close()

    async def lag(self) -> dict[str, dict[str, int]]:
        """{durable: {pending, ack_pending, redelivered}} for the four durables."""
        out = {}
        for durable in DURABLES:
            try:
                info = await self.js.consumer_info("SUBMISSIONS", durable, timeout=2)
            except (nats.errors.Error, TimeoutError):  # missing, or the server restarting
                continue
            out[durable] = {
                "pending": info.num_pending or 0,
                "ack_pending": info.num_ack_pending or 0,
                "redelivered": info.num_redelivered or 0,
            }
        return out

    async def subject_counts(self) -> dict[str, int]:
        """Messages per lifecycle subject in the SUBMISSIONS stream."""
        info = await self.js.stream_info("SUBMISSIONS", subjects_filter="submissions.>")
        return dict(info.state.subjects or {})

    async def deadletter_count(self) -> int:
        try:
            info = await self.js.stream_info("DEADLETTER")
        except Exception:  # noqa: BLE001
            return 0
        return info.state.messages


async def events_by_submission(bus: Bus, timeout: float = 60.0) -> dict[str, list[str]]:
    """The stream's truth: every lifecycle event type per submission id, in stream order
    (read with an ordered consumer; the X-Submission-Id header names the submission)."""
    from nats.js.api import DeliverPolicy

    info = await bus.js.stream_info("SUBMISSIONS")
    out: dict[str, list[str]] = {}
    if not info.state.messages:
        return out
    sub = await bus.js.subscribe(
        "submissions.>",
        stream="SUBMISSIONS",
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.ALL,
        pending_msgs_limit=100_000,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = await sub.next_msg(timeout=10)
            sid = (msg.headers or {}).get("X-Submission-Id")
            if sid:
                out.setdefault(sid, []).append(msg.subject.rsplit(".", 1)[1])
            if msg.metadata.sequence.stream >= info.state.last_seq:
                break
    finally:
        await sub.unsubscribe()
    return out


#: the event type that ends each settled status, on the stream
TERMINAL_EVENTS = {
    "published": "published",
    "rejected": "rejected",
    "needs_review": "needs_review",
    "location_unresolved": "location_unresolved",
    "withdrawn": "withdrawn",
}
