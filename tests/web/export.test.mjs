// The bulk-action bar and the CSV export in real headless Chromium against the real tokenbatch binary: the bar
// stays in the viewport while the table scrolls (desktop and phone), the selection exports as CSV (by ids, and
// by filter read 100 at a time), the last preview exports before → after, quoting and formula neutralisation are
// right, and no full key ever appears in a file.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { openPage, setUp, signIn, sql, searchByName, preview, editField, openSignedIn } from "./harness.mjs";

let env;

/** Tokens whose names a spreadsheet could misread: a quote, comma and line break; formulas. */
const TRICKY = [
  { id: 3001, name: 'xcsv "quoted", two\nlines', quota: 1500000 },
  { id: 3002, name: "=HYPERLINK(\"http://evil.example\",\"xcsv\")", quota: 0 },
  { id: 3003, name: "+xcsv-plus", quota: 250000 },
  { id: 3004, name: "@xcsv-at", quota: 1 },
  { id: 3005, name: "-xcsv-minus", quota: 42 },
];
/** 130 tokens in group "csvbulk": two pages of 100 for an export by filter. */
const BULK = { first: 4001, count: 130 };

before(async () => {
  env = await setUp();
  const user = env.session.userId;
  const now = Math.floor(Date.now() / 1000);
  const esc = (text) => text.replaceAll("'", "''");
  const tricky = TRICKY.map(
    ({ id, name, quota }) =>
      `(${id}, ${user}, 'fullsecretkey${id}abcdefghijkl', 1, '${esc(name)}', ${now}, 0, -1, ${quota}, 0, 0, '', '', 0, 'default')`,
  ).join(",\n");
  sql(
    env.database,
    `INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     VALUES ${tricky};
     WITH RECURSIVE seq(i) AS (SELECT ${BULK.first} UNION ALL SELECT i + 1 FROM seq WHERE i < ${BULK.first + BULK.count - 1})
     INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     SELECT i, ${user}, 'csvbulkfullkey' || i || 'zzzz', 1, 'csvbulk-' || printf('%03d', i - ${BULK.first - 1}), ${now}, 0, -1,
       500000, 0, 0, '', '', 0, 'csvbulk' FROM seq;`,
  );
});

after(async () => {
  await env?.tearDown();
});

/** A CSV document parsed per RFC 4180 (independent of the page's writer); the BOM is required. */
function parseCsv(text) {
  assert.equal(text[0], "\uFEFF", "a BOM first, so spreadsheets read UTF-8");
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 1; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i += 1;
    } else cell += c;
  }
  assert.equal(row.length + cell.length, 0, "the document ends with CRLF");
  return rows;
}

/** Clicks `button` and resolves to the downloaded file's name and text. */
async function downloadOf(page, button) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
  const text = readFileSync(await download.path(), "utf8");
  return { name: download.suggestedFilename(), text };
}

/** Every full key of the user, to prove none leaves the server. */
const fullKeys = () => sql(env.database, `SELECT key FROM tokens WHERE user_id = ${env.session.userId}`).map((row) => row.key);

function assertNoFullKey(text) {
  const leaked = fullKeys().filter((key) => text.includes(key));
  assert.deepEqual(leaked, [], "no full key in the file");
}

for (const viewport of [
  { width: 1366, height: 900 },
  { width: 390, height: 844 },
]) {
  test(`the bulk-action bar stays in the viewport while the table scrolls (${viewport.width}×${viewport.height})`, async () => {
    const { page, errors } = await openPage(env, { viewport });
    await page.selectOption("#lang", "en");
    await signIn(page, env.session);
    const inView = (selector) =>
      page.evaluate((s) => {
        const box = document.querySelector(s).getBoundingClientRect();
        return box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight + 0.5;
      }, selector);
    // Right after sign-in: the selection and Preview / Apply are on screen without scrolling past the form.
    assert.ok(await inView("#bulk-bar"), "the bar is in view at the top of the page");
    await page.selectOption("#page-size", "100");
    await page.waitForFunction(() => document.querySelectorAll("#token-table tbody tr[data-id]").length === 100);
    // Three rows ticked one by one (on a phone the table is cards: no header checkbox in sight).
    for (const index of [0, 1, 2]) await page.locator("#token-table tbody input.select-row").nth(index).check();
    await page.evaluate(() => {
      const rows = document.querySelectorAll("#token-table tbody tr");
      rows[rows.length - 1].scrollIntoView({ block: "end" });
    });
    assert.ok((await page.evaluate(() => window.scrollY)) > 1000, "the page scrolled down the table");
    for (const selector of ["#bulk-bar", "#selection-count", "#preview", "#apply"]) {
      assert.ok(await inView(selector), `${selector} is in the viewport after scrolling to the table's end`);
    }
    assert.match(await page.textContent("#selection-count"), /\b3\b/);
    // Nothing covers Preview: a click there reaches it.
    const onTop = await page.evaluate(() => {
      const box = document.querySelector("#preview").getBoundingClientRect();
      return document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2)?.id;
    });
    assert.equal(onTop, "preview");
    // Keyboard order: the bar comes after the form's fields and before the result.
    const order = await page.evaluate(() => {
      const bar = document.querySelector("#bulk-bar");
      const after = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
      return [after(document.querySelector("#batch-form"), bar), after(bar, document.querySelector("#result"))];
    });
    assert.deepEqual(order, [true, true]);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    assert.deepEqual(errors, []);
    await page.context().close();
  });
}

