// The console's filter panel and name search in real headless Chromium against the real tokenbatch binary: each
// filter sent as the list route's parameters and the table's total checked against SQL counts, an amount that is
// none refused beside the panel, substring and pattern name search and key search, the rules' refusal of a
// pattern, a filter the server refuses.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, openPage, setUp, signIn, openSignedIn, applyFilter, shownTotal, countTokens, seedConsole } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
  seedConsole(env);
});

after(async () => {
  await env?.tearDown();
});

const count = (where) => countTokens(env.database, where);

async function clearFilter(page) {
  await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === "/api/token/"),
    page.click("#filter-clear"),
  ]);
  await page.waitForSelector("#tokens-busy", { state: "hidden" });
}

test("the filter panel narrows the table and its total to what the database holds", async () => {
  const { page, errors } = await openSignedIn(env);
  assert.equal(await shownTotal(page), count("user_id = " + env.session.userId));

  // Expired only: the status list goes as status=3, every row shown is expired.
  await page.check("#filter-status-3");
  let url = await applyFilter(page);
  assert.equal(url.searchParams.get("status"), "3");
  assert.match(await page.textContent("#page-info"), /^Filtered: page 1 of 1, 5 tokens match$/);
  assert.equal(await shownTotal(page), count("status = 3"));
  assert.equal(await shownTotal(page), 5);
  const statuses = await page.$$eval("#token-table tbody td[data-status]", (cells) => cells.map((c) => c.dataset.status));
  assert.ok(statuses.length > 0 && statuses.every((s) => s === "3"), statuses.join());

  // Enabled in group vip (a whole entry: "default,vip" counts, "svip" would not).
  await page.uncheck("#filter-status-3");
  await page.check("#filter-status-1");
  await page.fill("#filter-group", "vip");
  url = await applyFilter(page);
  assert.equal(url.searchParams.get("group"), "vip");
  assert.equal(await shownTotal(page), count(`status = 1 AND ',' || "group" || ',' LIKE '%,vip,%'`));

  // Quota at least 3 USD: sent in units.
  await clearFilter(page);
  await page.fill("#filter-quota-min", "3");
  url = await applyFilter(page);
  assert.equal(url.searchParams.get("remain_quota_at_least"), "1500000");
  assert.equal(await shownTotal(page), count("remain_quota >= 1500000"));

  // Expires within 60 days: from now, before now + 60 days, as unix seconds.
  await clearFilter(page);
  await page.fill("#filter-expires-within", "60");
  url = await applyFilter(page);
  const after = Number(url.searchParams.get("expires_after"));
  const beforeTime = Number(url.searchParams.get("expires_before"));
  assert.equal(beforeTime - after, 60 * 86400);
  assert.ok(Math.abs(after - Date.now() / 1000) < 60, "from now");
  assert.equal(await shownTotal(page), count(`expired_time >= ${after} AND expired_time < ${beforeTime}`));
  assert.ok((await shownTotal(page)) > 0);

  // Unused since a date: a local date picker, sent as local midnight in unix seconds.
  await clearFilter(page);
  await page.fill("#filter-unused-since", "2030-01-01");
  url = await applyFilter(page);
  assert.equal(Number(url.searchParams.get("accessed_before")), new Date(2030, 0, 1).getTime() / 1000);

  // An amount that is none is shown beside the panel with the control's label, and nothing is sent.
  await clearFilter(page);
  await page.fill("#filter-quota-max", "3 dollars");
  let sent = 0;
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/token/") sent += 1;
  });
  await page.click("#filter-apply");
  await page.waitForSelector("#filter-errors li.error");
  const problem = await page.textContent("#filter-errors li.error");
  assert.match(problem, /Remaining quota below/, problem);
  assert.equal(await page.getAttribute("#filter-quota-max", "aria-invalid"), "true");
  assert.equal(sent, 0);
  assert.deepEqual(errors, []);
});

test("name search is a substring by default; a % typed by the user goes through as new-api's pattern", async () => {
  const { page, errors } = await openPage(env);
  await signIn(page, env.session);

  await page.fill("#filter-name", "web");
  let url = await applyFilter(page);
  assert.equal(url.searchParams.get("name"), "%web%");
  const expected = count("name LIKE '%web%'");
  assert.equal(expected, 11, "nine web-NN, my-web-token and web_100!x");
  assert.equal(await shownTotal(page), expected);
  await page.selectOption("#page-size", "20");
  await page.waitForSelector('#token-table tbody tr[data-id="990"]');
  const names = await page.$$eval("#token-table tbody tr[data-id] td:nth-child(3)", (cells) => cells.map((c) => c.textContent));
  assert.ok(names.includes("my-web-token"), names.join());
  assert.ok(names.every((name) => name.includes("web")), names.join());

  // _ and ! are literal for new-api (the server escapes them): no escaping by the page, the token is found.
  await page.fill("#filter-name", "_100!");
  url = await applyFilter(page);
  assert.equal(url.searchParams.get("name"), "%_100!%");
  assert.equal(await shownTotal(page), 1);
  await page.waitForSelector('#token-table tbody tr[data-id="991"]');

  // The user's own pattern: sent as typed, a prefix match here.
  await page.fill("#filter-name", "my-%");
  url = await applyFilter(page);
  assert.equal(url.searchParams.get("name"), "my-%");
  assert.equal(await shownTotal(page), 1);
  await page.fill("#filter-name", "web%");
  url = await applyFilter(page);
  assert.equal(url.searchParams.get("name"), "web%");
  assert.equal(await shownTotal(page), count("name LIKE 'web%'"));
  assert.equal(await shownTotal(page), 10);

  // A key substring, with the sk- a person copies along.
  await page.fill("#filter-name", "");
  await page.fill("#filter-key", "sk-mywebtoken");
  url = await applyFilter(page);
  assert.equal(url.searchParams.get("key"), "%mywebtoken%");
  assert.equal(await shownTotal(page), 1);

  // The rules' own refusal of a pattern (three %), in the page's words, before anything is sent.
  await page.fill("#filter-key", "");
  await page.fill("#filter-name", "%a%b%");
  await page.click("#filter-apply");
  await page.waitForSelector('#filter-errors li[data-code="search.too_many_wildcards"]');
  assert.equal(await page.getAttribute("#filter-name", "aria-invalid"), "true");
  assert.match(await page.textContent("#filter-errors li"), /“名称包含”/);
  assert.deepEqual(errors, []);
});

test("a filter the server refuses: its own message, in the page's language, and an empty table", async () => {
  const { page, context } = await openPage(env);
  await signIn(page, env.session);
  // The rules module and the server judge alike, so only a request altered on the way meets a refusal.
  await context.route("**/api/token/?**", (route) => {
    const url = new URL(route.request().url());
    if (url.searchParams.has("status")) url.searchParams.set("status", "9");
    return route.continue({ url: url.toString() });
  });
  await page.check("#filter-status-1");
  await page.click("#filter-apply");
  await page.waitForSelector("#tokens-error:not([hidden])");
  const server = await api(env.server, env.session, "GET", "/api/token/?status=9&lang=zh-CN");
  assert.equal(server.envelope.success, false);
  assert.ok(server.envelope.message.length > 0);
  const shown = await page.textContent("#tokens-error");
  assert.ok(shown.includes(server.envelope.message), `${shown} / ${server.envelope.message}`);
  assert.equal(await page.locator("#token-table tbody tr[data-id]").count(), 0);
  assert.ok(await page.isDisabled("#select-all-matching"), "nothing to select from a refused filter");
});
