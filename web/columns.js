// @ts-check
// The token table's columns: how each cell of a token's row reads. Cells never wrap (style.css cuts them
// with an ellipsis at wide widths); each carries its full text in a title. Status is a badge with its name
// (the colour only repeats it), groups and models are tags, quota is USD with the units on hover, expiry a
// date with how far it is.

import { t } from "./i18n.js";
import { statusText, expiryText, usdShort, units, timeText, relativeExpiry } from "./format.js";

/** @import { Token } from "./types.js" */
/** @import { MessageKey } from "./i18n.js" */

/**
 * Fills one cell of a token's row: text, or badges and tags; `cell.title` carries what a truncated cell hides.
 * @typedef {(token: Token, cell: HTMLTableCellElement, now: number) => void} CellFiller
 */

/**
 * `text` in `cell`, with the same text as its title (a cell never wraps; a long one is cut with an ellipsis).
 * @param {HTMLTableCellElement} cell
 * @param {string} text
 * @param {string} [title]
 */
function plain(cell, text, title = text) {
  cell.textContent = text;
  cell.title = title;
}

/**
 * One small label per entry of a comma-separated list.
 * @param {HTMLTableCellElement} cell
 * @param {string[]} entries
 * @param {string} [className]
 */
function tags(cell, entries, className = "tag") {
  cell.replaceChildren(
    ...entries.map((entry) => {
      const tag = document.createElement("span");
      tag.className = className;
      tag.textContent = entry;
      return tag;
    }),
  );
  cell.title = entries.join(", ");
}

/** @type {[MessageKey, CellFiller][]} */
export const COLUMNS = [
  ["colId", (token, cell) => plain(cell, String(token.id))],
  ["colName", (token, cell) => plain(cell, token.name)],
  ["colKey", (token, cell) => plain(cell, `sk-${token.key}`)],
  [
    "colStatus",
    (token, cell) => {
      const badge = document.createElement("span");
      badge.className = `badge status-${token.status}`;
      badge.textContent = statusText(token.status);
      cell.replaceChildren(badge);
      cell.dataset.status = String(token.status);
      cell.title = badge.textContent;
    },
  ],
  ["colGroup", (token, cell) => (token.group ? tags(cell, token.group.split(",")) : plain(cell, t("defaultGroup")))],
  [
    "colRemaining",
    (token, cell) =>
      token.unlimited_quota
        ? plain(cell, t("unlimited"))
        : plain(cell, usdShort(token.remain_quota), t("unitsTitle", { units: units(token.remain_quota) })),
  ],
  ["colUsed", (token, cell) => plain(cell, usdShort(token.used_quota), t("unitsTitle", { units: units(token.used_quota) }))],
  [
    "colExpiry",
    (token, cell, now) => {
      const date = document.createElement("span");
      date.textContent = token.expired_time === -1 ? t("never") : expiryText(token.expired_time).slice(0, 10);
      const relative = relativeExpiry(token.expired_time, now);
      const parts = [date];
      if (relative) {
        const note = document.createElement("span");
        note.className = token.expired_time > now ? "relative" : "relative past";
        note.textContent = relative;
        parts.push(note);
      }
      cell.replaceChildren(...parts);
      cell.title = [expiryText(token.expired_time), relative].filter(Boolean).join(" · ");
    },
  ],
  [
    "colModels",
    (token, cell) => {
      if (!token.model_limits) return plain(cell, token.model_limits_enabled ? t("empty") : "—");
      tags(cell, token.model_limits.split(","), token.model_limits_enabled ? "tag" : "tag off");
      if (!token.model_limits_enabled) cell.title += ` (${t("notEnforced")})`;
    },
  ],
  ["colIps", (token, cell) => plain(cell, token.allow_ips ? token.allow_ips.split("\n").join(", ") : t("noRestriction"))],
  ["colCreated", (token, cell) => plain(cell, timeText(token.created_time).slice(0, 10), timeText(token.created_time))],
  [
    "colAccessed",
    (token, cell) =>
      token.accessed_time > 0
        ? plain(cell, timeText(token.accessed_time).slice(0, 10), timeText(token.accessed_time))
        : plain(cell, t("neverUsed")),
  ],
];


/** The owner's column, for root's lists over other users' tokens (their answers name each token's owner). */
const OWNER_COLUMN = /** @type {[MessageKey, CellFiller]} */ ([
  "colOwner",
  (token, cell) => plain(cell, token.username ?? String(token.user_id), `${token.username ?? ""} (${token.user_id})`),
]);

/**
 * The columns for a list narrowed by `filter`: with root's `user_id` (an owner, or every user) the owner's
 * column follows the name.
 * @param {import("./types.js").TokenFilter} filter
 */
export function columnsFor(filter) {
  if (filter.user_id === undefined) return COLUMNS;
  return [...COLUMNS.slice(0, 2), OWNER_COLUMN, ...COLUMNS.slice(2)];
}
