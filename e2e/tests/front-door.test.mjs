// The design system and the commune's front door in the browser: every main page at 360 px and
// 1366 px (screenshots saved as artifacts), no sideways scrolling, no tap target under 44 px, no
// serious axe violation, under 100 KB before photos; files that download with JavaScript on;
// emergencies first on the home page; the back office's grouped menu and "today" board.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newContext, MOBILE, artifact, assertNoSideScroll, assertTapTargets, axeBlocking,
  describeAxe, pageWeight, signIn, staffAccount, COMMUNE_CODE as C,
} from './helpers.mjs';

const WIDE = { width: 1366, height: 900 };
const PUBLIC = [
  '/', `/c/${C}`, `/c/${C}/services`, `/c/${C}/track`, `/c/${C}/feedback`, `/c/${C}/feedback/new`,
  `/c/${C}/polls`, `/c/${C}/forum`, `/c/${C}/directory`, `/c/${C}/notices`, '/login', '/register',
  '/styleguide',
];

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const shotName = (path, w) => `page${path.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '') || '-portal'}-${w}.png`;

for (const path of PUBLIC) {
  test(`${path}: readable at 360 px and 1366 px, big tap targets, no serious axe violation`, async () => {
    for (const viewport of [MOBILE, WIDE]) {
      const context = await newContext(browser, viewport);
      const page = await context.newPage();
      try {
        const res = await page.goto(path);
        assert.equal(res.status(), 200);
        await page.screenshot({ path: artifact(shotName(path, viewport.width)), fullPage: true });
        if (viewport === MOBILE) {
          await assertNoSideScroll(page, `${path} at 360 px`);
          await assertTapTargets(page, `${path} at 360 px`);
        }
        const blocking = await axeBlocking(page, `${path} (${viewport.width})`);
        assert.equal(blocking.length, 0, describeAxe(blocking));
      } finally {
        await context.close();
      }
    }
  });

  test(`${path}: under 100 KB transferred before photos`, async () => {
    const { total, parts } = await pageWeight(browser, path);
    assert.ok(total < 100 * 1024, `${path} costs ${total} bytes: ${parts.join(', ')}`);
  });
}

test('the home page: quick actions, every public room, no "coming soon", contacts', async () => {
  const context = await newContext(browser, MOBILE);
  const page = await context.newPage();
  try {
    await page.goto(`/c/${C}`);
    const quick = await page.locator('ul.quick a').evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
    for (const p of ['services', 'track', 'feedback/new', 'polls']) {
      assert.ok(quick.includes(`/c/${C}/${p}`), `quick action to ${p}: ${quick}`);
    }
    const tiles = await page.locator('ul.tiles a').evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
    for (const p of ['polls', 'forum', 'directory', 'notices', 'feedback', 'services']) {
      assert.ok(tiles.includes(`/c/${C}/${p}`), `tile for ${p}: ${tiles}`);
    }
    assert.equal(await page.getByText('Sắp ra mắt').count(), 0);
    assert.equal(await page.locator('a[href^="tel:"]').count(), 1, 'the office phone is a tap-to-call link');
    // Sign-up from here stays in this commune.
    await page.locator('header a.cta').click();
    await page.waitForURL((u) => new URL(u).pathname === '/register');
    assert.equal(await page.locator('#commune_code').inputValue(), C);
  } finally {
    await context.close();
  }
});

test('with JavaScript on, a file link downloads the file instead of filling the page', async () => {
  const context = await newContext(browser, MOBILE, { acceptDownloads: true });
  const page = await context.newPage();
  try {
    await page.goto(`/c/${C}/notices`);
    await page.waitForFunction(() => window.htmx !== undefined);
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      page.locator(`a[href="/c/${C}/events.ics"]`).first().click(),
    ]);
    assert.match(download.suggestedFilename(), /\.ics$/);
    assert.equal(await page.locator('body').textContent().then((t) => t.includes('BEGIN:VCALENDAR')), false,
      'the calendar\'s bytes are not swapped into the page');
  } finally {
    await context.close();
  }
});

test('the back office: grouped menu on a phone, sidebar on a desktop, today\'s work first', async () => {
  const official = staffAccount('official');
  for (const viewport of [MOBILE, WIDE]) {
    const context = await newContext(browser, viewport);
    const page = await context.newPage();
    try {
      await signIn(page, official.phone, official.password);
      const res = await page.goto(`/c/${C}/office`);
      assert.equal(res.status(), 200);
      await page.screenshot({ path: artifact(`page-office-${viewport.width}.png`), fullPage: true });
      assert.equal((await page.locator('main h1').textContent()).trim(), 'Việc hôm nay');
      assert.ok(await page.locator('ul.today a').count() > 0, 'the official sees counted work');
      if (viewport === MOBILE) {
        assert.equal(await page.locator('.office-side').isVisible(), false);
        assert.equal(await page.locator('.office-menu').isVisible(), true);
        await page.locator('.office-menu summary').click();
        assert.ok(await page.locator('.office-menu .office-group').count() >= 2, 'links grouped by task');
        await assertNoSideScroll(page, 'office at 360 px');
        await assertTapTargets(page, 'office at 360 px');
      } else {
        assert.equal(await page.locator('.office-side').isVisible(), true, 'a sidebar on desktop');
        assert.equal(await page.locator('.office-menu').isVisible(), false);
      }
      const blocking = await axeBlocking(page, `office (${viewport.width})`);
      assert.equal(blocking.length, 0, describeAxe(blocking));
    } finally {
      await context.close();
    }
  }
});
