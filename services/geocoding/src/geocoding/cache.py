"""The shared geocoding cache: the JetStream key-value bucket ``GEOCACHE``.

Declared by the bootstrap step (TTL 30 days, ``topology.GEOCACHE_BUCKET``); this service
binds to it and never creates it. One key per normalized address
(``normalize.address_key``: "12 Bd St-Michel, 75005 PARIS" and "12 boulevard saint michel,
75005 Paris" share it), hashed because KV keys allow only ``[-/_=.a-zA-Z0-9]``.

What is cached, and why:
- positive results of a chain that has a remote step (BAN/addok), when every remote step
  answered: they spare the national API's 50 requests/s shared budget. A chain of only the
  offline gazetteer uses no cache (a lookup costs microseconds, a KV round trip a
  millisecond);
- not a result reached while a remote step was unavailable (breaker open, retries spent):
  the next submission at that address should get BAN's precision back, not a commune
  point pinned for 30 days;
- no negative result in the bucket: the bucket's TTL applies to every key (30 days, no
  per-key TTL), BAN's data changes weekly, and an unresolved address usually comes back
  amended, i.e. under another key. A short in-process memo (``NegativeMemo``, minutes)
  absorbs bursts of the same unknown address without spending the API's budget.

The cache is an optimisation: a KV error is logged and counted, and the chain answers.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

import nats.errors
import structlog
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import ValidationError
from sdi_common import topology
from sdi_common.contracts import GeoResult

from .metrics import CACHE
from .normalize import address_key

log = structlog.get_logger(__name__)

#: bump when the cached value's meaning changes: old entries are simply never read again
KEY_VERSION = "v1"
#: what a KV call raises when NATS or the bucket cannot answer (nats-py's errors and the
#: sockets' errors; TimeoutError covers nats' own timeout too)
_KV_ERRORS = (nats.errors.Error, OSError, TimeoutError)


def cache_key(street: str | None, postcode: str | None, city: str | None) -> str:
    digest = hashlib.sha256(address_key(street, postcode, city).encode()).hexdigest()
    return f"{KEY_VERSION}.{digest[:48]}"


class GeoCache:
    def __init__(
        self,
        jetstream: Callable[[], JetStreamContext],
        bucket: str = topology.GEOCACHE_BUCKET.name,
    ) -> None:
        self._jetstream = jetstream
        self._bucket = bucket
        self._kv: KeyValue | None = None

    async def _bind(self) -> KeyValue:
        if self._kv is None:
            # binds to the existing bucket; raises BucketNotFoundError if bootstrap has not run
            self._kv = await self._jetstream().key_value(self._bucket)
        return self._kv

    async def get(self, key: str) -> GeoResult | None:
        """The cached result, or None on a miss (or when the cache cannot answer)."""
        try:
            kv = await self._bind()
            entry = await kv.get(key)
        except KeyNotFoundError:
            CACHE.labels("miss").inc()
            return None
        except _KV_ERRORS as exc:  # NATS down, bucket missing: the chain still answers
            CACHE.labels("error").inc()
            log.warning("geocache.unavailable", error=repr(exc))
            return None
        try:
            result = GeoResult.model_validate_json(entry.value or b"")
        except ValidationError:
            CACHE.labels("error").inc()
            log.warning("geocache.bad_entry", key=key)
            return None
        CACHE.labels("hit").inc()
        return result

    async def put(self, key: str, result: GeoResult) -> None:
        try:
            kv = await self._bind()
            await kv.put(key, result.model_dump_json().encode())
        except _KV_ERRORS as exc:
            log.warning("geocache.put_failed", error=repr(exc))


class NegativeMemo:
    """Addresses found nowhere lately, per process, for ``ttl`` seconds (bounded LRU)."""

    def __init__(
        self, ttl: float = 600.0, size: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl, self.size, self._clock = ttl, size, clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        expires = self._seen.get(key)
        if expires is None:
            return False
        if expires < self._clock():
            del self._seen[key]
            return False
        return True

    def add(self, key: str) -> None:
        if self.ttl <= 0:
            return
        self._seen[key] = self._clock() + self.ttl
        self._seen.move_to_end(key)
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
