// The Edit panel in real headless Chromium against the real tokenbatch binary: "Edit…" opens it, fields are
// added with its picker, each operation of docs/SPEC.md §11 is entered, previewed (the per-token before → after
// checked against what §11 computes for seeded tokens), applied and read back from the database; refusals name
// how many tokens in the form's words; only the fields picked are sent; focus, Escape and the phone layout.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, applyConfirmed, editField, isBatch, preview, searchByName, selectedByName, setUp, sql, openSignedIn } from "./harness.mjs";

let env;
const DAY = 86_400;
const NOW = Math.floor(Date.now() / 1000);

/** Seeded tokens of the demo user: [id, name, status, expired_time, remain_quota, model_limits, allow_ips, group]. */
const TOKENS = [
  [3101, "eq-a", 1, -1, 1_000_000, "", "", "default"],
  [3102, "eq-b", 1, -1, 250_000, "", "", "default"],
  [3111, "ex-soon", 1, NOW + 10 * DAY, 0, "", "", "default"],
  [3112, "ex-past", 3, NOW - 5 * DAY, 500_000, "", "", "default"],
  [3113, "ex-never", 1, -1, 500_000, "", "", "default"],
  [3121, "el-models", 1, -1, 500_000, "gpt-4o,gpt-4o-mini,claude-3", "10.0.0.1", "default"],
  [3131, "st-on", 1, -1, 500_000, "", "", "default"],
  [3132, "st-expired", 3, NOW - 2 * DAY, 500_000, "", "", "default"],
  [3141, "ef-1", 1, -1, 100_000, "", "", "default"],
  [3142, "ef-2", 1, -1, 200_000, "", "", "default"],
];

