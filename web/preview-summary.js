// @ts-check
// A preview's (or an apply's) per-field summary and the changed / unchanged filter of its per-token rows. A dry
// run's answer carries the server's own counts per column over all its tokens (`summary`: a filter's preview
// answers only a page of its results, and counting 100 000 of them through the plan's pages took the page tens of
// seconds), shown as they are. An apply's per-token answer holds every token, and the page counts those itself;
// were an answer ever to hold only some, the summary says it covers only the tokens loaded.

import { t, lang } from "./i18n.js";
import { units, statusText } from "./format.js";

/**
 * @import { BatchResult, ChangeSummary, Plan } from "./types.js"
 */

/**
 * Per-field counts over some per-token results: how many were counted, how many change at all, per field how
 * many tokens get another value, and where status changes, how many get each new status.
 * @typedef {{ counted: number, changed: number, fields: Map<string, number>, status: Map<number, number> }} FieldCounts
 */

/**
 * The server's counts (a dry run's `summary`) as the summary's own: `total` tokens, `changed` of them changing.
 * @param {ChangeSummary} summary
 * @param {number} total
 * @param {number} changed
 * @returns {FieldCounts}
 */
export function serverCounts(summary, total, changed) {
  return {
    counted: total,
    changed,
    fields: new Map(Object.entries(summary.fields)),
    status: new Map(Object.entries(summary.statuses).map(([status, count]) => [Number(status), count])),
  };
}

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
 * run, how many tokens the answer covers in all and how many of them change (the server's counts), and the
 * server's per-column counts over all of them when the answer has them (every dry run's does).
 * @typedef {{ results: BatchResult[], dryRun: boolean, total: number, changed: number, plan?: Plan, counted?: ChangeSummary }} Subject
 */

export class PreviewSummary {
  /**
   * `labels()`: field name → label.
   * @param {{ element: (id: string) => HTMLElement, labels: () => Map<string, string> }} options
   */
  constructor({ element, labels }) {
    this.element = element;
    this.labels = labels;
    /** @type {Subject | null} */
    this.subject = null;
    /** @type {ShowFilter} */
    this.showing = "all";
    for (const radio of this.radios()) {
      radio.addEventListener("change", () => {
        if (radio.checked) this.filterRows(/** @type {ShowFilter} */ (radio.value));
      });
    }
  }

  /** @returns {HTMLInputElement[]} */
  radios() {
    return [...this.element("result-show").querySelectorAll("input[type=radio]")].map((radio) => /** @type {HTMLInputElement} */ (radio));
  }

  /**
   * A new answer's results: every row shown. The same results again (the page drawn in another language) keep
   * their filter.
   * @param {Subject | null} subject
   */
  show(subject) {
    if (subject && this.subject && subject.results === this.subject.results) {
      this.subject = subject;
      return this.filterRows(this.showing);
    }
    this.subject = subject && subject.results.length > 0 ? subject : null;
    this.filterRows("all");
  }

  clear() {
    this.show(null);
  }

  /** Whether the counts cover every token of the answer: the server's, or all of its results held. */
  get complete() {
    const subject = this.subject;
    return subject ? Boolean(subject.counted) || subject.results.length >= subject.total : false;
  }

  /** The counts the summary shows: the server's over every token, else the page's over the results held. */
  counts() {
    const subject = this.subject;
    if (subject?.counted) return serverCounts(subject.counted, subject.total, subject.changed);
    return addCounts(emptyCounts(), subject?.results ?? []);
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

  /** Draws the summary in the page's current language (again after more rows are loaded). */
  render() {
    const box = this.element("result-breakdown");
    const subject = this.subject;
    box.hidden = !subject;
    if (!subject) return;
    const lines = summaryLines(this.counts(), this.labels(), subject.dryRun);
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
    this.element("summary-coverage").textContent = coverage;
    this.element("summary-coverage").dataset.complete = String(this.complete);
    const changedLoaded = subject.results.filter((item) => item.outcome === "updated").length;
    const shown = { all: loaded, changed: changedLoaded, unchanged: loaded - changedLoaded }[this.showing];
    this.element("result-show-count").textContent = t("showCount", { shown: units(shown), loaded: units(loaded) });
  }
}
