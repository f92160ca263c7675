"""The public page of one event: ``/evenements/{id}`` (HTML) and ``/evenements/{id}.ics``.

Answered from the in-memory feed, like the feed itself (no database): the event's page
while it is in the feed; **410 Gone** once it was withdrawn (every replica knows it from
the bucket's tombstones, also after a restart: ``FeedStore.withdrawn``); 404 for any
other id (unknown, not or no longer labelled). The page carries the feed's public fields
only (no e-mail, no phone: the feed has none), escaped by the templates (Jinja2,
autoescape), with schema.org ``Event`` JSON-LD and Open Graph tags; its map and its
"copy the link" button are the build's ``event`` script (web/src/event/).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from . import exports, french_dates, openapi
from .feed_store import FeedEntry, Representation
from .http_cache import represent
from .labels import ACCESSIBILITY, EVENT_STATUSES, LABELS
from .problems import Problem
from .replica import MapFeed, Replica, Store
from .widget import built_assets

TEMPLATES = Environment(
    loader=PackageLoader("map_feed", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
HTML = "text/html; charset=utf-8"
#: what an event id looks like (a FEED key without dots: ``{id}.ics`` stays unambiguous)
ID_PATTERN = r"^[A-Za-z0-9_=-]{1,128}$"
#: a page not found may be an event published a moment later: not kept by caches
NOT_FOUND_CACHE = "no-cache"
SITE = "Semaine de l’industrie"
SUMMARY_LENGTH = 200

router = APIRouter(default_response_class=Response)


def event_id(request: Request) -> str:
    """The path's id, as is: any other string is an id no event has (404, not 422)."""
    return request.path_params["id"]


EventId = Annotated[str, Depends(event_id)]
ID_PARAMETER = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "the event's identifier (the feed's `id`)",
    "schema": {"type": "string", "pattern": ID_PATTERN},
}


# ---------------------------------------------------------------------- what the page shows


def times_of(properties: dict[str, Any]) -> list[tuple[datetime, datetime]]:
    """The event's sessions, (start, end) each: its ``timings`` (every one is listed)."""
    return [
        (datetime.fromisoformat(t["starts_at"]), datetime.fromisoformat(t["ends_at"]))
        for t in properties["timings"]
    ]


#: the pictogram of each accessibility code (the DSFR's icons), its text said beside it
ACCESSIBILITY_ICONS = {
    "motor": "fr-icon-accessibility-line",
    "hearing": "fr-icon-ear-off-line",
    "visual": "fr-icon-eye-off-line",
    "intellectual": "fr-icon-mental-disabilities-line",
    "psychic": "fr-icon-mental-health-line",
}


def status_badges(p: dict[str, Any]) -> list[Badge]:
    """Full or cancelled said first; the places left when the organiser gives them."""
    status = p.get("event_status") or "scheduled"
    if status == "cancelled":
        return [Badge(EVENT_STATUSES["cancelled"], "error")]
    if status == "full":
        return [Badge(EVENT_STATUSES["full"], "warning")]
    places = p.get("remaining_places")
    if places is not None:
        return [Badge(f"{places} place{'s' if places > 1 else ''} restante"
                      f"{'s' if places > 1 else ''}", "success fr-badge--no-icon")]
    return []


def safe_url(value: str | None) -> str | None:
    """Only http(s) links reach a page (never ``javascript:``)."""
    if not value:
        return None
    parts = urlsplit(value)
    return value if parts.scheme in ("http", "https") and parts.netloc else None


