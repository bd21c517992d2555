// A second commune in the browser, as a province would start one: the system administrator
// activates it and is led on to create its first admin; with two communes active, signing up
// from Minh Hợp's home page still registers in Minh Hợp; the new admin's "today" board shows
// the setup checklist, and one button copies the standard commune-level procedures into the
// empty catalogue (a message says what happened and what to check next); taking a commune
// offline asks first. Screenshots at 360 px.
//
// This test runs its own server (target/release/xaso, or XASO_BIN): a second active commune
// and a commune taken offline would change what the other tests see on the shared server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newContext, MOBILE, artifact, assertNoSideScroll, assertTapTargets, axeBlocking,
  describeAxe, freshPassword, freshPhone, freshName, signIn, COMMUNE_CODE as C,
} from './helpers.mjs';
import { ownServer } from './own-server.mjs';

const NEW = '02269';
let own;
let browser;
const sys = { phone: freshPhone(), password: freshPassword() };
const admin = { phone: freshPhone(), password: freshPassword(), name: freshName() };

before(async () => {
  own = await ownServer('xaso-new-commune-');
  own.cli(['user', 'create', '--phone', sys.phone, '--name', 'Quản Trị Tỉnh', '--role', 'system_admin'],
    { XASO_PASSWORD: sys.password });
  await own.start();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await own?.close();
});

async function checkPage(page, what) {
  await assertNoSideScroll(page, what);
  await assertTapTargets(page, what);
  const blocking = await axeBlocking(page, what);
  assert.equal(blocking.length, 0, describeAxe(blocking));
}

test('a new commune: activated, its first admin, sign-up stays home, standard procedures, offline only when confirmed', async () => {
  const context = await newContext(browser, MOBILE, { baseURL: own.base });
  const page = await context.newPage();
  try {
    // The system administrator activates the commune and is led on to its first admin.
    await signIn(page, sys.phone, sys.password);
    await page.goto('/admin');
    await page.fill('#code', NEW);
    await page.locator('form[action="/admin/communes"] button').click();
    await page.waitForURL((u) => new URL(u).searchParams.get('activated') === NEW);
    const adminForm = page.locator(`form[action="/admin/communes/${NEW}/admin"]`);
    await adminForm.waitFor();
    await page.screenshot({ path: artifact('new-commune-activated-360.png'), fullPage: true });
    await checkPage(page, 'the activation confirmation');
    await page.fill('#a-name', admin.name);
    await page.fill('#a-phone', admin.phone);
    await page.fill('#a-pw', admin.password);
    await adminForm.locator('button').click();
    await page.waitForURL((u) => new URL(u).searchParams.get('admin_made') === NEW);
    assert.equal(await page.locator('.flash').count(), 1, 'a message says the admin was made');

    // Taking it offline asks first; "Không" leaves it serving.
    await page.locator(`a[href="/admin/communes/${NEW}/deactivate"]`).click();
    await page.waitForURL((u) => new URL(u).pathname === `/admin/communes/${NEW}/deactivate`);
    await page.screenshot({ path: artifact('new-commune-deactivate-ask-360.png'), fullPage: true });
    await page.locator('main a.button.ghost[href="/admin"]').click();
    await page.waitForURL((u) => new URL(u).pathname === '/admin');
    assert.equal((await fetch(`${own.base}/c/${NEW}`)).status, 200, 'still serving');
    await context.clearCookies();

    // With two communes active, signing up from Minh Hợp's home page stays in Minh Hợp.
    await page.goto(`/c/${C}`);
    await page.locator('header a.cta').click();
    await page.waitForURL((u) => new URL(u).pathname === '/register');
    assert.equal(await page.locator('#commune_code').inputValue(), C);
    const codes = await page.locator('#commune_code option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(codes.includes(NEW), `both communes are offered: ${codes}`);

    // The new admin: the checklist first, then one button fills the empty catalogue.
    await signIn(page, admin.phone, admin.password);
    await page.goto(`/c/${NEW}/office`);
    const progress = await page.locator('.setup .progress-label').textContent();
    assert.match(progress, /^0\//, `nothing is set up yet: ${progress}`);
    await page.screenshot({ path: artifact('new-commune-checklist-360.png'), fullPage: true });
    await checkPage(page, 'the new commune\'s checklist');
    await page.locator(`.checklist a[href="/c/${NEW}/office/procedures"]`).click();
    await page.waitForURL((u) => new URL(u).pathname === `/c/${NEW}/office/procedures`);
    await page.getByText('Xã chưa có thủ tục nào').waitFor();
    await page.screenshot({ path: artifact('new-commune-procedures-empty-360.png'), fullPage: true });
    await checkPage(page, 'the empty catalogue');
    await page.getByRole('button', { name: 'Sao chép bộ thủ tục chuẩn' }).click();
    await page.locator('.flash').waitFor();
    const flash = await page.locator('.flash').textContent();
    assert.match(flash, /Đã thêm \d+ thủ tục chuẩn/, flash);
    const rows = await page.locator('table.stack tbody tr').count();
    assert.ok(rows >= 5, `the catalogue has the standard set: ${rows}`);
    assert.equal(await page.getByRole('button', { name: 'Sao chép bộ thủ tục chuẩn' }).count(), 0);
    await page.screenshot({ path: artifact('new-commune-procedures-copied-360.png'), fullPage: true });
    await page.goto(`/c/${NEW}/office`);
    assert.equal(
      await page.locator(`.checklist li.done`).filter({ hasText: 'thủ tục' }).count(), 1,
      'the procedures step is ticked',
    );
    // Citizens of the new commune find the procedures.
    await page.goto(`/c/${NEW}/services`);
    await page.getByText('Đăng ký khai sinh').first().waitFor();
  } finally {
    await context.close();
  }
});
