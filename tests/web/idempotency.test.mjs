// Apply again after a lost answer, in real headless Chromium against the real tokenbatch binary: the retry sends
// the first attempt's Idempotency-Key and gets its answer replayed, nothing written twice; another body or a
// definitive answer gets a new key; a pending key survives a reload. (The same by plan: plan.test.mjs.)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, applyConfirmed, openPage, previewAndApply, searchByName, setUp, signIn, sql, editField } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

test("Apply again after a lost answer sends the same Idempotency-Key: the first answer is replayed, nothing is written twice", async () => {
  const { page, context, errors } = await openPage(env);
  await signIn(page, env.session);
  await searchByName(page, "research-22");
  await page.check("#token-table tbody input.select-row");
  const quota = () => sql(env.database, "SELECT remain_quota FROM tokens WHERE id = 861")[0].remain_quota;
  assert.equal(quota(), 0);

  // Every batch request reaches the real server; the first real apply's answer is then lost on the way back.
  // `sent`: the applies; `previews`: the dry runs.
  const sent = [];
  const previews = [];
  let lost = 0;
  await context.route("**/api/token/batch**", async (route) => {
    const request = route.request();
    const dryRun = new URL(request.url()).searchParams.get("validate_only") === "true";
    const response = await route.fetch();
    const envelope = await response.json();
    (dryRun ? previews : sent).push({
      dryRun,
      key: request.headers()["idempotency-key"],
      body: request.postData(),
      replayedHeader: response.headers()["idempotent-replayed"],
      envelope,
    });
    if (!dryRun && lost === 0) {
      lost += 1;
      await route.abort("connectionreset");
    } else {
      await route.fulfill({ response, json: envelope });
    }
  });

  // A preview carries no key.
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "1234567");
  await page.click("#preview");
  await page.waitForSelector("#result-dataset tr[data-id]");
  assert.equal(previews.length, 1);
  assert.equal(sent.length, 0);
  assert.equal(previews[0].key, undefined, "a dry run is not idempotent and needs no key");

  // Apply: the server applies the batch, the page hears nothing back and says so.
  await applyConfirmed(page);
  await page.waitForFunction(() => document.querySelector("#result-summary").className === "error");
  const failure = await page.textContent("#result-summary");
  assert.match(failure, /无法连接服务器/);
  assert.match(failure, /不会被应用两次/);
  assert.ok(await page.isHidden("#result-replayed"));
  assert.equal(sent.length, 1);
  const first = sent[0];
  assert.match(first.key, /^[0-9a-f]{32}$/);
  assert.equal(first.envelope.success, true, "the lost answer was a success");
  assert.equal(first.envelope.data, 1);
  assert.notEqual(first.envelope.replayed, true);
  assert.equal(quota(), 1234567, "the first attempt was applied");

  // Someone changes the token meanwhile; the operator, not knowing, clicks Apply again with the same form.
  sql(env.database, "UPDATE tokens SET remain_quota = 777 WHERE id = 861");
  assert.equal(await page.inputValue("#value-remain_quota"), "1234567", "the form is kept");
  await applyConfirmed(page);
  await page.waitForFunction(() => document.querySelector("#result-summary").className === "success");
  assert.equal(sent.length, 2);
  assert.equal(previews.length, 1, "a retry of a lost answer needs no new preview");
  const retry = sent[1];
  assert.equal(retry.body, first.body);
  assert.equal(retry.key, first.key, "the retry carries the first attempt's Idempotency-Key");
  assert.equal(retry.replayedHeader, "true");
  assert.equal(retry.envelope.replayed, true);
  assert.equal(retry.envelope.data, 1, "the first attempt's answer");
  assert.equal(quota(), 777, "the retry wrote nothing: the change made in between stays");
  assert.ok(await page.isVisible("#result-replayed[data-code=replayed]"));
  assert.equal(
    await page.textContent("#result-replayed"),
    "此批次此前已经应用：以下是第一次提交的结果，本次没有再写入任何数据。",
  );
  assert.match(await page.textContent("#result-summary"), /修改了 1 个令牌/);
  await page.screenshot({ path: join(ARTIFACTS, "replayed.png"), fullPage: true });
  await page.selectOption("#lang", "en");
  assert.equal(
    await page.textContent("#result-replayed"),
    "This batch had already been applied: this is the answer of the first attempt; nothing was written again.",
  );
  await page.selectOption("#lang", "zh-CN");

  // Another body is another batch: a new key, applied for real.
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "2345678");
  await previewAndApply(page);
  assert.equal(sent.length, 3);
  const other = sent[2];
  assert.notEqual(other.body, first.body);
  assert.match(other.key, /^[0-9a-f]{32}$/);
  assert.notEqual(other.key, first.key, "a different body gets a different key");
  assert.notEqual(other.envelope.replayed, true);
  assert.equal(quota(), 2345678);
  assert.match(await page.textContent("#result-summary"), /修改了 1 个令牌/);
  assert.ok(await page.isHidden("#result-replayed"));

  // After a definitive answer the key is forgotten: the same body applied again is a new batch, not a replay.
  sql(env.database, "UPDATE tokens SET remain_quota = 888 WHERE id = 861");
  await previewAndApply(page);
  assert.match(await page.textContent("#result-summary"), /修改了 1 个令牌/);
  assert.equal(sent.length, 4);
  assert.equal(sent[3].body, other.body);
  assert.notEqual(sent[3].key, other.key, "a key is not reused after a definitive answer");
  assert.notEqual(sent[3].envelope.replayed, true);
  assert.equal(quota(), 2345678, "applied again over the change made in between");
  assert.equal(await page.getAttribute("#result-summary", "class"), "success");
  assert.ok(await page.isHidden("#result-replayed"));
  await context.unroute("**/api/token/batch**");
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
});

