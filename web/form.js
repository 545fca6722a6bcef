// @ts-check
// The batch form: the fields the user picked, each with its absolute value (field-controls.js) or one of its
// operations (operations.js), judged live by the rules module (the server's own rules compiled to WebAssembly);
// the body it builds is the one Preview and Apply send.

import { t } from "./i18n.js";
import { valueText } from "./format.js";
import { buildAbsolute, relabelAbsolute, absoluteJson, make } from "./field-controls.js";
import { showVerdict } from "./form-verdict.js";
import { buildOperations, relabelOperations, operationJson, operationText, modeOf, quotaJson } from "./operations.js";

/**
 * @import { BodyVerdict, FieldDescription, FieldName, FieldsDescription, FieldVerdict, RulesError, RulesItem,
 *   Selection }
 *   from "./types.js"
 * @import { AbsoluteControls } from "./field-controls.js"
 * @import { OperationControls } from "./operations.js"
 */

/**
 * The rules module as the form asks it: verdicts already parsed, in the page's language, clock and groups.
 * @typedef {object} Rules
 * @property {(text: string) => BodyVerdict} validateBody
 * @property {(name: string, json: string) => FieldVerdict} validateField
 * @property {(seconds: number) => string} formatUtc
 */

/**
 * One field's controls on the form: its absolute value's, and its operations' when it has some.
 * @typedef {AbsoluteControls & {
 *   field: FieldDescription,
 *   box: HTMLDivElement,
 *   title: HTMLHeadingElement,
 *   unpick: HTMLButtonElement,
 *   valueLabel: HTMLLabelElement,
 *   control: HTMLDivElement,
 *   help: HTMLParagraphElement,
 *   messages: HTMLUListElement,
 *   ops: OperationControls | undefined,
 *   picked: boolean,
 *   dirty: boolean,
 * }} FieldControls
 */

/**
 * The writable status (docs/SPEC.md §11), which the rules module does not describe: enable or disable.
 * @returns {FieldDescription}
 */
const statusField = () => ({
  name: "status",
  kind: "string",
  entry: "status",
  label: t("statusField"),
  help: t("statusHelp"),
  min: null,
  max: null,
  never: null,
  max_entry_chars: null,
  max_total_chars: null,
  max_entries: null,
  choices: [],
});

