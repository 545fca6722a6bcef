// @ts-check
// The page's two views, switched from the header: Tokens (find, edit, preview, apply) and History (history.js),
// and Undo beside an Apply's result; both revert through one Reverter (revert.js) and its dialog.

import { Reverter } from "./revert.js";
import { HistoryView } from "./history.js";
import { Undo } from "./undo.js";

/**
 * @import { Session } from "./types.js"
 * @import { Progress } from "./progress.js"
 */

/** @typedef {"tokens" | "history"} View */

export class Views {
  /**
   * `element(id)`: the page's element with that id. `session()`: who is signed in. `labels()`: field name → the
   * form's label (status included). `describeError(error)`: a failed call in words. `onReverted()`: a revert
   * wrote to the tokens.
   * @param {{
   *   element: (id: string) => HTMLElement,
   *   session: () => Session | null,
   *   labels: () => Map<string, string>,
   *   describeError: (error: unknown) => string,
   *   onReverted: () => void,
   *   progress: Progress,
   * }} options
   * `progress`: the line shown while a revert's call runs.
   */
  constructor({ element, session, labels, describeError, onReverted, progress }) {
    this.element = element;
    /** @type {View} */
    this.view = "tokens";
    this.reverter = new Reverter({
      session,
      dialog: /** @type {HTMLDialogElement} */ (element("revert-dialog")),
      labels,
      describeError,
      progress,
      open: (id) => {
        this.show("history", { focus: false });
        this.history.openChange(id);
      },
    });
    /** Whether the list may be older than the history (a batch was applied since it was read). */
    this.stale = true;
    this.history = new HistoryView({ element, session, labels, describeError, reverter: this.reverter, onReverted });
    this.undo = new Undo({
      element,
      reverter: this.reverter,
      onReverted: () => {
        this.stale = true;
        onReverted();
      },
    });
    element("view-tokens").addEventListener("click", () => this.show("tokens"));
    element("view-history").addEventListener("click", () => this.show("history"));
  }

  /**
   * Shows `view`; History reads its list again when a batch was applied since. `focus`: the view's title.
   * @param {View} view
   * @param {{ focus?: boolean }} [options]
   */
  show(view, { focus = true } = {}) {
    this.view = view;
    const history = view === "history";
    this.element("workspace").hidden = history;
    this.element("history").hidden = !history;
    this.element("view-tokens").setAttribute("aria-pressed", String(!history));
    this.element("view-history").setAttribute("aria-pressed", String(history));
    if (history && (this.stale || !this.history.list)) {
      this.stale = false;
      this.history.load(1);
    }
    if (focus) this.element(history ? "history-title" : "tokens-title").focus();
  }

  /**
   * A Preview or Apply ended: Undo is offered for an Apply that recorded change set `changeId`.
   * @param {boolean} applied
   * @param {number | null} changeId
   */
  outcome(applied, changeId) {
    if (applied) this.stale = true;
    this.undo.offer(changeId);
  }

  /** Signed in (`true`: the view switch appears) or out (everything forgotten). @param {boolean} signedIn */
  signedIn(signedIn) {
    this.element("views").hidden = !signedIn;
    this.reverter.dialog.close();
    this.history.reset();
    this.undo.offer(null);
    this.stale = true;
    if (signedIn) this.show("tokens", { focus: false });
    else this.element("history").hidden = true;
  }

  /** Draws everything again in the page's language. */
  relabel() {
    this.history.render();
    this.undo.render();
    this.reverter.dialog.render();
  }
}
