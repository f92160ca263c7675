"""The DGE's reporting export: CSV that a French spreadsheet opens as it is.

UTF-8 with a BOM (so Excel detects the encoding), ``;`` as separator (the list separator of
French locales; Excel splits on it when the file is opened by double-click), CRLF line
ends, French headers (``début`` the first start, ``fin`` the last end, ``séances`` every
timing as ``start/end`` ISO 8601 intervals separated by `` | ``). No e-mail or phone: the export travels by mail and shared drives.
Cells that a spreadsheet would read as a formula (= + - @, tab, CR) are prefixed with an
apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

from sdi_common.csv_safe import cell

from .record import SubmissionRecord

BOM = "\ufeff"

Column = Callable[[SubmissionRecord], Any]

DECISIONS = {"label": "labellisé", "reject": "refusé"}


def decided_by(by: str | None) -> str:
    """The operator's name, or "automatique" for the validation's own verdict."""
    if not by:
        return ""
    return by.removeprefix("operator:") if by.startswith("operator:") else "automatique"


def _place(field: str) -> Column:
    return lambda r: getattr(r.submission.location, field, None) or ""


COLUMNS: list[tuple[str, Column]] = [
    ("identifiant", lambda r: r.id),
    ("version", lambda r: r.version),
    ("statut", lambda r: r.status),
    ("titre", lambda r: r.submission.title),
    ("type", lambda r: r.submission.kind),
    ("début", lambda r: r.submission.starts_at.isoformat()),
    ("fin", lambda r: r.submission.ends_at.isoformat()),
    ("publics", lambda r: ", ".join(r.submission.audiences)),
    ("gratuit", lambda r: "oui" if r.submission.is_free else "non"),
    ("en ligne", lambda r: "oui" if r.submission.online else "non"),
    ("lieu", _place("venue")),
    ("code postal", _place("postcode")),
    ("commune", _place("city")),
    ("département", lambda r: r.department or ""),
    ("organisateur", lambda r: r.submission.organizer.name),
    ("type d'organisateur", lambda r: r.submission.organizer.type),
    ("SIRET", lambda r: r.submission.organizer.siret or ""),
    ("reçu le", lambda r: r.received_at.isoformat()),
    ("édition", lambda r: r.edition or ""),
    ("motifs", lambda r: " | ".join(reason.message for reason in r.reasons)),
    ("région", lambda r: r.region or ""),
    ("décision", lambda r: DECISIONS.get(r.decided_as or "", "")),
    ("décidé par", lambda r: decided_by(r.decided_by)),
    ("décidé le", lambda r: r.decided_at.isoformat() if r.decided_at else ""),
    ("motif de la décision", lambda r: r.seen.decided_reason or ""),
    # contract version 2 (issue 16), after the columns readers already rely on
    ("séances", lambda r: " | ".join(f"{t.starts_at.isoformat()}/{t.ends_at.isoformat()}"
                                     for t in r.submission.timings)),
    ("accessibilité", lambda r: ", ".join(r.submission.accessibility_codes)),
    ("statut de l'événement", lambda r: r.event_status),
    ("places restantes", lambda r: r.remaining_places),
    ("identifiant externe", lambda r: r.external_id or ""),
]


def csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow([cell(v) for v in values])
    return buffer.getvalue()


async def export_rows(records: AsyncIterator[SubmissionRecord]) -> AsyncIterator[bytes]:
    yield (BOM + csv_line([name for name, _ in COLUMNS])).encode()
    async for record in records:
        yield csv_line([get(record) for _, get in COLUMNS]).encode()
