// The batch-edit page's whole path in real headless Chromium against the real tokenbatch binary and a seeded
// SQLite file: sign in, search, select across pages, the server's own sentences for bad values, fix them, preview,
// apply once confirmed and read back with sqlite3, the same values applied again; and the largest batch from the
// page (10 001 results refused, 10 000 selected, applied and listed 500 at a time).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, api, applyConfirmed, fieldMessages, openPage, preview, previewAndApply, searchByName, setUp, signIn, sql, editField, isPicked } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

/** The demo names are "<team>-<nn>": web-01, web-07, … are the nine tokens 840, 846, …, 888. */
const WEB_IDS = [840, 846, 852, 858, 864, 870, 876, 882, 888];

const NOT_SELECTED = [841, 842, 847, 889];

const tokenRows = (ids) =>
  sql(env.database, `SELECT id, "group", remain_quota, allow_ips, expired_time, status FROM tokens WHERE id IN (${ids.join(",")}) ORDER BY id`);

test("sign in, search, select, see the server's own message for a bad value, fix it, preview, apply", async () => {
  const { page, errors } = await openPage(env);
  await signIn(page, env.session);

  // Search with new-api's pattern semantics, two pages of five, then select across both pages.
  await page.selectOption("#page-size", "5");
  await searchByName(page, "web%");
  assert.equal(await page.locator("#token-table tbody tr[data-id]").count(), 5);
  assert.match(await page.textContent("#page-info"), /1 \/ 2/);
  await page.click("#select-all-results");
  await page.waitForFunction(() => /\b9\b/.test(document.querySelector("#selection-count").textContent));
  await page.click("#page-next");
  await page.waitForFunction(() => /2 \/ 2/.test(document.querySelector("#page-info").textContent));
  assert.equal(await page.locator("#token-table tbody input.select-row:checked").count(), 4);

  // Invalid values, typed as a person would.
  await editField(page, "group");
  await page.fill("#value-group", "vip,svip");
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "1000000");
  await editField(page, "allow_ips");
  await page.fill("#value-allow_ips", "10.0.0.1\n10.0.0.300");
  assert.ok(await isPicked(page, "group"), "the added field is on the panel");
  const groupErrors = await fieldMessages(page, "group");
  const ipErrors = await fieldMessages(page, "allow_ips");
  assert.equal(groupErrors.length, 1);
  assert.equal(ipErrors.length, 1);
  assert.ok(await page.isDisabled("#preview"));
  assert.ok(await page.isDisabled("#apply"));
  assert.equal(await page.textContent("#gutter-allow_ips .bad"), "2");
  assert.match(await page.textContent("#usd-remain_quota"), /2/);
  await page.screenshot({ path: join(ARTIFACTS, "form-validation-error.png"), fullPage: true });

  // The same input sent to the server itself: the very same sentences, with the form's labels for the API's names.
  const body = JSON.stringify({
    ids: WEB_IDS,
    update_fields: ["group", "remain_quota", "allow_ips"],
    group: "vip,svip",
    remain_quota: 1000000,
    allow_ips: "10.0.0.1\n10.0.0.300",
  });
  const server = await api(env.server, env.session, "PUT", "/api/token/batch?validate_only=true", body);
  assert.equal(server.envelope.success, false);
  const serverMessage = (field) => server.envelope.errors.filter((e) => e.field === field).map((e) => e.message);
  assert.deepEqual(groupErrors, serverMessage("group").map((message) => message.replace(/^group /, "“分组”")));
  assert.deepEqual(ipErrors, serverMessage("allow_ips").map((message) => message.replace(/^allow_ips /, "“IP 白名单”")));
  assert.match(ipErrors[0], /第 2 行/);

  // Fixed: no messages, the buttons come alive.
  await editField(page, "group");
  await page.fill("#value-group", "vip");
  await editField(page, "allow_ips");
  await page.fill("#value-allow_ips", "10.0.0.1\n10.0.0.0/8");
  assert.deepEqual(await fieldMessages(page, "group"), []);
  assert.deepEqual(await fieldMessages(page, "allow_ips"), []);
  assert.ok(await page.isEnabled("#preview"));
  assert.ok(await page.isDisabled("#apply"), "Apply waits for a preview");
  const before = tokenRows(WEB_IDS);
  const othersBefore = tokenRows(NOT_SELECTED);

  // Preview: the dry run's before -> after per token, nothing written.
  await page.click("#preview");
  await page.waitForSelector("#result-dataset tr[data-id]");
  assert.equal(await page.locator("#result-dataset tr[data-id]").count(), 9);
  assert.match(await page.textContent("#result-summary"), /9/);
  const diff = await page.textContent('#result-dataset tr[data-id="840"] li[data-field="group"]');
  assert.match(diff, /default → vip/);
  assert.deepEqual(tokenRows(WEB_IDS), before, "a preview writes nothing");

  // Apply, once confirmed: counts, per-token outcome, the table refreshed, the database changed.
  const changedQuota = before.filter((row) => row.remain_quota !== 1000000).length;
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  assert.equal(
    await page.textContent("#confirm-text"),
    "9 个令牌中将修改 9 个：分组 → vip；剩余额度 → 1,000,000 (≈ 2 美元)；IP 白名单 → 10.0.0.1, 10.0.0.0/8\n" +
      // The preview's per-field summary, over every token (one of them already held that quota).
      `按字段：分组：9 个令牌会修改；剩余额度：${changedQuota} 个令牌会修改；IP 白名单：9 个令牌会修改（覆盖全部令牌）`,
  );
  await page.click("#confirm-apply");
  await page.waitForFunction(() => document.querySelector("#result-summary").textContent.includes("已完成"));
  assert.equal(await page.locator('#result-dataset tr[data-outcome="updated"]').count(), 9);
  await page.screenshot({ path: join(ARTIFACTS, "result.png"), fullPage: true });
  for (const row of tokenRows(WEB_IDS)) {
    assert.equal(row.group, "vip", `token ${row.id}`);
    assert.equal(row.remain_quota, 1000000, `token ${row.id}`);
    assert.equal(row.allow_ips, "10.0.0.1\n10.0.0.0/8", `token ${row.id}`);
  }
  assert.deepEqual(tokenRows(NOT_SELECTED), othersBefore, "tokens not selected are untouched");
  await page.waitForFunction(() =>
    [...document.querySelectorAll("#token-table tbody tr[data-id]")].every(
      (/** @type {HTMLTableRowElement} */ row) => row.cells[5].textContent === "vip",
    ),
  );

  // Applying the same values again changes nothing, and says so: the preview first, then Apply.
  assert.ok(await page.isDisabled("#apply"), "the applied preview is used up");
  await preview(page);
  assert.match(await page.textContent("#result-summary"), /将修改 0 个令牌，9 个保持不变/);
  await applyConfirmed(page);
  await page.waitForFunction(() => /0 个令牌，9 个/.test(document.querySelector("#result-summary").textContent));
  assert.deepEqual(errors, []);
});

