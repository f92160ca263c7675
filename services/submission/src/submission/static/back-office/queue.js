// The review queue: what waits for a person first (needs_review, location_unresolved),
// oldest first; filters, counts, pages, and decisions on a selection.
import { get, query, request } from "./api.js";
import { alert, announce, el, formatDateTime, number } from "./dom.js";
import { KINDS, STATUSES, departmentNames, label } from "./labels.js";
import { ageBadge, askMotif, statusBadge } from "./widgets.js";

const FILTERS = ["status", "region", "department", "kind", "q"];

function select(id, text, options, value) {
  return el("div", { class: "fr-select-group" },
    el("label", { class: "fr-label", for: id, text }),
    el("select", { class: "fr-select", id, name: id.replace("filtre-", "") },
      options.map(([v, t]) => el("option", { value: v, selected: v === value, text: t }))));
}

function filtersForm(state, counts, territory, names, onApply) {
  const statuses = [
    ["waiting", `À traiter (${number(counts.waiting)})`],
    ["all", `Toutes (${number(counts.all)})`],
    ...Object.entries(STATUSES).map(([code, text]) => [code, `${text} (${number(counts.by_status[code])})`]),
  ];
  const regions = [["", "Toutes"], ...Object.entries(territory.regions).map(([c, n]) => [c, `${n} (${c})`])];
  const departments = [["", "Tous"], ...territory.departments.map((c) => [c, names[c] ? `${c} — ${names[c]}` : c])];
  const kinds = [["", "Tous"], ...Object.entries(KINDS)];
  const form = el("form", { class: "bo-filters fr-mb-3w", role: "search", "aria-label": "Filtrer la file" },
    el("div", { class: "fr-grid-row fr-grid-row--gutters" },
      el("div", { class: "fr-col-12 fr-col-md-4" }, select("filtre-status", "Statut", statuses, state.status || "waiting")),
      el("div", { class: "fr-col-12 fr-col-md-4" }, select("filtre-region", "Région", regions, state.region || "")),
      el("div", { class: "fr-col-12 fr-col-md-4" }, select("filtre-department", "Département", departments, state.department || "")),
      el("div", { class: "fr-col-12 fr-col-md-4" }, select("filtre-kind", "Type d'événement", kinds, state.kind || "")),
      el("div", { class: "fr-col-12 fr-col-md-8" },
        el("div", { class: "fr-input-group" },
          el("label", { class: "fr-label", for: "filtre-q" }, "Mots du titre"),
          el("input", { class: "fr-input", id: "filtre-q", name: "q", type: "search", value: state.q || "", maxlength: "200" })))),
    el("ul", { class: "fr-btns-group fr-btns-group--inline-md fr-mt-2w" },
      el("li", {}, el("button", { class: "fr-btn", type: "submit", text: "Filtrer" })),
      el("li", {}, el("a", { class: "fr-btn fr-btn--secondary", href: "/back-office/", text: "Réinitialiser" }))));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    onApply(Object.fromEntries(FILTERS.map((k) => [k, (data.get(k) || "").trim()])));
  });
  return form;
}

function readState() {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries([...FILTERS, "cursor"].map((k) => [k, params.get(k) || ""]));
}

function writeState(state, push) {
  const url = `/back-office/${query({ ...state, status: state.status === "waiting" ? "" : state.status })}`;
  if (push) history.pushState(state, "", url);
  else history.replaceState(state, "", url);
}

const COLUMNS = ["Sélection", "Titre", "Statut", "Délai", "Lieu", "Type", "Reçue le"];

// The queue's own table: on a narrow screen each row becomes a block, each cell under
// its column's name (data-label), so that nothing needs scrolling sideways.
function queueTable(caption, rows) {
  return el("table", { class: "bo-queue" },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, COLUMNS.map((c, i) => el("th", { scope: "col", class: i === 0 ? "bo-queue__check" : null },
      i === 0 ? el("span", { class: "fr-sr-only", text: c }) : c)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c, i) => el("td", { "data-label": i > 1 ? COLUMNS[i] : null }, c))))));
}

function itemRow(item, names, selected, onToggle) {
  const place = [item.city, item.department ? `${item.department}${names[item.department] ? ` — ${names[item.department]}` : ""}` : null]
    .filter(Boolean).join(", ");
  const box = el("input", { type: "checkbox", id: `choix-${item.id}`, value: item.id, checked: selected.has(item.id),
    disabled: item.status !== "needs_review", onchange: (e) => onToggle(item.id, e.target.checked) });
  return [
    el("div", { class: "fr-checkbox-group fr-checkbox-group--sm bo-check" }, box,
      el("label", { class: "fr-label", for: `choix-${item.id}` }, el("span", { class: "fr-sr-only", text: `Sélectionner « ${item.title} »` }))),
    el("div", {},
      el("a", { href: `/back-office/inscriptions/${encodeURIComponent(item.id)}`, class: "fr-link bo-title", text: item.title }),
      el("p", { class: "fr-hint-text fr-mb-0 bo-reasons", text: `${item.organizer_name} — ${item.reasons.map((r) => r.message).join(" ")}` })),
    statusBadge(item.status),
    ageBadge(item.age),
    el("span", { text: place || "En ligne" }),
    el("span", { text: label(KINDS, item.kind) }),
    el("span", { class: "bo-nowrap", text: formatDateTime(item.received_at) }),
  ];
}

