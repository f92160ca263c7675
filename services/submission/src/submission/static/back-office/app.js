// The back office: sign in with the operator token, then the queue, a submission or the
// statistics, by the page's path. Every figure and action comes from the /v1 API.
import { ApiError, session, signIn, signOut, whenSignedOut } from "./api.js";
import { announce } from "./dom.js";
import { showQueue } from "./queue.js";
import { showStatistics } from "./statistics.js";
import { showSubmission } from "./submission.js";

const $ = (id) => document.getElementById(id);
const view = $("vue");

function route() {
  const path = location.pathname;
  const submission = path.match(/^\/back-office\/inscriptions\/([^/]+)$/);
  if (submission) return (ctx) => showSubmission(ctx, decodeURIComponent(submission[1]));
  if (path === "/back-office/statistiques") return showStatistics;
  return showQueue;
}

function signedIn(s) {
  $("connexion").hidden = true;
  $("outils").hidden = false;
  $("operateur").textContent = s.operator;
  $("perimetre").textContent = s.scope.national ? "(national)" : `(${s.scope.label})`;
  const current = location.pathname === "/back-office/statistiques" ? "nav-stats" : "nav-file";
  for (const id of ["nav-file", "nav-stats"]) {
    if (id === current) $(id).setAttribute("aria-current", "page");
    else $(id).removeAttribute("aria-current");
  }
}

function askToSignIn(reason) {
  view.replaceChildren();
  $("outils").hidden = true;
  $("connexion").hidden = false;
  document.title = "Connexion — Back-office de la Semaine de l'industrie";
  const error = $("connexion-erreur");
  if (reason) {
    $("connexion-erreur-titre").textContent = reason.title;
    $("connexion-erreur-texte").textContent = reason.detail;
    error.hidden = false;
    error.focus();
  } else {
    error.hidden = true;
    $("jeton").focus();
  }
}

async function start() {
  let current;
  try {
    current = await session();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      const over = err.problem?.type?.endsWith("/session-over");
      askToSignIn(over ? { title: err.problem.title, detail: err.problem.detail } : null);
      return;
    }
    view.replaceChildren(document.createTextNode(err.message));
    return;
  }
  signedIn(current);
  await route()({ session: current, view });
}

$("connexion-form").addEventListener("submit", async (event) => {
  event.preventDefault(); // the token never leaves in a URL: only in the JSON body below
  const input = $("jeton");
  const token = input.value.trim();
  if (!token) {
    askToSignIn({ title: "Jeton manquant", detail: "Saisissez votre jeton opérateur." });
    return;
  }
  try {
    await signIn(token);
  } catch (err) {
    input.value = "";
    const p = err.problem || {};
    askToSignIn({ title: p.title || "Connexion impossible", detail: p.detail || err.message });
    return;
  }
  input.value = "";
  announce("Connecté.");
  await start();
  $("contenu").focus();
});

$("deconnexion").addEventListener("click", async () => {
  try {
    await signOut();
  } catch {
    // the session may be over already: signed out all the same
  }
  askToSignIn(null);
  announce("Déconnecté.");
});

whenSignedOut((err) => askToSignIn({ title: err.problem?.title || "Session terminée", detail: err.problem?.detail || "" }));

start();
