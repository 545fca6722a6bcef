// @ts-check
// Reverting a change set (docs/SPEC.md §12), for the History panel and Undo alike: the dry run first, then a
// confirmation naming how many tokens are restored and skipped, then the revert; and the outcome drawn as data
// (so a language switch draws it again): what was or would be restored, every skipped token and why, the
// revert's own change set, or the refusal in the page's words (already reverted, by which change set; strict
// and some token changed since; not found).

import { t } from "./i18n.js";
import { units } from "./format.js";
import { call, ApiError } from "./api.js";
import { ConfirmDialog } from "./confirm.js";
import { diffList } from "./result.js";
import { reasonWords } from "./history-words.js";
import { serverCounts, summaryLines } from "./preview-summary.js";

/**
 * @import { BatchResult, ChangeAnswer, ChangeSummary, RevertAnswer, Session } from "./types.js"
 * @import { Progress } from "./progress.js"
 */

/**
 * A revert's outcome: an answer (a dry run, or the revert done), or a refusal or failure: `code` the server's,
 * with the revert that already undid it (`revertedBy`) or, for strict, the tokens that would be skipped.
 * @typedef {{ changeId: number, answer: RevertAnswer, error?: undefined }
 *   | { changeId: number, answer?: undefined, error: { code: string, text?: string, revertedBy?: number | null,
 *       skipped?: RevertAnswer["skipped"] } }} RevertOutcome
 */

/**
 * Tokens whose restored values are listed under a revert's outcome; the rest are counted (a revert of 100 000
 * tokens listed whole took the page minutes to draw). The History panel's change set pages through them all.
 */
const RESTORED_SHOWN = 200;

/** What the confirmation names. @typedef {{ id: number, restored: number, skipped: number }} RevertSummary */

/**
 * @param {RevertSummary} summary
 * @returns {[string, string]}
 */
const revertTexts = ({ id, restored, skipped }) => [
  t("revertConfirmText", { id, restored: units(restored), skipped: units(skipped) }),
  skipped ? t("revertConfirmSkipped", { count: units(skipped) }) : "",
];

export class Reverter {
  /**
   * `session()`: who is signed in. `labels()`: field name → the form's label. `describeError(error)`: a failed
   * call in words. `open(id)`: shows change set `id` in the History panel.
   * @param {{
   *   session: () => Session | null,
   *   dialog: HTMLDialogElement,
   *   labels: () => Map<string, string>,
   *   describeError: (error: unknown) => string,
   *   open: (id: number) => void,
   *   progress: Progress,
   * }} options
   * `progress`: the line shown while a call runs past half a second (a dry run may be cancelled, a revert not).
   */
  constructor({ session, dialog, labels, describeError, open, progress }) {
    this.progress = progress;
    this.session = session;
    this.labels = labels;
    this.describeError = describeError;
    this.open = open;
    this.confirmed = false;
    this.dialog = new ConfirmDialog(dialog, {
      onConfirm: () => {
        this.confirmed = true;
      },
      texts: revertTexts,
      ids: { text: "revert-text", warning: "revert-skipped", cancel: "revert-cancel", confirm: "revert-confirm" },
    });
  }

  /**
   * `details`: the revert answers each restored token (a dry run always does).
   * @param {number} id
   * @param {{ dryRun: boolean, strict: boolean, details?: boolean }} options
   */
  async send(id, { dryRun, strict, details = true }) {
    const body = JSON.stringify({ dry_run: dryRun, strict });
    const running = this.progress.start(dryRun ? "progressRevertPreview" : "progressRevert", { cancellable: dryRun });
    try {
      const path = `/api/token/batch/changes/${id}/revert`;
      // The first RESTORED_SHOWN tokens are listed; the counts and the dry run's summary cover all of them.
      /** @type {Record<string, string>} */
      const query = details || dryRun ? { details: "true", size: String(RESTORED_SHOWN) } : {};
      const options = { body, query, signal: running.signal };
      return /** @type {RevertAnswer} */ (await call(this.session(), "POST", path, options));
    } finally {
      running.end();
    }
  }

  /**
   * The dry run alone (Preview revert): what would be restored and skipped, writing nothing.
   * @param {number} id
   * @param {boolean} strict
   * @returns {Promise<RevertOutcome>}
   */
  async preview(id, strict) {
    try {
      return { changeId: id, answer: await this.send(id, { dryRun: true, strict }) };
    } catch (error) {
      return { changeId: id, error: await this.refusal(error, id) };
    }
  }

  /**
   * Revert: the dry run, the confirmation with its counts, then the revert. Cancelled, or with nothing to
   * restore, the dry run's outcome is the answer (nothing was written).
   * @param {number} id
   * @param {boolean} strict
   * @returns {Promise<RevertOutcome>}
   */
  async revert(id, strict) {
    const dry = await this.preview(id, strict);
    if (!dry.answer || dry.answer.data === 0) return dry;
    const answer = dry.answer;
    if (!(await this.ask({ id, restored: answer.data, skipped: answer.skipped.length }))) return dry;
    // The outcome lists the first RESTORED_SHOWN tokens: a larger revert's per-token answer (tens of MB for
    // 100 000 tokens) is not asked for; the dry run just showed them, the History pages through them.
    const details = answer.data <= RESTORED_SHOWN;
    try {
      return { changeId: id, answer: await this.send(id, { dryRun: false, strict, details }) };
    } catch (error) {
      return { changeId: id, error: await this.refusal(error, id) };
    }
  }

  /**
   * Opens the confirmation; resolves to whether the user chose to revert.
   * @param {RevertSummary} summary
   * @returns {Promise<boolean>}
   */
  ask(summary) {
    this.confirmed = false;
    return new Promise((resolve) => {
      this.dialog.dialog.addEventListener("close", () => resolve(this.confirmed), { once: true });
      this.dialog.open(() => summary);
    });
  }