before(async () => {
  env = await setUp();
  const rows = TOKENS.map(
    ([id, name, status, expiry, quota, models, ips, group]) =>
      `(${id}, ${env.session.userId}, 'editkey${id}abcdef', ${status}, '${name}', ${NOW}, 0, ${expiry}, ${quota}, 0, 0, '${models}', '${ips}', 0, '${group}')`,
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

const row = (id) => sql(env.database, `SELECT * FROM tokens WHERE id = ${id}`)[0];

/** A new page, signed in (English), with the tokens whose name matches `pattern` all selected. */
const selected = (pattern, options) => selectedByName(env, pattern, options);

/** Preview, resolving to the JSON body the page sent. */
async function previewSent(page) {
  const [request] = await Promise.all([page.waitForRequest((r) => isBatch(r, true)), preview(page)]);
  return JSON.parse(request.postData());
}

/** The before → after a preview or apply shows for token `id`'s field, as read on screen. */
async function diff(page, id, field) {
  const line = page.locator(`#result-dataset tr[data-id="${id}"] li[data-field="${field}"]`);
  if ((await line.count()) === 0) return null;
  return [await line.locator("del").textContent(), await line.locator("ins").textContent()];
}

/** Local "YYYY-MM-DD HH:mm" of unix seconds, as the page prints dates (same machine, same time zone). */
const dateText = (page, seconds) =>
  page.evaluate((s) => {
    const d = new Date(s * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }, seconds);

test("quota add in USD and in quota units: the operation sent, before → after previewed, applied per token", async () => {
  const { page, errors } = await selected("eq-%");
  await editField(page, "remain_quota");
  await page.selectOption("#mode-remain_quota", "add");
  await page.selectOption("#unit-remain_quota", "usd");
  await page.fill("#value-remain_quota", "1.5");
  assert.match(await page.textContent("#usd-remain_quota"), /750,000 units · \$1\.50/);
  const body = await previewSent(page);
  assert.deepEqual(body.update_fields, ["remain_quota"]);
  assert.deepEqual(body.remain_quota, { add: 750_000 });
  assert.deepEqual(await diff(page, 3101, "remain_quota"), ["1,000,000 (≈ 2 USD)", "1,750,000 (≈ 3.5 USD)"]);
  assert.deepEqual(await diff(page, 3102, "remain_quota"), ["250,000 (≈ 0.5 USD)", "1,000,000 (≈ 2 USD)"]);
  await applyConfirmed(page);
  assert.deepEqual([row(3101).remain_quota, row(3102).remain_quota], [1_750_000, 1_000_000]);

  await page.selectOption("#unit-remain_quota", "units");
  await page.fill("#value-remain_quota", "500000");
  assert.match(await page.textContent("#usd-remain_quota"), /500,000 units · \$1\.00/);
  const again = await previewSent(page);
  assert.deepEqual(again.remain_quota, { add: 500_000 });
  assert.deepEqual(await diff(page, 3102, "remain_quota"), ["1,000,000 (≈ 2 USD)", "1,500,000 (≈ 3 USD)"]);
  await applyConfirmed(page);
  assert.deepEqual([row(3101).remain_quota, row(3102).remain_quota], [2_250_000, 1_500_000]);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("quota subtract below zero is refused with the rules' message naming how many tokens; nothing written", async () => {
  const { page, errors } = await selected("eq-%");
  const before = [row(3101).remain_quota, row(3102).remain_quota];
  await editField(page, "remain_quota");
  await page.selectOption("#mode-remain_quota", "subtract");
  await page.fill("#value-remain_quota", String(before[1] + 1));
  const body = await previewSent(page);
  assert.deepEqual(body.remain_quota, { subtract: before[1] + 1 });
  assert.equal(await page.getAttribute("#result-summary", "class"), "error");
  const shown = (await page.innerText("#result")).replace(/\s+/g, " ");
  assert.match(shown, /1 token would have a remaining quota below 0, so nothing was changed/, shown);
  assert.doesNotMatch(shown, /remain_quota/, "no API name");
  assert.ok(await page.isDisabled("#apply"));
  assert.deepEqual([row(3101).remain_quota, row(3102).remain_quota], before);
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
  await page.context().close();
});

test("extend the expiry by days: from each token's expiry, from now when expired, never stays never", async () => {
  const { page, errors } = await selected("ex-%");
  await editField(page, "expired_time");
  await page.selectOption("#mode-expired_time", "extend");
  await page.fill("#extend-expired_time", "30");
  const body = await previewSent(page);
  assert.deepEqual(body.update_fields, ["expired_time"]);
  assert.deepEqual(body.expired_time, { extend: 30 * DAY });
  const soon = row(3111).expired_time;
  assert.deepEqual(await diff(page, 3111, "expired_time"), [await dateText(page, soon), await dateText(page, soon + 30 * DAY)]);
  const [, pastAfter] = /** @type {string[]} */ (await diff(page, 3112, "expired_time"));
  const fromNow = Math.floor(Date.now() / 1000) + 30 * DAY;
  assert.ok([await dateText(page, fromNow - 60), await dateText(page, fromNow), await dateText(page, fromNow + 60)].includes(pastAfter), pastAfter);
  assert.equal(await diff(page, 3113, "expired_time"), null, "a never-expiring token is unchanged");
  await applyConfirmed(page);
  const applied = Math.floor(Date.now() / 1000);
  assert.equal(row(3111).expired_time, soon + 30 * DAY);
  assert.ok(Math.abs(row(3112).expired_time - (applied + 30 * DAY)) <= 10, String(row(3112).expired_time));
  assert.equal(row(3112).status, 1, "the expired token is enabled again (§4)");
  assert.equal(row(3113).expired_time, -1);

  // Hours too.
  await page.selectOption("#extend-unit-expired_time", "hours");
  await page.fill("#extend-expired_time", "12");
  assert.deepEqual((await previewSent(page)).expired_time, { extend: 12 * 3600 });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("models add / remove, an IP added, a group put first: only the keys filled are sent", async () => {
  const { page, errors } = await selected("el-models");
  await editField(page, "model_limits");
  await page.selectOption("#mode-model_limits", "edit");
  await page.fill("#add-model_limits", "gpt-4.1");
  await page.fill("#remove-model_limits", "gpt-4o-mini");
  await editField(page, "allow_ips");
  await page.selectOption("#mode-allow_ips", "edit");
  await page.fill("#add-allow_ips", "192.168.1.0/24");
  await editField(page, "group");
  await page.selectOption("#mode-group", "edit");
  await page.fill("#prepend-group", "vip");
  const body = await previewSent(page);
  assert.deepEqual(body.update_fields, ["group", "model_limits", "allow_ips"]);
  assert.deepEqual(body.model_limits, { add: "gpt-4.1", remove: "gpt-4o-mini" });
  assert.deepEqual(body.allow_ips, { add: "192.168.1.0/24" }, "no empty remove key");
  assert.deepEqual(body.group, { prepend: "vip" });
  assert.deepEqual(await diff(page, 3121, "model_limits"), ["gpt-4o,gpt-4o-mini,claude-3", "gpt-4o,claude-3,gpt-4.1"]);
  assert.deepEqual(await diff(page, 3121, "group"), ["default", "vip,default"]);
  await applyConfirmed(page);
  const token = row(3121);
  assert.equal(token.model_limits, "gpt-4o,claude-3,gpt-4.1");
  assert.equal(token.allow_ips, "10.0.0.1\n192.168.1.0/24");
  assert.equal(token.group, "vip,default");
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("disable then enable; enabling an expired token is refused naming how many", async () => {
  const { page, errors } = await selected("st-on");
  await editField(page, "status");
  await page.selectOption("#value-status", "disabled");
  assert.deepEqual((await previewSent(page)).status, "disabled");
  assert.deepEqual(await diff(page, 3131, "status"), ["Enabled", "Disabled"]);
  await applyConfirmed(page);
  assert.equal(row(3131).status, 2);
  await page.selectOption("#value-status", "enabled");
  await preview(page);
  await applyConfirmed(page);
  assert.equal(row(3131).status, 1);

  await searchByName(page, "st-expired");
  await page.check("#select-page");
  await preview(page);
  assert.equal(await page.getAttribute("#result-summary", "class"), "error");
  const shown = (await page.innerText("#result")).replace(/\s+/g, " ");
  assert.match(shown, /1 token expired and cannot be enabled, so nothing was changed/, shown);
  assert.doesNotMatch(shown, /\bstatus\.|cannot_enable/, shown);
  assert.equal(row(3132).status, 3, "nothing written");
  assert.deepEqual(errors.filter((message) => !/Failed to load resource/.test(message)), []);
  await page.context().close();
});

test("select all matching: the filter and the operation are previewed as a plan and applied", async () => {
  const { page, errors } = await openSignedIn(env);
  await page.fill("#filter-name", "ef-");
  await page.click("#filter-apply");
  await page.waitForFunction(() => /2 tokens match/.test(document.querySelector("#page-info").textContent));
  await page.click("#select-all-matching");
  await editField(page, "remain_quota");
  await page.selectOption("#mode-remain_quota", "add");
  await page.fill("#value-remain_quota", "50000");
  const body = await previewSent(page);
  assert.deepEqual(body.filter, { name: "%ef-%" });
  assert.deepEqual(body.remain_quota, { add: 50_000 });
  assert.deepEqual(await diff(page, 3142, "remain_quota"), ["200,000 (≈ 0.4 USD)", "250,000 (≈ 0.5 USD)"]);
  await applyConfirmed(page);
  assert.deepEqual([row(3141).remain_quota, row(3142).remain_quota], [150_000, 250_000]);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("only picked fields are sent, and no message shows before a field is touched", async () => {
  const { page, errors } = await selected("eq-a");
  await editField(page, "remain_quota");
  await page.selectOption("#mode-remain_quota", "add");
  await editField(page, "expired_time");
  await page.selectOption("#mode-expired_time", "extend");
  assert.equal(await page.locator("#batch li").count(), 0, "picked but untouched: no message");
  await page.fill("#extend-expired_time", "0");
  assert.deepEqual(await page.locator("#messages-expired_time li.error").allTextContents(), [
    "Enter how long to extend by: a number of days or hours above 0.",
  ]);
  assert.equal(await page.getAttribute("#extend-expired_time", "aria-invalid"), "true");
  assert.equal(await page.locator("#messages-remain_quota li").count(), 0, "the untouched field still says nothing");
  await page.fill("#value-remain_quota", "abc");
  const [quota] = await page.locator("#messages-remain_quota li.error").allTextContents();
  assert.doesNotMatch(quota, /remain_quota|\d{9}/);

  // Removed with one click: gone from the body, back in the picker.
  await page.click("#unpick-expired_time");
  assert.equal(await page.evaluate(() => document.activeElement.id), "add-field");
  await page.fill("#value-remain_quota", "1000");
  const body = await previewSent(page);
  assert.deepEqual(Object.keys(body).sort(), ["ids", "remain_quota", "update_fields"]);
  assert.deepEqual(body.update_fields, ["remain_quota"]);
  assert.ok(await page.locator('#add-field option[value="expired_time"]').count());
  assert.match(await page.textContent("#edit-summary"), /^Changing: Remaining quota$/);
  assert.deepEqual(errors, []);
  await page.context().close();
});

for (const viewport of [
  { width: 1366, height: 900 },
  { width: 390, height: 844 },
]) {
  test(`Edit… moves focus into the panel, Escape closes it and gives focus back (${viewport.width}×${viewport.height})`, async () => {
    const { page, errors } = await selected("eq-%", { viewport });
    const focused = () => page.evaluate(() => document.activeElement?.id);
    assert.ok(await page.isHidden("#batch"), "closed until asked for");
    await page.focus("#edit-open");
    await page.keyboard.press("Enter");
    assert.ok(await page.isVisible("#batch"));
    assert.equal(await page.getAttribute("#edit-open", "aria-expanded"), "true");
    assert.equal(await focused(), "add-field");
    await page.keyboard.press("Escape");
    assert.ok(await page.isHidden("#batch"));
    assert.equal(await page.getAttribute("#edit-open", "aria-expanded"), "false");
    assert.equal(await focused(), "edit-open");

    // Reopened with a field on it: focus goes to that field; Close does what Escape does.
    await editField(page, "remain_quota");
    await page.fill("#value-remain_quota", "1000");
    await page.click("#edit-close");
    assert.equal(await focused(), "edit-open");
    assert.match(await page.textContent("#edit-summary"), /Remaining quota/);
    await page.keyboard.press("Enter");
    assert.equal(await focused(), "mode-remain_quota");

    // The panel is on screen beside or above the bar, Preview is not covered, nothing scrolls sideways.
    const box = await page.locator("#batch").boundingBox();
    assert.ok(box && box.y < viewport.height && box.y + box.height > 0, JSON.stringify(box));
    const onTop = await page.evaluate(() => {
      const b = document.querySelector("#preview").getBoundingClientRect();
      return document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2)?.id;
    });
    assert.equal(onTop, "preview");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(ARTIFACTS, `edit-panel-${viewport.width}x${viewport.height}.png`), fullPage: false });
    assert.deepEqual(errors, []);
    await page.context().close();
  });
}
