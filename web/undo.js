// @ts-check
// Undo beside an Apply's result: the answer's `change_id` reverted the way the History panel does it (revert.js:
// the dry run, the confirmation naming how many tokens are restored and skipped, the revert), its outcome drawn
// under the button.

import { t } from "./i18n.js";

/** @import { Reverter, RevertOutcome } from "./revert.js" */

export class Undo {
  /**
   * `element(id)`: the page's element with that id. `onReverted()`: the revert wrote to the tokens.
   * @param {{ element: (id: string) => HTMLElement, reverter: Reverter, onReverted: () => void }} options
   */
  constructor({ element, reverter, onReverted }) {
    this.element = element;
    this.reverter = reverter;
    this.onReverted = onReverted;
    /** The change set of the last Apply, while its result is on screen. @type {number | null} */
    this.changeId = null;
    /** @type {RevertOutcome | null} */
    this.outcome = null;
    this.busy = false;
    element("undo").addEventListener("click", () => this.run());
  }

  /**
   * A new result is on screen: Undo is offered for an Apply that recorded change set `changeId`, and only then.
   * @param {number | null} changeId
   */
  offer(changeId) {
    this.changeId = changeId;
    this.outcome = null;
    this.render();
  }

  async run() {
    const id = this.changeId;
    if (id === null || this.busy) return;
    const button = /** @type {HTMLButtonElement} */ (this.element("undo"));
    this.busy = true;
    button.disabled = true;
    button.textContent = t("working");
    try {
      const outcome = await this.reverter.revert(id, false);
      if (this.changeId !== id) return;
      this.outcome = outcome;
      if (outcome.answer && !outcome.answer.dry_run) this.onReverted();
    } finally {
      this.busy = false;
      button.disabled = false;
      this.render();
    }
    this.element("undo-outcome").focus();
  }

  render() {
    this.element("undo-box").hidden = this.changeId === null;
    const button = /** @type {HTMLButtonElement} */ (this.element("undo"));
    if (!this.busy) button.textContent = t("undo");
    // Once reverted, the batch is undone: a second click would only be told so.
    button.hidden = Boolean(this.outcome?.answer && !this.outcome.answer.dry_run);
    this.reverter.render(this.element("undo-outcome"), this.outcome);
  }
}
