// Reviewing a batch before and while it runs, in real headless Chromium against the real tokenbatch binary: the
// preview's per-field summary (over the tokens loaded, said so, then over every token of the plan with Count
// all) checked against SQL counts, its changed / unchanged filter, the summary in Apply's confirmation; the
// progress line of a call past half a second (a preview cancelled, an apply that says it cannot be, select all
// results cancelled and let run); and the
// collapsible filter panel (its active count, the table's first rows above the fold at 1366×900, the state kept
// across a sign-out). Slow calls are made slow by holding the request in the browser, never by a fake server.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, setUp, signIn, sql, isBatch, editField, preview, applyConfirmed, selectedByName, openSignedIn, countTokens } from "./harness.mjs";

let env;

/** 120 tokens "sumbulk-001"…: ids 3001…3120, every fourth disabled, quota 1 000 000 each. */
const BULK = { first: 3001, count: 120 };

before(async () => {
  env = await setUp();
  const now = Math.floor(Date.now() / 1000);
  sql(
    env.database,
    `WITH RECURSIVE seq(i) AS (SELECT ${BULK.first} UNION ALL SELECT i + 1 FROM seq WHERE i < ${BULK.first + BULK.count - 1})
     INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     SELECT i, ${env.session.userId}, 'sumbulkkey' || i, CASE WHEN i % 4 = 0 THEN 2 ELSE 1 END,
       'sumbulk-' || printf('%03d', i - ${BULK.first - 1}), ${now}, 0, -1, 1000000, 0, 0, '', '', 0, 'default' FROM seq;`,
  );
});

after(async () => {
  await env?.tearDown();
});

const count = (where) => countTokens(env.database, where);
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Holds every batch call (a preview when `dryRun`, an apply otherwise) `ms` in the browser before sending it. */
async function slowBatches(page, dryRun, ms) {
  await page.route(
    (url) => url.pathname === "/api/token/batch",
    async (route) => {
      if (isBatch(route.request(), dryRun)) await sleep(ms);
      // A call the page aborted meanwhile (Cancel) has nothing left to continue.
      await route.continue().catch(() => {});
    },
  );
}

/** Records in the page when the progress line first appears, in ms after `mark()` (null: it never did). */
async function watchProgress(page) {
  await page.evaluate(() => {
    const box = document.getElementById("work-progress");
    const watch = { start: performance.now(), shownAt: null };
    /** @type {any} */ (window).progressWatch = watch;
    new MutationObserver(() => {
      if (box.classList.contains("active") && watch.shownAt === null) watch.shownAt = performance.now() - watch.start;
    }).observe(box, { attributes: true });
  });
  return {
    mark: () => page.evaluate(() => Object.assign(/** @type {any} */ (window).progressWatch, { start: performance.now(), shownAt: null })),
    shownAt: () => page.evaluate(() => /** @type {any} */ (window).progressWatch.shownAt),
  };
}

/** The filter panel narrowed to names containing `name`, every matching token selected by the filter. */
async function selectMatching(page, name) {
  await page.fill("#filter-name", name);
  await page.click("#filter-apply");
  await page.waitForFunction((text) => document.querySelector("#select-all-matching").textContent.includes(text), String(BULK.count));
  await page.click("#select-all-matching");
}

const summaryLines = (page) => page.locator("#summary-fields li").allTextContents();

