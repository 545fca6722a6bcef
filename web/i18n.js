// @ts-check
// The page's own words in zh-CN (the default, as new-api's users read Chinese) and English. Field labels,
// help and every validation message come from the rules module instead, so they match the server's.
// The operator console's words live in i18n-console.js and are merged in here.

import { CONSOLE_STRINGS } from "./i18n-console.js";
import { EDIT_STRINGS } from "./i18n-edit.js";
import { HISTORY_STRINGS } from "./i18n-history.js";
import { TOOLS_STRINGS } from "./i18n-tools.js";

const STRINGS = {
  "zh-CN": {
    ...CONSOLE_STRINGS["zh-CN"],
    ...EDIT_STRINGS["zh-CN"],
    ...HISTORY_STRINGS["zh-CN"],
    ...TOOLS_STRINGS["zh-CN"],
    title: "令牌批量修改",
    language: "语言",
    signOut: "退出",
    signInTitle: "登录",
    signInHelp: "使用 new-api 的用户 ID 与系统访问令牌（个人设置 → 生成系统访问令牌）。令牌只保存在本标签页的会话存储中，关闭标签页即清除。",
    userId: "用户 ID",
    accessToken: "系统访问令牌",
    signIn: "登录",
    signingIn: "正在登录…",
    signedInAs: "用户 ID：{id}",
    loading: "正在加载…",
    moduleLoadFailed: "无法加载校验模块：{error}",
    staleModule: "页面的校验模块（{page}）与服务器的规则版本（{server}）不一致：浏览器可能缓存了旧版本。请强制刷新页面（Ctrl+Shift+R），否则页面上的校验结果可能与服务器不同。",
    statusUnreachable: "无法读取服务器状态：{error}",
    tokensTitle: "令牌",
    skipToContent: "跳到主要内容",
    paging: "分页",
    searchKeyword: "名称",
    searchToken: "密钥",
    searchHelp: "不含 % 时为精确匹配；含 % 时为通配（最多两个 %，例如 web%）。密钥可带 sk- 前缀。",
    search: "搜索",
    clearSearch: "显示全部",
    pageSize: "每页",
    previousPage: "上一页",
    nextPage: "下一页",
    pageInfo: "第 {page} / {pages} 页，共 {total} 个令牌",
    searchInfo: "搜索结果：第 {page} / {pages} 页，共 {total} 个",
    noTokens: "没有令牌。",
    colSelect: "选择",
    selectPage: "选择本页全部令牌",
    selectRow: "选择令牌 {name}",
    colId: "ID",
    colName: "名称",
    colKey: "密钥",
    colStatus: "状态",
    colGroup: "分组",
    colQuota: "额度",
    colExpiry: "过期时间",
    colModels: "模型限制",
    colIps: "IP 白名单",
    status1: "已启用",
    status2: "已禁用",
    status3: "已过期",
    status4: "已耗尽",
    statusOther: "状态 {status}",
    unlimited: "无限额度",
    never: "永不过期",
    noRestriction: "不限制",
    notEnforced: "未启用",
    defaultGroup: "（用户分组）",
    selectedCount: "已选择 {count} 个令牌",
    selectAllResults: "选择全部 {total} 个结果",
    selectingAll: "正在选择…",
    clearSelection: "清除选择",
    tooManyToSelect: "结果超过 {max} 个，一次最多修改 {max} 个令牌：请缩小搜索范围。",
    formTitle: "批量修改",
    neverExpires: "永不过期",
    expiryUtc: "即 {utc}",
    usd: "≈ {usd} 美元",
    toggleOn: "开启（true）",
    toggleOff: "关闭（false）",
    groupsAvailable: "可用分组：",
    addGroup: "添加分组 {group}",
    lineNumbers: "行号",
    preview: "预览（试运行）",
    apply: "应用修改",
    working: "正在提交…",
    formBlocked: "请先修正上面的问题。",
    resultsTitle: "结果",
    previewSummary: "试运行：将修改 {changed} 个令牌，{unchanged} 个保持不变。未写入任何数据。",
    applySummary: "已完成：修改了 {changed} 个令牌，{unchanged} 个原本就是这些值。",
    outcomeUpdated: "已修改",
    outcomeWillUpdate: "将修改",
    outcomeUnchanged: "不变",
    colOutcome: "结果",
    colChanges: "变化（之前 → 之后）",
    noChanges: "无变化",
    showMoreResults: "再显示 {count} 个（其余 {remaining} 个未显示）",
    serverRejected: "服务器拒绝了请求：{message}",
    networkError: "无法连接服务器（{error}）。表单内容已保留，请检查网络后重试。",
    httpError: "服务器返回 HTTP {status}：{message}。表单内容已保留。",
    retrySafe: "不修改表单再次点击“应用修改”是安全的：即使这次请求已经生效，此批次也不会被应用两次。",
    replayedNote: "此批次此前已经应用：以下是第一次提交的结果，本次没有再写入任何数据。",
    signInFailed: "登录失败：{message}",
    sessionExpired: "身份验证失败：{message}。请重新登录。",
    fieldStatus: "状态",
    true: "是",
    false: "否",
    empty: "（空）",
    selectionName: "所选令牌",
    fieldsName: "要修改的字段",
    needSelection: "请先在上方的表格中至少选择一个令牌。",
    needField: "请至少添加一个要修改的字段。",
    needValue: "请填写“{label}”的值，或移除该字段。",
    dateInvalid: "请输入有效的日期和时间：年份为 4 位数，最大为 9999（最晚 9999-12-31 23:59）。",
    previewFirst: "应用前请先预览：只有与当前表单完全一致的预览之后才能应用。",
    previewStale: "表单或所选令牌已更改，之前的预览已清除：请重新预览。",
    confirmTitle: "确认应用修改",
    confirmSummary: "{total} 个令牌中将修改 {changed} 个：{changes}",
    confirmExpires: "过期时间已经过去：这些令牌将立即过期。",
    confirmNote: "此操作会直接写入数据库。",
    confirmApply: "确认应用",
    cancel: "取消",
    listSeparator: "；",
  },
  en: {
    ...CONSOLE_STRINGS.en,
    ...EDIT_STRINGS.en,
    ...HISTORY_STRINGS.en,
    ...TOOLS_STRINGS.en,
    title: "Batch token editor",
    language: "Language",
    signOut: "Sign out",
    signInTitle: "Sign in",
    signInHelp: "Use your new-api user id and system access token (Settings → generate system access token). The token is kept only in this tab's session storage and is gone when the tab closes.",
    userId: "User id",
    accessToken: "System access token",
    signIn: "Sign in",
    signingIn: "Signing in…",
    signedInAs: "User id: {id}",
    loading: "Loading…",
    moduleLoadFailed: "The validation module could not be loaded: {error}",
    staleModule: "The page's validation module ({page}) differs from the server's rules ({server}): your browser may have cached an old version. Reload the page bypassing the cache (Ctrl+Shift+R), otherwise the page's verdicts may differ from the server's.",
    statusUnreachable: "The server status could not be read: {error}",
    tokensTitle: "Tokens",
    skipToContent: "Skip to the main content",
    paging: "Pages",
    searchKeyword: "Name",
    searchToken: "Key",
    searchHelp: "Without % a value matches exactly; with % it is a pattern (at most two %, e.g. web%). A key may carry the sk- prefix.",
    search: "Search",
    clearSearch: "Show all",
    pageSize: "Per page",
    previousPage: "Previous page",
    nextPage: "Next page",
    pageInfo: "Page {page} of {pages}, {total} tokens",
    searchInfo: "Search results: page {page} of {pages}, {total} found",
    noTokens: "No tokens.",
    colSelect: "Select",
    selectPage: "Select every token on this page",
    selectRow: "Select token {name}",
    colId: "ID",
    colName: "Name",
    colKey: "Key",
    colStatus: "Status",
    colGroup: "Group",
    colQuota: "Quota",
    colExpiry: "Expires",
    colModels: "Model limits",
    colIps: "IP whitelist",
    status1: "Enabled",
    status2: "Disabled",
    status3: "Expired",
    status4: "Exhausted",
    statusOther: "Status {status}",
    unlimited: "Unlimited",
    never: "Never",
    noRestriction: "No restriction",
    notEnforced: "not enforced",
    defaultGroup: "(user's group)",
    selectedCount: "{count} tokens selected",
    selectAllResults: "Select all {total} results",
    selectingAll: "Selecting…",
    clearSelection: "Clear selection",
    tooManyToSelect: "More than {max} results; a batch changes at most {max} tokens: narrow the search.",
    formTitle: "Batch edit",
    neverExpires: "Never expires",
    expiryUtc: "that is {utc}",
    usd: "≈ {usd} USD",
    toggleOn: "On (true)",
    toggleOff: "Off (false)",
    groupsAvailable: "Available groups:",
    addGroup: "Add group {group}",
    lineNumbers: "Line numbers",
    preview: "Preview (dry run)",
    apply: "Apply changes",
    working: "Sending…",
    formBlocked: "Fix the problems above first.",
    resultsTitle: "Result",
    previewSummary: "Dry run: {changed} tokens would change, {unchanged} would stay as they are. Nothing was written.",
    applySummary: "Done: {changed} tokens changed, {unchanged} already had these values.",
    outcomeUpdated: "Changed",
    outcomeWillUpdate: "Will change",
    outcomeUnchanged: "Unchanged",
    colOutcome: "Outcome",
    colChanges: "Changes (before → after)",
    noChanges: "No change",
    showMoreResults: "Show {count} more ({remaining} not shown)",
    serverRejected: "The server rejected the request: {message}",
    networkError: "The server could not be reached ({error}). The form is kept: check the connection and try again.",
    httpError: "The server answered HTTP {status}: {message}. The form is kept.",
    retrySafe: "Clicking “Apply changes” again without changing the form is safe: if this attempt did take effect, the batch will not be applied twice.",
    replayedNote: "This batch had already been applied: this is the answer of the first attempt; nothing was written again.",
    signInFailed: "Sign-in failed: {message}",
    sessionExpired: "Authentication failed: {message}. Please sign in again.",
    fieldStatus: "status",
    true: "yes",
    false: "no",
    empty: "(empty)",
    selectionName: "selected tokens",
    fieldsName: "fields to change",
    needSelection: "Select at least one token in the table above.",
    needField: "Add at least one field to change.",
    needValue: "Enter a value for “{label}”, or remove that field.",
    dateInvalid: "Enter a valid date and time: a 4-digit year, at most 9999 (9999-12-31 23:59 at the latest).",
    previewFirst: "Preview before applying: Apply needs a preview of exactly the form as it is now.",
    previewStale: "The form or the selection changed, so the earlier preview was cleared: preview again.",
    confirmTitle: "Apply these changes?",
    confirmSummary: "{changed} of {total} tokens will change: {changes}",
    confirmExpires: "The expiry is in the past: these tokens will expire immediately.",
    confirmNote: "This writes to the database.",
    confirmApply: "Apply",
    cancel: "Cancel",
    listSeparator: "; ",
  },
};

