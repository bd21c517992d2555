// The voice room, end to end in the browser: a citizen sends an environment report from a
// 360-px phone with a photo and a pin dropped on the map; the official finds it in the triage
// inbox, assigns it to themselves and answers it in public; the citizen reads the answer and
// rates it 5; the public board lists it without the reporter's name and shows it on the map.
// axe-core on the board and on the form; no request may leave 127.0.0.1 on the way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  launch, newContext, registerCitizen, signIn, staffAccount, tempDir, writePng,
  artifact, watchPage, COMMUNE_CODE, MOBILE, DESKTOP, watchHosts,
  describeAxe, axeBlocking, assertNoSideScroll,
} from './helpers.mjs';

const C = COMMUNE_CODE;
const RECEIPT_RE = new RegExp(`^PA${C}-\\d{6}-[A-HJ-NP-Z2-9]{5}$`);
// The demo commune's map area (crates/voice/src/demo.rs): south, west, north, east.
const AREA = { south: 19.27, west: 105.12, north: 19.37, east: 105.24 };

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

/** Leaflet's failures are console warnings ("map: cannot …"): count them as problems too. */
function watchMapWarnings(page, problems) {
  page.on('console', (m) => {
    if (m.type() === 'warning' && m.text().startsWith('map:')) problems.push(`console.warn: ${m.text()}`);
  });
}

/** The status pill of a report (the category is a pill too, without an s-… class). */
const statusPill = (page) => page.locator('main section.card .pill[class*="s-"]').first();

/** The text of the board's map marker title: the report's first 80 characters (web.rs excerpt). */
function excerpt(s, n) {
  const chars = Array.from(s);
  return chars.length <= n ? s : `${chars.slice(0, n).join('')}…`;
}

/** Waits until a [data-map] element has become a Leaflet map. */
async function mapReady(page, selector) {
  await page.locator(`${selector}.leaflet-container[data-map-ready="1"]`).waitFor({ timeout: 10_000 });
}

/** Clicks a step's button on the desk page and waits for the page to show the new status. */
async function deskStep(page, button, wantCode) {
  const [post] = await Promise.all([
    page.waitForResponse((r) => /\/office\/feedback\/\d+\/step$/.test(new URL(r.url()).pathname)
      && r.request().method() === 'POST'),
    page.getByRole('button', { name: button, exact: true }).click(),
  ]);
  assert.ok(post.status() < 400, `"${button}" answered ${post.status()}`);
  await page.waitForFunction(
    ([want]) => document.querySelector(`main section.card .pill.s-${want}`)
      || document.querySelector('main .alert'),
    [wantCode],
    { timeout: 10_000 },
  );
  const alert = page.locator('main .alert');
  if (await alert.count()) assert.fail(`"${button}" showed an error: ${(await alert.textContent()).trim()}`);
  await page.waitForLoadState('load');
}

