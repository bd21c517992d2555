// VietQR fee payment against the running server: a citizen submits "Cấp giấy xác nhận tình
// trạng hôn nhân" (HT-04, fee 15.000 ₫) in the browser; the dossier page shows the code as an
// inline SVG; the public API's payment code and its PNG are then checked by the independent
// validator in e2e/vietqr (vietnam-qr-pay for the payload, jsQR for the image), and so is a
// screenshot of the SVG the citizen actually sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  launch, newContext, registerCitizen, tempDir, writePng, artifact, watchPage,
  E2E_DIR, COMMUNE_CODE, MOBILE,
} from './helpers.mjs';

const C = COMMUNE_CODE;
const CHECK = join(E2E_DIR, 'vietqr', 'check.mjs');
const FEE = 15000;

let browser;
let dir;
before(async () => {
  browser = await launch();
  dir = tempDir('xaso-vietqr-');
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs e2e/vietqr/check.mjs; returns its exit code and what it printed. */
function check(args) {
  assert.ok(existsSync(join(E2E_DIR, 'vietqr', 'node_modules', 'jsqr')),
    'e2e/vietqr/node_modules missing: run `npm ci` in e2e/vietqr (e2e/run.sh does)');
  const r = spawnSync(process.execPath, [CHECK, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

test('VietQR of a live dossier: inline SVG on the page; API payload and PNG pass the independent check', async (t) => {
  const context = await newContext(browser, MOBILE);
  const page = await context.newPage();
  const problems = watchPage(page);
  let who;
  let receipt;
  let code;

  try {
    await t.test('citizen submits HT-04 with its one document', async () => {
      who = await registerCitizen(page);
      await page.goto(`/c/${C}/services`);
      await page.getByRole('link', { name: 'Cấp giấy xác nhận tình trạng hôn nhân', exact: true }).click();
      await page.waitForURL((u) => /^\/c\/\d+\/services\/\d+$/.test(new URL(u).pathname));
      await page.waitForLoadState('load');
      assert.equal((await page.locator('main h1').textContent()).trim(), 'Cấp giấy xác nhận tình trạng hôn nhân');
      assert.match(await page.locator('dl.stats').textContent(), /15\.000 ₫/, 'fee shown before submitting');
      assert.equal(await page.locator('form input[type="file"][required]').count(), 1, 'one required document');

      await page.getByLabel('Mục đích sử dụng *', { exact: true }).fill('Bổ sung hồ sơ xin việc');
      await page.getByLabel('Tờ khai cấp giấy xác nhận tình trạng hôn nhân *')
        .setInputFiles(writePng(dir, 'to-khai-hon-nhan.png', [240, 240, 230]));
      const [post] = await Promise.all([
        page.waitForResponse((r) => /^\/c\/\d+\/services\/\d+$/.test(new URL(r.url()).pathname)
          && r.request().method() === 'POST'),
        page.getByRole('button', { name: 'Gửi hồ sơ' }).click(),
      ]);
      assert.ok(post.status() < 400, `submitting answered ${post.status()}`);
      await page.waitForURL((u) => new URL(u).pathname.startsWith(`/c/${C}/dossiers/`), { timeout: 10_000 });
      await page.waitForLoadState('load');
      receipt = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
      assert.equal((await page.locator('.receipt').textContent()).trim(), receipt);
    });

    await t.test('the dossier page shows the fee and an inline SVG QR code', async () => {
      assert.ok(receipt, 'submitted');
      await page.getByRole('heading', { name: 'Thanh toán lệ phí' }).waitFor();
      const qr = page.getByRole('img', { name: 'Mã VietQR thanh toán lệ phí' });
      await qr.waitFor();
      assert.equal(await qr.locator('svg').count(), 1, 'the QR is an inline <svg>, not an <img>');
      const box = await qr.locator('svg').boundingBox();
      assert.ok(box && box.width >= 150 && box.height >= 150, `QR large enough to scan: ${JSON.stringify(box)}`);
      assert.match(await page.locator('main').textContent(), /Agribank/, 'the bank by its name (issue 11, item 6)');
      assert.doesNotMatch(await page.locator('main').textContent(), /970405/, 'not by its NAPAS code');
      assert.match(await page.locator('dl.facts-list').textContent(), /15\.000 ₫/);
      await page.getByRole('link', { name: 'Tải ảnh mã QR' }).waitFor();
      await page.screenshot({ path: artifact('vietqr-dossier.png'), fullPage: true });
      // The citizen's eye view of the code, for the independent decoder below.
      await qr.screenshot({ path: join(dir, 'inline-svg.png') });
    });

    await t.test('GET /api/v1/payment-code answers the payload and a PNG', async () => {
      assert.ok(receipt, 'submitted');
      const api = await context.request.get(`/api/v1/payment-code?receipt=${encodeURIComponent(receipt)}&phone=${who.phone}`);
      assert.equal(api.status(), 200, `payment-code answered ${api.status()}: ${await api.text()}`);
      code = await api.json();
      assert.equal(code.amount_vnd, FEE);
      assert.equal(code.bank_bin, '970405', 'the demo commune banks with Agribank (970405)');
      assert.match(code.account_number, /^\d{6,19}$/);
      assert.match(code.payload, /^000201/, 'EMVCo payload');
      assert.ok(code.png_url, 'png_url');
      writeFileSync(join(dir, 'payload.txt'), code.payload);

      const png = await context.request.get(code.png_url);
      assert.equal(png.status(), 200);
      assert.equal(png.headers()['content-type'], 'image/png');
      const bytes = await png.body();
      assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'PNG signature');
      writeFileSync(join(dir, 'qr.png'), bytes);
    });

    await t.test('e2e/vietqr/check.mjs accepts the API payload and PNG', async () => {
      assert.ok(code, 'payment code fetched');
      const r = check([
        '--payload', join(dir, 'payload.txt'), '--png', join(dir, 'qr.png'),
        '--bin', code.bank_bin, '--account', code.account_number,
        '--amount', String(FEE), '--purpose-contains', receipt,
      ]);
      console.log(r.out);
      assert.equal(r.status, 0, `check.mjs failed:\n${r.out}`);
    });

    await t.test('e2e/vietqr/check.mjs reads the same payload from the inline SVG on the page', async () => {
      assert.ok(code, 'payment code fetched');
      const r = check([
        '--payload', join(dir, 'payload.txt'), '--png', join(dir, 'inline-svg.png'),
        '--bin', code.bank_bin, '--account', code.account_number,
        '--amount', String(FEE), '--purpose-contains', receipt,
      ]);
      console.log(r.out);
      assert.equal(r.status, 0, `check.mjs failed on the page's SVG:\n${r.out}`);
    });

    await t.test('the payment code is refused with the wrong phone', async () => {
      assert.ok(receipt, 'submitted');
      const anon = await newContext(browser);
      try {
        const wrong = who.phone.slice(0, -1) + String((Number(who.phone.at(-1)) + 1) % 10);
        const r = await anon.request.get(`/api/v1/payment-code?receipt=${encodeURIComponent(receipt)}&phone=${wrong}`);
        assert.equal(r.status(), 404, 'another phone does not get the code');
      } finally {
        await anon.close();
      }
    });

    assert.deepEqual(problems, [], 'no script errors or failed requests');
  } finally {
    await context.close();
  }
});
