// The ground of every map (the widget's and an event page's): tiles when they can be
// reached (configurable, optional), and the outline of France, filled when they cannot,
// so that a map without tiles still shows where things are.
import L from "leaflet";
import outline from "virtual:france-outline";
import { escapeHtml } from "./format.js";

export const OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
export const OSM_ATTRIBUTION = "© contributeurs d’OpenStreetMap";
export const TERRITORIES = outline.features.map((f) => ({
  code: f.properties.code,
  name: f.properties.name,
  bounds: L.latLngBounds([f.bbox[1], f.bbox[0]], [f.bbox[3], f.bbox[2]]),
}));

/** Tiles from a {z}/{x}/{y} template, else OpenStreetMap's ("none": the outline only);
 * OSM's attribution goes with OSM's tiles, `attribution` with others. */
export function tileSettings(tiles, attribution) {
  if (tiles === "none") return { tiles: null, attribution: "" };
  const ok = tiles && /^https?:\/\/[^\s]+\{z\}[^\s]*$/.test(tiles);
  if (ok && tiles !== OSM_TILES) return { tiles, attribution: attribution ?? "" };
  return { tiles: OSM_TILES, attribution: OSM_ATTRIBUTION };
}

/** Adds the outline and the tiles to `map`; `onTilesFailed(announce)` runs when there are
 * no tiles (announce=false) or when the first ones all failed (announce=true). */
export function addBasemap(map, { tiles, attribution, onTilesFailed }) {
  const outlineLayer = L.geoJSON(outline, {
    interactive: false,
    style: { color: "#000091", weight: 1, opacity: 0.6, fillColor: "#e3e3fd", fillOpacity: 0 },
  }).addTo(map);
  const failed = (announce) => {
    map.getContainer().classList.add("sdi-no-tiles");
    outlineLayer.setStyle({ fillOpacity: 1, opacity: 1 });
    onTilesFailed?.(announce);
  };
  if (!tiles) {
    failed(false);
    return;
  }
  let loaded = 0;
  let errors = 0;
  const layer = L.tileLayer(tiles, { attribution: escapeHtml(attribution), maxZoom: 19, crossOrigin: false });
  layer.on("tileload", () => {
    loaded += 1;
  });
  layer.on("tileerror", () => {
    errors += 1;
    if (errors === 4 && loaded === 0) failed(true);
  });
  layer.addTo(map);
}

/** A map in the DSFR's manner: French control titles, no animation for visitors who asked
 * their system for less motion. */
export function createBaseMap(element, options = {}) {
  const still = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
  const map = L.map(element, {
    zoomAnimation: !still,
    fadeAnimation: !still,
    markerZoomAnimation: !still,
    zoomControl: false,
    ...options,
  });
  L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  return { map, still };
}

// Icons are DivIcons whose element gets an accessible name; the name is set as an attribute,
// never as HTML. A picture (role img) unless Leaflet makes the marker a button (keyboard).
export const NamedIcon = L.DivIcon.extend({
  createIcon(old) {
    const el = L.DivIcon.prototype.createIcon.call(this, old);
    if (this.options.label) {
      el.setAttribute("role", "img");
      el.setAttribute("aria-label", this.options.label);
    }
    return el;
  },
});

/** An event's marker; a full or cancelled event's is drawn apart (its label says it too). */
export const eventIcon = (label, status) => new NamedIcon({
  className: status === "cancelled" || status === "full" ? `sdi-marker sdi-marker--${status}` : "sdi-marker",
  html: "", iconSize: [22, 22], label,
});
