// Sortable columns and root's scope on the page, in real headless Chromium against the real tokenbatch binary.
// Sorting: the header's buttons send the list and search routes' `sort` and `order` (one sort at a time, back
// to page 1, with the filter and search kept), aria-sort on the sorted column, keyboard operable, the order
// checked against SQL (never-expiring after every date). Root (new-api's role 100, from GET /api/user/self): the
// owner filter (one user's tokens or every user's) sending `user_id`, the Owner column, "select all matching"
// sending `filter.user_id`, an ids batch across users sending `"scope": "all_users"`, applied and read back
// with sqlite3; a common user sees none of it and never sends either.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, REPO, binaryPath, openPage, setUp, signIn, sql, isBatch, editField, preview, applyConfirmed, searchByName, seriousViolations, openSignedIn } from "./harness.mjs";

let env;
/** new-api's root user, owning one token of its own (id 5). */
let root;

before(async () => {
  env = await setUp();
  const output = execFileSync(binaryPath(), ["user", "add", "--sqlite", env.database, "--username", "rootop", "--role", "root"], {
    encoding: "utf8",
    env: { ...process.env, RUST_LOG: "warn" },
  });
  mkdirSync(join(REPO, "target", "web-screenshots"), { recursive: true });
  root = { userId: output.match(/user id:\s+(\d+)/)[1], accessToken: output.match(/access token:\s+(\S+)/)[1] };
  // One token of root's own (id 5, below the demo's 840-889), so root's own list is not empty.
  const now = Math.floor(Date.now() / 1000);
  sql(
    env.database,
    `INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     VALUES (5, ${root.userId}, 'rootownkey5abcdefgh', 1, 'root-own', ${now}, 0, -1, 0, 0, 0, '', '', 0, 'default')`,
  );
});

after(async () => {
  await env?.tearDown();
});

/** The next list or search call's URL and its answer, while `action` runs. */
async function listCall(page, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => ["/api/token/", "/api/token/search"].includes(new URL(r.url()).pathname) && r.request().method() === "GET"),
    action(),
  ]);
  const answer = await response.json();
  await page.waitForSelector("#tokens-busy", { state: "hidden" });
  return { url: new URL(response.url()), items: answer.data.items, total: answer.data.total };
}

const ariaSorts = (page) =>
  page.$$eval("#token-table thead th[aria-sort]", (cells) => cells.map((cell) => [cell.querySelector("button")?.dataset.sort, cell.getAttribute("aria-sort")]));

/** The demo user's values of `column` in SQL's order for the server's contract (ties by id). */
const sqlOrder = (column, order, where = "1") =>
  sql(env.database, `SELECT ${column} AS v FROM tokens WHERE deleted_at IS NULL AND user_id = ${env.session.userId} AND ${where}
    ORDER BY ${column === "expired_time" ? "CASE WHEN expired_time = -1 THEN 1 ELSE 0 END, " : ""}${column} ${order}, id`).map((row) => row.v);

