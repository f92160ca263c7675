// Dates shown in the event's own local time (the offset in the ISO string), in French.
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/;

const dayFmt = new Intl.DateTimeFormat("fr-FR", {
  weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
});
const timeFmt = new Intl.DateTimeFormat("fr-FR", { hour: "2-digit", minute: "2-digit", timeZone: "UTC" });

function wallClock(iso) {
  const m = ISO.exec(String(iso ?? ""));
  if (!m) return null;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
}

export function formatWhen(startsAt, endsAt) {
  const start = wallClock(startsAt);
  if (!start) return "";
  const end = wallClock(endsAt);
  const day = dayFmt.format(start);
  if (!end) return `${day} à ${timeFmt.format(start)}`;
  if (String(startsAt).slice(0, 10) === String(endsAt).slice(0, 10)) {
    return `${day}, de ${timeFmt.format(start)} à ${timeFmt.format(end)}`;
  }
  return `du ${day} à ${timeFmt.format(start)} au ${dayFmt.format(end)} à ${timeFmt.format(end)}`;
}

/** Only http(s) links are shown: a feed value can never become a javascript: URL. */
export function safeUrl(value) {
  try {
    const url = new URL(String(value));
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
