"""Carry over: the events an organiser held in the previous edition, offered again for the
active one.

The events are those of the same e-mail address (``email_lookup``) whose sessions fell in
the previous edition's window (``sdi_common.editions.previous_edition``) and that were
labelled (published, placed or not yet, or waiting for their place); each is offered with
its body for the intake, every session moved by whole weeks to the active edition's week
(same weekday, same local time). Carrying one over imports that body (``imports``) with
``external_id = "carry-over:<its id>"``: carried over twice, it is created once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sdi_common.contracts import Status, Submission
from sdi_common.editions import Edition

from . import sealing
from .commands import Commands
from .record import SubmissionRecord
from .store.base import Filters, Store

#: what a carried-over event was in the previous edition: an event that took place
OFFERED = frozenset({Status.published, Status.labelled, Status.location_unresolved})
PREFIX = "carry-over:"


def external_id(record: SubmissionRecord) -> str:
    return PREFIX + record.id


def shift(edition_from: Edition, edition_to: Edition) -> timedelta:
    """Whole weeks from one edition's week to the other's: the same weekday."""
    return timedelta(weeks=round((edition_to.week_start - edition_from.week_start).days / 7))


def moved(moment: datetime, by: timedelta, edition: Edition) -> str:
    """``moment`` moved by ``by`` at the same local time of the edition's zone (its offset
    follows the clocks: November then may be November now across a change of rules)."""
    local = moment.astimezone(edition.tz).replace(tzinfo=None) + by
    return local.replace(tzinfo=edition.tz).isoformat()


def held_in(submission: Submission, edition: Edition) -> bool:
    first, last = edition.window()
    return first <= edition.local_date(submission.starts_at) <= last


def proposal(record: SubmissionRecord, contact: dict[str, Any] | None, by: timedelta,
             edition: Edition) -> dict[str, Any]:
    """The intake body of the event again, its sessions moved into the active edition."""
    sub = record.submission
    body: dict[str, Any] = sub.model_dump(mode="json", exclude={"timings", "organizer"},
                                          exclude_none=True)
    body["timings"] = [{"starts_at": moved(t.starts_at, by, edition),
                        "ends_at": moved(t.ends_at, by, edition)} for t in sub.timings]
    body["organizer"] = {**sub.organizer.model_dump(exclude_none=True), **{
        k: v for k, v in (contact or {}).items() if v is not None}}
    if record.callback_url:
        body["callback_url"] = record.callback_url
    body["external_id"] = external_id(record)
    return body


@dataclass
class Candidate:
    record: SubmissionRecord
    body: dict[str, Any] | None  # None: its contact is erased, nothing to carry over
    carried_over_id: str | None  # the active edition's copy, if carried over already


async def candidates(record: SubmissionRecord, store: Store, commands: Commands,
                     previous: Edition, active: Edition) -> list[Candidate]:
    """The previous edition's events of ``record``'s address, oldest first."""
    if record.email_lookup is None:
        return []  # its contact is erased: no address to find the others by
    by = shift(previous, active)
    found = []
    async for other in store.scan(Filters(email_lookup=record.email_lookup)):
        if other.status not in OFFERED or not held_in(other.submission, previous):
            continue
        contact = await commands.contact_of(other)
        key = sealing.import_key(record.email_lookup, external_id(other))
        copy = None
        async for made in store.scan(Filters(import_key=key)):
            copy = made.id
            break
        found.append(Candidate(other, proposal(other, contact, by, active) if contact else None,
                               copy))
    found.sort(key=lambda c: (c.record.submission.starts_at, c.record.id))
    return found
