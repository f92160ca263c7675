"""Fixtures of the proof tests: paths for the shared helpers and the black-box client."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for extra in (
    Path(__file__).parent,
    REPO / "scripts",
    REPO / "bench" / "peak",
    REPO / "tests" / "geocoding",
):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from proof_support import Tokens


@pytest.fixture(scope="module")
def operator_tokens() -> Tokens:
    return Tokens()


@pytest.fixture(autouse=True, scope="session")
def _quiet_http_logs():
    # schemathesis' requests and httpx log every call at DEBUG: unreadable reports
    import logging

    for name in ("urllib3", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
