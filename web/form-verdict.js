// @ts-check
// The form's verdict on screen: every picked field judged by the rules module, then the whole body; each message
// shown beside the field it names (in the form's labels, see messages.js), the body's own problems under the form.

import { t } from "./i18n.js";
import { fieldOf } from "./messages.js";
import { renderGutter, make } from "./field-controls.js";
import { modeOf, quotaWorth } from "./operations.js";

/**
 * @import { BodyVerdict, FieldName, RulesError, RulesItem } from "./types.js"
 * @import { BatchForm, FieldControls } from "./form.js"
 */

/**
 * A body-level problem listed under the form; `warning` marks a warning.
 * @typedef {RulesItem & { warning?: boolean }} SummaryItem
 */

/**
 * Judges every picked field of `form` and the whole body, and shows the messages where they belong: a field's
 * once it was edited, all of them once the user tried to preview or apply.
 * @param {BatchForm} form
 * @returns {BodyVerdict | null}
 */
export function showVerdict(form) {
  if (form.fields.length === 0) return null;
  /** @type {Map<FieldName, Set<string>>} */
  const shown = new Map(form.fields.map((entry) => [entry.field.name, new Set()]));
  /** @type {SummaryItem[]} */
  const summary = [];
  let showsErrors = false;
  for (const entry of form.fields) {
    entry.messages.replaceChildren();
    entry.input.removeAttribute("aria-invalid");
    for (const { input } of entry.ops?.inputs.values() ?? []) input.removeAttribute("aria-invalid");
    showHints(form, entry);
    if (entry.gutter) renderGutter(entry.gutter, entry.input, []);
  }
  const visible = (/** @type {FieldControls} */ entry) => entry.dirty || form.revealed;
  /**
   * @param {FieldControls} entry
   * @param {"error" | "warning"} kind
   * @param {RulesItem} item
   */
  const say = (entry, kind, item) => {
    if (!visible(entry)) return;
    const message = form.wording(item);
    const seen = /** @type {Set<string>} */ (shown.get(entry.field.name));
    if (seen.has(message)) return;
    seen.add(message);
    const line = make("li", { className: kind, textContent: message });
    line.dataset.code = item.code;
    entry.messages.append(line);
    if (kind === "error") {
      form.target(entry).setAttribute("aria-invalid", "true");
      showsErrors = true;
    }
  };
  /** @type {Map<FieldControls, number[]>} */
  const badLines = new Map();
  const noteLine = (/** @type {FieldControls} */ entry, /** @type {RulesError} */ item) => {
    if (item.line && visible(entry) && modeOf(entry.ops) === "set") badLines.set(entry, [...(badLines.get(entry) ?? []), item.line]);
  };

  for (const entry of form.fields.filter((candidate) => candidate.picked)) {
    const value = form.jsonValue(entry);
    if (value === null) continue;
    const verdict = form.rules.validateField(entry.field.name, value);
    for (const error of verdict.errors) {
      say(entry, "error", error);
      noteLine(entry, error);
    }
    for (const warning of verdict.warnings) say(entry, "warning", warning);
  }

  const verdict = form.rules.validateBody(form.bodyText());
  const entryFor = (/** @type {string} */ path) =>
    form.fields.find((entry) => entry.field.name === fieldOf(path) && entry.picked);
  for (const error of verdict.errors) {
    const entry = entryFor(error.field);
    if (entry) {
      say(entry, "error", error);
      noteLine(entry, error);
    } else {
      summary.push(error);
    }
  }
  for (const warning of verdict.warnings) {
    const entry = entryFor(warning.field);
    if (entry) say(entry, "warning", warning);
    else summary.push({ ...warning, warning: true });
  }
  for (const [entry, lines] of badLines) if (entry.gutter) renderGutter(entry.gutter, entry.input, lines);

  // Problems of the body as a whole (nothing selected, no field picked) wait for an attempt to preview or apply.
  const list = /** @type {HTMLElement} */ (form.root.querySelector("#form-summary"));
  list.replaceChildren();
  for (const item of form.revealed ? summary : []) {
    const line = make("li", { className: item.warning ? "warning" : "error", textContent: form.wording(item) });
    line.dataset.code = item.code;
    list.append(line);
    if (!item.warning) showsErrors = true;
  }
  form.showsErrors = showsErrors;
  form.verdict = verdict;
  form.onVerdict(verdict);
  return verdict;
}

/**
 * Derived readings beside a value: a quota amount in the other unit, the UTC form of an expiry.
 * @param {BatchForm} form
 * @param {FieldControls} entry
 */
function showHints(form, entry) {
  const { field, input } = entry;
  if (entry.worth) {
    const text = input.value.trim();
    entry.worth.textContent = text ? quotaWorth(form.quotaJson(entry, text)) : "";
  }
  if (entry.utc) {
    const value = modeOf(entry.ops) === "set" ? form.jsonValue(entry) : null;
    const seconds = value === null ? NaN : Number(value);
    entry.utc.textContent =
      Number.isInteger(seconds) && seconds !== field.never
        ? t("expiryUtc", { utc: form.rules.formatUtc(seconds) })
        : "";
  }
}
