// The "EN" switch in the header shows the page in English, and the page must then say so
// in <html lang>, or screen readers read English text with a Vietnamese voice (WCAG 3.1.1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, MOBILE } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [label, js] of [['without JavaScript', false], ['with JavaScript (htmx boost)', true]]) {
  test(`EN switch shows English and sets <html lang="en"> (${label})`, async () => {
    const context = await newContext(browser, MOBILE, { javaScriptEnabled: js });
    const page = await context.newPage();
    try {
      await page.goto('/');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'vi');
      await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/prefs'),
        page.locator('header a[href^="/prefs?lang=en"]').click(),
      ]);
      await page.waitForLoadState('load');
      await page.locator('nav.menu a', { hasText: 'Home' }).first().waitFor({ timeout: 5_000 });
      const cookie = (await context.cookies()).find((c) => c.name === 'xaso_lang');
      assert.equal(cookie?.value, 'en', 'language cookie set');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'en',
        '<html lang> follows the language of the content');
    } finally {
      await context.close();
    }
  });
}
