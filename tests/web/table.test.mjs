// The console's token table at 1366×900 in real headless Chromium against the real tokenbatch binary: status badges
// with their names and each its own look, quota in USD with the units on hover, relative expiry, groups as tags,
// one line per row, the table no wider than its frame.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, setUp, sql, openSignedIn, applyFilter, seedConsole } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
  seedConsole(env);
});

after(async () => {
  await env?.tearDown();
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
