// The embeddable map widget: filters, a clustered map and an accessible list kept in step,
// live through Server-Sent Events. URL parameters preset filters and view:
//   kind, audience, department, region, q, from, to (YYYY-MM-DD), lat, lon, zoom, territory,
//   tiles (a {z}/{x}/{y} URL template, or "none"), attribution, list=all|map.
import departements from "virtual:departements";
import { AUDIENCES, KINDS, plural } from "./labels.js";
import { isEmpty, matcher, readFilters } from "./filters.js";
import { FeedStore } from "./store.js";
import { followFeed } from "./stream.js";
import { OSM_ATTRIBUTION, OSM_TILES, TERRITORIES, createMap } from "./map.js";
import { byDate, createList, renderEvent } from "./list.js";

const params = new URLSearchParams(location.search);
const $ = (sel) => document.querySelector(sel);

function fillSelect(select, entries) {
  for (const [value, text] of entries) select.append(new Option(text, value));
}

function debounce(fn, ms) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// Tiles: the `tiles` URL parameter, else the page's <body data-tiles> (the service may set its
// configured TILE_URL there), else OpenStreetMap; "none" draws the outline only.
function tileSettings() {
  const body = document.body.dataset;
  const tiles = params.get("tiles") ?? body.tiles;
  const attribution = params.get("tiles") ? params.get("attribution") : body.attribution;
  if (tiles === "none") return { tiles: null, attribution: "" };
  const ok = tiles && /^https?:\/\/[^\s]+\{z\}[^\s]*$/.test(tiles);
  if (ok && tiles !== OSM_TILES) return { tiles, attribution: attribution ?? "" };
  return { tiles: OSM_TILES, attribution: OSM_ATTRIBUTION };
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
  for (const [name, value] of Object.entries(filters)) if (form[name]) form[name].value = value;
  // Values no option has are dropped; the region (no field) is kept from the URL.
  const fromForm = () => ({ ...readFilters(new URLSearchParams(new FormData(form))), region: filters.region });
  filters = fromForm();
  const inView = $("#sdi-in-view");
  inView.checked = params.get("list") !== "all";

  const store = new FeedStore();
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

  const { map, setFeatures, reveal, showTerritory } = createMap($("#sdi-map"), {
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

  // Initial view: lat/lon/zoom, else a territory, else the département's... else metropole.
  const lat = parseFloat(params.get("lat"));
  const lon = parseFloat(params.get("lon"));
  const zoom = parseInt(params.get("zoom") ?? "", 10);
  if (Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    map.setView([lat, lon], Number.isFinite(zoom) ? Math.min(Math.max(zoom, 2), 18) : 10);
  } else {
    const code = TERRITORIES.some((t) => t.code === params.get("territory")) ? params.get("territory") : "metro";
    territory.value = code;
    showTerritory(code);
  }
  territory.addEventListener("change", () => showTerritory(territory.value));

  const list = createList($("#sdi-list"), {
    onShowOnMap: (feature) => {
      reveal(feature.id, (marker) => {
        marker.openPopup();
      });
    },
  });

  let lastAnnounce = "";
  const announce = debounce((text) => {
    if (text === lastAnnounce) return;
    lastAnnounce = text;
    status.textContent = text;
  }, 400);

  function refresh() {
    const match = matcher(filters);
    const matching = [...store.features.values()].filter(match);
    setFeatures(matching);
    let listed = matching;
    if (inView.checked) {
      const bounds = map.getBounds();
      listed = matching.filter((f) => {
        if (f.geometry?.type !== "Point") return true; // online events belong to every area
        const [lon, lat] = f.geometry.coordinates;
        return bounds.contains([lat, lon]);
      });
    }
    listed.sort(byDate);
    list.render(listed);
    $("#sdi-count").textContent = inView.checked
      ? `${plural(listed.length, "événement", "événements")} dans la zone affichée (sur ${matching.length.toLocaleString("fr-FR")})`
      : plural(listed.length, "événement", "événements");
    const which = isEmpty(filters) ? "" : " correspondant à vos critères";
    announce(
      inView.checked
        ? `${plural(matching.length, "événement", "événements")}${which}, dont ${listed.length.toLocaleString("fr-FR")} dans la zone affichée de la carte.`
        : `${plural(matching.length, "événement", "événements")}${which}.`,
    );
  }

  const refreshSoon = debounce(refresh, 150);
  const applyForm = () => {
    filters = fromForm();
    list.resetPage();
    refresh();
    // Keep the address shareable: the current filters in the URL.
    const url = new URL(location.href);
    for (const [k, v] of Object.entries(filters)) v ? url.searchParams.set(k, v) : url.searchParams.delete(k);
    history.replaceState(null, "", url);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    applyForm();
  });
  form.addEventListener("change", applyForm);
  form.q.addEventListener("input", debounce(applyForm, 300));
  form.addEventListener("reset", () => setTimeout(applyForm, 0));
  inView.addEventListener("change", () => {
    list.resetPage();
    refresh();
  });
  map.on("moveend", () => inView.checked && refreshSoon());
  store.addEventListener("change", refreshSoon);

  const STATES = {
    live: "Mises à jour en direct actives.",
    reconnecting: "Connexion aux mises à jour en direct interrompue : reconnexion…",
    offline: "Mises à jour en direct indisponibles : nouvelle tentative bientôt.",
  };
  const feed = followFeed({
    streamUrl: "/v1/feed/stream",
    feedUrl: "/v1/feed",
    store,
    onState: (state) => {
      liveState.textContent = STATES[state] ?? "";
      document.body.dataset.live = state;
    },
  });
  feed.done.then(() => {
    document.body.dataset.loaded = "true";
    refresh();
  });
  window.sdiWidget = { store, map, feed, refresh }; // for tests and partner debugging

  // Auto height for the embedding page (see embed.js).
  if (window.parent !== window) {
    const post = () => window.parent.postMessage(
      { type: "sdi-widget:height", height: document.documentElement.scrollHeight }, "*");
    new ResizeObserver(post).observe(document.body);
  }
}

init();
