"""The feed of contract version 1 still shows: the features main's code wrote into the
bucket are read in the current shape (one timing, scheduled), and the version 1 stream,
replayed through the indexer, writes the same features (tests/data/contract_v1)."""

from __future__ import annotations

import orjson
from map_feed.feed_store import FeedEntry
from map_feed.filters import parse_query
from map_feed.indexer import FeedIndexer
from sdi_common import topology
from sdi_common.contracts import parse_event

from ..contract_v1 import events, feed

V1_FEED = {entry["key"]: orjson.loads(entry["value"]) for entry in feed()}
#: what version 1's features could not say (capacity was not public then)
NEW = ("capacity",)


def upgraded(key: str) -> dict:
    entry = FeedEntry.from_bytes(key, 1, orjson.dumps(V1_FEED[key]))
    return orjson.loads(entry.body)


def test_version_1_features_are_read_with_their_one_timing_and_scheduled():
    for key, old in V1_FEED.items():
        new = upgraded(key)
        p, before = new["properties"], old["properties"]
        # nothing it said is lost; a point placed by hand has the word of issue 13
        said = {**before, "precision": {"operator": "manual"}.get(before["precision"],
                                                                  before["precision"])}
        assert {k: p[k] for k in before} == said
        assert p["timings"] == [{"starts_at": before["starts_at"], "ends_at": before["ends_at"]}]
        assert (p["event_status"], p["remaining_places"], p["accessibility_codes"]) == (
            "scheduled", None, [])
        assert new["geometry"] == old["geometry"]


def test_the_date_filters_read_version_1_features():
    key, feature = next(iter(V1_FEED.items()))
    entry = FeedEntry.from_bytes(key, 1, orjson.dumps(feature))
    assert parse_query({"from": "2024-11-01"}).matches(entry)
    assert not parse_query({"to": "2024-11-01"}).matches(entry)
    assert entry.spans == ((entry.starts, entry.ends),)


async def test_the_version_1_stream_indexes_to_the_features_version_1_wrote(nc):
    kv = await nc.jetstream().key_value(topology.FEED_BUCKET.name)
    indexer = FeedIndexer(nc.jetstream(), kv)
    wanted = set(topology.FEED_INDEXER.filter_subjects)
    for message in events():
        if message["subject"] in wanted:
            await indexer.handle(parse_event(message["data"]))
    for key in V1_FEED:
        written = orjson.loads((await kv.get(key)).value)
        expected = upgraded(key)
        for name in NEW:
            written["properties"].pop(name)
            expected["properties"].pop(name)
        assert written == expected
    live = {k for k in await kv.keys() if k in {orjson.loads(m["data"])["submission_id"]
                                                for m in events()}}
    assert live == set(V1_FEED)  # the rejected then withdrawn one is not shown
