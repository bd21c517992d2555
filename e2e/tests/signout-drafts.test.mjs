// Sign-out on a shared phone: with offline drafts of this person on the phone, "Đăng xuất"
// asks first; "Ở lại" keeps them signed in, "Xoá bản nháp và đăng xuất" forgets only their
// drafts (another person's stay), and with no drafts left sign-out asks nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newContext, registerCitizen, signIn, watchPage, artifact, MOBILE,
} from './helpers.mjs';

const DRAFTS = 'xaso.drafts.v1'; // as static/drafts.js keeps them

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** The drafts on this phone, as [owner, id] pairs. */
const drafts = (page) => page.evaluate((key) =>
  JSON.parse(localStorage.getItem(key) || '[]').map((d) => [d.owner, d.id]), DRAFTS);

test('sign-out offers to clear the person\'s offline drafts, and only theirs', async (t) => {
  const context = await newContext(browser, MOBILE);
  const page = await context.newPage();
  const problems = watchPage(page);
  try {
    const who = await registerCitizen(page);
    const owner = await page.locator('form[data-signout]').getAttribute('data-signout');
    assert.match(owner, /^u\d+$/, 'the sign-out form names the signed-in person');
    // Two drafts of theirs and one of someone else who used the phone before.
    await page.evaluate(([key, me]) => {
      const d = (id, owner) => ({ id, owner, path: '/c/17071/feedback/new', kind: 'feedback', fields: [], savedAt: new Date().toISOString(), hadFiles: false, kept: 0 });
      localStorage.setItem(key, JSON.stringify([d('a1', me), d('a2', me), d('b1', 'u999999')]));
    }, [DRAFTS, owner]);

    const signOut = page.getByRole('button', { name: 'Đăng xuất' });
    const dialog = page.locator('dialog[data-signout-drafts]');

    await t.test('"Ở lại" keeps the person signed in with their drafts', async () => {
      await signOut.click();
      await dialog.waitFor();
      assert.equal(await dialog.getAttribute('data-signout-drafts'), '2');
      assert.match(await dialog.textContent(), /2 bản nháp/);
      // In the middle of a 360-px phone, with buttons big enough to tap.
      const box = await dialog.boundingBox();
      assert.ok(Math.abs(box.x + box.width / 2 - MOBILE.width / 2) <= 2, `centred: ${JSON.stringify(box)}`);
      for (const b of await dialog.getByRole('button').all()) {
        assert.ok((await b.boundingBox()).height >= 44, `tap target: ${await b.textContent()}`);
      }
      await page.screenshot({ path: artifact('signout-drafts.png') });
      await dialog.getByRole('button', { name: 'Ở lại' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.locator('header a[href="/me"]').waitFor();
      assert.equal((await drafts(page)).length, 3);
    });

    await t.test('"Xoá bản nháp và đăng xuất" forgets only theirs and signs out', async () => {
      await signOut.click();
      await dialog.getByRole('button', { name: 'Xoá bản nháp và đăng xuất' }).click();
      await page.locator('header a[href="/login"]').waitFor();
      assert.equal(await page.locator('header a[href="/me"]').count(), 0);
      const cookies = await context.cookies();
      assert.ok(!cookies.some((c) => c.name === 'xaso_session' && c.value), 'session cookie cleared');
      assert.deepEqual(await drafts(page), [['u999999', 'b1']]);
    });

    await t.test('with no drafts of theirs, sign-out asks nothing', async () => {
      await signIn(page, who.phone, who.password);
      await signOut.click();
      await page.locator('header a[href="/login"]').waitFor();
      assert.equal(await dialog.count(), 0);
    });

    assert.deepEqual(problems, [], 'no console errors or failed requests');
  } finally {
    await context.close();
  }
});
