// Signing in on the page, in real headless Chromium against the real tokenbatch binary: the server's 401 message
// for a wrong token, the token kept in sessionStorage only (no localStorage, no cookie), a reload staying signed
// in, sign out forgetting it.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, openPage, setUp, signIn } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
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
