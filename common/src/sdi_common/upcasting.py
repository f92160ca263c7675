"""Events of older contract versions, brought to the current shape when they are read.

The stream is the truth and is never rewritten: an event keeps the shape of the code that
wrote it. ``contracts.parse_event`` hands every event whose ``schema_version`` is older to
``upcast``, which applies the steps below in turn (1 -> 2 -> ...), each a function of the
event as JSON data; the result is then validated by the current models. A new version adds
its step here and bumps ``contracts.CONTRACT_VERSION``; the steps already written never
change (tests/common/test_contract_upcast.py runs them on events as the old code wrote them).

Stores that keep a ``Submission`` of their own (the submission service's records) bring it
up to date with ``upcast_submission``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Data = dict[str, Any]


def _submission_v1_to_v2(submission: Data) -> Data:
    """Version 1 had one ``starts_at`` and one ``ends_at``: they are its one timing."""
    if "timings" in submission or "starts_at" not in submission:
        return submission
    out = {k: v for k, v in submission.items() if k not in ("starts_at", "ends_at")}
    out["timings"] = [{"starts_at": submission["starts_at"],
                       "ends_at": submission.get("ends_at")}]
    return out


def _v1_to_v2(event: Data) -> Data:
    if isinstance(event.get("submission"), dict):
        event = {**event, "submission": _submission_v1_to_v2(event["submission"])}
    return event


#: the step from each version to the next
STEPS: dict[int, Callable[[Data], Data]] = {1: _v1_to_v2}


def upcast(event: Data, target: int) -> Data:
    """``event`` (JSON data of any version up to ``target``) in the shape of ``target``;
    a version newer than ``target`` is left as it is (the models then refuse it)."""
    version = event.get("schema_version", 1)
    if not isinstance(version, int):
        return event
    while version < target and version in STEPS:
        event = STEPS[version](event)
        version += 1
        event = {**event, "schema_version": version}
    return event


def upcast_submission(submission: Data) -> Data:
    """A ``Submission`` kept as JSON by a store, in the current shape (any older one)."""
    return _submission_v1_to_v2(submission)
