// @ts-check
// A change set in words, for the History panel: the recorded request as one line with the form's labels and
// the page's units ("Remaining quota: add $1.50; Model limits: add gpt-4.1 · 3 tokens by id"), never API names
// or unix times; where it came from; whether it was reverted; why a revert skips a token.

import { t } from "./i18n.js";
import { expiryText, statusText, units, usdExact, valueText } from "./format.js";
import { operationWords } from "./operations.js";
import { FILTER_KEYS } from "./filters.js";

/** @import { ChangeRequest, ChangeSet, FieldName, SkipReason } from "./types.js" */
/** @import { MessageKey } from "./i18n.js" */

/**
 * A value written in a sentence: quota in USD, the expiry as a local date, the form's words for the rest.
 * @param {string} name
 * @param {unknown} value
 */
function valueWords(name, value) {
  if (name === "remain_quota") return usdExact(Number(value));
  if (name === "status") return statusText(Number(value));
  return valueText(name, /** @type {string | number | boolean | null} */ (value));
}

/** The filter's keys the panel has no control for, and their labels. @type {Record<string, MessageKey>} */
const MORE_FILTER_LABELS = { created_before: "filterCreatedBefore", created_after: "filterCreatedAfter", user_id: "filterUser" };

/** Filter keys holding unix seconds, and those holding quota units. */
const TIME_KEYS = new Set(["expires_before", "expires_after", "accessed_before", "created_before", "created_after"]);
const QUOTA_KEYS = new Set(["remain_quota_below", "remain_quota_at_least"]);

/**
 * One condition of a filter as read: a pattern the page sent as `%text%` ("contains") shows its text.
 * @param {string} key
 * @param {unknown} value
 */
function conditionWords(key, value) {
  if (key === "status" && Array.isArray(value)) return value.map((status) => statusText(Number(status))).join(", ");
  if (TIME_KEYS.has(key)) return expiryText(Number(value));
  if (QUOTA_KEYS.has(key)) return usdExact(Number(value));
  if (typeof value === "boolean") return t(value ? "filterYes" : "filterNo");
  if (key === "user_id") return value === "*" ? t("filterAllUsers") : String(value);
  const text = String(value);
  const inner = /^%([^%]*)%$/.exec(text);
  return `“${inner ? inner[1] : text}”`;
}

/**
 * A recorded filter: its conditions with the filter panel's labels.
 * @param {Record<string, unknown>} filter
 */
export function filterWords(filter) {
  const parts = Object.entries(filter).map(([key, value]) => {
    const labelKey = FILTER_KEYS[key]?.label ?? MORE_FILTER_LABELS[key];
    const label = labelKey ? t(labelKey) : key;
    return t("historyFilterPart", { label, value: conditionWords(key, value) });
  });
  return parts.length ? parts.join(t("listSeparator")) : t("historyAllTokens");
}

/**
 * The recorded request as one line: each field written (absolute value or operation) and the tokens selected.
 * @param {ChangeRequest} request
 * @param {Map<string, string>} labels Field name → the form's label.
 */
export function requestWords(request, labels) {
  if ("revert" in request) {
    return t(request.strict ? "historyRevertOfStrict" : "historyRevertOf", { id: Number(request.revert) });
  }
  const fields = (request.update_fields ?? []).map((name) => {
    const value = request[name];
    const label = labels.get(name) ?? name;
    if (value !== null && typeof value === "object") {
      const words = operationWords(/** @type {FieldName} */ (name), /** @type {Record<string, unknown>} */ (value), {
        wordsOf: valueWords,
      });
      return t("historyFieldOp", { label, value: words });
    }
    return t("historyFieldSet", { label, value: valueWords(name, value) });
  });
  const target = request.filter
    ? t("historyByFilter", { filter: filterWords(request.filter) })
    : t("historyByIds", { count: units(request.ids?.length ?? 0) });
  return `${fields.join(t("listSeparator"))} · ${target}`;
}

/** @type {Record<ChangeSet["source"], MessageKey>} */
const SOURCES = { http: "sourceHttp", grpc: "sourceGrpc", plan: "sourcePlan", revert: "sourceRevert" };

/** Where a change set came from. @param {ChangeSet} change */
export function sourceWords(change) {
  return Object.hasOwn(SOURCES, change.source) ? t(SOURCES[change.source]) : change.source;
}

/** "reverted by #13", "reverts #12", both, or "—". @param {ChangeSet} change */
export function stateWords(change) {
  const parts = [];
  if (change.reverts !== null) parts.push(t("stateReverts", { id: change.reverts }));
  if (change.reverted_by !== null) parts.push(t("stateRevertedBy", { id: change.reverted_by }));
  return parts.length ? parts.join(t("listSeparator")) : t("stateActive");
}

/** @type {Record<SkipReason, MessageKey>} */
const REASONS = { changed_since: "reasonChangedSince", deleted: "reasonDeleted", owner_changed: "reasonOwnerChanged" };

/** Why a revert leaves a token as it is, in words. @param {SkipReason} reason */
export function reasonWords(reason) {
  return Object.hasOwn(REASONS, reason) ? t(REASONS[reason]) : reason;
}
