// @ts-check
// The result section: what the last Preview or Apply answered, kept as data so that it is drawn again in the
// language the page is switched to, and cleared when it no longer matches the form (a preview) or the user.

import { t, lang } from "./i18n.js";
import { valueText, units, expiryText } from "./format.js";
import { ApiError } from "./api.js";

/**
 * @import { BatchAnswer, BatchResult, BodyVerdict, FieldError, Notice, Plan, RulesItem }
 *   from "./types.js"
 * @import { MessageKey } from "./i18n.js"
 * @import { PreviewSummary } from "./preview-summary.js"
 */

/** Rows of a plan's preview fetched at a time (the dry run's first page is as large: `?size=`). */
export const PLAN_PAGE_SIZE = 50;

/** A plan the server refused to apply, and the page's explanation of it. @type {Record<string, MessageKey>} */
const PLAN_REFUSALS = { "plan.stale": "planStale", "plan.expired": "planExpired", "plan.not_found": "planNotFound" };

/**
 * The page's explanation key when `error` is the server refusing a plan (stale, expired, unknown), else null.
 * @param {unknown} error
 * @returns {MessageKey | null}
 */
export function planRefusal(error) {
  const code = error instanceof ApiError ? error.envelope?.code : undefined;
  return code && Object.hasOwn(PLAN_REFUSALS, code) ? PLAN_REFUSALS[code] : null;
}

/**
 * What the last Preview (`dryRun`) or Apply of `body` ended in: the server's answer, or the failure (`unknown`:
 * an Apply that may have been applied all the same).
 * @typedef {{ dryRun: boolean, body: string, envelope: BatchAnswer, error?: undefined }
 *   | { dryRun: boolean, body: string, envelope?: undefined, error: unknown, unknown: boolean }} Outcome
 */

/**
 * An Outcome, the language the page spoke when it came, and whether it is (or previews) an apply by plan.
 * @typedef {Outcome & { lang: string, byPlan?: boolean }} ResultRecord
 */

/**
 * A line of the result's lists: the message's code and the sentence shown.
 * @typedef {{ code: string, text: string }} Line
 */

/**
 * Result rows shown at first and added per click: with 10 000 rows listed, building the list took about 1 s in
 * Chromium and every later change of the page (the token table's reload) another 1.3 s.
 */
const RESULT_ROWS_STEP = 500;

export class ResultView {
  /**
   * `labels()`: field name → label in the page's language. `nameOf(id)`: a selected token's name.
   * `wording(item, tag)`: the page's sentence for one of the server's errors or warnings written in language
   * `tag`. `rejudge(body)`: the rules' verdict on `body` in the page's language, so that messages of the rules
   * follow a language switch (the server's other messages stay in the language they were written in).
   * `describeError(error)`: a failed call in words.
   * @param {HTMLElement} root
   * @param {{
   *   labels: () => Map<string, string>,
   *   nameOf: (id: number) => string,
   *   wording: (item: RulesItem, tag: string) => string,
   *   rejudge: (body: string) => BodyVerdict,
   *   describeError: (error: unknown, tag?: string) => string,
   *   planPage: (planId: string, page: number, size: number) => Promise<BatchResult[]>,
   *   previewAgain: () => void,
   *   summary: PreviewSummary,
   * }} options
   * `planPage(planId, page, size)`: one page of a plan's results. `previewAgain()`: a new preview of the form.
   * `summary`: the per-field summary and changed / unchanged filter of the rows (preview-summary.js).
   */
  constructor(root, { labels, nameOf, wording, rejudge, describeError, planPage, previewAgain, summary }) {
    this.summary = summary;
    this.planPage = planPage;
    this.previewAgain = previewAgain;
    this.root = root;
    this.labels = labels;
    this.nameOf = nameOf;
    this.wording = wording;
    this.rejudge = rejudge;
    this.describeError = describeError;
    /**
     * `{ dryRun, body, lang, envelope }` after an answer, `{ dryRun, body, lang, error, unknown }` after a failure.
     * @type {ResultRecord | null}
     */
    this.record = null;
    /** The section's element with id `id` (index.html has each one). */
    this.element = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
  }

  /**
   * Whether a preview is on screen (success or failure) for a body other than `body`.
   * @param {string} body
   */
  showsPreviewOtherThan(body) {
    return Boolean(this.record?.dryRun) && this.record?.body !== body;
  }

  /**
   * `byPlan`: an Apply that sent a preview's plan_id, or a preview that Apply will apply by its plan.
   * @param {Outcome} record
   * @param {{ byPlan?: boolean }} [options]
   */
  show(record, { byPlan = false } = {}) {
    this.record = { ...record, lang: lang(), byPlan };
    this.render();
  }

