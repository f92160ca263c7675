// An event's public page (rendered by map-feed: map_feed/templates/event.html). The page is
// whole without this script; it adds the small map of the place and the "copy the link"
// button. Nothing here fetches anything but the configured tiles.
import L from "leaflet";
import { TERRITORIES, addBasemap, createBaseMap, eventIcon, tileSettings } from "../widget/basemap.js";

const PLACE_ZOOM = 15;

function placeMap(element) {
  const lat = Number(element.dataset.lat);
  const lon = Number(element.dataset.lon);
  if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
  element.hidden = false;
  const { map } = createBaseMap(element, { minZoom: 2, maxZoom: 18, scrollWheelZoom: false });
  map.setView([lat, lon], PLACE_ZOOM);
  // Without tiles a street-level view is empty: show the place in its territory instead.
  const territoryView = (announce) => {
    const territory = TERRITORIES.find((t) => t.bounds.contains([lat, lon]));
    if (territory) map.fitBounds(territory.bounds, { padding: [8, 8], animate: false });
    else map.setView([lat, lon], 6, { animate: false });
    if (announce) document.getElementById("sdi-map-notice").hidden = false;
  };
  addBasemap(map, { ...tileSettings(element.dataset.tiles), onTilesFailed: territoryView });
  L.marker([lat, lon], { keyboard: false, icon: eventIcon(element.dataset.title) }).addTo(map);
  window.sdiEventMap = map; // for tests
}

function copyButton(button) {
  const status = document.getElementById("sdi-copy-status");
  const input = document.getElementById("sdi-url");
  if (!navigator.clipboard) return; // the address stays selectable in its field
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.url);
      status.textContent = "Lien copié : vous pouvez le coller dans un message.";
    } catch {
      input.select();
      status.textContent = "Le lien n’a pas pu être copié : il est sélectionné dans le champ ci-dessus.";
    }
  });
}

const map = document.getElementById("sdi-event-map");
if (map) placeMap(map);
const copy = document.getElementById("sdi-copy");
if (copy) copyButton(copy);