test("column headers sort the list on the server: aria-sort, keyboard, one sort at a time, page 1, with the filter and search kept", async () => {
  const { page, errors } = await openSignedIn(env, { viewport: { width: 1366, height: 900 } });
  assert.deepEqual(await ariaSorts(page), [["id", "descending"]], "the server's order, said on the ID column");
  await page.selectOption("#page-size", "100");
  await page.waitForSelector("#tokens-busy", { state: "hidden" });

  // Remaining, ascending: sent as sort/order, the quotas in SQL's order.
  let call = await listCall(page, () => page.click('#token-table thead button[data-sort="remain_quota"]'));
  assert.equal(call.url.searchParams.get("sort"), "remain_quota");
  assert.equal(call.url.searchParams.get("order"), "asc");
  assert.equal(call.url.searchParams.get("p"), "1");
  assert.deepEqual(call.items.map((token) => token.remain_quota), sqlOrder("remain_quota", "ASC"));
  assert.deepEqual(await ariaSorts(page), [["remain_quota", "ascending"]], "one sort at a time");

  // The same button by keyboard reverses it; focus stays on it.
  call = await listCall(page, () => page.keyboard.press("Enter"));
  assert.equal(call.url.searchParams.get("order"), "desc");
  assert.equal(await page.evaluate(() => /** @type {HTMLElement} */ (document.activeElement).dataset.sort), "remain_quota");
  assert.deepEqual(await ariaSorts(page), [["remain_quota", "descending"]]);
  assert.deepEqual(call.items.map((token) => token.remain_quota), sqlOrder("remain_quota", "DESC"));

  // Page 2, then another column: back to page 1. Expiry ascending: never-expiring after every date.
  await page.selectOption("#page-size", "20");
  await page.waitForSelector("#tokens-busy", { state: "hidden" });
  await listCall(page, () => page.click("#page-next"));
  call = await listCall(page, () => page.click('#token-table thead button[data-sort="expired_time"]'));
  assert.equal(call.url.searchParams.get("p"), "1");
  assert.deepEqual(call.items.map((token) => token.expired_time), sqlOrder("expired_time", "ASC").slice(0, 20));
  await page.selectOption("#page-size", "100");
  await page.waitForSelector("#tokens-busy", { state: "hidden" });
  const expiries = (await listCall(page, () => page.click("#search-clear"))).items.map((token) => token.expired_time);
  const firstNever = expiries.indexOf(-1);
  assert.ok(firstNever > 0 && expiries.slice(firstNever).every((value) => value === -1), "never after every date");

  // With a filter: both sent; select all matching still selects by the filter (no sort in the batch).
  await page.check("#filter-status-1");
  call = await listCall(page, () => page.click("#filter-apply"));
  assert.equal(call.url.searchParams.get("status"), "1");
  assert.equal(call.url.searchParams.get("sort"), "expired_time");
  assert.equal(call.total, sql(env.database, `SELECT COUNT(*) AS n FROM tokens WHERE status = 1 AND user_id = ${env.session.userId}`)[0].n);
  call = await listCall(page, () => page.click('#token-table thead button[data-sort="name"]'));
  assert.deepEqual(call.items.map((token) => token.name), sqlOrder("name", "ASC", "status = 1"));
  await page.click("#select-all-matching");
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "4242");
  const [dryRun] = await Promise.all([page.waitForRequest((r) => isBatch(r, true)), preview(page)]);
  assert.deepEqual(JSON.parse(dryRun.postData()).filter, { status: [1] });

  // A search sorts too.
  await page.fill("#search-keyword", "web%");
  call = await listCall(page, () => page.click("#search-submit"));
  assert.equal(call.url.pathname, "/api/token/search");
  assert.equal(call.url.searchParams.get("sort"), "name");
  assert.deepEqual(call.items.map((token) => token.name), sqlOrder("name", "ASC", "status = 1 AND name LIKE 'web%'"));
  await page.screenshot({ path: join(ARTIFACTS, "sort-by-name.png") });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("root: the owner filter (every user, one user) with the Owner column, select all matching sending filter.user_id, an ids batch across users with scope all_users", async () => {
  const { page, errors } = await openPage(env, { viewport: { width: 1366, height: 900 } });
  await page.selectOption("#lang", "en");
  await signIn(page, root);
  assert.ok(await page.isVisible("#filter-owner"));
  assert.equal(await page.locator('#token-table thead th:has-text("Owner")').count(), 0, "root's own list names no owner");

  // Every user's tokens: user_id=*, the Owner column, the SQL count.
  await page.selectOption("#filter-owner", "*");
  let call = await listCall(page, () => page.click("#filter-apply"));
  assert.equal(call.url.searchParams.get("user_id"), "*");
  assert.equal(call.total, sql(env.database, "SELECT COUNT(*) AS n FROM tokens WHERE deleted_at IS NULL")[0].n);
  assert.equal(await page.textContent("#token-table thead th:nth-child(4)"), "Owner");
  assert.equal(await page.textContent("#token-table tbody tr[data-id] td:nth-child(4)"), "demo");

  // Two demo tokens picked by id: the batch says scope all_users; applied, read back with sqlite3.
  await searchByName(page, "research%");
  const boxes = page.locator("#token-table tbody input.select-row");
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  const ids = (await page.$$eval("#token-table tbody tr.selected", (rows) => rows.map((row) => Number(row.dataset.id)))).sort((a, b) => a - b);
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "3131");
  const [dryRun] = await Promise.all([page.waitForRequest((r) => isBatch(r, true)), preview(page)]);
  const body = JSON.parse(dryRun.postData());
  assert.deepEqual(body.ids, ids);
  assert.equal(body.scope, "all_users");
  await applyConfirmed(page);
  assert.deepEqual(sql(env.database, `SELECT id FROM tokens WHERE remain_quota = 3131 ORDER BY id`).map((row) => row.id), ids);

  // One user's tokens matching a name, all selected by the filter: filter.user_id is the user's id.
  await page.click("#search-clear");
  await page.selectOption("#filter-owner", "user");
  await page.fill("#filter-owner-id", env.session.userId);
  await page.fill("#filter-name", "support");
  call = await listCall(page, () => page.click("#filter-apply"));
  assert.equal(call.url.searchParams.get("user_id"), env.session.userId);
  const supportCount = sql(env.database, `SELECT COUNT(*) AS n FROM tokens WHERE name LIKE '%support%' AND user_id = ${env.session.userId}`)[0].n;
  assert.equal(call.total, supportCount);
  await page.click("#select-all-matching");
  await page.fill("#value-remain_quota", "2929");
  const [byFilter] = await Promise.all([page.waitForRequest((r) => isBatch(r, true)), preview(page)]);
  assert.deepEqual(JSON.parse(byFilter.postData()).filter, { name: "%support%", user_id: Number(env.session.userId) });
  await applyConfirmed(page);
  assert.equal(sql(env.database, "SELECT COUNT(*) AS n FROM tokens WHERE remain_quota = 2929")[0].n, supportCount);
  // Root's view audited with axe-core at both sizes, as a11y.test.mjs audits every other screen state: the
  // filter panel collapsed, so the table with its Owner column is in the screenshots.
  await page.click("#edit-close");
  await page.click("#filter-toggle");
  const found = [];
  for (const viewport of [{ width: 1366, height: 900 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(REPO, "target", "web-screenshots", `root-view-${viewport.width}x${viewport.height}.png`) });
    for (const v of await seriousViolations(page)) found.push(`${viewport.width}: ${v.impact} ${v.id} at ${v.targets.join(", ")}`);
  }
  assert.deepEqual(found, [], "serious or critical accessibility violations in root's view");
  await page.screenshot({ path: join(ARTIFACTS, "root-owner-column.png") });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("a common user sees no owner filter nor Owner column, and never sends user_id or scope", async () => {
  const { page, errors } = await openPage(env);
  await page.selectOption("#lang", "en");
  const requests = [];
  page.on("request", (r) => requests.push(r));
  await signIn(page, env.session);
  assert.ok(await page.isHidden("#filter-owner-row"));
  assert.equal(await page.locator('#token-table thead th:has-text("Owner")').count(), 0);
  await searchByName(page, "research-0%");
  await page.locator("#token-table tbody input.select-row").first().check();
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "1234");
  await preview(page);
  for (const request of requests) {
    assert.equal(new URL(request.url()).searchParams.has("user_id"), false, request.url());
    if (isBatch(request, true)) assert.equal("scope" in JSON.parse(request.postData()), false);
  }
  assert.deepEqual(errors, []);
  await page.context().close();
});
