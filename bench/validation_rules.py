"""Benchmark: labelling rules evaluated per second, in-process.

    uv run python bench/validation_rules.py [--seconds 2]

Judges a mix of submissions (the 346 labelled French titles/descriptions of
tests/validation/data, with dates inside, on and outside the window, free and paid,
on time and late) with ``validation.rules.judge``, beside a trivial baseline measured in
the same run: a function that checks one boolean and compares one date. The machine is
shared: compare the ratio, not the absolute figure.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sdi_common.contracts import Submission
from sdi_common.editions import EDITIONS_DIR, read_edition
from validation.industry import detect
from validation.rules import judge

DATA = Path(__file__).resolve().parents[1] / "tests" / "validation" / "data"


def cases() -> list[tuple[Submission, datetime]]:
    rows = []
    for name in ("industry_sample.jsonl", "industry_holdout.jsonl", "industry_fresh.jsonl"):
        text = (DATA / name).read_text(encoding="utf-8")
        rows += [json.loads(line) for line in text.splitlines() if line.strip()]
    out = []
    base = datetime(2024, 11, 20, 8, tzinfo=UTC)
    for i, row in enumerate(rows):
        start = base + timedelta(days=(i % 40) - 20, hours=i % 7)  # inside, on, outside
        out.append((
            Submission(
                title=row["title"],
                description=row["description"],
                kind="company_visit",
                timings=[{"starts_at": start, "ends_at": start + timedelta(hours=3 + i % 30)}],
                audiences=["employees"] if i % 11 == 0 else ["pupils", "general_public"],
                is_free=i % 9 != 0,
                price_eur=5.0 if i % 9 == 0 else None,
                informs_about_industry=i % 13 != 0,
                organizer={"name": "Bench", "type": "company"},
            ),
            datetime(2024, 11, 1, tzinfo=UTC) + timedelta(days=i % 15),  # some late
        ))
    return out


def baseline(submission: Submission, received_at: datetime, edition) -> bool:
    """Trivial: one boolean and one date comparison."""
    return submission.is_free and received_at < edition.submissions_close_at


def rate(fn, items, edition, seconds: float) -> float:
    """Calls per second: best of 3 rounds, each looping over ``items`` for ~seconds/3."""
    best = 0.0
    for _ in range(3):
        n, t0 = 0, time.perf_counter()
        deadline = t0 + seconds / 3
        while time.perf_counter() < deadline:
            for submission, received_at in items:
                fn(submission, received_at, edition)
            n += len(items)
        best = max(best, n / (time.perf_counter() - t0))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement")
    args = parser.parse_args()
    edition = read_edition(EDITIONS_DIR / "2024.toml")
    items = cases()
    outcomes = Counter(judge(s, r, edition).outcome for s, r in items)
    print(f"{len(items)} submissions, outcomes: {dict(outcomes)}")

    base = rate(baseline, items, edition, args.seconds)
    full = rate(judge, items, edition, args.seconds)
    industry = rate(lambda s, r, e: detect(s.title, s.description), items, edition, args.seconds)
    print(f"baseline (one bool, one date)  {base:>12,.0f} calls/s")
    print(f"judge (all six rules)          {full:>12,.0f} submissions/s   "
          f"({full * 6:,.0f} rules/s)   baseline/judge = {base / full:.1f}x")
    print(f"industry detector alone        {industry:>12,.0f} texts/s")
    print(f"per submission: judge {1e6 / full:.1f} µs, of which industry detector "
          f"{1e6 / industry:.1f} µs")


if __name__ == "__main__":
    main()
