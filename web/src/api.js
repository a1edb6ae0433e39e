// api.js - the calls the pages make: the server's public endpoints (/engine-rest, /api) with
// the logged-in user's Basic credentials, kept for this browser tab only (sessionStorage).

const KEY = "bpmnrt.credentials";

export class ApiError extends Error {
  constructor(status, message, type) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

function encode(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

export function session() {
  try { return JSON.parse(sessionStorage.getItem(KEY)); } catch { return null; }
}

export function logout() {
  sessionStorage.removeItem(KEY);
}

// Checks the credentials on an endpoint every user may call (their own work list).
export async function login(user, password) {
  const s = { user, auth: encode(user, password) };
  const res = await fetch("/api/worklist?maxResults=1", { headers: { Authorization: "Basic " + s.auth }, credentials: "omit" });
  if (res.status === 401) throw new ApiError(401, "The user name or password is not accepted.");
  if (!res.ok) throw new ApiError(res.status, `The server answered ${res.status}.`);
  sessionStorage.setItem(KEY, JSON.stringify(s));
  return s;
}

// api("GET", "/engine-rest/task") -> the parsed answer (null for 204); throws ApiError.
export async function api(method, path, body) {
  const s = session();
  const headers = {};
  if (s) headers.Authorization = "Basic " + s.auth;
  // credentials "omit": the app sends its own Authorization header, and a 401 must come back
  // to the app rather than open the browser's own login dialog.
  const init = { method, headers, credentials: "omit" };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { init.body = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
  const res = await fetch(path, init);
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const msg = (json && json.message) || text || `HTTP ${res.status}`;
    if (res.status === 401) { logout(); }
    throw new ApiError(res.status, msg, json && json.type);
  }
  if (json === null && text && !res.headers.get("content-type")?.includes("json")) return text;
  return json;
}

export const get = (path) => api("GET", path);
export const q = encodeURIComponent;
