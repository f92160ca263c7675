"""Streams, durable consumers and key-value buckets: declared here, once, for everyone.

Only the bootstrap step (``sdi-bootstrap``) applies this to the server, creating what is
missing and updating what drifted. Services bind to what exists and never declare it,
so two replicas can never disagree on a consumer's configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)

from . import subjects

DAY = 24 * 3600.0


def stream_configs(replicas: int = 1) -> list[StreamConfig]:
    return [
        StreamConfig(
            name=subjects.STREAM,
            description="Lifecycle events of every submission: the source of truth",
            subjects=[subjects.ALL],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
            # Nats-Msg-Id dedupe: long enough to cover a client retrying through a rush.
            duplicate_window=15 * 60.0,
            max_msg_size=256 * 1024,
            discard=DiscardPolicy.OLD,
            allow_direct=True,
        ),
        StreamConfig(
            name=subjects.DEADLETTER_STREAM,
            description="Messages no consumer could handle, and max-deliveries advisories",
            subjects=[f"{subjects.DEADLETTER_PREFIX}.>", subjects.MAX_DELIVERIES_ADVISORY],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            num_replicas=replicas,
            max_age=90 * DAY,
            max_msg_size=1024 * 1024,
            duplicate_window=120.0,
        ),
    ]


@dataclass(frozen=True)
class Consumer:
    """A durable pull consumer shared by all replicas of one service (work-queue style)."""

    durable: str
    filter_subjects: list[str]
    description: str
    max_deliver: int = 8
    ack_wait: float = 30.0
    max_ack_pending: int = 2000
    #: where a new durable starts: ALL (the whole stream) or NEW (from its creation on)
    deliver_policy: DeliverPolicy = DeliverPolicy.ALL

    @property
    def subject(self) -> str:
        """The subject of the consumer's channel in the AsyncAPI document: its filter, or a
        wildcard when it filters several (the worker binds to the durable by name)."""
        if len(self.filter_subjects) == 1:
            return self.filter_subjects[0]
        return f"{subjects.PREFIX}.*"

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            name=self.durable,
            description=self.description,
            deliver_policy=self.deliver_policy,
            ack_policy=AckPolicy.EXPLICIT,
            filter_subjects=self.filter_subjects,
            max_deliver=self.max_deliver,
            ack_wait=self.ack_wait,
            max_ack_pending=self.max_ack_pending,
            max_waiting=512,
        )


VALIDATION = Consumer(
    durable="validation",
    filter_subjects=[subjects.RECEIVED],
    description="validation: judges each received or amended submission",
)
GEOCODING = Consumer(
    durable="geocoding",
    filter_subjects=[subjects.LABELLED, subjects.DECIDED],
    description="geocoding: places labelled events",
    ack_wait=60.0,  # a slow national API plus retries must fit in one delivery
    max_ack_pending=1000,
)
FEED_INDEXER = Consumer(
    durable="map-feed-indexer",
    filter_subjects=[
        subjects.GEOCODED,
        subjects.RELOCATED,
        subjects.LOCATION_UNRESOLVED,
        subjects.REJECTED,
        subjects.NEEDS_REVIEW,
        subjects.WITHDRAWN,
        subjects.EVENT_STATUS,
    ],
    description="map-feed: writes publishable events into the FEED bucket",
)
SUBMISSION_PROJECTOR = Consumer(
    durable="submission-projector",
    filter_subjects=[subjects.ALL],
    description="submission: projects every lifecycle event into the store",
)

SUBMISSION_OUTBOX = Consumer(
    durable="submission-outbox",
    filter_subjects=[
        subjects.RECEIVED,
        subjects.LABELLED,
        subjects.REJECTED,
        subjects.NEEDS_REVIEW,
        subjects.LOCATION_UNRESOLVED,
        subjects.PUBLISHED,
        subjects.WITHDRAWN,
        subjects.DECIDED,
        subjects.TOKEN_RENEWED,
        subjects.IMPORTED,
    ],
    description="submission: mails the organiser and calls the status webhooks, once per event",
    # mails and webhooks wait out an outage of their server: the outbox chooses its own
    # delays (up to an hour) and gives a delivery up itself, so deliveries are not counted
    # against a small max_deliver
    max_deliver=200,
    ack_wait=30.0,  # kept alive while a mail is being sent (in-progress every 10 s)
    max_ack_pending=1000,
    # a new outbox mails about what happens from its creation on, never the whole history
    deliver_policy=DeliverPolicy.NEW,
)

CONSUMERS: list[Consumer] = [
    VALIDATION, GEOCODING, FEED_INDEXER, SUBMISSION_PROJECTOR, SUBMISSION_OUTBOX,
]


@dataclass(frozen=True)
class Bucket:
    name: str
    description: str
    ttl: float | None = None  # seconds
    history: int = 1
    extra: dict = field(default_factory=dict)


FEED_BUCKET = Bucket("FEED", "Public read model of the map: one key per published event")
GEOCACHE_BUCKET = Bucket("GEOCACHE", "Geocoding results by normalized address", ttl=30 * DAY)
IDEMPOTENCY_BUCKET = Bucket("IDEMPOTENCY", "Intake answers by Idempotency-Key", ttl=30 * DAY)
CONTACT_KEYS_BUCKET = Bucket("CONTACT_KEYS", "Per-submission keys sealing the contact data")
#: one key per (event, delivery): claimed before a mail or a webhook is sent, marked sent
#: after; kept longer than any redelivery of the event can come (the outbox ignores older)
OUTBOX_BUCKET = Bucket("OUTBOX", "Mails and webhooks of the submission outbox, by event",
                       ttl=30 * DAY)

BUCKETS: list[Bucket] = [
    FEED_BUCKET, GEOCACHE_BUCKET, IDEMPOTENCY_BUCKET, CONTACT_KEYS_BUCKET, OUTBOX_BUCKET,
]
