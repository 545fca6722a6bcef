// The History panel and Undo in real headless Chromium against the real tokenbatch binary (docs/SPEC.md §12):
// a batch applied on the page is listed in words with its count; its per-token before → after is the database's;
// Preview revert writes nothing; Revert restores the database (read with sqlite3), after which the list shows
// the reverted state and the revert's own change set; a token changed since (plain SQL) is skipped and explained
// and strict refuses; a second revert is told apart; Undo beside an Apply's result reverts it; the phone layout.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, editField, openPage, preview, previewAndApply, selectedByName, setUp, signIn, sql } from "./harness.mjs";

let env;
const DAY = 86_400;
const NOW = Math.floor(Date.now() / 1000);

/** Seeded tokens of the demo user: [id, name, expired_time, remain_quota, model_limits]. */
const TOKENS = [
  [3201, "hi-a", -1, 1_000_000, "gpt-4o"],
  [3202, "hi-b", NOW + 10 * DAY, 250_000, ""],
  [3203, "hi-c", NOW + 20 * DAY, 0, "gpt-4o,claude-3"],
  [3211, "un-a", NOW + 5 * DAY, 500_000, ""],
  [3212, "un-b", NOW + 6 * DAY, 500_000, ""],
];
const COLUMNS = "id, status, expired_time, remain_quota, model_limits, \"group\"";

before(async () => {
  env = await setUp();
  const rows = TOKENS.map(
    ([id, name, expiry, quota, models]) =>
      `(${id}, ${env.session.userId}, 'histkey${id}abcdef', 1, '${name}', ${NOW}, 0, ${expiry}, ${quota}, 0, 0, '${models}', '', 0, 'default')`,
  );
  sql(
    env.database,
    `INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group") VALUES ${rows.join(",")}`,
  );
});

after(async () => {
  await env?.tearDown();
});

/** The tokens whose name matches `pattern`, as stored. */
const rows = (pattern) => sql(env.database, `SELECT ${COLUMNS} FROM tokens WHERE name LIKE '${pattern}' ORDER BY id`);
/** The newest change set's id (0 when none). */
const newestChange = () => sql(env.database, "SELECT COALESCE(MAX(id), 0) AS id FROM tokenbatch_changes")[0].id;
const changeCount = () => sql(env.database, "SELECT COUNT(*) AS n FROM tokenbatch_changes")[0].n;

/** How the page writes quota units in English ("1,750,000 (≈ 3.5 USD)"). */
const quotaText = (units) =>
  `${new Intl.NumberFormat("en").format(units)} (≈ ${new Intl.NumberFormat("en", { maximumFractionDigits: 6 }).format(units / 500_000)} USD)`;

/** A new page, signed in (English), with the tokens whose name matches `pattern` all selected. */
const selected = (pattern, options) => selectedByName(env, pattern, options);

/** The History view with its list read (the header's switch). */
async function openHistory(page) {
  await page.click("#view-history");
  await page.waitForSelector("#history-table tbody tr[data-change]");
  await page.waitForSelector("#history-busy", { state: "hidden" });
}

/** The list's cells of change set `id`, by column. */
async function listed(page, id) {
  const row = page.locator(`#history-table tbody tr[data-change="${id}"]`);
  const cell = (name) => row.locator(`td[data-col="${name}"]`).textContent();
  return { what: await cell("what"), changed: await cell("changed"), source: await cell("source"), state: await cell("state") };
}

/** Opens change set `id` from the list and waits for its tokens. */
async function openChange(page, id) {
  await page.click(`#history-table tbody tr[data-change="${id}"] button.open-change`);
  await page.waitForFunction((want) => document.getElementById("change-title")?.textContent === `Change set #${want}`, id);
  await page.waitForSelector("#history-busy", { state: "hidden" });
}

/** Clicks `button` (Preview revert, Revert…, Undo) and waits until its outcome `box` shows a new outcome. */
async function revertOutcome(page, button, box, { confirm = false } = {}) {
  // The outcome on screen now is marked: drawing the next one replaces it.
  await page.evaluate((selector) => document.querySelector(`${selector} p.revert-summary`)?.setAttribute("data-old", ""), box);
  await page.click(button);
  if (confirm) {
    await page.waitForSelector("#revert-dialog[open]");
    const text = await page.textContent("#revert-text");
    const warning = (await page.isVisible("#revert-skipped")) ? await page.textContent("#revert-skipped") : "";
    await page.click("#revert-confirm");
    await page.waitForSelector(`${box} p.revert-summary[data-code="revert.done"]:not([data-old])`);
    return { text, warning };
  }
  await page.waitForSelector(`${box} p.revert-summary:not([data-old])`);
  return {};
}

/** A recorded token's value of `field` on screen: [before, after], or the one value when unchanged. */
async function recorded(page, id, field) {
  const line = page.locator(`#change-tokens tr[data-id="${id}"] li[data-field="${field}"]`);
  if ((await line.count()) === 0) return null;
  if ((await line.getAttribute("class")) !== "changed") return [await line.textContent()];
  return [await line.locator("del").textContent(), await line.locator("ins").textContent()];
}

