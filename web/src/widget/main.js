// The embeddable map widget: filters, a clustered map and an accessible list kept in step,
// live through Server-Sent Events. URL parameters preset filters and view:
//   kind, audience, department, region, online (true|false), q, from, to (YYYY-MM-DD),
//   accessibility (motor,hearing,visual,intellectual,psychic: every one declared), lat,
//   lon, zoom, territory, tiles (a {z}/{x}/{y} URL template, or "none"), attribution,
//   list=all|map.
// On a narrow screen the filters fold behind one "Filtres" button (filters-panel.js); "Près
// de moi" brings the map to the visitor's surroundings (near-me.js).
import departements from "virtual:departements";
import { AUDIENCES, KINDS, plural } from "./labels.js";
import { isEmpty, matcher, readFilters } from "./filters.js";
import { FeedStore } from "./store.js";
import { followFeed, watchChanges } from "./stream.js";
import { TERRITORIES, createMap } from "./map.js";
import { tileSettings as tilesFrom } from "./basemap.js";
import { byDate, createList, renderEvent } from "./list.js";
import { foldableFilters } from "./filters-panel.js";
import { nearMe } from "./near-me.js";

const params = new URLSearchParams(location.search);
const $ = (sel) => document.querySelector(sel);

function fillSelect(select, entries) {
  for (const [value, text] of entries) select.append(new Option(text, value));
}

function debounce(fn, ms) {
  let t;
  const debounced = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(t);
  return debounced;
}

// Tiles: the `tiles` URL parameter, else the page's <body data-tiles> (the service may set its
// configured TILE_URL there), else OpenStreetMap; "none" draws the outline only.
function tileSettings() {
  const body = document.body.dataset;
  const tiles = params.get("tiles") ?? body.tiles;
  return tilesFrom(tiles, params.get("tiles") ? params.get("attribution") : body.attribution);
}

