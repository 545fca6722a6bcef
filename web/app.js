// @ts-check
// The batch-edit page: sign in, find and select tokens, pick the fields to change in the Edit panel (judged live
// by the server's own rules compiled to WebAssembly), preview the dry run, apply.

import init, {
  formatUtc,
  rulesVersion,
  validateBody,
  validateField,
  validateFilter,
} from "./pkg/tokenbatch_wasm.js";
import { t, lang, setLang, initialLang, translateStatic, LANGS } from "./i18n.js";
import {
  call,
  loadSession,
  saveSession,
  clearSession,
  loadPendingApply,
  ApiError,
} from "./api.js";
import { setQuotaPerUsd, unitsPerUsd } from "./format.js";
import { TokenTable } from "./table.js";
import { FilterPanel } from "./filters.js";
import { BatchForm } from "./form.js";
import { EditPanel } from "./edit-panel.js";
import { ResultView } from "./result.js";
import { BatchActions } from "./batch.js";
import { ConfirmDialog, applyTexts } from "./confirm.js";
import { Exporter } from "./export.js";
import { labelled } from "./messages.js";
import { describe, labelsFor, wording } from "./labels.js";
import { Views } from "./views.js";
import { Progress } from "./progress.js";
import { PreviewSummary } from "./preview-summary.js";
import { tokenReads } from "./token-reads.js";

/**
 * @import { BodyVerdict, FieldsDescription, FieldVerdict, FilterVerdict, GroupsAnswer, Selection,
 *   Session, StatusAnswer } from "./types.js"
 * @import { BatchState } from "./batch.js"
 * @import { Rules } from "./form.js"
 */

/** The page's element with id `id` (index.html has each one). */
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** The page's state; Preview and Apply (batch.js) share the part BatchState describes. */
const state = {
  /** @type {Session | null} */
  session: null,
  /** Whether the signed-in user is new-api's root, who may act on every user's tokens (docs/SPEC.md §13). */
  root: false,
  /**
   * The groups GET /api/user/self/groups returned: the server checks `group` against the same list.
   * @type {string[] | undefined}
   */
  allowedGroups: undefined,
  /**
   * The database's narrower columns from GET /api/status ("allow_ips=191"), which the server applies too.
   * @type {string[] | undefined}
   */
  columnLimits: undefined,
  /** @type {FieldsDescription | null} */
  description: null,
  busy: false,
  /**
   * The Idempotency-Key of the last Apply whose fate is unknown ({ key, body, userId }): sent again when the same
   * user applies the same body, so a batch whose answer was lost is never applied twice, even after a reload.
   * @type {BatchState["pendingApply"]}
   */
  pendingApply: loadPendingApply(),
  /**
   * The last successful preview ({ body, envelope, total }) while the form still sends that very body.
   * @type {BatchState["preview"]}
   */
  preview: null,
  /** Whether a preview was cleared because the form or the selection changed after it. */
  previewStale: false,
  /** Counts sign-outs: an answer to a call made before the last one is dropped. */
  epoch: 0,
};

const now = () => Date.now() / 1000;

/** @type {Rules} */
const rules = {
  validateBody: (text) =>
    /** @type {BodyVerdict} */ (
      JSON.parse(validateBody(text, lang(), now(), state.allowedGroups, state.columnLimits))
    ),
  validateField: (name, json) =>
    /** @type {FieldVerdict} */ (
      JSON.parse(validateField(name, json, lang(), now(), state.allowedGroups, state.columnLimits))
    ),
  formatUtc: (seconds) => formatUtc(seconds),
};

/**
 * @param {HTMLElement} element
 * @param {string} text
 */
function show(element, text) {
  element.textContent = text;
  element.hidden = !text;
}

/**
 * A failed call in words: what happened and that the form is intact. `tag`: the language of a batch answer's
 * message, whose field names are then given as the form's labels.
 * @param {unknown} error
 * @param {string} [tag]
 * @returns {string}
 */
