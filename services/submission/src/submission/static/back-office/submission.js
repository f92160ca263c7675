// One submission as the committee reviews it: every field (every session), the automatic
// verdict and its reasons, the event's status for the public, the history, the organiser's
// contact, the delay, and the actions.
import { get, request } from "./api.js";
import { alert, announce, el, formatDateTime, formatSession } from "./dom.js";
import { ACCESSIBILITY, AUDIENCES, EVENTS, EVENT_STATUSES, KINDS, ORGANIZER_TYPES, PRECISIONS, STATUSES, departmentNames, label, who } from "./labels.js";
import { openPlacement } from "./placement.js";
import { ageBadge, askMotif, eventStatusBadge, statusBadge, table } from "./widgets.js";

// sessions listed before the rest folds away (an event may have up to 100)
const SESSIONS_SHOWN = 10;

const yes = (b) => (b ? "oui" : "non");

function facts(pairs) {
  return el("dl", { class: "bo-facts" },
    pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]));
}

function section(id, title, ...content) {
  return el("section", { class: "fr-mb-5w", "aria-labelledby": id }, el("h2", { class: "fr-h4", id, text: title }), ...content);
}

function link(url) {
  return url ? el("a", { href: url, class: "fr-link", rel: "noopener noreferrer nofollow", target: "_blank", text: url, title: `${url} (nouvelle fenêtre)` }) : null;
}

// Every session, one line each, in order; past SESSIONS_SHOWN the rest behind a disclosure.
function sessions(timings) {
  if (timings.length === 1) return formatSession(timings[0]);
  const list = (items, start) => el("ol", { class: "bo-sessions", start: start > 1 ? String(start) : null },
    items.map((t) => el("li", { text: formatSession(t) })));
  const rest = timings.length - SESSIONS_SHOWN;
  return el("div", {}, list(timings.slice(0, SESSIONS_SHOWN), 1), rest > 0
    ? el("details", { class: "bo-more" },
      el("summary", { text: `Voir les ${rest} autres séances` }),
      list(timings.slice(SESSIONS_SHOWN), SESSIONS_SHOWN + 1))
    : null);
}

function eventFacts(v) {
  const s = v.submission;
  const n = s.timings.length;
  return facts([
    ["Titre", s.title],
    ["Identifiant externe (import)", v.external_id],
    ["Description", s.description ? el("p", { class: "bo-prewrap", text: s.description }) : ""],
    ["Type", label(KINDS, s.kind)],
    [n > 1 ? `Séances (${n})` : "Séance", sessions(s.timings)],
    ["Publics", s.audiences.map((a) => label(AUDIENCES, a)).join(", ")],
    ["Gratuit", s.is_free ? "oui" : `non${s.price_eur != null ? ` (${s.price_eur} €)` : ""}`],
    ["Fait découvrir l'industrie (déclaré)", yes(s.informs_about_industry)],
    ["En ligne", s.online ? "oui" : "non"],
    ["Lien de l'événement en ligne", link(s.online_url)],
    ["Inscription des participants", link(s.registration_url)],
    ["Accessibilité", s.accessibility_codes.length ? s.accessibility_codes.map((c) => label(ACCESSIBILITY, c)).join(", ") : "aucune déclarée"],
    ["Accessibilité (précisions)", s.accessibility],
  ]);
}

// Ouvert, Complet or Annulé for the public (PUT …/event-status), places left, capacity;
// and the form to change it, once the event is labelled.
function eventStatus(v, allowed, save) {
  const can = !allowed || allowed.allowed;
  const capacity = v.submission.capacity;
  const places = el("input", { class: "fr-input", type: "number", id: "places-restantes", name: "remaining_places",
    min: "0", max: capacity != null ? String(capacity) : null, step: "1", inputmode: "numeric",
    value: v.remaining_places != null ? String(v.remaining_places) : null, "aria-describedby": "places-aide",
    disabled: !can || v.event_status !== "scheduled" });
  const choices = Object.entries(EVENT_STATUSES).map(([code, text]) =>
    el("div", { class: "fr-fieldset__element fr-fieldset__element--inline" },
      el("div", { class: "fr-radio-group" },
        el("input", { type: "radio", id: `statut-${code}`, name: "event_status", value: code, checked: code === v.event_status, disabled: !can,
          onchange: () => { places.disabled = code !== "scheduled"; } }),
        el("label", { class: "fr-label", for: `statut-${code}`, text }))));
  const form = el("form", { class: "bo-event-status" },
    el("fieldset", { class: "fr-fieldset", "aria-labelledby": "statut-evenement-legende" },
      el("legend", { class: "fr-fieldset__legend fr-fieldset__legend--regular", id: "statut-evenement-legende", text: "Annoncer l'événement" }),
      choices,
      el("div", { class: "fr-fieldset__element" },
        el("div", { class: "fr-input-group bo-narrow" },
          el("label", { class: "fr-label", for: "places-restantes" }, "Places restantes",
            el("span", { class: "fr-hint-text", id: "places-aide", text: `Facultatif, pour un événement ouvert${capacity != null ? ` (au plus ${capacity})` : ""}.` })),
          places))),
    el("button", { class: "fr-btn fr-btn--secondary", type: "submit", disabled: !can, text: "Enregistrer le statut" }),
    can ? null : el("p", { class: "fr-hint-text fr-mt-1w", text: allowed.refusal }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const status = form.elements.event_status.value;
    const body = { event_status: status };
    if (status === "scheduled" && places.value.trim() !== "") body.remaining_places = Number(places.value);
    save(body);
  });
  return [
    facts([
      ["Statut", eventStatusBadge(v.event_status)],
      ["Places restantes", v.remaining_places != null ? String(v.remaining_places) : "non publiées"],
      ["Capacité", capacity != null ? String(capacity) : "non indiquée"],
      ["Annoncé le", v.event_status_at ? formatDateTime(v.event_status_at) : ""],
    ]),
    form,
  ];
}

