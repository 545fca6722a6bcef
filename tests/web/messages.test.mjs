// The rules' and the server's words on the batch-edit page, in real headless Chromium against the real tokenbatch
// binary: in English word for word as the server's with lang=en (and back in Chinese, the values kept), an expiry
// in the past allowed with the server's warning, failures of the network and refusals of the server shown with
// the form kept.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, applyConfirmed, fieldMessages, openPage, preview, previewAndApply, searchByName, setUp, signIn, sql, editField, isPicked } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
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