function describeError(error, tag) {
  if (!(error instanceof ApiError)) return t("networkError", { error: String(error) });
  const message = tag && error.envelope ? labelled(error.message, labelsFor(tag)) : error.message;
  switch (error.kind) {
    case "network":
      return t("networkError", { error: message });
    case "auth":
      return t("sessionExpired", { message });
    case "rejected":
      return t("serverRejected", { message });
    case "cancelled":
      return t("previewCancelled");
    default:
      return t("httpError", { status: error.status, message });
  }
}

/**
 * @param {unknown} error
 * @param {HTMLElement} element
 */
function showError(error, element) {
  show(element, describeError(error));
}

// ---- language ------------------------------------------------------------------------------------------

/** @param {string} tag */
function applyLanguage(tag) {
  setLang(tag);
  translateStatic();
  /** @type {HTMLSelectElement} */ ($("lang")).value = lang();
  if (state.session) $("signed-in-as").textContent = t("signedInAs", { id: state.session.userId });
  const description = describe(lang());
  state.description = description;
  form.describe(description);
  editPanel.render();
  table.render();
  filters.relabel();
  actions.renderVerdict(form.verdict);
  result.render();
  confirmDialog.render();
  progress.render();
  exporter.relabel();
  views.relabel();
}

// ---- the rules module and the server's version -------------------------------------------------------

