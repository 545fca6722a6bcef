// @ts-check
// A preview's (or an apply's) per-field summary and the changed / unchanged filter of its per-token rows. The
// server answers how many tokens change in all (`data`, a plan's `changed`), not per field: the per-field counts
// are the page's own, over the per-token results it holds. A selection by filter is previewed a page at a time,
// so the summary says when it covers only the tokens loaded, beside the server's total, and "Count all" reads
// the plan's every page (1 000 at a time, four at once, with progress and Cancel: reading is safe to abandon)
// to count them all.

import { t, lang } from "./i18n.js";
import { units, statusText } from "./format.js";
import { ApiError } from "./api.js";
import { everyPage } from "./every-page.js";

/**
 * @import { BatchResult, Plan } from "./types.js"
 * @import { Progress, Running } from "./progress.js"
 */

/** The plan route's largest page: the counting pass reads this many results per call. */
export const COUNT_PAGE_SIZE = 1000;

/**
 * Per-field counts over some per-token results: how many were counted, how many change at all, per field how
 * many tokens get another value, and where status changes, how many get each new status.
 * @typedef {{ counted: number, changed: number, fields: Map<string, number>, status: Map<number, number> }} FieldCounts
 */

/** @returns {FieldCounts} */
export function emptyCounts() {
  return { counted: 0, changed: 0, fields: new Map(), status: new Map() };
}

/**
 * Adds `results` to `counts` (in place) and returns it.
 * @param {FieldCounts} counts
 * @param {BatchResult[]} results
 */
