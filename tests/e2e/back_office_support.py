"""What the back office's browser tests share: the events they post through the intake,
signing in, axe, screenshots."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

from .test_walking_skeleton import EVENT

AXE = Path(__file__).resolve().parents[1] / "widget" / "vendor" / "axe.min.js"
#: where the screenshots go (SDI_SCREENSHOTS, else the test's temporary folder)
SCREENSHOTS = os.environ.get("SDI_SCREENSHOTS")

NATIONAL = "national-operator-token-alice-0123456789abcdef"
REGIONAL = "regional-operator-token-bruno-0123456789abcdef"
EXPIRED = "expired-operator-token-old-0123456789abcdef"
TOKENS = (NATIONAL, REGIONAL, EXPIRED)

#: the walking skeleton's industrial event (labelled and placed by the real services)
INDUSTRIAL = {**EVENT, "organizer": {**EVENT["organizer"], "phone": "04 72 00 00 00"}}


def body(title: str, *, review: bool = True, postcode: str = "69003", city: str = "Lyon",
         **changes: Any) -> dict[str, Any]:
    """An event posted through the intake: ``review`` gives one the lexicon cannot tell
    (needs_review); otherwise an industrial one (labelled), placed where its address says.
    ``timings`` replaces its one session."""
    b = copy.deepcopy(INDUSTRIAL)
    b["title"] = title
    if review:
        b["description"] = "Une matinée pour rencontrer notre équipe et échanger."
    b["location"] = {"street": "2 rue de la Mairie", "postcode": postcode, "city": city}
    if "timings" in changes:  # instead of the one session's starts_at and ends_at
        del b["starts_at"], b["ends_at"]
    b.update(changes)
    return b


def axe_violations(page) -> list[dict]:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;window.axe = axe; true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert len(result["passes"]) > 15  # axe really looked
    return [{"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def sign_in(page, base: str, token: str) -> None:
    page.goto(base + "/back-office/")
    page.get_by_label("Jeton opérateur").fill(token)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector("#outils:not([hidden])")
