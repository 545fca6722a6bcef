// What the tokenbatch binary serves for the page, fetched and in real headless Chromium: the page, its scripts and
// its rules module with the right types (CSP, ETag), and a cached rules module older than the server's rules
// detected and reported.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { openPage, setUp } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
});

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
