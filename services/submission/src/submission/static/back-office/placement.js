// "Placer sur la carte": a Leaflet map (loaded on first use), a marker the operator clicks
// or drags into place, or an address resolved by the geocoding chain (GET /v1/geocode),
// then "Enregistrer la position" (PUT /v1/submissions/{id}/location: precision "manual").
import { get, request } from "./api.js";
import { alert, el } from "./dom.js";
import { PRECISIONS, label } from "./labels.js";

const FRANCE = [46.6, 2.4];
let leaflet = null;

const loaded = (node) => new Promise((resolve, reject) => {
  node.onload = resolve;
  node.onerror = () => reject(new Error("La carte n'a pas pu être chargée."));
  document.head.append(node);
});

// Leaflet's script and its styles, both loaded before the map is drawn (it measures itself).
function loadLeaflet() {
  leaflet ??= Promise.all([
    loaded(el("link", { rel: "stylesheet", href: "/static/vendor/leaflet/leaflet.css" })),
    loaded(el("script", { src: "/static/vendor/leaflet/leaflet.js" })),
  ]).then(() => {
    window.L.Icon.Default.imagePath = "/static/vendor/leaflet/images/";
    return window.L;
  });
  return leaflet;
}

function input(id, text, value, attrs = {}) {
  return el("div", { class: "fr-input-group" },
    el("label", { class: "fr-label", for: id, text }),
    el("input", { class: "fr-input", id, name: id, value: value ?? "", ...attrs }));
}

