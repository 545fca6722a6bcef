// The batch-edit page in real headless Chromium against the real tokenbatch binary and a seeded SQLite file.

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

test("the page, its scripts and its rules module are served by the binary with the right types", async () => {
  const page = await fetch(`${env.server.url}/`);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(page.headers.get("content-security-policy"), /'wasm-unsafe-eval'/);
  assert.match(await page.text(), /<script type="module" src="app.js">/);

  const wasm = await fetch(`${env.server.url}/pkg/tokenbatch_wasm_bg.wasm`);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  assert.ok(WebAssembly.validate(new Uint8Array(await wasm.arrayBuffer())));

  const script = await fetch(`${env.server.url}/app.js`);
  assert.equal(script.headers.get("content-type"), "text/javascript; charset=utf-8");
  const etag = script.headers.get("etag");
  const again = await fetch(`${env.server.url}/app.js`, { headers: { "If-None-Match": etag } });
  assert.equal(again.status, 304);
});

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

test("English: the page and the rules speak English, word for word as the server with lang=en", async () => {
  const { page } = await openPage(env);
  await signIn(page, env.session);
  await page.selectOption("#lang", "en");
  assert.equal(await page.getAttribute("html", "lang"), "en");
  assert.equal(await page.textContent("#sign-out"), "Sign out");
  await searchByName(page, "mobile-02");
  await page.check("#token-table tbody input.select-row");
  await editField(page, "remain_quota");
  await page.fill("#value-remain_quota", "1.5");
  await editField(page, "model_limits");
  await page.fill("#value-model_limits", "gpt-4o,,gpt-4o-mini");
  const quotaErrors = await fieldMessages(page, "remain_quota");
  const modelErrors = await fieldMessages(page, "model_limits");

  const body = '{"ids":[841],"update_fields":["remain_quota","model_limits"],"remain_quota":1.5,"model_limits":"gpt-4o,,gpt-4o-mini"}';
  const server = await api(env.server, env.session, "PUT", "/api/token/batch?lang=en", body);
  const messages = (field) => server.envelope.errors.filter((e) => e.field === field).map((e) => e.message);
  const labelled = (list, name, label) => list.map((message) => message.replace(new RegExp(`^${name} `), `“${label}” `));
  assert.deepEqual(quotaErrors, labelled(messages("remain_quota"), "remain_quota", "Remaining quota"));
  assert.deepEqual(modelErrors, labelled(messages("model_limits"), "model_limits", "Model limits"));
  assert.match(quotaErrors[0], /must be a JSON integer/);

  // Switching back keeps every value and re-judges it in Chinese.
  await page.selectOption("#lang", "zh-CN");
  assert.equal(await page.inputValue("#value-remain_quota"), "1.5");
  assert.match((await fieldMessages(page, "remain_quota"))[0], /必须是整数/);
});

test("an expiry in the past is allowed with the server's warning; never expires needs no date", async () => {
  const { page } = await openPage(env);
  await signIn(page, env.session);
  await searchByName(page, "support-05");
  await page.check("#token-table tbody input.select-row");
  await editField(page, "expired_time");
  await page.fill("#value-expired_time", "2020-01-02T03:04");
  const warnings = await fieldMessages(page, "expired_time", "warning");
  assert.equal(warnings.length, 1);
  assert.match(await page.textContent("#utc-expired_time"), /UTC/);
  assert.ok(await page.isEnabled("#preview"), "a past expiry is a legitimate bulk revoke");

  const seconds = await page.evaluate(() => Math.floor(new Date("2020-01-02T03:04").getTime() / 1000));
  const body = JSON.stringify({ ids: [844], update_fields: ["expired_time"], expired_time: seconds });
  const server = await api(env.server, env.session, "PUT", "/api/token/batch?validate_only=true", body);
  // The server's sentence, with the field's label and the date as typed in place of the unix seconds.
  const serverWarnings = server.envelope.warnings.filter((w) => w.field === "expired_time").map((w) => w.message);
  assert.deepEqual(
    warnings,
    serverWarnings.map((message) => message.replace("expired_time ", "“过期时间”").replace(String(seconds), "2020-01-02 03:04")),
  );

  await page.check("#never-expired_time");
  assert.ok(await page.isDisabled("#value-expired_time"));
  assert.deepEqual(await fieldMessages(page, "expired_time", "warning"), []);
  await previewAndApply(page);
  assert.equal(await page.getAttribute("#result-summary", "class"), "success");
  assert.equal(sql(env.database, "SELECT expired_time FROM tokens WHERE id = 844")[0].expired_time, -1);
});

