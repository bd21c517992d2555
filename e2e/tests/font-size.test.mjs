// The "A+" switch in the header makes the text larger (a cookie-backed preference).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, artifact, MOBILE } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const bodyFontPx = (page) =>
  page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));

async function clickAPlus(page) {
  const link = page.locator('header a[href^="/prefs?font="]');
  assert.equal(await link.count(), 1, 'one A+ link in the header');
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/prefs'),
    link.click(),
  ]);
  await page.waitForLoadState('load');
  await page.waitForTimeout(300); // let a boosted swap settle
}

for (const [label, js] of [['without JavaScript', false], ['with JavaScript (htmx boost)', true]]) {
  test(`A+ increases the body font size (${label})`, async () => {
    const context = await newContext(browser, MOBILE, { javaScriptEnabled: js });
    const page = await context.newPage();
    try {
      await page.goto('/');
      const before = await bodyFontPx(page);
      await clickAPlus(page);
      const after = await bodyFontPx(page);
      const cookie = (await context.cookies()).find((c) => c.name === 'xaso_font');
      assert.equal(cookie?.value, '1', 'font preference cookie set to 1');
      if (js) await page.screenshot({ path: artifact('home-font-1.png'), fullPage: true });
      assert.ok(after > before,
        `body font-size should grow after A+: ${before}px → ${after}px (body class "${await page.evaluate(() => document.body.className)}")`);
      // And the preference holds on a fresh page load.
      await page.reload();
      assert.ok((await bodyFontPx(page)) > before, 'larger font persists after reload');
    } finally {
      await context.close();
    }
  });
}
