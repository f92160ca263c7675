"""The French labels of the feed's vocabulary (``labels.json``: one table, which the event
pages, the exports and the widget read)."""

from __future__ import annotations

import json
from pathlib import Path

LABELS: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).parent / "labels.json").read_text(encoding="utf-8")
)
KINDS = LABELS["kinds"]
AUDIENCES = LABELS["audiences"]
#: "handicap moteur"... (lower case: they go into sentences)
ACCESSIBILITY = LABELS["accessibility"]
EVENT_STATUSES = LABELS["event_statuses"]