test("errors from the network and from the server are shown and the form is kept", async () => {
  const { page } = await openPage(env);
  await signIn(page, env.session);
  await searchByName(page, "partner-06");
  await page.check("#token-table tbody input.select-row");
  await editField(page, "model_limits");
  await page.fill("#value-model_limits", "gpt-4o");
  const before = sql(env.database, "SELECT model_limits FROM tokens WHERE id = 845")[0];
  await preview(page);

  // The connection fails: say so, keep everything.
  await page.route("**/api/token/batch**", (route) => route.abort("connectionrefused"));
  await applyConfirmed(page);
  assert.equal(await page.getAttribute("#result-summary", "class"), "error");
  assert.match(await page.textContent("#result-summary"), /无法连接服务器/);
  assert.equal(await page.inputValue("#value-model_limits"), "gpt-4o");
  assert.ok(await isPicked(page, "model_limits"));
  assert.deepEqual(sql(env.database, "SELECT model_limits FROM tokens WHERE id = 845")[0], before);
  await page.unroute("**/api/token/batch**");

  // The token disappears between selecting and applying: the server's own words, nothing written.
  // (The lost attempt may have been applied, so its preview still stands and Apply is a safe retry.)
  sql(env.database, "UPDATE tokens SET deleted_at = '2026-01-01 00:00:00' WHERE id = 845");
  await applyConfirmed(page);
  await page.waitForFunction(() => document.querySelector("#result-summary").textContent.includes("服务器拒绝"));
  const body = JSON.stringify({ ids: [845], update_fields: ["model_limits"], model_limits: "gpt-4o" });
  const server = await api(env.server, env.session, "PUT", "/api/token/batch", body);
  assert.equal(server.envelope.code, "ids.not_found");
  // The server's sentence, naming the selection as the page does rather than the API's `ids`.
  assert.match(server.envelope.message, /^ids：/);
  const shown = await page.textContent("#result-summary");
  assert.ok(shown.includes(server.envelope.message.replace(/^ids/, "“所选令牌”")), shown);
  assert.equal(await page.inputValue("#value-model_limits"), "gpt-4o");
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

test("sign-in: the server's 401 message for a wrong token; the token lives in sessionStorage only", async () => {
  const { page, context } = await openPage(env);
  await page.fill("#user-id", env.session.userId);
  await page.fill("#access-token", "not-the-token");
  await page.click("#sign-in-button");
  await page.waitForSelector("#sign-in-error:not([hidden])");
  const wrong = await api(env.server, { ...env.session, accessToken: "not-the-token" }, "GET", "/api/user/self/groups");
  assert.equal(wrong.status, 401);
  assert.ok((await page.textContent("#sign-in-error")).includes(wrong.envelope.message));

  await signIn(page, env.session);
  const stored = await page.evaluate(() => ({
    session: JSON.stringify({ ...sessionStorage }),
    local: JSON.stringify({ ...localStorage }),
  }));
  assert.ok(stored.session.includes(env.session.accessToken));
  assert.ok(!stored.local.includes(env.session.accessToken));
  assert.ok(!document_cookie_has_token(await context.cookies(), env.session.accessToken));

  // A reload in the same tab stays signed in; sign out forgets the token.
  await page.reload();
  await page.waitForSelector("#token-table tbody tr[data-id]");
  await page.click("#sign-out");
  assert.ok(await page.isVisible("#sign-in"));
  assert.ok(!(await page.evaluate(() => JSON.stringify({ ...sessionStorage }))).includes(env.session.accessToken));
});

function document_cookie_has_token(cookies, token) {
  return cookies.some((cookie) => cookie.value.includes(token));
}

test("a cached module older than the server's rules is detected and reported", async () => {
  const { page, context } = await openPage(env);
  const moduleVersion = await page.textContent("#rules-version");
  const status = await (await fetch(`${env.server.url}/api/status`)).json();
  assert.equal(moduleVersion, status.data.rules_version, "this build's module and server agree");
  assert.ok(await page.isHidden("#version-warning"));

  // Only a different server can disagree; the real answer is rewritten to stand in for one.
  await context.route("**/api/status**", async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    json.data.rules_version = "rules-9.9.9-00000000";
    await route.fulfill({ response, json });
  });
  await page.reload();
  await page.waitForSelector("#version-warning:not([hidden])");
  const warning = await page.textContent("#version-warning");
  assert.ok(warning.includes(moduleVersion) && warning.includes("rules-9.9.9-00000000"));
});

test("every control has a label, the form works from the keyboard, and a narrow screen needs no sideways scrolling", async () => {
  const { page } = await openPage(env, { viewport: { width: 390, height: 844 } });
  await signIn(page, env.session);
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((element) => !element.closest("[hidden]"))
      .filter((element) => {
        const named =
          /** @type {HTMLInputElement} */ (element).labels?.length ||
          element.getAttribute("aria-label") ||
          (element.tagName === "BUTTON" && element.textContent.trim());
        return !named;
      })
      .map((element) => element.id || element.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabelled, []);

  // Keyboard only: open the Edit panel (focus moves to its picker), add a field with the arrow keys and Enter,
  // pick a choice with the arrow keys, type.
  const focused = () => page.evaluate(() => document.activeElement.id);
  await page.focus("#edit-open");
  await page.keyboard.press("Enter");
  assert.equal(await focused(), "add-field");
  const addByKeyboard = async (name) => {
    while ((await page.inputValue("#add-field")) !== name) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "add-field-button");
    await page.keyboard.press("Enter");
  };
  await addByKeyboard("mj_image_mode");
  assert.ok(await isPicked(page, "mj_image_mode"));
  assert.equal(await focused(), "value-mj_image_mode", "the added field's control has the focus");
  await page.keyboard.press("ArrowDown");
  assert.equal(await page.inputValue("#value-mj_image_mode"), "proxy");
  await page.focus("#add-field");
  await addByKeyboard("mj_custom_proxy");
  assert.equal(await focused(), "value-mj_custom_proxy");
  await page.keyboard.type("ftp://images.example");
  assert.equal((await fieldMessages(page, "mj_custom_proxy")).length, 1);

  // Every field on the panel, in every mode: still every control labelled.
  for (const name of ["group", "expired_time", "remain_quota", "unlimited_quota", "model_limits", "model_limits_enabled", "allow_ips", "status"]) {
    await editField(page, name);
  }
  for (const name of ["expired_time", "model_limits"]) await page.selectOption(`#mode-${name}`, { index: 1 });
  const unlabelledOnPanel = await page.evaluate(() =>
    [...document.querySelectorAll("#batch input, #batch select, #batch textarea, #batch button")]
      .filter((element) => !element.closest("[hidden]"))
      .filter((element) => !(/** @type {HTMLInputElement} */ (element).labels?.length || element.getAttribute("aria-label") || (element.tagName === "BUTTON" && element.textContent.trim())))
      .map((element) => element.id || element.outerHTML.slice(0, 80)),
  );
  assert.deepEqual(unlabelledOnPanel, []);

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: join(ARTIFACTS, "narrow-screen.png"), fullPage: false });
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
