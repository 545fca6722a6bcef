// The batch-edit page: sign in, find and select tokens, fill the batch form (judged live by the server's own
// rules compiled to WebAssembly), preview the dry run, apply.

import init, {
  describeFields,
  formatUtc,
  rulesVersion,
  validateBody,
  validateField,
} from "./pkg/tokenbatch_wasm.js";
import { t, lang, setLang, initialLang, translateStatic, LANGS } from "./i18n.js";
import {
  call,
  loadSession,
  saveSession,
  clearSession,
  loadPendingApply,
  savePendingApply,
  ApiError,
} from "./api.js";
import { setQuotaPerUsd, valueText } from "./format.js";
import { TokenTable } from "./table.js";
import { BatchForm } from "./form.js";

const $ = (id) => document.getElementById(id);

const state = {
  session: null,
  /** The groups GET /api/user/self/groups returned: the server checks `group` against the same list. */
  allowedGroups: undefined,
  /** The database's narrower columns from GET /api/status ("allow_ips=191"), which the server applies too. */
  columnLimits: undefined,
  description: null,
  busy: false,
  /**
   * The Idempotency-Key of the last Apply whose fate is unknown ({ key, body, userId }): sent again when the same
   * user applies the same body, so a batch whose answer was lost is never applied twice, even after a reload.
   */
  pendingApply: loadPendingApply(),
};

const now = () => Date.now() / 1000;

const rules = {
  validateBody: (text) => JSON.parse(validateBody(text, lang(), now(), state.allowedGroups, state.columnLimits)),
  validateField: (name, json) =>
    JSON.parse(validateField(name, json, lang(), now(), state.allowedGroups, state.columnLimits)),
  formatUtc: (seconds) => formatUtc(seconds),
};

function show(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

/** A failed call in words: what happened and that the form is intact. */
function describeError(error) {
  if (!(error instanceof ApiError)) return t("networkError", { error: String(error) });
  switch (error.kind) {
    case "network":
      return t("networkError", { error: error.message });
    case "auth":
      return t("sessionExpired", { message: error.message });
    case "rejected":
      return t("serverRejected", { message: error.message });
    default:
      return t("httpError", { status: error.status, message: error.message });
  }
}

function showError(error, element) {
  show(element, describeError(error));
}

// ---- language ------------------------------------------------------------------------------------------

function applyLanguage(tag) {
  setLang(tag);
  translateStatic();
  $("lang").value = lang();
  if (state.session) $("signed-in-as").textContent = t("signedInAs", { id: state.session.userId });
  state.description = JSON.parse(describeFields(lang()));
  form.describe(state.description);
  table.render();
  renderVerdict(form.verdict);
}

// ---- the rules module and the server's version -------------------------------------------------------

/** Tells the user when the cached module is not the one the server runs (a stale browser cache). */
async function checkVersion() {
  try {
    const status = await call(null, "GET", "/api/status");
    const server = status.data.rules_version;
    const page = rulesVersion();
    const limits = status.data.column_limits ?? {};
    state.columnLimits = Object.entries(limits).map(([field, max]) => `${field}=${max}`);
    form.validate();
    show($("version-warning"), server === page ? "" : t("staleModule", { page, server }));
  } catch (error) {
    show($("version-warning"), t("statusUnreachable", { error: describeError(error) }));
  }
}

// ---- session ---------------------------------------------------------------------------------------------

async function signIn(session) {
  // The groups route needs the identity headers, so it doubles as the credentials check.
  const groups = await call(session, "GET", "/api/user/self/groups");
  state.session = session;
  state.allowedGroups = Object.keys(groups.data ?? {});
  saveSession(session);
  form.setGroups(state.allowedGroups);
  $("signed-in-as").textContent = t("signedInAs", { id: session.userId });
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("sign-out").hidden = false;
  await table.load(1);
  form.validate();
}

function signOut() {
  clearSession();
  state.session = null;
  state.allowedGroups = undefined;
  $("workspace").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  $("access-token").value = "";
  $("user-id").focus();
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = $("sign-in-button");
  const session = { userId: $("user-id").value.trim(), accessToken: $("access-token").value.trim() };
  button.disabled = true;
  button.textContent = t("signingIn");
  show($("sign-in-error"), "");
  try {
    await signIn(session);
  } catch (error) {
    const message = error instanceof ApiError && error.kind === "auth" ? t("signInFailed", { message: error.message }) : describeError(error);
    show($("sign-in-error"), message);
  } finally {
    button.disabled = false;
    button.textContent = t("signIn");
  }
});
$("sign-out").addEventListener("click", signOut);

