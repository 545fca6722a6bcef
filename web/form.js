// @ts-check
// The batch form, generated from the rules module's description of the fields. Every input is judged by
// the module (the server's own rules compiled to WebAssembly); the body it builds is the one sent.

import { t } from "./i18n.js";
import { usd, units, fromDateTimeLocal } from "./format.js";
import { fieldOf } from "./messages.js";

/**
 * @import { BodyVerdict, FieldDescription, FieldName, FieldsDescription, FieldVerdict, RulesError, RulesItem,
 *   Selection }
 *   from "./types.js"
 */

/**
 * The rules module as the form asks it: verdicts already parsed, in the page's language, clock and groups.
 * @typedef {object} Rules
 * @property {(text: string) => BodyVerdict} validateBody
 * @property {(name: string, json: string) => FieldVerdict} validateField
 * @property {(seconds: number) => string} formatUtc
 */

/**
 * One field's controls on the form; which extras it has depends on how the field is entered.
 * @typedef {object} FieldControls
 * @property {FieldDescription} field
 * @property {HTMLDivElement} box
 * @property {HTMLInputElement} use The "write this field" checkbox.
 * @property {HTMLLabelElement} useLabel
 * @property {HTMLLabelElement} valueLabel
 * @property {HTMLParagraphElement} help
 * @property {HTMLUListElement} messages
 * @property {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} input The value's control.
 * @property {boolean} dirty Whether the user edited the value.
 * @property {HTMLInputElement} [neverBox] The expiry's "never" checkbox.
 * @property {HTMLLabelElement} [neverLabel]
 * @property {HTMLOutputElement} [utc] The expiry in UTC.
 * @property {HTMLOutputElement} [worth] A quota's USD worth.
 * @property {HTMLDivElement} [gutter] A line list's line numbers.
 */

/**
 * The extras buildControl makes.
 * @typedef {Pick<FieldControls, "neverBox" | "neverLabel" | "utc" | "worth" | "gutter">} Extras
 */

/**
 * A body-level problem listed under the form; `warning` marks a warning.
 * @typedef {RulesItem & { warning?: boolean }} SummaryItem
 */

/** A JSON number literal, exactly as the server's parser reads one. */
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** The latest date the expiry picker offers: the rules' largest expiry is 9999-12-31 23:59:59 UTC. */
const LATEST_DATE = "9999-12-31T23:59";

/** A datetime-local value whose year has at most 4 digits (the picker takes up to 6). */
const FOUR_DIGIT_YEAR = /^\d{4}-/;

export class BatchForm {
  /**
   * `rules`: {validateBody(text), validateField(name, json)} returning parsed verdicts, using the current
   * language, clock and allowed groups. `getSelection()`: the selected ids, or the filter selecting every
   * matching token. `onVerdict(verdict)`: after
   * every validation. `wording(item)`: the sentence shown for one of the rules' errors or warnings.
   *
   * A field's messages are shown once its value was edited, every message once the user tried to preview
   * or apply (`reveal()`): a form nobody has touched yet shows no errors.
   * @param {HTMLElement} root
   * @param {{
   *   rules: Rules,
   *   getSelection: () => Selection,
   *   onVerdict: (verdict: BodyVerdict) => void,
   *   wording: (item: RulesItem) => string,
   * }} options
   */
  constructor(root, { rules, getSelection, onVerdict, wording }) {
    this.root = root;
    this.rules = rules;
    this.getSelection = getSelection;
    this.onVerdict = onVerdict;
    this.wording = wording;
    /** @type {FieldControls[]} */
    this.fields = [];
    /** @type {string[]} */
    this.groups = [];
    /** @type {BodyVerdict | null} */
    this.verdict = null;
    this.revealed = false;
    /** Whether the last validation showed an error (the buttons wait until it is fixed). */
    this.showsErrors = false;
    this.container = /** @type {HTMLElement} */ (root.querySelector("#fields"));
  }

  /** Shows every message, the ones of untouched fields and of the selection too; focuses the first error. */
  reveal() {
    this.revealed = true;
    const verdict = this.validate();
    const first = this.fields.find((entry) => entry.input.getAttribute("aria-invalid") === "true");
    if (first) first.input.focus();
    else /** @type {HTMLElement} */ (this.root.querySelector("#form-summary")).focus();
    return verdict;
  }

