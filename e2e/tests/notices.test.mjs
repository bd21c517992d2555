// Notices, end to end in the browser: an official writes an emergency alert in markdown (with a
// <script> and an <img onerror> slipped in) for the village of a freshly registered citizen and
// lands on its reach page (audience, by village with bars, by channel, who has not yet
// acknowledged); the citizen on a 360-px phone follows the bell to the inbox and the notice,
// reads the sanitised text (no script runs, no dialog opens) and acknowledges it; the reach
// page counts the acknowledgement and no longer lists them. A notice without an audience is
// refused in Vietnamese and keeps what was typed; the public board lists the alert, finds it by
// a search typed without accents and links to the events calendar (text/calendar); the
// loudspeaker bulletin's script reads the title and its audio is rendered by espeak-ng.
// axe-core on every page of the journey; no sideways scroll at 360 px; no request may leave
// 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, newContext, registerCitizen, signIn, staffAccount, artifact, watchPage,
  waitForPath, COMMUNE_CODE, MOBILE, DESKTOP, watchHosts,
  describeAxe, axeBlocking, assertNoSideScroll,
} from './helpers.mjs';

const C = COMMUNE_CODE;
const OFFICE = `/c/${C}/office/notices`;
const BOARD = `/c/${C}/notices`;
const BULLETIN = `/c/${C}/office/bulletin`;
const EMERGENCY_LABEL = 'Khẩn cấp, cảnh báo thiên tai';
const NO_AUDIENCE = 'Vui lòng chọn người nhận: toàn xã, thôn, vai trò hoặc chủ đề.';
const VN_TIME = '\\d{2}/\\d{2}/\\d{4} \\d{2}:\\d{2}';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** Any alert/confirm/prompt a page of the context opens: dismissed and recorded (a script ran). */
function watchDialogs(context, page) {
  const dialogs = [];
  const on = (p) => p.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()} (${p.url()})`);
    await d.dismiss().catch(() => {});
  });
  on(page);
  context.on('page', on);
  return dialogs;
}

/** The numbers of the reach page's three figures: audience, read, acknowledged. */
async function reachStats(page) {
  const stats = await page.locator('main dl.stats > div').evaluateAll((cs) =>
    cs.map((c) => ({ n: parseInt(c.querySelector('dd').textContent.trim(), 10), text: c.querySelector('dt').textContent.trim() })));
  assert.equal(stats.length, 3, `three figures on an emergency's reach page: ${JSON.stringify(stats)}`);
  assert.equal(stats[0].text, 'Người nhận');
  assert.equal(stats[1].text, 'Đã đọc');
  assert.equal(stats[2].text, 'Đã xác nhận');
  return { audience: stats[0].n, read: stats[1].n, acked: stats[2].n };
}

/** The table under an <h3> of the reach page, as rows of trimmed cell texts. */
function tableAfter(page, heading) {
  return page.locator('main h3', { hasText: heading }).locator('xpath=following-sibling::div[1]//table');
}
const rowsOf = (table) => table.locator('tbody tr').evaluateAll((trs) =>
  trs.map((tr) => [...tr.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim())));

/** Posts the new-notice form and returns the response. */
async function publish(page) {
  const [post] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === OFFICE && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Đăng thông báo' }).click(),
  ]);
  return post;
}

