"""The edition's figures, from a few counts the store makes (``Store.count_by``): no record
is read, so that 50,000 submissions are counted within the page's budget, by either store.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import Any

from sdi_common.contracts import AUDIENCES, Status

from .store.base import Filters, Store

#: the key of the records without a région or a département (online events, addresses
#: outside the départements)
NONE = "none"

#: how precise the points are, in the committee's words (housenumber is street level)
PRECISION_GROUPS = {"housenumber": "street", "street": "street", "municipality": "commune",
                    "department": "department", "manual": "manual"}


def median(histogram: Counter[int]) -> float | None:
    """The median of values given as value -> how many times it occurs."""
    n = sum(histogram.values())
    if not n:
        return None

    def nth(k: int) -> int:  # the k-th smallest value, from 0
        seen = 0
        for value in sorted(histogram):
            seen += histogram[value]
            if seen > k:
                return value
        raise IndexError(k)

    return float(nth(n // 2)) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


def _nested(counts: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    return {key: dict(sorted(c.items())) for key, c in sorted(counts.items())}


async def _counts(store: Store, filters: Filters, edition: str | None,
                  *fields: str) -> Counter[tuple[Any, ...]]:
    """Counts of the edition's records (judged under it, or not judged yet; every record
    when ``edition`` is None). The edition is a counted field, not a filter: each count
    then reads its index in order (SQLite), with no sort."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for (judged_under, *key), n in (await store.count_by(filters, "edition", *fields)).items():
        if edition is None or judged_under in (edition, None):
            counts[tuple(key)] += n
    return counts


async def statistics(store: Store, filters: Filters, edition: str | None) -> dict[str, Any]:
    # two counts, each in the order of its SQLite index (no sort), split here
    places, others = await asyncio.gather(
        _counts(store, filters, edition, "status", "region", "department", "kind", "precision"),
        _counts(store, filters, edition, "created_day", "decided_by", "decision_seconds",
                "audience_mask"),
    )
    masks: Counter[int] = Counter()
    days: Counter[str] = Counter()
    decisions: Counter[tuple[Any, Any]] = Counter()
    for (day, by, seconds, mask), n in others.items():
        days[day] += n
        decisions[by, seconds] += n
        masks[mask] += n
    audiences: Counter[str] = Counter()
    for mask, n in masks.items():
        for bit, audience in enumerate(AUDIENCES):
            if mask and mask >> bit & 1:
                audiences[audience] += n
    by_status: Counter[str] = Counter()
    by_region: dict[str, Counter[str]] = defaultdict(Counter)
    by_department: dict[str, Counter[str]] = defaultdict(Counter)
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    precision: Counter[str] = Counter()
    for (status, region, department, kind, placed_at), n in places.items():
        by_status[status] += n
        by_region[region or NONE][status] += n
        by_department[department or NONE][status] += n
        by_kind[kind][status] += n
        if placed_at and status != Status.withdrawn:
            precision[placed_at] += n
    decided: Counter[int] = Counter()
    by_operator: Counter[int] = Counter()
    for (by, seconds), n in decisions.items():
        if seconds is None:
            continue
        decided[seconds] += n
        if (by or "").startswith("operator:"):
            by_operator[seconds] += n
    placed = sum(precision.values())
    groups: Counter[str] = Counter()
    for name, n in precision.items():
        groups[PRECISION_GROUPS.get(name, name)] += n
    return {
        "total": sum(by_status.values()),
        "by_status": {s.value: by_status[s.value] for s in Status},
        "by_region": _nested(by_region),
        "by_department": _nested(by_department),
        "by_kind": _nested(by_kind),
        "by_audience": {a: audiences[a] for a in AUDIENCES},
        "decision_time": {
            "decided": sum(decided.values()),
            "median_seconds": median(decided),
            "decided_by_operator": sum(by_operator.values()),
            "median_seconds_by_operator": median(by_operator),
        },
        "placement": {
            "placed": placed,
            "by_precision": dict(sorted(precision.items())),
            "share": {g: round(groups[g] / placed, 4) if placed else 0.0
                      for g in ("street", "commune", "manual", "department")},
        },
        "submissions_per_day": [{"day": day, "count": n} for day, n in sorted(days.items())
                                if day],
    }
