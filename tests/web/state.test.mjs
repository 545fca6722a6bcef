// The page's state in real headless Chromium against the real tokenbatch binary: what sign-out forgets, a
// preview that must match the form, Apply's confirmation, the expiry picker's dates, when errors appear and in
// whose words, a refused search, the result in the chosen language, focus after signing in.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, api, applyConfirmed, fieldMessages, isBatch, openPage, preview, searchByName, setUp, signIn, sql, editField, isPicked } from "./harness.mjs";

let env;
/** A second user of the same gateway, owning tokens 950 and 951 only. */
let other;

before(async () => {
  env = await setUp();
  const [{ next }] = sql(env.database, "SELECT MAX(id) + 1 AS next FROM users");
  other = { userId: String(next), accessToken: "otheruseraccesstoken0123456789ab" };
  sql(
    env.database,
    `INSERT INTO users (id, username, password, display_name, role, status, access_token, "group")
       VALUES (${next}, 'other', 'x', 'other', 1, 1, '${other.accessToken}', 'default');
     INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     VALUES (950, ${next}, 'otheruserkey950', 1, 'other-01', 1700000000, 1700000000, -1, 0, 0, 0, '', '', 0, 'default'),
            (951, ${next}, 'otheruserkey951', 1, 'other-02', 1700000000, 1700000000, -1, 0, 0, 0, '', '', 0, 'default');`,
  );
});

after(async () => {
  await env?.tearDown();
});

/** The nine "web-NN" tokens of the demo user. */
const WEB_IDS = [840, 846, 852, 858, 864, 870, 876, 882, 888];

const groups = (ids) => sql(env.database, `SELECT id, "group" FROM tokens WHERE id IN (${ids.join(",")}) ORDER BY id`);

/** Counts the batch calls (previews and applies) the page sends from now on. */
function countBatches(page) {
  const sent = { previews: 0, applies: 0 };
  page.on("request", (request) => {
    if (isBatch(request, true)) sent.previews += 1;
    if (isBatch(request, false)) sent.applies += 1;
  });
  return sent;
}

test("sign-out forgets the user: another user signs in to an empty selection, form, result and header", async () => {
  const { page, context, errors } = await openPage(env);
  await signIn(page, env.session);
  await searchByName(page, "web%");
  for (const box of (await page.locator("#token-table tbody input.select-row").all()).slice(0, 3)) await box.check();
  await editField(page, "group");
  await page.fill("#value-group", "vip");
  await preview(page);
  assert.ok(await page.isVisible("#result"));

  // An Apply whose answer is lost leaves its Idempotency-Key in sessionStorage.
  await context.route("**/api/token/batch**", (route) => route.abort("connectionreset"));
  await applyConfirmed(page);
  await context.unroute("**/api/token/batch**");
  assert.notEqual(await page.evaluate(() => sessionStorage.getItem("tokenbatch.pendingApply")), null);

  await page.click("#sign-out");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("tokenbatch.pendingApply")), null);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, "nothing of the user is left in the tab");
  assert.equal((await page.textContent("#signed-in-as")).trim(), "");
  assert.equal(await page.inputValue("#user-id"), "");

  await signIn(page, other);
  assert.equal(await page.textContent("#signed-in-as"), `用户 ID：${other.userId}`);
  assert.match(await page.textContent("#selection-count"), /已选择 0 个令牌/);
  assert.equal(await page.inputValue("#search-keyword"), "");
  assert.equal(await page.inputValue("#value-group"), "");
  assert.ok(!(await isPicked(page, "group")), "no field ticked");
  assert.ok(await page.isHidden("#result"), "the first user's result is gone");
  assert.equal(await page.locator("#batch li.error, #batch li.warning").count(), 0);
  assert.deepEqual(
    (await page.locator("#token-table tbody tr[data-id]").evaluateAll((rows) => rows.map((row) => row.dataset.id))).sort(),
    ["950", "951"],
  );

  // The second user's own batch goes through.
  await page.check('#token-table tbody tr[data-id="951"] input.select-row');
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "1000");
  await preview(page);
  assert.equal(await page.getAttribute("#result-summary", "class"), "success");
  assert.match(await page.textContent("#result-summary"), /将修改 1 个令牌/);
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
});

