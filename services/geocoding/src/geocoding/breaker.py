"""A circuit breaker: stop calling a failing geocoder for a while, then probe it.

closed ──(failure_threshold consecutive failures)──▶ open ──(reset_timeout)──▶ half-open
half-open: one probe call at a time; success ▶ closed, failure ▶ open again.

While open, callers skip the step and the chain falls through to the next geocoder, so a
national API outage costs nothing but precision.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

import structlog

log = structlog.get_logger(__name__)


class State(StrEnum):
    closed = "closed"
    open = "open"
    half_open = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[str, State], None] | None = None,
    ) -> None:
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._on_change = on_change
        self._state = State.closed
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> State:
        if self._state is State.open and self._clock() - self._opened_at >= self.reset_timeout:
            self._set(State.half_open)
        return self._state

    def allow(self) -> bool:
        """May a call go through now? In half-open state only one probe is in flight."""
        state = self.state
        if state is State.closed:
            return True
        if state is State.half_open and not self._probing:
            self._probing = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._probing = False
        if self._state is not State.closed:
            self._set(State.closed)

    def record_failure(self) -> None:
        self._failures += 1
        probing, self._probing = self._probing, False
        if probing or (self._state is State.closed and self._failures >= self.failure_threshold):
            self._opened_at = self._clock()
            self._set(State.open)

    def release(self) -> None:
        """A permitted call ended without telling anything about the server's health
        (e.g. a 4xx answer to a bad query): let another probe through."""
        self._probing = False

    def _set(self, state: State) -> None:
        if state is self._state:
            return
        log.warning("geocoder.breaker", geocoder=self.name, state=str(state), was=str(self._state))
        self._state = state
        if self._on_change:
            self._on_change(self.name, state)
