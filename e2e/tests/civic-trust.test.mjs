// Pages people trust (issue 11), the citizens' voice and the notices: anonymous poll results
// by village, emergencies first, channels that are not configured said so, thank-you pages,
// a notice written without knowing Markdown (toolbar and preview), a map of the commune's
// villages instead of coordinates, English inbox items, and tap targets / no side scroll at
// 360 px. Each test failed on main before these changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newContext, signIn, registerCitizen, staffAccount, assertNoSideScroll, artifact,
  waitForPath, MOBILE, DESKTOP, COMMUNE_CODE as C,
} from './helpers.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const tag = `${Date.now() % 100000}`;

async function post(page, path, click) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() === 'POST'),
    click(),
  ]);
  if (res.status() >= 400) {
    const why = (await res.text()).match(/class="alert"[^>]*>([^<]*)/)?.[1] ?? '';
    assert.fail(`POST ${path} answered ${res.status()}: ${why}`);
  }
  return res;
}

/** Publishes a notice from the office form; answers its id (the reach page's). */
async function publishNotice(page, { category, title, body, pinned = false }) {
  await page.goto(`/c/${C}/office/notices`);
  await page.getByLabel('Loại tin *').selectOption(category);
  await page.getByLabel('Tiêu đề *').fill(title);
  await page.getByLabel('Nội dung *').fill(body);
  if (pinned) await page.locator('input[name="pinned"]').check();
  await post(page, `/c/${C}/office/notices`, () => page.getByRole('button', { name: 'Đăng thông báo' }).click());
  await page.waitForURL((u) => /\/office\/notices\/\d+$/.test(new URL(u).pathname), { timeout: 10_000 });
  await page.waitForLoadState('load');
  return Number(new URL(page.url()).pathname.split('/').pop());
}

async function withdraw(page, id) {
  await page.goto(`/c/${C}/office/notices/${id}`);
  const button = page.getByRole('button', { name: 'Gỡ thông báo' });
  if (await button.count()) {
    await post(page, `/c/${C}/office/notices/${id}/action`, () => button.click());
    await page.waitForLoadState('load');
  }
}

test('polls: a thank-you card after answering, and no village shown with fewer than 5 answers', async () => {
  const official = staffAccount('official');
  const desk = await (await newContext(browser, DESKTOP)).newPage();
  const phoneCtx = await newContext(browser, MOBILE);
  const citizen = await phoneCtx.newPage();
  try {
    await signIn(desk, official.phone, official.password);
    await desk.goto(`/c/${C}/office/polls`);
    const title = `Giờ họp dân cuối năm ${tag}`;
    await desk.getByLabel('Tiêu đề *').fill(title);
    await desk.getByLabel('Câu hỏi *').fill('* [một] Họp buổi nào?\n- Sáng\n- Tối\n');
    await post(desk, `/c/${C}/office/polls`, () => desk.getByRole('button', { name: 'Tạo cuộc thăm dò' }).click());
    await desk.waitForURL((u) => /\/polls\/\d+$/.test(new URL(u).pathname), { timeout: 10_000 });
    const pollPath = new URL(desk.url()).pathname;

    await registerCitizen(citizen);
    await citizen.goto(pollPath);
    await citizen.getByLabel('Tối').check();
    await post(citizen, pollPath, () => citizen.getByRole('button', { name: 'Gửi câu trả lời' }).click());
    await citizen.waitForURL((u) => new URL(u).pathname === `${pollPath}/results`, { timeout: 10_000 });
    await citizen.waitForLoadState('load');
    const thanks = citizen.locator('main section.card.thanks');
    await thanks.waitFor();
    assert.match(await thanks.textContent(), /Đã gửi câu trả lời/);
    assert.ok(await thanks.locator('ol.next li').count() >= 2, 'what happens next');
    assert.ok(await thanks.locator(`a[href="/c/${C}/polls"]`).count() >= 1, 'a link onward');
    await citizen.screenshot({ path: artifact('civic-poll-thanks-phone.png'), fullPage: true });

    // One respondent: the results by village name no village and show no small count.
    await desk.goto(`${pollPath}/results`);
    await desk.evaluate(() => document.querySelectorAll('main details').forEach((d) => { d.open = true; }));
    const cells = await desk.locator('main details table td').allTextContents();
    const small = cells.map((s) => s.trim()).filter((s) => /^[1-4]$/.test(s));
    assert.deepEqual(small, [], 'no breakdown cell with 1 to 4 answers');
    await desk.getByText('Chưa đủ người trả lời để xem theo thôn').first().waitFor();
  } finally {
    await desk.context().close();
    await phoneCtx.close();
  }
});

