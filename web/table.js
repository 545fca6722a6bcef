// @ts-check
// The token table: new-api's list and search routes page by page, narrowed by the filter panel, and a
// selection that survives paging and searching: ids picked one by one, or every token matching the filter
// (then the selection is the filter itself, one request whatever the count).

import { t } from "./i18n.js";
import { ApiError } from "./api.js";
import { units } from "./format.js";
import { columnsFor } from "./columns.js";
import { SortHeader } from "./sort-header.js";
import { everyPage, MAX_PAGE_SIZE } from "./every-page.js";

/**
 * @import { Selection, Token, TokenFilter, TokenPage } from "./types.js"
 * @import { Sort } from "./sort-header.js"
 * @import { Progress } from "./progress.js"
 */

/**
 * What the table asks for: a page of the list, or of the search when `keyword` or `token` is set, narrowed by
 * the filter panel's `filter`, in the order of `sort` (the server's own without one); `signal` aborts it.
 * @typedef {{ keyword: string, token: string, filter: TokenFilter, page: number, size: number, sort?: Sort | null,
 *   signal?: AbortSignal }} PageQuery
 */


export class TokenTable {
  /**
   * `fetchPage({keyword, token, page, size})` resolves to new-api's page object
   * `{items, total, page, page_size}`; `onChange()` runs whenever the selection changes. `onError(error,
   * element)`: shows a failed load in `element`. `maxIds`: the most ids one batch takes.
   * `root`: the element holding the table, its search, pager and selection bar, and the selection count (the
   * page's workspace, whose sticky bulk-action bar shows the count beside Preview and Apply).
   * @param {HTMLElement} root
   * @param {{
   *   fetchPage: (query: PageQuery) => Promise<TokenPage>,
   *   onChange: () => void,
   *   onError: (error: unknown, element: HTMLElement) => void,
   *   maxIds: number,
   *   progress: Progress,
   * }} options
   * `progress`: the line shown while "select all results" reads its pages (a read: Cancel is safe).
   */
  constructor(root, { fetchPage, onChange, onError, maxIds, progress }) {
    this.progress = progress;
    this.root = root;
    this.fetchPage = fetchPage;
    this.onChange = onChange;
    this.onError = onError;
    this.maxIds = maxIds;
    /** @type {Map<number, Token>} id -> the row as last seen, for names in results */
    this.selected = new Map();
    /** @type {Token[]} */
    this.rows = [];
    /** id -> name of every row shown since sign-in, for the names in a filter batch's results. @type {Map<number, string>} */
    this.seen = new Map();
    this.total = 0;
    this.page = 1;
    this.search = { keyword: "", token: "" };
    /** The filter panel's conditions, sent with every page. @type {TokenFilter} */
    this.filter = {};
    /**
     * Every token matching `filter` is selected (`total` of them when chosen), instead of the ids in `selected`,
     * which are kept for "pick one by one".
     * @type {{ filter: TokenFilter, total: number } | null}
     */
    this.matching = null;
    /** Whether the last load failed: nothing on screen then answers the current list or search. */
    this.failed = false;
    /** Counts resets (sign-outs): an answer to a request made before the last one is dropped. */
    this.generation = 0;
    /** Counts loads: only the latest one's answer is shown (a page size change racing a new filter). */
    this.loads = 0;
    /** The table's element with id `id` (index.html has each one). */
    this.element = (/** @type {string} */ id) => /** @type {HTMLElement} */ (root.querySelector(`#${id}`));
    /** The header's sortable columns; a new sort starts again from page 1. */
    this.header = new SortHeader(/** @type {HTMLTableRowElement} */ (root.querySelector("#token-table thead tr")), {
      onSort: () => this.load(1),
    });

    this.element("search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.search = {
        keyword: /** @type {HTMLInputElement} */ (this.element("search-keyword")).value.trim(),
        token: /** @type {HTMLInputElement} */ (this.element("search-token")).value.trim(),
      };
      this.endMatching();
      this.load(1);
    });
    this.element("search-clear").addEventListener("click", () => {
      /** @type {HTMLInputElement} */ (this.element("search-keyword")).value = "";
      /** @type {HTMLInputElement} */ (this.element("search-token")).value = "";
      this.search = { keyword: "", token: "" };
      this.endMatching();
      this.load(1);
    });
    this.element("page-prev").addEventListener("click", () => this.load(this.page - 1));
    this.element("page-next").addEventListener("click", () => this.load(this.page + 1));
    this.element("page-size").addEventListener("change", () => this.load(1));
    this.element("select-page").addEventListener("change", (event) => {
      for (const token of this.rows) {
        if (/** @type {HTMLInputElement} */ (event.target).checked) this.selected.set(token.id, token);
        else this.selected.delete(token.id);
      }
      this.renderRows();
      this.changed();
    });
    this.element("select-all-results").addEventListener("click", () => this.selectAllResults());
    this.element("select-all-matching").addEventListener("click", () => this.selectAllMatching());
    this.element("pick-ids").addEventListener("click", () => {
      this.matching = null;
      this.renderRows();
      this.changed();
    });
    this.element("clear-selection").addEventListener("click", () => {
      this.matching = null;
      this.selected.clear();
      this.renderRows();
      this.changed();
    });
  }

  get pageSize() {
    return Number(/** @type {HTMLSelectElement} */ (this.element("page-size")).value);
  }

  get searching() {
    return Boolean(this.search.keyword || this.search.token);
  }

  get pages() {
    return Math.max(1, Math.ceil(this.total / this.pageSize));
  }

  /**
   * What a batch selects now: the ids picked, or the filter when every matching token is selected.
   * @returns {Selection}
   */
  selection() {
    return this.matching ? { ...this.matching } : { ids: this.selectedIds() };
  }

  /**
   * The filter "select all matching" would select: the panel's, with the name search as its `name` and the key
   * search as its `key` (the same new-api patterns); null when both give a name or both a key.
   * @returns {TokenFilter | null}
   */
  matchingFilter() {
    /** @type {TokenFilter} */
    const filter = { ...this.filter };
    if (this.search.keyword) {
      if (filter.name) return null;
      filter.name = this.search.keyword;
    }
    if (this.search.token) {
      if (filter.key) return null;
      filter.key = this.search.token;
    }
    return filter;
  }

  /** Selects every token matching the list as it is shown: the filter, not its ids. */
  selectAllMatching() {
    const filter = this.matchingFilter();
    if (!filter) {
      this.showNotice(t("matchingSearchConflict"));
      return;
    }
    this.matching = { filter, total: this.total };
    this.renderRows();
    this.changed();
  }

  /**
   * Narrows the table to `filter` from page 1; a selection by an earlier filter no longer matches what is shown,
   * so it ends (the ids picked before stay).
   * @param {TokenFilter} filter
   */
  setFilter(filter) {
    this.filter = filter;
    if (this.matching) {
      this.matching = null;
      this.changed();
    }
    return this.load(1);
  }

  selectedIds() {
    return [...this.selected.keys()].sort((a, b) => a - b);
  }

  /**
   * The name of a token selected or seen in the table (a selection by filter lists no rows of its own).
   * @param {number} id
   */
  nameOf(id) {
    return this.selected.get(id)?.name ?? this.seen.get(id) ?? "";
  }

  /** Back to an empty table with no search and nothing selected (sign-out). */
  reset() {
    this.generation += 1;
    this.selected.clear();
    this.seen.clear();
    this.matching = null;
    this.filter = {};
    this.rows = [];
    this.total = 0;
    this.page = 1;
    this.failed = false;
    this.search = { keyword: "", token: "" };
    this.header.reset();
    /** @type {HTMLInputElement} */ (this.element("search-keyword")).value = "";
    /** @type {HTMLInputElement} */ (this.element("search-token")).value = "";
    this.element("tokens-error").hidden = true;
    this.element("tokens-busy").hidden = true;
    this.render();
    this.changed();
  }

  /**
   * Loads page `page` of the current list or search. A failure (a refused search pattern, a lost connection)
   * empties the table: the rows, page count and "select all" of an earlier search would not be this one's.
   */
  async load(page = this.page) {
    const wanted = Math.min(Math.max(1, page), this.pages);
    const generation = this.generation;
    const load = ++this.loads;
    const busy = this.element("tokens-busy");
    busy.hidden = false;
    try {
      const query = { ...this.search, filter: this.filter, page: wanted, size: this.pageSize, sort: this.header.sort };
      const data = await this.fetchPage(query);
      if (generation !== this.generation || load !== this.loads) return;
      this.rows = data.items;
      for (const token of data.items) this.seen.set(token.id, token.name);
      this.total = data.total;
      this.page = data.page;
      this.failed = false;
      // Rows changed on the server (after a batch) replace the copies kept for the selection.
      for (const token of this.rows) if (this.selected.has(token.id)) this.selected.set(token.id, token);
      this.element("tokens-error").hidden = true;
    } catch (error) {
      if (generation !== this.generation || load !== this.loads) return;
      this.rows = [];
      this.total = 0;
      this.page = 1;
      this.failed = true;
      this.onError(error, this.element("tokens-error"));
    } finally {
      if (generation === this.generation && load === this.loads) busy.hidden = true;
    }
    this.render();
  }

  /** Every id of the current list or search, page by page, up to the batch limit. */
  async selectAllResults() {
    const button = /** @type {HTMLButtonElement} */ (this.element("select-all-results"));
    if (this.total > this.maxIds) {
      this.showNotice(t("tooManyToSelect", { max: this.maxIds }));
      return;
    }
    this.matching = null;
    button.disabled = true;
    button.textContent = t("selectingAll");
    const generation = this.generation;
    // Cancelled, the selection is left as it was before.
    const before = new Map(this.selected);
    const running = this.progress.start("progressSelectAll", { cancellable: true, busy: this.element("token-table") });
    try {
      const { search, filter, total } = this;
      const query = (/** @type {number} */ page, /** @type {number} */ size) => ({ ...search, filter, page, size, signal: running.signal });
      const read = async (/** @type {number} */ page, /** @type {number} */ size) => (await this.fetchPage(query(page, size))).items;
      await everyPage(total, MAX_PAGE_SIZE, read, (items) => {
        if (generation === this.generation) for (const token of items) this.selected.set(token.id, token);
      });
      if (generation !== this.generation) return;
      this.element("tokens-error").hidden = true;
    } catch (error) {
      if (generation !== this.generation) return;
      if (error instanceof ApiError && error.kind === "cancelled") {
        this.selected = before;
        this.showNotice(t("selectCancelled"));
      } else this.onError(error, this.element("tokens-error"));
    } finally {
      running.end();
      if (generation === this.generation) button.disabled = false;
    }
    this.render();
    this.changed();
  }

  /** Ends a selection by filter when what the table shows changes (another search). */
  endMatching() {
    if (!this.matching) return;
    this.matching = null;
    this.changed();
  }

  /** @param {string} text */
  showNotice(text) {
    const notice = this.element("tokens-error");
    notice.textContent = text;
    notice.hidden = false;
  }

  changed() {
    this.renderSelection();
    this.onChange();
  }

  render() {
    this.renderHead();
    this.renderRows();
    this.renderPager();
    this.renderSelection();
  }

  renderHead() {
    this.header.render(columnsFor(this.filter).map(([key]) => key));
  }

  renderRows() {
    const body = /** @type {HTMLTableSectionElement} */ (this.root.querySelector("#token-table tbody"));
    body.replaceChildren();
    const columns = columnsFor(this.filter);
    if (this.rows.length === 0) {
      const row = body.insertRow();
      const cell = row.insertCell();
      cell.colSpan = columns.length + 1;
      cell.textContent = t("noTokens");
    }
    for (const token of this.rows) {
      const row = body.insertRow();
      row.dataset.id = String(token.id);
      const checkCell = row.insertCell();
      const checkbox = document.createElement("input");
      checkbox.type = "checkbox";
      checkbox.className = "select-row";
      checkbox.checked = Boolean(this.matching) || this.selected.has(token.id);
      // Selected by the filter: the row is part of it and cannot be left out one by one.
      checkbox.disabled = Boolean(this.matching);
      if (this.matching) checkbox.title = t("matchingRow");
      checkbox.setAttribute("aria-label", t("selectRow", { name: token.name }));
      checkbox.addEventListener("change", () => {
        if (checkbox.checked) this.selected.set(token.id, token);
        else this.selected.delete(token.id);
        row.classList.toggle("selected", checkbox.checked);
        this.renderPageCheckbox();
        this.changed();
      });
      checkCell.append(checkbox);
      row.classList.toggle("selected", checkbox.checked);
      const now = Date.now() / 1000;
      for (const [key, fill] of columns) {
        const cell = row.insertCell();
        fill(token, cell, now);
        cell.dataset.label = t(key);
        cell.dataset.col = key;
      }
    }
    this.renderPageCheckbox();
  }

  renderPageCheckbox() {
    const onPage = this.rows.filter((token) => this.selected.has(token.id)).length;
    const box = /** @type {HTMLInputElement} */ (this.element("select-page"));
    box.checked = this.rows.length > 0 && (Boolean(this.matching) || onPage === this.rows.length);
    box.indeterminate = !this.matching && onPage > 0 && onPage < this.rows.length;
    box.disabled = this.rows.length === 0 || Boolean(this.matching);
  }

  renderPager() {
    const filtered = Object.keys(this.filter).length > 0;
    const info = this.searching ? "searchInfo" : filtered ? "filterInfo" : "pageInfo";
    this.element("page-info").textContent = this.failed
      ? ""
      : t(info, { page: this.page, pages: this.pages, total: this.total });
    /** @type {HTMLButtonElement} */ (this.element("page-prev")).disabled = this.page <= 1;
    /** @type {HTMLButtonElement} */ (this.element("page-next")).disabled = this.page >= this.pages;
  }

  renderSelection() {
    const count = this.element("selection-count");
    count.textContent = this.matching
      ? t("selectionMatching", { total: units(this.matching.total) })
      : t("selectedCount", { count: this.selected.size });
    count.dataset.mode = this.matching ? "filter" : "ids";
    const all = /** @type {HTMLButtonElement} */ (this.element("select-all-results"));
    all.textContent = t("selectAllResults", { total: this.total });
    all.disabled = this.total === 0;
    const matching = /** @type {HTMLButtonElement} */ (this.element("select-all-matching"));
    matching.textContent = t("selectAllMatching", { total: units(this.total) });
    matching.disabled = this.total === 0 || this.failed;
    matching.hidden = Boolean(this.matching);
    this.element("pick-ids").hidden = !this.matching;
    /** @type {HTMLButtonElement} */ (this.element("clear-selection")).disabled = this.selected.size === 0 && !this.matching;
  }
}
