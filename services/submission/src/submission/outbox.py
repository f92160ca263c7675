"""The outbox: the organisers' mails and the status webhooks, once per lifecycle event.

A durable consumer (``topology.SUBMISSION_OUTBOX``, shared by the replicas) delivers each
event that calls for a mail or a webhook; what it calls for is decided from the event and
the submission's record (``plan``). Nothing is queued in memory: a mail pending when the
process dies is the event still unacknowledged in JetStream, delivered again after the
restart.

Each delivery (a mail, a webhook) of an event has one record in the ``OUTBOX`` bucket, keyed
``<event id>.<mail|webhook>``, claimed (``sending``) with an atomic ``create`` before it is
sent and marked ``sent`` after: a redelivered event finds ``sent`` and sends nothing. A
claim that is still fresh (another replica sending the same event published twice) is left
alone; a claim older than the lease (its sender died) is taken over. What is not sent yet
comes back after the delivery's own backoff (``Retry``); a server that refuses for good
(SMTP 5xx, a private webhook address) ends it (``refused``), and so does the last attempt
(``gave_up``); both are logged.

Exactly once, at the SMTP boundary: a mail is sent again only when the process dies after
the SMTP server accepted it and before ``sent`` was written (a few milliseconds); it then
goes again with the same ``Message-ID`` (derived from the event), by which mail clients
recognise a copy. A Maildir write is idempotent (the file's name is derived from the
event), so there it is exactly once.

Which mail (``MAIL_KINDS``): ``received`` from the organiser → receipt (version 1) or
receipt of a modification; ``rejected``; ``needs_review`` (with the day the team answers
by, ``REVIEW_TARGET_DAYS``); ``location_unresolved``; ``published`` (the public page and
the communication kit; it also tells of a team's positive decision, which publishes the
event a moment later); ``decided`` (a refusal by the team); ``withdrawn``; ``token_renewed``
(a lost link); ``imported`` (an import's summary, to the importer). ``labelled`` alone mails nothing: ``published`` or ``location_unresolved``
follows within a second. Events of a version since amended, and verdicts on a withdrawn
submission, mail nothing. Every mail but the receipt carries the organiser's current link.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from urllib.parse import quote

import orjson
import structlog
from nats.aio.msg import Msg
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from sdi_common import topology
from sdi_common.contracts import (
    Decided,
    Event,
    Imported,
    Judged,
    LocationUnresolved,
    Published,
    Reason,
    Received,
    Status,
    TokenRenewed,
    Withdrawn,
)
from sdi_common.editions import Edition
from sdi_common.settings import ServiceSettings
from sdi_common.worker import Delivery, Retry, Worker

from . import callbacks, sealing
from .callbacks import WebhookError, WebhookRefused, Webhooks
from .mail.messages import Context, Letter, Links, compose, import_summary, render
from .mail.transport import MailError, MailRefused, Transport
from .record import Command, NotYet, SubmissionRecord, step_of
from .sealing import ContactKeys
from .settings import SubmissionSettings
from .store.base import Store
from .workdays import PARIS, add_working_days

log = structlog.get_logger(__name__)

MAIL_KINDS = ("receipt", "rejected", "needs_review", "location_unresolved", "published",
              "decided", "withdrawn", "link")
FINAL = frozenset({"sent", "refused", "gave_up"})


# --------------------------------------------------------------------------- claims


@dataclass(frozen=True)
class Policy:
    """How often and how patiently one kind of delivery is tried."""

    max_attempts: int
    backoff: float  # seconds before the second attempt, doubling
    cap: float = 3600.0

    def delay(self, attempts: int) -> float:
        return min(self.cap, self.backoff * 2 ** (attempts - 1))


class Transient(Exception):
    """Not delivered this time."""


class Permanent(Exception):
    """Never to be delivered."""


class Claims:
    """One record per delivery in the ``OUTBOX`` bucket: claimed, then sent."""

    def __init__(self, kv: KeyValue, lease: float):
        self.kv = kv
        self.lease = lease

    async def _get(self, key: str):
        try:
            return await self.kv.get(key)
        except KeyNotFoundError:
            return None

    async def _claim(self, key: str) -> int | float:
        """The attempt this is (claimed), or the seconds to wait before looking again."""
        now = time.time()
        entry = await self._get(key)
        claim = orjson.dumps({"state": "sending", "at": now, "attempts": 1})
        if entry is None or not entry.value:
            try:
                await self.kv.create(key, claim)
            except KeyWrongLastSequenceError:
                return 1.0  # claimed this very moment by another replica
            return 1
        state = orjson.loads(entry.value)
        if state["state"] in FINAL:
            return 0.0
        if state["state"] == "sending" and now - state["at"] < self.lease:
            return self.lease - (now - state["at"])  # someone is sending it right now
        if state["state"] == "failed" and state["retry_at"] > now:
            return state["retry_at"] - now
        attempt = state["attempts"] + 1
        try:
            await self.kv.update(key, orjson.dumps({"state": "sending", "at": now,
                                                    "attempts": attempt}), last=entry.revision)
        except KeyWrongLastSequenceError:
            return 1.0
        return attempt

    async def run(self, key: str, send: Callable[[int], Awaitable[None]],
                  policy: Policy) -> float | None:
        """Deliver unless done already; None once done, else the seconds before trying again."""
        claimed = await self._claim(key)
        if isinstance(claimed, float):
            return claimed or None
        attempt = claimed
        now = time.time()
        try:
            await send(attempt)
        except Permanent as exc:
            await self._end(key, "refused", attempt, str(exc))
            return None
        except Transient as exc:
            if attempt >= policy.max_attempts:
                await self._end(key, "gave_up", attempt, str(exc))
                return None
            delay = policy.delay(attempt)
            await self.kv.put(key, orjson.dumps({"state": "failed", "at": now,
                                                 "attempts": attempt, "retry_at": now + delay}))
            log.info("outbox.retry", delivery=key, attempt=attempt, delay=delay, detail=str(exc))
            return delay
        await self.kv.put(key, orjson.dumps({"state": "sent", "at": time.time(),
                                             "attempts": attempt}))
        return None

    async def _end(self, key: str, state: str, attempt: int, detail: str) -> None:
        await self.kv.put(key, orjson.dumps({"state": state, "at": time.time(),
                                             "attempts": attempt, "detail": detail}))
        log.warning(f"outbox.{state}", delivery=key, attempts=attempt, detail=detail)


@contextlib.asynccontextmanager
async def keep_alive(msg: Msg, every: float) -> Iterator[None]:
    """Tell JetStream the message is being worked on, so that a slow mail server does not
    get it redelivered to another replica while it is being sent."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# --------------------------------------------------------------------------- the plan


