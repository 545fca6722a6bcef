// Talking to the tokenbatch server: new-api's identity headers, its envelope, and errors a person can read.

import { lang } from "./i18n.js";

const SESSION_KEY = "tokenbatch.session";

/** The object stored as JSON under `key` in this tab's sessionStorage whose `fields` are all strings, or null. */
function loadStored(key, fields) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(key) ?? "null");
    if (saved && fields.every((field) => typeof saved[field] === "string")) return saved;
  } catch {
    // A corrupt entry is the same as none.
  }
  return null;
}

/** The signed-in user's id and system access token, from this tab's sessionStorage only. */
export function loadSession() {
  return loadStored(SESSION_KEY, ["userId", "accessToken"]);
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

const PENDING_APPLY_KEY = "tokenbatch.pendingApply";

/**
 * The Apply whose answer was lost ({ key, body, userId }), kept in this tab's sessionStorage so that a reload
 * does not forget its Idempotency-Key: the same batch applied again after a reload is answered, not re-applied.
 */
export function loadPendingApply() {
  return loadStored(PENDING_APPLY_KEY, ["key", "body", "userId"]);
}

/** Remembers `pending`, or forgets the pending Apply when `pending` is null. */
export function savePendingApply(pending) {
  if (pending) sessionStorage.setItem(PENDING_APPLY_KEY, JSON.stringify(pending));
  else sessionStorage.removeItem(PENDING_APPLY_KEY);
}

/**
 * Why a call failed. `kind`: "network" (no answer), "auth" (HTTP 401), "http" (another non-2xx without
 * the envelope) or "rejected" (the envelope said success:false). `envelope` is the server's answer if any.
 */
export class ApiError extends Error {
  constructor(kind, message, { status = 0, envelope = null } = {}) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.envelope = envelope;
  }
}

/**
 * One call: `path` with `query` (lang added) and any `headers` of the caller's (e.g. Idempotency-Key), JSON
 * answer in new-api's envelope. Resolves to the envelope when success is true, rejects with an ApiError
 * otherwise.
 */
export async function call(session, method, path, { query = {}, body, headers: extra = {} } = {}) {
  const params = new URLSearchParams({ ...query, lang: lang() });
  const headers = { ...extra, Accept: "application/json" };
  if (session) {
    headers.Authorization = `Bearer ${session.accessToken}`;
    headers["New-Api-User"] = session.userId;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`${path}?${params}`, { method, headers, body, cache: "no-store" });
  } catch (error) {
    throw new ApiError("network", error instanceof Error ? error.message : String(error));
  }
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    // Not JSON (a proxy's error page, a cut connection): reported below with the HTTP status.
  }
  const hasEnvelope = envelope && typeof envelope === "object" && "success" in envelope;
  if (response.status === 401) {
    throw new ApiError("auth", hasEnvelope ? envelope.message : response.statusText, {
      status: 401,
      envelope,
    });
  }
  if (!hasEnvelope) {
    throw new ApiError("http", response.statusText || "no JSON answer", { status: response.status });
  }
  if (!envelope.success) {
    const kind = response.ok ? "rejected" : "http";
    throw new ApiError(kind, envelope.message, { status: response.status, envelope });
  }
  return envelope;
}
