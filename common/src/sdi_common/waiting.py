"""Wait on a condition, not on the clock: call a check until it holds, within a time limit.

    doc = wait_until(lambda: published(sid), 10, "status published")       # blocking
    doc = await eventually(lambda: status_is(client, sid, "published"))    # in a loop

A check holds when it returns something truthy, which is then returned. A check may also
assert: an ``AssertionError`` means "not yet", and when time is up the last one is raised
as it stands (with a note saying how long it was given), so a failure reads like the
assertion itself. Otherwise time up raises ``TimeoutError`` naming ``what``, with the
check's last answer. ``eventually`` awaits a check that returns an awaitable.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


class _Attempts:
    """The bookkeeping both flavours share: the deadline, the last answer or failure."""

    def __init__(self, timeout: float, what: str) -> None:
        self.timeout, self.what = timeout, what
        self.deadline = time.monotonic() + timeout
        self.last: Any = None
        self.failure: AssertionError | None = None

    def record(self, value: Any = None, failure: AssertionError | None = None) -> None:
        self.last, self.failure = value, failure

    def give_up(self) -> BaseException | None:
        """What to raise once time is up (None: not yet)."""
        if time.monotonic() < self.deadline:
            return None
        if self.failure is not None:
            self.failure.add_note(f"still failing after {self.timeout:g}s ({self.what})")
            return self.failure
        return TimeoutError(
            f"timed out after {self.timeout:g}s waiting for {self.what} (last: {self.last!r})"
        )


def wait_until(
    check: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "the condition",
    interval: float = 0.05,
) -> Any:
    """Call ``check`` every ``interval`` s until it holds; return its answer."""
    attempts = _Attempts(timeout, what)
    while True:
        try:
            if value := check():
                return value
            attempts.record(value)
        except AssertionError as exc:
            attempts.record(failure=exc)
        if (error := attempts.give_up()) is not None:
            raise error
        time.sleep(interval)


async def eventually(
    check: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "the condition",
    interval: float = 0.05,
) -> Any:
    """``wait_until`` for a running event loop: ``check`` may be a coroutine function."""
    attempts = _Attempts(timeout, what)
    while True:
        try:
            value = check()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            attempts.record(value)
        except AssertionError as exc:
            attempts.record(failure=exc)
        if (error := attempts.give_up()) is not None:
            raise error
        await asyncio.sleep(interval)
