// The back office talks only to this service's documented API (/v1, see /docs): with the
// session cookie, and the CSRF token of the session on every change.
let csrf = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `Erreur ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

// Called on any 401 but the sign-in's own: the session is over, the page asks to sign in.
let onSignedOut = () => {};
export const whenSignedOut = (handler) => {
  onSignedOut = handler;
};

export async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, { title: "Service injoignable", detail: "Vérifiez votre connexion et réessayez." });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && path !== "/v1/session") {
      csrf = null;
      onSignedOut(new ApiError(401, data));
    }
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path) => request("GET", path);

export async function session() {
  const s = await get("/v1/session");
  csrf = s.csrf_token;
  return s;
}

export async function signIn(token) {
  const s = await request("POST", "/v1/session", { token });
  csrf = s.csrf_token;
  return s;
}

export async function signOut() {
  try {
    await request("DELETE", "/v1/session");
  } finally {
    csrf = null;
  }
}

export const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
};
