// The import page: sends the spreadsheet to POST /v1/submissions/import (a dry run first, or
// for real) and shows the answer of every row; the result, tokens included, downloads as a
// CSV that a spreadsheet opens as it is (BOM, ";", formulas neutralised). No framework.
(function () {
  "use strict";
  var form = document.getElementById("import");
  var file = document.getElementById("fichier");
  var email = document.getElementById("importer_email");
  var errorBox = document.getElementById("erreur");
  var errorTitle = document.getElementById("erreur-titre");
  var errorList = document.getElementById("erreur-liste");
  var result = document.getElementById("resultat");
  var rowsBody = document.getElementById("lignes");
  var buttons = form.querySelectorAll("button[type=submit]");
  var last = null;

  var ACTIONS = {
    created: ["Créé", "success"], updated: ["Mis à jour", "info"], unchanged: ["Inchangé", "new fr-badge--no-icon"],
    refused: ["Refusé", "error"], valid: ["Valide", "success"], invalid: ["À corriger", "error"]
  };

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text != null) node.textContent = text;
    return node;
  }

  function fieldError(id, message) {
    var input = document.getElementById(id);
    var p = document.getElementById(id + "-err");
    input.setAttribute("aria-invalid", message ? "true" : "false");
    input.closest(".fr-upload-group, .fr-input-group").classList.toggle(
      input.id === "fichier" ? "fr-upload-group--error" : "fr-input-group--error", Boolean(message));
    p.hidden = !message;
    p.textContent = message || "";
  }

  function showError(title, messages) {
    errorTitle.textContent = title;
    errorList.replaceChildren.apply(errorList, messages.map(function (m) { return el("li", null, m); }));
    errorBox.hidden = false;
    errorBox.focus();
  }

  function problem(answer, body) {
    if (answer.status === 422 && body && body.errors) {
      var mine = body.errors.filter(function (e) { return e.field === "importer_email"; });
      if (mine.length) { fieldError("importer_email", mine[0].message); email.focus(); return; }
      showError("Le fichier n'a pas pu être lu", body.errors.map(function (e) { return e.message; }));
    } else if (answer.status === 413) {
      showError("Fichier trop volumineux", [(body && body.detail) || "Coupez-le en plusieurs fichiers."]);
    } else if (answer.status === 429 || answer.status === 503) {
      showError("Réessayez dans un instant", [(body && body.detail) || "Le service est momentanément occupé."]);
    } else {
      showError("L'import a échoué", [(body && (body.detail || body.title)) || ("Erreur " + answer.status)]);
    }
  }

  function plural(n, one, many) { return n + " " + (n > 1 ? many : one); }

  function summary(answer) {
    var c = answer.counts;
    if (answer.dry_run) {
      return c.refused
        ? plural(c.valid, "ligne valide", "lignes valides") + ", " + plural(c.refused, "ligne à corriger", "lignes à corriger") + " : rien n'a été créé."
        : "Les " + plural(c.valid, "ligne est valide", "lignes sont valides") + " : rien n'a été créé, vous pouvez importer le fichier.";
    }
    return [plural(c.created, "événement créé", "événements créés"), plural(c.updated, "mis à jour", "mis à jour"),
      plural(c.unchanged, "inchangé", "inchangés"), plural(c.refused, "ligne refusée", "lignes refusées")].join(", ") + ".";
  }

  function detail(row, dryRun) {
    var cell = el("td");
    if (row.errors.length) {
      var ul = el("ul");
      row.errors.forEach(function (e) { ul.append(el("li", null, (e.field ? e.field + " : " : "") + e.message)); });
      cell.append(ul);
    }
    if (row.id) {
      var p = el("p", "fr-text--sm fr-mb-0");
      p.append((dryRun ? "Déjà importé, sera mis à jour : " : "Numéro : "), el("code", null, row.id));
      cell.append(p);
    }
    if (row.organizer_token) {
      var t = el("p", "fr-text--sm fr-mb-0");
      t.append("Jeton de suivi : ", el("code", null, row.organizer_token));
      cell.append(t);
    }
    return cell;
  }

  function render(answer) {
    last = answer;
    document.getElementById("resume").textContent = summary(answer);
    document.getElementById("conseil").textContent = answer.dry_run
      ? "Corrigez les lignes signalées dans votre tableur, puis vérifiez de nouveau ou importez : seules les lignes valides seront importées."
      : "Chaque événement créé est maintenant examiné pour le label ; son organisateur en reçoit le suivi.";
    document.getElementById("jetons").hidden = !answer.rows.some(function (r) { return r.organizer_token; });
    var fragment = document.createDocumentFragment();
    answer.rows.forEach(function (row) {
      var tr = el("tr");
      var line = el("td", null, String(row.line));
      var ref = el("td", null, row.external_id || "—");
      line.dataset.label = "Ligne";
      ref.dataset.label = "Référence";
      tr.append(line, ref);
      var state = answer.dry_run ? (row.ok ? "valid" : "invalid") : (row.action || "refused");
      var td = el("td");
      td.dataset.label = "Résultat";
      td.append(el("span", "fr-badge fr-badge--sm fr-badge--" + ACTIONS[state][1], ACTIONS[state][0]));
      tr.append(td, detail(row, answer.dry_run));
      fragment.append(tr);
    });
    rowsBody.replaceChildren(fragment);
    result.hidden = false;
    document.getElementById("resultat-titre").focus();
  }

  // A cell a spreadsheet would run as a formula gets a leading apostrophe (as the service's exports).
  function csvCell(value) {
    var text = value == null ? "" : String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    return /[";\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  document.getElementById("telecharger").addEventListener("click", function () {
    if (!last) return;
    var lines = [["ligne", "identifiant_externe", "resultat", "numero", "jeton_de_suivi", "erreurs"]];
    last.rows.forEach(function (r) {
      lines.push([r.line, r.external_id, last.dry_run ? (r.ok ? "valide" : "à corriger") : ACTIONS[r.action || "refused"][0],
        r.id, r.organizer_token, r.errors.map(function (e) { return (e.field ? e.field + " : " : "") + e.message; }).join(" | ")]);
    });
    var text = "\ufeff" + lines.map(function (l) { return l.map(csvCell).join(";"); }).join("\r\n") + "\r\n";
    var link = el("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    link.download = last.dry_run ? "verification-import.csv" : "resultat-import.csv";
    document.body.append(link);
    link.click();
    link.remove();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var dryRun = !event.submitter || event.submitter.value === "dry";
    errorBox.hidden = true;
    fieldError("fichier", null);
    fieldError("importer_email", null);
    if (!file.files.length) {
      fieldError("fichier", "Choisissez le fichier CSV à importer.");
      file.focus();
      return;
    }
    var data = new FormData();
    data.append("file", file.files[0]);
    if (email.value.trim()) data.append("importer_email", email.value.trim());
    buttons.forEach(function (b) { b.disabled = true; });
    var busy = event.submitter || buttons[0];
    var label = busy.textContent;
    busy.textContent = dryRun ? "Vérification…" : "Import en cours…";
    fetch("/v1/submissions/import" + (dryRun ? "?dry_run=true" : ""), { method: "POST", body: data })
      .then(function (answer) {
        return answer.json().catch(function () { return null; }).then(function (body) {
          if (answer.ok) render(body); else problem(answer, body);
        });
      })
      .catch(function () { showError("L'import a échoué", ["Le service n'a pas répondu : vérifiez votre connexion et réessayez."]); })
      .finally(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        busy.textContent = label;
      });
  });
})();
