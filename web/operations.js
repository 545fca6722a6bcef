// @ts-check
// The operations of docs/SPEC.md §11 beside a field's absolute value: quota add / subtract (in quota units or
// USD), expiry extended by a duration, entries added to or removed from a list (and a group put first). Each
// field with operations gets a "Change" choice; the operation object it builds carries only the keys the user
// filled, so the body is exactly the API's (`{"remain_quota": {"add": 500000}}`).

import { t } from "./i18n.js";
import { units, usdShort, valueText } from "./format.js";
import { JSON_NUMBER, make } from "./field-controls.js";

/** @import { FieldName } from "./types.js" */

/**
 * The ways a field can change: "set" is the absolute value; the others are operations.
 * @typedef {"set" | "add" | "subtract" | "extend" | "edit"} Mode
 */

/** The list keys an "edit" operation offers per field, in the order shown. */
const LIST_KEYS = /** @type {Partial<Record<FieldName, ("add" | "prepend" | "remove")[]>>} */ ({
  group: ["add", "prepend", "remove"],
  model_limits: ["add", "remove"],
  allow_ips: ["add", "remove"],
});

/** The modes per field with operations. */
const MODES = /** @type {Partial<Record<FieldName, Mode[]>>} */ ({
  remain_quota: ["set", "add", "subtract"],
  expired_time: ["set", "extend"],
  group: ["set", "edit"],
  model_limits: ["set", "edit"],
  allow_ips: ["set", "edit"],
});

const SECONDS = { days: 86_400, hours: 3_600 };

/**
 * A field's operation controls.
 * @typedef {object} OperationControls
 * @property {HTMLSelectElement} mode
 * @property {HTMLLabelElement} modeLabel
 * @property {HTMLSelectElement} [unit] The quota's unit (quota units or USD), for its value and its amounts.
 * @property {HTMLLabelElement} [unitLabel]
 * @property {HTMLDivElement} [opBox] What an expiry's or a list's operation is entered in.
 * @property {Map<string, { input: HTMLInputElement | HTMLTextAreaElement, label: HTMLLabelElement }>} inputs
 *   By operation key: "extend", "add", "remove", "prepend".
 * @property {HTMLSelectElement} [extendUnit]
 * @property {HTMLLabelElement} [extendUnitLabel]
 * @property {HTMLParagraphElement} [opHelp]
 */

/**
 * The operation controls of field `name`, or undefined for a field with only an absolute value. The mode choice
 * goes in `head`; the operation's own inputs (expiry, lists) in a box returned as `opBox`.
 * @param {FieldName} name
 * @param {HTMLElement} head
 * @returns {OperationControls | undefined}
 */
export function buildOperations(name, head) {
  const modes = MODES[name];
  if (!modes) return undefined;
  const mode = make("select", { id: `mode-${name}` });
  for (const value of modes) mode.append(make("option", { value }));
  const modeLabel = make("label", { htmlFor: mode.id });
  const row = make("div", { className: "op-row" });
  row.append(modeLabel, mode);
  /** @type {OperationControls} */
  const controls = { mode, modeLabel, inputs: new Map() };
  if (name === "remain_quota") {
    const unit = make("select", { id: `unit-${name}` });
    unit.append(make("option", { value: "units" }), make("option", { value: "usd" }));
    const unitLabel = make("label", { htmlFor: unit.id });
    row.append(unitLabel, unit);
    Object.assign(controls, { unit, unitLabel });
  }
  head.append(row);
  if (name === "remain_quota") return controls;

  const opBox = make("div", { className: "op-box", id: `op-${name}` });
  opBox.hidden = true;
  const opHelp = make("p", { className: "help", id: `op-help-${name}` });
  if (name === "expired_time") {
    const input = make("input", { type: "text", id: `extend-${name}`, inputMode: "decimal", autocomplete: "off" });
    const label = make("label", { htmlFor: input.id });
    const extendUnit = make("select", { id: `extend-unit-${name}` });
    extendUnit.append(make("option", { value: "days" }), make("option", { value: "hours" }));
    const extendUnitLabel = make("label", { htmlFor: extendUnit.id, className: "visually-hidden" });
    const line = make("div", { className: "control" });
    line.append(label, input, extendUnitLabel, extendUnit);
    opBox.append(line);
    controls.inputs.set("extend", { input, label });
    Object.assign(controls, { extendUnit, extendUnitLabel });
  } else {
    for (const key of LIST_KEYS[name] ?? []) {
      const id = `${key}-${name}`;
      const input =
        name === "allow_ips"
          ? make("textarea", { id, rows: 3, spellcheck: false, wrap: "off" })
          : make("input", { type: "text", id, autocomplete: "off", spellcheck: false });
      const label = make("label", { htmlFor: id, className: "value-label" });
      const line = make("div", { className: "op-line" });
      line.append(label, input);
      opBox.append(line);
      controls.inputs.set(key, { input, label });
    }
  }
  opBox.append(opHelp);
  for (const { input } of controls.inputs.values()) input.setAttribute("aria-describedby", `${opHelp.id} messages-${name}`);
  return Object.assign(controls, { opBox, opHelp });
}