def mail_kind(event: Event) -> str | None:
    if isinstance(event, Received):
        return "receipt" if event.by == "organizer" else None
    if isinstance(event, Judged):
        return None if event.type == "labelled" else event.type
    if isinstance(event, Decided):
        return "decided" if event.decision == "reject" else None
    return {LocationUnresolved: "location_unresolved", Published: "published",
            Withdrawn: "withdrawn", TokenRenewed: "link"}.get(type(event))


def webhook_status(event: Event) -> tuple[Status, list[Reason]] | None:
    """The status an event sets (``record.step_of``), and its reasons (None: it sets none)."""
    status = step_of(event)
    if status is None:
        return None
    if isinstance(event, Judged):
        return status, list(event.reasons)
    if isinstance(event, LocationUnresolved):
        return status, [event.reason]
    if isinstance(event, Decided) and event.decision == "reject":
        return status, [Reason(code="operator_rejected", message=event.reason)]
    return status, []


@dataclass(frozen=True)
class Subject:
    """What the deliveries of one event are about."""

    submission_id: str
    version: int
    title: str
    sealed: str | None  # the contact's envelope
    token_sealed: str | None
    callback_url: str | None
    record: SubmissionRecord | None


def subject_of(event: Event, record: SubmissionRecord | None) -> Subject | None:
    """What the event's deliveries are about; None when it calls for none (an older version,
    a verdict after a withdrawal). ``NotYet`` while the store lags behind the event."""
    if isinstance(event, Received):
        if record is not None and (record.version > event.version or record.withdrawn):
            return None
        envelope = sealing.read_envelope(event.contact_sealed)
        token = record.token_sealed if record is not None else envelope.token_sealed
        return Subject(event.submission_id, event.version, event.submission.title,
                       event.contact_sealed, token, envelope.callback_url, record)
    if record is None or record.version < event.version:
        raise NotYet(f"{event.submission_id} v{event.version} {event.type}")
    if not isinstance(event, Withdrawn | TokenRenewed) and (
        event.version < record.version or record.withdrawn
    ):
        return None
    token = (sealing.read_renewal(event.token_sealed)[1] if isinstance(event, TokenRenewed)
             else record.token_sealed)
    return Subject(record.id, event.version, record.submission.title, record.contact_sealed,
                   token, record.callback_url, record)


