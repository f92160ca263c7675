// The organiser's page: status in plain French, what to change, the history; Modifier,
// Retirer (with confirmation), Dupliquer; the lost-link form. Talks only to this service.
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
               contact_erased: "Coordonnées effacées", token_renewed: "Nouveau lien envoyé" };
  var WHEN = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" });

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
      return [h, step];
    }).reverse().forEach(function (pair) {
      var h = pair[0], tr = document.createElement("tr");
      [WHEN.format(new Date(h.at)), pair[1], who(h.by)].forEach(function (t) {
        var td = document.createElement("td"); td.textContent = t; tr.appendChild(td);
      });
      rows.appendChild(tr);
    });
    if (d.status === "received" || d.status === "labelled") setTimeout(load, 3000);
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