test('notices: an emergency leads the board above a pinned notice, SMS without a gateway is said so, English inbox', async () => {
  const leader = staffAccount('leader');
  const desk = await (await newContext(browser, DESKTOP)).newPage();
  const enCtx = await newContext(browser, MOBILE);
  const reader = await enCtx.newPage();
  const ids = [];
  try {
    await registerCitizen(reader);
    await signIn(desk, leader.phone, leader.password);
    await desk.goto(`/c/${C}/office/notices`);
    // Before publishing: the form says SMS has no gateway here.
    const warn = desk.locator('main #unconfigured');
    await warn.waitFor();
    assert.match(await warn.textContent(), /Chưa cấu hình .*SMS/);

    const alertTitle = `Cảnh báo lũ quét ${tag}`;
    ids.push(await publishNotice(desk, {
      category: 'emergency', title: alertTitle, body: 'Bà con ven suối di chuyển lên nơi cao.',
    }));
    // After publishing, on the reach page: SMS is not "sending" forever.
    assert.match(await desk.locator('main').textContent(), /Đã đăng thông báo/);
    await desk.getByText('Chưa cấu hình SMS: không gửi được').first().waitFor();
    const smsRow = desk.locator('main table[aria-label="Theo kênh gửi"] tr', { hasText: 'Tin nhắn SMS' });
    assert.ok(!/Đang gửi/.test(await smsRow.textContent()), 'SMS is not counted as sending');
    const unsent = desk.locator('main table[aria-label="Chưa gửi được tới người nhận"] tr', { hasText: 'Tin nhắn SMS' });
    for (const row of await unsent.all()) {
      assert.ok(!/Đang gửi|Đang chờ/.test(await row.textContent()), 'no SMS "sending" for anyone');
    }
    await desk.screenshot({ path: artifact('civic-reach-unconfigured.png'), fullPage: true });

    const pinnedTitle = `Lịch tiếp dân ghim ${tag}`;
    ids.push(await publishNotice(desk, {
      category: 'notice', title: pinnedTitle, body: 'Thứ Năm hằng tuần.', pinned: true,
    }));

    // The board: the emergency first, though the pinned notice is newer.
    const visitor = await (await newContext(browser, MOBILE)).newPage();
    await visitor.goto(`/c/${C}/notices`);
    const titles = (await visitor.locator('main article.card.notice h2').allTextContents()).map((s) => s.trim());
    assert.ok(titles.indexOf(alertTitle) >= 0 && titles.indexOf(pinnedTitle) >= 0, JSON.stringify(titles));
    assert.ok(titles.indexOf(alertTitle) < titles.indexOf(pinnedTitle), `the emergency before the pinned notice: ${JSON.stringify(titles.slice(0, 4))}`);
    const first = visitor.locator('main article.card.notice').first();
    assert.match(await first.getAttribute('class'), /emergency/, 'an emergency leads the board');
    await visitor.context().close();

    // An English reader's inbox: the system's words in English.
    await enCtx.addCookies([{ name: 'xaso_lang', value: 'en', domain: new URL(desk.url()).hostname, path: '/' }]);
    await reader.goto('/inbox');
    const item = reader.locator('main li', { hasText: alertTitle });
    await item.first().waitFor();
    assert.match(await item.first().textContent(), /\[EMERGENCY\]/);
    assert.ok(!/KHẨN CẤP/.test(await item.first().textContent()));
  } finally {
    for (const id of ids) await withdraw(desk, id);
    await desk.context().close();
    await enCtx.close();
  }
});

