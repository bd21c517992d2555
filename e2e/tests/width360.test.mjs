// On a 360-px-wide phone nothing should scroll sideways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, MOBILE } from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const path of ['/', '/login', '/register']) {
  test(`no horizontal scroll at 360 px on ${path}`, async () => {
    const context = await newContext(browser, MOBILE);
    const page = await context.newPage();
    try {
      const res = await page.goto(path);
      assert.equal(res.status(), 200);
      const m = await page.evaluate(() => {
        const el = document.documentElement;
        const wide = [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > el.clientWidth + 0.5)
          .slice(0, 5)
          .map((e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : ''} right=${Math.round(e.getBoundingClientRect().right)}`);
        return { scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, wide };
      });
      assert.ok(m.scrollWidth <= 360,
        `scrollWidth ${m.scrollWidth} > 360 on ${path}; widest elements: ${m.wide.join(', ')}`);
    } finally {
      await context.close();
    }
  });
}
