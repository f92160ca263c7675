"""The event status in the FEED bucket (issue 16), against a real nats-server: it is kept
in the entry, live feature or tombstone, across every write, and the latest one wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
from map_feed.indexer import FeedIndexer
from nats.js.errors import KeyNotFoundError

from .mapfeed_events import event_status, geocoded, judged, new_sid, relocated, withdrawn

T0 = datetime(2024, 11, 10, 9, tzinfo=UTC)


async def entry(kv, sid) -> tuple[bool, dict]:
    """(live, the feature's properties or the tombstone's body)."""
    try:
        found = await kv.get(sid)
    except KeyNotFoundError as err:
        return False, orjson.loads(err.entry.value) if err.entry and err.entry.value else {}
    return True, orjson.loads(found.value)["properties"]


def status(props: dict) -> tuple:
    return props.get("event_status"), props.get("remaining_places")


async def test_a_live_event_is_marked_and_stays_on_the_map(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    await indexer.handle(geocoded(sid, 1))
    before = orjson.loads((await kv.get(sid)).value)
    assert status(before["properties"]) == ("scheduled", None)
    result = await indexer.handle(event_status(sid, 1, "cancelled", at=T0))
    assert (result.effect, result.revision) == ("status_set", None)  # no second Published
    after = orjson.loads((await kv.get(sid)).value)
    assert after["geometry"] == before["geometry"]
    assert status(after["properties"]) == ("cancelled", None)
    assert after["properties"]["event_status_at"] == T0.isoformat()
    assert {k: v for k, v in after["properties"].items() if not k.startswith(("event_status",))} \
        == {k: v for k, v in before["properties"].items() if not k.startswith("event_status")}


async def test_the_latest_change_wins_whatever_the_order_of_arrival(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    await indexer.handle(geocoded(sid, 1))
    full = event_status(sid, 1, "full", 0, at=T0)
    reopened = event_status(sid, 1, "scheduled", 3, at=T0 + timedelta(minutes=5))
    assert (await indexer.handle(reopened)).effect == "status_set"
    assert (await indexer.handle(full)).effect == "stale"  # redelivered late
    assert (await indexer.handle(reopened)).effect == "stale"  # redelivered again
    assert status((await entry(kv, sid))[1]) == ("scheduled", 3)


async def test_a_status_said_before_the_event_is_placed_is_kept_for_it(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    assert (await indexer.handle(event_status(sid, 1, "full", 0, at=T0))).effect == "status_set"
    live, tomb = await entry(kv, sid)
    assert not live and status(tomb) == ("full", 0)  # nothing shown yet
    assert (await indexer.handle(geocoded(sid, 1))).effect == "upserted"
    live, props = await entry(kv, sid)
    assert live and status(props) == ("full", 0)


async def test_the_status_survives_an_amendment_a_rejection_and_a_relabelling(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    await indexer.handle(geocoded(sid, 1))
    await indexer.handle(event_status(sid, 1, "cancelled", at=T0))
    await indexer.handle(geocoded(sid, 2, title="Visite, nouvelles dates"))  # an amendment
    live, props = await entry(kv, sid)
    assert live and props["version"] == 2 and status(props) == ("cancelled", None)
    await indexer.handle(judged(sid, 3, "needs_review"))  # amended again: off the map
    live, tomb = await entry(kv, sid)
    assert not live and status(tomb) == ("cancelled", None)
    await indexer.handle(relocated(sid, 3))  # labelled by an operator and placed
    live, props = await entry(kv, sid)
    assert live and props["version"] == 3 and status(props) == ("cancelled", None)
    # the same Geocoded redelivered changes nothing
    assert (await indexer.handle(geocoded(sid, 2))).effect == "stale"


async def test_a_withdrawn_event_keeps_no_status(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    await indexer.handle(geocoded(sid, 1))
    await indexer.handle(withdrawn(sid, 1))
    assert (await indexer.handle(event_status(sid, 1, "cancelled", at=T0))).effect == "stale"
    live, tomb = await entry(kv, sid)
    assert not live and tomb["reason"] == "withdrawn" and "event_status" not in tomb
