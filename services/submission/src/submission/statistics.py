"""The edition's figures, from the ``facts`` of the records in scope (``Store.facts``).

One pass over small rows (no documents), so that 50,000 submissions are counted in well
under the page's budget; both stores give the same rows, so the figures are computed here
once.
"""

from __future__ import annotations

import statistics as stats
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sdi_common.contracts import AUDIENCES, Status

from .workdays import PARIS

#: the key of the records without a région or a département (online events, addresses
#: outside the départements)
NONE = "none"

#: how precise the points are, in the committee's three words (housenumber is street level)
PRECISION_GROUPS = {"housenumber": "street", "street": "street", "municipality": "commune",
                    "department": "department", "manual": "manual"}


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _median(values: list[float]) -> float | None:
    return round(stats.median(values), 1) if values else None


def summarize(facts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    by_status: Counter[str] = Counter()
    by_region: dict[str, Counter[str]] = defaultdict(Counter)
    by_department: dict[str, Counter[str]] = defaultdict(Counter)
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    by_audience: Counter[str] = Counter()
    per_day: Counter[str] = Counter()
    precision: Counter[str] = Counter()
    decided: list[float] = []
    by_operator: list[float] = []
    for f in facts:
        status = f["status"]
        by_status[status] += 1
        by_region[f["region"] or NONE][status] += 1
        by_department[f["department"] or NONE][status] += 1
        by_kind[f["kind"]][status] += 1
        by_audience.update(f["audiences"] or ())
        per_day[datetime.fromisoformat(f["created_at"]).astimezone(PARIS).date().isoformat()] += 1
        if f["precision"] and status != Status.withdrawn:
            precision[f["precision"]] += 1
        if f["decided_at"]:
            seconds = _seconds(f["received_at"], f["decided_at"])
            decided.append(seconds)
            if (f["decided_by"] or "").startswith("operator:"):
                by_operator.append(seconds)
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
        "by_audience": {a: by_audience[a] for a in AUDIENCES},
        "decision_time": {
            "decided": len(decided),
            "median_seconds": _median(decided),
            "decided_by_operator": len(by_operator),
            "median_seconds_by_operator": _median(by_operator),
        },
        "placement": {
            "placed": placed,
            "by_precision": dict(sorted(precision.items())),
            "share": {g: round(groups[g] / placed, 4) if placed else 0.0
                      for g in ("street", "commune", "manual", "department")},
        },
        "submissions_per_day": [{"day": d, "count": per_day[d]} for d in sorted(per_day)],
    }


def _nested(counts: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    return {key: dict(sorted(c.items())) for key, c in sorted(counts.items())}