test('notices: a toolbar and a server preview help write a notice, with and without JavaScript', async () => {
  const official = staffAccount('official');
  const ctx = await newContext(browser, DESKTOP);
  const desk = await ctx.newPage();
  const plainCtx = await newContext(browser, DESKTOP, { javaScriptEnabled: false });
  const plain = await plainCtx.newPage();
  try {
    await signIn(desk, official.phone, official.password);
    await desk.goto(`/c/${C}/office/notices`);
    await desk.getByLabel('Tiêu đề *').fill(`Họp dân ${tag}`);
    const body = desk.getByLabel('Nội dung *');
    await body.fill('Bà con chú ý');
    await body.evaluate((ta) => ta.setSelectionRange(0, 6));
    await desk.locator('.md-toolbar').getByRole('button', { name: 'Chữ đậm' }).click();
    assert.equal(await body.inputValue(), '**Bà con** chú ý');
    await body.evaluate((ta) => { ta.setSelectionRange(ta.value.length, ta.value.length); });
    await body.press('End');
    await body.type('\nmột\nhai');
    await body.evaluate((ta) => { const v = ta.value; ta.setSelectionRange(v.indexOf('một'), v.length); });
    await desk.locator('.md-toolbar').getByRole('button', { name: 'Danh sách' }).click();
    assert.match(await body.inputValue(), /\n- một\n- hai$/);
    for (const name of ['Tiêu đề mục', 'Liên kết']) {
      assert.equal(await desk.locator('.md-toolbar').getByRole('button', { name }).count(), 1, name);
    }
    await desk.getByRole('button', { name: 'Xem trước' }).click();
    const preview = desk.locator('#md-preview');
    await preview.locator('strong', { hasText: 'Bà con' }).waitFor({ timeout: 10_000 });
    assert.equal(await preview.locator('li').count(), 2);
    assert.equal(new URL(desk.url()).pathname, `/c/${C}/office/notices`, 'still on the form');
    assert.equal(await desk.getByLabel('Tiêu đề *').inputValue(), `Họp dân ${tag}`, 'the draft is kept');
    await desk.screenshot({ path: artifact('civic-notice-preview.png'), fullPage: true });

    // Without JavaScript the preview is a normal post that gives the form back, filled.
    const cookies = await ctx.cookies();
    await plainCtx.addCookies(cookies);
    await plain.goto(`/c/${C}/office/notices`);
    await plain.getByLabel('Tiêu đề *').fill(`Họp dân không JS ${tag}`);
    await plain.getByLabel('Nội dung *').fill('**Rất quan trọng**');
    await plain.getByRole('button', { name: 'Xem trước' }).click();
    await plain.waitForLoadState('load');
    await plain.locator('#md-preview strong', { hasText: 'Rất quan trọng' }).waitFor();
    assert.equal(await plain.getByLabel('Tiêu đề *').inputValue(), `Họp dân không JS ${tag}`);
  } finally {
    await ctx.close();
    await plainCtx.close();
  }
});

test('feedback: a map of the villages instead of coordinates, and a thank-you page with the deadline', async () => {
  const ctx = await newContext(browser, MOBILE);
  const page = await ctx.newPage();
  try {
    await registerCitizen(page);
    await page.goto(`/c/${C}/feedback/new`);
    assert.equal(await page.getByText(/Vĩ độ|Kinh độ/).count(), 0, 'nobody is asked for coordinates');
    assert.equal(await page.locator('#lat').getAttribute('type'), 'hidden');
    assert.equal(await page.locator('#lon').getAttribute('type'), 'hidden');
    // Without tiles the commune's villages are drawn as labelled shapes.
    const label = page.locator('.leaflet-tooltip.map-label', { hasText: 'Thôn Minh Tiến' });
    await label.waitFor({ timeout: 10_000 });
    assert.ok(await page.locator('.map path.leaflet-interactive').count() >= 6, 'village shapes');
    await page.screenshot({ path: artifact('civic-feedback-map-phone.png'), fullPage: true });
    await page.locator('.map').scrollIntoViewIfNeeded();
    const box = await label.boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForFunction(() => document.querySelector('#lat').value !== '');
    const chosen = await page.locator('#village_id option:checked').textContent();
    assert.equal(chosen.trim(), 'Thôn Minh Tiến', 'the tap chose the village');
    assert.equal(await page.getByText(/\d+\.\d{4,}/).count(), 0, 'no raw coordinates shown');

    await page.getByLabel('Lĩnh vực *').selectOption({ index: 1 }).catch(() => {});
    await page.getByLabel('Nội dung *').fill(`Cống thoát nước bị tắc gần nhà văn hoá (${tag})`);
    await post(page, `/c/${C}/feedback/new`, () => page.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click());
    await page.waitForURL((u) => new URL(u).pathname.startsWith(`/c/${C}/feedback/PA`), { timeout: 10_000 });
    await page.waitForLoadState('load');
    const thanks = page.locator('main section.card.thanks');
    await thanks.waitFor();
    const receipt = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    const text = (await thanks.textContent()).replace(/\s+/g, ' ');
    assert.ok(text.includes(receipt), 'the receipt');
    assert.match(text, /chậm nhất ngày \d{2}\/\d{2}\/\d{4}/, 'the answer deadline');
    assert.ok(await thanks.locator(`a[href="/c/${C}/feedback/mine"]`).count() === 1);
    await assertNoSideScroll(page, 'thank-you page at 360 px');
    await page.screenshot({ path: artifact('civic-feedback-thanks-phone.png'), fullPage: true });
  } finally {
    await ctx.close();
  }
});

