// @ts-check
// The History panel (docs/SPEC.md §12): the change sets the user made or that changed their tokens, newest
// first and paged, each in words (when, what, how many, from where, reverted or not); one opened shows its
// tokens' recorded values before → after (paged, the changed columns marked), Preview revert (a dry run) and
// Revert after a confirmation (revert.js). Kept as data, so a language switch draws it again.

import { t } from "./i18n.js";
import { call } from "./api.js";
import { expiryText, units } from "./format.js";
import { diffList } from "./result.js";
import { requestWords, sourceWords, stateWords } from "./history-words.js";

/**
 * @import { ChangeAnswer, ChangesAnswer, ChangeSet, ChangedToken, Page, Session } from "./types.js"
 * @import { Reverter, RevertOutcome } from "./revert.js"
 * @import { MessageKey } from "./i18n.js"
 */

/** Change sets per page of the list, and tokens per page of one change set. */
const LIST_SIZE = 10;
const TOKEN_SIZE = 20;

export class HistoryView {
  /**
   * `element(id)`: the page's element with that id. `session()`: who is signed in. `labels()`: field name →
   * the form's label (status included). `describeError(error)`: a failed call in words.
   * @param {{
   *   element: (id: string) => HTMLElement,
   *   session: () => Session | null,
   *   labels: () => Map<string, string>,
   *   describeError: (error: unknown) => string,
   *   reverter: Reverter,
   *   onReverted: () => void,
   * }} options
   * `onReverted()`: a revert wrote to the tokens (the token table is read again).
   */
  constructor({ element, session, labels, describeError, reverter, onReverted }) {
    this.element = element;
    this.session = session;
    this.labels = labels;
    this.describeError = describeError;
    this.reverter = reverter;
    this.onReverted = onReverted;
    /** @type {Page<ChangeSet> | null} */
    this.list = null;
    /** @type {{ change: ChangeSet, tokens: Page<ChangedToken> } | null} */
    this.detail = null;
    /** @type {RevertOutcome | null} */
    this.outcome = null;
    /** Counts reads of the list and of a change set: only the latest one's answer is drawn. */
    this.loads = { list: 0, detail: 0 };
    /** Calls under way. */
    this.running = 0;
    this.busy = false;
    element("history-prev").addEventListener("click", () => this.load((this.list?.page ?? 1) - 1));
    element("history-next").addEventListener("click", () => this.load((this.list?.page ?? 1) + 1));
    element("history-refresh").addEventListener("click", () => this.load(this.list?.page ?? 1));
    element("change-prev").addEventListener("click", () => this.openChange(this.detailId(), (this.detail?.tokens.page ?? 1) - 1));
    element("change-next").addEventListener("click", () => this.openChange(this.detailId(), (this.detail?.tokens.page ?? 1) + 1));
    element("change-back").addEventListener("click", () => this.closeChange());
    element("revert-preview").addEventListener("click", () => this.runRevert(true));
    element("revert-apply").addEventListener("click", () => this.runRevert(false));
  }

  detailId() {
    return this.detail?.change.id ?? 0;
  }

  /**
   * Runs `work` with the panel's progress line shown and `button` (if any) saying it is working. `kind`: the list
   * and the opened change set are read independently; of each, only the latest answer counts.
   * @template T
   * @param {"list" | "detail"} kind
   * @param {() => Promise<T>} work
   * @param {HTMLButtonElement} [button]
   * @returns {Promise<T | undefined>}
   */
  async working(kind, work, button) {
    const load = ++this.loads[kind];
    const label = button?.textContent;
    this.running += 1;
    this.busy = true;
    this.element("history-busy").hidden = false;
    this.element("history-error").hidden = true;
    this.renderButtons();
    if (button) button.textContent = t("working");
    try {
      const value = await work();
      return load === this.loads[kind] ? value : undefined;
    } catch (error) {
      if (load === this.loads[kind]) {
        this.element("history-error").textContent = this.describeError(error);
        this.element("history-error").hidden = false;
      }
      return undefined;
    } finally {
      if (button && label) button.textContent = label;
      this.running -= 1;
      this.busy = this.running > 0;
      this.element("history-busy").hidden = !this.busy;
      this.renderButtons();
    }
  }

  /** Reads page `page` of the change sets. @param {number} page */
  async load(page) {
    const answer = await this.working("list", async () =>
      /** @type {ChangesAnswer} */ (
        await call(this.session(), "GET", "/api/token/batch/changes", { query: { p: Math.max(1, page), size: LIST_SIZE } })
      ),
    );
    if (!answer) return;
    this.list = answer.data;
    this.renderList();
  }

  /**
   * Opens change set `id` at page `page` of its tokens (focus on its title when newly opened).
   * @param {number} id
   * @param {number} [page]
   */
  async openChange(id, page = 1) {
    const fresh = this.detailId() !== id;
    const answer = await this.working("detail", async () =>
      /** @type {ChangeAnswer} */ (
        await call(this.session(), "GET", `/api/token/batch/changes/${id}`, { query: { p: Math.max(1, page), size: TOKEN_SIZE } })
      ),
    );
    if (!answer) return;
    if (fresh) this.outcome = null;
    this.detail = { change: answer.change, tokens: answer.data };
    this.renderDetail();
    if (fresh) this.element("change-title").focus();
  }

  closeChange() {
    this.detail = null;
    this.outcome = null;
    this.renderDetail();
    this.element("history-title").focus();
  }