test("the largest batch from the page: 10 001 results cannot be selected, 10 000 are selected, applied and listed in steps", async (t) => {
  const bulk = { first: 200001, last: 210001 };
  sql(
    env.database,
    `WITH RECURSIVE n(i) AS (SELECT ${bulk.first} UNION ALL SELECT i + 1 FROM n WHERE i < ${bulk.last})
     INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     SELECT i, ${env.session.userId}, 'webbulkkey' || i, 1, 'bulk-' || printf('%05d', i - ${bulk.first - 1}),
       1700000000, 1700000000, -1, 0, 0, 0, '', '', 0, 'default' FROM n`,
  );
  try {
    const { page, errors } = await openPage(env);
    await signIn(page, env.session);
    await searchByName(page, "bulk-%");
    assert.match(await page.textContent("#select-all-results"), /10001/);
    await page.click("#select-all-results");
    await page.waitForSelector("#tokens-error:not([hidden])");
    assert.match(await page.textContent("#tokens-error"), /10000/);
    assert.match(await page.textContent("#selection-count"), /\b0\b/);

    sql(env.database, `DELETE FROM tokens WHERE id = ${bulk.last}`);
    await searchByName(page, "bulk-0%");
    await searchByName(page, "bulk-%");
    let started = Date.now();
    await page.click("#select-all-results");
    await page.waitForFunction(() => /\b10000\b/.test(document.querySelector("#selection-count").textContent), null, {
      timeout: 60_000,
    });
    t.diagnostic(`selecting 10 000 results (100 pages): ${Date.now() - started} ms`);

    await editField(page, "remain_quota");
    await page.fill("#value-remain_quota", "4242");
    started = Date.now();
    await previewAndApply(page);
    t.diagnostic(`previewing and applying 10 000 tokens and listing them: ${Date.now() - started} ms`);
    assert.equal(await page.getAttribute("#result-summary", "class"), "success");
    assert.match(await page.textContent("#result-summary"), /修改了 10000 个令牌/);
    // The first 500 results are listed, 500 more per click, in id order.
    const listed = () => page.locator("#result-dataset tr[data-id]").count();
    assert.equal(await listed(), 500);
    assert.equal(await page.textContent("#result-more"), "再显示 500 个（其余 9500 个未显示）");
    await page.click("#result-more");
    assert.equal(await listed(), 1000);
    assert.equal(await page.getAttribute("#result-dataset tr[data-id]:last-child", "data-id"), String(bulk.first + 999));
    assert.equal(
      await page.getAttribute("#result-dataset tr[data-id]:last-child", "data-outcome"),
      "updated",
    );
    const [{ applied }] = sql(
      env.database,
      `SELECT COUNT(*) AS applied FROM tokens WHERE name LIKE 'bulk-%' AND remain_quota = 4242`,
    );
    assert.equal(applied, 10000);
    assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
  } finally {
    sql(env.database, `DELETE FROM tokens WHERE id BETWEEN ${bulk.first} AND ${bulk.last}`);
  }
});