export function addCounts(counts, results) {
  for (const { outcome, before, after } of results) {
    counts.counted += 1;
    if (outcome === "updated") counts.changed += 1;
    for (const field of /** @type {(keyof typeof before)[]} */ (Object.keys(before))) {
      if (before[field] === after[field]) continue;
      counts.fields.set(field, (counts.fields.get(field) ?? 0) + 1);
      if (field === "status") counts.status.set(after.status, (counts.status.get(after.status) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * The summary's lines, one per field that changes for some token, with the form's labels: "Quota: 2 900 tokens
 * change", status as what it becomes ("Status: 12 become disabled").
 * @param {FieldCounts} counts
 * @param {Map<string, string>} labels
 * @param {boolean} dryRun
 */
export function summaryLines(counts, labels, dryRun) {
  // In the order of the fields' table (status first), whichever token changed one first.
  const order = (/** @type {string} */ field) => FIELD_ORDER.indexOf(field);
  const fields = [...counts.fields].sort(([a], [b]) => order(a) - order(b));
  return fields.map(([field, count]) => {
    const label = labels.get(field) ?? (field === "status" ? t("statusField") : field);
    if (field !== "status") return t(dryRun ? "summaryField" : "summaryFieldDone", { label, count: units(count) });
    const parts = [...counts.status]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => t("summaryStatusBecomes", { count: units(count), status: statusText(status).toLocaleLowerCase(lang()) }));
    return t("summaryStatus", { label, changes: parts.join(t("listSeparator")) });
  });
}

/** The order of a token's values in the server's answers (its field table, status first). */
const FIELD_ORDER = [
  "status", "group", "expired_time", "remain_quota", "unlimited_quota", "model_limits", "model_limits_enabled",
  "allow_ips", "mj_image_mode", "mj_custom_proxy",
];

/** Which rows the result's table shows. @typedef {"all" | "changed" | "unchanged"} ShowFilter */

/**
 * What the summary is about: the results held (the array grows as more pages are shown), whether it is a dry
 * run, how many tokens the answer covers in all and how many of them change (the server's counts), and the plan
 * whose pages hold the rest.
 * @typedef {{ results: BatchResult[], dryRun: boolean, total: number, changed: number, plan?: Plan }} Subject
 */

export class PreviewSummary {
  /**
   * `planPage(planId, page, size, signal)`: one page of a plan's results. `labels()`: field name → label.
   * `describeError(error)`: a failed call in words.
   * @param {{
   *   element: (id: string) => HTMLElement,
   *   planPage: (planId: string, page: number, size: number, signal?: AbortSignal) => Promise<BatchResult[]>,
   *   labels: () => Map<string, string>,
   *   progress: Progress,
   *   describeError: (error: unknown) => string,
   * }} options
   */
  constructor({ element, planPage, labels, progress, describeError }) {
    this.describeError = describeError;
    this.element = element;
    this.planPage = planPage;
    this.labels = labels;
    this.progress = progress;
    /** @type {Subject | null} */
    this.subject = null;
    /** Counts over every token of the answer, once "Count all" read them. @type {FieldCounts | null} */
    this.allCounts = null;
    /** @type {ShowFilter} */
    this.showing = "all";
    /** The running Count all, aborted when another answer comes. @type {Running | null} */
    this.counting = null;
    /** A note under the summary: a count cancelled or failed (`error`, its words). @type {{ key: "countCancelled" | "countFailed", error?: string } | null} */
    this.note = null;
    for (const radio of this.radios()) {
      radio.addEventListener("change", () => {
        if (radio.checked) this.filterRows(/** @type {ShowFilter} */ (radio.value));
      });
    }
    element("summary-count-all").addEventListener("click", () => this.countAll());
  }

  /** @returns {HTMLInputElement[]} */
  radios() {
    return [...this.element("result-show").querySelectorAll("input[type=radio]")].map((radio) => /** @type {HTMLInputElement} */ (radio));
  }

  /**
   * A new answer's results: counted as loaded, every row shown. The same results again (the page drawn in another
   * language) keep their counts and filter.
   * @param {Subject | null} subject
   */
  show(subject) {
    if (subject && this.subject && subject.results === this.subject.results) {
      this.subject = subject;
      return this.filterRows(this.showing);
    }
    this.counting?.abort();
    this.subject = subject && subject.results.length > 0 ? subject : null;
    this.allCounts = null;
    this.note = null;
    this.filterRows("all");
  }

  clear() {
    this.show(null);
  }

  /** Whether every token of the answer is counted: all its results held, or counted by "Count all". */
  get complete() {
    return Boolean(this.allCounts) || (this.subject ? this.subject.results.length >= this.subject.total : false);
  }

  /** The counts the summary shows: every token's when known, else the loaded ones'. */
  counts() {
    return this.allCounts ?? addCounts(emptyCounts(), this.subject?.results ?? []);
  }

  /** @param {ShowFilter} filter */
  filterRows(filter) {
    this.showing = filter;
    for (const radio of this.radios()) radio.checked = radio.value === filter;
    this.element("result-dataset").dataset.show = filter;
    this.render();
  }

  /** The summary for Apply's confirmation: its lines, and whether they cover every token. */
  forConfirmation() {
    if (!this.subject) return null;
    const lines = summaryLines(this.counts(), this.labels(), this.subject.dryRun);
    const coverage = this.complete
      ? t("confirmCoverageAll")
      : t("confirmCoveragePartial", { loaded: units(this.subject.results.length), total: units(this.subject.total) });
    return lines.length ? t("confirmFields", { fields: lines.join(t("listSeparator")), coverage }) : "";
  }

  /** Draws the summary in the page's current language (again after more rows are loaded or counted). */
  render() {
    const box = this.element("result-breakdown");
    const subject = this.subject;
    box.hidden = !subject;
    if (!subject) return;
    const counts = this.counts();
    const lines = summaryLines(counts, this.labels(), subject.dryRun);
    this.element("summary-fields").replaceChildren(
      ...(lines.length ? lines : [t("summaryNone")]).map((text) => {
        const line = document.createElement("li");
        line.textContent = text;
        return line;
      }),
    );
    const loaded = subject.results.length;
    const coverage = this.complete
      ? t("summaryAll", { total: units(subject.total) })
      : t("summaryPartial", { loaded: units(loaded), total: units(subject.total), changed: units(subject.changed) });
    const note = this.note ? t(this.note.key, { error: this.note.error ?? "" }) : "";
    this.element("summary-coverage").textContent = note ? `${coverage} ${note}` : coverage;
    this.element("summary-coverage").dataset.complete = String(this.complete);
    const countAll = /** @type {HTMLButtonElement} */ (this.element("summary-count-all"));
    countAll.hidden = this.complete || !subject.plan;
    countAll.textContent = t("summaryCountAll", { total: units(subject.total) });
    const changedLoaded = subject.results.filter((item) => item.outcome === "updated").length;
    const shown = { all: loaded, changed: changedLoaded, unchanged: loaded - changedLoaded }[this.showing];
    this.element("result-show-count").textContent = t("showCount", { shown: units(shown), loaded: units(loaded) });
  }

  /** Reads every page of the plan and counts all its tokens; Cancel keeps the loaded tokens' summary. */
  async countAll() {
    const subject = this.subject;
    const plan = subject?.plan;
    if (!subject || !plan) return;
    const button = /** @type {HTMLButtonElement} */ (this.element("summary-count-all"));
    button.disabled = true;
    const running = this.progress.start("summaryCounting", { cancellable: true, busy: this.element("result-breakdown") });
    this.counting = running;
    const counts = emptyCounts();
    try {
      const read = (/** @type {number} */ page, /** @type {number} */ size) => this.planPage(plan.plan_id, page, size, running.signal);
      await everyPage(plan.count, COUNT_PAGE_SIZE, read, (items) => addCounts(counts, items));
      if (this.subject !== subject) return;
      this.allCounts = counts;
      this.note = null;
    } catch (error) {
      if (this.subject !== subject) return;
      const cancelled = error instanceof ApiError && error.kind === "cancelled";
      this.note = cancelled ? { key: "countCancelled" } : { key: "countFailed", error: this.describeError(error) };
    } finally {
      running.end();
      if (this.counting === running) this.counting = null;
      button.disabled = false;
    }
    this.render();
  }
}
