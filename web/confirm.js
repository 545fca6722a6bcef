// @ts-check
// Apply asks first: a modal <dialog> saying what the preview found ("2 398 of 3 000 tokens will change:
// Group → vip"), and that the tokens will expire at once when the expiry is in the past. Escape or Cancel
// closes it without sending anything.

import { t } from "./i18n.js";
import { units } from "./format.js";

/**
 * What Apply is about to do: the preview's count of changed tokens out of those selected, each ticked field's
 * `[label, value as read]`, and whether the expiry written is in the past.
 * @typedef {{ changed: number, total: number, changes: [string, string][], expires: boolean }} ApplySummary
 */

export class ConfirmDialog {
  /**
   * `onConfirm()`: runs once the user chose to apply.
   * @param {HTMLDialogElement} dialog
   * @param {{ onConfirm: () => void }} callbacks
   */
  constructor(dialog, { onConfirm }) {
    this.dialog = dialog;
    this.onConfirm = onConfirm;
    /** @type {(() => ApplySummary) | null} */
    this.summary = null;
    /** The dialog's element with id `id` (index.html has each one). */
    this.element = (/** @type {string} */ id) => /** @type {HTMLElement} */ (dialog.querySelector(`#${id}`));
    this.element("confirm-cancel").addEventListener("click", () => dialog.close("cancel"));
    this.element("confirm-apply").addEventListener("click", () => dialog.close("apply"));
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "apply";
      dialog.returnValue = "";
      this.summary = null;
      if (confirmed) this.onConfirm();
    });
  }

  /**
   * `summary()` gives, in the page's current language, `{ changed, total, changes: [[label, value]], expires }`:
   * asked again when the language changes while the dialog is open.
   * @param {() => ApplySummary} summary
   */
  open(summary) {
    this.summary = summary;
    this.render();
    this.dialog.returnValue = "";
    this.dialog.showModal();
    this.element("confirm-cancel").focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close("cancel");
  }

  render() {
    if (!this.summary) return;
    const { changed, total, changes, expires } = this.summary();
    this.element("confirm-text").textContent = t("confirmSummary", {
      changed: units(changed),
      total: units(total),
      changes: changes.map(([label, value]) => `${label} → ${value}`).join(t("listSeparator")),
    });
    const note = this.element("confirm-expires");
    note.textContent = expires ? t("confirmExpires") : "";
    note.hidden = !expires;
  }
}