test('notices: emergency for a village → reach page → bell and acknowledgement on a phone → board, search, calendar, bulletin', async (t) => {
  const official = staffAccount('official');

  const citizenCtx = await newContext(browser, MOBILE);
  const officialCtx = await newContext(browser, DESKTOP);
  const publicCtx = await newContext(browser, MOBILE);
  const contexts = [citizenCtx, officialCtx, publicCtx];
  const outside = contexts.map(watchHosts);
  const citizen = await citizenCtx.newPage();
  const desk = await officialCtx.newPage();
  const visitor = await publicCtx.newPage();
  const pages = [citizen, desk, visitor];
  const problems = pages.map(watchPage);
  const dialogs = contexts.map((c, i) => watchDialogs(c, pages[i]));
  const axeFound = [];
  const axe = async (page, label) => {
    const b = await axeBlocking(page, label);
    if (b.length) axeFound.push(`${label}:\n${describeAxe(b)}`);
  };

  const tag = String(Date.now() % 100_000).padStart(5, '0');
  const title = `Cảnh báo lũ quét và sạt lở đất khẩn cấp, đợt ${tag}`;
  // Words of the title typed without accents, in lower case, as people search (the board
  // matches at most the first eight words).
  const unaccented = `lu quet sat lo dot ${tag}`;
  const body = [
    `**Mưa lớn kéo dài**: nguy cơ *lũ quét* và sạt lở đất ven suối Khe Lá trong đêm nay (mã ${tag}).`,
    '',
    '- Di dời người già, trẻ em khỏi các nhà sát taluy',
    '- Không qua ngầm tràn khi nước dâng',
    '',
    '<script>alert("xss-script")</script>',
    '',
    'Liên hệ trực ban xã: <img src="x" onerror="alert(\'xss-img\')"> [0912 000 003](tel:0912000003).',
  ].join('\n');
  let village;   // { id, name } of the citizen's village
  let who;       // the citizen
  let noticeId;
  let before;    // the reach page's numbers right after publishing
  const reachPath = () => `${OFFICE}/${noticeId}`;
  const noticePath = () => `${BOARD}/${noticeId}`;

  let broken = '';
  const step = (name, fn) => t.test(name, { skip: broken ? `step "${broken}" failed` : false }, async () => {
    try {
      await fn();
    } catch (e) {
      broken = name.split('.')[0];
      throw e;
    }
  });

  try {
    await step('1. the official writes an emergency for the citizen\'s village and lands on the reach page', async () => {
      // A fresh citizen of the first village the register form offers (registerCitizen's choice).
      await citizen.goto('/register');
      const first = await citizen.locator('#village_id option').evaluateAll((os) =>
        os.filter((o) => o.value).map((o) => ({ id: o.value, name: o.textContent.trim() }))[0] ?? null);
      assert.ok(first, 'the register form offers the villages');
      village = first;
      who = await registerCitizen(citizen);

      await signIn(desk, official.phone, official.password);
      const res = await desk.goto(OFFICE);
      assert.equal(res.status(), 200);
      assert.equal((await desk.locator('main h1').textContent()).trim(), 'Quản lý thông báo');
      await desk.getByLabel('Loại tin *').selectOption('emergency');
      assert.equal((await desk.locator('#category option:checked').textContent()).trim(), EMERGENCY_LABEL);
      await desk.getByLabel('Tiêu đề *').fill(title);
      await desk.getByLabel('Nội dung *').fill(body);
      const audience = desk.locator('fieldset', { has: desk.locator('legend', { hasText: 'Gửi tới' }) });
      const whole = audience.getByLabel('Toàn xã', { exact: true });
      assert.equal(await whole.isChecked(), true, 'the whole commune is ticked by default');
      await whole.uncheck();
      const box = audience.locator(`input[type="checkbox"][name="a_village_${village.id}"]`);
      assert.equal(await box.count(), 1, `a checkbox for ${village.name}`);
      assert.equal(await audience.getByLabel(village.name, { exact: true }).getAttribute('name'), `a_village_${village.id}`,
        'the checkbox is labelled with the village name');
      await box.check();
      await axe(desk, `${OFFICE} filled (desktop 1280)`);
      await desk.screenshot({ path: artifact('notices-office-form.png'), fullPage: true });

      const post = await publish(desk);
      if (post.status() >= 400) {
        const why = (await post.text()).match(/class="alert"[^>]*>([^<]*)/)?.[1] ?? '';
        assert.fail(`publishing answered ${post.status()}: ${why}`);
      }
      await desk.waitForURL((u) => new RegExp(`^${OFFICE}/\\d+$`).test(new URL(u).pathname), { timeout: 10_000 });
      await desk.waitForLoadState('load');
      noticeId = Number(new URL(desk.url()).pathname.split('/').pop());
      assert.ok(noticeId > 0);
      assert.equal((await desk.locator('main h1').textContent()).trim(), title);
      assert.equal((await desk.locator('main .pill.cat-emergency').first().textContent()).trim(), EMERGENCY_LABEL);
      assert.equal(await desk.locator(`main a[href="${noticePath()}"]`).count(), 1, 'a link to the public notice');

      before = await reachStats(desk);
      assert.ok(before.audience >= 1, `the citizen is in the audience: ${JSON.stringify(before)}`);
      assert.equal(before.acked, 0, 'nobody has acknowledged yet');

      // By village: only the chosen village, with an SVG bar per column, counts adding up.
      const byVillage = tableAfter(desk, 'Theo thôn, bản');
      assert.deepEqual((await byVillage.locator('thead th').allTextContents()).map((s) => s.trim()),
        ['Thôn, bản', 'Người nhận', 'Đã đọc', 'Đã xác nhận']);
      const vrows = await rowsOf(byVillage);
      assert.deepEqual(vrows.map((r) => r[0]), [village.name], 'the audience lives in the chosen village only');
      assert.equal(Number(vrows[0][1]), before.audience);
      const bars = byVillage.locator('tbody tr').first().locator('svg[role="img"]');
      assert.equal(await bars.count(), 2, 'a read bar and an acknowledgement bar');
      assert.equal(await bars.nth(1).getAttribute('aria-label'), '0%');
      assert.equal(await bars.nth(1).locator('rect').nth(1).getAttribute('width'), '0', 'the acknowledgement bar is empty');

      // By channel: the inbox reaches everyone.
      const byChannel = tableAfter(desk, 'Theo kênh gửi');
      assert.deepEqual((await byChannel.locator('thead th').allTextContents()).map((s) => s.trim()),
        ['Kênh', 'Cần gửi', 'Đã gửi', 'Đang chờ, thử lại', 'Không gửi được']);
      const crows = await rowsOf(byChannel);
      const inbox = crows.find((r) => r[0] === 'Hộp thư trên ứng dụng');
      assert.ok(inbox, `an inbox row: ${JSON.stringify(crows)}`);
      assert.equal(Number(inbox[1]), before.audience, 'one inbox item per recipient');
      assert.equal(Number(inbox[2]), before.audience, 'inbox items are delivered at once');

      // Who has not acknowledged: the citizen among them, with their village and phone.
      const waitingHead = desk.locator('main h3', { hasText: 'Chưa xác nhận' });
      assert.equal((await waitingHead.textContent()).trim(), `Chưa xác nhận (${before.audience})`);
      const waiting = await rowsOf(tableAfter(desk, 'Chưa xác nhận'));
      const mine = waiting.find((r) => r[1] === who.name);
      assert.ok(mine, `${who.name} is waiting: ${JSON.stringify(waiting)}`);
      // Phones are shown the local way (0xxx xxx xxx) and dialled in the international form.
      const e164 = `+84${who.phone.slice(1)}`;
      const local = `${who.phone.slice(0, 4)} ${who.phone.slice(4, 7)} ${who.phone.slice(7)}`;
      assert.deepEqual(mine, [village.name, who.name, local, ''], 'village, name, phone, not read');
      assert.equal(await desk.locator(`main a[href="tel:${e164}"]`).count(), 1, 'the phone is a tel: link');
      await axe(desk, `${reachPath()} (desktop 1280)`);
      await desk.screenshot({ path: artifact('notices-reach.png'), fullPage: true });
    });

    await step('2. the citizen on a 360-px phone follows the bell, reads the sanitised alert and acknowledges it', async () => {
      await citizen.goto(`/c/${C}`);
      const bell = citizen.locator('header a.bell[href="/inbox"]');
      const badge = bell.locator('.badge');
      await badge.waitFor();
      const unread = Number((await badge.textContent()).trim());
      assert.ok(unread >= 1, `the bell shows unread items: ${unread}`);
      assert.equal(await badge.getAttribute('aria-label'), `${unread} chưa đọc`);
      await bell.click();
      await waitForPath(citizen, '/inbox');
      const item = citizen.locator('main ul.list li.unread', { hasText: `[KHẨN CẤP] ${title}` });
      assert.equal(await item.count(), 1, 'the alert is in the inbox, unread, marked as an emergency');
      const text = (await item.textContent()).replace(/\s+/g, ' ');
      assert.ok(text.includes('Mưa lớn kéo dài'), 'the inbox shows the start of the text');
      assert.ok(!/<script|onerror|xss-/.test(text), `no markup in the inbox excerpt: ${text}`);
      await assertNoSideScroll(citizen, 'inbox at 360 px');
      await axe(citizen, '/inbox (mobile 360)');
      await citizen.screenshot({ path: artifact('notices-inbox-phone.png'), fullPage: true });

      await item.getByRole('link', { name: 'Xem' }).click();
      await waitForPath(citizen, noticePath());
      assert.equal((await citizen.locator('main h1').textContent()).trim(), title);
      const prose = citizen.locator('main .prose');
      assert.equal(await prose.locator('strong', { hasText: 'Mưa lớn kéo dài' }).count(), 1, 'markdown bold');
      assert.equal(await prose.locator('em', { hasText: 'lũ quét' }).count(), 1, 'markdown italics');
      assert.equal(await prose.locator('li').count(), 2, 'the markdown list');
      assert.equal(await prose.locator('a[href="tel:0912000003"]').count(), 1, 'the tel: link is kept');
      // Sanitised: no script, no image, no event handler, not even as text.
      assert.equal(await prose.locator('script, img, iframe, [onerror], [onclick]').count(), 0);
      const html = await prose.innerHTML();
      assert.ok(!/script|onerror|xss-|alert\(/i.test(html), `the body has no trace of the markup: ${html}`);
      // The page opening marked it read: the bell has one unread less.
      const after = await citizen.locator('header a.bell .badge').count()
        ? Number((await citizen.locator('header a.bell .badge').textContent()).trim()) : 0;
      assert.equal(after, unread - 1, 'opening the notice marked its inbox item read');

      const form = citizen.locator(`main form[action="${noticePath()}/ack"]`);
      assert.match((await form.textContent()).replace(/\s+/g, ' '), /Đây là cảnh báo khẩn cấp/);
      await assertNoSideScroll(citizen, 'emergency notice at 360 px');
      await axe(citizen, `${noticePath()} before acknowledging (mobile 360)`);
      await citizen.screenshot({ path: artifact('notices-alert-phone.png'), fullPage: true });

      const [post] = await Promise.all([
        citizen.waitForResponse((r) => new URL(r.url()).pathname === `${noticePath()}/ack`
          && r.request().method() === 'POST'),
        form.getByRole('button', { name: 'Tôi đã nhận được' }).click(),
      ]);
      assert.ok(post.status() < 400, `acknowledging answered ${post.status()}`);
      const done = citizen.locator('main p.alert.ok[role="status"]', { hasText: 'Bạn đã xác nhận lúc' });
      await done.waitFor({ timeout: 10_000 });
      assert.match((await done.textContent()).trim(), new RegExp(`^Bạn đã xác nhận lúc ${VN_TIME}$`));
      assert.equal(new URL(citizen.url()).pathname, noticePath());
      assert.equal(await citizen.getByRole('button', { name: 'Tôi đã nhận được' }).count(), 0, 'acknowledged once');
      await assertNoSideScroll(citizen, 'acknowledged notice at 360 px');
      await axe(citizen, `${noticePath()} acknowledged (mobile 360)`);
      await citizen.screenshot({ path: artifact('notices-acked-phone.png'), fullPage: true });
      assert.deepEqual(dialogs.flat(), [], 'no script of the body ran');
    });

    await step('3. the official reloads the reach page: one more acknowledgement, the citizen no longer waits', async () => {
      await desk.reload();
      await desk.waitForLoadState('load');
      const now = await reachStats(desk);
      assert.equal(now.audience, before.audience);
      assert.equal(now.acked, before.acked + 1, 'the acknowledgement is counted');
      assert.ok(now.read >= before.read + 1, 'and the reading');
      const vrow = (await rowsOf(tableAfter(desk, 'Theo thôn, bản')))[0];
      assert.match(vrow[3], new RegExp(`^${now.acked} \\(\\d+%\\)$`), `the village's acknowledgements: ${vrow[3]}`);
      const waitingHead = desk.locator('main h3', { hasText: 'Chưa xác nhận' });
      assert.equal((await waitingHead.textContent()).trim(), `Chưa xác nhận (${now.audience - now.acked})`);
      const waitingText = await desk.locator('main').textContent();
      const waitingTable = tableAfter(desk, 'Chưa xác nhận');
      if (await waitingTable.count()) {
        const rows = await rowsOf(waitingTable);
        assert.ok(!rows.some((r) => r[1] === who.name), 'the citizen is no longer waiting');
      } else {
        assert.ok(waitingText.includes('Mọi người đã xác nhận nhận được cảnh báo.'));
      }
      await desk.screenshot({ path: artifact('notices-reach-acked.png'), fullPage: true });
    });

    await step('4. a notice without an audience is refused in Vietnamese, keeping what was typed', async () => {
      await desk.goto(OFFICE);
      const badTitle = `Thông báo chưa chọn người nhận ${tag}`;
      await desk.getByLabel('Tiêu đề *').fill(badTitle);
      await desk.getByLabel('Nội dung *').fill('Lịch tiêm phòng dại cho chó, mèo tại nhà văn hóa thôn.');
      await desk.locator('input[name="a_all"]').uncheck();
      const before = await desk.locator('main table tbody tr').count();
      const post = await publish(desk);
      assert.equal(post.status(), 422, 'no audience answers 422');
      const alert = desk.locator('main #new p.alert[role="alert"]');
      await alert.waitFor({ timeout: 5_000 });
      assert.equal((await alert.textContent()).trim(), NO_AUDIENCE);
      assert.ok(NO_AUDIENCE.startsWith('Vui lòng chọn người nhận'));
      assert.equal(await desk.getByLabel('Tiêu đề *').inputValue(), badTitle, 'the title is kept');
      assert.equal(await desk.getByLabel('Nội dung *').inputValue(),
        'Lịch tiêm phòng dại cho chó, mèo tại nhà văn hóa thôn.', 'the text is kept');
      const audience = desk.locator('fieldset', { has: desk.locator('legend', { hasText: 'Gửi tới' }) });
      assert.equal(await audience.getAttribute('aria-invalid'), 'true', 'the audience is marked invalid');
      assert.equal(await audience.locator('input:checked').count(), 0);
      assert.equal(await desk.locator('main table tbody tr').count(), before, 'nothing was written');
      assert.equal(await desk.locator('main table tbody tr', { hasText: badTitle }).count(), 0);
      await axe(desk, `${OFFICE} with the error (desktop 1280)`);
      await desk.screenshot({ path: artifact('notices-no-audience.png'), fullPage: true });
    });

    await step('5. the public board lists the alert, finds it without accents and links to the calendar', async () => {
      const res = await visitor.goto(BOARD);
      assert.equal(res.status(), 200);
      assert.equal((await visitor.locator('main h1').textContent()).trim(), 'Bảng thông báo');
      const card = visitor.locator('main article.card.notice', { has: visitor.locator(`a[href="${noticePath()}"]`) });
      assert.equal(await card.count(), 1, 'the alert is on the board');
      assert.equal((await card.locator('.pill.cat-emergency').textContent()).trim(), EMERGENCY_LABEL);
      assert.ok(!/<script|onerror|xss-/.test(await card.textContent()), 'the excerpt is plain text');
      await assertNoSideScroll(visitor, 'board at 360 px');
      await axe(visitor, `${BOARD} (mobile 360, anonymous)`);
      await visitor.screenshot({ path: artifact('notices-board-phone.png'), fullPage: true });

      await visitor.getByLabel('Tìm thông báo').fill(unaccented);
      await visitor.getByRole('button', { name: 'Tìm', exact: true }).click();
      await visitor.waitForURL((u) => new URL(u).searchParams.get('q') === unaccented, { timeout: 10_000 });
      await visitor.waitForLoadState('load');
      const found = visitor.locator('main article.card.notice');
      assert.equal(await found.count(), 1, 'the search without accents finds exactly the alert');
      assert.equal(await found.locator(`a[href="${noticePath()}"]`).count(), 1);
      assert.equal(await visitor.getByLabel('Tìm thông báo').inputValue(), unaccented, 'the search is kept');
      await assertNoSideScroll(visitor, 'search results at 360 px');
      await visitor.screenshot({ path: artifact('notices-search-phone.png'), fullPage: true });
      await visitor.goto(`${BOARD}?q=${encodeURIComponent(`khong co thong bao nao ${tag}x`)}`);
      assert.equal(await visitor.locator('main article.card.notice').count(), 0);
      await visitor.locator('main p.muted', { hasText: 'Không có thông báo nào phù hợp.' }).waitFor();

      const link = visitor.getByRole('link', { name: 'Lịch sự kiện (iCal)' }).first();
      assert.equal(await link.getAttribute('href'), `/c/${C}/events.ics`);
      const ics = await publicCtx.request.get(await link.getAttribute('href'));
      assert.equal(ics.status(), 200);
      assert.match(ics.headers()['content-type'] ?? '', /^text\/calendar/);
      const text = await ics.text();
      assert.match(text, /^BEGIN:VCALENDAR\r\n/);
      assert.match(text, /END:VCALENDAR\r\n$/);

      // The alert itself is readable by anyone, without the acknowledgement form.
      await visitor.goto(noticePath());
      assert.equal((await visitor.locator('main h1').textContent()).trim(), title);
      assert.equal(await visitor.getByRole('button', { name: 'Tôi đã nhận được' }).count(), 0);
      assert.equal(await visitor.locator('main a[href^="/c/17071/office/"]').count(), 0, 'no office link for visitors');
    });

    await step('6. the bulletin: tick the alert, compose; the script reads its title and the audio is rendered', async () => {
      const res = await desk.goto(BULLETIN);
      assert.equal(res.status(), 200);
      assert.equal((await desk.locator('main h1').textContent()).trim(), 'Bản tin truyền thanh');
      assert.equal(await desk.locator('main p.alert', { hasText: 'espeak-ng' }).count(), 0,
        'espeak-ng is installed: no warning');
      const box = desk.locator(`main input[type="checkbox"][name="n_${noticeId}"]`);
      assert.equal(await box.count(), 1, 'the alert is a candidate');
      await box.check();
      await axe(desk, `${BULLETIN} (desktop 1280)`);
      const [post] = await Promise.all([
        desk.waitForResponse((r) => new URL(r.url()).pathname === BULLETIN && r.request().method() === 'POST'),
        desk.getByRole('button', { name: 'Soạn bản tin' }).click(),
      ]);
      assert.ok(post.status() < 400, `composing answered ${post.status()}`);
      await desk.waitForURL((u) => new RegExp(`^${BULLETIN}/\\d+$`).test(new URL(u).pathname), { timeout: 10_000 });
      await desk.waitForLoadState('load');
      const bulletinPath = new URL(desk.url()).pathname;
      const script = desk.locator('main pre.script');
      await script.waitFor();
      const s = await script.textContent();
      assert.match(s, /^BẢN TIN ĐÀI TRUYỀN THANH XÃ MINH HỢP\n/);
      assert.ok(s.includes(`1. ${title}.`), `the script reads the title: ${s}`);
      assert.ok(s.includes('Mưa lớn kéo dài'), 'and the text');
      assert.ok(!/script|onerror|xss-|\*\*/.test(s), `the script is plain words: ${s}`);
      const status = desk.locator('main p', { has: desk.locator('strong', { hasText: 'Tệp âm thanh' }) });
      assert.match((await status.textContent()).replace(/\s+/g, ' ').trim(), /^Tệp âm thanh: (đang tạo…|sẵn sàng)$/);
      await desk.screenshot({ path: artifact('notices-bulletin.png'), fullPage: true });

      // espeak-ng renders it in the background; the page refreshes itself until it is ready.
      await desk.waitForFunction(() => /Tệp âm thanh:\s*(sẵn sàng|không tạo được)/
        .test(document.querySelector('main')?.textContent ?? ''), null, { timeout: 60_000 });
      assert.match((await status.textContent()).replace(/\s+/g, ' ').trim(), /^Tệp âm thanh: sẵn sàng$/);
      const audio = desk.locator(`main audio[src="${bulletinPath}/audio.wav"]`);
      assert.equal(await audio.count(), 1, 'a player for the audio');
      const wav = await officialCtx.request.get(`${bulletinPath}/audio.wav`);
      assert.equal(wav.status(), 200);
      assert.match(wav.headers()['content-type'] ?? '', /^audio\/wav/);
      const bytes = await wav.body();
      assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
      assert.equal(bytes.subarray(8, 12).toString('latin1'), 'WAVE');
      assert.ok(bytes.length > 10_000, `real speech: ${bytes.length} bytes`);
      assert.equal((await citizenCtx.request.get(`${bulletinPath}/audio.wav`)).status(), 403, 'citizens cannot fetch it');
      await axe(desk, `${bulletinPath} ready (desktop 1280)`);
      await desk.screenshot({ path: artifact('notices-bulletin-ready.png'), fullPage: true });
    });

    await step('7. the office pages on a 360-px phone: no sideways scroll', async () => {
      await desk.setViewportSize(MOBILE);
      try {
        for (const [path, what] of [[OFFICE, 'office notices'], [reachPath(), 'reach page'], [BULLETIN, 'bulletin']]) {
          await desk.goto(path);
          await assertNoSideScroll(desk, `${what} at 360 px`);
          await axe(desk, `${path} (official, mobile 360)`);
        }
        await desk.goto(reachPath());
        await desk.screenshot({ path: artifact('notices-reach-phone.png'), fullPage: true });
      } finally {
        await desk.setViewportSize(DESKTOP);
      }
    });

    await t.test('8. axe: no serious or critical violations on the pages of the journey', {
      skip: broken ? `step "${broken}" failed` : false,
    }, () => {
      assert.equal(axeFound.length, 0, `serious/critical axe violations:\n${axeFound.join('\n')}`);
    });

    await t.test('9. no request left 127.0.0.1 and no dialog opened', () => {
      assert.ok(outside.every((o) => o.seen > 0), 'the request watch saw the journey\'s requests');
      assert.deepEqual(outside.flat(), [], 'requests to other hosts');
      assert.deepEqual(dialogs.flat(), [], 'dialogs opened by a script');
    });
    // Expected: Chromium logs the 422 of the deliberate submission without an audience (step 4),
    // and aborts the <audio> element's loading of the WAV when the page is left (step 7).
    const expected = (p) => /^console\.error: Failed to load resource: the server responded with a status of 422 \(Unprocessable Entity\) \(\S+\/office\/notices\?csrf=\w+\)$/.test(p)
      || /^requestfailed: GET \S+\/office\/bulletin\/\d+\/audio\.wav net::ERR_ABORTED$/.test(p);
    assert.deepEqual(problems.flat().filter((p) => !expected(p)), [], 'no script errors or failed requests');
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
});