/** Visible tap targets under 44 px high in the page's main content (not the shell's nav,
 *  not the map's own controls, not the words of a notice). */
async function smallTargets(page) {
  return page.evaluate(() => {
    const sel = 'main a[href], main button, main summary, main select, main input:not([type=hidden]):not([type=checkbox]):not([type=radio])';
    return [...document.querySelectorAll(sel)]
      .filter((e) => !e.closest('.leaflet-container, nav.office-nav, .prose, .skip'))
      .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
      .filter((e) => e.getBoundingClientRect().height < 44 - 0.5)
      .map((e) => `${e.tagName.toLowerCase()}${e.className ? '.' + String(e.className).split(' ').join('.') : ''} "${(e.textContent || e.getAttribute('aria-label') || e.name || '').trim().slice(0, 30)}" h=${Math.round(e.getBoundingClientRect().height)}`);
  });
}

test('voice and notices pages: tap targets ≥ 44 px and no sideways scroll at 360 px', async () => {
  const official = staffAccount('official');
  const ctx = await newContext(browser, MOBILE);
  const page = await ctx.newPage();
  const staffCtx = await newContext(browser, MOBILE);
  const staff = await staffCtx.newPage();
  const problems = [];
  try {
    await registerCitizen(page);
    // Something on "my feedback", so its table is there.
    await page.goto(`/c/${C}/feedback/new`);
    await page.getByLabel('Nội dung *').fill(`Đèn đường hỏng ở ngã ba (${tag})`);
    await page.selectOption('#village_id', { index: 1 });
    await post(page, `/c/${C}/feedback/new`, () => page.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click());
    await page.waitForURL((u) => new URL(u).pathname.startsWith(`/c/${C}/feedback/PA`), { timeout: 10_000 });
    const receiptPath = new URL(page.url()).pathname;

    const citizenPages = [
      `/c/${C}/feedback`, `/c/${C}/feedback/new`, `/c/${C}/feedback/mine`, receiptPath,
      `/c/${C}/polls`, `/c/${C}/forum`, `/c/${C}/directory`, `/c/${C}/notices`,
    ];
    await page.goto(`/c/${C}/notices`);
    const firstNotice = await page.locator('main article.card.notice h2 a').first().getAttribute('href');
    if (firstNotice) citizenPages.push(firstNotice);
    await page.goto(`/c/${C}/polls`);
    const firstPoll = await page.locator('main article.card h2 a').first().getAttribute('href').catch(() => null);
    if (firstPoll) citizenPages.push(firstPoll, `${firstPoll}/results`);
    for (const path of citizenPages) {
      await page.goto(path);
      await page.waitForLoadState('load');
      await assertNoSideScroll(page, `${path} at 360 px`);
      const small = await smallTargets(page);
      if (small.length) problems.push(`${path}: ${small.join('; ')}`);
    }

    await signIn(staff, official.phone, official.password);
    for (const path of [`/c/${C}/office/feedback`, `/c/${C}/office/notices`, `/c/${C}/office/polls`,
      `/c/${C}/office/directory`]) {
      await staff.goto(path);
      await staff.waitForLoadState('load');
      await assertNoSideScroll(staff, `${path} at 360 px`);
      const small = await smallTargets(staff);
      if (small.length) problems.push(`${path}: ${small.join('; ')}`);
    }
    await staff.goto(`/c/${C}/office/notices`);
    const reach = await staff.locator('main table a[href*="/office/notices/"]').first().getAttribute('href');
    if (reach) {
      await staff.goto(reach);
      await assertNoSideScroll(staff, `${reach} at 360 px`);
      const small = await smallTargets(staff);
      if (small.length) problems.push(`${reach}: ${small.join('; ')}`);
    }
    await page.screenshot({ path: artifact('civic-last-page-phone.png'), fullPage: true });
    assert.deepEqual(problems, [], `tap targets under 44 px:\n${problems.join('\n')}`);
  } finally {
    await ctx.close();
    await staffCtx.close();
  }
});