export async function showQueue({ session, view }) {
  const names = await departmentNames();
  const selected = new Set();
  const titles = new Map(); // id -> title, for the answers to a decision on a selection
  let state = readState();
  const cursors = []; // the cursors of the previous pages, to go back
  const results = el("div", { id: "resultats-lot" });

  async function decideSelection(decision) {
    let reason = "";
    if (decision === "reject") {
      reason = await askMotif(`Refuser ${selected.size} inscription${selected.size > 1 ? "s" : ""}`);
      if (reason === null) return;
    }
    let answer;
    try {
      answer = await request("POST", "/v1/submissions/decisions", { ids: [...selected], decision, reason });
    } catch (err) {
      results.replaceChildren(alert("error", "Décision non enregistrée", err.message));
      results.focus();
      return;
    }
    const lines = answer.results.map((r) =>
      el("li", { text: `${titles.get(r.id) || r.id} : ${r.status === 202 ? (decision === "label" ? "labellisée" : "refusée") : r.problem?.detail || r.problem?.title}` }));
    const verb = decision === "label" ? "labellisée" : "refusée";
    results.replaceChildren(
      el("div", { class: `fr-alert fr-alert--${answer.refused ? "warning" : "success"} fr-mb-3w`, role: "status", tabindex: "-1" },
        el("h2", { class: "fr-alert__title", text: `${answer.accepted} inscription${answer.accepted > 1 ? "s" : ""} ${verb}${answer.accepted > 1 ? "s" : ""}${answer.refused ? `, ${answer.refused} refus d'action` : ""}` }),
        el("ul", {}, lines)));
    selected.clear();
    await load(false);
    results.firstChild.focus();
  }

  async function load(push, focusTable = false) {
    const params = { ...state, status: state.status || "waiting", limit: 50 };
    let page;
    try {
      page = await get(`/v1/queue${query(params)}`);
    } catch (err) {
      view.replaceChildren(el("h1", { text: "File d'examen" }), alert("error", "Chargement impossible", err.message));
      return;
    }
    writeState(state, push);
    const selection = state.status || "waiting";
    document.title = `File d'examen (${number(page.total)}) — Back-office de la Semaine de l'industrie`;
    const bulk = el("div", { class: "bo-bulk fr-mb-2w", role: "group", "aria-label": "Décider pour la sélection" },
      el("p", { class: "fr-mb-0", id: "selection", "aria-live": "polite", text: `${selected.size} sélectionnée(s)` }),
      el("ul", { class: "fr-btns-group fr-btns-group--inline-sm fr-btns-group--sm" },
        el("li", {}, el("button", { class: "fr-btn fr-btn--sm", type: "button", id: "lot-labelliser", disabled: !selected.size,
          onclick: () => decideSelection("label"), text: "Labelliser la sélection" })),
        el("li", {}, el("button", { class: "fr-btn fr-btn--sm fr-btn--secondary", type: "button", id: "lot-refuser", disabled: !selected.size,
          onclick: () => decideSelection("reject"), text: "Refuser la sélection" }))));
    const toggle = (id, on) => {
      if (on) selected.add(id);
      else selected.delete(id);
      bulk.querySelector("#selection").textContent = `${selected.size} sélectionnée(s)`;
      for (const b of bulk.querySelectorAll("button")) b.disabled = !selected.size;
    };
    for (const item of page.items) titles.set(item.id, item.title);
    const rows = page.items.map((item) => itemRow(item, names, selected, toggle));
    const heading = selection === "waiting" ? "À traiter" : selection === "all" ? "Toutes les inscriptions" : label(STATUSES, selection);
    const list = page.items.length
      ? queueTable(`${heading} : ${number(page.total)} inscription${page.total > 1 ? "s" : ""}, la plus ancienne d'abord`, rows)
      : el("p", { class: "fr-mt-2w", text: "Aucune inscription ne correspond à ces filtres." });
    list.id = "liste";
    list.tabIndex = -1;
    const pager = el("ul", { class: "fr-btns-group fr-btns-group--inline-sm fr-mt-2w", "aria-label": "Pages" },
      el("li", {}, el("button", { class: "fr-btn fr-btn--secondary", type: "button", disabled: !cursors.length,
        text: "Page précédente", onclick: () => { state = { ...state, cursor: cursors.pop() || "" }; load(true, true); } })),
      el("li", {}, el("button", { class: "fr-btn fr-btn--secondary", type: "button", disabled: !page.next_cursor,
        text: "Page suivante", onclick: () => { cursors.push(state.cursor); state = { ...state, cursor: page.next_cursor }; load(true, true); } })));
    view.replaceChildren(
      el("h1", { text: "File d'examen" }),
      el("p", { class: "fr-text--lead", text: `Ce qui attend une décision ou un placement d'abord, le plus ancien d'abord. Objectif : répondre en ${page.items[0]?.age?.target ?? 4} jours ouvrés.` }),
      filtersForm(state, page.counts, session.territory, names, (filters) => {
        cursors.length = 0;
        state = { ...filters, cursor: "" };
        selected.clear();
        load(true, true);
      }),
      results,
      selection === "waiting" || selection === "needs_review" || selection === "all" ? bulk : null,
      list,
      pager);
    if (focusTable) {
      list.focus();
      announce(`${number(page.total)} inscription(s)`);
    }
  }

  window.onpopstate = () => {
    state = readState();
    load(false);
  };
  await load(false);
}