def shortened(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


def script_json(data: Any) -> Markup:
    """JSON for a ``<script type="application/ld+json">``: ``<``, ``>`` and ``&`` (which
    JSON only has inside strings) as escapes, so that no value can close the element."""
    text = orjson.dumps(data).decode()
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


@dataclass(frozen=True)
class Badge:
    text: str
    tone: str  # a DSFR badge modifier


@dataclass(frozen=True)
class Place:
    lines: list[str]  # venue, street, postcode and city
    lat: float | None = None
    lon: float | None = None

    @property
    def osm_url(self) -> str | None:
        if self.lat is None:
            return None
        return (
            f"https://www.openstreetmap.org/?mlat={self.lat:.6f}&mlon={self.lon:.6f}"
            f"#map=16/{self.lat:.6f}/{self.lon:.6f}"
        )

    @property
    def widget_url(self) -> str | None:
        """The widget, zoomed on the place."""
        if self.lat is None:
            return None
        return f"/widget?lat={self.lat:.5f}&lon={self.lon:.5f}&zoom=14"


@dataclass(frozen=True)
class EventView:
    """The page of one feed feature (its properties as FIELDS.md documents them)."""

    id: str
    url: str  # canonical
    title: str
    description: str
    kind: str
    badges: list[Badge]
    sessions: list[tuple[str, datetime, datetime]]  # text, start, end
    place: Place | None
    online: bool
    online_url: str | None
    registration_url: str | None
    audiences: list[str]
    accessibility: str | None
    organizer: str
    #: scheduled, full or cancelled (FIELDS.md)
    event_status: str
    #: (pictogram class, text) for each accessibility code declared
    accessibility_codes: list[tuple[str, str]]
    capacity: int | None
    jsonld: Markup
    summary: str = field(default="")

    @classmethod
    def of(cls, feature: dict[str, Any], url: str) -> EventView:
        p = feature["properties"]
        coords = (feature.get("geometry") or {}).get("coordinates")
        kinds, audiences = LABELS["kinds"], LABELS["audiences"]
        badges = [*status_badges(p), Badge(kinds.get(p["kind"], p["kind"]), "blue-ecume")]
        if p.get("online"):
            badges.append(Badge("En ligne", "info fr-badge--no-icon"))
        times = times_of(p)
        sessions = [
            (french_dates.session(start, end, p.get("department")), start, end)
            for start, end in sorted(times)
        ]
        city = " ".join(x for x in (p.get("postcode"), p.get("city")) if x)
        lines = [x for x in (p.get("venue"), p.get("street"), city) if x]
        place = None
        if lines or coords:
            place = Place(lines, *(coords[1], coords[0]) if coords else (None, None))
        where = p.get("city") or ("En ligne" if p.get("online") else "")
        summary = " · ".join(x for x in (sessions[0][0] if sessions else "", where) if x)
        if p.get("description"):
            summary = f"{summary} — {shortened(p['description'], SUMMARY_LENGTH)}"
        jsonld = {"@context": "https://schema.org", **exports.jsonld_event(feature), "url": url}
        return cls(
            id=p["id"],
            url=url,
            title=p["title"],
            description=p.get("description") or "",
            kind=p["kind"],
            badges=badges,
            sessions=sessions,
            place=place,
            online=bool(p.get("online")),
            online_url=safe_url(p.get("online_url")),
            registration_url=safe_url(p.get("registration_url")),
            audiences=[audiences.get(a, a) for a in p.get("audiences") or ()],
            accessibility=p.get("accessibility"),
            organizer=p.get("organizer_name") or "",
            event_status=p.get("event_status") or "scheduled",
            accessibility_codes=[(ACCESSIBILITY_ICONS[c], ACCESSIBILITY[c])
                                 for c in p.get("accessibility_codes") or ()],
            capacity=p.get("capacity"),
            jsonld=script_json(jsonld),
            summary=summary,
        )

    @property
    def mailto(self) -> str:
        body = f"{self.title}\n{self.summary}\n\n{self.url}"
        return f"mailto:?subject={quote(self.title, safe='')}&body={quote(body, safe='')}"


# ---------------------------------------------------------------------- rendering


def public_base(request: Request, feed: MapFeed) -> str:
    return feed.settings.map_public_url or str(request.base_url).rstrip("/")


def render(template: str, request: Request, feed: MapFeed, **context: Any) -> str:
    base = public_base(request, feed)
    assets = built_assets(feed.settings.static_dir)
    return TEMPLATES.get_template(template).render(
        site=SITE,
        base=base,
        assets=assets,
        tiles=feed.settings.tile_url or "none",
        **context,
    )


def not_here(request: Request, feed: MapFeed, event_id: str, store) -> HTMLResponse:
    """410 for a withdrawn event, 404 for any other id (both pages say where to go)."""
    gone = event_id in store.withdrawn
    body = render("missing.html", request, feed, gone=gone)
    cache = feed.settings.cache_control if gone else NOT_FOUND_CACHE
    return HTMLResponse(body, status_code=410 if gone else 404, headers={"Cache-Control": cache})


def event_url(request: Request, feed: MapFeed, event_id: str) -> str:
    return f"{public_base(request, feed)}/evenements/{quote(event_id, safe='')}"


def page_representation(entry: FeedEntry, body: bytes) -> Representation:
    """The page at the event's revision; its tag also names the bytes (they depend on the
    public address and the build too)."""
    digest = zlib.crc32(body) & 0xFFFFFFFF
    return Representation(body, f'"e{entry.revision}-html-{digest:08x}"', entry.revision)


@router.get(
    "/evenements/{id}.ics",
    **openapi.event_documented(
        "The event as iCalendar (one VEVENT)", exports.ICS.media_type, ID_PARAMETER
    ),
)
async def event_calendar(id: EventId, request: Request, feed: Replica, store: Store) -> Response:
    entry = store.entries.get(id)
    if entry is None:
        if id in store.withdrawn:
            raise Problem(410, "Événement retiré", "Cet événement a été retiré de la carte.")
        raise Problem(
            404, "Événement introuvable", "Aucun événement publié ne porte cet identifiant."
        )
    # the file depends on the event only (its DTSTAMP, the time it is made, aside)
    body = exports.ICS.to_bytes([entry.body])
    rep = Representation(body, f'"e{entry.revision}-ics"', entry.revision)
    headers = {
        **feed.cache_headers,
        "Content-Disposition": f'attachment; filename="evenement-{id}.ics"',
    }
    return await represent(request, rep, exports.ICS.media_type, headers)


@router.get(
    "/evenements/{id}",
    **openapi.event_documented("The event's public page", HTML, ID_PARAMETER, page=True),
)
async def event_page(id: EventId, request: Request, feed: Replica, store: Store) -> Response:
    entry = store.entries.get(id)
    if entry is None:
        return not_here(request, feed, id, store)
    view = EventView.of(orjson.loads(entry.body), event_url(request, feed, id))
    body = render("event.html", request, feed, event=view).encode()
    return await represent(request, page_representation(entry, body), HTML, feed.cache_headers)