test("CSV of a selection of ids: human headers, quoting, formulas neutralised, masked keys only", async () => {
  const { page, errors } = await openSignedIn(env);
  await searchByName(page, "%xcsv%");
  assert.equal(await page.locator("#token-table tbody tr[data-id]").count(), TRICKY.length);
  await page.check("#select-page");
  const { name, text } = await downloadOf(page, "#export-selection");
  assert.match(name, /^tokens-\d{8}-\d{4}\.csv$/);
  assertNoFullKey(text);
  // The name with a quote, comma and line break, quoted per RFC 4180.
  assert.ok(text.includes('"xcsv ""quoted"", two\nlines"'), text.slice(0, 400));
  const rows = parseCsv(text);
  assert.deepEqual(rows[0], [
    "ID", "Name", "Key (masked)", "Status", "Group", "Remaining (quota units)", "Remaining (USD)", "Unlimited quota",
    "Used (quota units)", "Used (USD)", "Expires", "Model limits", "Model limits enforced", "IP whitelist", "Created",
    "Last used",
  ]);
  assert.equal(rows.length, 1 + TRICKY.length);
  const byId = new Map(rows.slice(1).map((row) => [Number(row[0]), row]));
  assert.equal(byId.get(3001)[1], 'xcsv "quoted", two\nlines');
  assert.equal(byId.get(3002)[1], "'=HYPERLINK(\"http://evil.example\",\"xcsv\")");
  assert.equal(byId.get(3003)[1], "'+xcsv-plus");
  assert.equal(byId.get(3004)[1], "'@xcsv-at");
  assert.equal(byId.get(3005)[1], "'-xcsv-minus");
  // Quota in units and USD; the key as the API masks it; dates as local YYYY-MM-DD HH:MM.
  assert.deepEqual(byId.get(3001).slice(5, 7), ["1500000", "3"]);
  assert.deepEqual(byId.get(3003).slice(5, 7), ["250000", "0.5"]);
  const masked = await page.textContent('#token-table tbody tr[data-id="3001"] td:nth-child(4)');
  assert.equal(byId.get(3001)[2], masked);
  assert.match(byId.get(3001)[2], /\*/);
  assert.equal(byId.get(3001)[10], "Never");
  assert.match(byId.get(3001)[14], /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
  assert.equal(byId.get(3001)[15], "");
  assert.match(await page.textContent("#export-status"), /Exported 5 rows/);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("CSV of a selection by filter reads every matching page, 100 at a time, with progress; a cancelled export downloads nothing", async () => {
  const { page, errors } = await openPage(env);
  await signIn(page, env.session);
  await page.fill("#filter-group", "csvbulk");
  await page.click("#filter-apply");
  await page.waitForFunction(() => /130/.test(document.querySelector("#select-all-matching").textContent));
  await page.click("#select-all-matching");
  /** @type {URL[]} */
  const lists = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname === "/api/token/") lists.push(url);
  });

  // Cancel while the second page is on its way: no file, the status says so.
  /** @type {(value?: unknown) => void} */
  let release = () => {};
  const held = new Promise((resolve) => (release = resolve));
  const secondPage = (url) => url.pathname === "/api/token/" && url.searchParams.get("p") === "2";
  await page.route(secondPage, async (route) => {
    await held;
    await route.continue();
  });
  let downloads = 0;
  page.on("download", () => (downloads += 1));
  await page.click("#export-selection");
  await page.waitForFunction(() => /100 \/ 130/.test(document.querySelector("#export-status").textContent));
  assert.ok(await page.isVisible("#export-cancel"));
  await page.click("#export-cancel");
  release();
  await page.waitForFunction(() => /已取消/.test(document.querySelector("#export-status").textContent));
  assert.equal(downloads, 0);
  await page.unrouteAll();
  // The status line follows a language switch.
  await page.selectOption("#lang", "en");
  assert.equal(await page.textContent("#export-status"), "Export cancelled.");
  await page.selectOption("#lang", "zh-CN");

  lists.length = 0;
  const { text } = await downloadOf(page, "#export-selection");
  assertNoFullKey(text);
  const rows = parseCsv(text);
  assert.equal(rows[0][0], "ID");
  assert.equal(rows[0][2], "密钥（已遮盖）", "headers in the page's language");
  assert.equal(rows.length, 1 + BULK.count);
  const ids = rows.slice(1).map((row) => Number(row[0])).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: BULK.count }, (_, i) => BULK.first + i));
  assert.deepEqual(
    lists.map((url) => [url.searchParams.get("p"), url.searchParams.get("size"), url.searchParams.get("group")]),
    [["1", "100", "csvbulk"], ["2", "100", "csvbulk"]],
  );
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("CSV of the last preview: before and after per token, quota in units and USD", async () => {
  const { page, errors } = await openSignedIn(env);
  await searchByName(page, "%xcsv%");
  await page.check("#select-page");
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "1000000");
  await preview(page);
  assert.ok(await page.isVisible("#export-result"));
  const { name, text } = await downloadOf(page, "#export-result");
  assert.match(name, /^batch-preview-\d{8}-\d{4}\.csv$/);
  assertNoFullKey(text);
  const rows = parseCsv(text);
  const label = await page.evaluate(() => document.querySelector('label[for="value-remain_quota"]')?.textContent?.trim());
  assert.deepEqual(rows[0].slice(0, 3), ["ID", "Name", "Outcome"]);
  assert.ok(rows[0].includes(`${label} (before)`) || rows[0].some((h) => / \(before\)$/.test(h)), rows[0].join("|"));
  assert.equal(rows.length, 1 + TRICKY.length);
  const row = rows.find((r) => r[0] === "3003");
  assert.equal(row[1], "'+xcsv-plus");
  assert.equal(row[2], "Will change");
  assert.deepEqual(row.slice(3, 7), ["250000", "0.5", "1000000", "2"]);
  // Nothing was written by exporting a preview.
  assert.equal(sql(env.database, "SELECT remain_quota AS q FROM tokens WHERE id = 3003")[0].q, 250000);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test("CSV of a plan's preview holds every pinned token, the pages past the first read from the plan's route", async () => {
  const { page, errors } = await openSignedIn(env);
  await page.fill("#filter-group", "csvbulk");
  await page.click("#filter-apply");
  await page.waitForFunction(() => /130/.test(document.querySelector("#select-all-matching").textContent));
  await page.click("#select-all-matching");
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "750000");
  await preview(page);
  await page.waitForSelector("#result-plan:not([hidden])");
  assert.ok((await page.locator("#result-dataset tbody tr").count()) < BULK.count, "the preview shows its first page only");
  /** @type {string[]} */
  const planPages = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/api/token/batch/plans/")) planPages.push(url.searchParams.get("p") ?? "");
  });
  const { text } = await downloadOf(page, "#export-result");
  assertNoFullKey(text);
  const rows = parseCsv(text);
  assert.equal(rows.length, 1 + BULK.count);
  assert.deepEqual(new Set(rows.slice(1).map((row) => Number(row[0]))).size, BULK.count);
  assert.deepEqual(planPages, ["2", "3"]);
  // Names as the page knows them (the rows the table showed), as on the result's own table.
  const shownId = await page.getAttribute("#token-table tbody tr[data-id]", "data-id");
  const row = rows.find((r) => r[0] === shownId);
  assert.match(row[1], /^csvbulk-\d{3}$/);
  assert.deepEqual(row.slice(3, 7), ["500000", "1", "750000", "1.5"]);
  assert.deepEqual(errors, []);
  await page.context().close();
});
