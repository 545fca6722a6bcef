// The console on big accounts, timed end to end in real headless Chromium against the real tokenbatch binary,
// the optimized build an operator runs (scripts/test-web.sh builds it), on SQLite: 3 000 and 100 000 tokens of the
// demo user in group "scale", seeded with one sqlite3 INSERT … SELECT over a recursive CTE before the server
// starts. Each step is what a person does and waits for: the filter applied with "select all matching", the
// preview (dry run, first page of its plan, and its per-field summary over every token, the dry run's own
// counts), the apply (by plan, confirmed, table reloaded), the revert (Undo: its dry run up to the confirmation,
// then the revert). Each step is timed from the click to its answer on screen and printed as a table; every
// total the page shows or the server answers is checked against SQL counts. Every step of both under 2 s (issue
// 17). Measured here (2026-12-07 17:40, load 1.4): 3 000 tokens 0.09–0.23 s a step; 100 000 tokens: select all
// matching 0.22 s, preview 0.64 s, apply 0.55 s, the revert's dry run to its confirmation 1.37 s, the revert
// 1.02 s.

import { test } from "node:test";
import assert from "node:assert/strict";
import { openPage, setUp, signIn, sql, isBatch, editField, shownTotal } from "./harness.mjs";

/** The bound on each step, for both accounts. */
const BOUND_MS = 2_000;


const SCALE_FIRST_ID = 100_001;

/** `count` tokens of the demo user named "scale-000001"…, group "scale", 1 000 000 quota, never expiring. */
function seedScale(database, userId, count) {
  const now = Math.floor(Date.now() / 1000);
  sql(
    database,
    `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${count - 1})
     INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     SELECT ${SCALE_FIRST_ID} + i, ${userId}, 'scalekey' || printf('%08d', i), 1, 'scale-' || printf('%06d', i + 1),
       ${now} - i, 0, -1, 1000000, 0, 0, '', '', 0, 'scale' FROM seq;`,
  );
}

/** Milliseconds `action` takes. */
async function timed(action) {
  const start = performance.now();
  const value = await action();
  return { ms: Math.round(performance.now() - start), value };
}

/** The text of `selector` once `test(text)` holds. */
async function waitText(page, selector, test, timeout) {
  await page.waitForFunction(
    ([sel, source]) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ""),
    [selector, test.source],
    { timeout },
  );
  return page.textContent(selector);
}

