"""Benchmark: does ``POST /v1/organizer-links`` answer as fast for a known address as for
an unknown one? (It must not tell them apart, by its body or by its time.)

    uv run python bench/lost_links_timing.py [--submissions 20] [--requests 300]

Starts nats-server and ``sdi-submission`` (its own process, Maildir, no rate limits), submits
``--submissions`` events under one address, then sends ``--requests`` lost-link requests for
that address and as many for unknown addresses, interleaved one by one (the same machine
load for both), one at a time, and prints the medians and 90th percentiles of the answer
times and their ratio. The known address's requests do look its submissions up and publish
a renewal for each, in the background, after the answer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sdi_common.stack import Stack

REPO = Path(__file__).resolve().parents[1]
EVENT = {
    "title": "Visite de l'usine de moteurs électriques", "kind": "company_visit",
    "description": "Lignes de production et métiers de l'industrie.",
    "starts_at": "2024-11-20T09:00:00+01:00", "ends_at": "2024-11-20T12:00:00+01:00",
    "audiences": ["pupils"], "is_free": True, "informs_about_industry": True,
    "location": {"postcode": "69003", "city": "Lyon"},
    "organizer": {"name": "Moteurs de France", "type": "company", "email": "connue@example.fr"},
}


def quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    env = {"EDITION_FILE": str(REPO / "config" / "trial" / "2024-open.toml"),
           "RATE_LIMIT_PER_MINUTE": "0", "LOST_LINKS_PER_HOUR": "0", "LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(data_dir=Path(tmp), env=env)
        try:
            stack.start_nats()
            stack.bootstrap()
            base = stack.start("submission").url
            with httpx.Client(base_url=base, timeout=10) as c:
                for _ in range(args.submissions):
                    assert c.post("/v1/submissions", json=EVENT).status_code == 202
                times: dict[str, list[float]] = {"known": [], "unknown": []}
                bodies: dict[str, set[bytes]] = {"known": set(), "unknown": set()}
                for i in range(args.requests):
                    for kind, email in (("known", "connue@example.fr"),
                                        ("unknown", f"inconnue-{i}@example.fr")):
                        t0 = time.perf_counter()
                        r = c.post("/v1/organizer-links", json={"email": email})
                        times[kind].append(time.perf_counter() - t0)
                        assert r.status_code == 202
                        bodies[kind].add(r.content)
        finally:
            stack.stop_all()
    for kind, values in times.items():
        print(f"{kind:8s} n={len(values)} median {statistics.median(values) * 1000:.2f} ms "
              f"p90 {quantile(values, 0.9) * 1000:.2f} ms")
    ratio = statistics.median(times["known"]) / statistics.median(times["unknown"])
    print(f"median known / unknown: {ratio:.3f}; bodies identical: "
          f"{bodies['known'] == bodies['unknown'] and len(bodies['known']) == 1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
