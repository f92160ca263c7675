// The organiser's page: status in plain French, the event's sessions and accessibility, what
// to change, the history; Modifier, Retirer (with confirmation), Dupliquer; "complet" or
// "annulé" once labelled; the previous edition's events to carry over; the lost-link form.
// Talks only to this service.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var EXPLAIN = {
    received: "Nous vérifions les conditions du label ; la réponse vous arrive par courriel, en général dans la minute.",
    labelled: "Elle remplit les conditions du label ; elle sera publiée sur la carte dans un instant.",
    published: "Elle remplit les conditions du label et figure sur la carte publique des événements.",
    rejected: "Elle ne peut pas être labellisée en l'état : voyez ci-dessous ce qu'il faut changer.",
    needs_review: "L'équipe de la Semaine de l'industrie l'examine et vous répond par courriel.",
    location_unresolved: "Elle est labellisée, mais son adresse n'a pas pu être placée sur la carte : vérifiez-la.",
    withdrawn: "Elle n'apparaît plus sur la carte. Vous pouvez la dupliquer pour l'inscrire à nouveau."
  };
  var BADGE = { labelled: "success", published: "success", rejected: "error", needs_review: "warning",
                location_unresolved: "warning", received: "info", withdrawn: "" };
  var SHORT = { received: "Reçue", labelled: "Labellisée", published: "Publiée", rejected: "Refusée",
                needs_review: "À examiner", location_unresolved: "Adresse à vérifier", withdrawn: "Retirée" };
  var STEP = { received: "Inscription reçue", labelled: "Labellisée", rejected: "Refusée",
               needs_review: "À examiner par l'équipe", geocoded: "Placée sur la carte",
               location_unresolved: "Adresse à vérifier", published: "Publiée sur la carte",
               withdrawn: "Retirée", decided: "Décision de l'équipe", relocated: "Placée par l'équipe",
               contact_erased: "Coordonnées effacées", token_renewed: "Nouveau lien envoyé",
               event_status: "Annoncé au public" };
  var WHEN = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" });
  var ACCESS = { motor: "handicap moteur", hearing: "handicap auditif", visual: "handicap visuel",
                 intellectual: "handicap intellectuel", psychic: "handicap psychique" };
  var EVENT_STATUS = { scheduled: "Ouvert", full: "Complet", cancelled: "Annulé" };
  var EVENT_BADGE = { scheduled: "success", full: "warning", cancelled: "error" };
  var EVENT_SAID = { scheduled: "ouvert", full: "complet", cancelled: "annulé" };

  // A session's dates as the organiser wrote them: the wall clock of the event's place (the
  // offset each moment carries), not the browser's zone.
  var DAY = new Intl.DateTimeFormat("fr-FR", { weekday: "long", day: "numeric", month: "long",
                                               year: "numeric", timeZone: "UTC" });
  // "1 décembre" -> "1er décembre"
  function first(text) { return text.replace(/(^|\s)1 (?=\D)/g, "$11er "); }
  function wall(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
    var h = String(Number(m[4])) + " h" + (m[5] === "00" ? "" : " " + m[5]);
    return { day: m[1] + m[2] + m[3], date: first(DAY.format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])))), hour: h };
  }
  function session(t) {
    var a = wall(t.starts_at), b = wall(t.ends_at);
    if (a.day === b.day) return a.date + ", de " + a.hour + " à " + b.hour;
    return "du " + a.date + " à " + a.hour + " au " + b.date + " à " + b.hour;
  }
  function plural(n, one, many) { return n + " " + (n > 1 ? many : one); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  // A problem+json's French words: each field's message, else its detail.
  function problemText(status, body) {
    var errors = (body && body.errors) || [];
    if (errors.length) return errors.map(function (e) { return e.message; }).join(" ");
    return (body && body.detail) || "Erreur " + status + " ; réessayez.";
  }
  function answer(r) {
    return r.json().catch(function () { return null; }).then(function (b) { return [r.status, b]; });
  }
  function organiserLink(sid, token) {
    return "/organisateur/#id=" + encodeURIComponent(sid) + (token ? "&jeton=" + encodeURIComponent(token) : "");
  }

  function who(by) {
    if (by === "organizer") return "Vous";
    if (by.indexOf("operator:") === 0) return "L'équipe";
    if (by === "retention") return "Effacement automatique";
    return "Vérification automatique";
  }

  var params = SdiJeton.take();
  var id = params.get("id");
  var doc = null;

  function show(d) {
    doc = d;
    $("chargement").hidden = true;
    $("inscription").hidden = false;
    $("titre-perdu").hidden = true;
    $("perdu-erreur").hidden = true;
    $("titre").textContent = d.submission.title;
    document.title = d.submission.title + " — Mon inscription — Semaine de l'industrie";
    var badge = $("badge");
    badge.className = "fr-badge" + (BADGE[d.status] ? " fr-badge--" + BADGE[d.status] : "");
    badge.textContent = SHORT[d.status] || d.status;
    $("statut").textContent = "Votre inscription est " + d.status_label + ". " + (EXPLAIN[d.status] || "");
    $("public").hidden = !d.public_url;
    if (d.public_url) $("lien-public").href = d.public_url;
    showEvent(d.submission);
    showEventStatus(d);
    var list = $("motifs");
    list.innerHTML = "";
    d.reasons.forEach(function (r) {
      var li = document.createElement("li");
      var p = document.createElement("p");
      p.className = "fr-mb-1w";
      p.textContent = r.message;
      li.appendChild(p);
      if (r.advice) {
        var a = document.createElement("p");
        a.className = "fr-text--bold";
        a.textContent = r.advice;
        li.appendChild(a);
      }
      list.appendChild(li);
    });
    $("motifs-bloc").hidden = d.reasons.length === 0;
    var amend = d.actions.amend;
    var modifier = $("modifier");
    modifier.href = "/#modifier=" + encodeURIComponent(d.id);
    if (amend.allowed) { modifier.removeAttribute("aria-disabled"); } else {
      modifier.setAttribute("aria-disabled", "true"); modifier.removeAttribute("href");
    }
    $("modifier-refus").hidden = amend.allowed;
    $("modifier-refus").textContent = amend.allowed ? "" : "Modifier : " + amend.reason;
    $("retirer").disabled = !d.actions.withdraw.allowed;
    $("dupliquer").href = "/#dupliquer=" + encodeURIComponent(d.id);
    $("dupliquer-an").href = "/#dupliquer=" + encodeURIComponent(d.id) + "&quand=an";
    var rows = $("historique");
    rows.innerHTML = "";
    var firstReceived = true;
    d.history.map(function (h) {
      var step = STEP[h.event] || h.event;
      if (h.event === "received") { if (!firstReceived) step = "Modification reçue"; firstReceived = false; }
      return [h, h.event === "event_status" && h.detail ? step + " : " + h.detail : step];
    }).reverse().forEach(function (pair) {
      var h = pair[0], tr = document.createElement("tr");
      [first(WHEN.format(new Date(h.at))), pair[1], who(h.by)].forEach(function (t) {
        var td = document.createElement("td"); td.textContent = t; tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    if (d.status === "received" || d.status === "labelled") setTimeout(load, 3000);
    if (!offerLoaded) { offerLoaded = true; loadOffer(); }
  }

  // ------------------------------------------------------------------ the event's facts

  function showEvent(sub) {
    var list = $("seances");
    list.innerHTML = "";
    sub.timings.forEach(function (t) { list.appendChild(el("li", null, session(t))); });
    var place = sub.location
      ? [sub.location.venue, sub.location.street, sub.location.postcode + " " + sub.location.city]
          .filter(Boolean).join(", ")
      : "";
    $("lieu").textContent = sub.online ? (place ? place + " et en ligne" : "En ligne") : place;
    var codes = (sub.accessibility_codes || []).map(function (c) { return ACCESS[c] || c; });
    var access = codes.length ? "Accessible : " + codes.join(", ") + "." : "";
    if (sub.accessibility) access += (access ? " " : "") + sub.accessibility;
    $("accessibilite").textContent = access || "Non précisée.";
    var capacity = sub.capacity != null;
    $("capacite-titre").hidden = $("capacite").hidden = !capacity;
    $("capacite").textContent = capacity ? plural(sub.capacity, "place", "places") : "";
  }

  // ------------------------------------------------------------------ complet, annulé

  var said = null;   // the latest PUT's answer: newer than a GET the projection has not caught up with
  var formFor = null; // the state the form was last filled from (not refilled while polling)

  function current(d) {
    var mine = { event_status: d.event_status, remaining_places: d.remaining_places,
                 event_status_at: d.event_status_at };
    if (said && (!mine.event_status_at || new Date(mine.event_status_at) < new Date(said.event_status_at))) {
      return said;
    }
    return mine;
  }

  function showEventStatus(d) {
    var allowed = d.actions.event_status.allowed;
    $("etat-bloc").hidden = !allowed;
    $("etat-refus").hidden = allowed;
    if (!allowed) {
      $("etat-refus").textContent = d.status === "withdrawn"
        ? "Un événement retiré ne peut plus être annoncé complet ou annulé."
        : "Vous pourrez annoncer ici votre événement complet ou annulé dès qu'il sera labellisé.";
      return;
    }
    var now = current(d), cap = d.submission.capacity;
    var badge = $("etat-badge");
    badge.className = "fr-badge fr-badge--no-icon fr-badge--" + EVENT_BADGE[now.event_status];
    badge.textContent = EVENT_STATUS[now.event_status];
    var detail = [];
    if (now.event_status === "scheduled" && now.remaining_places != null) {
      detail.push(plural(now.remaining_places, "place restante", "places restantes") +
                  (cap != null ? " sur " + cap : ""));
    }
    if (now.event_status_at) detail.push("annoncé le " + first(WHEN.format(new Date(now.event_status_at))));
    $("etat-detail").textContent = detail.length ? "(" + detail.join(", ") + ")" : "";
    $("places-aide").textContent = "Un nombre entier, 0 ou plus" +
      (cap != null ? ", au plus la capacité annoncée (" + cap + ")." : ".");
    var key = now.event_status + ":" + now.remaining_places;
    if (formFor !== key) {
      formFor = key;
      $("etat-" + now.event_status).checked = true;
      $("places").value = now.remaining_places != null ? now.remaining_places : "";
      placesShown();
    }
  }

  function chosen() {
    var c = document.querySelector("input[name=event_status]:checked");
    return c ? c.value : "scheduled";
  }

  // places left belong to an open event: a full one has none, a cancelled one none to count
  function placesShown() { $("places-groupe").hidden = chosen() !== "scheduled"; }

  function placesError(text) {
    var input = $("places"), err = $("places-err"), group = $("places-groupe");
    err.hidden = !text; err.textContent = text || "";
    group.classList.toggle("fr-input-group--error", !!text);
    if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
  }

  function sendEventStatus() {
    var status = chosen(), raw = $("places").value.trim();
    var body = { event_status: status };
    if (status === "scheduled" && raw !== "") {
      if (!/^\d+$/.test(raw)) {
        placesError("Indiquez un nombre entier de places, 0 ou plus."); $("places").focus(); return;
      }
      body.remaining_places = Number(raw);
    }
    $("etat-envoyer").disabled = true;
    $("etat-message").textContent = "";
    fetch("/v1/submissions/" + encodeURIComponent(id) + "/event-status", {
      method: "PUT", headers: SdiJeton.headers(id, { "Content-Type": "application/json" }),
      body: JSON.stringify(body)
    }).then(answer).then(function (pair) {
      $("etat-envoyer").disabled = false;
      var status = pair[0], b = pair[1];
      if (status === 202) {
        said = b; formFor = null;
        showEventStatus(doc);
        $("etat-message").textContent = "C'est enregistré : le public voit l'événement " +
          EVENT_SAID[b.event_status] + (b.remaining_places != null
            ? ", " + plural(b.remaining_places, "place restante", "places restantes") : "") + ".";
        return;
      }
      var field = b && b.errors && b.errors.filter(function (e) { return e.field === "remaining_places"; })[0];
      if (field) { placesError(field.message); $("places").focus(); return; }
      $("etat-message").textContent = "Ce changement n'a pas été enregistré : " +
        (b && b.code === "not_labelled"
          ? "seul un événement labellisé peut être annoncé complet ou annulé."
          : problemText(status, b));
    }).catch(function () {
      $("etat-envoyer").disabled = false;
      $("etat-message").textContent = "Le serveur ne répond pas ; réessayez dans un instant.";
    });
  }

  // ------------------------------------------------------------------ carry over

  var offerLoaded = false;
  var carried = {}; // previous edition's id -> {id, token} of its copy, carried over in this tab
  var titles = {};  // previous edition's id -> its title

  function loadOffer() {
    fetch("/v1/submissions/" + encodeURIComponent(id) + "/carry-over", { headers: SdiJeton.headers(id) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (offer) { if (offer) showOffer(offer); })
      .catch(function () { /* the rest of the page stands without it */ });
  }

  function copyLink(title, copy) {
    var token = copy.token || SdiJeton.get(copy.id);
    if (!token) return el("span", "fr-hint-text", "son lien est dans le courriel de confirmation");
    var a = el("a", "fr-link", "Ouvrir la page de « " + title + " »");
    a.href = organiserLink(copy.id, token);
    return a;
  }

  function showOffer(offer) {
    // no previous edition: nothing to speak of, the section stays hidden
    if (!offer.from_edition) { $("report").hidden = true; return; }
    $("report").hidden = false;
    $("report-titre").textContent = "Vos événements de l'édition " + offer.from_edition;
    var empty = offer.items.length === 0;
    $("report-vide").hidden = !empty;
    $("report-vide").textContent = "Aucun événement labellisé de l'édition " + offer.from_edition +
      " n'a été inscrit avec cette adresse e-mail.";
    $("report-form").hidden = empty;
    if (empty) return;
    $("report-legende").textContent = "Choisissez ceux à reporter dans l'édition " + offer.edition +
      " : mêmes jours de la semaine, mêmes heures.";
    var list = $("report-liste"), open = 0;
    list.innerHTML = "";
    offer.items.forEach(function (item) {
      titles[item.id] = item.title;
      var copy = carried[item.id] || (item.carried_over_id ? { id: item.carried_over_id } : null);
      var box = el("div", "fr-fieldset__element");
      var timings = item.body ? item.body.timings : [];
      var dates = timings.slice(0, 3).map(session);
      if (timings.length > 3) dates.push("et " + plural(timings.length - 3, "autre séance", "autres séances"));
      if (copy || !item.body) {
        var p = el("div", "report-fait");
        p.appendChild(el("span", "fr-text--bold", item.title));
        p.appendChild(document.createTextNode(" "));
        p.appendChild(el("span", "fr-badge fr-badge--sm fr-badge--no-icon " +
          (copy ? "fr-badge--success" : ""), copy ? "Déjà reporté" : "Coordonnées effacées"));
        p.appendChild(el("br"));
        p.appendChild(copy ? copyLink(item.title, copy)
          : el("span", "fr-hint-text", "il ne peut pas être reporté ; inscrivez-le de nouveau."));
        box.appendChild(p);
      } else {
        open += 1;
        var group = el("div", "fr-checkbox-group");
        var input = el("input");
        input.type = "checkbox"; input.id = "report-" + item.id; input.value = item.id; input.name = "submission_ids";
        var label = el("label", "fr-label", item.title);
        label.htmlFor = input.id;
        var hint = el("span", "fr-hint-text", "En " + offer.edition + " :");
        dates.forEach(function (d) { hint.appendChild(el("span", "report-seance", d)); });
        label.appendChild(hint);
        group.appendChild(input); group.appendChild(label);
        box.appendChild(group);
      }
      list.appendChild(box);
    });
    $("reporter").hidden = open === 0;
  }

  function carryOver() {
    var ids = Array.prototype.map.call(document.querySelectorAll("#report-liste input:checked"),
                                       function (i) { return i.value; });
    if (!ids.length) { $("report-message").textContent = "Cochez au moins un événement à reporter."; return; }
    $("reporter").disabled = true;
    $("report-message").textContent = "Report en cours…";
    fetch("/v1/submissions/" + encodeURIComponent(id) + "/carry-over", {
      method: "POST", headers: SdiJeton.headers(id, { "Content-Type": "application/json" }),
      body: JSON.stringify({ submission_ids: ids })
    }).then(answer).then(function (pair) {
      $("reporter").disabled = false;
      var status = pair[0], b = pair[1];
      if (status !== 200) {
        $("report-message").textContent = "Le report n'a pas abouti : " + problemText(status, b); return;
      }
      var made = $("report-crees"), created = 0, refused = [];
      made.innerHTML = "";
      // one row per id asked, in the same order
      b.rows.forEach(function (row, n) {
        var from = ids[n], title = titles[from];
        if (!row.ok) { refused.push(title + " : " + row.errors.map(function (e) { return e.message; }).join(" ")); return; }
        carried[from] = { id: row.id, token: row.organizer_token };
        if (row.organizer_token) SdiJeton.set(row.id, row.organizer_token);
        if (row.action === "created") created += 1;
        var li = el("li");
        li.appendChild(el("span", "fr-text--bold", title + " "));
        li.appendChild(el("span", null, row.action === "created" ? "— inscrit pour cette édition : " : "— déjà reporté : "));
        li.appendChild(copyLink(title, carried[from]));
        made.appendChild(li);
      });
      made.hidden = made.children.length === 0;
      $("report-message").textContent = (created
        ? plural(created, "événement reporté", "événements reportés") +
          " : chacun est examiné pour le label et vous recevez son accusé de réception par courriel."
        : "Rien de nouveau à reporter.") + (refused.length ? " Non reporté : " + refused.join(" ; ") : "");
      loadOffer();
    }).catch(function () {
      $("reporter").disabled = false;
      $("report-message").textContent = "Le serveur ne répond pas ; réessayez dans un instant.";
    });
  }

  function lost() {
    $("chargement").hidden = true;
    $("inscription").hidden = true;
    $("titre-perdu").hidden = false;
    $("perdu-erreur").hidden = !id;
  }

  function load() {
    if (!id || !SdiJeton.get(id)) { lost(); return; }
    fetch("/v1/submissions/" + encodeURIComponent(id), { headers: SdiJeton.headers(id) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) { lost(); return; }
        if (params.get("action") === "modifier" && d.actions.amend.allowed) {
          location.replace("/#modifier=" + encodeURIComponent(id)); return;
        }
        params.delete("action");
        show(d);
      })
      .catch(function () { $("chargement").textContent = "Le serveur ne répond pas ; réessayez dans un instant."; });
  }

  $("retirer").addEventListener("click", function () {
    $("confirmer").hidden = false;
    $("confirmer-titre").focus();
  });
  $("retirer-non").addEventListener("click", function () {
    $("confirmer").hidden = true;
    $("retirer").focus();
  });
  $("retirer-oui").addEventListener("click", function () {
    $("retirer-oui").disabled = true;
    fetch("/v1/submissions/" + encodeURIComponent(id), { method: "DELETE", headers: SdiJeton.headers(id) })
      .then(function (r) {
        $("confirmer").hidden = true;
        $("retirer-oui").disabled = false;
        $("message").textContent = r.status === 202 ? "Votre événement est retiré."
          : "Le retrait n'a pas abouti (erreur " + r.status + ") ; réessayez.";
        load();
      });
  });

  Array.prototype.forEach.call(document.querySelectorAll("input[name=event_status]"), function (r) {
    r.addEventListener("change", function () { placesShown(); placesError(null); });
  });
  $("etat-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    placesError(null);
    if (chosen() === "cancelled" && current(doc).event_status !== "cancelled") {
      $("etat-message").textContent = "";
      $("annuler").hidden = false; $("annuler-titre").focus(); return;
    }
    sendEventStatus();
  });
  $("annuler-non").addEventListener("click", function () {
    $("annuler").hidden = true; $("etat-envoyer").focus();
  });
  $("annuler-oui").addEventListener("click", function () {
    $("annuler").hidden = true; sendEventStatus(); $("etat-envoyer").focus();
  });
  $("report-form").addEventListener("submit", function (ev) { ev.preventDefault(); carryOver(); });
  // another event's page from this one (a carried-over copy): same document, new fragment
  window.addEventListener("hashchange", function () {
    var other = SdiJeton.params().get("id");
    if (other && other !== id) location.reload();
  });

  $("perdu-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var input = $("perdu-email"), err = $("email-err"), group = input.closest(".fr-input-group");
    err.hidden = true; group.classList.remove("fr-input-group--error"); input.removeAttribute("aria-invalid");
    fetch("/v1/organizer-links", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ email: input.value.trim() })
    }).then(function (r) { return r.json().then(function (b) { return [r.status, b]; }); })
      .then(function (pair) {
        if (pair[0] === 202) { $("perdu-message").textContent = pair[1].detail; return; }
        var msg = pair[1].errors && pair[1].errors[0] ? pair[1].errors[0].message : (pair[1].detail || "Erreur " + pair[0]);
        err.textContent = msg; err.hidden = false;
        group.classList.add("fr-input-group--error"); input.setAttribute("aria-invalid", "true"); input.focus();
      });
  });

  load();
})();