  /**
   * A refusal as data: for an already reverted change set, the revert that did it (read again from the
   * history, the message only names it); for strict, the tokens that would be skipped (a dry run without it).
   * @param {unknown} error
   * @param {number} id
   */
  async refusal(error, id) {
    const code = error instanceof ApiError ? error.envelope?.code ?? "" : "";
    try {
      if (code === "change.already_reverted") {
        const detail = /** @type {ChangeAnswer} */ (
          await call(this.session(), "GET", `/api/token/batch/changes/${id}`, { query: { p: 1, size: 1 } })
        );
        return { code, revertedBy: detail.change.reverted_by };
      }
      if (code === "revert.conflict") {
        return { code, skipped: (await this.send(id, { dryRun: true, strict: false })).skipped };
      }
    } catch {
      // The refusal is still worth telling without the detail.
    }
    return { code, text: code === "change.not_found" ? undefined : this.describeError(error) };
  }

  /**
   * Draws `outcome` into `box` in the page's current language.
   * @param {HTMLElement} box
   * @param {RevertOutcome | null} outcome
   */
  render(box, outcome) {
    box.replaceChildren();
    box.hidden = !outcome;
    if (!outcome) return;
    const summary = document.createElement("p");
    summary.className = "revert-summary";
    box.append(summary);
    if (outcome.error) {
      const { code, text, revertedBy, skipped } = outcome.error;
      summary.classList.add("error");
      summary.setAttribute("role", "alert");
      summary.dataset.code = code;
      if (code === "change.already_reverted" && revertedBy) {
        summary.textContent = t("revertAlready", { id: revertedBy });
        box.append(this.openButton(revertedBy));
      } else if (code === "revert.conflict" && skipped) {
        summary.textContent = t("revertConflict", { count: units(skipped.length), option: t("revertStrict") });
        this.appendSkipped(box, skipped);
      } else {
        summary.textContent = text ?? t("changeNotFound");
      }
      return;
    }
    const answer = outcome.answer;
    summary.classList.add("success");
    summary.setAttribute("role", "status");
    summary.dataset.code = answer.dry_run ? "revert.preview" : "revert.done";
    const counts = { restored: units(answer.data), unchanged: units(answer.unchanged), skipped: units(answer.skipped.length) };
    if (answer.dry_run) summary.textContent = t("revertPreviewSummary", counts);
    else if (answer.revert_id) summary.textContent = t("revertDone", { ...counts, revert: answer.revert_id });
    else summary.textContent = t("revertNothing");
    if (answer.revert_id) box.append(this.openButton(answer.revert_id));
    if (answer.summary) this.appendFields(box, answer.summary, answer.data);
    this.appendSkipped(box, answer.skipped);
    if (answer.results?.length) this.appendRestored(box, answer.results, answer.data);
    else if (!answer.dry_run && answer.data > 0) this.appendNote(box, t("revertRestoredUnlisted", { count: units(answer.data) }));
  }

  /** A button that shows change set `id` in the History panel. @param {number} id */
  openButton(id) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "open-change";
    button.dataset.change = String(id);
    button.textContent = t("revertOpen", { id });
    button.addEventListener("click", () => this.open(id));
    return button;
  }

  /**
   * @param {HTMLElement} box
   * @param {RevertAnswer["skipped"]} skipped
   */
  appendSkipped(box, skipped) {
    if (!skipped.length) return;
    const title = document.createElement("h4");
    title.textContent = t("skippedTitle");
    const list = document.createElement("ul");
    list.className = "messages skipped";
    for (const { id, reason } of skipped) {
      const line = document.createElement("li");
      line.className = "warning";
      line.dataset.id = String(id);
      line.dataset.reason = reason;
      line.textContent = t("skippedLine", { id, reason: reasonWords(reason) });
      list.append(line);
    }
    box.append(title, list);
  }

  /**
   * A dry run's per-column summary of everything it would restore (the server's counts over every token).
   * @param {HTMLElement} box
   * @param {ChangeSummary} summary
   * @param {number} restored
   */
  appendFields(box, summary, restored) {
    const lines = summaryLines(serverCounts(summary, restored, restored), this.labels(), true);
    if (!lines.length) return;
    const list = document.createElement("ul");
    list.className = "revert-fields";
    for (const text of lines) {
      const line = document.createElement("li");
      line.textContent = text;
      list.append(line);
    }
    box.append(list);
  }

  /**
   * Each token restored (or to restore): its values now → after the revert; `total` restored in all (the answer
   * lists the first ones).
   * @param {HTMLElement} box
   * @param {BatchResult[]} results
   * @param {number} total
   */
  appendRestored(box, results, total) {
    const title = document.createElement("h4");
    title.textContent = t("revertResultsTitle");
    const list = document.createElement("ul");
    list.className = "restored";
    const labels = this.labels();
    for (const item of results.slice(0, RESTORED_SHOWN)) {
      const line = document.createElement("li");
      line.dataset.id = String(item.id);
      const name = document.createElement("strong");
      name.textContent = `#${item.id}`;
      line.append(name, diffList(item.before, item.after, labels));
      list.append(line);
    }
    box.append(title, list);
    const more = total - Math.min(results.length, RESTORED_SHOWN);
    if (more > 0) this.appendNote(box, t("revertMoreRestored", { count: units(more) }));
  }

  /**
   * A note under the restored tokens: how many more there are than listed, or where they are listed.
   * @param {HTMLElement} box
   * @param {string} text
   */
  appendNote(box, text) {
    const note = document.createElement("p");
    note.className = "help restored-more";
    note.textContent = text;
    box.append(note);
  }
}
