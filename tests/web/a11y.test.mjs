// An accessibility audit of every screen state with axe-core (a pinned devDependency, injected into the page),
// at 1366×900 and at 390×844: signed out, signed in with the table and filter panel, the form with its errors
// shown, the filter panel collapsed, a preview and its per-field summary, the confirmation dialog, the progress
// line of a slow preview, the Edit panel with its operations, and closed again; the History
// panel's list, a change set opened, a revert previewed and its confirmation. No serious
// or critical violation is allowed; each state is also saved as a screenshot in target/web-screenshots/ for a
// person to look at.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO, api, openPage, setUp, signIn, searchByName, preview, editField, isBatch, seriousViolations } from "./harness.mjs";

const SCREENSHOTS = join(REPO, "target", "web-screenshots");

let env;

before(async () => {
  env = await setUp();
  mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await env?.tearDown();
});


for (const viewport of [
  { width: 1366, height: 900 },
  { width: 390, height: 844 },
]) {
  const size = `${viewport.width}x${viewport.height}`;
  test(`axe-core finds no serious or critical violation in any screen state at ${size}; screenshots saved`, async () => {
    const { page, errors } = await openPage(env, { viewport });
    /** @type {string[]} */
    const found = [];
    const state = async (name) => {
      const path = join(SCREENSHOTS, `${name}-${size}.png`);
      await page.screenshot({ path, fullPage: false });
      console.log(`screenshot: ${path}`);
      for (const v of await seriousViolations(page)) {
        found.push(`${name}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(", ")}`);
      }
    };

    await state("signed-out");

    await signIn(page, env.session);
    await state("table-and-filters");
    // The filter panel collapsed (one condition applied, named on its toggle), then open again.
    await page.check("#filter-status-1");
    await page.click("#filter-apply");
    await page.waitForSelector('#filter-toggle[data-active="1"]');
    await page.click("#filter-toggle");
    await page.waitForSelector("#tokens-busy", { state: "hidden" });
    await state("filters-collapsed");
    await page.click("#filter-toggle");
    await page.click("#filter-clear");
    await page.waitForSelector('#filter-toggle[data-active="0"]');

    // The form with its errors: an attempt to preview an empty form, then a ticked field without a value.
    await page.click("#preview");
    await page.waitForSelector("#form-summary li.error");
    await editField(page, "remain_quota");
    await page.waitForSelector("#messages-remain_quota li.error");
    await page.locator("#batch").scrollIntoViewIfNeeded();
    await state("form-errors");

    await searchByName(page, "research-04");
    await page.locator("#token-table tbody input.select-row").first().check();
    await editField(page, "remain_quota");
    await page.fill("#value-remain_quota", "5000");
    await preview(page);
    await page.waitForSelector("#result:not([hidden])");
    await state("preview");
    await page.locator("#result-breakdown").scrollIntoViewIfNeeded();
    await page.check('#result-show input[value="changed"]');
    await state("preview-summary");

    await page.click("#apply");
    await page.waitForSelector("#confirm-dialog[open]");
    await state("confirm-dialog");
    await page.click("#confirm-cancel");

    // A preview held back in the browser past half a second: the progress line with its Cancel.
    const slow = (url) => url.pathname === "/api/token/batch";
    await page.route(slow, async (route) => {
      if (isBatch(route.request(), true)) await new Promise((done) => setTimeout(done, 3000));
      await route.continue().catch(() => {});
    });
    await page.fill("#value-remain_quota", "5001");
    await page.click("#preview");
    await page.waitForSelector("#work-progress.active");
    await state("progress");
    await page.click("#work-progress-cancel");
    await page.waitForSelector("#work-progress:not(.active)", { state: "attached" });
    await page.unroute(slow);

    // The Edit panel with operations: quota added in USD, an expiry extension refused, groups edited, status.
    await page.selectOption("#mode-remain_quota", "add");
    await page.selectOption("#unit-remain_quota", "usd");
    await editField(page, "expired_time");
    await page.selectOption("#mode-expired_time", "extend");
    await page.fill("#extend-expired_time", "0");
    await page.waitForSelector("#messages-expired_time li.error");
    await editField(page, "group");
    await page.selectOption("#mode-group", "edit");
    await editField(page, "status");
    await state("edit-operations");
    // Escape closes it; what was entered stays, named in the bar.
    await page.keyboard.press("Escape");
    await page.waitForSelector("#batch", { state: "hidden" });
    await state("edit-closed");

    // The History panel: the list, a change set opened with its tokens, a revert previewed with a token
    // skipped, the revert's confirmation. (A batch applied and one of its tokens changed since, through the API.)
    const body = { ids: [840, 841], update_fields: ["remain_quota", "model_limits"], remain_quota: { add: 1000 }, model_limits: { add: "a11y-model" } };
    await api(env.server, env.session, "PUT", "/api/token/batch", JSON.stringify(body));
    await api(env.server, env.session, "PUT", "/api/token/batch", JSON.stringify({ ids: [841], update_fields: ["model_limits"], model_limits: "" }));
    await page.click("#view-history");
    await page.waitForSelector("#history-table tbody tr[data-change]");
    await state("history-list");
    await page.click("#history-table tbody tr:nth-child(2) button.open-change");
    await page.waitForSelector("#change-tokens tbody tr[data-id]");
    await state("history-change");
    await page.click("#revert-preview");
    await page.waitForSelector("#revert-outcome p.revert-summary");
    await page.locator("#revert-outcome").scrollIntoViewIfNeeded();
    await state("history-revert-preview");
    await page.click("#revert-apply");
    await page.waitForSelector("#revert-dialog[open]");
    await state("history-revert-dialog");
    await page.click("#revert-cancel");
    await page.waitForSelector("#revert-dialog", { state: "hidden" });

    if (found.length) console.log(found.join("\n"));
    assert.deepEqual(found, [], "serious or critical accessibility violations");
    assert.deepEqual(errors, []);
    await page.context().close();
  });
}
