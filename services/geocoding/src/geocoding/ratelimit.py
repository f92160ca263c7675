"""A per-process token bucket for outgoing requests (GCRA form: no background task).

The national address API allows 50 requests/s per IP and answers 429 beyond that. Each
process holds one bucket, so the effective rate of a deployment is *replicas × rate*: keep
it at or below 50 (default 40/s: one replica, or e.g. ``BAN_RATE=16`` for three replicas).

Over any window of one second, at most ``rate + burst`` requests start.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    def __init__(
        self, rate: float, burst: int = 1, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._clock = clock
        # Theoretical arrival time of the next request (GCRA): the bucket is full when
        # _tat <= now, empty when _tat >= now + burst * interval.
        self._tat = clock()
        self._paused_until = 0.0

    async def acquire(self, max_wait: float | None = None) -> bool:
        """Wait for a token; False (at once) if it would take longer than ``max_wait``."""
        start = self._clock()
        while True:
            # nothing awaits between reading and moving _tat: each caller gets its own slot
            now = self._clock()
            tat = max(self._tat, now)
            wait = max(0.0, tat - now - (self.burst - 1) * self._interval)
            if max_wait is not None and now + wait > start + max_wait:
                return False
            self._tat = tat + self._interval
            if wait > 0:
                await asyncio.sleep(wait)
            if self._clock() >= self._paused_until:
                return True
            # a 429 paused the bucket while this slot was waiting: queue again after it

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` (a 429 ``Retry-After``), then resume at
        the normal pace with an empty bucket (no burst right after the server said stop)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._tat = max(self._tat, until + (self.burst - 1) * self._interval)
