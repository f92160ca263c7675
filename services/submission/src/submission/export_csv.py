"""The DGE's reporting export: CSV that a French spreadsheet opens as it is.

UTF-8 with a BOM (so Excel detects the encoding), ``;`` as separator (the list separator of
French locales; Excel splits on it when the file is opened by double-click), CRLF line
ends, French headers. No e-mail or phone: the export travels by mail and shared drives.
Cells that a spreadsheet would read as a formula (= + - @, tab, CR) are prefixed with an
apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from sdi_common.csv_safe import cell

from .projection import Doc

BOM = "\ufeff"

COLUMNS: list[tuple[str, Any]] = [
    ("identifiant", lambda d: d["id"]),
    ("version", lambda d: d["version"]),
    ("statut", lambda d: d["status"]),
    ("titre", lambda d: d["submission"]["title"]),
    ("type", lambda d: d["submission"]["kind"]),
    ("début", lambda d: d["submission"]["starts_at"]),
    ("fin", lambda d: d["submission"]["ends_at"]),
    ("publics", lambda d: ", ".join(d["submission"]["audiences"])),
    ("gratuit", lambda d: "oui" if d["submission"]["is_free"] else "non"),
    ("en ligne", lambda d: "oui" if d["submission"].get("online") else "non"),
    ("lieu", lambda d: (d["submission"].get("location") or {}).get("venue") or ""),
    ("code postal", lambda d: (d["submission"].get("location") or {}).get("postcode") or ""),
    ("commune", lambda d: (d["submission"].get("location") or {}).get("city") or ""),
    ("département", lambda d: d.get("department") or ""),
    ("organisateur", lambda d: d["submission"]["organizer"]["name"]),
    ("type d'organisateur", lambda d: d["submission"]["organizer"]["type"]),
    ("SIRET", lambda d: d["submission"]["organizer"].get("siret") or ""),
    ("reçu le", lambda d: d["received_at"]),
    ("édition", lambda d: d.get("edition") or ""),
    ("motifs", lambda d: " | ".join(r["message"] for r in d.get("reasons") or [])),
]


def _line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow([cell(v) for v in values])
    return buffer.getvalue()


async def export_rows(docs: AsyncIterator[Doc]) -> AsyncIterator[bytes]:
    yield (BOM + _line([name for name, _ in COLUMNS])).encode()
    async for doc in docs:
        yield _line([get(doc) for _, get in COLUMNS]).encode()
