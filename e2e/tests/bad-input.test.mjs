// Registering with a malformed phone number: the server answers 422 with the form and a
// Vietnamese message, the person stays on the form with what they typed, nobody is signed in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, newContext, freshPassword, freshName, artifact, MOBILE } from './helpers.mjs';

const MESSAGE = 'Số điện thoại di động không hợp lệ';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function submitBadPhone(page) {
  await page.goto('/register');
  const name = freshName();
  await page.fill('#full_name', name);
  await page.fill('#phone', '12345');
  await page.fill('#password', freshPassword());
  const [post] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/register' && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Đăng ký' }).click(),
  ]);
  return { post, name };
}

async function assertShowsError(page, context, post, name) {
  assert.equal(post.status(), 422, 'POST /register answers 422 Unprocessable Entity');
  assert.match(await post.text(), new RegExp(MESSAGE), 'the 422 body carries the Vietnamese message');
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 5_000 });
  assert.match(await alert.textContent(), new RegExp(MESSAGE));
  assert.equal(new URL(page.url()).pathname, '/register', 'still on the form');
  assert.equal(await page.locator('#phone').getAttribute('aria-invalid'), 'true', 'phone field marked invalid');
  assert.equal(await page.locator('#phone').inputValue(), '12345', 'what was typed is kept');
  assert.equal(await page.locator('#full_name').inputValue(), name);
  assert.equal(await page.locator('header a[href="/me"]').count(), 0, 'nobody signed in');
  assert.equal(await page.locator('header a[href="/login"]').count(), 1);
  const cookies = await context.cookies();
  assert.ok(!cookies.some((c) => c.name === 'xaso_session' && c.value), 'no session cookie');
}

test('invalid phone shows the Vietnamese error (plain HTML form, no JavaScript)', async () => {
  const context = await newContext(browser, MOBILE, { javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    const { post, name } = await submitBadPhone(page);
    await page.waitForLoadState('load');
    await assertShowsError(page, context, post, name);
  } finally {
    await context.close();
  }
});

test('invalid phone shows the Vietnamese error (with JavaScript: htmx-boosted form)', async () => {
  const context = await newContext(browser, MOBILE);
  const page = await context.newPage();
  try {
    const { post, name } = await submitBadPhone(page);
    await page.waitForTimeout(500); // let htmx process (or ignore) the response
    await page.screenshot({ path: artifact('register-invalid-phone.png'), fullPage: true });
    await assertShowsError(page, context, post, name);
  } finally {
    await context.close();
  }
});