// ---- the table and the form ------------------------------------------------------------------------------

const table = new TokenTable($("tokens"), {
  fetchPage: async ({ keyword, token, page, size }) => {
    const searching = keyword || token;
    const path = searching ? "/api/token/search" : "/api/token/";
    const query = searching ? { keyword, token, p: page, size } : { p: page, size };
    return (await call(state.session, "GET", path, { query })).data;
  },
  onChange: () => form.validate(),
  onError: showError,
  maxIds: 10000,
});

const form = new BatchForm($("batch"), {
  rules,
  getIds: () => table.selectedIds(),
  onVerdict: renderVerdict,
});

function renderVerdict(verdict) {
  const blocked = !verdict || !verdict.ok;
  for (const button of [$("preview"), $("apply")]) button.disabled = blocked || state.busy || !state.session;
  show($("form-blocked"), verdict && blocked ? t("formBlocked") : "");
}

// ---- preview and apply -------------------------------------------------------------------------------------

/** 32 hex characters from the browser's CSPRNG (crypto.randomUUID exists only on https and localhost pages). */
function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * The key for applying `body`: the pending one when the same user applies the same body after an attempt that
 * got no definitive answer (the server then answers the first attempt again, or applies the batch if it never
 * arrived), a new one otherwise.
 */
function idempotencyKeyFor(body) {
  const userId = state.session.userId;
  const pending = state.pendingApply;
  if (pending && pending.body === body && pending.userId === userId) return pending.key;
  setPendingApply({ key: newIdempotencyKey(), body, userId });
  return state.pendingApply.key;
}

function setPendingApply(pending) {
  state.pendingApply = pending;
  savePendingApply(pending);
}

/**
 * Whether a failed apply may have been applied all the same: no answer at all, a server error or timeout (HTTP
 * 5xx, 408), or a success status whose body was lost. A refusal (success:false), a 401 or another 4xx is
 * definitive: nothing was written.
 */
function outcomeUnknown(error) {
  if (!(error instanceof ApiError)) return false;
  if (error.kind === "network") return true;
  return error.kind === "http" && (error.status >= 500 || error.status === 408 || error.status < 400);
}

async function send(dryRun) {
  const verdict = form.validate();
  if (!verdict?.ok || state.busy) return;
  const body = form.bodyText();
  const query = dryRun ? { validate_only: "true" } : { details: "true" };
  const clicked = dryRun ? $("preview") : $("apply");
  const label = clicked.textContent;
  state.busy = true;
  renderVerdict(verdict);
  clicked.textContent = t("working");
  const result = $("result");
  result.hidden = false;
  const headers = dryRun ? {} : { "Idempotency-Key": idempotencyKeyFor(body) };
  try {
    const envelope = await call(state.session, "PUT", "/api/token/batch", { query, body, headers });
    if (!dryRun) setPendingApply(null);
    renderResult(envelope, dryRun);
    if (!dryRun) await table.load();
  } catch (error) {
    const unknown = !dryRun && outcomeUnknown(error);
    if (!dryRun && !unknown) setPendingApply(null);
    renderFailure(error, unknown);
  } finally {
    state.busy = false;
    clicked.textContent = label;
    renderVerdict(form.validate());
    $("result-title").focus();
  }
}

$("preview").addEventListener("click", () => send(true));
$("apply").addEventListener("click", () => send(false));
$("batch-form").addEventListener("submit", (event) => event.preventDefault());

/** `unknown`: an apply that may have been applied; the pending key makes clicking Apply again safe. */
function renderFailure(error, unknown) {
  const summary = $("result-summary");
  summary.className = "error";
  summary.setAttribute("role", "alert");
  summary.textContent = unknown ? `${describeError(error)} ${t("retrySafe")}` : describeError(error);
  $("result-replayed").hidden = true;
  $("result-dataset").replaceChildren();
  const list = $("result-errors");
  list.replaceChildren();
  for (const item of error.envelope?.errors ?? []) {
    const line = document.createElement("li");
    line.dataset.code = item.code;
    line.textContent = item.message;
    list.append(line);
  }
  $("result-warnings").replaceChildren();
}

