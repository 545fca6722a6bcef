// Apply asks first: a modal <dialog> saying what the preview found ("2 398 of 3 000 tokens will change:
// Group → vip"), and that the tokens will expire at once when the expiry is in the past. Escape or Cancel
// closes it without sending anything.

import { t } from "./i18n.js";
import { units } from "./format.js";

export class ConfirmDialog {
  /** `onConfirm()`: runs once the user chose to apply. */
  constructor(dialog, { onConfirm }) {
    this.dialog = dialog;
    this.onConfirm = onConfirm;
    this.summary = null;
    this.element = (id) => dialog.querySelector(`#${id}`);
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
