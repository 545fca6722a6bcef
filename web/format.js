// @ts-check
// How token values read on the page: status names, quota with its USD worth, dates in local time.

import { t, lang } from "./i18n.js";

let quotaPerUsd = 500000;

/**
 * Set once from the rules module's description, so the page never carries its own copy of the rate.
 * @param {number} units
 */
export function setQuotaPerUsd(units) {
  quotaPerUsd = units;
}

/** @param {number} status */
export function statusText(status) {
  return [1, 2, 3, 4].includes(status)
    ? t(/** @type {"status1" | "status2" | "status3" | "status4"} */ (`status${status}`))
    : t("statusOther", { status });
}

/**
 * "1 000 000" style grouping per language, exact for every integer JavaScript holds.
 * @param {number} value
 */
export function units(value) {
  return new Intl.NumberFormat(lang()).format(value);
}

/**
 * Quota units as USD with up to 6 decimals, the precision new-api's own pages use.
 * @param {number} value
 */
export function usd(value) {
  return new Intl.NumberFormat(lang(), { maximumFractionDigits: 6 }).format(value / quotaPerUsd);
}

/** Quota units per USD, as the rules module gave it. */
export function unitsPerUsd() {
  return quotaPerUsd;
}

/**
 * Quota units as USD with exactly 2 decimals, for the table (the exact units go in a title).
 * @param {number} value
 */
export function usdShort(value) {
  return new Intl.NumberFormat(lang(), { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(
    value / quotaPerUsd,
  );
}

/**
 * Quota units as USD with at least 2 decimals and as many as it takes (up to 6, a unit is $0.000002), for
 * a value read in a sentence ("add $1.50").
 * @param {number} value
 */
export function usdExact(value) {
  return new Intl.NumberFormat(lang(), { style: "currency", currency: "USD", minimumFractionDigits: 2, maximumFractionDigits: 6 }).format(
    value / quotaPerUsd,
  );
}

/**
 * Local "YYYY-MM-DD HH:mm" for unix seconds, or "" for 0 (new-api's "never").
 * @param {number} seconds
 */
export function timeText(seconds) {
  return seconds > 0 ? expiryText(seconds) : "";
}

/**
 * How far an expiry is from `now` in whole days: "in N days", "expires today", "expired N days ago"; "" for never.
 * @param {number} expiry unix seconds, -1 never
 * @param {number} now unix seconds
 */
export function relativeExpiry(expiry, now) {
  if (expiry === -1) return "";
  const DAY = 86_400;
  if (expiry > now) {
    const days = Math.floor((expiry - now) / DAY);
    return days === 0 ? t("badgeExpiresToday") : t("badgeExpiresIn", { days: units(days) });
  }
  const days = Math.floor((now - expiry) / DAY);
  return days === 0 ? t("badgeExpiredToday") : t("badgeExpiredAgo", { days: units(days) });
}

const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");

/**
 * Local "YYYY-MM-DD HH:mm" for unix seconds; -1 is never.
 * @param {number} seconds
 */
export function expiryText(seconds) {
  if (seconds === -1) return t("never");
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return String(seconds);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The value a datetime-local input shows for unix seconds (local time, to the minute).
 * @param {number} seconds
 */
export function toDateTimeLocal(seconds) {
  const date = new Date(seconds * 1000);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Unix seconds from a datetime-local value (read as local time), or null when it is not a date.
 * @param {string} text
 * @returns {number | null}
 */
export function fromDateTimeLocal(text) {
  const millis = new Date(text).getTime();
  return Number.isFinite(millis) ? Math.floor(millis / 1000) : null;
}

/**
 * One stored value of a field as a person reads it, for the before → after diff and Apply's confirmation:
 * a number for the status, expiry and quota (as TokenValues and a valid form hold them), a boolean for the
 * toggles, a string otherwise.
 * @param {string} field
 * @param {string | number | boolean | null} value
 */
export function valueText(field, value) {
  switch (field) {
    case "status":
      return statusText(/** @type {number} */ (value));
    case "expired_time":
      return expiryText(/** @type {number} */ (value));
    case "remain_quota": {
      const quota = /** @type {number} */ (value);
      return `${units(quota)} (${t("usd", { usd: usd(quota) })})`;
    }
    case "unlimited_quota":
    case "model_limits_enabled":
      return t(value ? "true" : "false");
    default:
      return value === "" ? t("empty") : String(value).replaceAll("\n", ", ");
  }
}