test("a reload after a lost answer keeps the pending Idempotency-Key: the same batch applied again is replayed", async () => {
  const { page, context, errors } = await openPage(env);
  await signIn(page, env.session);
  const [{ id }] = sql(env.database, "SELECT id FROM tokens WHERE name = 'research-04'");
  const quota = () => sql(env.database, `SELECT remain_quota FROM tokens WHERE id = ${id}`)[0].remain_quota;
  const selectAndFill = async () => {
    await searchByName(page, "research-04");
    await page.check("#token-table tbody input.select-row");
    await editField(page, "remain_quota");
    await page.fill("#value-remain_quota", "3456789");
  };

  // The applies (previews pass untouched); the first one's answer is lost.
  const sent = [];
  await context.route("**/api/token/batch**", async (route) => {
    if (new URL(route.request().url()).searchParams.get("validate_only") === "true") return route.continue();
    const response = await route.fetch();
    const envelope = await response.json();
    sent.push({ key: route.request().headers()["idempotency-key"], body: route.request().postData(), envelope });
    if (sent.length === 1) await route.abort("connectionreset");
    else await route.fulfill({ response, json: envelope });
  });

  await selectAndFill();
  await previewAndApply(page);
  assert.equal(await page.getAttribute("#result-summary", "class"), "error");
  assert.equal(quota(), 3456789, "the first attempt was applied; its answer was lost");

  // The operator reloads the page: the form is empty again, the session and the pending key are not.
  sql(env.database, `UPDATE tokens SET remain_quota = 42 WHERE id = ${id}`);
  await page.reload();
  await page.waitForSelector("#app[data-ready=true]");
  await page.waitForSelector("#token-table tbody tr[data-id]");
  assert.equal(await page.inputValue("#value-remain_quota"), "");
  await selectAndFill();
  await previewAndApply(page);
  assert.equal(sent.length, 2);
  assert.equal(sent[1].body, sent[0].body);
  assert.equal(sent[1].key, sent[0].key, "the key survived the reload");
  assert.equal(sent[1].envelope.replayed, true);
  assert.equal(quota(), 42, "nothing was written twice");
  assert.ok(await page.isVisible("#result-replayed[data-code=replayed]"));

  // The definitive answer clears the stored key: a later Apply of the same batch is a new batch.
  assert.equal(await page.evaluate(() => sessionStorage.getItem("tokenbatch.pendingApply")), null);
  await previewAndApply(page);
  assert.notEqual(sent[2].key, sent[0].key);
  assert.notEqual(sent[2].envelope.replayed, true);
  assert.equal(quota(), 3456789);
  await context.unroute("**/api/token/batch**");
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
});
