"""A per-process token bucket for outgoing requests.

The national address API allows 50 requests/s per IP and answers 429 beyond that. Each
process holds one bucket, so the effective rate of a deployment is *replicas × rate*: keep
it at or below 50 (default 40/s: one replica, or e.g. ``BAN_RATE=10`` for five replicas).

Over any window of T seconds, at most ``burst + rate × T`` requests are granted.

Two clocks work together. Waiters get ordered slots one interval apart (GCRA's theoretical
arrival time), so that hundreds of waiting coroutines wake one by one instead of all at
once. A slot is only a promise: the grant itself is checked against a classic token
bucket refilled by real time, so a stalled event loop that wakes many waiters late cannot
let them through together.
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
        now = clock()
        self._tat = now  # next free slot (GCRA theoretical arrival time)
        self._tokens = float(burst)  # the real bucket, full at start
        self._last = now
        self._paused_until = 0.0

    def _take(self, now: float) -> bool:
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._last) * self.rate)
        self._last = max(self._last, now)
        if self._tokens >= 1.0 - 1e-9:
            self._tokens -= 1.0
            return True
        return False

    async def acquire(self, max_wait: float | None = None) -> bool:
        """Wait for a token; False (at once) if it would take longer than ``max_wait``."""
        deadline = None if max_wait is None else self._clock() + max_wait
        queue = True
        while True:
            now = self._clock()
            if queue:
                # nothing awaits between reading and moving _tat: each caller its own slot
                tat = max(self._tat, now)
                wait = max(0.0, tat - now - (self.burst - 1) * self._interval)
                self._tat = tat + self._interval
            else:
                wait = (1.0 - self._tokens) / self.rate  # the real bucket's shortfall
            if deadline is not None and now + wait > deadline:
                return False
            if wait > 0:
                await asyncio.sleep(wait)
            now = self._clock()
            if now < self._paused_until:
                queue = True  # a 429 paused the bucket meanwhile: a new slot after it
                continue
            if self._take(now):
                return True
            queue = False

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` (a 429 ``Retry-After``), then resume at
        the normal pace with an empty bucket (no burst right after the server said stop)."""
        until = self._clock() + seconds
        self._paused_until = max(self._paused_until, until)
        self._tat = max(self._tat, until + (self.burst - 1) * self._interval)
        self._tokens = 0.0
        self._last = max(self._last, until)
