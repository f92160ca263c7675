// The accessible list of events: the same filtered set as the map (optionally limited to the
// area the map shows), by start date, a page at a time. Every value is set as text.
import { AUDIENCES, KINDS, label, plural } from "./labels.js";
import { safeUrl } from "./format.js";
import { accessibilityNode, statusBadge, whenNode } from "./event-facts.js";

export const PAGE = 20;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  if (text != null) node.textContent = text;
  return node;
}

export const itemId = (id) => `evt-${String(id).replace(/[^A-Za-z0-9_-]/g, "_")}`;

function place(p) {
  if (p.online && !p.city) return "En ligne";
  const city = [p.postcode, p.city].filter(Boolean).join(" ");
  return [p.venue, p.street, city].filter(Boolean).join(", ");
}

/** The event's public page on this service (the widget is served by map-feed: a path
 * from its own origin, whoever embeds it). */
export const pageUrl = (id) => `/evenements/${encodeURIComponent(String(id))}`;

// Embedded in a partner's page, the event's page opens in a new tab (map-feed's pages may
// not be framed by other sites); on its own, in place.
const embedded = window.parent !== window;

/** One event as an article: its title links to its page; `onShowOnMap` adds that button. */
export function renderEvent(feature, { headingLevel = 3, onShowOnMap } = {}) {
  const p = feature.properties ?? {};
  const article = el("article", { class: `sdi-event sdi-event--${p.event_status ?? "scheduled"}` });
  const heading = el(`h${headingLevel}`, { class: "sdi-event__title", tabindex: "-1" });
  const toPage = el("a", { href: pageUrl(feature.id), class: "sdi-event__link" }, p.title ?? "");
  if (embedded) {
    toPage.target = "_blank";
    toPage.rel = "noopener";
    toPage.title = `${p.title ?? "L’événement"} – nouvelle fenêtre`;
  }
  heading.append(toPage);
  article.append(heading);

  const badges = el("p", { class: "sdi-event__badges" });
  const status = statusBadge(p);
  if (status) badges.append(status);
  badges.append(el("span", { class: "fr-badge fr-badge--sm fr-badge--blue-ecume" }, label(KINDS, p.kind)));
  if (p.online) badges.append(el("span", { class: "fr-badge fr-badge--sm fr-badge--info fr-badge--no-icon" }, "En ligne"));
  article.append(badges);

  const facts = el("dl", { class: "sdi-event__facts" });
  const fact = (term, value) => {
    if (!value) return;
    const dd = el("dd");
    dd.append(value);
    facts.append(el("dt", {}, term), dd);
  };
  fact("Quand", whenNode(p));
  fact("Où", place(p) + (p.department ? ` (${p.department})` : ""));
  fact("Organisateur", p.organizer_name);
  fact("Publics", (p.audiences ?? []).map((a) => label(AUDIENCES, a)).join(", "));
  const access = accessibilityNode(p);
  if (access || p.accessibility) {
    const dd = document.createDocumentFragment();
    if (access) dd.append(access);
    if (p.accessibility) dd.append(p.accessibility);
    fact("Accessibilité", dd);
  }
  article.append(facts);

  if (p.description) {
    const text = String(p.description);
    article.append(el("p", { class: "sdi-event__desc" }, text.length > 400 ? `${text.slice(0, 400)}…` : text));
  }

  const actions = el("ul", { class: "fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm sdi-event__actions" });
  const title = p.title ?? "l’événement";
  if (feature.geometry && onShowOnMap) {
    const button = el("button", { type: "button", class: "fr-btn fr-btn--secondary fr-btn--sm" }, "Voir sur la carte");
    button.append(el("span", { class: "fr-sr-only" }, ` : ${title}`));
    button.addEventListener("click", () => onShowOnMap(feature));
    actions.append(el("li").appendChild(button).parentNode);
  }
  // no registration for a full or cancelled event
  const registration = (p.event_status ?? "scheduled") === "scheduled" ? p.registration_url : null;
  for (const [url, text] of [[registration, "S’inscrire"], [p.online_url, "Rejoindre en ligne"]]) {
    const href = safeUrl(url);
    if (!href) continue;
    const link = el("a", { class: "fr-btn fr-btn--tertiary fr-btn--sm", href, target: "_blank", rel: "noopener noreferrer" }, text);
    link.append(el("span", { class: "fr-sr-only" }, ` : ${title} (nouvelle fenêtre)`));
    actions.append(el("li").appendChild(link).parentNode);
  }
  if (actions.childElementCount) article.append(actions);
  return article;
}

export function byDate(a, b) {
  const x = String(a.properties?.starts_at ?? "");
  const y = String(b.properties?.starts_at ?? "");
  return x < y ? -1 : x > y ? 1 : String(a.properties?.title ?? "").localeCompare(String(b.properties?.title ?? ""), "fr");
}

export function createList(root, { onShowOnMap, onMore }) {
  const ol = root.querySelector("#sdi-results");
  const more = root.querySelector("#sdi-more");
  const empty = root.querySelector("#sdi-empty");
  let limit = PAGE;
  let items = [];

  more.addEventListener("click", () => {
    const firstNew = limit;
    limit += PAGE;
    render(items);
    // Move focus to the first item just shown, so keyboard users continue from there.
    ol.children[firstNew]?.querySelector(".sdi-event__title")?.focus();
    onMore?.();
  });

  function render(features) {
    items = features;
    const shown = features.slice(0, limit);
    const active = document.activeElement;
    const keepFocusId = active && ol.contains(active) ? active.closest("li")?.id : null;
    const fragment = document.createDocumentFragment();
    for (const f of shown) {
      const li = el("li", { id: itemId(f.id), class: "sdi-item", "data-id": String(f.id) });
      li.append(renderEvent(f, { onShowOnMap }));
      fragment.append(li);
    }
    ol.replaceChildren(fragment);
    if (keepFocusId) document.getElementById(keepFocusId)?.querySelector(".sdi-event__title")?.focus();
    empty.hidden = features.length > 0;
    const left = features.length - shown.length;
    more.hidden = left <= 0;
    more.textContent = left > 0 ? `Afficher ${plural(Math.min(PAGE, left), "événement", "événements")} de plus` : "";
  }

  /** Bring one event into the list (growing the page if needed) and focus its title. */
  function focusEvent(id) {
    const index = items.findIndex((f) => String(f.id) === String(id));
    if (index < 0) return false;
    if (index >= limit) {
      limit = Math.ceil((index + 1) / PAGE) * PAGE;
      render(items);
    }
    const li = document.getElementById(itemId(id));
    for (const x of ol.querySelectorAll(".sdi-item--selected")) x.classList.remove("sdi-item--selected");
    li?.classList.add("sdi-item--selected");
    li?.querySelector(".sdi-event__title")?.focus();
    return Boolean(li);
  }

  return { render, focusEvent, resetPage: () => (limit = PAGE) };
}
