"""What the common tests build their events around."""

from datetime import UTC, datetime

from sdi_common.contracts import Organizer, Submission

SUBMISSION = Submission(
    title="Visite de l'usine",
    description="Découverte des lignes de production",
    kind="company_visit",
    timings=[{"starts_at": datetime(2024, 11, 20, 9, tzinfo=UTC),
              "ends_at": datetime(2024, 11, 20, 12, tzinfo=UTC)}],
    audiences=["pupils"],
    is_free=True,
    informs_about_industry=True,
    online=True,
    online_url="https://example.org/live",
    organizer=Organizer(name="ACME", type="company"),
)
