// What an event card (the list's and the popups') says beyond its title (issue 16): every
// session, "Annulé" or "Complet" (or the places left), and the accessibility pictograms, each
// with its words (a text alternative for screen readers, a tooltip for the others).
import { ACCESSIBILITY, EVENT_STATUSES } from "./labels.js";
import { formatWhen } from "./format.js";

export const ACCESSIBILITY_CODES = Object.keys(ACCESSIBILITY);
const ICONS = {
  motor: "fr-icon-accessibility-line",
  hearing: "fr-icon-ear-off-line",
  visual: "fr-icon-eye-off-line",
  intellectual: "fr-icon-mental-disabilities-line",
  psychic: "fr-icon-mental-health-line",
};
/** Sessions listed on a card; the others are counted (the event's page lists them all). */
const SHOWN = 4;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

/** Every session of a feature (a feature of before timings: its one start and end). */
export function sessionsOf(p) {
  return p.timings?.length ? p.timings : [{ starts_at: p.starts_at, ends_at: p.ends_at }];
}

/** "Quand": one session as text, several as a list. */
export function whenNode(p) {
  const sessions = sessionsOf(p);
  if (sessions.length === 1) return document.createTextNode(formatWhen(sessions[0].starts_at, sessions[0].ends_at));
  const ul = el("ul", { class: "sdi-sessions" });
  for (const s of sessions.slice(0, SHOWN)) ul.append(el("li", {}, formatWhen(s.starts_at, s.ends_at)));
  const more = sessions.length - SHOWN;
  if (more > 0) ul.append(el("li", {}, `et ${more} autre${more > 1 ? "s" : ""} séance${more > 1 ? "s" : ""}`));
  return ul;
}

/** The badge of a full or cancelled event, or of the places left; null when there is none. */
export function statusBadge(p) {
  if (p.event_status === "cancelled") return el("span", { class: "fr-badge fr-badge--sm fr-badge--error sdi-badge--cancelled" }, EVENT_STATUSES.cancelled);
  if (p.event_status === "full") return el("span", { class: "fr-badge fr-badge--sm fr-badge--warning sdi-badge--full" }, EVENT_STATUSES.full);
  if (Number.isInteger(p.remaining_places)) {
    const n = p.remaining_places;
    return el("span", { class: "fr-badge fr-badge--sm fr-badge--success fr-badge--no-icon" }, `${n} place${n > 1 ? "s" : ""} restante${n > 1 ? "s" : ""}`);
  }
  return null;
}

/** The pictograms of the accessibility codes, each named; null when none is declared. */
export function accessibilityNode(p) {
  const codes = (p.accessibility_codes ?? []).filter((c) => ICONS[c]);
  if (!codes.length) return null;
  const ul = el("ul", { class: "sdi-access" });
  for (const code of codes) {
    const words = `Accessible : ${ACCESSIBILITY[code]}`;
    const li = el("li", { class: "sdi-access__item" });
    li.append(el("span", { class: ICONS[code], role: "img", "aria-label": words, title: words }));
    ul.append(li);
  }
  return ul;
}

/** What a marker is called: its title, and its status when it is not on as planned. */
export function markerLabel(p) {
  const title = p.title ?? "Événement";
  if (p.event_status === "cancelled") return `${title} (${EVENT_STATUSES.cancelled.toLowerCase()})`;
  if (p.event_status === "full") return `${title} (${EVENT_STATUSES.full.toLowerCase()})`;
  return title;
}
