// The Leaflet map: tiles (configurable, optional), the France outline that stays visible
// when tiles cannot be reached, and the clustered event markers.
import L from "./leaflet-global.js";
import "leaflet.markercluster";
import outline from "virtual:france-outline";
import { escapeHtml } from "./format.js";

export const OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
export const OSM_ATTRIBUTION = "© contributeurs d’OpenStreetMap";
export const TERRITORIES = outline.features.map((f) => ({
  code: f.properties.code,
  name: f.properties.name,
  bounds: L.latLngBounds([f.bbox[1], f.bbox[0]], [f.bbox[3], f.bbox[2]]),
}));

// Icons are DivIcons whose element gets an accessible name; the name is set as an attribute,
// never as HTML.
const EventIcon = L.DivIcon.extend({
  createIcon(old) {
    const el = L.DivIcon.prototype.createIcon.call(this, old);
    el.setAttribute("aria-label", this.options.label);
    return el;
  },
});

function clusterIcon(cluster) {
  return clusterIconFor(cluster.getChildCount());
}

function clusterIconFor(n) {
  const size = n < 10 ? 34 : n < 100 ? 40 : n < 1000 ? 46 : 54;
  return new EventIcon({
    html: `<span aria-hidden="true">${n}</span>`,
    className: "sdi-cluster",
    iconSize: [size, size],
    label: `Groupe de ${n} événements : zoomer`,
  });
}

export function createMap(element, { tiles, attribution, popup, onTilesFailed }) {
  // No animated zooms nor fades for visitors who asked their system for less motion.
  const still = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
  const map = L.map(element, {
    zoomAnimation: !still,
    fadeAnimation: !still,
    markerZoomAnimation: !still,
    zoomControl: false,
    minZoom: 2,
    maxZoom: 18,
    worldCopyJump: true,
  });
  L.control.zoom({ zoomInTitle: "Zoomer", zoomOutTitle: "Dézoomer" }).addTo(map);
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');

  // The outline is always there, under the markers; it is filled when the tiles are missing.
  const outlineLayer = L.geoJSON(outline, {
    interactive: false,
    style: { color: "#000091", weight: 1, opacity: 0.6, fillColor: "#e3e3fd", fillOpacity: 0 },
  }).addTo(map);
  const tilesFailed = (announce) => {
    element.classList.add("sdi-no-tiles");
    outlineLayer.setStyle({ fillOpacity: 1, opacity: 1 });
    if (announce) onTilesFailed?.();
  };

  if (tiles) {
    let loaded = 0;
    let failed = 0;
    const layer = L.tileLayer(tiles, { attribution: escapeHtml(attribution), maxZoom: 19, crossOrigin: false });
    layer.on("tileload", () => {
      loaded += 1;
    });
    layer.on("tileerror", () => {
      failed += 1;
      if (failed === 4 && loaded === 0) tilesFailed(true);
    });
    layer.addTo(map);
  } else {
    tilesFailed(false);
  }

  const clusters = L.markerClusterGroup({
    animate: !still,
    showCoverageOnHover: false,
    chunkedLoading: true,
    spiderfyOnMaxZoom: true,
    maxClusterRadius: 50,
    iconCreateFunction: clusterIcon,
  }).addTo(map);

  const markers = new Map(); // id -> marker
  const shown = new Set(); // ids whose marker is in the cluster group

  function markerFor(feature) {
    const id = String(feature.id);
    const old = markers.get(id);
    if (old && old.feature === feature) return old;
    const marker = makeMarker(feature);
    markers.set(id, marker);
    return marker;
  }

  function makeMarker(feature) {
    const [lon, lat] = feature.geometry.coordinates;
    const marker = L.marker([lat, lon], {
      keyboard: true,
      icon: new EventIcon({
        className: "sdi-marker",
        html: "",
        iconSize: [22, 22],
        label: feature.properties.title ?? "Événement",
      }),
    });
    marker.feature = feature;
    marker.bindPopup(() => popup(marker.feature), { maxWidth: 320, autoPanPadding: [20, 20] });
    return marker;
  }

  /** Show exactly these features (those with a point); re-uses markers of unchanged ones. */
  function setFeatures(features) {
    const wanted = new Map();
    for (const f of features) if (f.geometry?.type === "Point") wanted.set(String(f.id), f);
    const remove = [];
    for (const id of shown) {
      const m = markers.get(id);
      if (!wanted.has(id) || m.feature !== wanted.get(id)) remove.push(m);
    }
    clusters.removeLayers(remove);
    for (const m of remove) shown.delete(String(m.feature.id));
    const add = [];
    for (const [id, f] of wanted) {
      if (!shown.has(id)) {
        add.push(markerFor(f));
        shown.add(id);
      }
    }
    clusters.addLayers(add);
    for (const id of markers.keys()) if (!wanted.has(id) && !shown.has(id)) markers.delete(id);
  }

  /** Zoom until the marker is out of its cluster, then run `then(marker)`. */
  function reveal(id, then) {
    const marker = markers.get(String(id));
    if (!marker || !shown.has(String(id))) return false;
    clusters.zoomToShowLayer(marker, () => then?.(marker));
    return true;
  }

  // Large feeds: the server clusters (/v1/feed/clusters); this plain layer shows its answer
  // for the current view, in place of the client-side cluster group.
  const remote = L.layerGroup();
  let remoteMarkers = new Map();

  function setRemote(collection) {
    if (map.hasLayer(clusters)) map.removeLayer(clusters);
    if (!map.hasLayer(remote)) remote.addTo(map);
    remote.clearLayers();
    remoteMarkers = new Map();
    for (const f of collection?.features ?? []) {
      if (f?.geometry?.type !== "Point") continue;
      const p = f.properties ?? {};
      if (p.cluster) {
        const [lon, lat] = f.geometry.coordinates;
        const marker = L.marker([lat, lon], { keyboard: true, icon: clusterIconFor(Number(p.point_count) || 0) });
        const zoom = Math.max(Number(p.expansion_zoom) || 0, map.getZoom() + 1);
        marker.on("click", () => map.setView([lat, lon], Math.min(zoom, map.getMaxZoom())));
        remote.addLayer(marker);
      } else {
        const marker = makeMarker(f);
        remoteMarkers.set(String(f.id), marker);
        remote.addLayer(marker);
      }
    }
  }

  const remoteMarker = (id) => remoteMarkers.get(String(id));

  function showTerritory(code) {
    const t = TERRITORIES.find((x) => x.code === code);
    if (t) map.fitBounds(t.bounds, { padding: [10, 10] });
  }

  return { map, setFeatures, reveal, showTerritory, markers, setRemote, remoteMarker };
}
