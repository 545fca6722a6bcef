// Labels, the keyboard and a phone's width on the page, in real headless Chromium against the real tokenbatch
// binary: every control labelled (every field of the Edit panel in every mode too), fields added and filled from
// the keyboard alone, no sideways scrolling at 390×844. (axe-core's audit of every screen: a11y.test.mjs.)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ARTIFACTS, fieldMessages, openPage, setUp, signIn, editField, isPicked } from "./harness.mjs";

let env;

before(async () => {
  env = await setUp();
});

after(async () => {
  await env?.tearDown();
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
