"""The indexer against a real nats-server: ordering, tombstones, races, public fields only."""

from __future__ import annotations

import asyncio

import orjson
from map_feed.features import PROPERTIES
from map_feed.indexer import FeedIndexer
from nats.js.errors import KeyNotFoundError

from .mapfeed_events import geocoded, judged, new_sid, relocated, unresolved, withdrawn


async def live(kv, sid):
    entry = await kv.get(sid)
    return orjson.loads(entry.value)


async def is_deleted(kv, sid) -> bool:
    try:
        await kv.get(sid)
    except KeyNotFoundError:
        return True
    return False


async def test_geocoded_becomes_a_public_feature(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    result = await indexer.handle(geocoded(sid, 1, title="Portes ouvertes"))
    assert result.effect == "upserted" and result.revision > 0
    feature = await live(kv, sid)
    assert feature["type"] == "Feature" and feature["id"] == sid
    assert feature["geometry"] == {"type": "Point", "coordinates": [3.06, 50.63]}
    props = feature["properties"]
    assert props["version"] == 1 and props["title"] == "Portes ouvertes"
    assert props["department"] == "59" and props["region"] == "32"
    # only the public allow-list, never a contact
    raw = (await kv.get(sid)).value.decode()
    assert "@" not in raw.replace("https://", "") and "phone" not in raw and "email" not in raw
    assert set(props) == {
        "id",
        "version",
        "title",
        "description",
        "kind",
        "starts_at",
        "ends_at",
        "audiences",
        "organizer_name",
        "venue",
        "street",
        "city",
        "postcode",
        "department",
        "region",
        "online",
        "online_url",
        "registration_url",
        "accessibility",
        "precision",
        "timings",
        "accessibility_codes",
        "capacity",
        "event_status",
        "remaining_places",
        "event_status_at",
    }
    assert tuple(props) == PROPERTIES  # the documented order, which the CSV columns follow


async def test_redelivery_is_unchanged_and_reports_the_same_revision(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    event = geocoded(sid, 1)
    first = await indexer.handle(event)
    again = await indexer.handle(event)
    assert again.effect == "unchanged" and again.revision == first.revision
    assert (await kv.get(sid)).revision == first.revision


async def test_stale_version_is_ignored(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    await indexer.handle(geocoded(sid, 2, title="Version deux"))
    assert (await indexer.handle(geocoded(sid, 1, title="Version une"))).effect == "stale"
    assert (await live(kv, sid))["properties"]["title"] == "Version deux"
    # an older rejection does not remove the newer published version either
    assert (await indexer.handle(judged(sid, 1, "rejected"))).effect == "stale"
    assert (await live(kv, sid))["properties"]["version"] == 2


async def test_withdraw_then_redelivered_upsert_stays_deleted(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    await indexer.handle(geocoded(sid, 1))
    assert (await indexer.handle(withdrawn(sid, 1))).effect == "deleted"
    assert await is_deleted(kv, sid)
    assert (await indexer.handle(geocoded(sid, 1))).effect == "stale"
    assert (await indexer.handle(relocated(sid, 1))).effect == "stale"
    assert await is_deleted(kv, sid)
    # withdrawn before anything was published: a later upsert of that version stays out
    other = new_sid()
    await indexer.handle(withdrawn(other, 1))
    assert (await indexer.handle(geocoded(other, 1))).effect == "stale"
    assert await is_deleted(kv, other)


async def test_newer_rejection_removes_and_older_upsert_cannot_return(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    await indexer.handle(geocoded(sid, 1))
    assert (await indexer.handle(judged(sid, 2, "rejected"))).effect == "deleted"
    assert await is_deleted(kv, sid)
    assert (await indexer.handle(geocoded(sid, 1))).effect == "stale"
    assert await is_deleted(kv, sid)
    # a newer amendment is published again
    assert (await indexer.handle(geocoded(sid, 3))).effect == "upserted"
    assert (await live(kv, sid))["properties"]["version"] == 3


async def test_unresolved_then_relocated_same_version_is_published(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    assert (await indexer.handle(unresolved(sid, 1))).effect == "deleted"
    result = await indexer.handle(relocated(sid, 1, lon=5.37, lat=43.30))
    assert result.effect == "upserted"
    feature = await live(kv, sid)
    assert feature["geometry"]["coordinates"] == [5.37, 43.30]
    assert feature["properties"]["precision"] == "manual"
    # the geocoder's same-version result, redelivered late, does not undo the operator's fix
    assert (await indexer.handle(geocoded(sid, 1))).effect == "unchanged"
    assert (await live(kv, sid))["geometry"]["coordinates"] == [5.37, 43.30]


async def test_needs_review_then_decided_label_same_version(nc, kv):
    indexer = FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    assert (await indexer.handle(judged(sid, 1, "needs_review"))).effect == "deleted"
    assert (await indexer.handle(geocoded(sid, 1))).effect == "upserted"


async def test_concurrent_indexers_never_go_backwards(nc, kv):
    """Two replicas racing on one key: the highest version wins whatever the interleaving."""
    a, b = FeedIndexer(nc.jetstream(), kv), FeedIndexer(nc.jetstream(), kv)
    sid = new_sid()
    events = [geocoded(sid, v, title=f"version {v}") for v in range(1, 11)]
    await asyncio.gather(
        *((a if i % 2 else b).handle(e) for i, e in enumerate(reversed(events))),
        *(a.handle(e) for e in events),
    )
    assert (await live(kv, sid))["properties"]["version"] == 10
