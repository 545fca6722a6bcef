// Times the rules' WebAssembly module (web/pkg/, as the page loads it) on the 10 000-id body with every field
// in headless Chromium, and divides by the native time of the same code measured just before by
// tokenbatch-bench (docs/SPEC.md §8: at most 3×). Run through scripts/bench-wasm.sh, which writes the native side.
//
//   node scripts/bench-wasm.mjs NATIVE.json

import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

import { CHROMIUM, CHROMIUM_ARGS } from "../tests/web/harness.mjs";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
// TOKENBATCH_WASM_PKG times another build of the module (e.g. with another opt-level) against the same native run.
const PKG = process.env.TOKENBATCH_WASM_PKG ?? join(REPO, "web", "pkg");
const TARGET = 3;
const SAMPLES = 31;
// performance.now() is coarsened in the browser: each sample times this many calls.
const CALLS_PER_SAMPLE = 20;

const nativePath = process.argv[2];
if (!nativePath) {
  console.error("usage: node scripts/bench-wasm.mjs NATIVE.json (see scripts/bench-wasm.sh)");
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`Chromium not found at ${CHROMIUM}: run 'bash .ci/setup-web.sh'`);
  process.exit(1);
}
const native = JSON.parse(readFileSync(nativePath, "utf8"));

const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };
const server = createServer((request, response) => {
  const path = new URL(request.url, "http://localhost").pathname;
  if (path === "/") {
    response.writeHead(200, { "content-type": "text/html" });
    response.end("<!doctype html><title>tokenbatch wasm bench</title>");
    return;
  }
  const name = path.startsWith("/pkg/") ? path.slice(5) : "";
  if (!/^[\w.-]+$/.test(name) || !existsSync(join(PKG, name))) {
    response.writeHead(404);
    response.end();
    return;
  }
  const type = types[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream";
  response.writeHead(200, { "content-type": type });
  response.end(readFileSync(join(PKG, name)));
});
await new Promise((done) => server.listen(0, "127.0.0.1", done));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  await page.goto(origin + "/");
  const result = await page.evaluate(
    async ({ body, now, groups, samples, calls }) => {
      const module = await import("/pkg/tokenbatch_wasm.js");
      await module.default();
      const verdict = JSON.parse(module.validateBody(body, "zh-CN", now, groups, undefined));
      if (!verdict.ok || verdict.id_count !== 10000 || verdict.update_fields.length !== 9) {
        throw new Error("the module did not accept the bench body: " + JSON.stringify(verdict).slice(0, 300));
      }
      // Warm-up: the engine's tiers compile the hot functions.
      for (let i = 0; i < 50; i++) module.validateBody(body, "zh-CN", now, groups, undefined);
      const perCall = [];
      for (let s = 0; s < samples; s++) {
        const started = performance.now();
        for (let i = 0; i < calls; i++) module.validateBody(body, "zh-CN", now, groups, undefined);
        perCall.push((performance.now() - started) / calls);
      }
      perCall.sort((a, b) => a - b);
      return { median: perCall[Math.floor(perCall.length / 2)], min: perCall[0], userAgent: navigator.userAgent };
    },
    { body: native.body, now: native.now, groups: native.allowed_groups, samples: SAMPLES, calls: CALLS_PER_SAMPLE },
  );
  const chrome = result.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? "?";
  const ratio = result.median / native.native_validate_body_ms;
  console.log(`validation of a 10 000-id body with every field (${native.body.length} bytes), median:`);
  if (process.env.TOKENBATCH_WASM_PKG) console.log(`  (module from ${PKG})`);
  console.log(`  native check_body (what the server runs)        ${native.native_check_body_ms.toFixed(3)} ms`);
  console.log(`  native validateBody's code (the baseline)      ${native.native_validate_body_ms.toFixed(3)} ms`);
  console.log(
    `  WebAssembly validateBody, headless Chromium ${chrome}: ${result.median.toFixed(3)} ms ` +
      `(min ${result.min.toFixed(3)}; ${SAMPLES} samples × ${CALLS_PER_SAMPLE} calls)`,
  );
  console.log(`  ratio WebAssembly / native: ${ratio.toFixed(2)}× (target ≤ ${TARGET}×)`);
  if (!native.release) console.log("  (native side was a debug build: the ratio is meaningless)");
  process.exitCode = ratio <= TARGET * 2 ? 0 : 1;
} finally {
  await browser.close();
  server.close();
}
