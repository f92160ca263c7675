// Reference form: posts the submission as JSON, then follows its status (polling GET with
// the organiser token) and explains it in plain French. No framework, no build step.
// "Vérifier mon événement" asks POST /v1/submissions/check (nothing is stored). From the
// organiser's page: #modifier=<id> fills the form and sends a PUT; #dupliquer=<id>[&quand=an]
// fills a new submission (every session kept, its dates emptied, or a year later). The
// sessions' rows are seances.js's. The commune is completed from
// the postcode or its first letters (GET /v1/communes, this service only).
(function () {
  "use strict";
  var form = document.getElementById("inscription");
  var errorBox = document.getElementById("erreurs");
  var errorList = document.getElementById("erreurs-liste");
  var button = document.getElementById("envoyer");
  var onlineBox = document.getElementById("online");
  var FINAL = ["rejected", "published", "location_unresolved", "withdrawn"];
  SdiSeances.init();

  function value(id) {
    var v = document.getElementById(id).value.trim();
    return v === "" ? null : v;
  }

  // "2026-11-20T09:00" (local) -> "2026-11-20T09:00:00+01:00"
  function withOffset(local) {
    if (!local) return null;
    var d = new Date(local);
    if (isNaN(d.getTime())) return local;
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return local.length === 16 ? local + ":00" + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60)
                               : local + sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }

  function checked(name) {
    return Array.prototype.map.call(
      form.querySelectorAll("input[name=" + name + "]:checked"), function (i) { return i.value; });
  }

  // an empty field is left out (the intake answers "Ce champ est obligatoire")
  function timings() {
    return SdiSeances.values().map(function (s) {
      return { starts_at: withOffset(s.start) || undefined, ends_at: withOffset(s.end) || undefined };
    });
  }

  function payload() {
    var online = document.getElementById("online").checked;
    var body = {
      title: value("title") || "",
      description: value("description") || "",
      kind: value("kind"),
      timings: timings(),
      audiences: checked("audiences"),
      is_free: document.getElementById("is_free").checked,
      informs_about_industry: document.getElementById("informs_about_industry").checked,
      online: online,
      accessibility_codes: checked("accessibility_codes"),
      organizer: {
        name: value("org_name") || "",
        type: value("org_type"),
        email: value("email") || ""
      }
    };
    var price = value("price_eur"); if (price !== null) body.price_eur = Number(price);
    var capacity = value("capacity"); if (capacity !== null) body.capacity = Number(capacity);
    ["online_url", "registration_url", "accessibility"].forEach(function (k) {
      var v = value(k); if (v !== null) body[k] = v;
    });
    var siret = value("siret"); if (siret) body.organizer.siret = siret;
    var phone = value("phone"); if (phone) body.organizer.phone = phone;
    if (!online || value("postcode") || value("city")) {
      body.location = { postcode: value("postcode") || "", city: value("city") || "" };
      var venue = value("venue"); if (venue) body.location.venue = venue;
      var street = value("street"); if (street) body.location.street = street;
    }
    return body;
  }

  function clearErrors() {
    errorBox.hidden = true;
    errorList.innerHTML = "";
    form.querySelectorAll(".fr-error-text").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".fr-input-group--error, .fr-select-group--error, .fr-fieldset--error")
      .forEach(function (el) {
        el.classList.remove("fr-input-group--error", "fr-select-group--error", "fr-fieldset--error");
      });
  }

  function showErrors(errors, title) {
    errorBox.querySelector("h2").textContent = title || "Le formulaire contient des erreurs";
    errors.forEach(function (e) {
      // the field's own slot (timings.1.ends_at, timings.1), else its list's (audiences.0)
      var field = e.field || "";
      var target = document.getElementById(field + "-err") ||
                   document.getElementById(field.replace(/\.\d+$/, "") + "-err");
      var li = document.createElement("li");
      if (target) {
        target.textContent = e.message; target.hidden = false;
        var group = target.closest("[data-field]");
        if (group) {
          group.classList.add(group.tagName === "FIELDSET" ? "fr-fieldset--error"
            : group.classList.contains("fr-select-group") ? "fr-select-group--error" : "fr-input-group--error");
          var input = group.querySelector("input, select, textarea");
          if (input) input.setAttribute("aria-invalid", "true");
          var link = document.createElement("a");
          link.href = "#" + (input ? input.id : field + "-err");
          link.textContent = e.message;
          li.appendChild(link);
        }
      }
      if (!li.firstChild) li.textContent = e.message;
      errorList.appendChild(li);
    });
    errorBox.hidden = false;
    errorBox.focus();
  }

  function explain(doc) {
    var text = "Votre inscription est " + (doc.status_label || doc.status) + ".";
    if (doc.status === "received") text += " Nous vérifions les quatre conditions de labellisation.";
    if (doc.status === "published") text += " Elle apparaît sur la carte publique.";
    document.getElementById("statut").textContent = text;
    var list = document.getElementById("motifs");
    list.innerHTML = "";
    (doc.reasons || []).forEach(function (r) {
      var li = document.createElement("li"); li.textContent = r.message; list.appendChild(li);
    });
  }

  function follow(id, token, attempt) {
    fetch("/v1/submissions/" + encodeURIComponent(id), {
      headers: { "Authorization": "Bearer " + token, "Accept": "application/json" }
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (doc) {
      if (doc) explain(doc);
      if (!doc || FINAL.indexOf(doc.status) < 0) {
        setTimeout(function () { follow(id, token, attempt + 1); }, Math.min(10000, 1000 * (attempt + 1)));
      }
    }).catch(function () {
      setTimeout(function () { follow(id, token, attempt + 1); }, 5000);
    });
  }

  function explainCheck(b) {
    var section = document.getElementById("verification");
    var box = document.getElementById("verification-bloc");
    box.className = "fr-callout " + (b.outcome === "labelled" ? "fr-callout--green-emeraude"
      : b.outcome === "rejected" ? "fr-callout--pink-tuile" : "fr-callout--yellow-tournesol");
    document.getElementById("verification-verdict").textContent = b.outcome_label;
    var list = document.getElementById("verification-motifs");
    list.innerHTML = "";
    b.reasons.forEach(function (r) {
      var li = document.createElement("li");
      li.textContent = r.message;
      if (r.advice) {
        var a = document.createElement("p"); a.className = "fr-text--bold fr-mb-0"; a.textContent = r.advice;
        li.appendChild(a);
      }
      list.appendChild(li);
    });
    section.hidden = false;
    document.getElementById("verification-titre").focus();
  }

  document.getElementById("verifier").addEventListener("click", function () {
    clearErrors();
    SdiSeances.sort();
    document.getElementById("verification").hidden = true;
    fetch("/v1/submissions/check", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(payload())
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) { return [r, b]; });
    }).then(function (pair) {
      var r = pair[0], b = pair[1];
      if (r.status === 200) explainCheck(b);
      else if (r.status === 422 && b.errors) showErrors(b.errors);
      else showErrors([{ field: "", message: b.detail || b.title || "Erreur " + r.status }],
                      "La vérification n'a pas abouti");
    }).catch(function () {
      showErrors([{ field: "", message: "Le serveur ne répond pas. Réessayez." }], "La vérification n'a pas abouti");
    });
  });

  // ---------------------------------------------------------------- modify, duplicate
  var mode = SdiJeton.params();
  var editing = mode.get("modifier"), source = editing || mode.get("dupliquer");

  function setValue(id, v) { document.getElementById(id).value = v === null || v === undefined ? "" : v; }
  // "2026-11-20T09:00:00+01:00" -> "2026-11-20T09:00" in the browser's time, shifted by `days`
  function local(iso, days) {
    var d = new Date(iso);
    d.setDate(d.getDate() + (days || 0));
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  function fill(doc, shift) {
    var s = doc.submission;
    setValue("title", s.title); setValue("description", s.description); setValue("kind", s.kind);
    // every session; for a duplicate "another date", as many sessions with their dates to choose
    SdiSeances.setAll((s.timings || [{ starts_at: s.starts_at, ends_at: s.ends_at }]).map(function (t) {
      return shift === null ? {} : { start: local(t.starts_at, shift), end: local(t.ends_at, shift) };
    }));
    form.querySelectorAll("input[name=audiences]").forEach(function (i) { i.checked = s.audiences.indexOf(i.value) >= 0; });
    var codes = s.accessibility_codes || [];
    form.querySelectorAll("input[name=accessibility_codes]").forEach(function (i) { i.checked = codes.indexOf(i.value) >= 0; });
    document.getElementById("is_free").checked = s.is_free;
    document.getElementById("informs_about_industry").checked = s.informs_about_industry;
    document.getElementById("online").checked = s.online;
    setValue("price_eur", s.price_eur); setValue("capacity", s.capacity);
    setValue("online_url", s.online_url); setValue("registration_url", s.registration_url);
    setValue("accessibility", s.accessibility);
    var l = s.location || {};
    setValue("venue", l.venue); setValue("street", l.street); setValue("postcode", l.postcode); setValue("city", l.city);
    setValue("org_name", s.organizer.name); setValue("org_type", s.organizer.type); setValue("siret", s.organizer.siret);
    if (doc.contact) { setValue("email", doc.contact.email); setValue("phone", doc.contact.phone); }
    toggleOnline();
  }

  function announce(title, text) {
    document.getElementById("form-titre").textContent = title;
    document.title = title + " — Semaine de l'industrie";
    document.getElementById("mode").hidden = false;
    document.getElementById("mode-texte").textContent = text;
  }

  if (source) {
    fetch("/v1/submissions/" + encodeURIComponent(source), { headers: SdiJeton.headers(source) })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (doc) {
        if (!doc) {
          editing = null;
          announce("Inscrire un événement", "Cette inscription n'a pas pu être ouverte : revenez-y depuis le lien de votre courriel.");
          return;
        }
        if (editing) {
          fill(doc, 0);
          button.textContent = "Enregistrer la modification";
          announce("Modifier mon événement", "Vous modifiez « " + doc.submission.title +
            " » : elle sera vérifiée à nouveau une fois enregistrée.");
        } else {
          var nextYear = mode.get("quand") === "an";
          fill(doc, nextYear ? 364 : null);  // 52 weeks: the same weekday a year later
          announce("Dupliquer un événement", nextYear
            ? "Nouvelle inscription reprenant « " + doc.submission.title + " », un an plus tard (même jour de la semaine) : vérifiez les dates."
            : "Nouvelle inscription reprenant « " + doc.submission.title + " » : choisissez ses dates.");
        }
      });
  }

  // ---------------------------------------------------------------- commune completion
  var postcode = document.getElementById("postcode"), city = document.getElementById("city");
  var choices = document.getElementById("communes"), pending = null;
  function complete() {
    var pc = postcode.value.replace(/\s/g, ""), q = city.value.trim();
    var query = /^\d{5}$/.test(pc) ? "postcode=" + pc + (q ? "&q=" + encodeURIComponent(q) : "")
      : q.length >= 2 ? "q=" + encodeURIComponent(q) : null;
    if (!query) return;
    clearTimeout(pending);
    pending = setTimeout(function () {
      fetch("/v1/communes?" + query, { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { communes: [] }; })
        .then(function (b) {
          choices.innerHTML = "";
          b.communes.forEach(function (c) {
            var o = document.createElement("option");
            o.value = c.name; o.label = c.postcode + " " + c.name;
            choices.appendChild(o);
          });
          var names = b.communes.map(function (c) { return c.name; });
          if (/^\d{5}$/.test(pc) && !city.value.trim() && names.length &&
              names.every(function (n) { return n === names[0]; })) city.value = names[0];
          if (!/^\d{5}$/.test(pc) && b.communes.length) {
            var same = b.communes.filter(function (c) { return c.name === city.value.trim(); });
            if (same.length === 1) postcode.value = same[0].postcode;
          }
        }).catch(function () { /* completion is a help, never a blocker */ });
    }, 200);
  }
  postcode.addEventListener("input", complete);
  city.addEventListener("input", complete);

  var idempotencyKey = null;
  form.addEventListener("input", function () { idempotencyKey = null; });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors();
    SdiSeances.sort();
    // the same key on a retry of the same content: a double click never registers twice
    idempotencyKey = idempotencyKey || (window.crypto && crypto.randomUUID ? crypto.randomUUID()
                                         : String(Date.now()) + Math.random());
    button.disabled = true;
    var request = editing
      ? fetch("/v1/submissions/" + encodeURIComponent(editing), {
          method: "PUT", headers: SdiJeton.headers(editing, { "Content-Type": "application/json" }),
          body: JSON.stringify(payload()) })
      : fetch("/v1/submissions", {
          method: "POST",
          headers: { "Content-Type": "application/json", "Accept": "application/json",
                     "Idempotency-Key": idempotencyKey },
          body: JSON.stringify(payload()) });
    request.then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) { return [r, b]; });
    }).then(function (pair) {
      var r = pair[0], b = pair[1];
      if (r.status === 202 && editing) {
        location.assign("/organisateur/#id=" + encodeURIComponent(editing));
      } else if (r.status === 202) {
        form.hidden = true;
        SdiJeton.set(b.id, b.organizer_token);
        document.getElementById("lien-suivi").href = "/organisateur/#id=" + encodeURIComponent(b.id);
        var section = document.getElementById("suivi");
        section.hidden = false;
        document.getElementById("numero").textContent = b.id;
        document.getElementById("jeton").textContent = b.organizer_token;
        document.getElementById("statut").textContent = "Votre inscription est reçue.";
        document.getElementById("suivi-titre").focus();
        follow(b.id, b.organizer_token, 0);
      } else if (r.status === 422 && b.errors) {
        showErrors(b.errors);
      } else {
        var wait = r.headers.get("Retry-After");
        showErrors([{ field: "", message: (b.detail || b.title || "Erreur " + r.status) +
          (wait ? " (réessayez dans " + wait + " s)" : "") }], b.title || "L'envoi n'a pas abouti");
      }
    }).catch(function () {
      showErrors([{ field: "", message: "Le serveur ne répond pas. Vérifiez votre connexion et réessayez." }],
                 "L'envoi n'a pas abouti");
    }).then(function () { button.disabled = false; });
  });

  function toggleOnline() { document.getElementById("adresse").hidden = onlineBox.checked; }
  onlineBox.addEventListener("change", toggleOnline);
  toggleOnline();
})();