test("a preview matches the form: a change clears it, Apply needs a new one and asks with a summary first", async () => {
  const { page, errors } = await openPage(env);
  const sent = countBatches(page);
  await signIn(page, env.session);
  sql(env.database, `UPDATE tokens SET "group" = 'default' WHERE id IN (${WEB_IDS.join(",")})`);
  sql(env.database, `UPDATE tokens SET "group" = 'vip' WHERE id = 840`);
  await searchByName(page, "web%");
  await page.click("#select-all-results");
  await page.waitForFunction(() => /\b9\b/.test(document.querySelector("#selection-count").textContent));
  await editField(page, "group");
  await page.fill("#value-group", "vip");
  assert.ok(await page.isDisabled("#apply"), "no Apply without a preview");
  assert.match(await page.textContent("#apply-hint"), /预览/);

  await preview(page);
  assert.match(await page.textContent("#result-summary"), /将修改 8 个令牌，1 个保持不变/);
  assert.ok(await page.isEnabled("#apply"));

  // Another value: the preview on screen is not this form's any more.
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "5000");
  assert.ok(await page.isHidden("#result"), "the old preview is cleared");
  assert.ok(await page.isDisabled("#apply"));
  assert.match(await page.textContent("#apply-hint"), /已更改/);
  // Back to the previewed form: still a preview to make (nothing tells the page the tokens are unchanged).
  await page.click("#unpick-remain_quota");
  assert.ok(await page.isDisabled("#apply"));

  // Another selection clears it too.
  await preview(page);
  assert.ok(await page.isEnabled("#apply"));
  await page.uncheck('#token-table tbody tr[data-id="846"] input.select-row');
  assert.ok(await page.isHidden("#result"));
  assert.ok(await page.isDisabled("#apply"));
  await page.check('#token-table tbody tr[data-id="846"] input.select-row');

  // Apply asks first, with the preview's counts and the values; Cancel writes nothing.
  await preview(page);
  const before = groups(WEB_IDS);
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  assert.equal(await page.textContent("#confirm-text"), "9 个令牌中将修改 8 个：分组 → vip\n按字段：分组：8 个令牌会修改（覆盖全部令牌）");
  assert.ok(await page.isHidden("#confirm-expires"));
  assert.equal(await page.evaluate(() => document.activeElement.id), "confirm-cancel");
  await page.screenshot({ path: join(ARTIFACTS, "confirm-apply.png"), fullPage: false });
  await page.click("#confirm-cancel");
  assert.ok(!(await page.evaluate(() => /** @type {HTMLDialogElement} */ (document.querySelector("#confirm-dialog")).open)));
  await page.keyboard.press("Escape");
  assert.equal(sent.applies, 0, "nothing was sent");
  assert.deepEqual(groups(WEB_IDS), before);

  // In English, from the keyboard: Escape cancels too; the dialog confirms.
  await page.selectOption("#lang", "en");
  await page.focus("#apply");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#confirm-dialog[open]");
  assert.equal(await page.textContent("#confirm-text"), "8 of 9 tokens will change: Group → vip\nBy field: Group: 8 tokens change (all tokens counted)");
  await page.keyboard.press("Escape");
  assert.ok(!(await page.evaluate(() => /** @type {HTMLDialogElement} */ (document.querySelector("#confirm-dialog")).open)));
  assert.equal(sent.applies, 0);
  await applyConfirmed(page);
  assert.equal(sent.applies, 1);
  assert.match(await page.textContent("#result-summary"), /Done: 8 tokens changed, 1 already had these values/);
  assert.ok(groups(WEB_IDS).every((row) => row.group === "vip"));
  // What was applied is no preview of what applying again would do.
  assert.ok(await page.isDisabled("#apply"));

  // A past expiry: the summary says the tokens will expire.
  await page.click("#unpick-group");
  await editField(page, "expired_time");
  await page.fill("#value-expired_time", "2020-01-02T03:04");
  await preview(page);
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  // The per-field summary: the tokens not yet expired become expired (status follows the values).
  const expiring = sql(env.database, `SELECT COUNT(*) AS n FROM tokens WHERE status != 3 AND id IN (${WEB_IDS.join(",")})`)[0].n;
  assert.equal(
    await page.textContent("#confirm-text"),
    `9 of 9 tokens will change: Expiry → 2020-01-02 03:04\nBy field: Status: ${expiring} become expired; Expiry: 9 tokens change (all tokens counted)`,
  );
  assert.equal(await page.textContent("#confirm-expires"), "The expiry is in the past: these tokens will expire immediately.");
  await page.screenshot({ path: join(ARTIFACTS, "confirm-past-expiry.png"), fullPage: false });
  await page.click("#confirm-cancel");
  await page.selectOption("#lang", "zh-CN");
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  assert.equal(
    await page.textContent("#confirm-text"),
    `9 个令牌中将修改 9 个：过期时间 → 2020-01-02 03:04\n按字段：状态：${expiring} 个变为已过期；过期时间：9 个令牌会修改（覆盖全部令牌）`,
  );
  assert.equal(await page.textContent("#confirm-expires"), "过期时间已经过去：这些令牌将立即过期。");
  await page.click("#confirm-cancel");
  assert.equal(sent.applies, 1);
  assert.deepEqual(errors, []);
});

