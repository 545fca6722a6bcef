// @ts-check
// Talking to the tokenbatch server: new-api's identity headers, its envelope, and errors a person can read.

import { lang } from "./i18n.js";

/** @import { Envelope, PendingApply, Session } from "./types.js" */

const SESSION_KEY = "tokenbatch.session";

/**
 * The object stored as JSON under `key` in this tab's sessionStorage whose `fields` are all strings, or null.
 * @param {string} key
 * @param {string[]} fields
 * @returns {Record<string, string> | null}
 */
function loadStored(key, fields) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(key) ?? "null");
    if (saved && fields.every((field) => typeof saved[field] === "string")) return saved;
  } catch {
    // A corrupt entry is the same as none.
  }
  return null;
}

/**
 * The signed-in user's id and system access token, from this tab's sessionStorage only.
 * @returns {Session | null}
 */
export function loadSession() {
  return /** @type {Session | null} */ (loadStored(SESSION_KEY, ["userId", "accessToken"]));
}

/** @param {Session} session */
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
 * @returns {PendingApply | null}
 */
export function loadPendingApply() {
  return /** @type {PendingApply | null} */ (loadStored(PENDING_APPLY_KEY, ["key", "body", "userId"]));
}

/**
 * Remembers `pending`, or forgets the pending Apply when `pending` is null.
 * @param {PendingApply | null} pending
 */
export function savePendingApply(pending) {
  if (pending) sessionStorage.setItem(PENDING_APPLY_KEY, JSON.stringify(pending));
  else sessionStorage.removeItem(PENDING_APPLY_KEY);
}

/** @typedef {"network" | "auth" | "http" | "rejected" | "cancelled"} ApiErrorKind */

/**
 * Why a call failed. `kind`: "network" (no answer), "auth" (HTTP 401), "http" (another non-2xx without
 * the envelope), "rejected" (the envelope said success:false) or "cancelled" (the caller aborted it: only a call
 * that writes nothing is ever given a signal). `envelope` is the server's answer if any.
 */
export class ApiError extends Error {
  /**
   * @param {ApiErrorKind} kind
   * @param {string} message
   * @param {{ status?: number, envelope?: Envelope | null }} [details]
   */
  constructor(kind, message, { status = 0, envelope = null } = {}) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.envelope = envelope;
  }
}

/** Whether a parsed answer is new-api's envelope (an object with `success`), not a proxy's JSON. */
function isEnvelope(/** @type {unknown} */ answer) {
  return Boolean(answer && typeof answer === "object" && "success" in answer);
}

/**
 * One call: `path` with `query` (lang added) and any `headers` of the caller's (e.g. Idempotency-Key), JSON
 * answer in new-api's envelope. Resolves to the envelope when success is true, rejects with an ApiError
 * otherwise. The envelope's `data` is the route's: callers read it as that route's answer type (types.js).
 * `signal`: aborts the call (a Cancel of progress.js), which then rejects with kind "cancelled".
 * @param {Session | null} session
 * @param {string} method
 * @param {string} path
 * @param {{ query?: Record<string, string | number>, body?: string, headers?: Record<string, string>,
 *   signal?: AbortSignal }} [options]
 * @returns {Promise<Envelope>}
 */
export async function call(session, method, path, { query = {}, body, headers: extra = {}, signal } = {}) {
  // URLSearchParams writes numbers (the page number) as String() does.
  const params = new URLSearchParams(/** @type {Record<string, string>} */ ({ ...query, lang: lang() }));
  /** @type {Record<string, string>} */
  const headers = { ...extra, Accept: "application/json" };
  if (session) {
    headers.Authorization = `Bearer ${session.accessToken}`;
    headers["New-Api-User"] = session.userId;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(`${path}?${params}`, { method, headers, body, cache: "no-store", signal });
  } catch (error) {
    if (signal?.aborted) throw new ApiError("cancelled", "cancelled");
    throw new ApiError("network", error instanceof Error ? error.message : String(error));
  }
  /** @type {unknown} */
  let answer = null;
  try {
    answer = await response.json();
  } catch {
    if (signal?.aborted) throw new ApiError("cancelled", "cancelled");
    // Not JSON (a proxy's error page, a cut connection): reported below with the HTTP status.
  }
  // Only new-api's envelope is read further (and kept on the error); any other JSON counts as none.
  const envelope = isEnvelope(answer) ? /** @type {Envelope} */ (answer) : null;
  if (response.status === 401) {
    throw new ApiError("auth", envelope ? envelope.message : response.statusText, {
      status: 401,
      envelope,
    });
  }
  if (!envelope) {
    throw new ApiError("http", response.statusText || "no JSON answer", { status: response.status });
  }
  if (!envelope.success) {
    const kind = response.ok ? "rejected" : "http";
    throw new ApiError(kind, envelope.message, { status: response.status, envelope });
  }
  return envelope;
}

/** 32 hex characters from the browser's CSPRNG (crypto.randomUUID exists only on https and localhost pages). */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether a failed apply may have been applied all the same: no answer at all, a server error or timeout (HTTP
 * 5xx, 408), or a success status whose body was lost. A refusal (success:false), a 401 or another 4xx is
 * definitive: nothing was written.
 * @param {unknown} error
 */
export function outcomeUnknown(error) {
  if (!(error instanceof ApiError)) return false;
  if (error.kind === "network") return true;
  return error.kind === "http" && (error.status >= 500 || error.status === 408 || error.status < 400);
}
