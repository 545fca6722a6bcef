// "Select all matching" and the batch by plan in real headless Chromium against the real tokenbatch binary: the
// filter itself sent (never the ids), the plan previewed page by page and applied exactly (its plan_id alone), a
// stale plan and an expired one explained with nothing written and a fresh preview applying, an apply whose answer
// is lost sent again with the same plan_id and replayed.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, api, isBatch, openPage, setUp, signIn, sql, editField, isPicked, openSignedIn, applyFilter, shownTotal, countTokens, seedConsole, CONSOLE_BULK as BULK } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
  seedConsole(env);
});

after(async () => {
  await env?.tearDown();
});

const count = (where) => countTokens(env.database, where);

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
