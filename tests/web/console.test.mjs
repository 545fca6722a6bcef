// The operator console in real headless Chromium against the real tokenbatch binary: the filter panel and its
// total, substring and pattern name search, "select all matching" sending the filter itself, preview and apply
// by plan (paged results, a stale plan and a fresh preview), the table's badges and relative expiry.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, api, openPage, setUp, signIn, sql, isBatch, editField, isPicked, openSignedIn } from "./harness.mjs";

let env;

/** 70 extra tokens of the demo user named "planbulk-001"… in group vip, for a plan longer than one page. */
const BULK = { first: 2001, count: 70 };

before(async () => {
  env = await setUp();
  const user = env.session.userId;
  const now = Math.floor(Date.now() / 1000);
  sql(
    env.database,
    `INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     VALUES (990, ${user}, 'mywebtokenkey990abc', 1, 'my-web-token', ${now}, 0, -1, 0, 0, 0, '', '', 0, 'default'),
            (991, ${user}, 'percentkey991abcdef', 1, 'web_100!x', ${now}, 0, -1, 0, 0, 0, '', '', 0, 'default');
     WITH RECURSIVE seq(i) AS (SELECT ${BULK.first} UNION ALL SELECT i + 1 FROM seq WHERE i < ${BULK.first + BULK.count - 1})
     INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     SELECT i, ${user}, 'planbulkkey' || i, 1, 'planbulk-' || printf('%03d', i - ${BULK.first - 1}), ${now}, 0, -1,
       500000, 0, 0, '', '', 0, 'vip' FROM seq;`,
  );
});

after(async () => {
  await env?.tearDown();
});

const count = (where) => sql(env.database, `SELECT COUNT(*) AS n FROM tokens WHERE deleted_at IS NULL AND ${where}`)[0].n;

/** Applies the filter panel and waits until the table shows its answer; resolves to the list call's URL. */
async function applyFilter(page) {
  const [request] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === "/api/token/" && r.method() === "GET"),
    page.click("#filter-apply"),
  ]);
  await page.waitForSelector("#tokens-busy", { state: "hidden" });
  await page.waitForFunction(() => document.querySelector("#page-info").textContent.length > 0);
  return new URL(request.url());
}

/** The total the pager shows ("… of N tokens"). */
async function shownTotal(page) {
  const text = await page.textContent("#page-info");
  return Number(/(\d+)\D*$/.exec(text.replace(/,/g, ""))?.[1]);
}

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

/** Ticks the model limits field with `models`. */
async function fillModels(page, models) {
  await editField(page, "model_limits");
  await page.fill("#value-model_limits", models);
  assert.ok(await isPicked(page, "model_limits"));
}

/** The batch calls the page sends from now on, with their bodies and headers. */
function recordBatches(page) {
  const calls = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname === "/api/token/batch") {
      calls.push({ url, body: JSON.parse(request.postData() ?? "null"), headers: request.headers() });
    }
  });
  return calls;
}

