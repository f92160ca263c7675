"""Wait on a condition, not on the clock: call a check until it holds, within a time limit.

    doc = wait_until(lambda: published(sid), 10, "status published")       # blocking
    doc = await eventually(lambda: status_is(client, sid, "published"))    # in a loop

A check holds when it returns something truthy, which is then returned. A check may also
assert: an ``AssertionError`` means "not yet", and when time is up the last one is raised
as it stands (with a note saying how long it was given), so a failure reads like the
assertion itself. Otherwise time up raises ``TimeoutError`` naming ``what``, with the
check's last answer. Any other exception ends the wait at once (``pytest.fail`` in a check
fails fast). ``eventually`` awaits a check that returns an awaitable.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


class _Attempts:
    """The bookkeeping both flavours share: the deadline, the answer that held."""

    def __init__(self, timeout: float, what: str) -> None:
        self.timeout, self.what = timeout, what
        self.deadline = time.monotonic() + timeout
        self.value: Any = None

    def holds(self, answer: Any) -> bool:
        """Whether ``answer`` (a check's value, or the AssertionError it raised) holds;
        raises once time is up."""
        if answer and not isinstance(answer, AssertionError):
            self.value = answer
            return True
        if time.monotonic() < self.deadline:
            return False
        if isinstance(answer, AssertionError):
            answer.add_note(f"still failing after {self.timeout:g}s ({self.what})")
            raise answer
        raise TimeoutError(
            f"timed out after {self.timeout:g}s waiting for {self.what} (last: {answer!r})"
        )


def wait_until(
    check: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "the condition",
    interval: float = 0.05,
) -> Any:
    """Call ``check`` every ``interval`` s until it holds; return its answer."""
    attempts = _Attempts(timeout, what)
    while not attempts.holds(_answer(check)):
        time.sleep(interval)
    return attempts.value


async def eventually(
    check: Callable[[], Any],
    timeout: float = 10.0,
    what: str = "the condition",
    interval: float = 0.05,
) -> Any:
    """``wait_until`` for a running event loop: ``check`` may be a coroutine function."""
    attempts = _Attempts(timeout, what)
    while not attempts.holds(await _awaited_answer(check)):
        await asyncio.sleep(interval)
    return attempts.value


def _answer(check: Callable[[], Any]) -> Any:
    try:
        return check()
    except AssertionError as exc:
        return exc


async def _awaited_answer(check: Callable[[], Any]) -> Any:
    try:
        value = check()
        return await value if inspect.isawaitable(value) else value
    except AssertionError as exc:
        return exc
