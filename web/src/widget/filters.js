// Which features match the user's filters. Pure functions: the map and the list share them.
import { sessionsOf } from "./event-facts.js";

/** Lower case without diacritics, so that "evenement" finds "Événement". */
export function fold(text) {
  return String(text ?? "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const ACCESSIBILITY = ["motor", "hearing", "visual", "intellectual", "psychic"];

/** Filters from URL parameters (or a form), keeping only well-formed values. */
export function readFilters(params) {
  const get = (name) => (params.get(name) ?? "").trim();
  return {
    kind: get("kind"),
    audience: get("audience"),
    department: get("department").toUpperCase(),
    region: get("region"), // INSEE region code; no field in the form, a URL parameter only
    online: ["true", "false"].includes(get("online")) ? get("online") : "",
    q: get("q").slice(0, 200),
    from: DATE.test(get("from")) ? get("from") : "",
    to: DATE.test(get("to")) ? get("to") : "",
    // every code asked must be declared (the feed's ?accessibility=): repeated or comma-separated
    accessibility: ACCESSIBILITY.filter((c) => params.getAll("accessibility").join(",").split(",").includes(c)).join(","),
  };
}

export function isEmpty(filters) {
  return Object.values(filters).every((v) => !v);
}

/** The searchable text of a feature, folded once and cached on the feature object. */
function haystack(feature) {
  if (feature._text === undefined) {
    const p = feature.properties;
    feature._text = fold(
      [p.title, p.description, p.city, p.venue, p.organizer_name, p.postcode].join(" "),
    );
  }
  return feature._text;
}

/** A predicate for one set of filters; the date range keeps events overlapping it. */
export function matcher(filters) {
  const words = fold(filters.q).split(/\s+/).filter(Boolean);
  return (feature) => {
    const p = feature.properties;
    if (filters.kind && p.kind !== filters.kind) return false;
    if (filters.audience && !(p.audiences ?? []).includes(filters.audience)) return false;
    if (filters.department && p.department !== filters.department) return false;
    if (filters.region && p.region !== filters.region) return false;
    if (filters.online && String(Boolean(p.online)) !== filters.online) return false;
    // One session must overlap the days asked (dates carry the local offset: their first 10
    // characters are the local date).
    if ((filters.from || filters.to) && !sessionsOf(p).some((s) =>
      (!filters.from || String(s.ends_at ?? s.starts_at).slice(0, 10) >= filters.from)
      && (!filters.to || String(s.starts_at).slice(0, 10) <= filters.to))) return false;
    if (filters.accessibility) {
      const declared = p.accessibility_codes ?? [];
      if (!filters.accessibility.split(",").every((c) => declared.includes(c))) return false;
    }
    if (words.length) {
      const text = haystack(feature);
      if (!words.every((w) => text.includes(w))) return false;
    }
    return true;
  };
}
