"""Fixtures of the proof tests: operator tokens, quiet HTTP logs. Their black-box client
(``stackclient``) and realistic bodies (``sample_events``) come from ``scripts/``, which the
pytest configuration puts on the path."""

from __future__ import annotations

import pytest

from .proof_support import Tokens


@pytest.fixture(scope="module")
def operator_tokens() -> Tokens:
    return Tokens()


@pytest.fixture(autouse=True, scope="session")
def _quiet_http_logs():
    # schemathesis' requests and httpx log every call at DEBUG: unreadable reports
    import logging

    for name in ("urllib3", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
