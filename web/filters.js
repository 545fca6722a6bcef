// @ts-check
// The filter panel: the server's own filter (docs/SPEC.md §9) built from date pickers, checkboxes and amounts,
// judged by the rules module's validateFilter before it is sent, as query parameters to the list and search
// routes and as a batch's `filter` when every matching token is selected.

import { t } from "./i18n.js";
import { labelled } from "./messages.js";

/** @import { TokenFilter, FilterVerdict, RulesError } from "./types.js" */
/** @import { MessageKey } from "./i18n.js" */

const DAY = 86_400;

/**
 * What the user typed into "name contains" / "key contains" as new-api's search pattern. Without `%` the text
 * is wrapped as `%text%` (a substring); with `%` it is the user's own pattern, sent as it is. Nothing else needs
 * escaping: new-api (and the server, crates/rules/src/search.rs) already escapes `!` and `_` itself, so both
 * are literal, and it has no escape for `%` (a literal % cannot be searched for). A key's `sk-` is dropped
 * first, since keys are stored without it.
 * @param {string} text
 * @param {{ key?: boolean }} [options]
 */
export function searchPattern(text, { key = false } = {}) {
  let value = text.trim();
  if (key && value.toLowerCase().startsWith("sk-")) value = value.slice(3);
  if (!value) return "";
  return value.includes("%") ? value : `%${value}%`;
}

/**
 * Unix seconds of local midnight starting `text` (a date input's "YYYY-MM-DD"), plus `days`; null if invalid.
 * @param {string} text
 * @param {number} [days]
 */
export function localDayStart(text, days = 0) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  const millis = date.getTime();
  return Number.isFinite(millis) ? Math.floor(millis / 1000) : null;
}

/**
 * A filter as the list and search routes take it: one query parameter per key, lists comma-separated.
 * @param {TokenFilter} filter
 * @returns {Record<string, string>}
 */
export function filterQuery(filter) {
  /** @type {Record<string, string>} */
  const query = {};
  for (const [name, value] of Object.entries(filter)) {
    query[name] = Array.isArray(value) ? value.join(",") : String(value);
  }
  return query;
}

/**
 * Each filter key: the control it is entered with (marked when a problem is about it) and its label.
 * @type {Record<string, { control: string, label: MessageKey }>}
 */
export const FILTER_KEYS = {
  status: { control: "filter-status-1", label: "filterStatus" },
  name: { control: "filter-name", label: "filterName" },
  key: { control: "filter-key", label: "filterKey" },
  group: { control: "filter-group", label: "filterGroup" },
  model: { control: "filter-model", label: "filterModel" },
  expires_after: { control: "filter-expires-from", label: "filterExpiresFrom" },
  expires_before: { control: "filter-expires-until", label: "filterExpiresUntil" },
  never_expires: { control: "filter-never-expires", label: "filterNeverExpires" },
  accessed_before: { control: "filter-unused-since", label: "filterUnusedSince" },
  remain_quota_at_least: { control: "filter-quota-min", label: "filterQuotaAtLeast" },
  remain_quota_below: { control: "filter-quota-max", label: "filterQuotaBelow" },
  unlimited_quota: { control: "filter-unlimited", label: "filterUnlimited" },
  user_id: { control: "filter-owner", label: "filterOwner" },
};

/** The controls that each make one condition when filled (the status boxes count once, as one condition). */
const CONDITION_CONTROLS = [
  "filter-name", "filter-key", "filter-group", "filter-model", "filter-expires-from", "filter-expires-until",
  "filter-expires-within", "filter-never-expires", "filter-unused-since", "filter-quota-min", "filter-quota-max",
  "filter-unlimited", "filter-owner",
];

export class FilterPanel {
  /**
   * `validate(json)`: the rules module's verdict on a filter (JSON text) in the page's language.
   * `quotaPerUsd()`: quota units per USD. `onChange(filter)`: a new valid filter was applied or cleared.
   * `now()`: unix seconds.
   * @param {HTMLFormElement} form
   * @param {{
   *   validate: (json: string) => FilterVerdict,
   *   quotaPerUsd: () => number,
   *   onChange: (filter: TokenFilter) => void,
   *   now: () => number,
   * }} options
   */
  constructor(form, { validate, quotaPerUsd, onChange, now }) {
    this.form = form;
    this.validate = validate;
    this.quotaPerUsd = quotaPerUsd;
    this.onChange = onChange;
    this.now = now;
    /** The filter the table shows now (the last one applied). @type {TokenFilter} */
    this.filter = {};
    /** Problems of the controls as last judged (shown again in a newly chosen language). @type {RulesError[]} */
    this.problems = [];
    /** How many conditions the filter applied has (its controls filled), shown while the panel is collapsed. */
    this.conditions = 0;
    /** Whether the panel's controls are shown; kept while the page lives (sign-out included). */
    this.expanded = true;
    /** Whether the signed-in user is root, who may choose the tokens' owner (docs/SPEC.md §13). */
    this.root = false;
    this.control("filter-toggle").addEventListener("click", () => this.setExpanded(!this.expanded));
    this.control("filter-owner").addEventListener("change", () => this.renderOwner());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.control("filter-clear").addEventListener("click", () => {
      this.clearControls();
      this.showProblems([]);
      this.filter = {};
      this.conditions = 0;
      this.renderToggle();
      this.onChange({});
    });
    this.renderToggle();
  }