async function run(count, bound) {
  const env = await setUp({ build: "release", seed: (database, session) => seedScale(database, session.userId, count) });
  const sum = (where) => sql(env.database, `SELECT COUNT(*) AS n, SUM(remain_quota) AS quota FROM tokens WHERE deleted_at IS NULL AND ${where}`)[0];
  const scaled = `"group" = 'scale'`;
  try {
    assert.equal(sum(scaled).n, count, "seeded");
    const { page, errors } = await openPage(env, { viewport: { width: 1366, height: 900 } });
    page.setDefaultTimeout(bound * 2);
    await page.selectOption("#lang", "en");
    await signIn(page, env.session);
    await editField(page, "remain_quota");
    await page.selectOption("#mode-remain_quota", "add");
    await page.selectOption("#unit-remain_quota", "units");
    await page.fill("#value-remain_quota", "1000");
    /** @type {[string, number][]} */
    const steps = [];

    // Select all matching: the filter applied (its total from the server), then every matching token selected.
    await page.fill("#filter-group", "scale");
    const select = await timed(async () => {
      await page.click("#filter-apply");
      await waitText(page, "#page-info", /^Filtered: .* tokens match$/, bound);
      await page.waitForSelector("#tokens-busy", { state: "hidden" });
      await page.click("#select-all-matching");
      return page.textContent("#selection-count");
    });
    steps.push(["select all matching", select.ms]);
    assert.equal(await shownTotal(page), count, "the list's total is the SQL count");
    assert.equal(select.value.replace(/\D/g, ""), String(count), select.value);

    // Preview: the dry run of the filter, its plan's first page.
    const dry = await timed(async () => {
      const [response] = await Promise.all([page.waitForResponse((r) => isBatch(r.request(), true), { timeout: bound }), page.click("#preview")]);
      const answer = await response.json();
      await page.waitForSelector("#result-dataset tr[data-id]");
      await page.waitForFunction(() => !document.getElementById("result").hasAttribute("aria-busy"));
      return answer;
    });
    steps.push(["preview", dry.ms]);
    assert.equal(dry.value.plan.count, count, "the plan pins every matching token");
    assert.equal(dry.value.plan.changed, count);
    assert.equal(dry.value.data, sum(scaled).n);

    // The per-field summary over every token, from the dry run's own counts (no page of the plan read).
    const lines = await page.locator("#summary-fields li").allTextContents();
    assert.deepEqual(lines.map((line) => line.replace(/\D/g, "")), [String(sum(scaled).n)], lines.join());
    assert.equal(await page.getAttribute("#summary-coverage", "data-complete"), "true");

    // Apply: confirmed, by the plan; done when the answer is shown and the table read again.
    await page.click("#apply");
    await page.waitForSelector("#confirm-dialog[open]");
    const applyLabel = await page.textContent("#apply");
    const apply = await timed(async () => {
      const [response] = await Promise.all([page.waitForResponse((r) => isBatch(r.request(), false), { timeout: bound }), page.click("#confirm-apply")]);
      const answer = await response.json();
      await page.waitForFunction((label) => document.querySelector("#apply").textContent === label, applyLabel, { timeout: bound });
      await page.waitForSelector("#tokens-busy", { state: "hidden" });
      return answer;
    });
    steps.push(["apply", apply.ms]);
    assert.equal(apply.value.success, true, JSON.stringify(apply.value).slice(0, 300));
    assert.equal(apply.value.data, count);
    const applied = sum(`${scaled} AND remain_quota = 1001000`);
    assert.equal(applied.n, count, "every token got the 1 000 units, by SQL");

    // Revert (Undo): its dry run up to the confirmation, then the revert itself.
    const revertPreview = await timed(async () => {
      await page.click("#undo");
      await page.waitForSelector("#revert-dialog[open]", { timeout: bound });
      return page.textContent("#revert-text");
    });
    steps.push(["revert: dry run to confirmation", revertPreview.ms]);
    assert.match(revertPreview.value.replace(/[\s,]/g, ""), new RegExp(`restore${count}tokens`));
    const revert = await timed(async () => {
      const [response] = await Promise.all([
        page.waitForResponse((r) => /\/revert$/.test(new URL(r.url()).pathname) && r.request().postData()?.includes('"dry_run":false'), { timeout: bound }),
        page.click("#revert-confirm"),
      ]);
      const answer = await response.json();
      await page.waitForSelector('#undo-outcome p.revert-summary[data-code="revert.done"]', { timeout: bound });
      return answer;
    });
    steps.push(["revert", revert.ms]);
    assert.equal(revert.value.data, count);
    assert.equal(revert.value.results, undefined, "no per-token answer asked for a revert of over 200 tokens");
    assert.equal(
      await page.textContent("#undo-outcome p.restored-more"),
      `The ${count.toLocaleString("en")} tokens restored are listed page by page in the History: open the revert's change set.`,
    );
    assert.equal(sum(`${scaled} AND remain_quota = 1000000`).n, count, "every token restored, by SQL");

    console.log(`\ntimings for ${count.toLocaleString("en")} tokens (release build, SQLite, headless Chromium):`);
    console.table(steps.map(([step, ms]) => ({ step, ms, bound: bound })));
    for (const [step, ms] of steps) assert.ok(ms < bound, `${step}: ${ms} ms, over ${bound} ms`);
    assert.deepEqual(errors, []);
    await page.context().close();
  } finally {
    await env.tearDown();
  }
}

test("3 000 tokens: select all matching, preview, apply and revert each under 2 s, totals as SQL counts them", async () => {
  await run(3_000, BOUND_MS);
});

test("100 000 tokens: select all matching, preview, apply and revert each under 2 s, totals as SQL counts them", async () => {
  await run(100_000, BOUND_MS);
});
