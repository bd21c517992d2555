// The baseline survey (crates/registry, survey pages) in the browser, as a village head does it
// in the field. On a 360-px phone the village head of Thôn Minh Tiến opens the demo's household
// campaign and its sheet (online: the installable app keeps the page); the network goes; the
// sheet opens again from the phone's copy; two households are filled in and each is kept in the
// draft box, named by its household (not by an internal value); the network comes back and
// "Gửi ngay" sends them one by one; the board's count for Thôn Minh Tiến grows by two and the
// household's page shows the answers as a "survey" observation of today. An official's desktop
// board and the officials' readiness page are checked too. axe-core on every page; at 360 px no
// sideways scroll and 44-px tap targets; screenshots of the sheet, the offline drafts and the
// board at both widths; no request may leave 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newContext, signIn, staffAccount, artifact, watchPage, watchHosts,
  COMMUNE_CODE, MOBILE, DESKTOP,
  describeAxe, axeBlocking, assertNoSideScroll, assertTapTargets,
} from './helpers.mjs';

const C = COMMUNE_CODE;
const SURVEYS = `/c/${C}/office/surveys`;
const VILLAGE = process.env.E2E_HEAD_VILLAGE || 'Thôn Minh Tiến';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function checkPage(page, what, mobile) {
  const blocking = await axeBlocking(page, what);
  assert.deepEqual(blocking, [], `${what}: ${describeAxe(blocking)}`);
  if (mobile) {
    await assertNoSideScroll(page, what);
    await assertTapTargets(page, what);
  }
}

/** The household campaign's id, from the campaigns page. */
async function householdCampaign(page) {
  await page.goto(SURVEYS);
  const link = page.locator('main section.card h2 a', { hasText: 'hộ gia đình' }).first();
  const href = await link.getAttribute('href');
  return Number(href.split('/').pop());
}

/** "12 / 50" of a village's row on the board: the sheets filed there. */
async function doneIn(page, village) {
  const row = page.locator('#progress tbody tr', { hasText: village });
  const text = (await row.locator('td').nth(1).textContent()).trim();
  return Number(text.split('/')[0].trim());
}

