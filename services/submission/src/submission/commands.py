"""What organisers and operators can do, each action being one event on the stream.

JetStream first: an action is done once JetStream has acknowledged its event; the store
follows (the projector, and here at once when ``apply_on_accept`` is on: the projection is
idempotent, so the second application is a no-op). If NATS is down or slow the action
fails with ``Unavailable`` and nothing was stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import structlog
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError
from sdi_common.contracts import (
    Event,
    EventStatus,
    EventStatusSet,
    Point,
    Received,
    Status,
    TokenRenewed,
    new_id,
)
from sdi_common.editions import Edition
from sdi_common.natsconn import publish_event

from . import sealing
from .idempotency import IdempotencyRecords, body_hash
from .intake_model import SubmissionIn
from .record import DUPLICATE, Change, Command, Conflict, SubmissionRecord
from .sealing import ContactKeys
from .store.base import Store
from .tokens import new_token, token_hash

log = structlog.get_logger(__name__)


class Unavailable(Exception):
    """NATS is down or did not acknowledge in time: try again later."""


@dataclass(frozen=True)
class Accepted:
    submission_id: str
    version: int
    status: Status
    organizer_token: str | None = None
    replayed: bool = False


def now() -> datetime:
    return datetime.now(UTC)


class Commands:
    def __init__(
        self,
        *,
        nc: NATS,
        store: Store,
        keys: ContactKeys,
        idempotency: IdempotencyRecords,
        edition: Callable[[], Edition | None],
        publish_timeout: float,
        apply_on_accept: bool,
        on_change: Callable[[Change], Awaitable[None]] | None = None,
    ):
        self.nc = nc
        self.js = nc.jetstream(timeout=publish_timeout)
        self.store = store
        self.keys = keys
        self.idempotency = idempotency
        self.edition = edition
        self.publish_timeout = publish_timeout
        self.apply_on_accept = apply_on_accept
        self.on_change = on_change

    # ------------------------------------------------------------------ plumbing

    async def _nats(self, operation: Awaitable[Any]) -> Any:
        """Run a NATS call; a disconnection or a timeout becomes ``Unavailable``."""
        if not self.nc.is_connected:
            # Refuse at once: a publish buffered during a reconnect could be delivered
            # after we answered 503, storing what the client believes was refused.
            if asyncio.iscoroutine(operation):
                operation.close()
            raise Unavailable("NATS is not connected")
        try:
            # every NATS call here has its own timeout (publish_timeout), no wait_for needed
            return await operation
        except (TimeoutError, NatsError, JetStreamError, OSError) as exc:
            log.warning("nats.unavailable", error=repr(exc))
            raise Unavailable(str(exc) or type(exc).__name__) from exc

    async def _publish(self, event: Event, correlation_id: str | None) -> bool:
        """Publish; True if JetStream stored it, False if it was a duplicate."""
        ack = await self._nats(
            publish_event(
                self.js, event, correlation_id=correlation_id, timeout=self.publish_timeout
            )
        )
        if self.apply_on_accept:
            try:
                change = await self.store.apply(event)
            except Exception:  # the projector will apply it; the answer stays correct
                log.exception("store.apply_on_accept_failed", submission_id=event.submission_id)
            else:
                if change is not None and self.on_change is not None:
                    await self.on_change(change)
        return not getattr(ack, "duplicate", False)

    async def _publish_once(self, event: Event, command: Command,
                            correlation_id: str | None) -> None:
        """Publish the event of a command; ``Conflict`` if the same was just done."""
        if not await self._publish(event, correlation_id):
            raise Conflict(*DUPLICATE[command])

    async def _seal(
        self, submission_id: str, body: SubmissionIn, *, token: str | None = None,
        record: SubmissionRecord | None = None, external_id: str | None = None,
    ) -> str:
        """Seal the contact of a new submission (its ``token`` sealed along) under a new key,
        or of an amendment under the ``record``'s key (its sealed token carried over)."""
        kid = sealing.read_envelope(record.contact_sealed).kid if record else None
        key = await self._nats(self.keys.get(kid)) if kid else None
        if key is None:
            kid, key = await self._nats(self.keys.new())
        if record is not None:
            token_sha256, token_sealed = record.token_sha256, record.token_sealed
        else:
            token_sha256, token_sealed = token_hash(token), sealing.seal_token(
                key, token, submission_id)
        contact = body.contact()
        return sealing.seal(
            key,
            contact,
            kid=kid,
            submission_id=submission_id,
            token_sha256=token_sha256,
            callback_url=body.callback_url,
            email_lookup=await self.email_lookup(contact["email"]),
            token_sealed=token_sealed,
            external_id=record.external_id if record is not None else external_id,
        )

    async def email_lookup(self, email: str) -> str:
        """What the store indexes for the submissions of ``email`` (``Filters.email_lookup``)."""
        return sealing.email_lookup(await self._nats(self.keys.lookup_key()), email)

    # ------------------------------------------------------------------ organiser

    async def submit(
        self,
        body: SubmissionIn,
        raw: dict[str, Any],
        *,
        idempotency_key: str | None,
        correlation_id: str | None,
    ) -> Accepted:
        token = new_token()
        record = None
        if idempotency_key:
            record = await self._nats(
                self.idempotency.claim(idempotency_key, body_hash(raw), token)
            )
            if record.state == "done":
                return Accepted(record.submission_id, 1, Status.received, record.token,
                                replayed=True)
            submission_id, token = record.submission_id, record.token
        else:
            submission_id = new_id()
        await self.receive(submission_id, body, token, by="organizer",
                           correlation_id=correlation_id)
        if record is not None:
            try:
                await self._nats(self.idempotency.done(idempotency_key, record))
            except Unavailable:
                pass  # a retry finds "pending", republishes the same Nats-Msg-Id: deduplicated
        return Accepted(submission_id, 1, Status.received, token)

    async def receive(self, submission_id: str, body: SubmissionIn, token: str, *, by: str,
                      correlation_id: str | None, external_id: str | None = None) -> bool:
        """Publish a new submission (version 1) under ``submission_id``, its contact sealed
        and ``token`` its organiser's; False when JetStream had it already (same id)."""
        sealed = await self._seal(submission_id, body, token=token, external_id=external_id)
        event = Received(
            submission_id=submission_id,
            version=1,
            by=by,
            submission=body.to_submission(),
            received_at=now(),
            contact_sealed=sealed,
        )
        return await self._publish(event, correlation_id)

    async def amend(
        self, record: SubmissionRecord, body: SubmissionIn, *, by: str, correlation_id: str | None
    ) -> Accepted:
        edition = self.edition()
        record.allow(Command.amend, late=edition is not None and edition.is_late(now()))
        submission = body.to_submission()
        if submission == record.submission and await self._same_contact(record, body):
            # the same amendment again: nothing new to judge
            return Accepted(record.id, record.version, record.status)
        sealed = await self._seal(record.id, body, record=record)
        event = record.amendment(submission, sealed, by=by)
        await self._publish_once(event, Command.amend, correlation_id)
        return Accepted(record.id, event.version, Status.received)

    async def _same_contact(self, record: SubmissionRecord, body: SubmissionIn) -> bool:
        envelope = sealing.read_envelope(record.contact_sealed)
        if envelope.callback_url != body.callback_url:
            return False
        return await self.contact_of(record) == body.contact()

    async def set_event_status(
        self, record: SubmissionRecord, event_status: EventStatus, remaining_places: int | None,
        *, by: str, correlation_id: str | None,
    ) -> EventStatusSet | None:
        """Say the event is on, full or cancelled; the event published (None: that is what
        it said already, nothing is published)."""
        event = record.event_status_change(event_status, remaining_places, by=by)
        if event is not None:
            await self._publish(event, correlation_id)
        return event

    async def withdraw(self, record: SubmissionRecord, *, by: str,
                       correlation_id: str | None) -> Accepted:
        if (event := record.withdrawal(by=by)) is not None:
            await self._publish(event, correlation_id)
        return Accepted(record.id, record.version, Status.withdrawn)

    async def renew_token(self, record: SubmissionRecord, *,
                          correlation_id: str | None) -> bool:
        """A lost link: a new token replaces the old one (``TokenRenewed``, which the outbox
        mails). False when the contact is erased (no key to seal it, no address to mail)."""
        kid = sealing.read_envelope(record.contact_sealed).kid
        key = await self._nats(self.keys.get(kid)) if kid else None
        if key is None or record.contact_erased:
            return False
        token = new_token()
        sealed = sealing.renewal(key, kid=kid, submission_id=record.id, token=token,
                                 token_sha256=token_hash(token))
        await self._publish(TokenRenewed(submission_id=record.id, version=record.version,
                                         by="organizer", token_sealed=sealed), correlation_id)
        return True

    # ------------------------------------------------------------------ operators

    async def decide(
        self, record: SubmissionRecord, decision: Literal["label", "reject"], reason: str, *,
        by: str, correlation_id: str | None,
    ) -> Accepted:
        event = record.decision(decision, reason, by=by)
        await self._publish_once(event, Command.decide, correlation_id)
        status = Status.labelled if decision == "label" else Status.rejected
        return Accepted(record.id, record.version, status)

    async def relocate(
        self, record: SubmissionRecord, point: Point, *, by: str, correlation_id: str | None
    ) -> Accepted:
        event = record.relocation(point, by=by)
        await self._publish_once(event, Command.relocate, correlation_id)
        return Accepted(record.id, record.version, record.status)

    async def rejudge(self, record: SubmissionRecord, *, by: str,
                      correlation_id: str | None) -> Accepted:
        """A new version with the same content, judged again under the current edition."""
        event = record.rejudgement(by=by)
        await self._publish_once(event, Command.rejudge, correlation_id)
        return Accepted(record.id, event.version, Status.received)

    async def erase_contact(self, record: SubmissionRecord, *, by: str,
                            correlation_id: str | None) -> None:
        """Crypto-shred the contact (the key goes first: that is the erasure), then record it."""
        kid = sealing.read_envelope(record.contact_sealed).kid
        if kid:
            await self._nats(self.keys.shred(kid))
        await self._publish(record.erasure(by=by), correlation_id)

    async def seal_address(self, owner_id: str, email: str) -> str:
        """An address that is not a submission's contact (an importer's), sealed under a
        key of its own as contacts are (erasable the same way: shred its key)."""
        kid, key = await self._nats(self.keys.new())
        return sealing.seal(key, {"email": email}, kid=kid, submission_id=owner_id,
                            token_sha256=None, callback_url=None)

    async def publish(self, event: Event, correlation_id: str | None) -> bool:
        """Publish an event that no record command makes (an import's summary)."""
        return await self._publish(event, correlation_id)

    async def contact_of(self, record: SubmissionRecord) -> dict[str, Any] | None:
        """The organiser's contact in clear, or None once erased."""
        envelope = sealing.read_envelope(record.contact_sealed)
        if not envelope.has_contact:
            return None
        key = await self._nats(self.keys.get(envelope.kid)) if envelope.kid else None
        if key is None:
            return None
        return sealing.unseal(key, envelope, submission_id=record.id)
