"""Contract version 2 reads every event as version 1's code wrote it (the upcaster), on the
events captured from main's code before the change (tests/data/contract_v1)."""

from __future__ import annotations

import json

import orjson
import pytest
from pydantic import ValidationError
from sdi_common import contracts, subjects
from sdi_common.contracts import CONTRACT_VERSION, encode, parse_event
from sdi_common.upcasting import upcast, upcast_submission

from ..contract_v1 import events

V1 = events()


def test_the_fixtures_are_version_1_and_cover_every_event_type_of_it():
    types = {json.loads(e["data"])["type"] for e in V1}
    assert types == {"received", "labelled", "rejected", "needs_review", "geocoded",
                     "location_unresolved", "published", "withdrawn", "decided", "relocated",
                     "contact_erased"}
    for e in V1:
        data = json.loads(e["data"])
        assert "schema_version" not in data
        assert "timings" not in json.dumps(data)


@pytest.mark.parametrize("message", V1, ids=[f"{i}-{m['subject']}" for i, m in enumerate(V1)])
def test_every_event_of_version_1_parses_in_the_current_shape(message):
    raw = json.loads(message["data"])
    event = parse_event(message["data"].encode())
    assert event.schema_version == CONTRACT_VERSION
    assert subjects.for_type(event.type) == message["subject"]
    assert (event.submission_id, event.version, event.event_id, event.by) == (
        raw["submission_id"], raw["version"], raw["event_id"], raw["by"])
    if "submission" in raw:
        old = raw["submission"]
        (timing,) = event.submission.timings
        assert timing.starts_at.isoformat() == old["starts_at"]
        assert timing.ends_at.isoformat() == old["ends_at"]
        assert event.submission.accessibility_codes == []
        # everything else is what it said
        rest = {k: v for k, v in old.items() if k not in ("starts_at", "ends_at")}
        again = json.loads(event.submission.model_dump_json())
        assert {k: again[k] for k in rest} == rest
    # and it is written back in the current version
    assert parse_event(encode(event)) == event
    assert orjson.loads(encode(event))["schema_version"] == CONTRACT_VERSION


def test_the_upcaster_is_a_pure_function_of_the_data():
    raw = json.loads(V1[0]["data"])
    before = json.dumps(raw, sort_keys=True)
    up = upcast(raw, CONTRACT_VERSION)
    assert json.dumps(raw, sort_keys=True) == before  # the input is left as it was
    assert up["schema_version"] == 2 and up["submission"]["timings"] == [
        {"starts_at": raw["submission"]["starts_at"], "ends_at": raw["submission"]["ends_at"]}]
    assert upcast(up, CONTRACT_VERSION) == up  # current: nothing to do
    assert upcast_submission(up["submission"]) == up["submission"]


def test_a_newer_version_is_refused_not_misread():
    data = orjson.loads(encode(parse_event(V1[0]["data"])))
    data["schema_version"] = CONTRACT_VERSION + 1
    with pytest.raises(ValidationError):
        parse_event(orjson.dumps(data))


def test_what_is_not_json_is_still_a_validation_error():
    for raw in (b"{not json", b"", b"[1, 2]", b'"text"', b"\xff"):
        with pytest.raises(ValidationError):
            parse_event(raw)


def test_a_version_1_event_with_a_broken_date_stays_poison():
    data = json.loads(V1[0]["data"])
    data["submission"]["starts_at"] = "2024-11-20T09:00:00"  # naive: version 1 refused it too
    with pytest.raises(ValidationError):
        parse_event(json.dumps(data))
    data["submission"]["starts_at"] = "2024-11-20T09:00:00+01:00"
    del data["submission"]["ends_at"]  # and an end missing is still missing
    with pytest.raises(ValidationError):
        parse_event(json.dumps(data))


def test_the_new_events_round_trip():
    status = contracts.EventStatusSet(submission_id="s", version=2, by="organizer",
                                      event_status="cancelled")
    imported = contracts.Imported(
        submission_id="i", version=1, by="organizer", importer_sealed="{}",
        rows=[contracts.ImportRow(line=1, action="created", id="s", external_id="E-1"),
              contracts.ImportRow(line=2, action="refused", errors=["title:too_short"])])
    for event in (status, imported):
        assert parse_event(encode(event)) == event
