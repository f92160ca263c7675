// "Près de moi": the map goes to the visitor's surroundings. The position never leaves the
// page: it is rounded to a cell of a 0.1° grid (about 11 km by 7 km in France) and the map
// shows that cell and its neighbours, so the only thing the widget then asks the server for
// is the map's area (a bbox) — and that area names the position only to the cell.

export const GRID = 0.1; // degrees

/** The area around a position: its grid cell and the eight around it, [[s, w], [n, e]]. */
export function areaAround(lat, lon) {
  const row = Math.floor(lat / GRID);
  const col = Math.floor(lon / GRID);
  const round = (x) => Math.round(x * 1e6) / 1e6;
  return [
    [round((row - 1) * GRID), round((col - 1) * GRID)],
    [round((row + 2) * GRID), round((col + 2) * GRID)],
  ];
}

const REFUSED = {
  1: "La localisation n’est pas autorisée : autorisez-la pour ce site dans votre navigateur, ou déplacez la carte vers chez vous.",
  2: "Votre position n’a pas pu être déterminée : déplacez la carte vers chez vous, ou choisissez un département dans les filtres.",
  3: "La recherche de votre position a pris trop de temps : réessayez, ou déplacez la carte vers chez vous.",
};

/** Wires the button (shown only where the browser may locate: a secure page, and a frame
 * the embedding site allows it in); `onArea(bounds)` moves the map. */
export function nearMe({ button, status, onArea }) {
  const policy = document.permissionsPolicy ?? document.featurePolicy;
  const allowed = policy?.allowsFeature?.("geolocation") ?? true;
  if (!("geolocation" in navigator) || !window.isSecureContext || !allowed) return;
  button.hidden = false;
  const say = (text, kind = "info") => {
    status.textContent = text;
    status.dataset.kind = kind;
  };
  button.addEventListener("click", () => {
    say("Recherche de votre position…");
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      ({ coords }) => {
        button.disabled = false;
        onArea(areaAround(coords.latitude, coords.longitude));
        say("La carte montre les environs de votre position (à quelques kilomètres près) ; la liste, les événements de cette zone.");
      },
      (error) => {
        button.disabled = false;
        say(REFUSED[error.code] ?? REFUSED[2], "error");
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 10 * 60 * 1000 },
    );
  });
}
