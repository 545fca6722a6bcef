// @ts-check
// The rules' verdicts in the form's terms. The rules speak of the API ("allow_ips line 2 …", "expired_time
// 1577934240 …"); the page shows the same sentences with the form's labels and local dates in their place, and
// its own sentence for the few problems that only exist in the API's terms (an empty id list, a ticked field
// without a value, an expiry that is not a date). A code the page does not know keeps the rules' wording.

import { t } from "./i18n.js";
import { expiryText } from "./format.js";

/** @import { FieldError, RulesItem } from "./types.js" */

/** Problems of the expiry's JSON value: from the date picker, only a date it cannot turn into one. */
const DATE_CODES = new Set(["expired_time.type", "expired_time.range", "expired_time.milliseconds"]);

/** A JSON string quoted in a message (a value the user typed): left as it is. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/** A space between a quoted label and Chinese text. */
const CJK_AFTER_LABEL = /” (?=[\u3000-\u9fff\uff00-\uffef])/g;
const CJK_BEFORE_LABEL = /(?<=[\u3000-\u9fff\uff00-\uffef]) “/g;

/** Unix seconds as the rules print them in an expiry's message (9 to 12 digits). */
const UNIX_SECONDS = /(?<![\d.:-])\d{9,12}(?![\d.:-])/g;

/**
 * `labels`: the field name → label map of the message's language (with "ids" and "update_fields" given the
 * selection's and the ticked fields' names). Returns the sentence the page shows for one error or warning
 * `{code, field, message}` (the rules' or the server's; the fields are read as possibly missing).
 * @param {Partial<RulesItem | FieldError>} item
 * @param {Map<string, string>} labels
 * @returns {string}
 */
export function pageMessage(item, labels) {
  const field = fieldOf(item.field ?? "");
  const code = item.code ?? "";
  if (code === "ids.empty") return t("needSelection");
  if (code === "update_fields.empty") return t("needField");
  if (DATE_CODES.has(code)) return t("dateInvalid");
  // An extension is typed in days or hours, an amount maybe in USD: the rules' seconds and units are not what
  // the user typed.
  if (code === "expired_time.operation_range" || code === "expired_time.operation_type") return t("extendInvalid");
  if (code === "remain_quota.operation_type") return t("amountInvalid");
  const label = labels.get(field);
  if (code === `${field}.missing` && label !== undefined) {
    return t(field === "expired_time" ? "dateInvalid" : "needValue", { label });
  }
  return withLabels(item.message ?? "", labels, field === "expired_time");
}

/** The part of an error's path that names a field: "ids[3]" -> "ids". */
export const fieldOf = (/** @type {string} */ path) => path.split("[")[0];

/**
 * `message` with every API field name outside quoted values replaced by “label”, and unix times by dates.
 * @param {string} message
 * @param {Map<string, string>} labels
 * @param {boolean} hasTimes
 */
function withLabels(message, labels, hasTimes) {
  const names = [...labels.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?<![\\w])(${names.join("|")})(?![\\w])`, "g");
  const plain = (/** @type {string} */ text) => {
    let out = names.length ? text.replace(pattern, (name) => `“${labels.get(name)}”`) : text;
    if (hasTimes) out = out.replace(UNIX_SECONDS, (digits) => expiryText(Number(digits)));
    // Chinese sets an ASCII name off with spaces, a quoted label needs none: "“分组”中的分组".
    return out.replace(CJK_AFTER_LABEL, "”").replace(CJK_BEFORE_LABEL, "“");
  };
  let result = "";
  let last = 0;
  for (const match of message.matchAll(QUOTED)) {
    result += plain(message.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return result + plain(message.slice(last));
}

/**
 * A whole message of the server's (a refusal's summary) with the form's labels in place of API names.
 * @param {string} message
 * @param {Map<string, string>} labels
 */
export function labelled(message, labels) {
  return withLabels(message, labels, false);
}