function placeFacts(sub, location, region, dep, names) {
  const place = sub.location;
  const written = place ? [place.venue, place.street, `${place.postcode} ${place.city}`].filter(Boolean).join(", ") : "Aucune adresse (événement en ligne)";
  return facts([
    ["Adresse saisie", written],
    ["Région", region.name ? `${region.name} (${region.code})` : region.code || "—"],
    ["Département", dep ? `${dep}${names[dep] ? ` — ${names[dep]}` : ""}` : ""],
    ["Placée", location ? `${location.label || location.city || ""} — ${label(PRECISIONS, location.precision)} (${location.point.lat.toFixed(5)}, ${location.point.lon.toFixed(5)}), source : ${location.source}` : "pas encore sur la carte"],
  ]);
}

function organizerFacts(view) {
  const o = view.submission.organizer;
  let contact;
  if (view.contact_erased) contact = "Coordonnées effacées (RGPD).";
  else if (view.contact) contact = el("span", {}, el("a", { class: "fr-link", href: `mailto:${view.contact.email}`, text: view.contact.email }), view.contact.phone ? ` — ${view.contact.phone}` : "");
  else contact = "Indisponibles.";
  return facts([
    ["Nom", o.name],
    ["Type", label(ORGANIZER_TYPES, o.type)],
    ["SIRET", o.siret],
    ["Contact", contact],
  ]);
}

function history(steps) {
  return table("Historique, du plus ancien au plus récent", ["Quand", "Qui", "Quoi", "Statut", "Détail"],
    steps.map((h) => [formatDateTime(h.at), who(h.by), label(EVENTS, h.event), label(STATUSES, h.status), h.detail || ""]), { hideCaption: true, stacked: true });
}