/**
 * A key of the page's own words; every language has all of them (zh-CN's are the list).
 * @typedef {keyof (typeof STRINGS)["zh-CN"]} MessageKey
 */
/** A language the page speaks. @typedef {keyof typeof STRINGS} LangTag */

/** The strings of `tag`, or undefined for a language the page does not have. */
const stringsOf = (/** @type {string} */ tag) =>
  Object.hasOwn(STRINGS, tag) ? STRINGS[/** @type {LangTag} */ (tag)] : undefined;

export const LANGS = [
  { tag: "zh-CN", name: "中文" },
  { tag: "en", name: "English" },
];

const LANG_KEY = "tokenbatch.lang";
/** @type {LangTag} */
let current = "zh-CN";

/** The language chosen earlier in this browser (not a secret, so localStorage), zh-CN otherwise. */
export function initialLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (saved && stringsOf(saved)) return saved;
  } catch {
    // Storage can be disabled; the default language is fine then.
  }
  return "zh-CN";
}

/** @param {string} tag */
export function setLang(tag) {
  current = stringsOf(tag) ? /** @type {LangTag} */ (tag) : "zh-CN";
  document.documentElement.lang = current;
  try {
    localStorage.setItem(LANG_KEY, current);
  } catch {
    // Not remembering the choice is harmless.
  }
}

export function lang() {
  return current;
}

/**
 * The string for `key` with `{name}` placeholders filled from `vars`.
 * @param {MessageKey} key
 * @param {Record<string, string | number>} [vars]
 */
export function t(key, vars = {}) {
  return tIn(current, key, vars);
}

/**
 * The string for `key` in language `tag` (a message kept in the language it was asked in).
 * @param {string} tag
 * @param {MessageKey} key
 * @param {Record<string, string | number>} [vars]
 */
export function tIn(tag, key, vars = {}) {
  const text = (stringsOf(tag) ?? STRINGS["zh-CN"])[key] ?? STRINGS["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

/**
 * Re-labels every element marked with data-i18n (text) or data-i18n-label (aria-label); the attributes name
 * keys of STRINGS (index.html's own, so a key is cast rather than checked).
 * @param {ParentNode} [root]
 */
export function translateStatic(root = document) {
  for (const element of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n]"))) {
    element.textContent = t(/** @type {MessageKey} */ (element.dataset.i18n));
  }
  for (const element of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n-label]"))) {
    element.setAttribute("aria-label", t(/** @type {MessageKey} */ (element.dataset.i18nLabel)));
  }
  document.title = t("title");
}
