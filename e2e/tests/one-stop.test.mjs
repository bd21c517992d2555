// The one-stop shop, end to end in the browser: a citizen submits a birth registration
// (HT-01) with photos of both papers; the official accepts it, assigns it to themselves and
// finishes the work; the leader approves; the official hands back the result with a file;
// anyone with the receipt code and the phone tracks it; the citizen rates it 5 stars.
// Four separate browser contexts: citizen (360 px), official, leader, anonymous visitor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  launch, newContext, registerCitizen, signIn, staffAccount, tempDir, writePng,
  artifact, waitForPath, watchPage, COMMUNE_CODE, MOBILE, DESKTOP, assertNoSideScroll,
} from './helpers.mjs';

const C = COMMUNE_CODE;
const RECEIPT_RE = new RegExp(`^${C}-\\d{6}-[A-Z0-9]{5}$`);
const DATE_RE = /^\d{2}\/\d{2}\/\d{4}$/;

let browser;
let files;
before(async () => {
  browser = await launch();
  files = tempDir();
});
after(async () => {
  await browser?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

/** The status pill of the dossier summary (the applicant's, the tracker's or the desk's page). */
const statusPill = (page) => page.locator('dl.facts-list .pill').first();

/** The value next to a label in the dossier summary ("Hẹn trả" → "dd/mm/yyyy"). */
async function fact(page, label) {
  const dd = page.locator('dl.facts-list').first()
    .locator(`dt:text-is("${label}") + dd`);
  return (await dd.textContent()).trim();
}

/** Clicks a workflow step's button on the desk page and waits for the page to show the new status. */
async function deskStep(page, button, wantStatus) {
  const [post] = await Promise.all([
    page.waitForResponse((r) => /\/office\/dossiers\/\d+\/step$/.test(new URL(r.url()).pathname)
      && r.request().method() === 'POST'),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  assert.ok(post.status() < 400, `"${button}" answered ${post.status()}`);
  await page.waitForLoadState('load');
  const alert = page.locator('main .alert');
  await page.waitForFunction(
    ([want]) => {
      const pill = document.querySelector('dl.facts-list .pill');
      return (pill && pill.textContent.trim() === want) || document.querySelector('main .alert');
    },
    [wantStatus],
    { timeout: 10_000 },
  );
  if (await alert.count()) assert.fail(`"${button}" showed an error: ${(await alert.textContent()).trim()}`);
  assert.equal((await statusPill(page).textContent()).trim(), wantStatus, `status after "${button}"`);
}

test('one-stop: submit → accept → assign → process → approve → return → track → rate', async (t) => {
  const official = staffAccount('official');
  const leader = staffAccount('leader');

  const citizenCtx = await newContext(browser, MOBILE);
  const officialCtx = await newContext(browser, DESKTOP);
  const leaderCtx = await newContext(browser, DESKTOP);
  const anonCtx = await newContext(browser, MOBILE);
  const citizen = await citizenCtx.newPage();
  const desk = await officialCtx.newPage();
  const boss = await leaderCtx.newPage();
  const anon = await anonCtx.newPage();
  const problems = [citizen, desk, boss, anon].map(watchPage);

  // The birth date is a date picker (filled as yyyy-mm-dd), shown back as dd/mm/yyyy.
  const child = { name: 'Nguyễn Minh Khang', birth: '02/03/2025', birthInput: '2025-03-02', place: 'Trạm y tế xã Minh Hợp' };
  let who;           // the citizen
  let receipt;       // e.g. 17071-250302-K7Q2X
  let duePreview;    // appointment date announced on the form
  let dossierId;     // the desk's id of the dossier
  // Each step builds on the one before: after a failure the rest are skipped, not piled up.
  let broken = '';
  const step = (name, fn) => t.test(name, { skip: broken ? `step "${broken}" failed` : false }, async () => {
    try {
      await fn();
    } catch (e) {
      broken = name.split('.')[0];
      throw e;
    }
  });
  const dossierPath = () => `/c/${C}/dossiers/${receipt}`;
  const deskPath = () => `/c/${C}/office/dossiers/${dossierId}`;

  try {
    await step('a. citizen registers and submits "Đăng ký khai sinh" with photos of both papers', async () => {
      who = await registerCitizen(citizen);

      // From the commune's home page to the catalogue.
      await citizen.locator(`main a[href="/c/${C}/services"]`).first().click();
      await waitForPath(citizen, `/c/${C}/services`);
      assert.equal((await citizen.locator('main h1').textContent()).trim(), 'Thủ tục hành chính');

      await citizen.getByRole('link', { name: 'Đăng ký khai sinh', exact: true }).click();
      await citizen.waitForURL((u) => /^\/c\/\d+\/services\/\d+$/.test(new URL(u).pathname));
      await citizen.waitForLoadState('load');
      assert.equal((await citizen.locator('main h1').textContent()).trim(), 'Đăng ký khai sinh');
      await citizen.getByRole('heading', { name: 'Nộp hồ sơ trực tuyến' }).waitFor();
      await assertNoSideScroll(citizen, 'procedure page at 360 px');

      // What the form asks for: the two required papers and three required fields.
      const docInputs = citizen.locator('form input[type="file"][required]');
      assert.equal(await docInputs.count(), 2, 'two required documents');
      await citizen.getByLabel('Tờ khai đăng ký khai sinh *').waitFor();
      await citizen.getByLabel('Giấy chứng sinh *').waitFor();
      for (const label of ['Họ tên trẻ *', 'Ngày sinh *', 'Nơi sinh *']) {
        assert.equal(await citizen.getByLabel(label, { exact: true }).getAttribute('required'), '',
          `"${label}" is a required field`);
      }
      // Name and phone come from the account.
      assert.equal(await citizen.locator('#applicant_name').inputValue(), who.name);
      assert.equal((await citizen.locator('#applicant_phone').inputValue()).replace(/\D/g, '').slice(-9),
        who.phone.slice(1), 'applicant phone prefilled with the account phone');
      duePreview = (await citizen.locator('#submit p.muted strong').textContent()).trim();
      assert.match(duePreview, DATE_RE, 'appointment date announced before submitting');

      await citizen.getByLabel('Họ tên trẻ *', { exact: true }).fill(child.name);
      await citizen.getByLabel('Ngày sinh *', { exact: true }).fill(child.birthInput);
      await citizen.getByLabel('Nơi sinh *', { exact: true }).fill(child.place);
      await citizen.getByLabel('Tờ khai đăng ký khai sinh *')
        .setInputFiles(writePng(files, 'to-khai-khai-sinh.png', [245, 240, 225]));
      await citizen.getByLabel('Giấy chứng sinh *')
        .setInputFiles(writePng(files, 'giay-chung-sinh.png', [225, 235, 245]));

      const [post] = await Promise.all([
        citizen.waitForResponse((r) => /^\/c\/\d+\/services\/\d+$/.test(new URL(r.url()).pathname)
          && r.request().method() === 'POST'),
        citizen.getByRole('button', { name: 'Gửi hồ sơ' }).click(),
      ]);
      if (post.status() >= 400) {
        const why = (await post.text()).match(/class="alert"[^>]*>([^<]*)/)?.[1] ?? '';
        assert.fail(`submitting answered ${post.status()}: ${why}`);
      }
      await citizen.waitForURL((u) => new URL(u).pathname.startsWith(`/c/${C}/dossiers/`), { timeout: 10_000 });
      await citizen.waitForLoadState('load');

      receipt = decodeURIComponent(new URL(citizen.url()).pathname.split('/').pop());
      assert.match(receipt, RECEIPT_RE, 'receipt code in the URL');
      const shown = citizen.locator('.receipt');
      await shown.waitFor();
      assert.equal((await shown.textContent()).trim(), receipt, 'receipt code shown on the page');
      assert.match(await citizen.locator('main h1').textContent(), new RegExp(receipt));
      assert.equal(await fact(citizen, 'Thủ tục'), 'Đăng ký khai sinh');
      assert.equal((await statusPill(citizen).textContent()).trim(), 'Đã gửi, chờ tiếp nhận');
      const due = await fact(citizen, 'Hẹn trả');
      assert.match(due, DATE_RE, 'appointment date shown');
      assert.equal(due, duePreview, 'the appointment date is the one announced on the form');
      assert.match(await fact(citizen, 'Lệ phí'), /^Miễn phí/);
      assert.match(await fact(citizen, 'Tiếp nhận'), /Trực tuyến/);
      // Both papers are on file, and the history starts with the submission.
      for (const name of ['Tờ khai đăng ký khai sinh', 'Giấy chứng sinh']) {
        await citizen.locator('main a', { hasText: name }).first().waitFor();
      }
      await citizen.locator('ol.timeline li', { hasText: 'Nộp hồ sơ' }).first().waitFor();
      await assertNoSideScroll(citizen, 'dossier page at 360 px');
      await citizen.screenshot({ path: artifact('one-stop-submitted.png'), fullPage: true });
    });

    await step('b. official accepts, assigns to themselves and finishes the work', async () => {
      await signIn(desk, official.phone, official.password);
      await desk.goto(`/c/${C}/office/dossiers`);
      assert.equal((await desk.locator('main h1').textContent()).trim(), 'Hồ sơ một cửa');
      const row = desk.locator('table tbody tr', { hasText: receipt });
      assert.equal(await row.count(), 1, 'the new dossier is in the desk inbox');
      assert.match(await row.textContent(), /Đăng ký khai sinh/);
      assert.match(await row.textContent(), new RegExp(who.name));
      assert.equal((await row.locator('.pill').first().textContent()).trim(), 'Đã gửi, chờ tiếp nhận');

      await row.getByRole('link', { name: receipt }).click();
      await desk.waitForURL((u) => /\/office\/dossiers\/\d+$/.test(new URL(u).pathname));
      await desk.waitForLoadState('load');
      dossierId = Number(new URL(desk.url()).pathname.split('/').pop());
      assert.ok(dossierId > 0);
      assert.match(await desk.locator('main h1').textContent(), new RegExp(receipt));
      // The official sees what the citizen wrote and the papers.
      const main = desk.locator('main');
      for (const v of [child.name, child.birth, child.place, who.name]) {
        await main.getByText(v, { exact: false }).first().waitFor();
      }
      assert.equal(await main.locator(`a[href^="/c/${C}/dossiers/${receipt}/files/"]`).count(), 2,
        'both documents can be opened');

      await deskStep(desk, 'Tiếp nhận hồ sơ', 'Đã tiếp nhận');

      const assignee = desk.getByLabel('Giao cho', { exact: true });
      const options = await assignee.locator('option').evaluateAll((os) =>
        os.map((o) => ({ value: o.value, label: o.textContent.trim() })));
      const me = options.find((o) => o.label.startsWith(official.name));
      assert.ok(me, `"${official.name}" among the handlers: ${options.map((o) => o.label).join(', ')}`);
      await assignee.selectOption(me.value);
      await deskStep(desk, 'Giao xử lý', 'Đang xử lý');

      await deskStep(desk, 'Hoàn thành xử lý', 'Chờ lãnh đạo duyệt');
      // Now it waits for the leader: the official has nothing more to do.
      assert.equal(await desk.getByRole('button', { name: 'Phê duyệt' }).count(), 0,
        'an official cannot approve');
      const history = desk.locator('ol.timeline');
      for (const a of ['Tiếp nhận hồ sơ', 'Giao xử lý', 'Hoàn thành xử lý']) {
        await history.locator('li', { hasText: a }).first().waitFor();
      }
      assert.ok((await history.textContent()).includes(official.name), 'the desk history names who acted');
      await desk.screenshot({ path: artifact('one-stop-desk.png'), fullPage: true });
    });

    await step('c. leader approves', async () => {
      await signIn(boss, leader.phone, leader.password);
      const res = await boss.goto(deskPath());
      assert.equal(res.status(), 200);
      assert.equal((await statusPill(boss).textContent()).trim(), 'Chờ lãnh đạo duyệt');
      await deskStep(boss, 'Phê duyệt', 'Đã có kết quả');
      await boss.locator('ol.timeline li', { hasText: 'Phê duyệt' }).first().waitFor();
      await boss.screenshot({ path: artifact('one-stop-approved.png'), fullPage: true });
    });

    await step('d. official returns the result with a file', async () => {
      await desk.goto(deskPath());
      assert.equal((await statusPill(desk).textContent()).trim(), 'Đã có kết quả');
      await desk.getByLabel('Tệp kết quả (nếu có)')
        .setInputFiles(writePng(files, 'trich-luc-khai-sinh.png', [250, 250, 240]));
      await desk.locator('form.step', { has: desk.locator('input[name="action"][value="return_result"]') })
        .getByLabel('Ghi chú').fill('Trích lục khai sinh bản chính');
      await deskStep(desk, 'Trả kết quả', 'Đã trả kết quả');
      assert.equal(await fact(desk, 'Kết quả'), 'Trích lục khai sinh bản chính');
      await desk.screenshot({ path: artifact('one-stop-returned.png'), fullPage: true });
    });

    await step('e1. anyone with the receipt code and the phone can track it', async () => {
      await anon.goto(`/c/${C}/track`);
      assert.equal((await anon.locator('main h1').textContent()).trim(), 'Tra cứu hồ sơ');
      await anon.getByLabel('Mã hồ sơ').fill(receipt);
      await anon.getByLabel('Số điện thoại').fill(who.phone);
      await anon.getByRole('button', { name: 'Tra cứu' }).click();
      await anon.waitForURL((u) => new URL(u).searchParams.get('receipt') === receipt);
      await anon.waitForLoadState('load');
      await anon.locator('.receipt').waitFor();
      assert.equal((await anon.locator('.receipt').textContent()).trim(), receipt);
      assert.equal((await statusPill(anon).textContent()).trim(), 'Đã trả kết quả');
      assert.equal(await fact(anon, 'Hẹn trả'), duePreview);
      const steps = await anon.locator('ol.timeline li strong').allTextContents();
      assert.deepEqual(steps.map((s) => s.trim()),
        ['Nộp hồ sơ', 'Tiếp nhận hồ sơ', 'Giao xử lý', 'Hoàn thành xử lý', 'Phê duyệt', 'Trả kết quả'],
        'the whole history, in order');
      const timeline = await anon.locator('ol.timeline').textContent();
      assert.ok(!timeline.includes(official.name) && !timeline.includes(leader.name),
        'the public tracking page does not name the officials');
      await assertNoSideScroll(anon, 'tracking page at 360 px');
      await anon.screenshot({ path: artifact('track.png'), fullPage: true });
    });

    await step('e2. the citizen downloads the result and rates it 5 stars', async () => {
      await citizen.goto(dossierPath());
      assert.equal((await statusPill(citizen).textContent()).trim(), 'Đã trả kết quả');
      assert.equal(await fact(citizen, 'Kết quả'), 'Trích lục khai sinh bản chính');
      const resultLink = citizen.getByRole('link', { name: 'Tải kết quả' });
      const href = await resultLink.getAttribute('href');
      const file = await citizenCtx.request.get(href);
      assert.equal(file.status(), 200, 'the result file downloads');
      assert.match(file.headers()['content-type'] ?? '', /^image\//);

      const form = citizen.locator('form', { has: citizen.getByRole('button', { name: 'Gửi đánh giá' }) });
      await form.getByLabel('5 ★').check();
      await form.getByLabel('Ý kiến').fill('Cán bộ hướng dẫn tận tình, trả kết quả đúng hẹn.');
      const [post] = await Promise.all([
        citizen.waitForResponse((r) => new URL(r.url()).pathname === `${dossierPath()}/rate`
          && r.request().method() === 'POST'),
        form.getByRole('button', { name: 'Gửi đánh giá' }).click(),
      ]);
      assert.ok(post.status() < 400, `rating answered ${post.status()}`);
      await citizen.waitForFunction(() =>
        document.querySelector('dl.facts-list .pill')?.textContent.trim() === 'Hoàn thành', null, { timeout: 10_000 });
      assert.equal(new URL(citizen.url()).pathname, dossierPath());
      assert.equal(await fact(citizen, 'Đánh giá'), '5/5');
      assert.equal(await citizen.getByRole('button', { name: 'Gửi đánh giá' }).count(), 0, 'rated once only');
      await citizen.locator('ol.timeline li', { hasText: 'Cán bộ hướng dẫn tận tình' }).first().waitFor();
      await citizen.screenshot({ path: artifact('rated.png'), fullPage: true });
    });

    assert.deepEqual(problems.flat(), [], 'no script errors or failed requests');
  } finally {
    await Promise.all([citizenCtx, officialCtx, leaderCtx, anonCtx].map((c) => c.close()));
  }
});