  /** Back to a form nobody has touched: no field ticked, no value, no message (sign-out). */
  reset() {
    this.revealed = false;
    for (const entry of this.fields) {
      entry.dirty = false;
      entry.use.checked = false;
      if (entry.input instanceof HTMLSelectElement) entry.input.selectedIndex = 0;
      else entry.input.value = "";
      entry.input.disabled = false;
      if (entry.neverBox) entry.neverBox.checked = false;
    }
    this.setGroups([]);
    this.validate();
  }

  /**
   * Builds one control per field the first time, and only relabels later, so values survive.
   * @param {FieldsDescription} description
   */
  describe(description) {
    this.quotaPerUsd = description.quota_per_usd;
    if (this.fields.length === 0) {
      for (const field of description.fields) this.fields.push(this.buildField(field));
    }
    description.fields.forEach((field, index) => this.relabel(this.fields[index], field));
    this.validate();
  }

  /**
   * The groups the user may choose, offered as buttons beside the group field.
   * @param {string[]} groups
   */
  setGroups(groups) {
    this.groups = groups;
    const holder = this.root.querySelector("#group-choices");
    if (!holder) return;
    holder.replaceChildren();
    if (groups.length === 0) return;
    const label = document.createElement("span");
    label.textContent = t("groupsAvailable");
    holder.append(label);
    for (const group of groups) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chip";
      button.textContent = group;
      button.setAttribute("aria-label", t("addGroup", { group }));
      button.addEventListener("click", () => {
        const input = this.control("group");
        const names = input.value.split(",").map((name) => name.trim()).filter(Boolean);
        if (!names.includes(group)) names.push(group);
        input.value = names.join(",");
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus();
      });
      holder.append(button);
    }
  }

  /**
   * The value's control of field `name` (a text input for the group).
   * @param {string} name
   */
  control(name) {
    return /** @type {HTMLInputElement} */ (this.root.querySelector(`#value-${name}`));
  }

  /**
   * @param {FieldDescription} field
   * @returns {FieldControls}
   */
  buildField(field) {
    const name = field.name;
    const box = document.createElement("div");
    box.className = "field";
    box.dataset.field = name;

    const head = document.createElement("div");
    head.className = "field-head";
    const use = document.createElement("input");
    use.type = "checkbox";
    use.id = `use-${name}`;
    use.className = "use-field";
    const useLabel = document.createElement("label");
    useLabel.htmlFor = use.id;
    head.append(use, useLabel);

    const valueLabel = document.createElement("label");
    valueLabel.htmlFor = `value-${name}`;
    valueLabel.className = "value-label";

    const control = document.createElement("div");
    control.className = "control";
    const extras = this.buildControl(field, control);

    const help = document.createElement("p");
    help.className = "help";
    help.id = `help-${name}`;
    const messages = document.createElement("ul");
    messages.className = "messages";
    messages.id = `messages-${name}`;
    messages.setAttribute("aria-live", "polite");

    const input = /** @type {FieldControls["input"]} */ (control.querySelector(`#value-${name}`));
    input.setAttribute("aria-describedby", `help-${name} messages-${name}`);

    box.append(head, valueLabel, control, help, messages);
    this.container.append(box);

    // Editing a value means wanting it written: tick the field (it can be unticked again).
    const edited = () => {
      use.checked = true;
      entry.dirty = true;
      this.validate();
    };
    control.addEventListener("input", edited);
    control.addEventListener("change", edited);
    use.addEventListener("change", () => this.validate());
    /** @type {FieldControls} */
    const entry = { field, box, use, useLabel, valueLabel, help, messages, input, dirty: false, ...extras };
    return entry;
  }

  /**
   * The control for one kind of entry; returns what later code needs to reach.
   * @param {FieldDescription} field
   * @param {HTMLDivElement} control
   * @returns {Extras}
   */
  buildControl(field, control) {
    const id = `value-${field.name}`;
    /**
     * @template {keyof HTMLElementTagNameMap} K
     * @param {K} tag
     * @param {Partial<HTMLElementTagNameMap[K]>} [props]
     * @returns {HTMLElementTagNameMap[K]}
     */
    const make = (tag, props = {}) => Object.assign(document.createElement(tag), props);
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
        return { neverBox, neverLabel, utc };
      }
      case "integer": {
        const input = make("input", { type: "text", id, inputMode: "numeric", autocomplete: "off" });
        const worth = make("output", { className: "hint", id: `usd-${field.name}` });
        worth.htmlFor = id;
        control.append(input, worth);
        return { worth };
      }
      case "toggle": {
        const select = make("select", { id });
        select.append(make("option", { value: "true" }), make("option", { value: "false" }));
        control.append(select);
        return {};
      }
      case "choice": {
        const select = make("select", { id });
        for (const choice of field.choices) select.append(make("option", { value: choice, textContent: choice }));
        control.append(select);
        return {};
      }
      case "line_list": {
        const lines = make("div", { className: "lines" });
        const gutter = make("div", { className: "gutter", id: `gutter-${field.name}` });
        gutter.setAttribute("aria-hidden", "true");
        const area = make("textarea", { id, rows: 5, spellcheck: false, wrap: "off" });
        area.addEventListener("scroll", () => {
          gutter.scrollTop = area.scrollTop;
        });
        lines.append(gutter, area);
        control.append(lines);
        return { gutter };
      }
      default: {
        const input = make("input", { type: "text", id, autocomplete: "off", spellcheck: false });
        if (field.entry === "url") input.inputMode = "url";
        control.append(input);
        if (field.name === "group") {
          control.append(make("div", { className: "choices", id: "group-choices" }));
        }
        return {};
      }
    }
  }

  /**
   * @param {FieldControls} entry
   * @param {FieldDescription} field
   */
  relabel(entry, field) {
    entry.field = field;
    entry.useLabel.textContent = t("updateField", { label: field.label });
    entry.valueLabel.textContent = `${field.label} (${field.name})`;
    entry.help.textContent = field.help;
    if (entry.neverLabel) entry.neverLabel.textContent = t("neverExpires");
    if (field.entry === "toggle") {
      const [on, off] = /** @type {HTMLSelectElement} */ (entry.input).options;
      on.textContent = t("toggleOn");
      off.textContent = t("toggleOff");
    }
    if (this.groups.length) this.setGroups(this.groups);
  }

  /**
   * The field's value as JSON text, or null when nothing is entered (the body then lacks the field).
   * @param {FieldControls} entry
   * @returns {string | null}
   */
  jsonValue(entry) {
    const { field, input } = entry;
    switch (field.entry) {
      case "unix_seconds": {
        if (entry.neverBox?.checked) return String(field.never);
        // A date typed halfway (the picker's value is then empty) is a date the user meant, not none.
        if (!input.value) return input.validity.badInput ? JSON.stringify("") : null;
        const seconds = FOUR_DIGIT_YEAR.test(input.value) ? fromDateTimeLocal(input.value) : null;
        return seconds === null ? JSON.stringify(input.value) : String(seconds);
      }
      case "integer": {
        const text = input.value.trim();
        if (!text) return null;
        // Sent as typed when it is a number, so the server's verdict names the very value typed.
        return JSON_NUMBER.test(text) ? text : JSON.stringify(text);
      }
      case "toggle":
        return input.value;
      default:
        return JSON.stringify(input.value);
    }
  }

  /** The request body exactly as Preview and Apply send it. */
  bodyText() {
    const selection = this.getSelection();
    const parts = ["ids" in selection ? `"ids":${JSON.stringify(selection.ids)}` : `"filter":${JSON.stringify(selection.filter)}`];
    const chosen = this.fields.filter((entry) => entry.use.checked);
    parts.push(`"update_fields":${JSON.stringify(chosen.map((entry) => entry.field.name))}`);
    for (const entry of chosen) {
      const value = this.jsonValue(entry);
      if (value !== null) parts.push(`${JSON.stringify(entry.field.name)}:${value}`);
    }
    return `{${parts.join(",")}}`;
  }

  /**
   * Judges every ticked field and the whole body, and shows the messages where they belong.
   * @returns {BodyVerdict | null}
   */
  validate() {
    if (this.fields.length === 0) return null;
    /** @type {Map<FieldName, Set<string>>} */
    const shown = new Map(this.fields.map((entry) => [entry.field.name, new Set()]));
    /** @type {SummaryItem[]} */
    const summary = [];
    let showsErrors = false;
    for (const entry of this.fields) {
      entry.messages.replaceChildren();
      entry.input.removeAttribute("aria-invalid");
      entry.box.classList.toggle("unused", !entry.use.checked);
      this.showHints(entry);
      if (entry.gutter) this.renderGutter(entry, []);
    }
    const visible = (/** @type {FieldControls} */ entry) => entry.dirty || this.revealed;
    /**
     * @param {FieldControls} entry
     * @param {"error" | "warning"} kind
     * @param {RulesItem} item
     */
    const say = (entry, kind, item) => {
      if (!visible(entry)) return;
      const message = this.wording(item);
      const seen = /** @type {Set<string>} */ (shown.get(entry.field.name));
      if (seen.has(message)) return;
      seen.add(message);
      const line = document.createElement("li");
      line.className = kind;
      line.dataset.code = item.code;
      line.textContent = message;
      entry.messages.append(line);
      if (kind === "error") {
        entry.input.setAttribute("aria-invalid", "true");
        showsErrors = true;
      }
    };
    /** @type {Map<FieldControls, number[]>} */
    const badLines = new Map();
    const noteLine = (/** @type {FieldControls} */ entry, /** @type {RulesError} */ item) => {
      if (item.line && visible(entry)) badLines.set(entry, [...(badLines.get(entry) ?? []), item.line]);
    };

    for (const entry of this.fields.filter((candidate) => candidate.use.checked)) {
      const value = this.jsonValue(entry);
      if (value === null) continue;
      const verdict = this.rules.validateField(entry.field.name, value);
      for (const error of verdict.errors) {
        say(entry, "error", error);
        noteLine(entry, error);
      }
      for (const warning of verdict.warnings) say(entry, "warning", warning);
    }

    const verdict = this.rules.validateBody(this.bodyText());
    const entryFor = (/** @type {string} */ path) =>
      this.fields.find((entry) => entry.field.name === fieldOf(path) && entry.use.checked);
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
    for (const [entry, lines] of badLines) this.renderGutter(entry, lines);

    // Problems of the body as a whole (nothing selected, nothing ticked) wait for an attempt to preview or apply.
    const list = /** @type {HTMLElement} */ (this.root.querySelector("#form-summary"));
    list.replaceChildren();
    for (const item of this.revealed ? summary : []) {
      const line = document.createElement("li");
      line.className = item.warning ? "warning" : "error";
      line.dataset.code = item.code;
      line.textContent = this.wording(item);
      list.append(line);
      if (!item.warning) showsErrors = true;
    }
    this.showsErrors = showsErrors;
    this.verdict = verdict;
    this.onVerdict(verdict);
    return verdict;
  }

  /**
   * Derived readings beside a value: the USD worth of a quota, the UTC form of an expiry.
   * @param {FieldControls} entry
   */
  showHints(entry) {
    const { field, input } = entry;
    if (entry.worth) {
      const text = input.value.trim();
      entry.worth.textContent = /^\d+$/.test(text)
        ? `${units(Number(text))} · ${t("usd", { usd: usd(Number(text)) })}`
        : "";
    }
    if (entry.utc) {
      const value = this.jsonValue(entry);
      const seconds = value === null ? NaN : Number(value);
      entry.utc.textContent =
        Number.isInteger(seconds) && seconds !== field.never
          ? t("expiryUtc", { utc: this.rules.formatUtc(seconds) })
          : "";
    }
  }

  /**
   * Line numbers beside the textarea, the ones the rules rejected marked (a line list's entry; others have none).
   * @param {FieldControls} entry
   * @param {number[]} badLines
   */
  renderGutter(entry, badLines) {
    const gutter = entry.gutter;
    if (!gutter) return;
    const count = Math.max(1, entry.input.value.split("\n").length);
    const bad = new Set(badLines);
    gutter.replaceChildren(
      ...Array.from({ length: count }, (_, index) => {
        const number = document.createElement("div");
        number.textContent = String(index + 1);
        if (bad.has(index + 1)) number.className = "bad";
        return number;
      }),
    );
    gutter.scrollTop = entry.input.scrollTop;
  }

  /**
   * The ticked fields and the values the body carries for them: `{ name, label, value }` (value parsed).
   * @returns {{ name: FieldName, label: string, value: string | number | boolean | null }[]}
   */
  chosen() {
    return this.fields
      .filter((entry) => entry.use.checked)
      .map((entry) => ({ name: entry.field.name, label: entry.field.label, value: JSON.parse(this.jsonValue(entry) ?? "null") }));
  }

  /** Labels of the fields (and status) for the before → after diff. */
  labels() {
    return new Map(this.fields.map((entry) => [entry.field.name, entry.field.label]));
  }
}
