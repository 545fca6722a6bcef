// Shared by the page's end-to-end tests: the real tokenbatch binary on a fresh SQLite file seeded with
// `tokenbatch demo`, Debian's Chromium driven by playwright-core, and a plain SQL view of the database.

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ARTIFACTS = join(REPO, "target", "web-artifacts");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** The flags this machine's closed network needs (no background connections, no first-run work). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

/**
 * The binary scripts/test-web.sh builds; a missing one fails the tests rather than skipping them. `"release"`: the
 * optimized build (TOKENBATCH_RELEASE_BIN), which the timed tests run, as an operator does.
 * @param {"debug" | "release"} [build]
 */
export function binaryPath(build = "debug") {
  const path =
    build === "release"
      ? (process.env.TOKENBATCH_RELEASE_BIN ?? join(REPO, "target", "release", "tokenbatch"))
      : (process.env.TOKENBATCH_BIN ?? join(REPO, "target", "debug", "tokenbatch"));
  if (!existsSync(path)) {
    const command = build === "release" ? "cargo build --release -p tokenbatch" : "cargo build -p tokenbatch";
    throw new Error(`tokenbatch binary not found at ${path}: run '${command}' (scripts/test-web.sh does)`);
  }
  return path;
}

export function requireChromium() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: run 'bash .ci/setup-web.sh' (apt-get install chromium)`);
  }
}

/**
 * `tokenbatch demo` on a new file: the demo user (id, access token) and 50 tokens, ids 840-889.
 * @param {string} database
 * @param {"debug" | "release"} [build]
 */
export function seedDemo(database, build = "debug") {
  const output = execFileSync(binaryPath(build), ["demo", "--sqlite", database], {
    encoding: "utf8",
    env: { ...process.env, RUST_LOG: "warn" },
  });
  const userId = output.match(/user id:\s+(\d+)/)?.[1];
  const accessToken = output.match(/access token:\s+(\S+)/)?.[1];
  if (!userId || !accessToken) throw new Error(`unexpected demo output:\n${output}`);
  return { userId, accessToken };
}

/**
 * `tokenbatch serve` on 127.0.0.1:0; resolves once it logs its "ready on http://ADDR" line.
 * @param {string} database
 * @param {"debug" | "release"} [build]
 */
export function startServer(database, build = "debug") {
  const child = spawn(binaryPath(build), ["serve", "--sqlite", database, "--listen", "127.0.0.1:0"], {
    env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tokenbatch did not report ready within 20 s:\n${log}`));
    }, 20_000);
    const onData = (chunk) => {
      log += chunk;
      const address = log.match(/ready on http:\/\/(\S+)/)?.[1];
      if (address) {
        clearTimeout(timer);
        resolvePromise({
          url: `http://${address}`,
          log: () => log,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done();
              child.once("exit", () => done());
              child.kill("SIGTERM");
            }),
        });
      }
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`tokenbatch exited with ${code} before it was ready:\n${log}`));
    });
  });
}

/** Rows as objects, straight from the file with Debian's sqlite3 (independent of the server's code). */
export function sql(database, query) {
  const text = execFileSync("sqlite3", ["-json", database, query], { encoding: "utf8" });
  return text.trim() ? JSON.parse(text) : [];
}

