"""Subject names of the lifecycle, one per event type."""

STREAM = "SUBMISSIONS"
PREFIX = "submissions"

RECEIVED = f"{PREFIX}.received"
LABELLED = f"{PREFIX}.labelled"
REJECTED = f"{PREFIX}.rejected"
NEEDS_REVIEW = f"{PREFIX}.needs_review"
GEOCODED = f"{PREFIX}.geocoded"
LOCATION_UNRESOLVED = f"{PREFIX}.location_unresolved"
PUBLISHED = f"{PREFIX}.published"
WITHDRAWN = f"{PREFIX}.withdrawn"
DECIDED = f"{PREFIX}.decided"
RELOCATED = f"{PREFIX}.relocated"
CONTACT_ERASED = f"{PREFIX}.contact_erased"
TOKEN_RENEWED = f"{PREFIX}.token_renewed"
EVENT_STATUS = f"{PREFIX}.event_status"
IMPORTED = f"{PREFIX}.imported"
ALL = f"{PREFIX}.>"

#: Dead-letter records, one subject per consumer: ``deadletter.<consumer>``.
DEADLETTER_STREAM = "DEADLETTER"
DEADLETTER_PREFIX = "deadletter"
#: JetStream's advisory when a message exhausts max_deliver (captured by DEADLETTER).
MAX_DELIVERIES_ADVISORY = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.>"


def for_type(event_type: str) -> str:
    """The subject of an event type: ``labelled`` -> ``submissions.labelled``."""
    return f"{PREFIX}.{event_type}"


def deadletter(consumer: str) -> str:
    return f"{DEADLETTER_PREFIX}.{consumer}"
