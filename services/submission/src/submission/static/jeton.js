// The organiser's token, from the link a mail carries: /organisateur/#id=<id>&jeton=<token>.
// A URL's fragment is never sent to the server (nor written to its logs); the token is kept
// in this tab's sessionStorage only, and the fragment is wiped from the address bar and the
// history at once (a copied or bookmarked address does not carry it).
(function () {
  "use strict";
  var PREFIX = "sdi-jeton:";
  function params() {
    return new URLSearchParams(location.hash.replace(/^#/, ""));
  }
  function set(id, token) { try { sessionStorage.setItem(PREFIX + id, token); } catch (e) { /* private mode */ } }
  function get(id) { try { return sessionStorage.getItem(PREFIX + id); } catch (e) { return null; } }
  // Read the fragment: keep the token, leave only what is not secret in the address.
  function take() {
    var p = params();
    var id = p.get("id"), token = p.get("jeton");
    if (id && token) {
      set(id, token);
      p.delete("jeton");
      history.replaceState(null, "", location.pathname + location.search + "#" + p.toString());
    }
    return p;
  }
  function headers(id, extra) {
    var h = { "Accept": "application/json", "Authorization": "Bearer " + (get(id) || "") };
    Object.keys(extra || {}).forEach(function (k) { h[k] = extra[k]; });
    return h;
  }
  window.SdiJeton = { take: take, get: get, set: set, params: params, headers: headers };
})();
