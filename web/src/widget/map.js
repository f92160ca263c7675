// The widget's Leaflet map: the ground (basemap.js: tiles, the France outline) and the
// clustered event markers.
import L from "./leaflet-global.js";
import "leaflet.markercluster";
import { NamedIcon, TERRITORIES, addBasemap, createBaseMap, eventIcon } from "./basemap.js";
import { markerLabel } from "./event-facts.js";

export { TERRITORIES };

function clusterIcon(cluster) {
  return clusterIconFor(cluster.getChildCount());
}

function clusterIconFor(n) {
  const size = n < 10 ? 34 : n < 100 ? 40 : n < 1000 ? 46 : 54;
  return new NamedIcon({
    html: `<span aria-hidden="true">${n}</span>`,
    className: "sdi-cluster",
    iconSize: [size, size],
    label: `Groupe de ${n} événements : zoomer`,
  });
}

export function createMap(element, { tiles, attribution, popup, onTilesFailed }) {
  const { map, still } = createBaseMap(element, { minZoom: 2, maxZoom: 18, worldCopyJump: true });
  // The outline is always there, under the markers; it is filled when the tiles are missing.
  addBasemap(map, { tiles, attribution, onTilesFailed: (announce) => announce && onTilesFailed?.() });

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
    const p = feature.properties;
    const marker = L.marker([lat, lon], { keyboard: true, icon: eventIcon(markerLabel(p), p.event_status) });
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