/** The server's answer to one call, envelope and HTTP status, with the given identity. */
export async function api(server, session, method, path, body) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${session.accessToken}`,
      "New-Api-User": session.userId,
      "Content-Type": "application/json",
    },
    body,
  });
  return { status: response.status, envelope: await response.json() };
}

/**
 * A fresh database, server and browser for one test file. `seed(database, session)`: more rows written with
 * sqlite3 after the demo's and before the server starts (a large account seeded in one statement). `build`: which
 * tokenbatch binary serves (binaryPath), the debug one unless asked.
 * @param {{ seed?: (database: string, session: { userId: string, accessToken: string }) => void, build?: "debug" | "release" }} [options]
 */
export async function setUp({ seed, build } = {}) {
  requireChromium();
  const dir = mkdtempSync(join(tmpdir(), "tokenbatch-web-"));
  const database = join(dir, "tokenbatch.db");
  const session = seedDemo(database, build);
  seed?.(database, session);
  const server = await startServer(database, build);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    dir,
    database,
    session,
    server,
    browser,
    async tearDown() {
      await browser.close();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * TOKENBATCH_WEB_DIR: a directory whose page files (index.html, *.js, style.css; not pkg/) the browser gets
 * instead of the copies embedded in the binary, to run these tests against another version of the page (the
 * previous commit's, to see a new test fail) without rebuilding. Unset, the binary serves everything.
 */
const WEB_DIR = process.env.TOKENBATCH_WEB_DIR;
const WEB_TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };

async function servePageFrom(context, server, dir) {
  await context.route(`${server.url}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = join(dir, path === "/" ? "index.html" : path.slice(1));
    if (path.startsWith("/api/") || path.startsWith("/pkg/") || !WEB_TYPES[extname(file)] || !existsSync(file)) {
      return route.continue();
    }
    await route.fulfill({ status: 200, contentType: WEB_TYPES[extname(file)], body: readFileSync(file) });
  });
}

/** A new browser context (its own sessionStorage) on the page, with page errors collected. */
export async function openPage(env, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await env.browser.newContext({ viewport });
  if (WEB_DIR) await servePageFrom(context, env.server, WEB_DIR);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(`${env.server.url}/`);
  await page.waitForSelector("#app[data-ready=true]");
  return { page, context, errors };
}

export async function signIn(page, session) {
  await page.fill("#user-id", session.userId);
  await page.fill("#access-token", session.accessToken);
  await page.click("#sign-in-button");
  await page.waitForSelector("#token-table tbody tr[data-id]");
}

/** [`openPage`] in English, signed in as the test's own user: the start of most tests. */
export async function openSignedIn(env, options) {
  const opened = await openPage(env, options);
  await opened.page.selectOption("#lang", "en");
  await signIn(opened.page, env.session);
  return opened;
}

/** Searches by name and waits until the table shows the answer. */
export async function searchByName(page, keyword) {
  await page.fill("#search-keyword", keyword);
  await page.click("#search-submit");
  await page.waitForFunction(
    (word) =>
      document.querySelector("#page-info").textContent.length > 0 &&
      /** @type {HTMLInputElement} */ (document.querySelector("#search-keyword")).value === word,
    keyword,
  );
  await page.waitForSelector("#tokens-busy", { state: "hidden" });
}

/**
 * A new page signed in (English) with the tokens whose name matches `pattern` all selected, row by row (on a
 * phone the table is cards, without the header's checkbox).
 */
export async function selectedByName(env, pattern, options) {
  const opened = await openPage(env, options);
  await opened.page.selectOption("#lang", "en");
  await signIn(opened.page, env.session);
  await searchByName(opened.page, pattern);
  for (const box of await opened.page.locator("#token-table tbody input.select-row").all()) await box.check();
  return opened;
}

/** Opens the Edit panel when it is closed, and adds field `name` to it when it is not there yet. */
export async function editField(page, name) {
  if (await page.isHidden("#batch")) await page.click("#edit-open");
  if (await page.isHidden(`#field-${name}`)) {
    await page.selectOption("#add-field", name);
    await page.click("#add-field-button");
  }
}

/** Whether field `name` is on the Edit panel (picked, so written by the next Preview / Apply). */
export async function isPicked(page, name) {
  return page.locator(`#field-${name}`).evaluate((box) => !box.hidden);
}

/** The texts shown beside a field, by kind ("error" or "warning"). */
export async function fieldMessages(page, field, kind = "error") {
  return page.locator(`#messages-${field} li.${kind}`).allTextContents();
}

/** Whether `request` is a batch call: a Preview (`validate_only=true`) when `dryRun`, an Apply otherwise. */
export function isBatch(request, dryRun) {
  const url = new URL(request.url());
  return request.method() === "PUT" && url.pathname === "/api/token/batch" && (url.searchParams.get("validate_only") === "true") === dryRun;
}

