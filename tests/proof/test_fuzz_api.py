"""Fuzz the submission and map-feed HTTP APIs from their own OpenAPI documents (schemathesis).

Schemathesis generates valid and invalid requests (positive and negative modes) for every
operation; each answer must be no 5xx, and every 4xx must be RFC 9457 problem+json (a JSON
object with ``title`` and the matching ``status``). The SSE stream is left out (an endless
response); it is covered by the fault and security tests.

Volume: FUZZ_EXAMPLES generated cases per operation at most (default 300), and the module
checks that each API got at least FUZZ_MIN_CASES cases in total (default 1,000, the issue's
goal). CI may lower both (e.g. FUZZ_EXAMPLES=40 FUZZ_MIN_CASES=150) and says so in its log.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from proof_support import proof_env
from sdi_common.stack import Stack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
MIN_CASES = int(os.environ.get("FUZZ_MIN_CASES", "1000"))
CASES: Counter = Counter()
FAILURES: list[str] = []
pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def stack(tmp_path_factory, operator_tokens):
    env = proof_env(RATE_LIMIT_PER_MINUTE="0", OPERATOR_TOKENS=operator_tokens.env())
    with Stack(data_dir=tmp_path_factory.mktemp("fuzz"), env=env) as s:
        if EXAMPLES < 300 or MIN_CASES < 1000:
            print(f"\nfuzz: reduced volume FUZZ_EXAMPLES={EXAMPLES} FUZZ_MIN_CASES={MIN_CASES}")
        yield s


@pytest.fixture(scope="module")
def submission_schema(stack):
    return schemathesis.openapi.from_url(stack.url("submission") + "/openapi.json")


@pytest.fixture(scope="module")
def map_feed_schema(stack):
    return schemathesis.openapi.from_url(stack.url("map-feed") + "/openapi.json")


submission_api = schemathesis.pytest.from_fixture("submission_schema")
map_feed_api = schemathesis.pytest.from_fixture("map_feed_schema").exclude(path_regex=r".*/stream$")
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)


def check_answer(api: str, case, response) -> None:
    """No 5xx; every 4xx is problem+json with a title and the right status."""
    CASES[api] += 1
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    assert response.status_code < 500, f"{where}: server error {response.text[:500]}"
    if 400 <= response.status_code < 500:
        ctype = response.headers.get("content-type", [""])
        ctype = ctype[0] if isinstance(ctype, list) else ctype
        assert ctype.startswith("application/problem+json"), f"{where}: Content-Type {ctype}"
        body = response.json()
        assert isinstance(body, dict) and body.get("title"), f"{where}: {body}"
        assert body.get("status") == response.status_code, f"{where}: {body}"


@submission_api.parametrize()
@FUZZ_SETTINGS
def test_submission_api_never_5xx_and_errors_are_problem_json(case, stack, operator_tokens):
    # Half the cases carry the operator's token so that operator endpoints get past auth.
    headers = None
    if case.headers is None or "Authorization" not in (case.headers or {}):
        if CASES["submission"] % 2:
            headers = {"Authorization": f"Bearer {operator_tokens.valid}"}
    response = case.call(base_url=stack.url("submission"), headers=headers, timeout=15)
    check_answer("submission", case, response)


@map_feed_api.parametrize()
@FUZZ_SETTINGS
def test_map_feed_api_never_5xx_and_errors_are_problem_json(case, stack):
    response = case.call(base_url=stack.url("map-feed"), timeout=15)
    check_answer("map-feed", case, response)


def test_each_api_got_enough_generated_cases(stack):
    # runs after the fuzzers above (pytest keeps the file order)
    for api in ("submission", "map-feed"):
        assert CASES[api] >= MIN_CASES, f"{api}: only {CASES[api]} cases ({dict(CASES)})"
    for name in ("submission", "map-feed"):
        assert stack.processes[(name, 1)].alive()
