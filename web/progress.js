// @ts-check
// The progress line of a call that takes a while (a preview, an apply, a revert, counting a preview's results):
// shown only once the call has run for half a second (a quick answer never flashes it), with what is running
// in a polite status region, the elapsed seconds beside it, and either Cancel (for a call that writes nothing,
// aborted with its AbortController) or the plain note that a write already sent cannot be cancelled safely
// (the page's retry of a lost answer sends the same Idempotency-Key or plan again instead). While it runs the
// region it updates carries aria-busy. The status region itself is always in the page (empty when idle), so
// that a screen reader hears the text put into it.

import { t } from "./i18n.js";

/** @import { MessageKey } from "./i18n.js" */

/** How long a call runs before its progress line appears. */
export const PROGRESS_DELAY_MS = 500;

/**
 * One call in progress. `signal`: aborted by Cancel or by `abort()` (only for a call that may be cancelled).
 * @typedef {{ signal: AbortSignal | undefined, abort: () => void, end: () => void }} Running
 */

export class Progress {
  /**
   * `element(id)`: the page's element with that id (index.html's #work-progress and its parts).
   * @param {(id: string) => HTMLElement} element
   */
  constructor(element) {
    this.element = element;
    /** The call shown (or about to be), with its label key; null when none runs. */
    this.current = /** @type {{ label: MessageKey, started: number, controller: AbortController | null } | null} */ (null);
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.delay = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.ticker = undefined;
    element("work-progress-cancel").addEventListener("click", () => this.current?.controller?.abort());
  }

  /**
   * Starts a call: its line appears after PROGRESS_DELAY_MS unless `end()` came first. `cancellable`: the call
   * writes nothing, so Cancel aborts it (its fetch takes the returned `signal`). `busy`: the region the answer
   * will fill, aria-busy meanwhile. A call started while another is shown replaces it on the line.
   * @param {MessageKey} label
   * @param {{ cancellable: boolean, busy?: HTMLElement }} options
   * @returns {Running}
   */
  start(label, { cancellable, busy }) {
    this.stop();
    const controller = cancellable ? new AbortController() : null;
    const current = { label, started: Date.now(), controller };
    this.current = current;
    busy?.setAttribute("aria-busy", "true");
    this.delay = setTimeout(() => this.show(), PROGRESS_DELAY_MS);
    return {
      signal: controller?.signal,
      abort: () => controller?.abort(),
      end: () => {
        busy?.removeAttribute("aria-busy");
        if (this.current === current) this.stop();
      },
    };
  }

  /** Hides the line and forgets the call (its own `end()` is then harmless). */
  stop() {
    clearTimeout(this.delay);
    clearInterval(this.ticker);
    this.current = null;
    this.element("work-progress").classList.remove("active");
    this.element("work-progress-status").textContent = "";
    for (const id of ["work-progress-elapsed", "work-progress-cancel", "work-progress-note"]) this.element(id).hidden = true;
  }

  show() {
    if (!this.current) return;
    this.element("work-progress").classList.add("active");
    this.element("work-progress-elapsed").hidden = false;
    this.render();
    this.ticker = setInterval(() => this.renderElapsed(), 1000);
  }

  /** The line in the page's current language (again after a language switch). */
  render() {
    const current = this.current;
    if (!current || !this.element("work-progress").classList.contains("active")) return;
    this.element("work-progress-status").textContent = t(current.label);
    const cancel = /** @type {HTMLButtonElement} */ (this.element("work-progress-cancel"));
    cancel.textContent = t("progressCancel");
    cancel.hidden = !current.controller;
    const note = this.element("work-progress-note");
    note.textContent = current.controller ? "" : t("progressNoCancel");
    note.hidden = Boolean(current.controller);
    this.renderElapsed();
  }

  renderElapsed() {
    if (!this.current) return;
    const seconds = Math.floor((Date.now() - this.current.started) / 1000);
    this.element("work-progress-elapsed").textContent = t("progressElapsed", { seconds });
  }
}
