// @ts-check
// Writes ask first: a modal <dialog> saying what is about to happen. Apply's says what the preview found
// ("2 398 of 3 000 tokens will change: Group → vip") and that the tokens will expire at once when the expiry is
// in the past; a revert's names how many tokens it restores and skips (history.js). Escape or Cancel closes it
// without sending anything.

import { t } from "./i18n.js";
import { units } from "./format.js";

/**
 * What Apply is about to do: the preview's count of changed tokens out of those selected, each ticked field's
 * `[label, value as read]`, the preview's per-field summary with what it covers ("" when none: preview-summary.js)
 * and whether the expiry written is in the past.
 * @typedef {{ changed: number, total: number, changes: [string, string][], fields: string, expires: boolean }} ApplySummary
 */

/**
 * Apply's dialog texts: the summary, and the note that the tokens expire at once ("" when they do not).
 * @param {ApplySummary} summary
 * @returns {[string, string]}
 */
export function applyTexts({ changed, total, changes, fields, expires }) {
  const summary = t("confirmSummary", {
    changed: units(changed),
    total: units(total),
    changes: changes.map(([label, value]) => `${label} → ${value}`).join(t("listSeparator")),
  });
  return [fields ? `${summary}\n${fields}` : summary, expires ? t("confirmExpires") : ""];
}

/** The parts of a confirmation dialog. @typedef {"text" | "warning" | "cancel" | "confirm"} Part */

/** @type {Record<Part, string>} */
const APPLY_IDS = { text: "confirm-text", warning: "confirm-expires", cancel: "confirm-cancel", confirm: "confirm-apply" };

/** @template [S=ApplySummary] */
export class ConfirmDialog {
  /**
   * `onConfirm()`: runs once the user chose to go on. `texts(summary)`: the dialog's main text and its warning
   * ("" for none). `ids`: the ids of the dialog's parts (Apply's dialog by default).
   * @param {HTMLDialogElement} dialog
   * @param {{ onConfirm: () => void, texts: (summary: S) => [string, string], ids?: Record<Part, string> }} options
   */
  constructor(dialog, { onConfirm, texts, ids = APPLY_IDS }) {
    this.dialog = dialog;
    this.onConfirm = onConfirm;
    this.texts = texts;
    /** @type {(() => S) | null} */
    this.summary = null;
    /** The dialog's part `name` (index.html has each one). */
    this.element = (/** @type {Part} */ name) => /** @type {HTMLElement} */ (dialog.querySelector(`#${ids[name]}`));
    this.element("cancel").addEventListener("click", () => dialog.close("cancel"));
    this.element("confirm").addEventListener("click", () => dialog.close("apply"));
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "apply";
      dialog.returnValue = "";
      this.summary = null;
      if (confirmed) this.onConfirm();
    });
  }

  /**
   * `summary()` gives what the dialog tells, in the page's current language: asked again when the language
   * changes while the dialog is open.
   * @param {() => S} summary
   */
  open(summary) {
    this.summary = summary;
    this.render();
    this.dialog.returnValue = "";
    this.dialog.showModal();
    this.element("cancel").focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close("cancel");
  }

  render() {
    if (!this.summary) return;
    const [text, warning] = this.texts(this.summary());
    this.element("text").textContent = text;
    const note = this.element("warning");
    note.textContent = warning;
    note.hidden = !warning;
  }
}