  clear() {
    this.record = null;
    this.root.hidden = true;
    this.element("result-summary").textContent = "";
    this.element("result-summary").className = "";
    for (const id of ["result-errors", "result-warnings", "result-dataset"]) this.element(id).replaceChildren();
    this.element("result-replayed").hidden = true;
    this.element("result-plan").hidden = true;
    this.summary.clear();
  }

  /** Draws the record in the page's current language. */
  render() {
    const record = this.record;
    if (!record) return;
    this.root.hidden = false;
    // Only an answer has per-token results to export.
    this.element("export-result").hidden = !record.envelope;
    if (record.envelope) this.renderAnswer(record);
    else this.renderFailure(record);
  }

  /**
   * The server's errors or warnings in the page's words, in the page's language where the rules can say them.
   * @param {ResultRecord} record
   * @param {(FieldError | Notice)[]} items
   * @returns {Line[]}
   */
  messages(record, items) {
    const fresh = record.lang === lang() ? null : this.rejudge(record.body);
    return items.map((item) => {
      const again = fresh && [...fresh.errors, ...fresh.warnings].find((one) => one.code === item.code && one.field === item.field);
      return { code: item.code, text: again ? this.wording(again, lang()) : this.wording(item, record.lang) };
    });
  }

  /**
   * @param {string} id
   * @param {string} className
   * @param {Line[]} lines
   */
  fillList(id, className, lines) {
    const list = this.element(id);
    list.replaceChildren();
    for (const { code, text } of lines) {
      const line = document.createElement("li");
      if (className) line.className = className;
      line.dataset.code = code;
      line.textContent = text;
      list.append(line);
    }
  }

  /**
   * `unknown`: an apply that may have been applied; the pending key makes clicking Apply again safe.
   * @param {ResultRecord & { unknown: boolean }} record
   */
  renderFailure(record) {
    const { error, unknown } = record;
    const summary = this.element("result-summary");
    summary.className = "error";
    summary.setAttribute("role", "alert");
    const items = error instanceof ApiError ? error.envelope?.errors ?? [] : [];
    const refusal = planRefusal(error);
    const text = refusal
      ? t(refusal, { message: /** @type {ApiError} */ (error).message })
      : this.describeError(error, record.lang);
    summary.textContent = unknown ? `${text} ${t("retrySafe")}` : text;
    summary.dataset.code = refusal && error instanceof ApiError ? error.envelope?.code ?? "" : "";
    this.element("result-replayed").hidden = true;
    this.element("result-plan").hidden = true;
    this.element("result-dataset").replaceChildren();
    this.summary.clear();
    if (refusal) {
      // The plan cannot be applied any more: the way on is a new preview of the same form and selection.
      const again = document.createElement("button");
      again.type = "button";
      again.id = "preview-again";
      again.textContent = t("previewAgain");
      again.addEventListener("click", () => this.previewAgain());
      this.element("result-dataset").append(again);
    }
    this.fillList("result-errors", "", this.messages(record, items));
    this.element("result-warnings").replaceChildren();
  }

  /** @param {ResultRecord & { envelope: BatchAnswer }} record */
  renderAnswer(record) {
    const { envelope, dryRun } = record;
    const summary = this.element("result-summary");
    summary.className = "success";
    summary.removeAttribute("role");
    summary.textContent = t(dryRun ? "previewSummary" : "applySummary", {
      changed: envelope.data,
      unchanged: envelope.unchanged,
    });
    // A retry with the pending key: the server wrote nothing this time and answered the first attempt again.
    const replayed = this.element("result-replayed");
    replayed.textContent = t("replayedNote");
    replayed.hidden = dryRun || envelope.replayed !== true;
    this.element("result-errors").replaceChildren();
    this.fillList("result-warnings", "warning", this.messages(record, envelope.warnings ?? []));
    // Only a preview that Apply will apply by its plan speaks of the plan (an ids preview is applied as a body).
    const plan = dryRun && record.byPlan ? envelope.plan : undefined;
    const planLine = this.element("result-plan");
    planLine.hidden = !plan && !record.byPlan;
    planLine.textContent = plan
      ? t("planSummary", { count: units(plan.count), changed: units(plan.changed), expires: expiryText(plan.expires_at) })
      : t("planApplied");
    const results = envelope.results ?? [];
    this.renderChanges(results, dryRun, plan);
    const [total, changed] = plan ? [plan.count, plan.changed] : [envelope.data + envelope.unchanged, envelope.data];
    this.summary.show({ results, dryRun, total, changed, plan, counted: envelope.summary });
  }

