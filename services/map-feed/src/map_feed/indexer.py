"""The feed indexer: lifecycle events -> the ``FEED`` bucket, never going backwards.

One durable consumer (``topology.FEED_INDEXER``) shared by every replica. For each key
the bucket holds either the public feature (a live entry, with its ``version``) or a
delete marker whose body records the version and the reason it was removed (a
tombstone), so that a redelivered, older event can never resurrect or overwrite a newer
state. Every write names the revision it read (``Nats-Expected-Last-Subject-Sequence``):
two replicas racing on one key cannot both win; the loser re-reads and decides again.

Rules, for an incoming event of version ``v`` against what the key holds:
- ``Geocoded``/``Relocated`` (upsert): applied over nothing, over a live entry of an
  older version (a ``Relocated`` also over the same version: an operator's correction),
  over a tombstone of an older version, or of the same version if that tombstone is not
  a withdrawal (``needs_review`` then ``Decided`` label, ``location_unresolved`` then
  ``Relocated`` keep the version).
- ``Rejected``/``NeedsReview``/``LocationUnresolved``: remove a live entry of an older
  version (a tombstone with the version; written even over nothing, to block older
  upserts).
- ``Withdrawn``: always removes; the tombstone blocks every upsert up to its version.
- ``EventStatusSet`` (full, cancelled, places left), whatever its version: rewrites the
  status of the live entry, or of the tombstone (written over nothing if need be) so that
  the coming upsert carries it; an older change than the one held is stale, and a withdrawn
  event keeps none. Every other write carries the status held over (``features.status_of``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import orjson
import structlog
from nats.js import JetStreamContext
from nats.js.errors import APIError, KeyNotFoundError, KeyWrongLastSequenceError
from sdi_common.contracts import (
    Event,
    EventStatusSet,
    Geocoded,
    Judged,
    LocationUnresolved,
    Relocated,
    Withdrawn,
)

from .features import (
    WITHDRAWN,
    build_feature,
    dumps,
    read_tombstone,
    status_change,
    status_of,
    status_time,
    tombstone,
    with_status,
)

log = structlog.get_logger(__name__)

KV_OP_HEADER = "KV-Operation"
EXPECTED_LAST_HEADER = "Nats-Expected-Last-Subject-Sequence"
MAX_ATTEMPTS = 20

#: ``status_set``: the event status of the entry (feature or tombstone) was rewritten
Effect = Literal["upserted", "unchanged", "deleted", "status_set", "stale", "ignored"]


@dataclass(frozen=True)
class Stored:
    """What the bucket holds for one key."""

    revision: int  # 0: the key never existed
    version: int  # 0: nothing
    live: bool
    withdrawn: bool = False
    body: bytes | None = None
    #: the event status it carries (None: never set, scheduled)
    status: dict | None = None
    reason: str | None = None  # a tombstone's


@dataclass(frozen=True)
class Result:
    effect: Effect
    revision: int | None = None  # the feed revision holding this event (for ``Published``)


class FeedIndexer:
    def __init__(self, js: JetStreamContext, kv, bucket: str = "FEED") -> None:
        self.js = js
        self.kv = kv
        self.prefix = f"$KV.{bucket}."

    async def read(self, key: str) -> Stored:
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError as err:
            if err.entry is None:
                return Stored(revision=0, version=0, live=False)
            tomb = read_tombstone(err.entry.value)
            return Stored(
                revision=err.entry.revision,
                version=int(tomb.get("version", 0)),
                live=False,
                withdrawn=tomb.get("reason") == WITHDRAWN,
                status=status_of(tomb),
                reason=tomb.get("reason"),
            )
        properties = orjson.loads(entry.value)["properties"]
        return Stored(revision=entry.revision, version=properties["version"], live=True,
                      body=entry.value, status=status_of(properties))

    async def handle(self, event: Event) -> Result:
        """Apply one event; retried on a lost race, idempotent on redelivery."""
        for _ in range(MAX_ATTEMPTS):
            stored = await self.read(event.submission_id)
            try:
                result = await self._decide_and_write(event, stored)
            except KeyWrongLastSequenceError:
                log.info("indexer.race_lost_retrying", submission_id=event.submission_id)
                continue
            log.info(
                "indexer.applied",
                submission_id=event.submission_id,
                version=event.version,
                type=event.type,
                effect=result.effect,
                revision=result.revision,
            )
            return result
        raise RuntimeError(f"too much contention on {event.submission_id}")

    async def _decide_and_write(self, event: Event, stored: Stored) -> Result:
        v = event.version
        if isinstance(event, EventStatusSet):
            return await self._set_status(event, stored)
        if isinstance(event, Geocoded | Relocated):
            body = dumps(build_feature(event, stored.status))
            relocated = isinstance(event, Relocated)
            if stored.live:
                if v == stored.version and (body == stored.body or not relocated):
                    # already there (a redelivery): say so again, JetStream dedupes ``Published``
                    return Result("unchanged", stored.revision)
                if v < stored.version or (v == stored.version and not relocated):
                    return Result("stale")
            elif stored.revision and (
                v < stored.version or (v == stored.version and stored.withdrawn)
            ):
                return Result("stale")
            revision = await self._write(event.submission_id, body, stored.revision)
            return Result("upserted", revision)

        if isinstance(event, Withdrawn):
            if stored.withdrawn and v <= stored.version:
                return Result("stale")
            await self._tombstone(event, max(v, stored.version), WITHDRAWN, stored.revision)
            return Result("deleted")

        if isinstance(event, Judged | LocationUnresolved) and event.type != "labelled":
            if stored.withdrawn or (stored.revision and v <= stored.version):
                return Result("stale")
            await self._tombstone(event, v, event.type, stored.revision, stored.status)
            return Result("deleted")

        return Result("ignored")

    async def _set_status(self, event: EventStatusSet, stored: Stored) -> Result:
        held = status_time(stored.status)
        if stored.withdrawn or (held is not None and event.at <= held):
            return Result("stale")
        status = status_change(event)
        if stored.live:
            await self._write(event.submission_id, with_status(stored.body, status),
                              stored.revision)
        else:  # kept for the upsert to come (or that a re-judgement may bring back)
            await self._tombstone(event, stored.version, stored.reason or "event_status",
                                  stored.revision, status)
        return Result("status_set")

    async def _publish(self, key: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            ack = await self.js.publish(self.prefix + key, body, headers=headers)
        except APIError as err:
            if err.err_code in (10071, 10164):  # wrong last sequence: someone wrote first
                raise KeyWrongLastSequenceError(description=err.description) from err
            raise
        return ack.seq

    async def _write(self, key: str, body: bytes, last: int) -> int:
        return await self._publish(key, body, {EXPECTED_LAST_HEADER: str(last)})

    async def _tombstone(self, event: Event, version: int, reason: str, last: int,
                         status: dict | None = None) -> int:
        body = tombstone(event.submission_id, version, reason, status)
        return await self._publish(
            event.submission_id, body, {KV_OP_HEADER: "DEL", EXPECTED_LAST_HEADER: str(last)}
        )