/**
 * Relabels the operation controls in the page's language.
 * @param {FieldName} name
 * @param {OperationControls} controls
 */
export function relabelOperations(name, controls) {
  controls.modeLabel.textContent = t("fieldChange");
  const modeText = {
    set: name === "remain_quota" || name === "expired_time" ? t("modeSet") : t("modeReplace"),
    add: t("modeAdd"),
    subtract: t("modeSubtract"),
    extend: t("modeExtend"),
    edit: t("modeEdit"),
  };
  for (const option of controls.mode.options) option.textContent = modeText[/** @type {Mode} */ (option.value)];
  if (controls.unit && controls.unitLabel) {
    controls.unitLabel.textContent = t("quotaUnit");
    const [unitsOption, usdOption] = controls.unit.options;
    unitsOption.textContent = t("unitUnits");
    usdOption.textContent = t("unitUsd");
  }
  if (controls.extendUnit && controls.extendUnitLabel) {
    controls.extendUnitLabel.textContent = t("extendUnit");
    const [days, hours] = controls.extendUnit.options;
    days.textContent = t("unitDays");
    hours.textContent = t("unitHours");
  }
  const words = { extend: t("extendBy"), add: t("opAdd"), remove: t("opRemove"), prepend: t("opPrepend") };
  for (const [key, { label }] of controls.inputs) label.textContent = words[/** @type {keyof typeof words} */ (key)];
  if (controls.opHelp) {
    controls.opHelp.textContent =
      name === "expired_time" ? t("extendHint") : name === "allow_ips" ? t("listHelpLines") : t("listHelpComma");
  }
}

/**
 * The mode chosen, "set" for a field without operations.
 * @param {OperationControls | undefined} controls
 * @returns {Mode}
 */
export const modeOf = (controls) => /** @type {Mode} */ (controls?.mode.value ?? "set");

/**
 * A quota amount as JSON, in quota units: typed units sent as typed (so the rules' verdict names the very value
 * typed), USD converted exactly (a cent is 5 000 units); anything else sent as a string for the rules to refuse.
 * @param {string} text A non-empty entry.
 * @param {"units" | "usd"} unit
 * @param {number} perUsd Quota units per USD.
 */
export function quotaJson(text, unit, perUsd) {
  if (unit === "units") return JSON_NUMBER.test(text) ? text : JSON.stringify(text);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return JSON.stringify(text);
  const fraction = match[2] ?? "";
  const scaled = BigInt(match[1] + fraction) * BigInt(perUsd);
  const scale = 10n ** BigInt(fraction.length);
  // A fraction of a unit stays a fraction, which the rules refuse as not an integer.
  return scaled % scale === 0n ? String(scaled / scale) : String(Number(scaled) / Number(scale));
}

