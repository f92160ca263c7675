// Pieces several pages share: status and delay badges, the refusal dialog, a DSFR table.
import { el } from "./dom.js";
import { EVENT_STATUSES, EVENT_STATUS_BADGES, STATUSES, STATUS_BADGES, label } from "./labels.js";

const badge = (kind, text) => el("p", { class: `fr-badge fr-badge--sm fr-badge--${kind || "info"} fr-badge--no-icon`, text });
export const statusBadge = (status) => badge(STATUS_BADGES[status], label(STATUSES, status));
// Ouvert, Complet, Annulé: whether the event takes place, for the public
export const eventStatusBadge = (status) => badge(EVENT_STATUS_BADGES[status], label(EVENT_STATUSES, status));

// How long a request has waited, against the committee's target (working days).
export function ageBadge(age) {
  if (!age) return el("span", { class: "fr-hint-text", text: "—" });
  const days = `${age.working_days} j. ouvré${age.working_days > 1 ? "s" : ""}`;
  if (age.overdue) {
    return el("p", { class: "fr-badge fr-badge--sm fr-badge--error", text: `En retard : ${days} (objectif ${age.target})` });
  }
  const kind = age.working_days === age.target ? "warning" : "info";
  const text = age.working_days === age.target ? `Dernier jour : ${days}` : `${days} sur ${age.target}`;
  return el("p", { class: `fr-badge fr-badge--sm fr-badge--${kind} fr-badge--no-icon`, text });
}

// A DSFR table; rows are arrays of cells (nodes or text). `stacked`: on a phone each row
// becomes a block whose cells say their column's name (data-label), instead of scrolling.
export function table(caption, headers, rows, { hideCaption = false, stacked = false } = {}) {
  return el("div", { class: "fr-table bo-table" },
    el("div", { class: "fr-table__wrapper" },
      // it scrolls sideways on a narrow screen: reachable by keyboard, named by its caption
      el("div", { class: "fr-table__container", tabindex: "0", role: "region", "aria-label": caption },
        el("div", { class: "fr-table__content" },
          el("table", { class: stacked ? "bo-stacked" : null },
            el("caption", { class: hideCaption ? "fr-sr-only" : null, text: caption }),
            el("thead", {}, el("tr", {}, headers.map((h) => (h instanceof Node ? el("th", { scope: "col" }, h) : el("th", { scope: "col", text: h }))))),
            el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c, i) =>
              el("td", { "data-label": stacked && typeof headers[i] === "string" ? headers[i] : null }, c))))))))));
}

// Asks for the motif of a refusal (required: the organiser reads it). Resolves to the
// motif, or null when the operator cancels. A native modal dialog: focus stays in it,
// Escape closes it.
export function askMotif(heading) {
  return new Promise((resolve) => {
    const motif = el("textarea", { class: "fr-input", id: "motif", name: "motif", rows: "4", required: true, maxlength: "2000", "aria-describedby": "motif-aide motif-erreur" });
    const error = el("p", { class: "fr-error-text", id: "motif-erreur", hidden: true, text: "Indiquez le motif du refus." });
    const dialog = el("dialog", { class: "bo-dialog", "aria-labelledby": "motif-titre" });
    const close = (value) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    const form = el("form", { method: "dialog", novalidate: true },
      el("h2", { class: "fr-h4", id: "motif-titre", text: heading }),
      el("div", { class: "fr-input-group" },
        el("label", { class: "fr-label", for: "motif" }, "Motif",
          el("span", { class: "fr-hint-text", id: "motif-aide", text: "Obligatoire. Il est montré à l'organisateur." })),
        motif, error),
      el("ul", { class: "fr-btns-group fr-btns-group--inline-md" },
        el("li", {}, el("button", { class: "fr-btn", type: "submit", text: "Confirmer le refus" })),
        el("li", {}, el("button", { class: "fr-btn fr-btn--secondary", type: "button", text: "Annuler", onclick: () => close(null) }))));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = motif.value.trim();
      if (!text) {
        error.hidden = false;
        motif.setAttribute("aria-invalid", "true");
        motif.focus();
        return;
      }
      close(text);
    });
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(null);
    });
    dialog.append(form);
    document.body.append(dialog);
    dialog.showModal();
    motif.focus();
  });
}
