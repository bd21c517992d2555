// A citizen's first visit: register with a village, see the commune's home page with their
// name, sign out, sign back in writing the phone another way, and read the welcome message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newContext, freshPhone, freshPassword, freshName, internationalFormat,
  artifact, waitForPath, watchPage, COMMUNE_CODE, COMMUNE_NAME, MOBILE, DESKTOP,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('citizen registers, signs out, signs in again and reads the welcome message', async (t) => {
  const context = await newContext(browser, MOBILE);
  const page = await context.newPage();
  const problems = watchPage(page);
  const phone = freshPhone();
  const password = freshPassword();
  const name = freshName();
  const home = `/c/${COMMUNE_CODE}`;

  try {
    await t.test('register form', async () => {
      const res = await page.goto('/register');
      assert.equal(res.status(), 200);
      assert.match(await page.title(), /Đăng ký/);
      assert.equal(await page.locator('#commune_code').inputValue(), COMMUNE_CODE);
      // Pick the first real village (the first option is "none").
      const villages = await page.locator('#village_id option').evaluateAll((os) =>
        os.map((o) => ({ value: o.value, label: o.textContent.trim() })).filter((o) => o.value));
      assert.ok(villages.length > 0, 'the demo commune offers villages to choose from');
      await page.selectOption('#village_id', villages[0].value);
      await page.fill('#full_name', name);
      await page.fill('#phone', phone);
      await page.fill('#password', password);
      await page.screenshot({ path: artifact('register.png'), fullPage: true });

      const [post] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/register' && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Đăng ký' }).click(),
      ]);
      // The 303 is followed by the browser (or htmx's XHR); the POST itself must not be an error.
      assert.ok(post.status() < 400, `POST /register answered ${post.status()}`);
      await waitForPath(page, home);
    });

    await t.test('home page shows the commune and the signed-in citizen', async () => {
      assert.match(await page.title(), new RegExp(COMMUNE_NAME));
      await page.locator('header.top').getByText(COMMUNE_NAME).first().waitFor();
      const meLink = page.locator('header a[href="/me"]');
      await meLink.waitFor();
      assert.equal((await meLink.textContent()).trim(), name);
      assert.equal(await page.locator('header a[href="/inbox"]').count(), 1, 'inbox link in the header');
      assert.equal(await page.getByRole('button', { name: 'Đăng xuất' }).count(), 1);
      const cookies = await context.cookies();
      assert.ok(cookies.some((c) => c.name === 'xaso_session' && c.value), 'session cookie set');
      // The welcome message arrives within a couple of seconds: wait for the unread badge.
      let badge = 0;
      for (let i = 0; i < 10 && badge === 0; i++) {
        await page.waitForTimeout(500);
        await page.reload();
        badge = await page.locator('header a[href="/inbox"] .badge').count();
      }
      assert.equal(badge, 1, 'unread badge on the inbox link');
      await page.screenshot({ path: artifact('home-citizen.png'), fullPage: true });
      await page.setViewportSize(DESKTOP);
      await page.screenshot({ path: artifact('home-citizen-desktop.png') });
      await page.setViewportSize(MOBILE);
    });

    await t.test('sign out', async () => {
      await page.getByRole('button', { name: 'Đăng xuất' }).click();
      await page.waitForFunction(() => !document.querySelector('header a[href="/me"]'));
      await page.locator('header a[href="/login"]').waitFor();
      const cookies = await context.cookies();
      assert.ok(!cookies.some((c) => c.name === 'xaso_session' && c.value), 'session cookie cleared');
    });

    await t.test('sign in with the phone written as +84', async () => {
      await page.goto('/login');
      await page.fill('#phone', internationalFormat(phone));
      await page.fill('#password', password);
      const [post] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/login' && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Đăng nhập' }).click(),
      ]);
      assert.ok(post.status() < 400, `POST /login answered ${post.status()}`);
      await waitForPath(page, home);
      assert.match(await page.title(), new RegExp(COMMUNE_NAME));
      assert.equal((await page.locator('header a[href="/me"]').textContent()).trim(), name);
    });

    await t.test('inbox holds the welcome message', async () => {
      const want = `Chào mừng bạn đến với ${COMMUNE_NAME}`;
      let found = false;
      for (let i = 0; i < 10 && !found; i++) {
        const res = await page.goto('/inbox');
        assert.equal(res.status(), 200);
        found = (await page.locator('ul.list li').filter({ hasText: want }).count()) > 0;
        if (!found) await page.waitForTimeout(500);
      }
      assert.ok(found, `"${want}" in the inbox within 5 s`);
      await page.screenshot({ path: artifact('inbox.png'), fullPage: true });
    });

    assert.deepEqual(problems, [], 'no script errors or failed requests');
  } finally {
    await context.close();
  }
});
