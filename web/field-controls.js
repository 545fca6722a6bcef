// @ts-check
// One field's absolute-value controls (the seed's values: a date, a number, a choice, a list), what they read as
// JSON, and the readings shown beside them. Operations (operations.js) sit beside these.

import { t } from "./i18n.js";
import { fromDateTimeLocal } from "./format.js";

/** @import { FieldDescription } from "./types.js" */

/**
 * The absolute controls' parts that later code reaches; which exist depends on how the field is entered.
 * @typedef {object} AbsoluteControls
 * @property {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} input The value's control.
 * @property {HTMLInputElement} [neverBox] The expiry's "never" checkbox.
 * @property {HTMLLabelElement} [neverLabel]
 * @property {HTMLOutputElement} [utc] The expiry in UTC.
 * @property {HTMLOutputElement} [worth] A quota's other unit.
 * @property {HTMLDivElement} [gutter] A line list's line numbers.
 */

/** A JSON number literal, exactly as the server's parser reads one. */
export const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** The latest date the expiry picker offers: the rules' largest expiry is 9999-12-31 23:59:59 UTC. */
const LATEST_DATE = "9999-12-31T23:59";

/** A datetime-local value whose year has at most 4 digits (the picker takes up to 6). */
const FOUR_DIGIT_YEAR = /^\d{4}-/;

/**
 * An element with properties set.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Partial<HTMLElementTagNameMap[K]>} [props]
 * @returns {HTMLElementTagNameMap[K]}
 */
export const make = (tag, props = {}) => Object.assign(document.createElement(tag), props);

/**
 * The absolute value's controls for one kind of entry, appended to `control`.
 * @param {FieldDescription} field
 * @param {HTMLDivElement} control
 * @returns {AbsoluteControls}
 */
export function buildAbsolute(field, control) {
  const id = `value-${field.name}`;
  switch (field.entry) {
    case "unix_seconds": {
      const input = make("input", { type: "datetime-local", id, step: "60", max: LATEST_DATE });
      const neverBox = make("input", { type: "checkbox", id: `never-${field.name}` });
      const neverLabel = make("label", { htmlFor: neverBox.id });
      const never = make("span", { className: "inline" });
      never.append(neverBox, neverLabel);
      const utc = make("output", { className: "hint", id: `utc-${field.name}` });
      neverBox.addEventListener("change", () => {
        input.disabled = neverBox.checked;
      });
      control.append(input, never, utc);
      return { input, neverBox, neverLabel, utc };
    }
    case "integer": {
      const input = make("input", { type: "text", id, inputMode: "decimal", autocomplete: "off" });
      const worth = make("output", { className: "hint", id: `usd-${field.name}` });
      worth.htmlFor = id;
      control.append(input, worth);
      return { input, worth };
    }
    case "toggle": {
      const select = make("select", { id });
      select.append(make("option", { value: "true" }), make("option", { value: "false" }));
      control.append(select);
      return { input: select };
    }
    case "status": {
      const select = make("select", { id });
      select.append(make("option", { value: "disabled" }), make("option", { value: "enabled" }));
      control.append(select);
      return { input: select };
    }
    case "choice": {
      const select = make("select", { id });
      for (const choice of field.choices) select.append(make("option", { value: choice, textContent: choice }));
      control.append(select);
      return { input: select };
    }
    case "line_list": {
      const { lines, area, gutter } = lineList(id, `gutter-${field.name}`);
      control.append(lines);
      return { input: area, gutter };
    }
    default: {
      const input = make("input", { type: "text", id, autocomplete: "off", spellcheck: false });
      if (field.entry === "url") input.inputMode = "url";
      control.append(input);
      return { input };
    }
  }
}

/**
 * A textarea with line numbers beside it (the numbers follow its scrolling).
 * @param {string} id
 * @param {string} gutterId
 */
export function lineList(id, gutterId) {
  const lines = make("div", { className: "lines" });
  const gutter = make("div", { className: "gutter", id: gutterId });
  gutter.setAttribute("aria-hidden", "true");
  const area = make("textarea", { id, rows: 4, spellcheck: false, wrap: "off" });
  area.addEventListener("scroll", () => {
    gutter.scrollTop = area.scrollTop;
  });
  lines.append(gutter, area);
  return { lines, area, gutter };
}

/**
 * Relabels what the absolute controls say themselves (option texts, "never").
 * @param {FieldDescription} field
 * @param {AbsoluteControls} controls
 */
export function relabelAbsolute(field, controls) {
  if (controls.neverLabel) controls.neverLabel.textContent = t("neverExpires");
  if (field.entry === "toggle") {
    const [on, off] = /** @type {HTMLSelectElement} */ (controls.input).options;
    on.textContent = t("toggleOn");
    off.textContent = t("toggleOff");
  }
  if (field.entry === "status") {
    const [disable, enable] = /** @type {HTMLSelectElement} */ (controls.input).options;
    disable.textContent = t("statusDisable");
    enable.textContent = t("statusEnable");
  }
}

/**
 * The absolute value as JSON text, or null when nothing is entered (the body then lacks the field). A quota is
 * read in `unitsOf(text)`'s units (quota units or USD).
 * @param {FieldDescription} field
 * @param {AbsoluteControls} controls
 * @param {(text: string) => string} quotaJson The quota amount's JSON text for a non-empty entry.
 * @returns {string | null}
 */
export function absoluteJson(field, controls, quotaJson) {
  const { input } = controls;
  switch (field.entry) {
    case "unix_seconds": {
      if (controls.neverBox?.checked) return String(field.never);
      // A date typed halfway (the picker's value is then empty) is a date the user meant, not none.
      if (!input.value) return input.validity.badInput ? JSON.stringify("") : null;
      const seconds = FOUR_DIGIT_YEAR.test(input.value) ? fromDateTimeLocal(input.value) : null;
      return seconds === null ? JSON.stringify(input.value) : String(seconds);
    }
    case "integer": {
      const text = input.value.trim();
      return text ? quotaJson(text) : null;
    }
    case "toggle":
      return input.value;
    case "status":
      return JSON.stringify(input.value);
    default:
      return JSON.stringify(input.value);
  }
}

/**
 * Line numbers beside a textarea, the ones the rules rejected marked.
 * @param {HTMLDivElement} gutter
 * @param {HTMLTextAreaElement | HTMLInputElement | HTMLSelectElement} area
 * @param {number[]} badLines
 */
export function renderGutter(gutter, area, badLines) {
  const count = Math.max(1, area.value.split("\n").length);
  const bad = new Set(badLines);
  gutter.replaceChildren(
    ...Array.from({ length: count }, (_, index) => {
      const number = document.createElement("div");
      number.textContent = String(index + 1);
      if (bad.has(index + 1)) number.className = "bad";
      return number;
    }),
  );
  gutter.scrollTop = area.scrollTop;
}