test("a preview's per-field summary: over every token though a page of them is loaded, as SQL counts them, without reading the plan's pages; the changed / unchanged filter; the summary in the confirmation", async () => {
  const { page, errors } = await openSignedIn(env, { viewport: { width: 1366, height: 900 } });
  await selectMatching(page, "sumbulk");
  await editField(page, "status");
  await page.selectOption("#value-status", "disabled");
  await editField(page, "remain_quota");
  await page.selectOption("#mode-remain_quota", "add");
  await page.selectOption("#unit-remain_quota", "units");
  await page.fill("#value-remain_quota", "500");
  /** @type {string[]} */
  const planReads = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname.startsWith("/api/token/batch/plans/")) planReads.push(r.url());
  });
  await preview(page);

  // The first page of the plan is loaded (50 of 120); the summary is the server's, over all 120, as SQL counts.
  const loaded = await page.locator("#result-dataset tr[data-id]").count();
  assert.equal(loaded, 50);
  const enabled = count("status = 1 AND name LIKE 'sumbulk-%'");
  assert.equal(enabled, 90);
  assert.deepEqual(await summaryLines(page), ["Status: 90 become disabled", "Remaining quota: 120 tokens change"]);
  assert.equal(await page.textContent("#summary-coverage"), "The summary covers all 120 tokens.");
  assert.equal(await page.getAttribute("#summary-coverage", "data-complete"), "true");
  assert.deepEqual(planReads, [], "no page of the plan read for the summary");

  // Only changed / only unchanged: rows the other way are hidden, the count says how many are shown.
  await page.check('#result-show input[value="unchanged"]');
  assert.equal(await page.locator('#result-dataset tr[data-id]:visible').count(), 0, "every token changes (quota)");
  assert.equal(await page.textContent("#result-show-count"), "Showing 0 of the 50 tokens loaded.");
  await page.check('#result-show input[value="changed"]');
  assert.equal(await page.locator('#result-dataset tr[data-id]:visible').count(), 50);
  await page.check('#result-show input[value="all"]');

  // In Chinese, the same counts in the form's words.
  await page.selectOption("#lang", "zh-CN");
  const chinese = await summaryLines(page);
  assert.equal(chinese[0], "状态：90 个变为已禁用");
  assert.match(chinese[1], /^[^A-Za-z_]+：120 个令牌会修改$/, chinese[1]);
  await page.selectOption("#lang", "en");

  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  assert.match(await page.textContent("#confirm-text"), /By field: Status: 90 become disabled; Remaining quota: 120 tokens change \(all tokens counted\)/);
  await page.screenshot({ path: join(ARTIFACTS, "review-confirm-summary.png") });
  await page.click("#confirm-cancel");
  assert.equal(count("status = 2 AND name LIKE 'sumbulk-%'"), 30, "nothing written");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("a preview past half a second shows its progress (status, elapsed time, Cancel); Cancel aborts it; a quick one never shows it; an apply says it cannot be cancelled", async () => {
  const { page, errors } = await selectedByName(env, "research-0%");
  const progress = await watchProgress(page);
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "7000");

  // A quick preview: no progress line at all.
  await progress.mark();
  await preview(page);
  assert.equal(await progress.shownAt(), null, "an answer within half a second never flashes the line");

  // A slow preview: the line after 0.5 s, in a status region, the result region busy, Cancel offered.
  await slowBatches(page, true, 4000);
  await page.fill("#value-remain_quota", "7001");
  await progress.mark();
  await page.click("#preview");
  await page.waitForSelector("#work-progress.active");
  const shownAt = await progress.shownAt();
  assert.ok(shownAt >= 480 && shownAt < 2000, `shown after ${shownAt} ms`);
  assert.equal(await page.getAttribute("#work-progress-status", "role"), "status");
  assert.equal(await page.textContent("#work-progress-status"), "Running the dry run…");
  assert.equal(await page.getAttribute("#result", "aria-busy"), "true");
  await page.waitForFunction(() => /^[1-9]\d* s elapsed$/.test(document.getElementById("work-progress-elapsed").textContent));
  assert.ok(await page.isVisible("#work-progress-cancel"));
  assert.ok(await page.isHidden("#work-progress-note"));
  await page.screenshot({ path: join(ARTIFACTS, "review-progress-preview.png") });
  await page.click("#work-progress-cancel");
  await page.waitForFunction(() => document.getElementById("result-summary").textContent === "Dry run cancelled; nothing was written.");
  assert.ok(await page.isHidden("#work-progress-elapsed"));
  assert.equal(await page.getAttribute("#result", "aria-busy"), null);
  assert.ok(await page.isEnabled("#preview"));

  // An apply held back: the line says it cannot be cancelled safely, and offers no Cancel.
  await page.unroute((url) => url.pathname === "/api/token/batch");
  await preview(page);
  await slowBatches(page, false, 1500);
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  const applyLabel = await page.textContent("#apply");
  await page.click("#confirm-apply");
  await page.waitForSelector("#work-progress.active");
  assert.equal(await page.textContent("#work-progress-status"), "Applying the changes…");
  assert.ok(await page.isHidden("#work-progress-cancel"));
  assert.match(await page.textContent("#work-progress-note"), /cannot be cancelled safely/);
  await page.waitForFunction((text) => document.querySelector("#apply").textContent === text, applyLabel);
  assert.ok(await page.isHidden("#work-progress-elapsed"));
  assert.equal(count("name LIKE 'research-0%' AND remain_quota = 7001"), count("name LIKE 'research-0%'"), "applied once");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("select all results past half a second: its progress with Cancel; cancelled, the selection stays as it was; let run, every result selected", async () => {
  const { page, errors } = await openSignedIn(env);
  await page.fill("#search-keyword", "sumbulk%");
  await page.click("#search-submit");
  await page.waitForFunction(() => /120/.test(document.getElementById("select-all-results").textContent));
  const slowList = (url) => url.pathname === "/api/token/search";
  await page.route(slowList, async (route) => {
    await sleep(2500);
    await route.continue().catch(() => {});
  });
  await page.click("#select-all-results");
  await page.waitForSelector("#work-progress.active");
  assert.equal(await page.textContent("#work-progress-status"), "Selecting every result…");
  assert.equal(await page.getAttribute("#token-table", "aria-busy"), "true");
  await page.click("#work-progress-cancel");
  await page.waitForFunction(() => document.getElementById("tokens-error").textContent === "Selecting cancelled; the selection is as it was.");
  assert.equal(await page.textContent("#selection-count"), "0 tokens selected");
  assert.equal(await page.getAttribute("#token-table", "aria-busy"), null);

  await page.unroute(slowList);
  await page.click("#select-all-results");
  await page.waitForFunction(() => document.getElementById("selection-count").textContent === "120 tokens selected");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("the filter panel collapses: the table's first rows above the fold at 1366×900, the active count on the toggle, the state kept across a sign-out", async () => {
  const { page, errors } = await openSignedIn(env, { viewport: { width: 1366, height: 900 } });
  assert.equal(await page.getAttribute("#filter-toggle", "aria-expanded"), "true");
  assert.equal(await page.textContent("#filter-toggle"), "Hide filters (none active)");

  // Two conditions applied, then collapsed: the toggle names them.
  await page.check("#filter-status-1");
  await page.fill("#filter-name", "sumbulk");
  await page.click("#filter-apply");
  await page.waitForFunction(() => document.getElementById("filter-toggle").dataset.active === "2");
  await page.focus("#filter-toggle");
  await page.keyboard.press("Enter");
  assert.equal(await page.getAttribute("#filter-toggle", "aria-expanded"), "false");
  assert.ok(await page.isHidden("#filter-body"));
  assert.equal(await page.textContent("#filter-toggle"), "Show filters (2 active)");
  await page.waitForSelector("#tokens-busy", { state: "hidden" });

  // Above the fold: the first three rows of the table in the 900 px viewport, above the sticky bar.
  await page.evaluate(() => window.scrollTo(0, 0));
  const rows = page.locator("#token-table tbody tr[data-id]");
  const bar = await page.locator("#bulk-bar").boundingBox();
  for (let i = 0; i < 3; i += 1) {
    const box = await rows.nth(i).boundingBox();
    assert.ok(box && box.y + box.height <= Math.min(900, bar.y), `row ${i + 1} ends at ${box?.y + box?.height}, the bar starts at ${bar.y}`);
  }
  await page.screenshot({ path: join(ARTIFACTS, "review-filters-collapsed-1366.png") });

  // In Chinese, then signed out and in again: still collapsed, no condition left.
  await page.selectOption("#lang", "zh-CN");
  assert.equal(await page.textContent("#filter-toggle"), "显示筛选（2 个条件生效）");
  await page.selectOption("#lang", "en");
  await page.click("#sign-out");
  await signIn(page, env.session);
  assert.equal(await page.getAttribute("#filter-toggle", "aria-expanded"), "false");
  assert.equal(await page.textContent("#filter-toggle"), "Show filters (none active)");
  await page.click("#filter-toggle");
  assert.ok(await page.isVisible("#filter-name"));
  assert.deepEqual(errors, []);
  await page.context().close();
});
