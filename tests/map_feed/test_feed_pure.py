"""The pure parts of map-feed: filters, the in-memory store, clustering, exports."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar
import orjson
import pytest
from map_feed.clusters import GridIndex
from map_feed.exports import CSV_COLUMNS, ics_escape, ics_fold, to_csv, to_ics, to_jsonld
from map_feed.feed_store import FeedStore
from map_feed.filters import EMPTY, InvalidQuery, parse_query
from starlette.datastructures import QueryParams

from .mapfeed_events import feature_bytes, new_sid


def filled_store() -> tuple[FeedStore, dict[str, str]]:
    store = FeedStore()
    ids = {}
    samples = [
        ("lille", {"title": "Visite de l'usine Métaux", "lon": 3.06, "lat": 50.63}),
        (
            "paris",
            {
                "title": "Atelier robotique à l'École",
                "lon": 2.35,
                "lat": 48.85,
                "kind": "workshop",
                "audiences": ["general_public"],
            },
        ),
        (
            "marseille",
            {"title": "Escape game industriel", "lon": 5.37, "lat": 43.30, "kind": "escape_game"},
        ),
    ]
    for rev, (name, kw) in enumerate(samples, start=1):
        sid = new_sid()
        ids[name] = sid
        store.apply(sid, rev, feature_bytes(sid, **kw), None)
    store.mark_synced()
    return store, ids


def test_parse_query_collects_every_error():
    with pytest.raises(InvalidQuery) as info:
        parse_query({"bbox": "1,2,3", "kind": "picnic", "from": "demain", "online": "maybe"})
    fields = {e["field"] for e in info.value.errors}
    assert fields == {"bbox", "kind", "from", "online"}


def test_filters_select_the_right_events():
    store, ids = filled_store()

    def select(**params):
        return {e.id for e in store.select(parse_query(params))}

    assert select() == set(ids.values())
    assert select(q="ecole") == {ids["paris"]}  # accent-insensitive
    assert select(q="METAUX visite") == {ids["lille"]}
    assert select(kind="workshop,escape_game") == {ids["paris"], ids["marseille"]}
    assert select(audience="general_public") == {ids["paris"]}
    assert select(bbox="2,48,4,51") == {ids["lille"], ids["paris"]}
    # a map zoomed out beyond the antimeridian asks for more than the world: clamped
    assert select(bbox="-540,-100,540,100") == set(ids.values())
    with pytest.raises(InvalidQuery):
        parse_query({"bbox": "nan,0,1,1"})
    for extreme in ({"to": "0001-01-01T00:00:00+04:00"}, {"from": "9999-12-31T23:00:00-05:00"}):
        with pytest.raises(InvalidQuery):  # found by schemathesis: was a 500
            parse_query(extreme)
    assert select(department="59") == {ids["lille"], ids["paris"], ids["marseille"]}
    assert select(**{"from": "2024-11-20"}) == set()
    assert select(**{"from": "2024-11-19", "to": "2024-11-19"}) == set(ids.values())
    assert select(to="2024-11-18") == set()
    assert select(online="true") == set()


def test_store_snapshot_etag_changes_with_revision_and_log_resume():
    store, ids = filled_store()
    snap = store.snapshot()
    collection = orjson.loads(snap.body)
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 3
    assert snap.etag == '"r3"' and store.snapshot() is snap
    seen = []
    store.listeners.append(seen.append)
    store.apply(ids["lille"], 4, None, "DEL")
    assert [c.op for c in seen] == ["delete"] and seen[0].frame.startswith(
        b"id: 4\nevent: delete\n"
    )
    assert store.snapshot().etag == '"r4"'
    assert [c.revision for c in store.changes_since(3)] == [4]
    assert store.changes_since(4) == []
    assert store.changes_since(2) is None  # before the log: reset


def test_change_log_is_bounded():
    store = FeedStore(change_log_size=5)
    store.mark_synced()
    sid = new_sid()
    for rev in range(1, 21):
        store.apply(sid, rev, feature_bytes(sid, rev), None)
    assert len(store.log) == 5 and store.log_floor == 15
    assert store.changes_since(14) is None
    assert [c.revision for c in store.changes_since(15)] == [16, 17, 18, 19, 20]


def test_stale_revision_is_skipped():
    store, ids = filled_store()
    store.apply(ids["lille"], 2, None, "DEL")  # replayed by a restarted watch
    assert ids["lille"] in store.entries


def test_grid_clusters_count_every_point_once():
    rng = random.Random(7)
    grid = GridIndex(max_zoom=16)
    for i in range(5000):
        grid.put(f"p{i}", rng.uniform(-5, 9), rng.uniform(42, 51))
    grid.remove("p0")
    world = (-180, -85, 180, 85)
    for zoom in (0, 3, 6, 10, 17):
        clusters, points = grid.query(world, zoom)
        assert sum(c[3] for c in clusters) + len(points) == 4999
        assert all(c[4] > zoom for c in clusters)
    clusters, _ = grid.query(world, 0)
    assert len(clusters) <= 2


def test_colocated_points_expand_beyond_max_zoom():
    grid = GridIndex(max_zoom=16)
    grid.put("a", 2.35, 48.85)
    grid.put("b", 2.35, 48.85)
    clusters, points = grid.query((2, 48, 3, 49), 16)
    assert points == [] and clusters[0][3] == 2 and clusters[0][4] == 17
    _, points = grid.query((2, 48, 3, 49), 17)
    assert sorted(points) == ["a", "b"]


def test_csv_export_parses_back():
    store, ids = filled_store()
    data = to_csv(e.body for e in store.ordered()).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(data)))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 3
    lille = next(r for r in rows if r["id"] == ids["lille"])
    assert lille["title"] == "Visite de l'usine Métaux" and lille["audiences"] == "pupils;students"
    assert float(lille["longitude"]) == 3.06 and lille["online"] == "false"


def test_ics_escaping_and_folding():
    assert ics_escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    line = "DESCRIPTION:" + "é" * 100
    folded = ics_fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_ics_export_parses_with_icalendar():
    sid = new_sid()
    tricky = "Atelier ; virgules, barres \\ et\nretours — « métiers » " + "x" * 120
    cal_bytes = to_ics(
        [feature_bytes(sid, 2, title="Soudure, usinage; et plus", description=tricky)]
    )
    assert b"\r\n" in cal_bytes and all(len(l) <= 75 for l in cal_bytes.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(cal_bytes)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    ev = events[0]
    assert str(ev["UID"]) == sid
    assert str(ev["SUMMARY"]) == "Soudure, usinage; et plus"
    assert str(ev["DESCRIPTION"]).startswith(tricky)
    assert ev.decoded("DTSTART").isoformat() == "2024-11-19T08:00:00+00:00"
    assert ev["GEO"].latitude == pytest.approx(50.63)


def test_jsonld_export_is_schema_org_events():
    sid = new_sid()
    doc = orjson.loads(to_jsonld([feature_bytes(sid)]))
    assert doc["@context"] == "https://schema.org"
    event = doc["@graph"][0]
    assert event["@type"] == "Event" and event["identifier"] == sid
    assert event["location"]["geo"]["latitude"] == 50.63
    assert event["isAccessibleForFree"] is True


def test_an_empty_date_is_an_error_not_no_filter():
    for name in ("from", "to"):
        with pytest.raises(InvalidQuery) as info:
            parse_query({name: ""})
        assert [(e["field"], e["code"]) for e in info.value.errors] == [(name, "invalid_date")]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kind=", "kind"),  # given empty: an error, never "no filter"
        ("kind=workshop,", "kind"),
        ("kind=workshop&kind=", "kind"),
        ("audience=", "audience"),
        ("department=", "department"),
        ("department=%C3%A9", "department"),  # é: not a code
        ("region=1", "region"),
        ("region=%D9%A3%D9%A2", "region"),  # Arabic-Indic digits: not ASCII
        ("bbox=", "bbox"),
        ("bbox=1,2,3,4,5", "bbox"),
        ("bbox=1,2,3,inf", "bbox"),
        ("online=", "online"),
        ("online=oui", "online"),  # the documented true / false only
        ("from=2024-11-18T09:00", "from"),  # a date-time says its offset (RFC 3339)
        ("from=2024-11-18T09:00:00", "from"),
        ("from=2024-02-30", "from"),  # matches the pattern, not the calendar
        ("to=0001-01-01", "to"),
        ("from=2024-11-18&from=2024-11-19", "from"),
        ("bbox=1,2,3,4&bbox=1,2,3,4", "bbox"),
        ("q=a&q=b", "q"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_malformed_parameters_are_named(query, field):
    with pytest.raises(InvalidQuery) as info:
        parse_query(QueryParams(query))
    assert [e["field"] for e in info.value.errors] == [field]
    assert info.value.status == 422 and info.value.errors[0]["message"]


def test_what_the_patterns_allow_is_accepted():
    store, ids = filled_store()

    def select(query):
        return {e.id for e in store.select(parse_query(QueryParams(query)))}

    assert select("q=") == set(ids.values())  # no words: every event
    assert select("kind=workshop&kind=escape_game,company_visit") == set(ids.values())
    assert select("department=2a,2B,59") == set(ids.values())  # all in the Nord (59) here
    assert select("bbox=2,1e0,4.,51.") == {ids["lille"], ids["paris"]}
    assert select("bbox=2,51,4,48") == set()  # south above north: an empty box
    # each bound is its own condition: ends after 11:00 and starts before 10:00
    assert select("from=2024-11-19T11:00:00%2B01:00&to=2024-11-19T10:00:00Z") == set(ids.values())
    assert select("from=2024-11-19T12:00:00.5%2B01:00") == set()


def test_empty_query_is_empty():
    assert parse_query({}) == EMPTY and EMPTY.is_empty


def test_csv_text_cells_cannot_become_formulas():
    """OWASP CSV injection: a text cell starting with = + - @ tab or CR gets a leading
    apostrophe, so that a spreadsheet shows it instead of running it; numbers stay numbers."""
    titles = [
        '=HYPERLINK("http://evil.example";"usine")',
        "+33 1 23 45 67 89",
        "-2+3",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "Visite ordinaire",
    ]
    sids = [new_sid() for _ in titles]
    data = to_csv(
        feature_bytes(sid, title=title, lon=-1.55, lat=47.22) for sid, title in zip(sids, titles)
    )
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))}
    assert [rows[sid]["title"] for sid in sids] == [
        *("'" + title for title in titles[:-1]),
        "Visite ordinaire",
    ]
    assert {rows[sid]["longitude"] for sid in sids} == {"-1.55"}


def test_ics_without_events_is_still_a_calendar_with_paris_time():
    """RFC 5545 wants at least one component: an export that no event matches carries the
    Europe/Paris VTIMEZONE (the X-WR-TIMEZONE it names), whose rules match zoneinfo's."""
    for bodies in ([], [feature_bytes(new_sid())]):
        cal = icalendar.Calendar.from_ical(to_ics(bodies))
        assert cal.subcomponents and not cal.errors
        (vtimezone,) = cal.walk("VTIMEZONE")
        assert str(vtimezone["TZID"]) == "Europe/Paris"
        tz = vtimezone.to_tz()
        for moment in (
            datetime(2024, 11, 19, 9, 0),  # the week: CET
            datetime(2024, 7, 1, 12, 0),  # summer: CEST
            datetime(2024, 3, 31, 3, 30),  # just after the change to summer time
            datetime(2024, 10, 27, 1, 30),  # just before the change back
            datetime(2031, 3, 30, 1, 59),
        ):
            assert moment.replace(tzinfo=tz).utcoffset() == moment.replace(
                tzinfo=ZoneInfo("Europe/Paris")
            ).utcoffset(), moment