  /** Shows or hides the panel's controls (its title, toggle and active count stay). @param {boolean} expanded */
  setExpanded(expanded) {
    this.expanded = expanded;
    this.renderToggle();
  }

  /** The toggle in the page's language: what a press does and how many conditions are applied. */
  renderToggle() {
    const toggle = this.control("filter-toggle");
    toggle.setAttribute("aria-expanded", String(this.expanded));
    this.control("filter-body").hidden = !this.expanded;
    const count = this.conditions ? t("filterActiveCount", { count: this.conditions }) : t("filterNoneActive");
    toggle.textContent = t("filterToggle", { action: t(this.expanded ? "filterToggleHide" : "filterToggleShow"), count });
    toggle.dataset.active = String(this.conditions);
  }

  /**
   * Root may choose whose tokens are listed (one user's or every user's); anyone else never sees the choice.
   * @param {boolean} root
   */
  setRoot(root) {
    this.root = root;
    this.control("filter-owner-row").hidden = !root;
    this.renderOwner();
  }

  renderOwner() {
    this.control("filter-owner-id-row").hidden = !this.root || this.control("filter-owner").value !== "user";
  }

  /** How many conditions the controls hold now. */
  countConditions() {
    const status = [1, 2, 3, 4].some((n) => this.control(`filter-status-${n}`).checked) ? 1 : 0;
    return status + CONDITION_CONTROLS.filter((id) => this.text(id) !== "").length;
  }

  /** The panel's element with id `id` (index.html has each one). */
  control(/** @type {string} */ id) {
    return /** @type {HTMLInputElement} */ (this.form.querySelector(`#${id}`));
  }

  /** The text of control `id`, trimmed. */
  text(/** @type {string} */ id) {
    return this.control(id).value.trim();
  }

  /** Whether any condition is applied. */
  get active() {
    return Object.keys(this.filter).length > 0;
  }

  /** @param {string[]} groups the groups the user may use, offered as suggestions */
  setGroups(groups) {
    const list = this.control("filter-group-list");
    list.replaceChildren(
      ...groups.map((group) => {
        const option = document.createElement("option");
        option.value = group;
        return option;
      }),
    );
  }

  clearControls() {
    for (const element of this.form.querySelectorAll("input")) {
      if (element.type === "checkbox") element.checked = false;
      else element.value = "";
    }
    for (const select of this.form.querySelectorAll("select")) select.selectedIndex = 0;
    this.renderOwner();
  }

  /** Back to no filter, without telling anyone (sign-out resets the table itself); not root until told. */
  reset() {
    this.clearControls();
    this.showProblems([]);
    this.filter = {};
    this.conditions = 0;
    this.setRoot(false);
    this.renderToggle();
  }

  /** Judges the controls; applies the filter when the rules accept it. */
  submit() {
    const { filter, problems } = this.read();
    const verdict = problems.length ? null : this.validate(JSON.stringify(filter));
    const all = verdict ? verdict.errors : problems;
    this.showProblems(all);
    if (all.length) {
      const first = this.form.querySelector("[aria-invalid=true]");
      if (first instanceof HTMLElement) first.focus();
      return;
    }
    this.filter = filter;
    this.conditions = this.countConditions();
    this.renderToggle();
    this.onChange(filter);
  }

