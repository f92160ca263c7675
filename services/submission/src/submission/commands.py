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
from typing import Any

import structlog
from nats.aio.client import Client as NATS
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError
from sdi_common.contracts import (
    ContactErased,
    Decided,
    Event,
    GeoResult,
    Point,
    Received,
    Relocated,
    Submission,
    Withdrawn,
    new_id,
)
from sdi_common.editions import Edition
from sdi_common.natsconn import publish_event

from . import sealing
from .idempotency import IdempotencyRecords, body_hash
from .intake_model import SubmissionIn
from .projection import Doc, Outcome
from .sealing import ContactKeys
from .store.base import Store
from .tokens import new_token, token_hash

log = structlog.get_logger(__name__)


class Unavailable(Exception):
    """NATS is down or did not acknowledge in time: try again later."""


class Conflict(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Accepted:
    submission_id: str
    version: int
    status: str
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
        on_outcome: Callable[[Outcome], Awaitable[None]] | None = None,
    ):
        self.nc = nc
        self.js = nc.jetstream(timeout=publish_timeout)
        self.store = store
        self.keys = keys
        self.idempotency = idempotency
        self.edition = edition
        self.publish_timeout = publish_timeout
        self.apply_on_accept = apply_on_accept
        self.on_outcome = on_outcome

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
                outcome = await self.store.apply(event)
            except Exception:  # the projector will apply it; the answer stays correct
                log.exception("store.apply_on_accept_failed", submission_id=event.submission_id)
            else:
                if outcome is not None and self.on_outcome is not None:
                    await self.on_outcome(outcome)
        return not getattr(ack, "duplicate", False)

    async def _seal(
        self, submission_id: str, body: SubmissionIn, token_sha256: str, kid: str | None = None
    ) -> str:
        """Seal the contact under the submission's key (``kid``), or a new one."""
        key = await self._nats(self.keys.get(kid)) if kid else None
        if key is None:
            kid, key = await self._nats(self.keys.new())
        return sealing.seal(
            key,
            body.contact(),
            kid=kid,
            submission_id=submission_id,
            token_sha256=token_sha256,
            callback_url=body.callback_url,
        )

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
                return Accepted(record.submission_id, 1, "received", record.token, replayed=True)
            submission_id, token = record.submission_id, record.token
        else:
            submission_id = new_id()
        sealed = await self._seal(submission_id, body, token_hash(token))
        event = Received(
            submission_id=submission_id,
            version=1,
            by="organizer",
            submission=body.to_submission(),
            received_at=now(),
            contact_sealed=sealed,
        )
        await self._publish(event, correlation_id)
        if record is not None:
            try:
                await self._nats(self.idempotency.done(idempotency_key, record))
            except Unavailable:
                pass  # a retry finds "pending", republishes the same Nats-Msg-Id: deduplicated
        return Accepted(submission_id, 1, "received", token)

    async def amend(
        self, doc: Doc, body: SubmissionIn, *, by: str = "organizer", correlation_id: str | None
    ) -> Accepted:
        if doc["status"] == "withdrawn":
            raise Conflict("withdrawn", "Cet événement a été retiré : il ne peut plus être modifié.")
        edition = self.edition()
        if edition is not None and edition.is_late(now()):
            raise Conflict(
                "deadline_passed",
                "La date limite des inscriptions est passée : l'événement ne peut plus être modifié.",
            )
        submission = body.to_submission()
        if submission.model_dump(mode="json") == doc["submission"] and await self._same_contact(
            doc, body
        ):
            # the same amendment again: nothing new to judge
            return Accepted(doc["id"], doc["version"], doc["status"])
        version = doc["version"] + 1
        kid = sealing.read_envelope(doc.get("contact_sealed")).kid
        sealed = await self._seal(doc["id"], body, doc["token_sha256"], kid)
        event = Received(
            submission_id=doc["id"],
            version=version,
            by=by,
            submission=submission,
            received_at=now(),
            contact_sealed=sealed,
        )
        if not await self._publish(event, correlation_id):
            raise Conflict("concurrent_change", "Une autre modification est en cours : réessayez.")
        return Accepted(doc["id"], version, "received")

    async def _same_contact(self, doc: Doc, body: SubmissionIn) -> bool:
        envelope = sealing.read_envelope(doc.get("contact_sealed"))
        if envelope.callback_url != body.callback_url:
            return False
        return await self.contact_of(doc) == body.contact()

    async def withdraw(self, doc: Doc, *, by: str, correlation_id: str | None) -> Accepted:
        if doc["status"] != "withdrawn":
            event = Withdrawn(submission_id=doc["id"], version=doc["version"], by=by)
            await self._publish(event, correlation_id)
        return Accepted(doc["id"], doc["version"], "withdrawn")

    # ------------------------------------------------------------------ operators

    async def decide(
        self, doc: Doc, decision: str, reason: str, *, by: str, correlation_id: str | None
    ) -> Accepted:
        if doc["status"] != "needs_review":
            raise Conflict(
                "not_in_review",
                f"Seul un événement « à examiner » peut être tranché (statut actuel : {doc['status']}).",
            )
        event = Decided(
            submission_id=doc["id"],
            version=doc["version"],
            by=by,
            decision=decision,
            reason=reason,
            submission=Submission.model_validate(doc["submission"]),
        )
        if not await self._publish(event, correlation_id):
            raise Conflict("already_decided", "Une décision a déjà été prise pour cette version.")
        return Accepted(doc["id"], doc["version"], "labelled" if decision == "label" else "rejected")

    async def relocate(
        self, doc: Doc, lon: float, lat: float, *, by: str, correlation_id: str | None
    ) -> Accepted:
        if doc["submission"].get("online") and not doc["submission"].get("location"):
            raise Conflict("online_event", "Un événement en ligne n'a pas de lieu à placer.")
        if doc["status"] not in ("location_unresolved", "labelled", "published"):
            raise Conflict(
                "not_placeable",
                f"Seul un événement labellisé peut être placé (statut actuel : {doc['status']}).",
            )
        place = doc["submission"].get("location") or {}
        previous = doc.get("location") or {}
        event = Relocated(
            submission_id=doc["id"],
            version=doc["version"],
            by=by,
            submission=Submission.model_validate(doc["submission"]),
            location=GeoResult(
                point=Point(lon=lon, lat=lat),
                precision="operator",
                source="operator",
                postcode=place.get("postcode"),
                city=previous.get("city") or place.get("city"),
                citycode=previous.get("citycode"),
                department=doc.get("department"),
                region=previous.get("region"),
                label=", ".join(
                    p for p in (place.get("venue"), place.get("street"), place.get("postcode"),
                                place.get("city")) if p
                ) or None,
            ),
        )
        if not await self._publish(event, correlation_id):
            raise Conflict(
                "already_relocated",
                "Cet événement vient déjà d'être placé pour cette version ; réessayez plus tard.",
            )
        return Accepted(doc["id"], doc["version"], doc["status"])

    async def rejudge(self, doc: Doc, *, by: str, correlation_id: str | None) -> Accepted:
        """A new version with the same content, judged again under the current edition."""
        if doc["status"] == "withdrawn":
            raise Conflict("withdrawn", "Cet événement a été retiré.")
        version = doc["version"] + 1
        event = Received(
            submission_id=doc["id"],
            version=version,
            by=by,
            submission=Submission.model_validate(doc["submission"]),
            received_at=datetime.fromisoformat(doc["received_at"]),
            contact_sealed=doc.get("contact_sealed"),
        )
        if not await self._publish(event, correlation_id):
            raise Conflict("concurrent_change", "Une autre modification est en cours : réessayez.")
        return Accepted(doc["id"], version, "received")

    async def erase_contact(self, doc: Doc, *, by: str, correlation_id: str | None) -> None:
        """Crypto-shred the contact (the key goes first: that is the erasure), then record it."""
        kid = sealing.read_envelope(doc.get("contact_sealed")).kid
        if kid:
            await self._nats(self.keys.shred(kid))
        event = ContactErased(
            submission_id=doc["id"], version=doc["version"], by=by, event_id=new_id()
        )
        await self._publish(event, correlation_id)

    async def contact_of(self, doc: Doc) -> dict[str, Any] | None:
        """The organiser's contact in clear, or None once erased."""
        envelope = sealing.read_envelope(doc.get("contact_sealed"))
        if not envelope.has_contact:
            return None
        key = await self._nats(self.keys.get(envelope.kid)) if envelope.kid else None
        if key is None:
            return None
        return sealing.unseal(key, envelope, submission_id=doc["id"])
