// Building the page from data: text only ever goes in as text (textContent), never as HTML,
// so a title holding "<script>" shows as those characters.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) if (child) node.append(child);
  return node;
}

export function announce(message) {
  const live = document.getElementById("annonce");
  live.textContent = "";
  // a new text node, so that screen readers read the same message twice in a row
  setTimeout(() => {
    live.textContent = message;
  }, 50);
}

// A DSFR alert: success, info, warning, error. Its text is given, never HTML.
export function alert(kind, title, text) {
  return el("div", { class: `fr-alert fr-alert--${kind} fr-alert--sm fr-mb-3w`, role: kind === "error" ? "alert" : "status" },
    title ? el("h3", { class: "fr-alert__title", text: title }) : null,
    text ? el("p", { text }) : null);
}

const dateTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "short", timeStyle: "short", timeZone: "Europe/Paris" });
const dateLong = new Intl.DateTimeFormat("fr-FR", { dateStyle: "full", timeStyle: "short", timeZone: "Europe/Paris" });
const day = new Intl.DateTimeFormat("fr-FR", { day: "numeric", month: "short", timeZone: "UTC" });
export const formatDateTime = (iso) => (iso ? dateTime.format(new Date(iso)) : "");
// One session: "mardi 19 novembre 2024, 09:00 – 12:00" (both days when it spans two)
export const formatSession = ({ starts_at, ends_at }) => dateLong.formatRange(new Date(starts_at), new Date(ends_at));
export const formatDay = (isoDay) => day.format(new Date(`${isoDay}T00:00:00Z`));
export const number = (n) => (n ?? 0).toLocaleString("fr-FR");
export const percent = (x) => `${(x * 100).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} %`;

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400 * 2) return `${(seconds / 3600).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} h`;
  return `${(seconds / 86400).toLocaleString("fr-FR", { maximumFractionDigits: 1 })} j`;
}
