"""The stream as contract version 1's code wrote it still projects: replayed through the
upcaster into records (pure, and into a real SQLite store), the records are the ones that
code made (tests/data/contract_v1/records.jsonl); and those documents, as its store kept
them, are read in the current shape."""

from __future__ import annotations

import orjson
from sdi_common.contracts import parse_event
from submission.record import SubmissionRecord, apply
from submission.store.sqlite import SqliteStore

from ..contract_v1 import events, records

V1_RECORDS = {doc["id"]: doc for doc in records()}


def as_v1_had_it(doc: dict) -> dict:
    """A record without what later code derives from the same events: the operator's words
    in the history (``detail``, the back office) and the envelope's sealed-token slot (empty
    after an erasure; the organiser's space)."""
    doc = {**doc, "history": [{k: v for k, v in h.items() if k != "detail"}
                              for h in doc["history"]]}
    if doc.get("contact_sealed"):
        envelope = orjson.loads(doc["contact_sealed"])
        if envelope.get("token") is None:
            envelope.pop("token", None)
        doc["contact_sealed"] = envelope
    return doc


def replay() -> dict[str, SubmissionRecord]:
    out: dict[str, SubmissionRecord] = {}
    for message in events():
        event = parse_event(message["data"])
        change = apply(out.get(event.submission_id), event)
        if change is not None:
            out[event.submission_id] = change.record
    return out


def test_the_version_1_stream_projects_to_the_records_version_1_made():
    replayed = replay()
    assert set(replayed) == set(V1_RECORDS)
    for ident, record in replayed.items():
        assert as_v1_had_it(record.to_document()) == as_v1_had_it(
            SubmissionRecord.from_document(V1_RECORDS[ident]).to_document())
    statuses = sorted(r.status for r in replayed.values())
    assert statuses == ["published", "published", "published", "published", "withdrawn"]


def test_version_1_documents_are_read_in_the_current_shape():
    for doc in V1_RECORDS.values():
        record = SubmissionRecord.from_document(doc)
        (timing,) = record.submission.timings
        assert timing.starts_at.isoformat() == doc["submission"]["starts_at"]
        assert timing.ends_at.isoformat() == doc["submission"]["ends_at"]
        assert record.event_status == "scheduled" and record.remaining_places is None
        assert (record.status, record.version, record.history[-1].event) == (
            doc["status"], doc["version"], doc["history"][-1]["event"])
        written = record.to_document()["submission"]
        assert "starts_at" not in written and written["timings"]


async def test_a_store_rebuilt_from_the_version_1_stream(tmp_path):
    store = SqliteStore(tmp_path / "s.sqlite3")
    await store.open()
    try:
        for message in events():
            await store.apply(parse_event(message["data"]))
        for ident, doc in V1_RECORDS.items():
            record = await store.get(ident)
            assert as_v1_had_it(record.to_document()) == as_v1_had_it(
                SubmissionRecord.from_document(doc).to_document())
        assert await store.count() == len(V1_RECORDS)
    finally:
        await store.close()