  /** Preview revert (`dryRun`), or Revert after its confirmation; then the change set and the list read again. */
  async runRevert(/** @type {boolean} */ dryRun) {
    const id = this.detailId();
    if (!id || this.busy) return;
    const strict = /** @type {HTMLInputElement} */ (this.element("revert-strict")).checked;
    const button = /** @type {HTMLButtonElement} */ (this.element(dryRun ? "revert-preview" : "revert-apply"));
    const outcome = await this.working("detail", () => (dryRun ? this.reverter.preview(id, strict) : this.reverter.revert(id, strict)), button);
    if (!outcome || this.detailId() !== id) return;
    this.outcome = outcome;
    this.renderOutcome();
    if (outcome.answer && !outcome.answer.dry_run) {
      this.onReverted();
      await this.openChange(id, this.detail?.tokens.page ?? 1);
      await this.load(1);
    }
    this.element("revert-outcome").focus();
  }

  /** Forgets everything (sign-out). */
  reset() {
    this.loads.list += 1;
    this.loads.detail += 1;
    this.list = null;
    this.detail = null;
    this.outcome = null;
    this.element("history-busy").hidden = true;
    this.element("history-error").hidden = true;
    this.render();
  }

  render() {
    this.renderList();
    this.renderDetail();
  }

  renderButtons() {
    const list = this.list;
    const pages = list ? Math.max(1, Math.ceil(list.total / list.page_size)) : 1;
    /** @type {HTMLButtonElement} */ (this.element("history-prev")).disabled = this.busy || !list || list.page <= 1;
    /** @type {HTMLButtonElement} */ (this.element("history-next")).disabled = this.busy || !list || list.page >= pages;
    const tokens = this.detail?.tokens;
    const tokenPages = tokens ? Math.max(1, Math.ceil(tokens.total / tokens.page_size)) : 1;
    /** @type {HTMLButtonElement} */ (this.element("change-prev")).disabled = this.busy || !tokens || tokens.page <= 1;
    /** @type {HTMLButtonElement} */ (this.element("change-next")).disabled = this.busy || !tokens || tokens.page >= tokenPages;
    for (const id of ["revert-preview", "revert-apply", "history-refresh"]) {
      /** @type {HTMLButtonElement} */ (this.element(id)).disabled = this.busy;
    }
  }

  renderList() {
    const body = /** @type {HTMLTableElement} */ (this.element("history-table")).tBodies[0];
    body.replaceChildren();
    const list = this.list;
    const labels = this.labels();
    for (const change of list?.items ?? []) {
      const row = body.insertRow();
      row.dataset.change = String(change.id);
      if (this.detailId() === change.id) row.setAttribute("aria-current", "true");
      const open = document.createElement("button");
      open.type = "button";
      open.className = "open-change";
      open.textContent = `#${change.id}`;
      open.setAttribute("aria-label", t("openChange", { id: change.id }));
      open.addEventListener("click", () => this.openChange(change.id));
      row.insertCell().append(open);
      /** @type {[string, MessageKey, string][]} */
      const cells = [
        ["when", "colWhen", expiryText(change.created_time)],
        ["what", "colWhat", requestWords(change.request, labels)],
        ["changed", "colChanged", units(change.changed)],
        ["source", "colSource", sourceWords(change)],
        ["state", "colState", stateWords(change)],
      ];
      for (const [name, header, text] of cells) {
        const cell = row.insertCell();
        cell.dataset.col = name;
        // A phone shows each row as a card, each value under its column's name.
        cell.dataset.label = t(header);
        cell.textContent = text;
        if (name === "what") cell.title = text;
      }
    }
    const empty = this.element("history-empty");
    empty.hidden = !list || list.total > 0;
    const pages = list ? Math.max(1, Math.ceil(list.total / list.page_size)) : 1;
    this.element("history-info").textContent = list
      ? t("historyInfo", { page: units(list.page), pages: units(pages), total: units(list.total) })
      : "";
    this.renderButtons();
  }

  renderDetail() {
    const section = this.element("change");
    const detail = this.detail;
    section.hidden = !detail;
    for (const row of /** @type {HTMLTableElement} */ (this.element("history-table")).tBodies[0].rows) {
      if (row.dataset.change === String(detail?.change.id)) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
    if (!detail) {
      this.renderOutcome();
      return;
    }
    const { change, tokens } = detail;
    this.element("change-title").textContent = t("changeTitle", { id: change.id });
    this.element("change-what").textContent = requestWords(change.request, this.labels());
    this.element("change-meta").textContent = t("changeMeta", {
      when: expiryText(change.created_time),
      source: sourceWords(change),
      changed: units(change.changed),
      unchanged: units(change.unchanged),
    });
    const state = this.element("change-state");
    state.textContent = stateWords(change);
    state.hidden = change.reverts === null && change.reverted_by === null;
    const body = /** @type {HTMLTableElement} */ (this.element("change-tokens")).tBodies[0];
    body.replaceChildren();
    const labels = this.labels();
    for (const token of tokens.items) {
      const row = body.insertRow();
      row.dataset.id = String(token.id);
      row.insertCell().textContent = String(token.id);
      row.insertCell().append(diffList(token.before, token.after, labels, { all: true }));
    }
    this.element("change-empty").hidden = tokens.total > 0;
    const pages = Math.max(1, Math.ceil(tokens.total / tokens.page_size));
    this.element("change-info").textContent = t("changeTokensInfo", {
      page: units(tokens.page),
      pages: units(pages),
      total: units(tokens.total),
    });
    // Only the user who made a change set may revert it (an owner of some of its tokens only reads it).
    this.element("revert-tools").hidden = String(change.user_id) !== this.session()?.userId;
    this.renderButtons();
    this.renderOutcome();
  }

  renderOutcome() {
    this.reverter.render(this.element("revert-outcome"), this.detail ? this.outcome : null);
  }
}