test("select all matching sends the filter, previews a plan page by page, and Apply applies exactly that plan", async () => {
  const { page, errors } = await openSignedIn(env);
  await page.fill("#filter-name", "planbulk");
  await applyFilter(page);
  assert.equal(await shownTotal(page), BULK.count);

  await page.click("#select-all-matching");
  assert.match(await page.textContent("#selection-count"), /all 70 tokens matching the filter/);
  assert.equal(await page.getAttribute("#selection-count", "data-mode"), "filter");
  assert.ok(await page.isVisible("#pick-ids"));
  assert.ok(await page.isChecked("#token-table tbody input.select-row"));

  const calls = recordBatches(page);
  await fillModels(page, "gpt-4.1-mini");
  const label = await page.textContent("#preview");
  const [response] = await Promise.all([page.waitForResponse((r) => isBatch(r.request(), true)), page.click("#preview")]);
  await page.waitForFunction((text) => document.querySelector("#preview").textContent === text, label);
  const planId = (await response.json()).plan.plan_id;

  // The preview's body carries the filter, never the ids; the first page only.
  const [dryRun] = calls;
  assert.deepEqual(dryRun.body.filter, { name: "%planbulk%" });
  assert.equal("ids" in dryRun.body, false);
  assert.equal(dryRun.url.searchParams.get("size"), "50");
  assert.match(await page.textContent("#result-plan"), /70 tokens pinned, 70 of them would change/);
  assert.equal(await page.locator("#result-dataset tr[data-id]").count(), 50);

  // The rest from the plan's own route.
  const [more] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname.startsWith("/api/token/batch/plans/")),
    page.click("#result-more"),
  ]);
  assert.equal(new URL(more.url()).searchParams.get("p"), "2");
  await page.waitForFunction(() => document.querySelectorAll("#result-dataset tr[data-id]").length === 70);
  assert.ok(await page.isHidden("#result-more"));
  // A token the table showed is named in the results (the plan's items carry ids only).
  assert.equal(await page.textContent('#result-dataset tr[data-id="2070"] td:nth-child(2)'), "planbulk-070");
  assert.deepEqual(sql(env.database, `SELECT DISTINCT model_limits FROM tokens WHERE name LIKE 'planbulk-%'`), [{ model_limits: "" }]);

  // Apply: the confirmation counts the plan, the body is the plan id alone.
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  assert.match(await page.textContent("#confirm-text"), /70 of 70 tokens will change/);
  const applyLabel = await page.textContent("#apply");
  await Promise.all([page.waitForRequest((r) => isBatch(r, false)), page.click("#confirm-apply")]);
  await page.waitForFunction((text) => document.querySelector("#apply").textContent === text, applyLabel);
  const applied = calls.at(-1);
  assert.deepEqual(applied.body, { plan_id: planId }, "exactly the previewed plan, nothing else");
  assert.equal(applied.headers["idempotency-key"], undefined, "a plan is its own key");
  assert.match(await page.textContent("#result-summary"), /70/);
  assert.match(await page.textContent("#result-plan"), /previewed plan/);

  // Read back through the API: every matching token has the models, no other token does.
  const listed = await api(env.server, env.session, "GET", "/api/token/?name=planbulk%25&size=100");
  assert.equal(listed.envelope.data.total, 70);
  assert.ok(listed.envelope.data.items.every((token) => token.model_limits === "gpt-4.1-mini"));
  assert.equal(count(`model_limits = 'gpt-4.1-mini'`), 70);

  // Back to picking ids: the bar says so and the next preview sends ids again.
  await page.click("#pick-ids");
  assert.match(await page.textContent("#selection-count"), /0 tokens selected/);
  assert.equal(await page.getAttribute("#selection-count", "data-mode"), "ids");
  assert.ok(await page.isEnabled("#token-table tbody input.select-row"));
  await page.screenshot({ path: join(ARTIFACTS, "console-plan-applied.png"), fullPage: true });
  assert.deepEqual(errors, []);
});

test("a token changed between preview and apply: the stale plan is explained, nothing written, a fresh preview applies", async () => {
  const { page, errors } = await openSignedIn(env);
  await page.check("#filter-status-2");
  await applyFilter(page);
  const disabled = count("status = 2");
  assert.equal(await shownTotal(page), disabled);
  await page.click("#select-all-matching");
  await fillModels(page, "o3-mini");
  const calls = recordBatches(page);
  const label = await page.textContent("#preview");
  await Promise.all([page.waitForRequest((r) => isBatch(r, true)), page.click("#preview")]);
  await page.waitForFunction((text) => document.querySelector("#preview").textContent === text, label);

  // Someone else changes one of the pinned tokens (a column the plan fingerprints).
  const [{ id }] = sql(env.database, "SELECT id FROM tokens WHERE status = 2 ORDER BY id LIMIT 1");
  sql(env.database, `UPDATE tokens SET "group" = 'vip' WHERE id = ${id}`);
  const before = sql(env.database, "SELECT id, model_limits FROM tokens WHERE status = 2 ORDER BY id");

  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  await Promise.all([page.waitForRequest((r) => isBatch(r, false)), page.click("#confirm-apply")]);
  await page.waitForSelector('#result-summary[data-code="plan.stale"]');
  const text = await page.textContent("#result-summary");
  assert.match(text, /changed, deleted or moved since the preview/);
  assert.match(text, /nothing was written/i);
  assert.deepEqual(sql(env.database, "SELECT id, model_limits FROM tokens WHERE status = 2 ORDER BY id"), before);
  assert.ok(await page.isDisabled("#apply"), "a stale plan cannot be applied again");
  assert.match(await page.textContent("#apply-hint"), /preview again/i);

  // A fresh preview: a new plan over the tokens as they are now, which applies.
  await Promise.all([page.waitForRequest((r) => isBatch(r, true)), page.click("#preview-again")]);
  await page.waitForSelector("#result-plan:not([hidden])");
  assert.match(await page.textContent("#result-plan"), new RegExp(`${disabled} tokens pinned`));
  const dryRuns = calls.filter((call) => call.url.searchParams.get("validate_only") === "true");
  assert.equal(dryRuns.length, 2);
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  const applyLabel = await page.textContent("#apply");
  await Promise.all([page.waitForRequest((r) => isBatch(r, false)), page.click("#confirm-apply")]);
  await page.waitForFunction((t) => document.querySelector("#apply").textContent === t, applyLabel);
  const applies = calls.filter((call) => call.body?.plan_id);
  assert.equal(applies.length, 2);
  assert.notEqual(applies[0].body.plan_id, applies[1].body.plan_id, "the fresh preview's plan");
  assert.equal(await page.getAttribute("#result-summary", "class"), "success");
  assert.equal(count("status = 2 AND model_limits = 'o3-mini'"), disabled);
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
});

