// How token values read on the page: status names, quota with its USD worth, dates in local time.

import { t, lang } from "./i18n.js";

let quotaPerUsd = 500000;

/** Set once from the rules module's description, so the page never carries its own copy of the rate. */
export function setQuotaPerUsd(units) {
  quotaPerUsd = units;
}

export function statusText(status) {
  return [1, 2, 3, 4].includes(status) ? t(`status${status}`) : t("statusOther", { status });
}

/** "1 000 000" style grouping per language, exact for every integer JavaScript holds. */
export function units(value) {
  return new Intl.NumberFormat(lang()).format(value);
}

/** Quota units as USD with up to 6 decimals, the precision new-api's own pages use. */
export function usd(value) {
  return new Intl.NumberFormat(lang(), { maximumFractionDigits: 6 }).format(value / quotaPerUsd);
}

export function quotaText(token) {
  if (token.unlimited_quota) return t("unlimited");
  return `${units(token.remain_quota)} (${t("usd", { usd: usd(token.remain_quota) })})`;
}

const pad = (n) => String(n).padStart(2, "0");

/** Local "YYYY-MM-DD HH:mm" for unix seconds; -1 is never. */
export function expiryText(seconds) {
  if (seconds === -1) return t("never");
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return String(seconds);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The value a datetime-local input shows for unix seconds (local time, to the minute). */
export function toDateTimeLocal(seconds) {
  const date = new Date(seconds * 1000);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Unix seconds from a datetime-local value (read as local time), or null when it is not a date. */
export function fromDateTimeLocal(text) {
  const millis = new Date(text).getTime();
  return Number.isFinite(millis) ? Math.floor(millis / 1000) : null;
}

/** One stored value of a field as a person reads it, for the before → after diff. */
export function valueText(field, value) {
  switch (field) {
    case "status":
      return statusText(value);
    case "expired_time":
      return expiryText(value);
    case "remain_quota":
      return `${units(value)} (${t("usd", { usd: usd(value) })})`;
    case "unlimited_quota":
    case "model_limits_enabled":
      return t(value ? "true" : "false");
    default:
      return value === "" ? t("empty") : String(value).replaceAll("\n", ", ");
  }
}
