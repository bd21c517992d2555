// axe-core on the public pages: no "serious" or "critical" violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, injectAxe, describeAxe, BLOCKING, MOBILE, DESKTOP } from './helpers.mjs';

const PAGES = ['/', '/login', '/register'];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const [label, viewport] of [['mobile 360', MOBILE], ['desktop 1280', DESKTOP]]) {
  for (const path of PAGES) {
    test(`axe: ${path} (${label}) has no serious or critical violations`, async () => {
      const context = await newContext(browser, viewport);
      const page = await context.newPage();
      try {
        const res = await page.goto(path);
        assert.equal(res.status(), 200);
        await injectAxe(page);
        const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
        const all = result.violations;
        if (all.length) {
          console.log(`axe on ${path} (${label}): ${all.length} violation(s)\n${describeAxe(all)}`);
        }
        const blocking = all.filter((v) => BLOCKING.has(v.impact));
        assert.equal(blocking.length, 0, `serious/critical axe violations on ${path}:\n${describeAxe(blocking)}`);
      } finally {
        await context.close();
      }
    });
  }
}