test("an Apply is listed in words with its count; its tokens' before → after are the database's; Preview revert writes nothing; Revert restores; a second revert is refused with a link", async () => {
  const { page, errors } = await selected("hi-%");
  const before = rows("hi-%");
  await editField(page, "remain_quota");
  await page.selectOption("#mode-remain_quota", "add");
  await page.selectOption("#unit-remain_quota", "usd");
  await page.fill("#value-remain_quota", "1.5");
  await editField(page, "model_limits");
  await page.selectOption("#mode-model_limits", "edit");
  await page.fill("#add-model_limits", "gpt-4.1");
  await previewAndApply(page);
  const applied = rows("hi-%");
  const id = newestChange();
  assert.ok(id > 0, "the apply was recorded");

  await openHistory(page);
  assert.deepEqual(await listed(page, id), {
    what: "Remaining quota: add $1.50; Model limits: add gpt-4.1 · 3 tokens by id",
    changed: "3",
    source: "HTTP API",
    state: "—",
  });
  assert.equal(await page.getAttribute("#history-table tbody tr:first-child", "data-change"), String(id), "newest first");

  await openChange(page, id);
  for (const [index, token] of before.entries()) {
    const now = applied[index];
    assert.deepEqual(await recorded(page, token.id, "remain_quota"), [quotaText(token.remain_quota), quotaText(now.remain_quota)]);
    const models = (value) => (value === "" ? "(empty)" : value);
    assert.deepEqual(await recorded(page, token.id, "model_limits"), [models(token.model_limits), models(now.model_limits)]);
    assert.deepEqual(await recorded(page, token.id, "status"), ["Status: Enabled"], "recorded, unchanged, not marked");
  }

  // Preview revert: what would be restored, nothing written.
  const changes = changeCount();
  await revertOutcome(page, "#revert-preview", "#revert-outcome");
  assert.equal(
    await page.textContent("#revert-outcome p.revert-summary"),
    "Dry run: reverting would restore 3 tokens, 0 already hold their earlier values, 0 would be skipped. Nothing was written.",
  );
  assert.equal(await page.locator("#revert-outcome ul.restored > li").count(), 3);
  assert.deepEqual(rows("hi-%"), applied, "a preview writes nothing");
  assert.equal(changeCount(), changes);

  // Revert, after a confirmation naming the counts: the database holds the values from before the apply again.
  const { text, warning } = await revertOutcome(page, "#revert-apply", "#revert-outcome", { confirm: true });
  assert.equal(text, `Revert change set #${id}: restore 3 tokens to their values from before it, skip 0.`);
  assert.equal(warning, "");
  assert.deepEqual(rows("hi-%"), before, "the revert restored every value");
  const revertId = newestChange();
  assert.equal(revertId, id + 1);
  assert.match(await page.textContent("#revert-outcome p.revert-summary"), new RegExp(`The revert is change set #${revertId}\\.`));

  // The list: the original reverted, the revert itself listed.
  await page.waitForFunction((want) => document.querySelector(`#history-table tr[data-change="${want}"]`), revertId);
  assert.equal((await listed(page, id)).state, `reverted by #${revertId}`);
  assert.deepEqual(await listed(page, revertId), { what: `Revert of #${id}`, changed: "3", source: "Revert", state: `reverts #${id}` });
  assert.equal(await page.textContent("#change-state"), `reverted by #${revertId}`);

  // Once only: the refusal in words, with the way to the revert.
  await revertOutcome(page, "#revert-apply", "#revert-outcome");
  assert.equal(await page.getAttribute("#revert-outcome p.revert-summary", "data-code"), "change.already_reverted");
  assert.equal(
    await page.textContent("#revert-outcome p.revert-summary"),
    `This change set was already reverted by change set #${revertId}; nothing was changed. To redo it, revert #${revertId}.`,
  );
  assert.equal(changeCount(), changes + 1);
  await page.click(`#revert-outcome button.open-change[data-change="${revertId}"]`);
  await page.waitForFunction((want) => document.getElementById("change-title")?.textContent === `Change set #${want}`, revertId);
  assert.deepEqual(rows("hi-%"), before);
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
  await page.context().close();
});

