"""Prometheus metrics of the validation service (beside the shared per-message ones)."""

from prometheus_client import Counter

VERDICTS = Counter("sdi_validation_verdicts_total", "Verdicts published, by outcome", ["outcome"])
REASONS = Counter(
    "sdi_validation_reasons_total", "Failing rules in published verdicts, by code", ["code"]
)