export class BatchForm {
  /**
   * `getSelection()`: the selected ids, or the filter selecting every matching token. `onVerdict(verdict)`: after
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
    this.quotaPerUsd = 500000;
    this.container = /** @type {HTMLElement} */ (root.querySelector("#fields"));
    /** Runs after a field was picked or removed, and on reset (the Edit panel's picker and summary follow). */
    this.onFieldsChange = () => {};
    /** Runs when every message is to be shown (the Edit panel opens). */
    this.onReveal = () => {};
  }

  /** Shows every message, the ones of untouched fields and of the selection too; focuses the first error. */
  reveal() {
    this.revealed = true;
    this.onReveal();
    const verdict = this.validate();
    const first = this.picked().find((entry) => this.target(entry).getAttribute("aria-invalid") === "true");
    if (first) this.target(first).focus();
    else /** @type {HTMLElement} */ (this.root.querySelector("#form-summary")).focus();
    return verdict;
  }

  /** Back to a form nobody has touched: no field picked, no value, no message (sign-out). */
  reset() {
    this.revealed = false;
    for (const entry of this.fields) this.clear(entry);
    this.setGroups([]);
    this.onFieldsChange();
    this.validate();
  }

  /**
   * A field unpicked, its value and operation cleared.
   * @param {FieldControls} entry
   */
  clear(entry) {
    entry.picked = false;
    entry.dirty = false;
    entry.box.hidden = true;
    if (entry.input instanceof HTMLSelectElement) entry.input.selectedIndex = 0;
    else entry.input.value = "";
    entry.input.disabled = false;
    if (entry.neverBox) entry.neverBox.checked = false;
    if (entry.ops) {
      entry.ops.mode.selectedIndex = 0;
      if (entry.ops.unit) entry.ops.unit.selectedIndex = 0;
      if (entry.ops.extendUnit) entry.ops.extendUnit.selectedIndex = 0;
      for (const { input } of entry.ops.inputs.values()) input.value = "";
      this.showMode(entry);
    }
  }

  /**
   * Builds one control per field the first time, and only relabels later, so values survive.
   * @param {FieldsDescription} description
   */
  describe(description) {
    this.quotaPerUsd = description.quota_per_usd;
    const fields = [...description.fields, statusField()];
    if (this.fields.length === 0) {
      for (const field of fields) this.fields.push(this.buildField(field));
    }
    fields.forEach((field, index) => this.relabel(this.fields[index], field));
    this.validate();
  }

  /** The picked fields, in the order they were picked (as shown). */
  picked() {
    const order = [...this.container.children];
    return this.fields.filter((entry) => entry.picked).sort((a, b) => order.indexOf(a.box) - order.indexOf(b.box));
  }

  /**
   * Adds field `name` to the form (shown last) and focuses its first control.
   * @param {string} name
   */
  pick(name) {
    const entry = this.entry(name);
    if (!entry || entry.picked) return;
    entry.picked = true;
    entry.box.hidden = false;
    this.container.append(entry.box);
    this.onFieldsChange();
    this.validate();
    (entry.ops?.mode ?? entry.input).focus();
  }

  /**
   * Removes field `name` from the form, forgetting what was entered.
   * @param {string} name
   */
  unpick(name) {
    const entry = this.entry(name);
    if (!entry) return;
    this.clear(entry);
    this.onFieldsChange();
    this.validate();
    // Its Remove button is gone with it: focus goes to the picker that offers the field again.
    /** @type {HTMLElement | null} */ (this.root.querySelector("#add-field"))?.focus();
  }

  /** @param {string} name */
  entry(name) {
    return this.fields.find((entry) => entry.field.name === name);
  }

  /**
   * The groups the user may choose, offered as buttons beside the group field: a click adds the group to the
   * value, or to the groups to add when the field is changed by an operation.
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
      const button = make("button", { type: "button", className: "chip", textContent: group });
      button.setAttribute("aria-label", t("addGroup", { group }));
      button.addEventListener("click", () => {
        const entry = /** @type {FieldControls} */ (this.entry("group"));
        const input = modeOf(entry.ops) === "edit" ? /** @type {HTMLInputElement} */ (entry.ops?.inputs.get("add")?.input) : entry.input;
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
   * @param {FieldDescription} field
   * @returns {FieldControls}
   */
  buildField(field) {
    const name = field.name;
    const box = make("div", { className: "field", id: `field-${name}`, hidden: true });
    box.dataset.field = name;
    const head = make("div", { className: "field-head" });
    const title = make("h3", { id: `title-${name}` });
    const unpick = make("button", { type: "button", id: `unpick-${name}`, className: "unpick" });
    head.append(title, unpick);
    box.setAttribute("role", "group");
    box.setAttribute("aria-labelledby", title.id);
    const ops = buildOperations(name, box);

    const valueLabel = make("label", { htmlFor: `value-${name}`, className: "value-label" });
    const control = make("div", { className: "control" });
    const absolute = buildAbsolute(field, control);
    const help = make("p", { className: "help", id: `help-${name}` });
    const messages = make("ul", { className: "messages", id: `messages-${name}` });
    messages.setAttribute("aria-live", "polite");
    absolute.input.setAttribute("aria-describedby", `help-${name} messages-${name}`);

    box.prepend(head);
    box.append(valueLabel, control);
    if (ops?.opBox) box.append(ops.opBox);
    if (name === "group") box.append(make("div", { className: "choices", id: "group-choices" }));
    box.append(help, messages);
    this.container.append(box);

    /** @type {FieldControls} */
    const entry = { field, box, title, unpick, valueLabel, control, help, messages, ops, picked: false, dirty: false, ...absolute };
    // Typing a value or an operation's entries counts as touching the field; choosing how it changes does not.
    const edited = (/** @type {Event} */ event) => {
      const target = /** @type {HTMLElement} */ (event.target);
      if (ops && (target === ops.mode || target === ops.unit || target === ops.extendUnit)) {
        this.showMode(entry);
      } else {
        entry.dirty = true;
      }
      this.validate();
    };
    box.addEventListener("input", edited);
    box.addEventListener("change", edited);
    unpick.addEventListener("click", () => this.unpick(name));
    this.showMode(entry);
    return entry;
  }

  /**
   * Shows the controls of the chosen mode: the absolute value's, or the operation's.
   * @param {FieldControls} entry
   */
  showMode(entry) {
    if (!entry.ops) return;
    const mode = modeOf(entry.ops);
    const operation = mode === "extend" || mode === "edit";
    entry.control.hidden = operation;
    entry.valueLabel.hidden = operation;
    entry.help.hidden = operation;
    if (entry.ops.opBox) entry.ops.opBox.hidden = !operation;
    this.relabelValue(entry);
  }

  /**
   * The label of the value's control: the field for an absolute value, the amount for a quota's operation.
   * @param {FieldControls} entry
   */
  relabelValue(entry) {
    const mode = modeOf(entry.ops);
    entry.valueLabel.textContent = mode === "add" || mode === "subtract" ? t("amountLabel") : entry.field.label;
  }

  /**
   * @param {FieldControls} entry
   * @param {FieldDescription} field
   */
  relabel(entry, field) {
    entry.field = field;
    entry.title.textContent = field.label;
    entry.unpick.textContent = t("removeField");
    entry.unpick.setAttribute("aria-label", t("removeFieldLabel", { label: field.label }));
    entry.help.textContent = field.help;
    relabelAbsolute(field, entry);
    if (entry.ops) relabelOperations(field.name, entry.ops);
    this.relabelValue(entry);
    if (this.groups.length) this.setGroups(this.groups);
  }

  /**
   * The control that stands for the field in messages and focus: the operation's first input or the value's.
   * @param {FieldControls} entry
   */
  target(entry) {
    const mode = modeOf(entry.ops);
    if (entry.ops && (mode === "extend" || mode === "edit")) {
      const inputs = [...entry.ops.inputs.values()].map(({ input }) => input);
      return inputs.find((input) => input.value.trim()) ?? inputs[0];
    }
    return entry.input;
  }

  /**
   * A quota amount's JSON (quota units) in the unit chosen.
   * @param {FieldControls} entry
   * @param {string} text
   */
  quotaJson(entry, text) {
    const unit = /** @type {"units" | "usd"} */ (entry.ops?.unit?.value ?? "units");
    return quotaJson(text, unit, this.quotaPerUsd);
  }

  /**
   * The field's value (absolute or operation object) as JSON text, or null when nothing is entered (the body then
   * lacks the field).
   * @param {FieldControls} entry
   * @returns {string | null}
   */
  jsonValue(entry) {
    const amount = (/** @type {string} */ text) => this.quotaJson(entry, text);
    if (entry.ops && modeOf(entry.ops) !== "set") return operationJson(entry.field.name, entry.ops, amount, entry.input.value);
    return absoluteJson(entry.field, entry, amount);
  }

  /** The request body exactly as Preview and Apply send it: the picked fields only. */
  bodyText() {
    const selection = this.getSelection();
    const parts = ["ids" in selection ? `"ids":${JSON.stringify(selection.ids)}` : `"filter":${JSON.stringify(selection.filter)}`];
    if ("ids" in selection && selection.scope) parts.push(`"scope":${JSON.stringify(selection.scope)}`);
    const chosen = this.fields.filter((entry) => entry.picked);
    parts.push(`"update_fields":${JSON.stringify(chosen.map((entry) => entry.field.name))}`);
    for (const entry of chosen) {
      const value = this.jsonValue(entry);
      if (value !== null) parts.push(`${JSON.stringify(entry.field.name)}:${value}`);
    }
    return `{${parts.join(",")}}`;
  }

  /**
   * Judges every picked field and the whole body, and shows the messages where they belong.
   * @returns {BodyVerdict | null}
   */
  validate() {
    return showVerdict(this);
  }

  /**
   * The picked fields and what the body writes in each, as a person reads it: `{ name, label, text }`.
   * @returns {{ name: FieldName, label: string, text: string }[]}
   */
  chosen() {
    return this.picked().map((entry) => {
      const name = entry.field.name;
      const value = JSON.parse(this.jsonValue(entry) ?? "null");
      let text;
      if (value !== null && typeof value === "object") text = operationText(name, /** @type {OperationControls} */ (entry.ops), value);
      else if (name === "status") text = t(value === "enabled" ? "statusEnable" : "statusDisable");
      else text = valueText(name, value);
      return { name, label: entry.field.label, text };
    });
  }

  /** Labels of the fields (and status) for the before → after diff. */
  labels() {
    return new Map(this.fields.map((entry) => [entry.field.name, entry.field.label]));
  }
}
