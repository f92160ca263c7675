// Small geographic data for the widget, computed at build time from registry packages:
//  - the outline of France (metropole, Corsica, and the five overseas departements) from
//    world-atlas (Natural Earth 1:50m, public domain; package ISC), split per territory;
//  - the list of departements (code, name) from @etalab/decoupage-administratif (INSEE COG).
import { createRequire } from "node:module";
import { feature } from "topojson-client";

const require = createRequire(import.meta.url);

// Territories in the order of the widget's selector; a polygon belongs to the first whose
// box contains its first vertex.
const TERRITORIES = [
  { code: "metro", name: "France métropolitaine", box: [-6, 41, 10, 52] },
  { code: "971", name: "Guadeloupe", box: [-62, 15.8, -60.9, 16.6] },
  { code: "972", name: "Martinique", box: [-61.3, 14.3, -60.7, 15] },
  { code: "973", name: "Guyane", box: [-55, 1.9, -51.5, 6] },
  { code: "974", name: "La Réunion", box: [55, -21.5, 56, -20.8] },
  { code: "976", name: "Mayotte", box: [44.9, -13.1, 45.4, -12.5] },
];

const round = (ring) => ring.map(([x, y]) => [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000]);
const inside = ([x, y], [w, s, e, n]) => x >= w && x <= e && y >= s && y <= n;

export function franceOutline() {
  const topo = require("world-atlas/countries-50m.json");
  const france = feature(topo, topo.objects.countries).features.find((f) => f.id === "250");
  const parts = new Map(TERRITORIES.map((t) => [t.code, []]));
  for (const polygon of france.geometry.coordinates) {
    const territory = TERRITORIES.find((t) => inside(polygon[0][0], t.box));
    if (!territory) throw new Error(`France polygon outside every territory: ${polygon[0][0]}`);
    parts.get(territory.code).push(polygon.map(round));
  }
  return {
    type: "FeatureCollection",
    features: TERRITORIES.map((t) => {
      const coords = parts.get(t.code);
      if (!coords.length) throw new Error(`no outline for ${t.name}`);
      const pts = coords.flat(2);
      const bbox = [
        Math.min(...pts.map((p) => p[0])), Math.min(...pts.map((p) => p[1])),
        Math.max(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[1])),
      ];
      return {
        type: "Feature",
        bbox,
        properties: { code: t.code, name: t.name },
        geometry: { type: "MultiPolygon", coordinates: coords },
      };
    }),
  };
}

export function departements() {
  return require("@etalab/decoupage-administratif/data/departements.json")
    .filter((d) => d.zone === "metro" || d.zone === "drom")
    .map((d) => [d.code, d.nom]);
}
