"""Bulk import: up to 500 events at once (a federation's, a rectorat's), as JSON items (each
the intake's own body plus an optional ``external_id``) or a filled-in spreadsheet
(``import_csv``).

Every row is judged by the intake's own rules and answered in order, one answer per row
(``line``: the item's position, or the spreadsheet's row number), its field errors in
French. A dry run stops there: nothing is created. Otherwise each valid row is published
concurrently (one JetStream round trip at a time would take 500 of them), each under its
own ``Nats-Msg-Id``:

- a row whose ``external_id`` was imported before under the same organiser e-mail (the
  record's ``import_key``, ``sealing.import_key``) amends that event when it changed
  (``updated``) and leaves it alone otherwise (``unchanged``): its existing ``id``, no token;
- any other row is a new event (``created``): its ``id`` and ``organizer_token``. The id
  of a row with an ``external_id`` is derived from its import key, so that a retried or
  concurrent import of the same row is the same message, which JetStream drops.

The summary for the importer's mail is an ``Imported`` event (the importer's address
sealed, the rows' outcomes): the mail outbox sends it (``mail.messages.import_summary``
writes it).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, get_args

import structlog
from pydantic import Field, ValidationError
from sdi_common.contracts import Imported, ImportRow, new_id

from . import sealing
from .commands import Commands, Unavailable
from .field_errors import FieldError, field_errors
from .import_csv import CsvRow, column_errors
from .intake_model import EMAIL, Matching, SubmissionIn, Text
from .record import Conflict, SubmissionRecord
from .store.base import Filters, Store
from .tokens import new_token

log = structlog.get_logger(__name__)

#: the most rows one import may hold
MAX_ROWS = 500
#: the rows published at once
CONCURRENCY = 64
#: the field errors an ``Imported`` event keeps per row (the answer has them all)
SUMMARY_ERRORS = 5

Action = Literal["created", "updated", "unchanged", "refused"]


class ImportItem(SubmissionIn):
    """One event of an import: the intake's body, and the importer's own identifier."""

    #: your reference of the event (unique per organiser e-mail): imported again, the
    #: event is updated instead of created twice
    external_id: Text(1, 100) | None = None


#: an importer's address, as the intake writes an organiser's
ImporterEmail = Annotated[Matching(EMAIL, "invalid_email"), Field(max_length=254)]


@dataclass
class Row:
    """One row of an import, from its reading to its outcome."""

    line: int
    body: Any
    errors: list[FieldError] = field(default_factory=list)
    from_csv: bool = False
    item: ImportItem | None = None
    import_key: str | None = None
    existing: SubmissionRecord | None = None
    action: Action | None = None
    id: str | None = None
    organizer_token: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def external_id(self) -> str | None:
        if self.item is not None:
            return self.item.external_id
        return self.body.get("external_id") if isinstance(self.body, dict) else None

    def answer(self, *, dry_run: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"line": self.line, "ok": self.ok, "errors": self.errors,
                               "external_id": self.external_id}
        if dry_run:
            out["id"] = self.existing.id if self.existing else None  # the event it would update
        else:
            out.update(id=self.id, organizer_token=self.organizer_token, action=self.action)
        return out


def json_rows(items: Sequence[Any]) -> list[Row]:
    return [Row(line, item) for line, item in enumerate(items, 1)]


def csv_rows(rows: Sequence[CsvRow]) -> list[Row]:
    return [Row(r.line, r.body, list(r.errors), from_csv=True) for r in rows]


@dataclass
class Outcome:
    rows: list[Row]
    dry_run: bool
    import_id: str | None = None

    def counts(self) -> dict[str, int]:
        if self.dry_run:
            return {"valid": sum(r.ok for r in self.rows),
                    "refused": sum(not r.ok for r in self.rows)}
        counts = dict.fromkeys(get_args(Action), 0)
        for row in self.rows:
            counts[row.action or "refused"] += 1
        return counts

    def answer(self) -> dict[str, Any]:
        return {"import_id": self.import_id, "dry_run": self.dry_run, "counts": self.counts(),
                "rows": [r.answer(dry_run=self.dry_run) for r in self.rows]}


def derived_id(import_key: str) -> str:
    """The id of a new event imported with this key: the same for the same row."""
    return hashlib.sha256(f"submission:{import_key}".encode()).hexdigest()[:32]


class Importer:
    def __init__(self, commands: Commands, store: Store, *, concurrency: int = CONCURRENCY):
        self.commands = commands
        self.store = store
        self.concurrency = concurrency

    async def run(self, rows: list[Row], *, dry_run: bool, importer_email: str | None,
                  correlation_id: str | None, by: str = "import", summary: bool = True
                  ) -> Outcome:
        """Judge every row, and unless ``dry_run`` import the valid ones (``by``: who the
        history names; ``summary``: publish the ``Imported`` event for the mail)."""
        for row in rows:
            check(row)
        await self._match(rows)
        outcome = Outcome(rows, dry_run)
        if dry_run:
            return outcome
        gate = asyncio.Semaphore(self.concurrency)

        async def one(row: Row) -> None:
            async with gate:
                await self._import(row, by, correlation_id)

        await asyncio.gather(*(one(r) for r in rows if r.ok))
        for row in rows:
            if not row.ok:
                row.action = "refused"
        outcome.import_id = new_id()
        if summary:
            await self._summary(outcome, importer_email or _shared_email(rows), correlation_id)
        return outcome

    # ------------------------------------------------------------------ steps

    async def _match(self, rows: list[Row]) -> None:
        """Each valid row's import key, the event it imported before, and the second row
        of one key in the file refused."""
        first_line: dict[str, int] = {}
        for row in rows:
            if not row.ok or row.item.external_id is None:
                continue
            lookup = await self.commands.email_lookup(row.item.organizer.email)
            key = sealing.import_key(lookup, row.item.external_id)
            if key in first_line:
                row.errors.append({
                    "field": "identifiant_externe" if row.from_csv else "external_id",
                    "code": "duplicate_external_id",
                    "message": f"Cet identifiant externe est déjà celui de la ligne "
                    f"{first_line[key]} pour la même adresse e-mail.",
                })
                continue
            first_line[key] = row.line
            row.import_key = key
            row.existing = await self._imported(key)

    async def _imported(self, key: str) -> SubmissionRecord | None:
        async for record in self.store.scan(Filters(import_key=key)):
            return record
        # imported before, its address since changed or erased: the same derived id
        return await self.store.get(derived_id(key))

    async def _import(self, row: Row, by: str, correlation_id: str | None) -> None:
        try:
            if row.existing is not None:
                await self._update(row, row.existing, by, correlation_id)
            else:
                await self._create(row, by, correlation_id)
        except Conflict as refused:
            row.id = row.existing.id if row.existing else row.id
            row.errors.append({"field": "", "code": refused.code, "message": refused.message})
            row.action = "refused"
        except Unavailable:
            row.errors.append({"field": "", "code": "unavailable", "message": (
                "Service momentanément indisponible : cette ligne n'a pas été enregistrée. "
                "Importez le fichier de nouveau (les lignes déjà importées ne seront pas "
                "créées une seconde fois).")})
            row.action = "refused"

    async def _update(self, row: Row, record: SubmissionRecord, by: str,
                      correlation_id: str | None) -> None:
        accepted = await self.commands.amend(record, row.item, by=by,
                                             correlation_id=correlation_id)
        row.id = record.id
        row.action = "updated" if accepted.version > record.version else "unchanged"

    async def _create(self, row: Row, by: str, correlation_id: str | None) -> None:
        submission_id = derived_id(row.import_key) if row.import_key else new_id()
        token = new_token()
        stored = await self.commands.receive(submission_id, row.item, token, by=by,
                                             correlation_id=correlation_id,
                                             external_id=row.item.external_id)
        row.id = submission_id
        if stored:
            row.action, row.organizer_token = "created", token
        else:  # the same row, imported at the same moment by another request
            row.action = "unchanged"

    async def _summary(self, outcome: Outcome, email: str | None,
                       correlation_id: str | None) -> None:
        if email is None:
            return
        try:
            event = Imported(
                submission_id=outcome.import_id, version=1, by="import",
                importer_sealed=await self.commands.seal_address(outcome.import_id, email),
                rows=[summary_row(r) for r in outcome.rows],
            )
            await self.commands.publish(event, correlation_id)
        except Unavailable:
            log.warning("import.summary_not_published", import_id=outcome.import_id)


def check(row: Row) -> None:
    """The row judged by the intake's rules (its cells' errors already noted)."""
    if not isinstance(row.body, dict):
        row.errors.append({"field": "", "code": "not_an_object",
                           "message": "Chaque élément doit être un objet JSON ({ ... })."})
        return
    try:
        row.item = ImportItem.model_validate(row.body)
    except ValidationError as exc:
        errors = field_errors(exc.errors(include_url=False))
        if row.from_csv:
            unreadable = {e["field"] for e in row.errors}
            errors = [e for e in column_errors(errors) if e["field"] not in unreadable]
        row.errors.extend(errors)
    if row.errors:
        row.item = None


def _shared_email(rows: list[Row]) -> str | None:
    """The organisers' address when every valid row has the same one."""
    emails = {r.item.organizer.email.strip().casefold() for r in rows if r.item is not None}
    return next(iter(emails)) if len(emails) == 1 else None


def summary_row(row: Row) -> ImportRow:
    return ImportRow(line=row.line, action=row.action or "refused", id=row.id,
                     external_id=row.external_id,
                     errors=[f"{e['field']}:{e['code']}" for e in row.errors[:SUMMARY_ERRORS]])
