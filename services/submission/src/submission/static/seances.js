// The sessions of the reference form ("Séances"): one row per session, each a fieldset with
// its start and end (datetime-local, the browser's time) and, past the first, a button that
// removes it. Rows are numbered in the page's order; ids, names and error slots follow the
// API's paths (row n° 2 is `timings.1`: `timings.1.starts_at-err`, `timings.1-err` for an
// overlap), so that the intake's field errors land next to their session.
(function () {
  "use strict";
  var MAX = 100;
  var fieldset, end, template, addButton, maxHint, announcer;

  function rows() { return Array.prototype.slice.call(fieldset.querySelectorAll(".sdi-seance")); }
  function parts(row) {
    var inputs = row.querySelectorAll("input");
    return { start: inputs[0], end: inputs[1], button: row.querySelector("button") };
  }

  function say(text) { announcer.textContent = text; }

  // ids, labels, error slots and the remove button's name after the row's place
  function renumber() {
    var all = rows();
    all.forEach(function (row, i) {
      var n = i + 1, path = "timings." + i;
      var line = row.querySelector("fieldset");
      line.setAttribute("data-field", path);
      line.setAttribute("aria-describedby", path + "-err");
      row.querySelector("legend").textContent = "Séance n° " + n;
      row.querySelector(".sdi-seance__erreur").id = path + "-err";
      [["sdi-debut", "starts_at"], ["sdi-fin", "ends_at"]].forEach(function (pair) {
        var group = row.querySelector("." + pair[0]);
        var input = group.querySelector("input"), id = pair[1] + "-" + n;
        group.setAttribute("data-field", path + "." + pair[1]);
        group.querySelector("label").htmlFor = id;
        input.id = id;
        input.name = id;
        input.setAttribute("aria-describedby", path + "." + pair[1] + "-err");
        group.querySelector(".fr-error-text").id = path + "." + pair[1] + "-err";
      });
      var button = parts(row).button;
      button.querySelector(".fr-sr-only").textContent = " n° " + n;
      row.querySelector(".sdi-seance__retrait").classList.toggle("sdi-seance__retrait--vide", i === 0);
    });
    addButton.disabled = all.length >= MAX;
    maxHint.hidden = all.length < MAX;
  }

  function add(values) {
    var row = template.content.firstElementChild.cloneNode(true);
    var p = parts(row);
    p.start.value = (values && values.start) || "";
    p.end.value = (values && values.end) || "";
    p.button.addEventListener("click", function () { remove(row); });
    fieldset.insertBefore(row, end);
    renumber();
    return row;
  }

  // Focus goes where the removed row stood: the next session, else the add button.
  function remove(row) {
    var n = rows().indexOf(row) + 1;
    var next = row.nextElementSibling;
    row.remove();
    renumber();
    say("Séance n° " + n + " retirée ; " + rows().length + " séance(s) restante(s).");
    (next && next.classList.contains("sdi-seance") ? parts(next).start : addButton).focus();
    fieldset.dispatchEvent(new Event("input", { bubbles: true }));  // the content changed
  }

  // every row replaced by `sessions` ([{start, end}] in the inputs' format); one empty if none
  function setAll(sessions) {
    rows().forEach(function (row) { row.remove(); });
    (sessions.length ? sessions : [{}]).forEach(add);
  }

  // The rows put in order of start (as the event keeps them; unreadable ones last), so that
  // the n-th row is the n-th timing sent and the numbers of the intake's messages match.
  function sort() {
    var keyed = rows().map(function (row, i) {
      var t = new Date(parts(row).start.value).getTime();
      return { row: row, key: isNaN(t) ? Infinity : t, i: i };
    });
    keyed.sort(function (a, b) { return a.key - b.key || a.i - b.i; });
    keyed.forEach(function (k) { fieldset.insertBefore(k.row, end); });
    renumber();
  }

  // [{start, end}] as typed (empty strings for empty fields), in the page's order
  function values() {
    return rows().map(function (row) {
      var p = parts(row);
      return { start: p.start.value, end: p.end.value };
    });
  }

  function init() {
    fieldset = document.getElementById("seances");
    end = document.getElementById("seances-fin");
    template = document.getElementById("seance-modele");
    addButton = document.getElementById("ajouter-seance");
    maxHint = document.getElementById("seances-max");
    announcer = document.getElementById("seances-annonce");
    addButton.addEventListener("click", function () {
      var row = add();
      say("Séance n° " + rows().length + " ajoutée.");
      parts(row).start.focus();
      fieldset.dispatchEvent(new Event("input", { bubbles: true }));
    });
    setAll([]);
  }

  window.SdiSeances = { init: init, setAll: setAll, sort: sort, values: values };
})();
