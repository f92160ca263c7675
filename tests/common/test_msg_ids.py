"""Nats-Msg-Id: one decision per (submission, version, stage); operator placements repeatable."""

from datetime import UTC, datetime

from sdi_common.contracts import GeoResult, Judged, LocationUnresolved, Point, Reason, Relocated
from sdi_common.natsconn import msg_id

from .samples import SUBMISSION


def test_contradicting_verdicts_of_one_version_share_an_id():
    ids = {
        msg_id(Judged(type=t, submission_id="s", version=2, by="validation",
                      submission=SUBMISSION, edition="e"))
        for t in ("labelled", "rejected", "needs_review")
    }
    assert ids == {"s:2:judged"}
    unresolved = LocationUnresolved(submission_id="s", version=2, by="geocoding",
                                    submission=SUBMISSION, reason=Reason(code="x", message="y"))
    assert msg_id(unresolved) == "s:2:placed"


def test_an_operator_can_place_an_event_twice():
    def relocated():
        loc = GeoResult(point=Point(lon=2.3, lat=48.8), precision="manual", source="operator")
        return Relocated(submission_id="s", version=1, by="operator:ana",
                         submission=SUBMISSION, location=loc, at=datetime.now(UTC))

    assert msg_id(relocated()) != msg_id(relocated())
