"""The fixtures of contract version 1 (tests/data/contract_v1: what main's code wrote before
timings), as the upcaster tests of every area read them."""

from __future__ import annotations

import json
from pathlib import Path

DIR = Path(__file__).parent / "data" / "contract_v1"


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (DIR / name).read_text().splitlines() if line]


def events() -> list[dict]:
    """``{"subject", "data"}`` of every message of the stream, in order."""
    return _lines("events.jsonl")


def feed() -> list[dict]:
    """``{"key", "value"}`` of every live entry of the FEED bucket."""
    return _lines("feed.jsonl")


def records() -> list[dict]:
    """The submission store's documents."""
    return _lines("records.jsonl")