function renderResult(envelope, dryRun) {
  const summary = $("result-summary");
  summary.className = "success";
  summary.removeAttribute("role");
  summary.textContent = t(dryRun ? "previewSummary" : "applySummary", {
    changed: envelope.data,
    unchanged: envelope.unchanged,
  });
  // A retry with the pending key: the server wrote nothing this time and answered the first attempt again.
  const replayed = $("result-replayed");
  replayed.textContent = t("replayedNote");
  replayed.hidden = dryRun || envelope.replayed !== true;
  $("result-errors").replaceChildren();
  const warnings = $("result-warnings");
  warnings.replaceChildren();
  for (const warning of envelope.warnings ?? []) {
    const line = document.createElement("li");
    line.className = "warning";
    line.dataset.code = warning.code;
    line.textContent = warning.message;
    warnings.append(line);
  }
  renderChanges(envelope.results ?? [], dryRun);
}

/**
 * Result rows shown at first and added per click: with 10 000 rows listed, building the list took about 1 s in
 * Chromium and every later change of the page (the token table's reload) another 1.3 s.
 */
const RESULT_ROWS_STEP = 500;

/** One row per token: outcome and every value that differs, before → after; the first rows, then more on demand. */
function renderChanges(results, dryRun) {
  const labels = form.labels();
  labels.set("status", t("fieldStatus"));
  const tableElement = document.createElement("table");
  tableElement.className = "changes";
  const head = tableElement.createTHead().insertRow();
  for (const key of ["colId", "colName", "colOutcome", "colChanges"]) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = t(key);
    head.append(cell);
  }
  const body = tableElement.createTBody();
  const appendRows = (from, to) => {
    for (const item of results.slice(from, to)) appendChangeRow(body, item, dryRun, labels);
  };
  let shown = Math.min(results.length, RESULT_ROWS_STEP);
  appendRows(0, shown);
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  wrap.tabIndex = 0;
  wrap.append(tableElement);
  const more = document.createElement("button");
  more.type = "button";
  more.id = "result-more";
  const labelMore = () => {
    const remaining = results.length - shown;
    more.textContent = t("showMoreResults", { count: Math.min(RESULT_ROWS_STEP, remaining), remaining });
    more.hidden = remaining === 0;
  };
  more.addEventListener("click", () => {
    const next = Math.min(results.length, shown + RESULT_ROWS_STEP);
    appendRows(shown, next);
    shown = next;
    labelMore();
  });
  labelMore();
  $("result-dataset").replaceChildren(wrap, more);
}

/** The row of one token's result. */
function appendChangeRow(body, item, dryRun, labels) {
  const row = body.insertRow();
  row.dataset.id = String(item.id);
  row.dataset.outcome = item.outcome;
  row.insertCell().textContent = String(item.id);
  row.insertCell().textContent = table.nameOf(item.id);
  const updated = item.outcome === "updated";
  row.insertCell().textContent = t(updated ? (dryRun ? "outcomeWillUpdate" : "outcomeUpdated") : "outcomeUnchanged");
  const changes = row.insertCell();
  const list = document.createElement("ul");
  list.className = "diff";
  for (const [field, before] of Object.entries(item.before)) {
    const after = item.after[field];
    if (before === after) continue;
    const line = document.createElement("li");
    line.dataset.field = field;
    const name = document.createElement("span");
    name.className = "diff-field";
    name.textContent = `${labels.get(field) ?? field}: `;
    const was = document.createElement("del");
    was.textContent = valueText(field, before);
    const arrow = document.createTextNode(" → ");
    const became = document.createElement("ins");
    became.textContent = valueText(field, after);
    line.append(name, was, arrow, became);
    list.append(line);
  }
  if (list.children.length === 0) changes.textContent = t("noChanges");
  else changes.append(list);
}

// ---- start -------------------------------------------------------------------------------------------------

for (const { tag, name } of LANGS) {
  const option = document.createElement("option");
  option.value = tag;
  option.textContent = name;
  $("lang").append(option);
}
$("lang").addEventListener("change", (event) => applyLanguage(event.target.value));

async function start() {
  setLang(initialLang());
  translateStatic();
  try {
    await init();
  } catch (error) {
    show($("version-warning"), t("moduleLoadFailed", { error: String(error) }));
    return;
  }
  state.description = JSON.parse(describeFields(lang()));
  setQuotaPerUsd(state.description.quota_per_usd);
  table.maxIds = state.description.max_ids;
  applyLanguage(lang());
  $("rules-version").textContent = rulesVersion();
  await checkVersion();
  // Ready once the server's column limits and version are known: a form checked before would not be the
  // form the server checks.
  $("app").dataset.ready = "true";
  const saved = loadSession();
  if (saved) {
    $("user-id").value = saved.userId;
    try {
      await signIn(saved);
    } catch (error) {
      show($("sign-in-error"), describeError(error));
    }
  }
}

start();