  /**
   * The filter the controls describe, and the problems the rules cannot see (a number or date that is none).
   * @returns {{ filter: TokenFilter, problems: RulesError[] }}
   */
  read() {
    /** @type {TokenFilter} */
    const filter = {};
    /** @type {RulesError[]} */
    const problems = [];
    /** @param {string} key @param {MessageKey} message @param {string} [labelKey] */
    const problem = (key, message, labelKey) =>
      problems.push({
        field: `filter.${key}`,
        code: "filter.input",
        message: t(message, { label: t(labelKey ? /** @type {MessageKey} */ (labelKey) : FILTER_KEYS[key].label) }),
      });

    const status = [1, 2, 3, 4].filter((n) => this.control(`filter-status-${n}`).checked);
    if (status.length) filter.status = status;
    const name = searchPattern(this.control("filter-name").value);
    if (name) filter.name = name;
    const key = searchPattern(this.control("filter-key").value, { key: true });
    if (key) filter.key = key;
    const group = this.text("filter-group");
    if (group) filter.group = group;
    const model = this.text("filter-model");
    if (model) filter.model = model;

    const from = this.text("filter-expires-from");
    if (from) {
      const seconds = localDayStart(from);
      if (seconds === null) problem("expires_after", "filterDateInvalid");
      else filter.expires_after = seconds;
    }
    const until = this.text("filter-expires-until");
    if (until) {
      const seconds = localDayStart(until, 1);
      if (seconds === null) problem("expires_before", "filterDateInvalid");
      else filter.expires_before = seconds;
    }
    const within = this.text("filter-expires-within");
    if (within) {
      const days = Number(within);
      if (!Number.isInteger(days) || days < 1) problem("expires_before", "filterDaysInvalid", "filterExpiresWithin");
      else {
        // Not expired yet and expiring within the days: the stricter bound wins when a date is given too.
        const now = Math.floor(this.now());
        const end = now + days * DAY;
        filter.expires_after = Math.max(filter.expires_after ?? now, now);
        filter.expires_before = Math.min(filter.expires_before ?? end, end);
      }
    }
    const never = this.text("filter-never-expires");
    if (never) filter.never_expires = never === "true";
    const unused = this.text("filter-unused-since");
    if (unused) {
      const seconds = localDayStart(unused);
      if (seconds === null) problem("accessed_before", "filterDateInvalid");
      else filter.accessed_before = seconds;
    }
    for (const [id, name] of /** @type {const} */ ([
      ["filter-quota-min", "remain_quota_at_least"],
      ["filter-quota-max", "remain_quota_below"],
    ])) {
      const text = this.text(id);
      if (!text) continue;
      const amount = this.quotaUnits(text);
      if (amount === null) problem(name, "filterNumberInvalid");
      else filter[name] = amount;
    }
    const unlimited = this.text("filter-unlimited");
    if (unlimited) filter.unlimited_quota = unlimited === "true";
    const owner = this.root ? this.text("filter-owner") : "";
    if (owner === "*") filter.user_id = "*";
    else if (owner === "user") {
      const id = this.text("filter-owner-id");
      if (/^[1-9]\d{0,17}$/.test(id)) filter.user_id = Number(id);
      else problem("user_id", "filterOwnerIdInvalid", "filterOwnerId");
    }
    return { filter, problems };
  }

  /**
   * Quota units for an amount typed in the chosen unit (USD with the rules' rate, or whole units); null when
   * it is not a number of at least 0.
   * @param {string} text
   */
  quotaUnits(text) {
    if (!/^\d+(\.\d+)?$/.test(text)) return null;
    const value = Number(text);
    if (this.control("filter-quota-unit").value === "units") return Number.isInteger(value) ? value : null;
    return Math.round(value * this.quotaPerUsd());
  }

  /**
   * Lists the problems with the panel's labels in place of the filter's API names and marks their controls.
   * @param {RulesError[]} problems
   */
  showProblems(problems) {
    this.problems = problems;
    this.renderProblems();
  }

  /** Judges the controls again in the page's new language when problems are on screen; applies nothing. */
  relabel() {
    this.renderToggle();
    if (!this.problems.length) return;
    const { filter, problems } = this.read();
    this.showProblems(problems.length ? problems : this.validate(JSON.stringify(filter)).errors);
  }

  /** Draws the problems in the page's current language (the rules' own sentences stay as they were said). */
  renderProblems() {
    for (const { control } of Object.values(FILTER_KEYS)) this.control(control).removeAttribute("aria-invalid");
    /** @type {Map<string, string>} */
    const labels = new Map(Object.entries(FILTER_KEYS).map(([key, { label }]) => [`filter.${key}`, t(label)]));
    const list = this.control("filter-errors");
    list.replaceChildren(
      ...this.problems.map((problem) => {
        const key = problem.field.replace(/^filter\./, "").split("[")[0];
        const id = FILTER_KEYS[key]?.control;
        if (id) this.control(id).setAttribute("aria-invalid", "true");
        const line = document.createElement("li");
        line.className = "error";
        line.dataset.code = problem.code;
        line.textContent = labelled(problem.message, labels);
        return line;
      }),
    );
  }
}