  /**
   * One row per token: outcome and every value that differs, before → after; the first rows, then more on demand.
   * With a `plan` whose results go on past those answered, "more" reads its next pages from the server.
   * @param {BatchResult[]} results
   * @param {boolean} dryRun
   * @param {Plan} [plan]
   */
  renderChanges(results, dryRun, plan) {
    const labels = this.labels();
    labels.set("status", t("fieldStatus"));
    const tableElement = document.createElement("table");
    tableElement.className = "changes";
    const head = tableElement.createTHead().insertRow();
    for (const key of /** @type {const} */ (["colId", "colName", "colOutcome", "colChanges"])) {
      const cell = document.createElement("th");
      cell.scope = "col";
      cell.textContent = t(key);
      head.append(cell);
    }
    const body = tableElement.createTBody();
    const appendRows = (/** @type {number} */ from, /** @type {number} */ to) => {
      for (const item of results.slice(from, to)) this.appendChangeRow(body, item, dryRun, labels);
    };
    let shown = Math.min(results.length, RESULT_ROWS_STEP);
    appendRows(0, shown);
    const wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.tabIndex = 0;
    wrap.append(tableElement);
    const more = document.createElement("button");
    more.type = "button";
    more.id = "result-more";
    const fromPlan = Boolean(plan && plan.count > results.length);
    const labelMore = () => {
      if (fromPlan && plan) {
        const remaining = plan.count - results.length;
        more.textContent = t("planMore", { count: units(Math.min(PLAN_PAGE_SIZE, remaining)), remaining: units(remaining) });
        more.hidden = remaining <= 0;
        return;
      }
      const remaining = results.length - shown;
      more.textContent = t("showMoreResults", { count: Math.min(RESULT_ROWS_STEP, remaining), remaining });
      more.hidden = remaining === 0;
    };
    more.addEventListener("click", async () => {
      if (fromPlan && plan) {
        // The next page of the plan, in steps of the first page's size (the dry run's `size`).
        more.disabled = true;
        try {
          const page = Math.floor(results.length / PLAN_PAGE_SIZE) + 1;
          const items = await this.planPage(plan.plan_id, page, PLAN_PAGE_SIZE);
          results.push(...items);
          appendRows(shown, results.length);
          shown = results.length;
          if (items.length === 0) plan = { ...plan, count: results.length };
          this.summary.render();
        } catch (error) {
          this.fillList("result-errors", "", [{ code: "plan.page", text: this.describeError(error) }]);
        } finally {
          more.disabled = false;
        }
        labelMore();
        return;
      }
      const next = Math.min(results.length, shown + RESULT_ROWS_STEP);
      appendRows(shown, next);
      shown = next;
      labelMore();
    });
    labelMore();
    this.element("result-dataset").replaceChildren(wrap, more);
  }

  /**
   * The row of one token's result.
   * @param {HTMLTableSectionElement} body
   * @param {BatchResult} item
   * @param {boolean} dryRun
   * @param {Map<string, string>} labels
   */
  appendChangeRow(body, item, dryRun, labels) {
    const row = body.insertRow();
    row.dataset.id = String(item.id);
    row.dataset.outcome = item.outcome;
    row.insertCell().textContent = String(item.id);
    row.insertCell().textContent = this.nameOf(item.id);
    const updated = item.outcome === "updated";
    row.insertCell().textContent = t(updated ? (dryRun ? "outcomeWillUpdate" : "outcomeUpdated") : "outcomeUnchanged");
    const changes = row.insertCell();
    const list = diffList(item.before, item.after, labels);
    if (list.children.length === 0) changes.textContent = t("noChanges");
    else changes.append(list);
  }
}

/**
 * A token's values before → after as a list, one line (`data-field`) per value that differs: the label, the
 * old value struck (`del`), the new one (`ins`). `all`: the values that did not change are listed too, plainly,
 * and the changed lines marked `changed` (the history's recorded columns).
 * @param {Record<string, unknown>} before
 * @param {Record<string, unknown>} after
 * @param {Map<string, string>} labels
 * @param {{ all?: boolean }} [options]
 */
export function diffList(before, after, labels, { all = false } = {}) {
  const list = document.createElement("ul");
  list.className = "diff";
  for (const [field, was] of Object.entries(before)) {
    const now = after[field];
    const value = (/** @type {unknown} */ v) => valueText(field, /** @type {string | number | boolean | null} */ (v));
    if (was === now && !all) continue;
    const line = document.createElement("li");
    line.dataset.field = field;
    const name = document.createElement("span");
    name.className = "diff-field";
    name.textContent = `${labels.get(field) ?? field}: `;
    if (was === now) {
      line.append(name, value(now));
    } else {
      if (all) line.className = "changed";
      const old = document.createElement("del");
      old.textContent = value(was);
      const became = document.createElement("ins");
      became.textContent = value(now);
      line.append(name, old, " → ", became);
    }
    list.append(line);
  }
  return list;
}