/** Tells the user when the cached module is not the one the server runs (a stale browser cache). */
async function checkVersion() {
  try {
    const status = /** @type {StatusAnswer} */ (await call(null, "GET", "/api/status"));
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

/**
 * `focus`: the user signed in with the form, so focus moves on from the button that is now hidden.
 * @param {Session} session
 * @param {{ focus?: boolean }} [options]
 */
async function signIn(session, { focus = false } = {}) {
  // The groups route needs the identity headers, so it doubles as the credentials check.
  const groups = /** @type {GroupsAnswer} */ (await call(session, "GET", "/api/user/self/groups"));
  const allowedGroups = Object.keys(groups.data ?? {});
  state.session = session;
  state.root = await reads.isRoot();
  filters.setRoot(state.root);
  state.allowedGroups = allowedGroups;
  saveSession(session);
  // A key left by another user's Apply is not this user's to send.
  if (state.pendingApply && state.pendingApply.userId !== session.userId) actions.setPendingApply(null);
  form.setGroups(allowedGroups);
  filters.setGroups(allowedGroups);
  $("signed-in-as").textContent = t("signedInAs", { id: session.userId });
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("sign-out").hidden = false;
  views.signedIn(true);
  if (focus) $("tokens-title").focus();
  await table.load(1);
  form.validate();
}

/** Forgets everything of the user: session, pending Apply, selection, search, form, preview and result. */
function signOut() {
  state.epoch += 1;
  confirmDialog.close();
  clearSession();
  actions.setPendingApply(null);
  state.session = null;
  state.root = false;
  progress.stop();
  state.allowedGroups = undefined;
  state.preview = null;
  result.clear();
  exporter.reset();
  table.reset();
  filters.reset();
  editPanel.reset();
  form.reset();
  state.previewStale = false;
  $("signed-in-as").textContent = "";
  show($("sign-in-error"), "");
  views.signedIn(false);
  $("workspace").hidden = true;
  $("sign-out").hidden = true;
  $("sign-in").hidden = false;
  /** @type {HTMLInputElement} */ ($("user-id")).value = "";
  /** @type {HTMLInputElement} */ ($("access-token")).value = "";
  $("user-id").focus();
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = /** @type {HTMLButtonElement} */ ($("sign-in-button"));
  const session = {
    userId: /** @type {HTMLInputElement} */ ($("user-id")).value.trim(),
    accessToken: /** @type {HTMLInputElement} */ ($("access-token")).value.trim(),
  };
  button.disabled = true;
  button.textContent = t("signingIn");
  show($("sign-in-error"), "");
  try {
    await signIn(session, { focus: true });
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

const reads = tokenReads(() => state.session);
const { fetchPage, planPage } = reads;
const progress = new Progress($);

/**
 * The table's selection as a batch sends it: root's ids reaching another user's token say so (`scope`), as the
 * server requires (an ids batch is otherwise the caller's own tokens only).
 * @returns {Selection}
 */
function batchSelection() {
  const selection = table.selection();
  if (!state.root || !("ids" in selection) || !state.session) return selection;
  const own = Number(state.session.userId);
  const others = selection.ids.some((id) => (table.selected.get(id)?.user_id ?? own) !== own);
  return others ? { ...selection, scope: "all_users" } : selection;
}

// The table's root is the workspace: its selection count sits in the sticky bulk bar.
const table = new TokenTable($("workspace"), {
  fetchPage,
  onChange: () => form.validate(),
  onError: showError,
  maxIds: 10000,
  progress,
});

const filters = new FilterPanel(/** @type {HTMLFormElement} */ ($("filter-form")), {
  validate: (json) => /** @type {FilterVerdict} */ (JSON.parse(validateFilter(json, lang()))),
  quotaPerUsd: unitsPerUsd,
  onChange: (filter) => table.setFilter(filter),
  now,
});

const form = new BatchForm($("batch"), {
  rules,
  getSelection: batchSelection,
  onVerdict: (verdict) => actions.renderVerdict(verdict),
  wording: (item) => wording(item),
});

const editPanel = new EditPanel({ form, element: $ });

const result = new ResultView($("result"), {
  labels: () => form.labels(),
  nameOf: (id) => table.nameOf(id),
  wording,
  rejudge: (body) => rules.validateBody(body),
  describeError,
  planPage,
  previewAgain: () => actions.send(true),
  summary: new PreviewSummary({ element: $, labels: () => form.labels() }),
});

const confirmDialog = new ConfirmDialog(/** @type {HTMLDialogElement} */ ($("confirm-dialog")), {
  onConfirm: () => actions.send(false),
  texts: applyTexts,
});

const views = new Views({
  element: $,
  session: () => state.session,
  labels: () => labelsFor(lang()),
  describeError: (error) => describeError(error),
  onReverted: () => table.load(),
  progress,
});

const onOutcome = (/** @type {boolean} */ applied, /** @type {number | null} */ id) => views.outcome(applied, id);
const actions = new BatchActions({ state, form, table, result, confirmDialog, element: $, show, onOutcome, progress });

const exporter = new Exporter({
  table,
  result,
  fetchPage,
  planPage,
  labels: () => form.labels(),
  describeError: (error) => describeError(error),
  element: $,
});

$("preview").addEventListener("click", () => actions.send(true));
$("apply").addEventListener("click", () => actions.confirmApply());
$("batch-form").addEventListener("submit", (event) => event.preventDefault());

// ---- start -------------------------------------------------------------------------------------------------

for (const { tag, name } of LANGS) {
  const option = document.createElement("option");
  option.value = tag;
  option.textContent = name;
  $("lang").append(option);
}
$("lang").addEventListener("change", (event) =>
  applyLanguage(/** @type {HTMLSelectElement} */ (event.target).value),
);

async function start() {
  setLang(initialLang());
  translateStatic();
  try {
    await init();
  } catch (error) {
    show($("version-warning"), t("moduleLoadFailed", { error: String(error) }));
    return;
  }
  const description = describe(lang());
  state.description = description;
  setQuotaPerUsd(description.quota_per_usd);
  table.maxIds = description.max_ids;
  applyLanguage(lang());
  $("rules-version").textContent = rulesVersion();
  await checkVersion();
  // Ready once the server's column limits and version are known: a form checked before would not be the
  // form the server checks.
  $("app").dataset.ready = "true";
  const saved = loadSession();
  if (saved) {
    /** @type {HTMLInputElement} */ ($("user-id")).value = saved.userId;
    try {
      await signIn(saved);
    } catch (error) {
      show($("sign-in-error"), describeError(error));
    }
  }
}

start();