test('feedback: send from a phone with photo and pin → triage → assign → answer → rate → public board and map', async (t) => {
  const official = staffAccount('official');

  const citizenCtx = await newContext(browser, MOBILE);
  const officialCtx = await newContext(browser, DESKTOP);
  const outside = [citizenCtx, officialCtx].map(watchHosts);
  const citizen = await citizenCtx.newPage();
  const desk = await officialCtx.newPage();
  const problems = [citizen, desk].map((p) => {
    const list = watchPage(p);
    watchMapWarnings(p, list);
    return list;
  });

  const tag = String(Date.now() % 100_000).padStart(5, '0');
  const report = {
    text: `Bãi rác tự phát ven suối Khe Lá (điểm ${tag}) bốc mùi hôi, sau mưa rác tràn xuống lòng suối, `
      + 'bà con lấy nước tưới rau rất lo ngại.',
    address: 'Ven suối Khe Lá, gần cầu treo bản Hợp Thành',
    answer: 'UBND xã đã cử tổ vệ sinh môi trường thu gom rác ngày hôm nay, đặt thêm thùng rác '
      + 'và biển cấm đổ rác tại điểm này. Cảm ơn bà con đã phản ánh.',
    comment: 'Rác đã được dọn sạch, cảm ơn xã xử lý nhanh.',
  };
  let who;       // the citizen
  let receipt;   // PA17071-yymmdd-XXXXX
  let pin;       // { lat, lon } as the form sent them
  let reportId;  // the desk's id of the report
  const followPath = () => `/c/${C}/feedback/${receipt}`;

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
    await step('1. a citizen on a 360-px phone sends an environment report with a photo and a map pin', async () => {
      who = await registerCitizen(citizen);
      const res = await citizen.goto(`/c/${C}/feedback/new`);
      assert.equal(res.status(), 200);
      assert.equal((await citizen.locator('main h1').textContent()).trim(), 'Gửi phản ánh');

      const category = citizen.getByLabel('Lĩnh vực *');
      const cats = await category.locator('option').evaluateAll((os) => os.map((o) => o.value));
      assert.ok(cats.includes('environment'), `"environment" among the categories: ${cats.join(', ')}`);
      await category.selectOption('environment');
      await citizen.getByLabel('Nội dung *').fill(report.text);
      await citizen.locator('input[type="file"][name="photos"]')
        .setInputFiles(writePng(files, 'bai-rac-ven-suoi.png', [120, 150, 90]));

      // The picker map: Leaflet on a blank background (no tiles) with the commune's outline.
      const picker = '.map[data-map="picker"]';
      await mapReady(citizen, picker);
      assert.equal(await citizen.locator('#lat').inputValue(), '', 'no pin before the click');
      assert.equal(await citizen.locator('#lon').inputValue(), '');
      const outline = citizen.locator(`${picker} .leaflet-overlay-pane path`).first();
      await outline.scrollIntoViewIfNeeded();
      const box = await outline.boundingBox();
      assert.ok(box && box.width > 50 && box.height > 50, `the commune's outline is drawn: ${JSON.stringify(box)}`);
      // Somewhere well inside the outline (not the same spot on every run against one server).
      const fx = 0.2 + Math.random() * 0.6;
      const fy = 0.2 + Math.random() * 0.6;
      await citizen.mouse.click(box.x + box.width * fx, box.y + box.height * fy);
      await citizen.waitForFunction(() => document.querySelector('#lat').value !== ''
        && document.querySelector('#lon').value !== '');
      const lat = await citizen.locator('#lat').inputValue();
      const lon = await citizen.locator('#lon').inputValue();
      assert.match(lat, /^\d+\.\d{6}$/, `#lat filled with 6 decimals: ${lat}`);
      assert.match(lon, /^\d+\.\d{6}$/, `#lon filled with 6 decimals: ${lon}`);
      pin = { lat: Number(lat), lon: Number(lon) };
      assert.ok(pin.lat > AREA.south && pin.lat < AREA.north, `lat ${lat} inside the commune`);
      assert.ok(pin.lon > AREA.west && pin.lon < AREA.east, `lon ${lon} inside the commune`);
      assert.equal(await citizen.locator(`${picker} .leaflet-marker-icon`).count(), 1, 'a pin on the map');

      await citizen.getByLabel('Địa chỉ, mô tả nơi xảy ra').fill(report.address);
      assert.equal(await citizen.locator('input[name="anonymous"]').isChecked(), false);
      await assertNoSideScroll(citizen, 'new feedback form at 360 px');
      await citizen.screenshot({ path: artifact('feedback-new.png'), fullPage: true });

      const [post] = await Promise.all([
        citizen.waitForResponse((r) => new URL(r.url()).pathname === `/c/${C}/feedback/new`
          && r.request().method() === 'POST'),
        citizen.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click(),
      ]);
      if (post.status() >= 400) {
        const why = (await post.text()).match(/class="alert"[^>]*>([^<]*)/)?.[1] ?? '';
        assert.fail(`sending answered ${post.status()}: ${why}`);
      }
      await citizen.waitForURL((u) => new URL(u).pathname.startsWith(`/c/${C}/feedback/PA`), { timeout: 10_000 });
      await citizen.waitForLoadState('load');
      receipt = decodeURIComponent(new URL(citizen.url()).pathname.split('/').pop());
      assert.match(receipt, RECEIPT_RE, 'receipt code in the URL');
      assert.ok(receipt.startsWith(`PA${C}-`));
      // First the thank-you card with the receipt; then the report's own page.
      assert.equal(new URL(citizen.url()).search, '?sent=1');
      assert.ok((await citizen.locator('main section.card.thanks').textContent()).includes(receipt));
      await citizen.goto(new URL(citizen.url()).pathname);
      assert.equal((await citizen.locator('main h1').textContent()).trim(), `Phản ánh ${receipt}`);

      const card = citizen.locator('main section.card').first();
      assert.equal((await statusPill(citizen).textContent()).trim(), 'Mới tiếp nhận');
      await card.locator('.pill', { hasText: 'Môi trường' }).first().waitFor();
      await card.getByText(report.text, { exact: true }).waitFor();
      await card.getByText(report.address).waitFor();
      // The photo is on file and served as an image.
      const photo = card.locator(`.photos img[src^="/c/${C}/feedback/${receipt}/photos/"]`);
      assert.equal(await photo.count(), 1, 'one photo on the follow page');
      const img = await citizenCtx.request.get(await photo.getAttribute('src'));
      assert.equal(img.status(), 200);
      assert.match(img.headers()['content-type'] ?? '', /^image\/png/);
      assert.equal(await citizen.getByRole('button', { name: 'Gửi đánh giá' }).count(), 0,
        'nothing to rate before the answer');
      await citizen.locator('ol.history li', { hasText: 'Gửi phản ánh' }).first().waitFor();
      await assertNoSideScroll(citizen, 'follow page at 360 px');
      await citizen.screenshot({ path: artifact('feedback-sent.png'), fullPage: true });
    });

    await step('2. the official finds it in the triage inbox, assigns it to themselves and answers in public', async () => {
      await signIn(desk, official.phone, official.password);
      const res = await desk.goto(`/c/${C}/office/feedback`);
      assert.equal(res.status(), 200);
      assert.equal((await desk.locator('main h1').textContent()).trim(), 'Tiếp nhận phản ánh');
      const row = desk.locator('table tbody tr', { hasText: receipt });
      assert.equal(await row.count(), 1, 'the new report is in the triage inbox');
      assert.match(await row.textContent(), /Môi trường/);
      assert.match(await row.textContent(), new RegExp(who.name), 'officials see who reported it');
      assert.equal((await row.locator('.pill[class*="s-"]').first().textContent()).trim(), 'Mới tiếp nhận');

      await row.getByRole('link', { name: receipt }).click();
      await desk.waitForURL((u) => /\/office\/feedback\/\d+$/.test(new URL(u).pathname));
      await desk.locator('main h1', { hasText: receipt }).waitFor();
      reportId = Number(new URL(desk.url()).pathname.split('/').pop());
      assert.ok(reportId > 0);
      const main = desk.locator('main');
      await main.getByText(report.text, { exact: true }).waitFor();
      await main.getByText(who.name).first().waitFor();
      assert.equal(await main.locator(`.photos img[src^="/c/${C}/feedback/${receipt}/photos/"]`).count(), 1,
        'the official sees the photo');
      // Not yet assigned: an official may triage but not answer.
      assert.equal(await desk.getByRole('button', { name: 'Trả lời', exact: true }).count(), 0,
        'no answer before the report is assigned');

      const assignee = desk.getByLabel('Giao cho cán bộ', { exact: true });
      const options = await assignee.locator('option').evaluateAll((os) =>
        os.map((o) => ({ value: o.value, label: o.textContent.trim() })));
      const me = options.find((o) => o.label.startsWith(official.name));
      assert.ok(me, `"${official.name}" among the handlers: ${options.map((o) => o.label).join(', ')}`);
      await assignee.selectOption(me.value);
      await deskStep(desk, 'Giao xử lý', 'assigned');
      assert.equal((await statusPill(desk).textContent()).trim(), 'Đang xử lý');

      await desk.getByLabel('Trả lời công khai *').fill(report.answer);
      await deskStep(desk, 'Trả lời', 'answered');
      assert.equal((await statusPill(desk).textContent()).trim(), 'Đã trả lời');
      await main.locator('blockquote', { hasText: report.answer }).waitFor();
      const history = desk.locator('ol.history');
      for (const a of ['Gửi phản ánh', 'Giao xử lý', 'Trả lời']) {
        await history.locator('li', { hasText: a }).first().waitFor();
      }
      assert.ok((await history.textContent()).includes(official.name), 'the desk history names who acted');
      // The pin is shown on the desk's map.
      await mapReady(desk, '.map[data-map="picker"]');
      assert.equal(await desk.locator('.map[data-map="picker"] .leaflet-marker-icon').count(), 1);
      await desk.screenshot({ path: artifact('feedback-desk.png'), fullPage: true });
    });

    await step('3a. the citizen reloads the follow page, reads the answer and rates it 5', async () => {
      await citizen.reload();
      await citizen.waitForLoadState('load');
      assert.equal(new URL(citizen.url()).pathname, followPath());
      assert.equal((await statusPill(citizen).textContent()).trim(), 'Đã trả lời');
      const answer = citizen.locator('main section.card blockquote');
      await answer.waitFor();
      assert.match(await answer.textContent(), /^Trả lời của xã/);
      assert.ok((await answer.textContent()).includes(report.answer), 'the public answer is shown');
      const timeline = await citizen.locator('ol.history').textContent();
      assert.ok(!timeline.includes(official.name), 'the follow page does not name the official');

      const form = citizen.locator('form', { has: citizen.getByRole('button', { name: 'Gửi đánh giá' }) });
      await form.getByLabel('5★').check();
      await form.getByLabel('Góp ý thêm').fill(report.comment);
      const [post] = await Promise.all([
        citizen.waitForResponse((r) => new URL(r.url()).pathname === `${followPath()}/rate`
          && r.request().method() === 'POST'),
        form.getByRole('button', { name: 'Gửi đánh giá' }).click(),
      ]);
      assert.ok(post.status() < 400, `rating answered ${post.status()}`);
      await citizen.waitForFunction(() => document.querySelector('main section.card .pill.s-closed')
        || document.querySelector('main .alert'), null, { timeout: 10_000 });
      const alert = citizen.locator('main .alert');
      if (await alert.count()) assert.fail(`rating showed an error: ${(await alert.textContent()).trim()}`);
      assert.equal(new URL(citizen.url()).pathname, followPath());
      assert.equal((await statusPill(citizen).textContent()).trim(), 'Đã kết thúc');
      await citizen.locator('main section.card p', { hasText: 'Người phản ánh đánh giá 5/5' }).waitFor();
      assert.equal(await citizen.getByRole('button', { name: 'Gửi đánh giá' }).count(), 0, 'rated once only');
      await citizen.screenshot({ path: artifact('feedback-rated.png'), fullPage: true });
    });

    await step('3b. the public board lists it without the reporter and shows it on the map', async () => {
      const res = await citizen.goto(`/c/${C}/feedback`);
      assert.equal(res.status(), 200);
      assert.equal((await citizen.locator('main h1').textContent()).trim(), 'Phản ánh, kiến nghị');
      const item = citizen.locator('main article.card', {
        has: citizen.locator(`a[href="${followPath()}"]`),
      });
      assert.equal(await item.count(), 1, 'the answered report is on the board');
      const text = await item.textContent();
      assert.ok(text.includes(report.text), 'the report text');
      assert.ok(text.includes(report.answer), 'the answer');
      assert.ok(text.includes('Môi trường'), 'the category');
      assert.match(text, /Người phản ánh đánh giá 5\/5/);
      assert.equal((await item.locator('.pill[class*="s-"]').first().textContent()).trim(), 'Đã kết thúc');
      const board = await citizen.locator('main').textContent();
      assert.ok(!board.includes(who.name), 'the board does not name the reporter');
      assert.ok(!board.includes(who.phone.slice(-6)), 'the board does not show the reporter\'s phone');

      // The map: markers from board.geojson, ours among them, with a popup linking to it.
      await mapReady(citizen, '.map[data-map="points"]');
      const markers = citizen.locator('.map[data-map="points"] .leaflet-marker-icon');
      await markers.first().waitFor({ timeout: 10_000 });
      assert.ok(await markers.count() >= 1, 'markers on the board map');
      const geo = await citizenCtx.request.get(`/c/${C}/feedback/board.geojson`);
      assert.equal(geo.status(), 200);
      const geoText = await geo.text();
      assert.ok(!geoText.includes(who.name) && !geoText.includes(who.phone),
        'the map data does not name the reporter');
      const feature = JSON.parse(geoText).features.find((f) => f.properties.url === followPath());
      assert.ok(feature, 'our report is on the map');
      assert.deepEqual(feature.geometry.coordinates, [pin.lon, pin.lat], 'at the pin the citizen dropped');
      assert.equal(await markers.count(), JSON.parse(geoText).features.length, 'one marker per pinned report');
      const ours = citizen.locator(`.map[data-map="points"] .leaflet-marker-icon[title="${excerpt(report.text, 80)}"]`);
      assert.equal(await ours.count(), 1, 'a marker titled with our report');
      // Markers are keyboard buttons: Enter opens the popup (and works when pins overlap).
      await ours.focus();
      await ours.press('Enter');
      const popupLink = citizen.locator('.leaflet-popup-content .map-popup a');
      await popupLink.waitFor();
      assert.equal(new URL(await popupLink.getAttribute('href')).pathname, followPath());
      await assertNoSideScroll(citizen, 'board at 360 px');
      await citizen.screenshot({ path: artifact('feedback-board.png'), fullPage: true });
    });

    await step('4. axe: the board and the new-feedback form have no serious or critical violations', async () => {
      const found = [];
      for (const [page, label] of [[citizen, 'mobile 360'], [desk, 'desktop 1280']]) {
        await page.goto(`/c/${C}/feedback`);
        await mapReady(page, '.map[data-map="points"]');
        await page.locator('.map[data-map="points"] .leaflet-marker-icon').first().waitFor();
        const b = await axeBlocking(page, `/c/${C}/feedback (${label})`);
        if (b.length) found.push(`/c/${C}/feedback (${label}):\n${describeAxe(b)}`);

        await page.goto(`/c/${C}/feedback/new`);
        await mapReady(page, '.map[data-map="picker"]');
        const n = await axeBlocking(page, `/c/${C}/feedback/new (${label})`);
        if (n.length) found.push(`/c/${C}/feedback/new (${label}):\n${describeAxe(n)}`);
      }
      assert.equal(found.length, 0, `serious/critical axe violations:\n${found.join('\n')}`);
    });

    await t.test('5. no request left 127.0.0.1', () => {
      assert.ok(outside.every((o) => o.seen > 0), 'the request watch saw the journey\'s requests');
      assert.deepEqual(outside.flat(), [], 'requests to other hosts');
    });
    assert.deepEqual(problems.flat(), [], 'no script errors, map warnings or failed requests');
  } finally {
    await Promise.all([citizenCtx, officialCtx].map((c) => c.close()));
  }
});