test("the table: status badges with their names, quota in USD with units on hover, relative expiry, no wrapped cells at 1366 px", async () => {
  const { page, errors } = await openSignedIn(env, { viewport: { width: 1366, height: 900 } });
  // "-0": the demo's 840-848 (and the bulk "planbulk-0NN" tokens); 100 a page shows them all.
  await page.fill("#filter-name", "-0");
  await page.selectOption("#page-size", "100");
  await applyFilter(page);
  await page.waitForSelector('#token-table tbody tr[data-id="848"]');

  // Each status has its own badge class and its name as text.
  const badge = async (id) =>
    page.$eval(`#token-table tr[data-id="${id}"] .badge`, (el) => ({ text: el.textContent, cls: el.className }));
  const demo = sql(env.database, "SELECT id, status, expired_time, remain_quota, used_quota FROM tokens WHERE id IN (841, 847, 848) ORDER BY id");
  const byId = Object.fromEntries(demo.map((row) => [row.id, row]));
  assert.deepEqual(await badge(841), { text: "Enabled", cls: "badge status-1" });
  assert.deepEqual(await badge(847), { text: "Disabled", cls: "badge status-2" });
  assert.deepEqual(await badge(848), { text: "Expired", cls: "badge status-3" });
  const look = (id) =>
    page.$eval(`#token-table tr[data-id="${id}"] .badge`, (el) => getComputedStyle(el).backgroundColor);
  const looks = new Set([await look(841), await look(847), await look(848)]);
  assert.equal(looks.size, 3, "each status its own look");

  // Expiry: the date and how far it is, in whole days.
  const now = Date.now() / 1000;
  const expiry = (id) => page.textContent(`#token-table tr[data-id="${id}"] td:nth-child(9)`);
  const inDays = Math.floor((byId[841].expired_time - now) / 86400);
  assert.match(await expiry(841), new RegExp(`expires in ${inDays} days`));
  const agoDays = Math.floor((now - byId[848].expired_time) / 86400);
  assert.match(await expiry(848), new RegExp(`expired ${agoDays} days ago`));

  // Remaining and used quota in USD with 2 decimals; the exact units in the title.
  const remaining = page.locator('#token-table tr[data-id="841"] td:nth-child(7)');
  assert.equal(await remaining.textContent(), `$${(byId[841].remain_quota / 500000).toFixed(2)}`);
  assert.match(await remaining.getAttribute("title"), /quota units/);
  const used = page.locator('#token-table tr[data-id="841"] td:nth-child(8)');
  assert.equal(await used.textContent(), `$${(byId[841].used_quota / 500000).toFixed(2)}`);

  // Groups and models as tags.
  assert.equal(await page.locator('#token-table tr[data-id="842"] td:nth-child(6) .tag').count(), 2, "default,vip");

  // One line per row: every row as tall as the shortest, the table no wider than its frame.
  const heights = await page.$$eval("#token-table tbody tr[data-id]", (rows) => rows.map((row) => row.getBoundingClientRect().height));
  assert.ok(Math.max(...heights) - Math.min(...heights) < 2, `row heights ${Math.min(...heights)}..${Math.max(...heights)}`);
  const frame = await page.$eval(".table-wrap", (el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
  assert.ok(frame.scroll <= frame.client, `table ${frame.scroll} px in a ${frame.client} px frame`);
  await page.screenshot({ path: join(ARTIFACTS, "console-table-1366.png"), fullPage: true });

  // Exhausted tokens: a fourth look, still with its name.
  await page.fill("#filter-name", "");
  await page.check("#filter-status-4");
  await applyFilter(page);
  const exhausted = sql(env.database, "SELECT id FROM tokens WHERE status = 4 ORDER BY id DESC LIMIT 1")[0].id;
  await page.waitForSelector(`#token-table tr[data-id="${exhausted}"]`);
  assert.deepEqual(await badge(exhausted), { text: "Exhausted", cls: "badge status-4" });
  assert.ok(!looks.has(await look(exhausted)), "exhausted looks unlike the other three");
  assert.deepEqual(errors, []);
});

test("an apply by plan whose answer is lost: Apply again sends the same plan_id and gets the first result, nothing written twice", async () => {
  const { page, context, errors } = await openPage(env);
  await page.selectOption("#lang", "en");
  await signIn(page, env.session);
  await page.fill("#filter-name", "research-2");
  await applyFilter(page);
  const ids = sql(env.database, "SELECT id FROM tokens WHERE name LIKE '%research-2%' ORDER BY id").map((row) => row.id);
  assert.equal(ids.length, 2);
  assert.equal(await shownTotal(page), 2);
  await page.click("#select-all-matching");

  // Every apply reaches the real server; the first one's answer is lost on the way back.
  const applies = [];
  await context.route("**/api/token/batch?**", async (route) => {
    const request = route.request();
    const response = await route.fetch();
    const envelope = await response.json();
    const dryRun = new URL(request.url()).searchParams.get("validate_only") === "true";
    if (!dryRun) applies.push({ body: request.postData(), envelope, replayedHeader: response.headers()["idempotent-replayed"] });
    if (!dryRun && applies.length === 1) await route.abort("connectionreset");
    else await route.fulfill({ response, json: envelope });
  });
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "2345678");
  const label = await page.textContent("#preview");
  await Promise.all([page.waitForRequest((r) => isBatch(r, true)), page.click("#preview")]);
  await page.waitForFunction((text) => document.querySelector("#preview").textContent === text, label);

  const quotas = () => sql(env.database, `SELECT remain_quota FROM tokens WHERE id IN (${ids}) ORDER BY id`).map((row) => row.remain_quota);
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  await page.click("#confirm-apply");
  await page.waitForFunction(() => document.querySelector("#result-summary").className === "error");
  assert.match(await page.textContent("#result-summary"), /the batch will not be applied twice/);
  assert.equal(applies.length, 1);
  assert.equal(applies[0].envelope.success, true, "the lost answer was a success");
  assert.deepEqual(quotas(), [2345678, 2345678], "the first attempt was applied");

  // Meanwhile new-api's traffic spends quota (not a column the plan pins); the operator clicks Apply again.
  sql(env.database, `UPDATE tokens SET remain_quota = 777 WHERE id = ${ids[0]}`);
  assert.ok(await page.isEnabled("#apply"), "the preview is kept after an unknown outcome");
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  await page.click("#confirm-apply");
  await page.waitForFunction(() => document.querySelector("#result-summary").className === "success");
  assert.equal(applies.length, 2);
  assert.equal(applies[1].body, applies[0].body, "the same plan_id again");
  assert.match(JSON.parse(applies[1].body).plan_id, /^plan_/);
  assert.equal(applies[1].envelope.replayed, true);
  assert.equal(applies[1].replayedHeader, "true");
  assert.ok(await page.isVisible("#result-replayed"));
  assert.deepEqual(quotas(), [777, 2345678], "nothing written the second time");
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
});

test("a plan past its expiry is explained as expired, nothing written, and a fresh preview applies", async () => {
  const { page, errors } = await openSignedIn(env);
  await page.fill("#filter-name", "support-1");
  await applyFilter(page);
  const where = "name LIKE '%support-1%'";
  const selected = count(where);
  assert.ok(selected > 0);
  await page.click("#select-all-matching");
  await fillModels(page, "gpt-4.1-nano");
  const [response] = await Promise.all([page.waitForResponse((r) => isBatch(r.request(), true)), page.click("#preview")]);
  const planId = (await response.json()).plan.plan_id;
  await page.waitForSelector("#result-plan:not([hidden])");

  // The plan's expiry moved into the past, as --plan-ttl-secs would have it an hour later.
  const rows = sql(env.database, `SELECT COUNT(*) AS n FROM tokenbatch_requests WHERE request_id = '${planId}'`);
  assert.equal(rows[0].n, 1, "the plan's row");
  sql(env.database, `UPDATE tokenbatch_requests SET expires_time = 1 WHERE request_id = '${planId}'`);

  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  await page.click("#confirm-apply");
  await page.waitForSelector('#result-summary[data-code="plan.expired"]');
  assert.match(await page.textContent("#result-summary"), /The preview plan has expired/);
  assert.equal(count(`${where} AND model_limits = 'gpt-4.1-nano'`), 0, "nothing written");
  assert.ok(await page.isDisabled("#apply"));

  await Promise.all([page.waitForResponse((r) => isBatch(r.request(), true)), page.click("#preview-again")]);
  await page.waitForSelector("#result-plan:not([hidden])");
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  // The preview's summary is already "success": wait for the apply's own answer, not the class.
  await Promise.all([page.waitForResponse((r) => isBatch(r.request(), false)), page.click("#confirm-apply")]);
  await page.waitForFunction(() => document.querySelector("#result-summary").className === "success");
  assert.equal(count(`${where} AND model_limits = 'gpt-4.1-nano'`), selected);
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
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
