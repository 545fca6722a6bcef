// In headless Chromium (Debian's, driven by playwright-core), a page on another origin uses
// @connectrpc/connect-web over gRPC-Web to list the caller's tokens and batch-update them: the server must
// answer gRPC-Web and allow that origin when told to (--cors-allow-origin), and refuse it by default.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";

import { build } from "esbuild";
import { chromium } from "playwright-core";

import { CHROMIUM, CHROMIUM_ARGS } from "../../web/harness.mjs";
import { REPO, generatedModules, getJson, startSeededServer } from "./harness.mjs";

const PAGE_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "web");
const ARTIFACTS = join(REPO, "target", "clients-artifacts");

let site;
let siteDirectory;
let browser;

/** The page and its bundle, served by a plain static server on a port (an origin) of its own. */
async function serveSite() {
  siteDirectory = mkdtempSync(join(tmpdir(), "tokenbatch-grpc-web-"));
  await build({
    entryPoints: [join(PAGE_SOURCE, "app.js")],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outfile: join(siteDirectory, "app.js"),
    logLevel: "error",
  });
  const files = {
    "/": ["text/html; charset=utf-8", readFileSync(join(PAGE_SOURCE, "index.html"))],
    "/app.js": ["text/javascript; charset=utf-8", readFileSync(join(siteDirectory, "app.js"))],
  };
  const server = createServer((request, response) => {
    const file = files[new URL(request.url, "http://x").pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": file[0] }).end(file[1]);
  });
  await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (bash .ci/setup-web.sh)`);
  }
  await generatedModules();
  site = await serveSite();
  // playwright-core gives the browser a fresh, empty profile of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  site?.close();
  if (siteDirectory) rmSync(siteDirectory, { recursive: true, force: true });
});

async function openPage(server) {
  const page = await browser.newPage();
  const query = new URLSearchParams({ server: server.url, user: server.userId, token: server.accessToken });
  await page.goto(`${site.origin}/?${query}`);
  return page;
}

test("the page lists and batch-updates tokens over gRPC-Web from an allowed origin", async () => {
  const server = await startSeededServer(["--cors-allow-origin", site.origin]);
  try {
    const page = await openPage(server);
    await page.waitForSelector("#tokens tr");
    assert.equal(await page.textContent("#state"), "50 tokens");
    const ids = await page.$$eval("#tokens tr", (rows) => rows.map((row) => row.dataset.id));
    assert.deepEqual(ids.slice(0, 3), ["889", "888", "887"]);
    assert.equal(ids.length, 10);

    await page.fill("#ids", "873, 869");
    await page.fill("#group", "default");
    await page.click("#apply");
    await page.waitForFunction(() => document.getElementById("result").textContent !== "");
    assert.equal(await page.textContent("#result"), "changed 2, unchanged 0");
    for (const id of [869, 873]) {
      assert.equal((await getJson(server, `/api/token/${id}`)).data.group, "default");
    }

    await page.fill("#ids", "");
    await page.click("#apply");
    await page.waitForFunction(() => document.getElementById("error").textContent !== "");
    const error = await page.textContent("#error");
    assert.match(error, /^InvalidArgument: /);
    assert.match(error, /ids: ids\.empty: /, "BadRequest details read in the browser");

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "grpc-web.png"), fullPage: true });
    await page.close();
  } finally {
    await server.stop();
  }
});

test("without --cors-allow-origin the browser is refused and nothing is written", async () => {
  const server = await startSeededServer();
  try {
    const before = (await getJson(server, "/api/token/873")).data;
    const page = await openPage(server);
    await page.waitForFunction(() => document.getElementById("error").textContent !== "");
    assert.equal(await page.textContent("#state"), "cannot list tokens");
    assert.equal(await page.$$eval("#tokens tr", (rows) => rows.length), 0);

    await page.fill("#ids", "873");
    await page.fill("#group", "default");
    await page.click("#apply");
    await page.waitForTimeout(500);
    assert.equal(await page.textContent("#result"), "");
    assert.deepEqual((await getJson(server, "/api/token/873")).data, before);
    await page.close();
  } finally {
    await server.stop();
  }
});