test("a year past 9999 in the expiry picker is a date problem, in dates and labels, not JSON", async () => {
  const { page } = await openPage(env);
  await signIn(page, env.session);
  await searchByName(page, "support-05");
  await page.check("#token-table tbody input.select-row");
  // Typed into the picker (month, day, year, hour, minute, AM/PM segments here): its year segment takes six
  // digits unless the input's max says 9999; no message speaks of JSON.
  await editField(page, "expired_time");
  await page.click("#value-expired_time", { position: { x: 12, y: 10 } });
  await page.keyboard.type("0102202600304A");
  const typed = await page.inputValue("#value-expired_time");
  assert.ok(typed === "" || /^\d{4}-/.test(typed), `a year of at most 4 digits, not ${typed}`);
  for (const message of await fieldMessages(page, "expired_time")) assert.doesNotMatch(message, /expired_time|JSON|整数/);

  // A value set otherwise (a browser whose picker ignores max) with a year of 5 digits: a date message.
  await editField(page, "expired_time");
  await page.fill("#value-expired_time", "20260-01-02T03:04");
  let messages = await fieldMessages(page, "expired_time");
  assert.equal(messages.length, 1);
  assert.match(messages[0], /日期/);
  assert.match(messages[0], /9999/);
  assert.doesNotMatch(messages[0], /expired_time|JSON|整数|毫秒/);
  assert.ok(await page.isDisabled("#preview"));

  await page.selectOption("#lang", "en");
  messages = await fieldMessages(page, "expired_time");
  assert.equal(messages.length, 1);
  assert.match(messages[0], /date/);
  assert.match(messages[0], /9999/);
  assert.doesNotMatch(messages[0], /expired_time|JSON|integer|milliseconds/);

  // 9999 itself is a date the rules take.
  await editField(page, "expired_time");
  await page.fill("#value-expired_time", "9999-12-31T23:00");
  assert.deepEqual(await fieldMessages(page, "expired_time"), []);
  assert.ok(await page.isEnabled("#preview"));
  await page.selectOption("#lang", "zh-CN");
});

test("no error before the user does anything: an attempt to preview shows what is missing", async () => {
  const { page } = await openPage(env);
  const sent = countBatches(page);
  await signIn(page, env.session);
  assert.equal(await page.locator("#batch li.error, #batch li.warning").count(), 0, "an untouched form shows no error");
  assert.ok(await page.isHidden("#form-blocked"));
  assert.ok(await page.isEnabled("#preview"));

  // Trying to preview an empty form shows what is missing, in the form's terms, and sends nothing.
  await page.click("#preview");
  assert.deepEqual(await page.locator("#form-summary li.error").allTextContents(), [
    "请先在上方的表格中至少选择一个令牌。",
    "请至少添加一个要修改的字段。",
  ]);
  assert.equal(await page.evaluate(() => document.activeElement.id), "form-summary");
  assert.equal(sent.previews, 0);
  await page.screenshot({ path: join(ARTIFACTS, "empty-form-attempt.png"), fullPage: false });

  // A ticked field without a value says so once the user tries.
  await searchByName(page, "research-04");
  await page.check("#token-table tbody input.select-row");
  await editField(page, "remain_quota");
  assert.deepEqual(await fieldMessages(page, "remain_quota"), ["请填写“剩余额度”的值，或移除该字段。"]);
});