test("a token changed since the batch is skipped and explained; strict refuses the whole revert; the others are restored", async () => {
  const { page, errors } = await selected("hi-%");
  const before = rows("hi-%");
  await editField(page, "model_limits");
  await page.selectOption("#mode-model_limits", "edit");
  await page.fill("#add-model_limits", "o3");
  await previewAndApply(page);
  const id = newestChange();
  // Changed behind the page's back, in a recorded column.
  sql(env.database, "UPDATE tokens SET model_limits = 'by-hand' WHERE id = 3202");
  const changedSince = rows("hi-%");

  await openHistory(page);
  await openChange(page, id);
  await page.check("#revert-strict");
  await revertOutcome(page, "#revert-preview", "#revert-outcome");
  assert.equal(await page.getAttribute("#revert-outcome p.revert-summary", "data-code"), "revert.conflict");
  assert.equal(
    await page.textContent("#revert-outcome p.revert-summary"),
    "Nothing was reverted: 1 tokens changed since this batch, were deleted or belong to another user now, and “Only revert if no token changed since” is on. Turn it off to restore the others.",
  );
  assert.equal(await page.textContent('#revert-outcome li[data-id="3202"][data-reason="changed_since"]'), "Token #3202: changed since this batch");
  // Strict Revert refuses too, before any dialog.
  await revertOutcome(page, "#revert-apply", "#revert-outcome");
  assert.equal(await page.getAttribute("#revert-outcome p.revert-summary", "data-code"), "revert.conflict");
  assert.ok(await page.isHidden("#revert-dialog"));
  assert.deepEqual(rows("hi-%"), changedSince, "strict wrote nothing");

  await page.uncheck("#revert-strict");
  await revertOutcome(page, "#revert-preview", "#revert-outcome");
  assert.match(await page.textContent("#revert-outcome p.revert-summary"), /would restore 2 tokens, 0 already hold their earlier values, 1 would be skipped/);
  assert.deepEqual(rows("hi-%"), changedSince, "a preview writes nothing");
  const { text, warning } = await revertOutcome(page, "#revert-apply", "#revert-outcome", { confirm: true });
  assert.equal(text, `Revert change set #${id}: restore 2 tokens to their values from before it, skip 1.`);
  assert.match(warning, /^1 tokens changed since this batch/);
  assert.equal(await page.textContent('#revert-outcome li[data-id="3202"]'), "Token #3202: changed since this batch");
  const after = rows("hi-%");
  assert.deepEqual(after.find((row) => row.id === 3201), before.find((row) => row.id === 3201));
  assert.deepEqual(after.find((row) => row.id === 3203), before.find((row) => row.id === 3203));
  assert.equal(after.find((row) => row.id === 3202).model_limits, "by-hand", "the token changed since is left alone");
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
  await page.context().close();
});

test("Undo beside an Apply's result: the revert previewed, confirmed and written; the History lists both", async () => {
  const { page, errors } = await selected("un-%");
  const before = rows("un-%");
  await editField(page, "expired_time");
  await page.selectOption("#mode-expired_time", "extend");
  await page.fill("#extend-expired_time", "30");
  await previewAndApply(page);
  const id = newestChange();
  assert.deepEqual(rows("un-%").map((row) => row.expired_time), before.map((row) => row.expired_time + 30 * DAY));
  assert.ok(await page.isVisible("#undo"), "Undo is offered after an Apply");

  const { text } = await revertOutcome(page, "#undo", "#undo-outcome", { confirm: true });
  assert.equal(text, `Revert change set #${id}: restore 2 tokens to their values from before it, skip 0.`);
  assert.deepEqual(rows("un-%"), before, "undone in the database");
  assert.ok(await page.isHidden("#undo"), "undone once");
  // The table was read again: it shows the restored expiry.
  await page.waitForSelector("#tokens-busy", { state: "hidden" });

  // The way to the revert, and the History in words.
  await page.click(`#undo-outcome button.open-change[data-change="${id + 1}"]`);
  await page.waitForFunction((want) => document.getElementById("change-title")?.textContent === `Change set #${want}`, id + 1);
  await page.waitForSelector(`#history-table tr[data-change="${id}"]`);
  assert.deepEqual(await listed(page, id), {
    what: "Expiry: extend by 30 days · 2 tokens by id",
    changed: "2",
    source: "HTTP API",
    state: `reverted by #${id + 1}`,
  });
  // A preview offers no Undo.
  await page.click("#view-tokens");
  await page.fill("#extend-expired_time", "2");
  await preview(page);
  assert.match(await page.textContent("#result-summary"), /^Dry run/);
  assert.ok(await page.isHidden("#undo-box"));
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
  await page.context().close();
});

test("in Chinese and on a phone (390×844): the list in words without API names, a change set opened, no sideways scrolling", async () => {
  const { page, errors } = await openPage(env, { viewport: { width: 390, height: 844 } });
  await page.selectOption("#lang", "zh-CN");
  await signIn(page, env.session);
  await page.click("#view-history");
  await page.waitForSelector("#history-table tbody tr[data-change]");
  const first = await page.getAttribute("#history-table tbody tr:first-child", "data-change");
  const what = await page.textContent(`#history-table tr[data-change="${first}"] td[data-col="what"]`);
  assert.match(what, /^撤销 #\d+$/, what);
  const all = (await page.locator("#history-table tbody").innerText()).replace(/\s+/g, " ");
  assert.doesNotMatch(all, /remain_quota|model_limits|expired_time|update_fields|\d{10}/, all);
  assert.match(all, /剩余额度：增加 US\$1\.50；模型限制列表：添加 gpt-4\.1 · 3 个指定令牌/, all);
  await page.click(`#history-table tbody tr[data-change="${first}"] button.open-change`);
  await page.waitForFunction((want) => document.getElementById("change-title")?.textContent === `修改记录 #${want}`, first);
  assert.ok(await page.isVisible("#revert-preview"));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await page.screenshot({ path: join(ARTIFACTS, "history-390x844.png"), fullPage: false });
  assert.deepEqual(errors, []);
  await page.context().close();
});
