// docs/SPEC.md §8's budget for the rules module as the page loads it: at most 150 KiB, and 60 KiB gzipped.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, constants } from "node:zlib";
import { REPO } from "./harness.mjs";

const MAX_RAW_BYTES = 150 * 1024;
const MAX_GZIP_BYTES = 60 * 1024;

test("the committed rules module is within the size budget", () => {
  const module = readFileSync(join(REPO, "web", "pkg", "tokenbatch_wasm_bg.wasm"));
  assert.ok(WebAssembly.validate(module), "a valid WebAssembly module");
  const gzipped = gzipSync(module, { level: constants.Z_BEST_COMPRESSION }).length;
  console.log(`tokenbatch_wasm_bg.wasm: ${module.length} bytes raw, ${gzipped} bytes gzipped`);
  assert.ok(module.length <= MAX_RAW_BYTES, `${module.length} bytes raw, budget ${MAX_RAW_BYTES}`);
  assert.ok(gzipped <= MAX_GZIP_BYTES, `${gzipped} bytes gzipped, budget ${MAX_GZIP_BYTES}`);
});

test("the JS glue loads the module it was generated with", () => {
  const glue = readFileSync(join(REPO, "web", "pkg", "tokenbatch_wasm.js"), "utf8");
  assert.match(glue, /new URL\('tokenbatch_wasm_bg\.wasm', import\.meta\.url\)/);
  for (const name of ["validateBody", "validateField", "describeFields", "rulesVersion", "formatUtc"]) {
    assert.match(glue, new RegExp(`export function ${name}\\(`), name);
  }
});
