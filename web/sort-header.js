// @ts-check
// The token table's header: one cell per column, and for each column the server sorts by, a button that sorts
// the list by it (the list and search routes' `sort` and `order`; the server sorts every page, ties by id and
// never-expiring tokens after every date). One sort at a time: the column's button again reverses it. The
// sorted column carries aria-sort; with no sort chosen the server's order is id descending, and the ID column
// says so.

import { t } from "./i18n.js";

/** @import { MessageKey } from "./i18n.js" */

/** A sort the server applies: a column's key and the direction. @typedef {{ key: string, order: "asc" | "desc" }} Sort */

/** The server's order when no sort is chosen. @type {Sort} */
export const DEFAULT_SORT = { key: "id", order: "desc" };

/** The sort key of each column the server sorts by (docs/api.md, "sort"). @type {Partial<Record<MessageKey, string>>} */
export const SORT_KEYS = {
  colId: "id",
  colName: "name",
  colStatus: "status",
  colRemaining: "remain_quota",
  colUsed: "used_quota",
  colExpiry: "expired_time",
  colCreated: "created_time",
  colAccessed: "accessed_time",
};

export class SortHeader {
  /**
   * `row`: the header row, whose first cell (the page's checkbox) stays. `onSort(sort)`: a new sort was chosen.
   * @param {HTMLTableRowElement} row
   * @param {{ onSort: (sort: Sort | null) => void }} options
   */
  constructor(row, { onSort }) {
    this.row = row;
    this.onSort = onSort;
    /** The sort chosen; null for the server's default order. @type {Sort | null} */
    this.sort = null;
  }

  /** The sort in effect (the default one when none is chosen). */
  get current() {
    return this.sort ?? DEFAULT_SORT;
  }

  /** Back to the server's order (sign-out). */
  reset() {
    this.sort = null;
  }

  /**
   * The sort after a click on column `key`: the other direction of the sort in effect, ascending otherwise.
   * @param {string} key
   * @returns {Sort}
   */
  next(key) {
    const current = this.current;
    if (current.key === key) return { key, order: current.order === "asc" ? "desc" : "asc" };
    return { key, order: "asc" };
  }

  /**
   * Draws the header for `columns` (their label keys) in the page's language.
   * @param {MessageKey[]} columns
   */
  render(columns) {
    const first = this.row.cells[0];
    // A press reloads the table and draws the header again: focus stays on the column's button.
    const focused = document.activeElement instanceof HTMLElement && this.row.contains(document.activeElement)
      ? document.activeElement.dataset.sort
      : undefined;
    this.row.replaceChildren(first, ...columns.map((column) => this.cell(column)));
    if (focused) /** @type {HTMLElement | null} */ (this.row.querySelector(`button[data-sort="${focused}"]`))?.focus();
  }

  /** @param {MessageKey} column */
  cell(column) {
    const cell = document.createElement("th");
    cell.scope = "col";
    const key = SORT_KEYS[column];
    if (!key) {
      cell.textContent = t(column);
      return cell;
    }
    const current = this.current;
    const sorted = current.key === key;
    if (sorted) cell.setAttribute("aria-sort", current.order === "asc" ? "ascending" : "descending");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.dataset.sort = key;
    button.textContent = t(column);
    const arrow = document.createElement("span");
    arrow.className = "sort-arrow";
    arrow.setAttribute("aria-hidden", "true");
    arrow.textContent = sorted ? (current.order === "asc" ? " ▲" : " ▼") : "";
    button.append(arrow);
    // The button's name is the column's; what a press does is its description (aria-sort says the state).
    const next = this.next(key);
    button.title = `${t("sortBy", { label: t(column) })}, ${t(next.order === "asc" ? "sortAscending" : "sortDescending")}`;
    button.addEventListener("click", () => {
      this.sort = this.next(key);
      this.onSort(this.sort);
    });
    cell.append(button);
    return cell;
  }
}
