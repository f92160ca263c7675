// Reference form: posts the submission as JSON, then follows its status (polling GET with
// the organiser token) and explains it in plain French. No framework, no build step.
(function () {
  "use strict";
  var form = document.getElementById("inscription");
  var errorBox = document.getElementById("erreurs");
  var errorList = document.getElementById("erreurs-liste");
  var button = document.getElementById("envoyer");
  var FINAL = ["rejected", "published", "location_unresolved", "withdrawn"];

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

  function payload() {
    var online = document.getElementById("online").checked;
    var audiences = Array.prototype.map.call(
      form.querySelectorAll("input[name=audiences]:checked"), function (i) { return i.value; });
    var body = {
      title: value("title") || "",
      description: value("description") || "",
      kind: value("kind"),
      starts_at: withOffset(value("starts_at")),
      ends_at: withOffset(value("ends_at")),
      audiences: audiences,
      is_free: document.getElementById("is_free").checked,
      informs_about_industry: document.getElementById("informs_about_industry").checked,
      online: online,
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
      var field = (e.field || "").replace(/\.\d+$/, "");
      var target = document.getElementById(field + "-err");
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

  var idempotencyKey = null;
  form.addEventListener("input", function () { idempotencyKey = null; });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors();
    // the same key on a retry of the same content: a double click never registers twice
    idempotencyKey = idempotencyKey || (window.crypto && crypto.randomUUID ? crypto.randomUUID()
                                         : String(Date.now()) + Math.random());
    button.disabled = true;
    fetch("/v1/submissions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "Idempotency-Key": idempotencyKey },
      body: JSON.stringify(payload())
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (b) { return [r, b]; });
    }).then(function (pair) {
      var r = pair[0], b = pair[1];
      if (r.status === 202) {
        form.hidden = true;
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

  var onlineBox = document.getElementById("online");
  function toggleOnline() { document.getElementById("adresse").hidden = onlineBox.checked; }
  onlineBox.addEventListener("change", toggleOnline);
  toggleOnline();
})();