export async function showSubmission({ view }, id) {
  const names = await departmentNames();
  const result = el("div", { id: "resultat", tabindex: "-1" });

  const done = (answer) => (answer?.status ? `Statut : ${label(STATUSES, answer.status)}. L'action figure dans l'historique.` : "L'action figure dans l'historique.");

  async function act(what, call, describe = done) {
    try {
      const answer = await call();
      await render();
      result.replaceChildren(alert("success", what, describe(answer)));
    } catch (err) {
      if (err.status === 401) return;
      const fields = (err.problem.errors || []).map((e) => e.message);
      result.replaceChildren(alert("error", `${what} : impossible`, [err.message, ...fields].join(" ")));
    }
    result.focus();
    announce(result.textContent);
  }

  async function render() {
    let review;
    try {
      review = await get(`/v1/submissions/${encodeURIComponent(id)}/review`);
    } catch (err) {
      if (err.status === 401) return;
      document.title = "Inscription introuvable — Back-office de la Semaine de l'industrie";
      view.replaceChildren(
        el("h1", { text: "Inscription introuvable" }),
        alert("error", err.problem?.title || "Erreur", err.message),
        el("p", {}, el("a", { class: "fr-link", href: "/back-office/", text: "Retour à la file d'examen" })));
      return;
    }
    const v = review.submission;
    const s = v.submission;
    const allowed = Object.fromEntries(review.actions.map((a) => [a.command, a]));
    document.title = `${s.title} — Back-office de la Semaine de l'industrie`;

    const buttons = [];
    const button = (text, command, onclick, secondary = false) => {
      const a = allowed[command];
      buttons.push(el("li", {}, el("button", { class: `fr-btn${secondary ? " fr-btn--secondary" : ""}`, type: "button",
        disabled: a && !a.allowed, title: a && !a.allowed ? a.refusal : null, onclick, text })));
    };
    button("Labelliser", "decide", () => act("Inscription labellisée", () =>
      request("POST", `/v1/submissions/${encodeURIComponent(id)}/decision`, { decision: "label", reason: "" })));
    button("Refuser", "decide", async () => {
      const reason = await askMotif("Refuser l'inscription");
      if (reason !== null) {
        await act("Inscription refusée", () => request("POST", `/v1/submissions/${encodeURIComponent(id)}/decision`, { decision: "reject", reason }));
      }
    }, true);
    button("Réexaminer", "rejudge", () => act("Inscription réexaminée", () =>
      request("POST", `/v1/submissions/${encodeURIComponent(id)}/rejudge`)), true);
    button("Placer sur la carte", "relocate", () => openPlacement(placement, { id, review, onSaved: (answer) => act("Position enregistrée", async () => answer) }), true);
    if (!v.contact_erased) {
      button("Effacer les coordonnées", "erase_contact", () => {
        if (window.confirm("Effacer définitivement l'e-mail et le téléphone de l'organisateur ?")) {
          act("Coordonnées effacées", () => request("DELETE", `/v1/submissions/${encodeURIComponent(id)}/contact`));
        }
      }, true);
    }
    // the event status says its own refusal beside its form
    const refusals = review.actions.filter((a) => !a.allowed && !["erase_contact", "set_event_status"].includes(a.command));
    const saveEventStatus = (body) => act("Statut de l'événement enregistré", () =>
      request("PUT", `/v1/submissions/${encodeURIComponent(id)}/event-status`, body), (answer) => {
      const said = `${label(EVENT_STATUSES, answer.event_status)}${answer.remaining_places != null ? `, ${answer.remaining_places} places restantes` : ""}`;
      const same = (a, b) => (a == null ? b == null : b != null && Date.parse(a) === Date.parse(b));
      return same(answer.event_status_at, v.event_status_at)
        ? `Rien à changer : l'événement est déjà annoncé « ${said} ».`
        : `L'événement est annoncé « ${said} ». L'action figure dans l'historique.`;
    });
    const placement = el("div", { id: "placement" });

    view.replaceChildren(
      el("nav", { class: "fr-breadcrumb", role: "navigation", "aria-label": "vous êtes ici :" },
        el("ol", { class: "fr-breadcrumb__list" },
          el("li", {}, el("a", { class: "fr-breadcrumb__link", href: "/back-office/", text: "File d'examen" })),
          el("li", {}, el("a", { class: "fr-breadcrumb__link", "aria-current": "page", text: s.title })))),
      el("h1", { class: "bo-break", text: s.title }),
      el("div", { class: "bo-badges fr-mb-3w" }, statusBadge(v.status), v.event_status !== "scheduled" ? eventStatusBadge(v.event_status) : null,
        review.age ? ageBadge(review.age) : null,
        el("span", { class: "fr-hint-text", text: `Reçue le ${formatDateTime(v.received_at)} — version ${v.version}${v.edition ? ` — édition ${v.edition}` : ""}` })),
      result,
      section("actions-titre", "Actions",
        el("ul", { class: "fr-btns-group fr-btns-group--inline-md" }, buttons),
        refusals.length ? el("ul", { class: "fr-hint-text" }, refusals.map((a) => el("li", { text: a.refusal }))) : null,
        placement),
      section("verdict-titre", "Verdict",
        el("p", {}, `Statut : ${label(STATUSES, v.status)} — ${v.status_label}.`),
        review.decided_at ? el("p", { text: `Décidé le ${formatDateTime(review.decided_at)} par ${who(review.decided_by)}.` }) : null,
        v.reasons.length
          ? el("ul", {}, v.reasons.map((r) => el("li", {}, el("strong", { text: r.message }), " ", el("span", { class: "fr-hint-text", text: `(${r.code})` }))))
          : el("p", { class: "fr-hint-text", text: "Aucun motif." })),
      section("statut-evenement-titre", "Statut de l'événement", eventStatus(v, allowed.set_event_status, saveEventStatus)),
      section("evenement-titre", "L'événement", eventFacts(v)),
      section("lieu-titre", "Lieu", placeFacts(s, v.location, { code: review.region, name: review.region_name }, review.department, names)),
      section("organisateur-titre", "Organisateur", organizerFacts(v)),
      section("historique-titre", "Historique", history(v.history)));
  }

  await render();
}
