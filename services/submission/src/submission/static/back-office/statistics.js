// The edition's statistics within the operator's scope (GET /v1/statistics), with two
// charts and the CSV downloads.
import { get } from "./api.js";
import { alert, duration, el, formatDay, number, percent } from "./dom.js";
import { AUDIENCES, KINDS, STATUSES, departmentNames, label } from "./labels.js";
import { bars, timeline } from "./charts.js";
import { table } from "./widgets.js";

const ORDER = ["received", "needs_review", "labelled", "location_unresolved", "published", "rejected", "withdrawn"];

function tile(title, value, hint) {
  return el("div", { class: "fr-col-6 fr-col-md-3" },
    el("div", { class: "bo-figure" }, el("p", { class: "bo-figure__value", text: value }), el("p", { class: "bo-figure__title", text: title }),
      hint ? el("p", { class: "fr-hint-text", text: hint }) : null));
}

// Object keys such as "11" come before "01" in JavaScript: sort the codes as text, "none" last.
const byCode = (object) => Object.entries(object).sort(([a], [b]) => (a === "none") - (b === "none") || a.localeCompare(b));

function byStatusTable(caption, head, rows) {
  return table(caption, [head, ...ORDER.map((s) => label(STATUSES, s)), "Total"],
    rows.map(([name, counts]) => [name, ...ORDER.map((s) => number(counts[s] || 0)), number(Object.values(counts).reduce((a, b) => a + b, 0))]),
    { hideCaption: true });
}

export async function showStatistics({ view }) {
  document.title = "Statistiques — Back-office de la Semaine de l'industrie";
  let st;
  try {
    st = await get("/v1/statistics");
  } catch (err) {
    if (err.status !== 401) view.replaceChildren(el("h1", { text: "Statistiques" }), alert("error", "Chargement impossible", err.message));
    return;
  }
  const names = await departmentNames();
  const regionName = (code) => (code === "none" ? "Sans région (en ligne, hors départements)" : st.region_names[code] || code);
  const published = Object.entries(st.by_region).map(([code, c]) => [regionName(code), c.published || 0]).sort((a, b) => b[1] - a[1]);
  const waiting = (st.by_status.needs_review || 0) + (st.by_status.location_unresolved || 0);
  const share = st.placement.share;
  const chartWidth = Math.max(300, Math.min(768, view.clientWidth || 640));
  view.replaceChildren(
    el("h1", { text: "Statistiques" }),
    el("p", { class: "fr-text--lead", text: `Édition ${st.edition || "en cours"} — ${st.scope.national ? "toute la France" : st.scope.label}.` }),
    el("ul", { class: "fr-btns-group fr-btns-group--inline-md fr-mb-4w" },
      el("li", {}, el("a", { class: "fr-btn fr-btn--secondary", href: "/v1/statistics.csv", download: "statistiques.csv", text: "Télécharger les statistiques (CSV)" })),
      el("li", {}, el("a", { class: "fr-btn fr-btn--secondary", href: "/v1/submissions/export.csv", download: "inscriptions.csv", text: "Télécharger les inscriptions (CSV)" }))),
    el("div", { class: "fr-grid-row fr-grid-row--gutters fr-mb-4w" },
      tile("inscriptions", number(st.total)),
      tile("publiées sur la carte", number(st.by_status.published)),
      tile("à traiter par le comité", number(waiting), `dont ${number(st.by_status.location_unresolved)} à placer`),
      tile("délai médian de décision", duration(st.decision_time.median_seconds),
        `par le comité : ${duration(st.decision_time.median_seconds_by_operator)} (${number(st.decision_time.decided_by_operator)} décisions)`)),
    el("section", { class: "fr-mb-5w", "aria-labelledby": "st-carte" },
      el("h2", { class: "fr-h4", id: "st-carte", text: "Événements publiés par région" }),
      bars("Événements publiés par région", published, { width: chartWidth })),
    el("section", { class: "fr-mb-5w", "aria-labelledby": "st-jours" },
      el("h2", { class: "fr-h4", id: "st-jours", text: "Inscriptions par jour" }),
      timeline("Inscriptions par jour", st.submissions_per_day, { width: chartWidth }),
      el("details", { class: "fr-mt-1w" }, el("summary", { text: "Le détail par jour" }),
        table("Inscriptions par jour", ["Jour", "Inscriptions"], st.submissions_per_day.map((d) => [formatDay(d.day), number(d.count)]), { hideCaption: true }))),
    el("section", { class: "fr-mb-5w", "aria-labelledby": "st-precision" },
      el("h2", { class: "fr-h4", id: "st-precision", text: "Précision des points" }),
      el("p", { text: `${number(st.placement.placed)} ${st.placement.placed > 1 ? "événements placés" : "événement placé"} : ${percent(share.street)} à la rue ou au numéro, ${percent(share.commune)} à la commune, ${percent(share.manual)} à la main${share.department ? `, ${percent(share.department)} au département` : ""}.` })),
    el("section", { class: "fr-mb-5w", "aria-labelledby": "st-regions" },
      el("h2", { class: "fr-h4", id: "st-regions", text: "Par région et statut" }),
      byStatusTable("Inscriptions par région et statut", "Région", byCode(st.by_region).map(([c, counts]) => [regionName(c), counts]))),
    el("section", { class: "fr-mb-5w", "aria-labelledby": "st-deps" },
      el("h2", { class: "fr-h4", id: "st-deps", text: "Par département et statut" }),
      el("details", {}, el("summary", { text: `Les ${number(Object.keys(st.by_department).length)} départements` }),
        byStatusTable("Inscriptions par département et statut", "Département",
          byCode(st.by_department).map(([c, counts]) => [c === "none" ? "Sans département" : `${c}${names[c] ? ` — ${names[c]}` : ""}`, counts])))),
    el("section", { class: "fr-mb-5w", "aria-labelledby": "st-types" },
      el("h2", { class: "fr-h4", id: "st-types", text: "Par type d'événement" }),
      byStatusTable("Inscriptions par type et statut", "Type", Object.entries(st.by_kind).map(([c, counts]) => [label(KINDS, c), counts]))),
    el("section", { class: "fr-mb-5w", "aria-labelledby": "st-publics" },
      el("h2", { class: "fr-h4", id: "st-publics", text: "Par public" }),
      table("Inscriptions ouvertes à chaque public", ["Public", "Inscriptions"],
        Object.entries(st.by_audience).map(([a, n]) => [label(AUDIENCES, a), number(n)]), { hideCaption: true })));
}
