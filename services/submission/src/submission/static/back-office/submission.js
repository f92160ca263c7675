// One submission as the committee reviews it: every field, the automatic verdict and its
// reasons, the history, the organiser's contact, the delay, and the actions.
import { get, request } from "./api.js";
import { alert, announce, el, formatDateLong, formatDateTime } from "./dom.js";
import { AUDIENCES, EVENTS, KINDS, ORGANIZER_TYPES, PRECISIONS, STATUSES, departmentNames, label, who } from "./labels.js";
import { openPlacement } from "./placement.js";
import { ageBadge, askMotif, statusBadge, table } from "./widgets.js";

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

function eventFacts(s) {
  return facts([
    ["Titre", s.title],
    ["Description", s.description ? el("p", { class: "bo-prewrap", text: s.description }) : ""],
    ["Type", label(KINDS, s.kind)],
    ["Début", formatDateLong(s.starts_at)],
    ["Fin", formatDateLong(s.ends_at)],
    ["Publics", s.audiences.map((a) => label(AUDIENCES, a)).join(", ")],
    ["Gratuit", s.is_free ? "oui" : `non${s.price_eur != null ? ` (${s.price_eur} €)` : ""}`],
    ["Fait découvrir l'industrie (déclaré)", yes(s.informs_about_industry)],
    ["En ligne", s.online ? "oui" : "non"],
    ["Lien de l'événement en ligne", link(s.online_url)],
    ["Inscription des participants", link(s.registration_url)],
    ["Capacité", s.capacity != null ? String(s.capacity) : ""],
    ["Accessibilité", s.accessibility],
  ]);
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
    steps.map((h) => [formatDateTime(h.at), who(h.by), label(EVENTS, h.event), label(STATUSES, h.status), h.detail || ""]), { hideCaption: true });
}

export async function showSubmission({ view }, id) {
  const names = await departmentNames();
  const result = el("div", { id: "resultat", tabindex: "-1" });

  async function act(what, call) {
    try {
      const answer = await call();
      await render();
      result.replaceChildren(alert("success", what, answer?.status ? `Statut : ${label(STATUSES, answer.status)}. L'action figure dans l'historique.` : "L'action figure dans l'historique."));
    } catch (err) {
      if (err.status === 401) return;
      result.replaceChildren(alert("error", `${what} : impossible`, err.message));
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
    const refusals = review.actions.filter((a) => !a.allowed && a.command !== "erase_contact");
    const placement = el("div", { id: "placement" });

    view.replaceChildren(
      el("nav", { class: "fr-breadcrumb", role: "navigation", "aria-label": "vous êtes ici :" },
        el("ol", { class: "fr-breadcrumb__list" },
          el("li", {}, el("a", { class: "fr-breadcrumb__link", href: "/back-office/", text: "File d'examen" })),
          el("li", {}, el("a", { class: "fr-breadcrumb__link", "aria-current": "page", text: s.title })))),
      el("h1", { class: "bo-break", text: s.title }),
      el("div", { class: "bo-badges fr-mb-3w" }, statusBadge(v.status), review.age ? ageBadge(review.age) : null,
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
      section("evenement-titre", "L'événement", eventFacts(s)),
      section("lieu-titre", "Lieu", placeFacts(s, v.location, { code: review.region, name: review.region_name }, review.department, names)),
      section("organisateur-titre", "Organisateur", organizerFacts(v)),
      section("historique-titre", "Historique", history(v.history)));
  }

  await render();
}
