"""The retention job: erase organisers' contact data some time after the edition.

A submission's contact is erased ``CONTACT_RETENTION_DAYS`` after the last day of its
edition's week: the active edition's for submissions judged under it (or not judged yet),
and, for submissions of an older edition, after the end of the event itself (the only
date of that edition this service still knows). Erasing = crypto-shredding the key, then
publishing ``ContactErased`` (see ``commands.erase_contact``). Idempotent: replicas running
it at the same time only repeat no-ops.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import structlog
from sdi_common.editions import Edition

from .commands import Commands
from .record import SubmissionRecord
from .store.base import Filters, Store

log = structlog.get_logger(__name__)


def erase_after(record: SubmissionRecord, edition: Edition | None, days: int) -> date:
    if edition is not None and record.edition in (None, edition.name):
        last_day = edition.week_end
    else:
        last_day = record.submission.ends_at.date()
    return last_day + timedelta(days=days)


async def run_retention(
    commands: Commands,
    store: Store,
    edition: Edition | None,
    days: int,
    today: date | None = None,
) -> int:
    today = today or datetime.now(UTC).date()
    due = [
        record
        async for record in store.scan(Filters())
        if not record.contact_erased and today > erase_after(record, edition, days)
    ]
    for record in due:
        await commands.erase_contact(record, by="retention", correlation_id=None)
    if due:
        log.info("retention.erased", count=len(due))
    return len(due)


async def retention_loop(
    commands: Commands, store: Store, edition_fn, days: int, interval: float
) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await run_retention(commands, store, edition_fn(), days)
        except Exception:
            log.exception("retention.failed")