test("messages use the form's labels and dates, not API names and unix seconds", async () => {
  const { page } = await openPage(env);
  await signIn(page, env.session);
  await searchByName(page, "research-04");
  await page.check("#token-table tbody input.select-row");

  // Labels, not API names; the rules' wording otherwise.
  await editField(page, "allow_ips");
  await page.fill("#value-allow_ips", "10.0.0.1\n10.0.0.300");
  const [ips] = await fieldMessages(page, "allow_ips");
  const [{ id }] = sql(env.database, "SELECT id FROM tokens WHERE name = 'research-04'");
  const body = JSON.stringify({ ids: [id], update_fields: ["allow_ips"], allow_ips: "10.0.0.1\n10.0.0.300" });
  const server = await api(env.server, env.session, "PUT", "/api/token/batch?validate_only=true", body);
  const serverIps = server.envelope.errors.find((error) => error.field === "allow_ips").message;
  assert.match(serverIps, /^allow_ips /);
  assert.equal(ips, serverIps.replace(/^allow_ips /, "“IP 白名单”"));
  await editField(page, "allow_ips");
  await page.fill("#value-allow_ips", "");
  await page.click("#unpick-allow_ips");

  // Dates, not unix seconds.
  await editField(page, "expired_time");
  await page.fill("#value-expired_time", "2020-01-02T03:04");
  const [past] = await fieldMessages(page, "expired_time", "warning");
  const seconds = await page.evaluate(() => Math.floor(new Date("2020-01-02T03:04").getTime() / 1000));
  assert.ok(past.includes("2020-01-02 03:04"), past);
  assert.ok(!past.includes(String(seconds)), past);
  assert.doesNotMatch(past, /expired_time/);
  assert.match(past, /^“过期时间”/);
  await page.screenshot({ path: join(ARTIFACTS, "labels-and-dates.png"), fullPage: true });
});

test("a refused search clears the previous results, page count and select-all", async () => {
  const { page } = await openPage(env);
  await signIn(page, env.session);
  await searchByName(page, "web%");
  assert.equal(await page.locator("#token-table tbody tr[data-id]").count(), 9);
  assert.match(await page.textContent("#select-all-results"), /9/);

  await page.fill("#search-keyword", "w%e%b%");
  await page.click("#search-submit");
  await page.waitForSelector("#tokens-error:not([hidden])");
  await page.waitForSelector("#tokens-busy", { state: "hidden" });
  assert.equal(await page.locator("#token-table tbody tr[data-id]").count(), 0);
  assert.equal(await page.textContent("#page-info"), "");
  assert.ok(await page.isDisabled("#select-all-results"));
  assert.doesNotMatch(await page.textContent("#select-all-results"), /9/);

  // A valid search afterwards shows its results again.
  await searchByName(page, "web%");
  assert.equal(await page.locator("#token-table tbody tr[data-id]").count(), 9);
  assert.ok(await page.isHidden("#tokens-error"));
});

test("signing in from the keyboard moves focus to the token list's heading, not the page body", async () => {
  const { page } = await openPage(env);
  await page.focus("#user-id");
  await page.keyboard.type(env.session.userId);
  await page.keyboard.press("Tab");
  await page.keyboard.type(env.session.accessToken);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#token-table tbody tr[data-id]");
  assert.equal(await page.evaluate(() => document.activeElement.id), "tokens-title");
  // Tab goes on from there into the search form.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "search-keyword");
});

test("the result section follows a language switch", async () => {
  const { page } = await openPage(env);
  await signIn(page, env.session);
  await searchByName(page, "mobile-02");
  await page.check("#token-table tbody input.select-row");
  await editField(page, "expired_time");
  await page.fill("#value-expired_time", "2020-01-02T03:04");
  await preview(page);
  assert.match(await page.textContent("#result-summary"), /试运行/);
  assert.match(await page.textContent("#result-warnings"), /已经过去/);
  assert.match(await page.textContent("#result-dataset th:nth-child(3)"), /结果/);

  await page.selectOption("#lang", "en");
  assert.match(await page.textContent("#result-summary"), /^Dry run: 1 tokens would change/);
  assert.equal(await page.textContent("#result-dataset th:nth-child(3)"), "Outcome");
  assert.equal(await page.textContent("#result-dataset tbody td:nth-child(3)"), "Will change");
  assert.match(await page.textContent('#result-dataset li[data-field="expired_time"]'), /^Expiry: /);
  const warnings = await page.locator("#result-warnings li").allTextContents();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /is in the past/);
  assert.match(warnings[0], /^“Expiry” 2020-01-02 03:04/);
  await page.screenshot({ path: join(ARTIFACTS, "result-in-english.png"), fullPage: true });

  await page.selectOption("#lang", "zh-CN");
  assert.match(await page.textContent("#result-summary"), /^试运行/);
  assert.match(await page.textContent("#result-warnings"), /已经过去/);
});