function init() {
  const form = $("#sdi-filters");
  fillSelect(form.kind, Object.entries(KINDS));
  fillSelect(form.audience, Object.entries(AUDIENCES));
  fillSelect(form.department, departements.map(([code, name]) => [code, `${code} – ${name}`]));
  const territory = $("#sdi-territory");
  fillSelect(territory, TERRITORIES.map((t) => [t.code, t.name]));

  // Preset filters from the URL.
  let filters = readFilters(params);
  for (const [name, value] of Object.entries(filters)) {
    if (name === "accessibility") {
      for (const box of form.querySelectorAll('input[name="accessibility"]')) box.checked = value.split(",").includes(box.value);
    } else if (form[name]) form[name].value = value;
  }
  // Values no option has are dropped; the region (no field) is kept from the URL.
  const fromForm = () => ({ ...readFilters(new URLSearchParams(new FormData(form))), region: filters.region });
  filters = fromForm();
  const inView = $("#sdi-in-view");
  inView.checked = params.get("list") !== "all";

  const status = $("#sdi-status");
  const liveState = $("#sdi-live");
  const popupContent = (feature) => {
    const box = document.createElement("div");
    box.append(renderEvent(feature, { headingLevel: 3 }));
    const back = document.createElement("button");
    back.type = "button";
    back.className = "fr-btn fr-btn--tertiary-no-outline fr-btn--sm";
    back.textContent = "Voir dans la liste";
    back.addEventListener("click", () => {
      if (!inView.checked || !list.focusEvent(feature.id)) {
        inView.checked = false;
        refresh();
        list.focusEvent(feature.id);
      }
    });
    box.append(back);
    return box;
  };

  const { map, setFeatures, reveal, showTerritory, setRemote, remoteMarker } = createMap($("#sdi-map"), {
    ...tileSettings(),
    popup: popupContent,
    onTilesFailed: () => {
      $("#sdi-tiles-notice").hidden = false;
    },
  });
  map.on("popupopen", (e) => {
    const el = e.popup.getElement();
    el?.querySelector(".leaflet-popup-close-button")?.setAttribute("aria-label", "Fermer");
    el?.addEventListener("keydown", (key) => key.key === "Escape" && map.closePopup());
    el?.querySelector(".sdi-event__title")?.focus();
  });
  map.on("popupclose", (e) => {
    // Give keyboard focus back to the marker the popup came from.
    e.popup._source?.getElement?.()?.focus?.();
  });

  // Initial view: lat/lon/zoom, else the département's events (once loaded), else a
  // territory, else metropole.
  const lat = parseFloat(params.get("lat"));
  const lon = parseFloat(params.get("lon"));
  const zoom = parseInt(params.get("zoom") ?? "", 10);
  const presetView = Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  if (presetView) {
    map.setView([lat, lon], Number.isFinite(zoom) ? Math.min(Math.max(zoom, 2), 18) : 10);
  } else {
    const code = TERRITORIES.some((t) => t.code === params.get("territory")) ? params.get("territory") : "metro";
    territory.value = code;
    showTerritory(code);
  }
  territory.addEventListener("change", () => showTerritory(territory.value));

  let mode = "client"; // or "server": see chooseMode()
  let pendingReveal = null;
  const list = createList($("#sdi-list"), {
    onShowOnMap: (feature) => {
      if (mode === "client") {
        reveal(feature.id, (marker) => marker.openPopup());
        return;
      }
      const [lon, lat] = feature.geometry.coordinates;
      pendingReveal = String(feature.id);
      const marker = remoteMarker(feature.id);
      if (marker && map.getZoom() >= 15) marker.openPopup();
      else map.setView([lat, lon], Math.max(map.getZoom(), 15));
    },
  });

  let lastAnnounce = "";
  const announce = debounce((text) => {
    if (text === lastAnnounce) return;
    lastAnnounce = text;
    status.textContent = text;
  }, 400);

  const events = (n) => plural(n, "événement", "événements");

  /** The list, and what it holds in words: `inArea` placed events in the map's area, and
   * `online` online events without a place (listed with every area, never counted in it). */
  function show(listed, { matching, inArea, online = 0, tooMany = false }) {
    listed.sort(byDate);
    list.render(listed);
    $("#sdi-too-many").hidden = !tooMany;
    if (tooMany) $("#sdi-empty").hidden = true;
    const number = (n) => n.toLocaleString("fr-FR");
    const which = isEmpty(filters) ? "" : " correspondant à vos critères";
    if (!inView.checked) {
      $("#sdi-count").textContent = events(matching);
      announce(`${events(matching)}${which}.`);
      return;
    }
    const andOnline = online ? ` et ${number(online)} en ligne` : "";
    const zone = `${events(inArea)} dans la zone affichée${andOnline}`;
    $("#sdi-count").textContent = matching != null ? `${zone} (sur ${number(matching)})` : zone;
    announce(matching != null
      ? `${events(matching)}${which}, dont ${number(inArea)} dans la zone affichée de la carte${andOnline && `,${andOnline}`}.`
      : `${events(inArea)}${which} dans la zone affichée de la carte${andOnline && `,${andOnline}`}.`);
  }

  // ---- client mode: the whole feed in memory, clustered in the browser
  function refreshClient() {
    const match = matcher(filters);
    const matching = [...store.features.values()].filter(match);
    setFeatures(matching);
    if (!inView.checked) {
      show(matching, { matching: matching.length });
      return;
    }
    const bounds = map.getBounds();
    const placed = [];
    const online = []; // online events without a place belong to every area
    for (const f of matching) {
      if (f.geometry?.type !== "Point") online.push(f);
      else if (bounds.contains([f.geometry.coordinates[1], f.geometry.coordinates[0]])) placed.push(f);
    }
    show([...placed, ...online], { matching: matching.length, inArea: placed.length, online: online.length });
  }

  // ---- server mode (large feeds): clusters and lists asked for the current view
  const LIST_MAX = 2000;
  const FILTERS = ["kind", "audience", "department", "region", "online", "q", "from", "to", "accessibility"];
  const query = (extra = {}) => {
    const u = new URLSearchParams();
    for (const k of FILTERS) if (filters[k]) u.set(k, filters[k]);
    for (const [k, v] of Object.entries(extra)) u.set(k, v);
    return u.toString();
  };
  const getJSON = async (url) => {
    const r = await fetch(url, { cache: "no-cache", headers: { Accept: "application/geo+json, application/json" } });
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.json();
  };
  const counted = (fc) => (fc.features ?? []).reduce(
    (n, f) => n + (f.properties?.cluster ? Number(f.properties.point_count) || 0 : 1), 0);
  const WORLD = "-180,-85,180,85";
  let seq = 0;

  async function refreshServer() {
    const mine = ++seq;
    const b = map.getBounds();
    const bbox = [Math.max(-180, b.getWest()), Math.max(-85, b.getSouth()),
      Math.min(180, b.getEast()), Math.min(85, b.getNorth())].map((x) => x.toFixed(5)).join(",");
    try {
      const [view, online] = await Promise.all([
        getJSON(`/v1/feed/clusters?${query({ bbox, zoom: map.getZoom() })}`),
        filters.online === "false" ? { features: [] } : getJSON(`/v1/feed?${query({ online: "true" })}`),
      ]);
      if (mine !== seq) return;
      setRemote(view);
      if (pendingReveal && remoteMarker(pendingReveal)) {
        remoteMarker(pendingReveal).openPopup();
        pendingReveal = null;
      }
      // those with a place are in the clusters already (in their area or not)
      const unplaced = online.features.filter((f) => !f.geometry);
      let listed = null;
      let matching = null;
      const inArea = counted(view);
      if (inView.checked) {
        if (inArea + unplaced.length <= LIST_MAX) {
          const clustered = view.features.some((f) => f.properties?.cluster);
          const points = clustered ? (await getJSON(`/v1/feed?${query({ bbox })}`)).features : view.features;
          listed = [...points, ...unplaced];
        }
      } else {
        matching = counted(await getJSON(`/v1/feed/clusters?${query({ bbox: WORLD, zoom: 0 })}`)) + unplaced.length;
        if (matching <= LIST_MAX) listed = (await getJSON(`/v1/feed?${query()}`)).features;
      }
      if (mine !== seq) return;
      show(listed ?? [], { matching, inArea, online: unplaced.length, tooMany: listed === null });
    } catch (error) {
      if (mine === seq) liveState.textContent = "Les événements n’ont pas pu être chargés : nouvelle tentative bientôt.";
      setTimeout(() => mine === seq && refreshServer(), 5000);
    }
  }

  /** Large feeds go to the server: the clusters of the whole world at zoom 0 count them. */
  async function chooseMode() {
    const wanted = params.get("mode") ?? document.body.dataset.mode;
    if (wanted === "client" || wanted === "server") return wanted;
    try {
      const all = await getJSON(`/v1/feed/clusters?bbox=${WORLD}&zoom=0`);
      return counted(all) > 20000 ? "server" : "client";
    } catch {
      return "client";
    }
  }

  let loaded = false;
  const refresh = () => loaded && (mode === "client" ? refreshClient() : refreshServer());
  const refreshSoon = debounce(refresh, 150);
  /** A chosen département brings the map to it (the list follows the map by default). */
  function focusDepartment() {
    const code = filters.department;
    if (!code) return;
    if (TERRITORIES.some((t) => t.code === code)) {
      territory.value = code;
      showTerritory(code);
    } else if (mode === "client") {
      const match = matcher(filters);
      const points = [...store.features.values()]
        .filter((f) => f.geometry?.type === "Point" && match(f))
        .map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]]);
      if (points.length) map.fitBounds(points, { padding: [30, 30], maxZoom: 11, animate: false });
    }
  }

  const panel = foldableFilters({ form, toggle: $("#sdi-filters-toggle"), panel: $("#sdi-filters-panel") });
  const applyForm = (event) => {
    const before = filters.department;
    filters = fromForm();
    panel.showActive(filters);
    list.resetPage();
    if (filters.department !== before || event?.target === form.department) focusDepartment();
    refresh();
    // Keep the address shareable: the current filters in the URL.
    const url = new URL(location.href);
    for (const [k, v] of Object.entries(filters)) v ? url.searchParams.set(k, v) : url.searchParams.delete(k);
    history.replaceState(null, "", url);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    applyForm();
    panel.foldOnPhone(); // the results are behind the filters on a narrow screen
  });
  form.addEventListener("change", applyForm);
  form.q.addEventListener("input", debounce(applyForm, 300));
  form.addEventListener("reset", () => setTimeout(applyForm, 0));
  inView.addEventListener("change", () => {
    list.resetPage();
    refresh();
  });
  map.on("moveend", () => (mode === "server" || inView.checked) && refreshSoon());
  panel.showActive(filters);

  nearMe({
    button: $("#sdi-near-me"),
    status: $("#sdi-near-status"),
    onArea: (bounds) => {
      inView.checked = true; // the list shows what is around
      list.resetPage();
      map.fitBounds(bounds, { animate: false });
      refresh();
    },
  });

  const STATES = {
    live: "Mises à jour en direct actives.",
    reconnecting: "Connexion aux mises à jour en direct interrompue : reconnexion…",
    offline: "Mises à jour en direct indisponibles : nouvelle tentative bientôt.",
  };
  const onState = (state) => {
    liveState.textContent = STATES[state] ?? "";
    document.body.dataset.live = state;
  };
  const store = new FeedStore();
  window.sdiWidget = { store, map, refresh }; // for tests and partner debugging

  chooseMode().then(async (chosen) => {
    mode = chosen;
    document.body.dataset.mode = mode;
    if (mode === "client") {
      store.addEventListener("change", refreshSoon);
      const feed = followFeed({ streamUrl: "/v1/feed/stream", feedUrl: "/v1/feed", store, onState });
      window.sdiWidget.feed = feed;
      await feed.done;
      loaded = true;
      if (!presetView) focusDepartment();
      // What the load scheduled (the snapshot's change event, the move to the département)
      // is in this refresh: a second one 150 ms later would redraw the list under the focus.
      refreshSoon.cancel();
      refreshClient();
    } else {
      const refreshLater = debounce(refresh, 1000); // a burst of changes: one new query
      watchChanges({ streamUrl: "/v1/feed/stream", onChange: refreshLater, onState });
      loaded = true;
      if (!presetView) focusDepartment();
      await refreshServer();
    }
    document.body.dataset.loaded = "true";
  });

  // Auto height for the embedding page (see embed.js).
  if (window.parent !== window) {
    const post = () => window.parent.postMessage(
      { type: "sdi-widget:height", height: document.documentElement.scrollHeight }, "*");
    new ResizeObserver(post).observe(document.body);
  }
}

init();
