"""The one way tests wait: on a condition, with a time limit (``sdi_common.waiting``)."""

from __future__ import annotations

import itertools

import pytest
from sdi_common.waiting import eventually, wait_until


def test_returns_the_first_truthy_answer():
    answers = iter([None, 0, [], {"status": "published"}])
    assert wait_until(lambda: next(answers), 5, "a status", interval=0) == {"status": "published"}


def test_time_up_names_what_was_awaited_and_the_last_answer():
    with pytest.raises(TimeoutError, match=r"waiting for the feed \(last: \[\]\)"):
        wait_until(list, 0.05, "the feed", interval=0.01)


def test_an_assertion_means_not_yet_and_the_last_one_is_raised_as_it_stands():
    calls = itertools.count(1)

    def check():
        n = next(calls)
        assert n >= 3, f"only {n} call(s)"
        return n

    assert wait_until(check, 5, interval=0) == 3

    def never():
        n = next(calls)
        assert n < 0, f"call {n} is not negative"

    with pytest.raises(AssertionError, match=r"call \d+ is not negative") as failed:
        wait_until(never, 0.05, "a negative call", interval=0.01)
    assert failed.value.__notes__ == ["still failing after 0.05s (a negative call)"]


async def test_eventually_awaits_a_coroutine_check():
    polled = []

    async def ready():
        polled.append(1)
        return len(polled) >= 3 and "ready"

    assert await eventually(ready, 5, interval=0) == "ready"
    assert await eventually(lambda: ready()) == "ready"  # a lambda returning a coroutine


async def test_eventually_gives_up_like_wait_until():
    async def never():
        return None

    with pytest.raises(TimeoutError, match="the consumer drained"):
        await eventually(never, 0.05, "the consumer drained", interval=0.01)

    async def failing():
        assert False, "still 3 pending"

    with pytest.raises(AssertionError, match="still 3 pending"):
        await eventually(failing, 0.05, interval=0.01)