/** Waits until `button` has its own label back: the call it started is over and its answer shown. */
async function settled(page, button, label) {
  await page.waitForFunction(([id, text]) => document.getElementById(id).textContent === text, [button, label]);
}

/** Clicks Preview and waits for its answer (or failure) on screen. */
export async function preview(page) {
  const label = await page.textContent("#preview");
  await Promise.all([page.waitForRequest((request) => isBatch(request, true)), page.click("#preview")]);
  await settled(page, "preview", label);
}

/** Clicks Apply, confirms in the dialog, and waits for the answer (or failure) on screen. */
export async function applyConfirmed(page) {
  const label = await page.textContent("#apply");
  await page.click("#apply");
  await page.waitForSelector("#confirm-dialog[open]");
  await Promise.all([page.waitForRequest((request) => isBatch(request, false)), page.click("#confirm-apply")]);
  await settled(page, "apply", label);
}

/** Preview, then Apply confirmed: what a user does to write a batch. */
export async function previewAndApply(page) {
  await preview(page);
  await applyConfirmed(page);
}

/** axe-core's browser build, evaluated in the page (the page's CSP refuses an inline script tag, rightly). */
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core's serious and critical violations on the page as it is now: rule, impact, help and the targets.
 * @returns {Promise<{ id: string, impact: string, help: string, targets: string[] }[]>}
 */
export async function seriousViolations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    // @ts-ignore: axe is the script just injected
    const results = await window.axe.run(document, { resultTypes: ["violations"] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((node) => node.target.join(" ")),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** 70 extra tokens of the demo user named "planbulk-001"… in group vip, for a plan longer than one page. */
export const CONSOLE_BULK = { first: 2001, count: 70 };

/**
 * The console's tests' own tokens (filter.test.mjs, table.test.mjs, plan.test.mjs), written after setUp: 990
 * "my-web-token" and 991 "web_100!x" for name and key search, and CONSOLE_BULK's tokens.
 */
export function seedConsole(env) {
  const user = env.session.userId;
  const now = Math.floor(Date.now() / 1000);
  sql(
    env.database,
    `INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     VALUES (990, ${user}, 'mywebtokenkey990abc', 1, 'my-web-token', ${now}, 0, -1, 0, 0, 0, '', '', 0, 'default'),
            (991, ${user}, 'percentkey991abcdef', 1, 'web_100!x', ${now}, 0, -1, 0, 0, 0, '', '', 0, 'default');
     WITH RECURSIVE seq(i) AS (SELECT ${CONSOLE_BULK.first} UNION ALL SELECT i + 1 FROM seq WHERE i < ${CONSOLE_BULK.first + CONSOLE_BULK.count - 1})
     INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
       unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, "group")
     SELECT i, ${user}, 'planbulkkey' || i, 1, 'planbulk-' || printf('%03d', i - ${CONSOLE_BULK.first - 1}), ${now}, 0, -1,
       500000, 0, 0, '', '', 0, 'vip' FROM seq;`,
  );
}

/** How many tokens not deleted match the SQL condition `where`. */
export function countTokens(database, where) {
  return sql(database, `SELECT COUNT(*) AS n FROM tokens WHERE deleted_at IS NULL AND ${where}`)[0].n;
}

/** Applies the filter panel and waits until the table shows its answer; resolves to the list call's URL. */
export async function applyFilter(page) {
  const [request] = await Promise.all([
    page.waitForRequest((r) => new URL(r.url()).pathname === "/api/token/" && r.method() === "GET"),
    page.click("#filter-apply"),
  ]);
  await page.waitForSelector("#tokens-busy", { state: "hidden" });
  await page.waitForFunction(() => document.querySelector("#page-info").textContent.length > 0);
  return new URL(request.url());
}

/** The total the pager shows ("… of N tokens"). */
export async function shownTotal(page) {
  const text = await page.textContent("#page-info");
  return Number(/(\d+)\D*$/.exec(text.replace(/,/g, ""))?.[1]);
}
