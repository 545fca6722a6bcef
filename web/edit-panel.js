// @ts-check
// The Edit panel: "Edit…" in the bulk-action bar opens it beside the selection (a side panel on a wide screen,
// right above the bar on a narrow one), with the fields the user picked and an "Add field" picker. Focus moves
// into it on open; Escape or Close shuts it and gives focus back to "Edit…". What was entered stays while it
// is closed: the bar names the fields the next Preview and Apply write.

import { t } from "./i18n.js";
import { make } from "./field-controls.js";

/** @import { BatchForm } from "./form.js" */

export class EditPanel {
  /**
   * @param {{ form: BatchForm, element: (id: string) => HTMLElement }} options
   */
  constructor({ form, element }) {
    this.form = form;
    this.panel = element("batch");
    this.opener = /** @type {HTMLButtonElement} */ (element("edit-open"));
    this.closer = /** @type {HTMLButtonElement} */ (element("edit-close"));
    this.picker = /** @type {HTMLSelectElement} */ (element("add-field"));
    this.adder = /** @type {HTMLButtonElement} */ (element("add-field-button"));
    this.pickerRow = element("add-field-row");
    this.allAdded = element("all-fields-added");
    this.summary = element("edit-summary");

    this.opener.addEventListener("click", () => (this.isOpen() ? this.close() : this.open()));
    this.closer.addEventListener("click", () => this.close());
    this.panel.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || event.defaultPrevented) return;
      event.preventDefault();
      this.close();
    });
    this.adder.addEventListener("click", () => {
      if (this.picker.value) this.form.pick(this.picker.value);
    });
    form.onFieldsChange = () => this.render();
    form.onReveal = () => {
      if (!this.isOpen()) this.show();
    };
  }

  isOpen() {
    return !this.panel.hidden;
  }

  /** Opens the panel and moves focus into it: the first picked field, or the picker. */
  open() {
    this.show();
    const first = this.form.picked()[0];
    const target = first ? (first.ops?.mode ?? first.input) : this.picker;
    target.focus();
  }

  show() {
    this.panel.hidden = false;
    this.opener.setAttribute("aria-expanded", "true");
    document.body.classList.add("editing");
  }

  /** Closes the panel (keeping what was entered) and gives focus back to "Edit…". */
  close() {
    if (!this.isOpen()) return;
    this.panel.hidden = true;
    this.opener.setAttribute("aria-expanded", "false");
    document.body.classList.remove("editing");
    this.opener.focus();
  }

  /** Closed without moving focus (sign-out). */
  reset() {
    this.panel.hidden = true;
    this.opener.setAttribute("aria-expanded", "false");
    document.body.classList.remove("editing");
  }

  /** The picker offers the fields not picked yet; the bar names the picked ones. */
  render() {
    const picked = this.form.picked();
    const remaining = this.form.fields.filter((entry) => !entry.picked);
    const chosen = this.picker.value;
    this.picker.replaceChildren(
      make("option", { value: "", textContent: t("chooseField") }),
      ...remaining.map((entry) => make("option", { value: entry.field.name, textContent: entry.field.label })),
    );
    if (remaining.some((entry) => entry.field.name === chosen)) this.picker.value = chosen;
    this.pickerRow.hidden = remaining.length === 0;
    this.allAdded.hidden = remaining.length > 0;
    this.summary.textContent = picked.length
      ? t("editSummary", { fields: picked.map((entry) => entry.field.label).join(t("listSeparator")) })
      : t("editNone");
  }
}