/**
 * The operation object as JSON text, or null when the operation has nothing entered (then the body lacks the
 * field, which the rules name as a missing value). Only the keys the user filled are sent.
 * @param {FieldName} name
 * @param {OperationControls} controls
 * @param {(text: string) => string} amountJson The quota amount's JSON text for a non-empty entry.
 * @param {string} amountText The quota amount as typed.
 * @returns {string | null}
 */
export function operationJson(name, controls, amountJson, amountText) {
  const mode = modeOf(controls);
  if (mode === "add" || mode === "subtract") {
    const text = amountText.trim();
    return text ? `{${JSON.stringify(mode)}:${amountJson(text)}}` : null;
  }
  if (mode === "extend") {
    const input = controls.inputs.get("extend")?.input;
    const text = input?.value.trim() ?? "";
    if (!text) return null;
    const per = SECONDS[/** @type {"days" | "hours"} */ (controls.extendUnit?.value ?? "days")];
    const number = /^\d+(\.\d+)?$/.test(text) ? Math.round(Number(text) * per) : null;
    return `{"extend":${number === null ? JSON.stringify(text) : String(number)}}`;
  }
  const parts = [];
  for (const [key, { input }] of controls.inputs) {
    if (input.value.trim()) parts.push(`${JSON.stringify(key)}:${JSON.stringify(input.value)}`);
  }
  return parts.length ? `{${parts.join(",")}}` : null;
}

/**
 * An operation as a person reads it, for Apply's confirmation: "add 1 000 000 (≈ 2 USD)", "extend by 30 days",
 * "add gpt-4.1, remove gpt-4o".
 * @param {FieldName} name
 * @param {OperationControls} controls
 * @param {Record<string, unknown>} operation The parsed operation object.
 */
export function operationText(name, controls, operation) {
  const unit = controls.extendUnit?.value === "hours" ? "hours" : "days";
  return operationWords(name, operation, { extendUnit: unit, extendText: controls.inputs.get("extend")?.input.value.trim() });
}

/**
 * An operation object (docs/SPEC.md §11) in words, from the object alone (the history's requests): an extension
 * in days when it is whole days, in hours otherwise, unless `extendUnit` says which (with `extendText`, the
 * count as typed); `wordsOf(name, value)` writes a quota amount or a list's entries (valueText by default).
 * @param {FieldName} name
 * @param {Record<string, unknown>} operation
 * @param {{ extendUnit?: "days" | "hours", extendText?: string, wordsOf?: (name: FieldName, value: string | number) => string }} [options]
 */
export function operationWords(name, operation, { extendUnit, extendText, wordsOf = valueText } = {}) {
  if ("extend" in operation) {
    const seconds = Number(operation.extend);
    const unit = extendUnit ?? (seconds % SECONDS.days === 0 ? "days" : "hours");
    const count = extendText ?? units(seconds / SECONDS[unit]);
    return t("opExtendText", { value: t(unit === "hours" ? "opHours" : "opDays", { count }) });
  }
  if (name === "remain_quota") {
    const [key, amount] = Object.entries(operation)[0] ?? ["add", 0];
    return t(key === "subtract" ? "opSubtractText" : "opAddText", { value: wordsOf(name, Number(amount)) });
  }
  const words = { add: "opAddPart", remove: "opRemovePart", prepend: "opPrependPart" };
  return Object.entries(operation)
    .map(([key, value]) =>
      t(/** @type {"opAddPart"} */ (words[/** @type {keyof typeof words} */ (key)]), { value: wordsOf(name, String(value)) }),
    )
    .join(t("listSeparator"));
}

/**
 * The other unit of a quota entry beside it: USD (2 decimals) for units typed, units for USD typed.
 * @param {string} json The entry's JSON (units), or null.
 */
export function quotaWorth(json) {
  const value = Number(json);
  if (!Number.isSafeInteger(value) || value < 0) return "";
  return t("quotaWorth", { units: units(value), usd: usdShort(value) });
}