test('household register survey filled in offline on a village head\'s phone, then sent', async (t) => {
  const head = staffAccount('head');
  const context = await newContext(browser, MOBILE, { serviceWorkers: 'allow' });
  const hosts = watchHosts(context);
  const page = await context.newPage();
  const problems = watchPage(page);
  let id;
  let before;
  const picked = [];

  await t.test('the village head opens the campaign and its sheet online', async () => {
    await signIn(page, head.phone, head.password);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 })
      .catch(async () => { await page.reload(); await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 }); });
    id = await householdCampaign(page);
    await checkPage(page, 'survey campaigns (360 px)', true);
    await page.goto(`${SURVEYS}/${id}`);
    before = await doneIn(page, VILLAGE);
    await checkPage(page, 'survey board (360 px)', true);
    await page.screenshot({ path: artifact('survey-board-360.png'), fullPage: true });
    await page.goto(`${SURVEYS}/${id}/fill`);
    await page.locator('form[data-draft="survey"]').waitFor();
    // Their village's households only, the first one not yet surveyed chosen.
    const options = await page.locator('#subject option').allTextContents();
    assert.ok(options.length > 0);
    assert.ok(options.every((o) => /MH-\d{4}/.test(o)), options.slice(0, 3).join(' | '));
    assert.equal(await page.locator('#pick-village').count(), 0, 'no other village to pick');
    assert.doesNotMatch(await page.locator('#subject option:checked').textContent(), /^✓/);
    await checkPage(page, 'survey sheet (360 px)', true);
    await page.screenshot({ path: artifact('survey-sheet-360.png'), fullPage: true });
    // Kept by the app for offline use.
    const kept = await page.evaluate(async (path) => {
      const cache = await caches.open('xaso-pages-1');
      return !!(await cache.match(path, { ignoreVary: true }));
    }, `${SURVEYS}/${id}/fill`);
    assert.ok(kept, 'the sheet is saved for offline use');
  });

  await t.test('offline: the sheet opens from the phone and two households go into the draft box', async () => {
    await context.setOffline(true);
    await page.reload();
    await page.locator('[data-offline-banner]').waitFor({ state: 'visible' });
    const box = page.locator('#drafts');
    const unsurveyed = await page.locator('#subject option').evaluateAll((os) =>
      os.filter((o) => !o.textContent.startsWith('✓')).map((o) => ({ value: o.value, text: o.textContent.trim() })));
    assert.ok(unsurveyed.length >= 2, 'two households left to survey');
    for (const [i, h] of unsurveyed.slice(0, 2).entries()) {
      picked.push(h);
      await page.selectOption('#subject', h.value);
      await page.getByLabel('Có, cáp quang').check();
      await page.getByLabel('Số điện thoại thông minh trong hộ *').fill(String(2 + i));
      await page.locator('fieldset', { hasText: 'Hộ phân loại chất thải rắn' }).getByLabel('Có', { exact: true }).check();
      await page.getByLabel('Tập huấn kỹ năng số').check();
      await page.getByRole('button', { name: 'Lưu phiếu' }).click();
      await box.waitFor({ state: 'visible' });
      await page.waitForFunction((n) => document.querySelectorAll('#drafts [data-draft-list] li').length === n, i + 1);
    }
    const items = box.locator('[data-draft-list] li');
    // Each draft is named by its household's code (not its head's name: the box outlives the
    // session on a shared phone).
    for (const [i, h] of picked.entries()) {
      const code = h.text.match(/MH-\d{4}/)[0];
      const text = await items.nth(i).textContent();
      assert.ok(text.includes(code), `${text} names ${code}`);
      assert.ok(!text.includes(h.text.split(' · ')[1]), `${text} leaves the name out`);
    }
    assert.doesNotMatch(await box.textContent(), /fibre|skills/, 'no internal value on the screen');
    await checkPage(page, 'survey drafts offline (360 px)', true);
    await page.screenshot({ path: artifact('survey-drafts-offline-360.png'), fullPage: true });
  });

  await t.test('back online, "Gửi ngay" sends each draft; the board and the register show them', async () => {
    await context.setOffline(false);
    const box = page.locator('#drafts');
    for (let left = 2; left > 0; left--) {
      await box.locator('[data-draft-list] li').first().waitFor();
      const [post] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === `${SURVEYS}/${id}/fill` && r.request().method() === 'POST'),
        box.getByRole('button', { name: 'Gửi ngay' }).first().click(),
      ]);
      assert.ok(post.status() < 400, `sending answered ${post.status()}`);
      await page.waitForLoadState('load');
      await page.getByText(/Đã lưu phiếu MH-\d{4}/).waitFor();
      await page.waitForFunction((n) => document.querySelectorAll('#drafts [data-draft-list] li').length === n, left - 1);
    }
    const drafts = await page.evaluate(() => JSON.parse(localStorage.getItem('xaso.drafts.v1') || '[]'));
    assert.equal(drafts.length, 0, 'every draft sent');
    // Both households are marked as surveyed now.
    for (const h of picked) {
      assert.match(await page.locator(`#subject option[value="${h.value}"]`).textContent(), /^✓/);
    }
    await page.goto(`${SURVEYS}/${id}`);
    assert.equal(await doneIn(page, VILLAGE), before + 2);
    // The household's page: today's survey in its history, the answers in words.
    await page.goto(`/c/${C}/office/households/${picked[0].value}`);
    const main = page.locator('main');
    await main.getByText('Cáp quang').first().waitFor();
    assert.match(await main.textContent(), /Khảo sát/);
  });

  await t.test('an official\'s desktop: the board with its charts and the officials\' readiness', async () => {
    const official = staffAccount('official');
    const desk = await newContext(browser, DESKTOP);
    const p = await desk.newPage();
    const deskProblems = watchPage(p);
    await signIn(p, official.phone, official.password);
    await p.goto(`${SURVEYS}/${id}`);
    await p.locator('#progress progress').first().waitFor();
    assert.ok(await p.locator('#results meter').count() > 10, 'results drawn as bars');
    await checkPage(p, 'survey board (desktop)', false);
    await p.screenshot({ path: artifact('survey-board-desktop.png'), fullPage: true });
    await p.goto(`${SURVEYS}/readiness`);
    await p.locator('#readiness-summary progress').first().waitFor();
    assert.match(await p.locator('main').textContent(), /Chưa khảo sát/);
    await checkPage(p, 'officials readiness (desktop)', false);
    await p.screenshot({ path: artifact('survey-readiness-desktop.png'), fullPage: true });
    assert.deepEqual(deskProblems, []);
    await desk.close();
  });

  assert.deepEqual(problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|net::ERR_FAILED/.test(p)), []);
  assert.deepEqual([...hosts], []);
  await context.close();
});