class Outbox:
    def __init__(self, *, settings: SubmissionSettings, store: Store, keys: ContactKeys,
                 edition: Callable[[], Edition | None], transport: Transport,
                 webhooks: Webhooks, claims: Claims):
        self.settings = settings
        self.store = store
        self.keys = keys
        self.edition = edition
        self.transport = transport
        self.webhooks = webhooks
        self.claims = claims
        self.mail_policy = Policy(settings.mail_max_attempts, settings.mail_backoff)
        self.webhook_policy = Policy(settings.callback_max_attempts, settings.callback_backoff)
        self.mail_domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"

    async def handle(self, event: Event) -> None:
        """Every delivery the event calls for; ``Retry`` when one must be tried again."""
        if isinstance(event, Imported):  # about an import, not a submission: its summary
            delay = await self.claims.run(f"{event.event_id}.mail",
                                          self._summary_mailer(event), self.mail_policy)
            if delay is not None:
                raise Retry(delay, "the import's summary to try again")
            return
        subject = subject_of(event, await self.store.get(event.submission_id))
        if subject is None:
            return
        delays = []
        if (kind := mail_kind(event)) is not None:
            delays.append(await self.claims.run(
                f"{event.event_id}.mail", self._mailer(event, kind, subject), self.mail_policy))
        status = webhook_status(event)
        if status is not None and subject.callback_url:
            delays.append(await self.claims.run(
                f"{event.event_id}.webhook", self._poster(event, subject, *status),
                self.webhook_policy))
        waits = [d for d in delays if d is not None]
        if waits:
            raise Retry(min(waits), f"{len(waits)} delivery(ies) to try again")

    # ------------------------------------------------------------------ mails

    async def _opened(self, sealed: str | None, owner_id: str) -> tuple[bytes, dict]:
        """The key and the address of an envelope; ``Permanent`` once erased."""
        envelope = sealing.read_envelope(sealed)
        key = await self.keys.get(envelope.kid) if envelope.kid else None
        contact = sealing.unseal(key, envelope, submission_id=owner_id) if key else None
        if not contact:
            raise Permanent("no contact (erased)")
        return key, contact

    async def _send(self, event: Event, letter: Letter, to: str) -> None:
        msg = render(letter, to=to, mail_from=self.settings.mail_from,
                     message_id=f"<{event.event_id}.{letter.kind}@{self.mail_domain}>",
                     date_header=event.at)
        name = f"{int(event.at.timestamp())}.{event.event_id}_{letter.kind}.sdi"
        try:
            await self.transport.send(msg, name)
        except MailRefused as exc:
            raise Permanent(str(exc)) from None
        except MailError as exc:
            raise Transient(str(exc)) from None

    def _mailer(self, event: Event, kind: str, subject: Subject):
        async def send(attempt: int) -> None:
            key, contact = await self._opened(subject.sealed, subject.submission_id)
            token = sealing.unseal_token(key, subject.token_sealed, subject.submission_id)
            await self._send(event, compose(kind, self._context(event, subject, token)),
                             contact["email"])
            log.info("outbox.mail_sent", kind=kind, submission_id=subject.submission_id,
                     attempt=attempt)

        return send

    def _summary_mailer(self, event: Imported):
        async def send(attempt: int) -> None:
            _, importer = await self._opened(event.importer_sealed, event.submission_id)
            edition = self.edition()
            letter = import_summary(event, tz=edition.tz if edition else PARIS,
                                    import_page=f"{self.settings.public_url}/import")
            await self._send(event, letter, importer["email"])
            log.info("outbox.mail_sent", kind="import", import_id=event.submission_id,
                     rows=len(event.rows), attempt=attempt)

        return send

    def _context(self, event: Event, subject: Subject, token: str | None) -> Context:
        s, record = self.settings, subject.record
        sid = subject.submission_id
        page = f"{s.public_url}/organisateur/#id={sid}&jeton={quote(token)}" if token else None
        edition = self.edition()
        late = edition is not None and edition.is_late(datetime.now(edition.tz))
        refused = record.refusal(Command.amend, late=late) if record is not None else None
        reasons = (webhook_status(event) or (None, []))[1]
        return Context(
            title=subject.title,
            submission_id=sid,
            version=subject.version,
            links=Links(
                page=page,
                amend=f"{page}&action=modifier" if page and refused is None else None,
                public=f"{s.map_public_url}/evenements/{sid}",
                kit=edition.communication_kit_url if edition else None,
            ),
            reasons=reasons,
            review_by=add_working_days(
                datetime.now(edition.tz if edition else None).date(), s.review_target_days),
            review_days=s.review_target_days,
            amend_refused=refused.message if refused is not None and late else None,
            decided_by_team=bool(record and record.seen.decided == "label"),
            by_team=event.by.startswith("operator:"),
        )

    # ------------------------------------------------------------------ webhooks

    def _poster(self, event: Event, subject: Subject, status: Status, reasons: list[Reason]):
        body = callbacks.payload(subject.submission_id, event.version, status, reasons, event.at)
        delivery = callbacks.delivery_id(subject.submission_id, event.version, status)

        async def post(attempt: int) -> None:
            try:
                await self.webhooks.post(subject.callback_url, body, delivery, attempt)
            except WebhookRefused as exc:
                raise Permanent(str(exc)) from None
            except WebhookError as exc:
                raise Transient(str(exc)) from None
            log.info("callbacks.sent", callback=delivery, attempt=attempt)

        return post


def build_outbox_worker(settings: ServiceSettings, outbox: Callable[[], Outbox]) -> Worker:
    """The durable consumer of the outbox (``outbox`` is built once NATS is connected)."""
    worker = Worker(settings, topology.SUBMISSION_OUTBOX)
    beat = topology.SUBMISSION_OUTBOX.ack_wait / 3

    @worker.handler
    async def deliver(event: Event, ctx: Delivery) -> None:
        async with keep_alive(ctx.message, beat):
            await outbox().handle(event)

    return worker