export async function openPlacement(container, { id, review, onSaved }) {
  if (container.dataset.open) {
    container.querySelector("#carte-titre")?.focus();
    return;
  }
  container.dataset.open = "1";
  const place = review.submission.submission.location || {};
  const here = review.submission.location?.point;
  const message = el("div", { id: "carte-message", "aria-live": "polite" });
  const lat = input("carte-lat", "Latitude", here ? here.lat.toFixed(6) : "", { inputmode: "decimal", autocomplete: "off" });
  const lon = input("carte-lon", "Longitude", here ? here.lon.toFixed(6) : "", { inputmode: "decimal", autocomplete: "off" });
  const mapBox = el("div", { id: "carte", class: "bo-map", role: "application", "aria-label": "Carte : cliquez pour placer le repère, ou faites-le glisser" });
  const save = el("button", { class: "fr-btn", type: "button", id: "carte-enregistrer", disabled: !here, text: "Enregistrer la position" });
  const search = el("form", { class: "bo-address", "aria-labelledby": "carte-adresse-titre" },
    el("h4", { class: "fr-h6", id: "carte-adresse-titre", text: "Chercher une adresse" }),
    el("div", { class: "fr-grid-row fr-grid-row--gutters" },
      el("div", { class: "fr-col-12 fr-col-md-6" }, input("carte-rue", "Numéro et voie", place.street, { autocomplete: "off" })),
      el("div", { class: "fr-col-12 fr-col-md-2" }, input("carte-cp", "Code postal", place.postcode, { inputmode: "numeric", pattern: "[0-9]{5}", autocomplete: "off" })),
      el("div", { class: "fr-col-12 fr-col-md-4" }, input("carte-ville", "Commune", place.city, { autocomplete: "off" }))),
    el("button", { class: "fr-btn fr-btn--secondary fr-mt-2w", type: "submit", text: "Chercher l'adresse" }));
  container.replaceChildren(el("div", { class: "bo-placement fr-mt-3w" },
    el("h3", { class: "fr-h5", id: "carte-titre", tabindex: "-1", text: "Placer sur la carte" }),
    el("p", { class: "fr-hint-text", text: "Cliquez sur la carte ou faites glisser le repère ; ou cherchez une adresse ; ou saisissez les coordonnées. Puis enregistrez : l'événement sera publié à ce point." }),
    search, mapBox,
    el("div", { class: "fr-grid-row fr-grid-row--gutters fr-mt-1w" },
      el("div", { class: "fr-col-6 fr-col-md-3" }, lat), el("div", { class: "fr-col-6 fr-col-md-3" }, lon)),
    message,
    el("ul", { class: "fr-btns-group fr-btns-group--inline-md fr-mt-2w" },
      el("li", {}, save),
      el("li", {}, el("button", { class: "fr-btn fr-btn--tertiary", type: "button", text: "Fermer la carte", onclick: () => {
        container.replaceChildren();
        delete container.dataset.open;
      } })))));
  container.querySelector("#carte-titre").focus();

  let L;
  try {
    L = await loadLeaflet();
  } catch (err) {
    message.replaceChildren(alert("warning", "Carte indisponible", `${err.message} Saisissez les coordonnées.`));
  }
  const latInput = lat.querySelector("input");
  const lonInput = lon.querySelector("input");
  let marker = null;
  let map = null;
  const point = () => {
    const la = Number.parseFloat(latInput.value.replace(",", "."));
    const lo = Number.parseFloat(lonInput.value.replace(",", "."));
    return Number.isFinite(la) && Number.isFinite(lo) && Math.abs(la) <= 90 && Math.abs(lo) <= 180 ? { lat: la, lon: lo } : null;
  };
  const setPoint = (la, lo, zoom) => {
    latInput.value = la.toFixed(6);
    lonInput.value = lo.toFixed(6);
    save.disabled = false;
    if (!map) return;
    if (!marker) {
      marker = L.marker([la, lo], { draggable: true, keyboard: true, title: "Position de l'événement", alt: "Repère de l'événement" }).addTo(map);
      marker.on("dragend", () => {
        const p = marker.getLatLng();
        setPoint(p.lat, p.lng);
      });
    } else marker.setLatLng([la, lo]);
    if (zoom) map.setView([la, lo], zoom);
  };
  for (const field of [latInput, lonInput]) {
    field.addEventListener("change", () => {
      const p = point();
      if (p) setPoint(p.lat, p.lon, map?.getZoom());
    });
  }

  if (L) {
    const still = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
    map = L.map(mapBox, { zoomAnimation: !still, fadeAnimation: !still, markerZoomAnimation: !still }).setView(FRANCE, 5);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    const outline = await fetch("/static/vendor/places/france.json").then((r) => r.json()).catch(() => null);
    const ground = outline && L.geoJSON(outline, { interactive: false, style: { color: "#000091", weight: 1, fillColor: "#e3e3fd", fillOpacity: 0 } }).addTo(map);
    const tiles = document.body.dataset.tiles;
    const noTiles = () => ground?.setStyle({ fillOpacity: 1 });
    if (tiles) {
      let loaded = 0;
      let failed = 0;
      L.tileLayer(tiles, { maxZoom: 19, attribution: "© contributeurs d'OpenStreetMap" })
        .on("tileload", () => { loaded += 1; })
        .on("tileerror", () => { failed += 1; if (failed === 4 && !loaded) noTiles(); })
        .addTo(map);
    } else noTiles();
    map.on("click", (e) => setPoint(e.latlng.lat, e.latlng.lng));
    if (here) setPoint(here.lat, here.lon, 13);
  }

  search.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(search);
    const params = new URLSearchParams({ postcode: data.get("carte-cp") || "", city: data.get("carte-ville") || "" });
    if (data.get("carte-rue")) params.set("street", data.get("carte-rue"));
    try {
      const found = await get(`/v1/geocode?${params}`);
      setPoint(found.point.lat, found.point.lon, found.precision === "municipality" ? 13 : 16);
      message.replaceChildren(alert("info", "Adresse trouvée", `${found.label || found.city} (${label(PRECISIONS, found.precision)}). Vérifiez le repère, puis enregistrez.`));
    } catch (err) {
      const candidates = err.problem?.candidates || [];
      message.replaceChildren(alert("warning", err.problem?.title || "Adresse introuvable", err.message),
        candidates.length ? el("ul", { class: "fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm" },
          candidates.map((c) => el("li", {}, el("button", { class: "fr-btn fr-btn--sm fr-btn--secondary", type: "button",
            text: `Placer à ${c.city || c.label} (INSEE ${c.citycode})`, onclick: () => setPoint(c.point.lat, c.point.lon, 13) })))) : null);
    }
  });

  save.addEventListener("click", async () => {
    const p = point();
    if (!p) {
      message.replaceChildren(alert("error", "Position manquante", "Placez le repère ou saisissez une latitude et une longitude."));
      return;
    }
    try {
      const answer = await request("PUT", `/v1/submissions/${encodeURIComponent(id)}/location`, { lon: p.lon, lat: p.lat });
      container.replaceChildren();
      delete container.dataset.open;
      onSaved(answer);
    } catch (err) {
      if (err.status !== 401) message.replaceChildren(alert("error", "Position non enregistrée", err.message));
    }
  });
}
