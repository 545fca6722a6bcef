// @ts-check
// CSV export: the selection's tokens as the table knows them (a selection by filter is read from the list route
// 100 at a time, with progress and a Cancel), and the last preview or apply result, before → after per token.
// Headers in the page's language, quota in units and USD, dates as local "YYYY-MM-DD HH:MM". The key is only
// ever the masked one the API returns. Cells are quoted per RFC 4180 and a text starting with = + - @ (or a tab
// or carriage return) is neutralised with a leading ' so a spreadsheet never runs it as a formula.

import { t } from "./i18n.js";
import { statusText, unitsPerUsd } from "./format.js";
import { PLAN_PAGE_SIZE } from "./result.js";

/**
 * @import { BatchResult, Plan, Token, TokenFilter, TokenPage, TokenValues } from "./types.js"
 * @import { PageQuery, TokenTable } from "./table.js"
 * @import { ResultView } from "./result.js"
 */

/** A cell's value: a number is written as it is, anything else as text. @typedef {string | number} Cell */

/** The list route's page size cap: a selection by filter is read in pages of this many. */
export const EXPORT_PAGE_SIZE = 100;

/**
 * One CSV field: formula-like text neutralised, quoted when it holds a quote, comma or line break.
 * @param {Cell} value
 */
export function csvCell(value) {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = String(value);
  const formula = /^[=+\-@\t\r]/.test(text);
  if (formula) text = `'${text}`;
  return formula || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A whole CSV document: a BOM (so spreadsheets read UTF-8), CRLF line ends.
 * @param {Cell[][]} rows
 */
export function toCsv(rows) {
  return `\uFEFF${rows.map((row) => row.map(csvCell).join(",")).join("\r\n")}\r\n`;
}

const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");

/**
 * Local "YYYY-MM-DD HH:MM" for unix seconds; "" for 0 or less (new-api's "never").
 * @param {number} seconds
 */
export function isoLocal(seconds) {
  if (!(seconds > 0)) return "";
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Quota units as USD, a plain number rounded to 6 decimals. @param {number} quota */
const usdValue = (quota) => Math.round((quota / unitsPerUsd()) * 1e6) / 1e6;
/** @param {boolean} value */
const yesNo = (value) => t(value ? "true" : "false");

/**
 * The selection's tokens as rows, headers first. `key` is the masked key of the list route, as the table shows it.
 * @param {Token[]} tokens
 * @returns {Cell[][]}
 */
export function tokenRows(tokens) {
  const header = [
    t("colId"), t("colName"), t("csvKeyMasked"), t("colStatus"), t("colGroup"),
    t("csvUnits", { label: t("colRemaining") }), t("csvUsd", { label: t("colRemaining") }), t("csvUnlimited"),
    t("csvUnits", { label: t("colUsed") }), t("csvUsd", { label: t("colUsed") }), t("colExpiry"),
    t("colModels"), t("csvModelLimitsEnabled"), t("colIps"), t("colCreated"), t("colAccessed"),
  ];
  return [
    header,
    ...tokens.map((token) => [
      token.id, token.name, `sk-${token.key}`, statusText(token.status), token.group,
      token.remain_quota, usdValue(token.remain_quota), yesNo(token.unlimited_quota),
      token.used_quota, usdValue(token.used_quota), token.expired_time === -1 ? t("never") : isoLocal(token.expired_time),
      token.model_limits, yesNo(token.model_limits_enabled), token.allow_ips, isoLocal(token.created_time),
      isoLocal(token.accessed_time),
    ]),
  ];
}

/**
 * One stored value as the CSV writes it.
 * @param {string} field
 * @param {TokenValues[keyof TokenValues]} value
 * @returns {Cell}
 */
function valueCell(field, value) {
  if (field === "status") return statusText(/** @type {number} */ (value));
  if (field === "expired_time") return value === -1 ? t("never") : isoLocal(/** @type {number} */ (value));
  if (typeof value === "boolean") return yesNo(value);
  return value;
}

/**
 * A result as rows: id, name, outcome, then before and after of every field that changes for some token
 * (quota also in USD). `labels`: field name → the form's label.
 * @param {BatchResult[]} results
 * @param {{ dryRun: boolean, labels: Map<string, string>, nameOf: (id: number) => string }} options
 * @returns {Cell[][]}
 */
export function resultRows(results, { dryRun, labels, nameOf }) {
  /** @type {string[]} */
  const fields = [];
  for (const item of results) {
    for (const field of Object.keys(item.before)) {
      const key = /** @type {keyof TokenValues} */ (field);
      if (item.before[key] !== item.after[key] && !fields.includes(field)) fields.push(field);
    }
  }
  const label = (/** @type {string} */ field) => labels.get(field) ?? (field === "status" ? t("fieldStatus") : field);
  /** @type {Cell[]} */
  const header = [t("colId"), t("colName"), t("colOutcome")];
  for (const field of fields) {
    for (const side of /** @type {const} */ (["csvBefore", "csvAfter"])) {
      header.push(t(side, { label: label(field) }));
      if (field === "remain_quota") header.push(t("csvUsd", { label: t(side, { label: label(field) }) }));
    }
  }
  const outcome = (/** @type {BatchResult} */ item) =>
    t(item.outcome === "updated" ? (dryRun ? "outcomeWillUpdate" : "outcomeUpdated") : "outcomeUnchanged");
  return [
    header,
    ...results.map((item) => {
      /** @type {Cell[]} */
      const row = [item.id, nameOf(item.id), outcome(item)];
      for (const field of fields) {
        for (const values of [item.before, item.after]) {
          const value = values[/** @type {keyof TokenValues} */ (field)];
          row.push(valueCell(field, value));
          if (field === "remain_quota") row.push(usdValue(/** @type {number} */ (value)));
        }
      }
      return row;
    }),
  ];
}

/**
 * Hands `text` to the browser as a download named `name`, through a Blob URL.
 * @param {string} name
 * @param {string} text
 */
export function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** "20261207-1203" for file names. */
function stamp() {
  const d = new Date();
  return `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}-${pad(d.getHours())}${pad(d.getMinutes())}`;
}

export class Exporter {
  /**
   * `fetchPage(query)`: one page of the list (the table's own). `planPage(planId, page, size)`: one page of a
   * plan's results. `labels()`: field name → the form's label. `describeError(error)`: a failed call in words.
   * @param {{
   *   table: TokenTable,
   *   result: ResultView,
   *   fetchPage: (query: PageQuery) => Promise<TokenPage>,
   *   planPage: (planId: string, page: number, size: number) => Promise<BatchResult[]>,
   *   labels: () => Map<string, string>,
   *   describeError: (error: unknown) => string,
   *   element: (id: string) => HTMLElement,
   * }} options
   */
  constructor({ table, result, fetchPage, planPage, labels, describeError, element }) {
    this.table = table;
    this.result = result;
    this.fetchPage = fetchPage;
    this.planPage = planPage;
    this.labels = labels;
    this.describeError = describeError;
    this.element = element;
    /** The running export's cancel flag; null when none runs. @type {{ cancelled: boolean } | null} */
    this.running = null;
    /** The status line shown, in the page's language. @type {(() => string) | null} */
    this.shown = null;
    element("export-selection").addEventListener("click", () => this.exportSelection());
    element("export-result").addEventListener("click", () => this.exportResult());
    element("export-cancel").addEventListener("click", () => {
      if (this.running) this.running.cancelled = true;
    });
  }

  /**
   * Shows the export's status line, `text()` in the page's language (again after a language switch); null hides it.
   * @param {(() => string) | null} text
   * @param {boolean} [cancellable]
   */
  status(text, cancellable = false) {
    this.shown = text;
    this.element("export-progress").hidden = !text;
    this.element("export-status").textContent = text ? text() : "";
    this.element("export-cancel").hidden = !cancellable;
  }

  /** The status line in the page's new language. */
  relabel() {
    if (this.shown) this.element("export-status").textContent = this.shown();
  }

  /** Forgets a running export (sign-out) and its status line. */
  reset() {
    if (this.running) this.running.cancelled = true;
    this.running = null;
    this.status(null);
  }

  /**
   * Runs `collect` with a cancel flag; its rows are downloaded as `name` unless cancelled or failed.
   * @param {string} name
   * @param {(run: { cancelled: boolean }) => Promise<Cell[][] | null>} collect
   */
  async run(name, collect) {
    if (this.running) return;
    const run = { cancelled: false };
    this.running = run;
    const buttons = ["export-selection", "export-result"].map((id) => /** @type {HTMLButtonElement} */ (this.element(id)));
    for (const button of buttons) button.disabled = true;
    try {
      const rows = await collect(run);
      if (run.cancelled) return this.status(this.running === run ? () => t("exportCancelled") : null);
      if (!rows) return this.status(() => t("exportNothing"));
      download(name, toCsv(rows));
      this.status(() => t("exportDone", { count: rows.length - 1 }));
    } catch (error) {
      const message = this.describeError(error);
      if (!run.cancelled) this.status(() => t("exportFailed", { error: message }));
    } finally {
      if (this.running === run) this.running = null;
      for (const button of buttons) button.disabled = false;
    }
  }

  exportSelection() {
    return this.run(`tokens-${stamp()}.csv`, async (run) => {
      const selection = this.table.selection();
      if (!("filter" in selection)) {
        const tokens = selection.ids.map((id) => /** @type {Token} */ (this.table.selected.get(id)));
        return tokens.length ? tokenRows(tokens) : null;
      }
      const tokens = await this.readMatching(selection.filter, selection.total, run);
      return run.cancelled ? null : tokenRows(tokens);
    });
  }

  /**
   * Every token matching `filter`, from the list route 100 at a time, the progress shown after each page.
   * @param {TokenFilter} filter
   * @param {number} expected The count the table showed, for the progress until the first page answers.
   * @param {{ cancelled: boolean }} run
   */
  async readMatching(filter, expected, run) {
    /** @type {Map<number, Token>} */
    const tokens = new Map();
    let total = expected;
    for (let page = 1; !run.cancelled; page += 1) {
      const done = tokens.size;
      this.status(() => t("exportProgress", { done, total }), true);
      // In the table's order (ties by id, so the pages never overlap).
      const sort = this.table.header.sort;
      const answer = await this.fetchPage({ keyword: "", token: "", filter, page, size: EXPORT_PAGE_SIZE, sort });
      total = answer.total;
      for (const token of answer.items) tokens.set(token.id, token);
      if (answer.items.length < EXPORT_PAGE_SIZE || page * EXPORT_PAGE_SIZE >= total) break;
    }
    return [...tokens.values()];
  }

  exportResult() {
    const record = this.result.record;
    const kind = record?.dryRun ? "preview" : "apply";
    return this.run(`batch-${kind}-${stamp()}.csv`, async (run) => {
      if (!record?.envelope) return null;
      const results = [...(record.envelope.results ?? [])];
      /** @type {Plan | undefined} */
      const plan = record.dryRun && record.byPlan ? record.envelope.plan : undefined;
      // A plan's preview answered its first page: the rest is read from the plan's route.
      while (plan && results.length < plan.count && !run.cancelled) {
        const done = results.length;
        this.status(() => t("exportProgress", { done, total: plan.count }), true);
        const items = await this.planPage(plan.plan_id, Math.floor(results.length / PLAN_PAGE_SIZE) + 1, PLAN_PAGE_SIZE);
        if (items.length === 0) break;
        const known = new Set(results.map((item) => item.id));
        results.push(...items.filter((item) => !known.has(item.id)));
      }
      if (run.cancelled) return null;
      return resultRows(results, { dryRun: record.dryRun, labels: this.labels(), nameOf: (id) => this.table.nameOf(id) });
    });
  }
}
