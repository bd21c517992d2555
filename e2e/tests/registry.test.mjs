// The household register (crates/registry) in the back office, end to end in the browser. The
// official of the demo commune opens the commune map on a 360-px phone and on a 1280-px desktop:
// the layer switcher lists "Thôn, bản" and "Hộ gia đình" and turns each off and on; the
// households' bubbles (`.leaflet-tooltip.map-count`) add up to the demo's 300 households (zoomed
// out as far as it takes to gather them all); tapping bubbles zooms in until single households
// show, and a tapped household's popup links to its page, which opens. The official searches
// the list for a name typed without accents, narrows it to a village, and opens the household.
// Then an import: a small CSV (a new household, MH-0002 with another number of members, a row
// with 0 members and one with an unknown village) is uploaded; the progress card turns into the
// preview (counts, the refused rows with column and reason, the first rows); "Ghi vào sổ hộ"
// writes in the background until "Đã ghi vào sổ"; the new household is in the list, the refused
// ones are not. axe-core on every page at both widths; at 360 px no sideways scroll and 44-px
// tap targets; screenshots of the map, the list, a household and the import preview at both
// widths; no request may leave 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  launch, newContext, signIn, staffAccount, artifact, watchPage, tempDir,
  COMMUNE_CODE, MOBILE, DESKTOP, watchHosts,
  describeAxe, axeBlocking, assertNoSideScroll, assertTapTargets,
} from './helpers.mjs';

const C = COMMUNE_CODE;
const LIST = `/c/${C}/office/households`;
const MAP = `/c/${C}/office/map`;
const IMPORT = `/c/${C}/office/households/import`;
const HOUSEHOLD = new RegExp(`^/c/${C}/office/households/(\\d+)$`);
const IMPORT_CARD = new RegExp(`^/c/${C}/office/households/import/(\\d+)$`);
// crates/registry/src/demo.rs: the demo commune's households, every one pinned on the map.
const DEMO_HOUSEHOLDS = 300;
const LAYERS = ['Thôn, bản', 'Hộ gia đình'];
const VILLAGE_LAYER = 'Thôn, bản';
const HOUSEHOLD_LAYER = 'Hộ gia đình';
const UPDATED_CODE = 'MH-0002';
const MEMBERS_REFUSED = 'Số nhân khẩu phải từ 1 đến 50.';
const VILLAGE_REFUSED = 'Không có thôn, bản tên này trong xã.';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** "Vi Đình Tuấn" → "vi dinh tuan": what a person types without Vietnamese accents. */
function unaccented(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

/** The figures beside the map or above an import preview: { term: value } of a `dl.stats`. */
async function stats(scope) {
  return scope.locator('dl.stats > div').evaluateAll((ds) => Object.fromEntries(ds.map((d) => [
    d.querySelector('dt').textContent.trim(), d.querySelector('dd').textContent.trim(),
  ])));
}

/**
 * The numbers of the household bubbles and where their centres are on screen; not those of
 * bubbles just redrawn, which Leaflet fades out (opacity 0) for 200 ms before removing them.
 */
async function bubbles(page) {
  return page.locator('.leaflet-tooltip.map-count').evaluateAll((ts) => ts.filter((t) => t.style.opacity !== '0').map((t) => {
    const r = t.getBoundingClientRect();
    return { n: Number(t.textContent.trim()), x: r.left + r.width / 2, y: r.top + r.height / 2 };
  }));
}

/** Something that changes with every zoom step: the scale bar's text and length. */
function scaleOf(page) {
  return page.locator('.leaflet-control-scale-line').evaluate((s) => `${s.textContent} ${s.style.width}`);
}

/** Waits until a zoom started by `act` has ended (the scale changed, no zoom animation running). */
async function zoomBy(page, act) {
  const before = await scaleOf(page);
  await act();
  await page.waitForFunction((prev) => {
    const s = document.querySelector('.leaflet-control-scale-line');
    const animating = document.querySelector('.leaflet-zoom-anim');
    return s && `${s.textContent} ${s.style.width}` !== prev && !animating;
  }, before, { timeout: 10_000 });
  // zoomend redraws the bubbles synchronously; one more frame for the labels to be laid out.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/**
 * The map, scrolled whole into the viewport, and a test for screen points a finger may tap:
 * inside the map, off its edges and its controls (the layer switcher, the zoom buttons).
 */
async function mapBoxes(page) {
  await page.locator('.map.leaflet-container').evaluate((m) => m.scrollIntoView({ block: 'center' }));
  const map = await page.locator('.map.leaflet-container').boundingBox();
  const control = await page.locator('.leaflet-control-layers').boundingBox();
  const zoom = await page.locator('.leaflet-control-zoom').boundingBox();
  const inside = (p, margin = 30) => p.x > map.x + margin && p.x < map.x + map.width - margin
    && p.y > map.y + margin && p.y < map.y + map.height - margin
    && ![control, zoom].some((b) => p.x > b.x - 20 && p.x < b.x + b.width + 20 && p.y > b.y - 20 && p.y < b.y + b.height + 20);
  return { map, inside };
}

/**
 * A single household's circle on the points' canvas, near the middle of the map: the screen
 * position of a pixel well inside a painted circle (its neighbours 3 px away painted too).
 */
async function householdDot(page) {
  const { map, inside } = await mapBoxes(page);
  const spots = await page.locator('.leaflet-xaso-points-pane canvas').evaluate((cv) => {
    const r = cv.getBoundingClientRect();
    const sx = cv.width / r.width;
    const sy = cv.height / r.height;
    const data = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    const painted = (x, y) => {
      if (x < 0 || y < 0 || x >= cv.width || y >= cv.height) return false;
      const i = (y * cv.width + x) * 4;
      // The households' blue (#1d4ed8 at 90 %), not the white rim.
      return data[i + 3] > 180 && data[i + 2] > data[i] + 100;
    };
    const out = [];
    const step = Math.max(1, Math.round(2 * sx));
    const d = Math.round(3 * sx);
    for (let y = 0; y < cv.height; y += step) {
      for (let x = 0; x < cv.width; x += step) {
        if (painted(x, y) && painted(x - d, y) && painted(x + d, y) && painted(x, y - d) && painted(x, y + d)) {
          out.push({ x: r.left + x / sx, y: r.top + y / sy });
        }
      }
    }
    return out;
  });
  const mid = { x: map.x + map.width / 2, y: map.y + map.height / 2 };
  const near = spots.filter((p) => inside(p))
    .sort((a, b) => Math.hypot(a.x - mid.x, a.y - mid.y) - Math.hypot(b.x - mid.x, b.y - mid.y));
  return near[0] ?? null;
}

test('household register: the map, the list, a household, and an import with its preview', async (t) => {
  const official = staffAccount('official');

  const phoneCtx = await newContext(browser, MOBILE);
  const deskCtx = await newContext(browser, DESKTOP);
  const outside = [phoneCtx, deskCtx].map(watchHosts);
  const phone = await phoneCtx.newPage();
  const desk = await deskCtx.newPage();
  const problems = [phone, desk].map(watchPage);

  const tag = String(Date.now() % 100_000).padStart(5, '0');
  const newCode = `KT-${tag}`;
  const newHead = `Đỗ Thị Kiểm Thử ${tag}`;
  const axeFound = [];
  let updated;      // MH-0002 as the list shows it: { id, head, village, members }
  let importPath;   // /c/17071/office/households/import/{id}
  let sawProgress = false;

  const axe = async (page, label) => {
    const b = await axeBlocking(page, label);
    if (b.length) axeFound.push(`${label}:\n${describeAxe(b)}`);
  };
  const phoneChecks = async (label) => {
    await assertNoSideScroll(phone, `${label} at 360 px`);
    await assertTapTargets(phone, `${label} at 360 px`);
    await axe(phone, `${label} (mobile 360)`);
  };

  let broken = '';
  const step = (name, fn) => t.test(name, { skip: broken ? `step "${broken}" failed` : false }, async () => {
    try {
      await fn();
    } catch (e) {
      broken = name.split('.')[0];
      throw e;
    }
  });

  /** The map journey at one width; `page` is signed in as the official. */
  const mapJourney = async (page, width, name) => {
    const res = await page.goto(MAP);
    assert.equal(res.status(), 200);
    assert.equal((await page.locator('main h1').textContent()).trim(), 'Bản đồ xã');
    await page.locator('.map.leaflet-container').waitFor();

    // The figures beside the map: every demo household has a place.
    const figures = await stats(page.locator('main'));
    assert.equal(figures['Hộ đã có vị trí'], String(DEMO_HOUSEHOLDS), `figures: ${JSON.stringify(figures)}`);

    // The layer switcher: both layers, both on. Any other layer the map may offer is turned
    // off, so that the bubbles and circles below are the households'.
    const control = page.locator('.leaflet-control-layers');
    await control.waitFor();
    const names = (await control.locator('label').allTextContents()).map((s) => s.trim());
    for (const layer of LAYERS) {
      assert.ok(names.includes(layer), `the layer switcher lists "${layer}": ${names.join(', ')}`);
      assert.ok(await control.getByLabel(layer, { exact: true }).isChecked(), `${layer} is on`);
    }
    for (const other of names.filter((n) => !LAYERS.includes(n))) {
      await control.getByLabel(other, { exact: true }).uncheck();
    }

    // The households as numbered bubbles, and the villages' names.
    await page.locator('.leaflet-tooltip.map-count').first().waitFor({ timeout: 10_000 });
    await page.locator('.leaflet-tooltip.map-label').first().waitFor();
    let counts = await bubbles(page);
    let sum = counts.reduce((a, b) => a + b.n, 0);
    assert.ok(counts.length > 1 && counts.every((b) => Number.isInteger(b.n) && b.n >= 2),
      `bubbles with a count of two or more: ${counts.map((b) => b.n)}`);
    assert.ok(sum <= DEMO_HOUSEHOLDS, `bubbles count ${sum} households, more than there are`);
    await page.screenshot({ path: artifact(`registry-map-${name}.png`), fullPage: true });

    // No bubble hides another: their numbers do not overlap.
    const boxes = await page.locator('.leaflet-tooltip.map-count').evaluateAll((ts) => ts.filter((x) => x.style.opacity !== '0').map((x) => {
      const r = x.getBoundingClientRect();
      return [r.left, r.top, r.right, r.bottom];
    }));
    const overlapping = boxes.filter((a, i) => boxes.some((b, j) => j !== i
      && a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]));
    assert.equal(overlapping.length, 0, `${overlapping.length} bubble numbers overlap`);

    // Zoomed out as far as it takes, every household is in a bubble: they add up to 300.
    for (let i = 0; i < 4 && sum < DEMO_HOUSEHOLDS; i += 1) {
      await zoomBy(page, () => page.getByRole('button', { name: 'Zoom out' }).click());
      counts = await bubbles(page);
      sum = counts.reduce((a, b) => a + b.n, 0);
    }
    assert.equal(sum, DEMO_HOUSEHOLDS, `the bubbles add up to the demo's households (${counts.map((b) => b.n).join('+')})`);

    // The switcher turns each layer off and on.
    const villagesShown = await page.locator('.leaflet-tooltip.map-label').count();
    assert.ok(villagesShown >= 2, 'the villages are named on the map');
    // (Leaflet fades a tooltip out for 200 ms before it leaves the page.)
    const gone = (selector, what) => page.waitForFunction((sel) => !document.querySelector(sel), selector, { timeout: 5_000 })
      .catch(() => assert.fail(what));
    await control.getByLabel(HOUSEHOLD_LAYER, { exact: true }).uncheck();
    await gone('.leaflet-tooltip.map-count', 'households off: the bubbles go');
    assert.ok(await page.locator('.leaflet-tooltip.map-label').count() > 0, 'the villages stay');
    await control.getByLabel(HOUSEHOLD_LAYER, { exact: true }).check();
    await page.locator('.leaflet-tooltip.map-count').first().waitFor();
    assert.equal((await bubbles(page)).reduce((a, b) => a + b.n, 0), DEMO_HOUSEHOLDS, 'households on again');
    await control.getByLabel(VILLAGE_LAYER, { exact: true }).uncheck();
    await gone('.leaflet-tooltip.map-label', 'villages off: their names go');
    assert.ok(await page.locator('.leaflet-tooltip.map-count').count() > 0, 'the households stay');
    await control.getByLabel(VILLAGE_LAYER, { exact: true }).check();
    await page.locator('.leaflet-tooltip.map-label').first().waitFor();
    assert.equal(await page.locator('.leaflet-tooltip.map-label').count(), villagesShown, 'villages on again');

    // Tapping the bubble nearest the middle zooms in to its households, until the map shows
    // single households only (from zoom 17 at the latest; a bubble may fall apart before).
    let taps = 0;
    for (; taps < 8; taps += 1) {
      const { map, inside } = await mapBoxes(page);
      const mid = { x: map.x + map.width / 2, y: map.y + map.height / 2 };
      const tappable = (await bubbles(page)).filter((b) => inside(b))
        .sort((a, b) => Math.hypot(a.x - mid.x, a.y - mid.y) - Math.hypot(b.x - mid.x, b.y - mid.y));
      if (!tappable.length) break;
      await zoomBy(page, () => page.mouse.click(tappable[0].x, tappable[0].y));
    }
    assert.ok(taps >= 1 && taps < 8, `${taps} taps on bubbles`);
    const { inside } = await mapBoxes(page);
    assert.deepEqual((await bubbles(page)).filter((b) => inside(b, 0)), [], 'no bubble left in view');

    // A single household: its popup links to its page.
    const dot = await householdDot(page);
    assert.ok(dot, `after ${taps} taps on bubbles, single households near the middle of the map`);
    await page.mouse.click(dot.x, dot.y);
    const link = page.locator('.leaflet-popup-content a');
    await link.waitFor({ timeout: 5_000 });
    // (the popup fades in: the screenshot waits for it)
    await page.waitForFunction(() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1');
    const href = await link.getAttribute('href');
    const code = (await link.textContent()).trim();
    assert.match(new URL(href, page.url()).pathname, HOUSEHOLD, `the popup links to a household: ${href}`);
    assert.match(code, /^MH-\d{4}$/, `the popup names the household by its code: ${code}`);
    await page.locator('.map').screenshot({ path: artifact(`registry-map-popup-${name}.png`) });
    if (width === MOBILE.width) await phoneChecks('map page, a household\'s popup open');
    else await axe(page, 'map page, a household\'s popup open (desktop 1280)');

    await link.click();
    await page.waitForURL((u) => HOUSEHOLD.test(new URL(u).pathname), { timeout: 10_000 });
    await page.waitForLoadState('load');
    assert.equal((await page.locator('main h1').textContent()).trim(), `Hộ ${code}`);
    await page.waitForLoadState('networkidle');
  };

  try {
    await step('1. the map on a 360-px phone: both layers, bubbles adding up to 300, zoom in to one household and open it', async () => {
      await signIn(phone, official.phone, official.password);
      await mapJourney(phone, MOBILE.width, 'phone');
      // The map page as it first opens, for the checks of a page as a whole.
      await phone.goto(MAP);
      await phone.locator('.leaflet-tooltip.map-count').first().waitFor();
      await phoneChecks('map page');
    });

    await step('2. the map on a 1280-px desktop: the same', async () => {
      await signIn(desk, official.phone, official.password);
      await mapJourney(desk, DESKTOP.width, 'desktop');
      await desk.goto(MAP);
      await desk.locator('.leaflet-tooltip.map-count').first().waitFor();
      await axe(desk, 'map page (desktop 1280)');
    });

    await step('3. the list: a name typed without accents, a village, and the household\'s page', async () => {
      const res = await desk.goto(LIST);
      assert.equal(res.status(), 200);
      assert.equal((await desk.locator('main h1').textContent()).trim(), 'Sổ hộ gia đình');
      await axe(desk, 'household list (desktop 1280)');
      await desk.screenshot({ path: artifact('registry-list-desktop.png'), fullPage: true });
      const pager = desk.locator('main nav.pager');
      assert.equal(await pager.getByRole('link', { name: /Sau/ }).count(), 1, 'more than one page of households');

      // MH-0002, found by its code: who heads it, where, how many live there.
      await desk.goto(`${LIST}?q=${UPDATED_CODE}`);
      const row = desk.locator('main table tbody tr', { has: desk.getByRole('link', { name: UPDATED_CODE, exact: true }) });
      assert.equal(await row.count(), 1, `${UPDATED_CODE} found by its code`);
      const cells = (await row.locator('td').allTextContents()).map((s) => s.trim());
      const href = await row.getByRole('link', { name: UPDATED_CODE }).getAttribute('href');
      updated = { id: Number(HOUSEHOLD.exec(href)[1]), head: cells[1], village: cells[2], members: Number(cells[3]) };
      assert.ok(updated.head && updated.village && updated.members >= 1, JSON.stringify(updated));
      const typed = unaccented(updated.head);
      assert.notEqual(typed, updated.head.toLowerCase(), `"${updated.head}" has accents to leave out`);

      // Typed without accents.
      await desk.getByLabel('Tìm hộ').fill(typed);
      await desk.getByRole('button', { name: 'Tìm' }).click();
      await desk.waitForURL((u) => new URL(u).searchParams.get('q') === typed);
      await desk.waitForLoadState('load');
      const found = desk.locator('main table tbody tr');
      assert.ok(await found.count() >= 1, `"${typed}" finds households`);
      assert.equal(await found.filter({ hasText: UPDATED_CODE }).count(), 1, `"${typed}" finds ${UPDATED_CODE}`);
      assert.ok(await found.count() < 50, 'the search narrows the list');
      assert.equal(await desk.getByLabel('Tìm hộ').inputValue(), typed, 'the search box keeps what was typed');

      // The village filter: the household's own village keeps it; every row is of that village.
      await desk.locator('#village').selectOption({ label: updated.village });
      await desk.getByRole('button', { name: 'Tìm' }).click();
      await desk.waitForURL((u) => new URL(u).searchParams.get('village'));
      await desk.waitForLoadState('load');
      assert.equal(await found.filter({ hasText: UPDATED_CODE }).count(), 1, `${UPDATED_CODE} in ${updated.village}`);
      const villages = await found.evaluateAll((rs) => rs.map((r) => r.querySelectorAll('td')[2].textContent.trim()));
      assert.deepEqual([...new Set(villages)], [updated.village], 'only households of the chosen village');
      const listed = desk.url();
      const chosen = new URL(listed).searchParams.get('village');
      await axe(desk, 'household list, searched (desktop 1280)');
      // Another village does not have it.
      const other = await desk.locator('#village option').evaluateAll((os, v) =>
        os.map((o) => o.textContent.trim()).find((n) => n && n !== v && !n.startsWith('Tất cả')), updated.village);
      await desk.locator('#village').selectOption({ label: other });
      await desk.getByRole('button', { name: 'Tìm' }).click();
      await desk.waitForURL((u) => (new URL(u).searchParams.get('village') || chosen) !== chosen);
      await desk.waitForLoadState('load');
      assert.equal(await desk.locator('main table tbody tr', { hasText: UPDATED_CODE }).count(), 0, `${UPDATED_CODE} is not in ${other}`);

      // The same search on the phone, then the household's page.
      const r2 = await phone.goto(new URL(listed).pathname + new URL(listed).search);
      assert.equal(r2.status(), 200);
      await phone.screenshot({ path: artifact('registry-list-phone.png'), fullPage: true });
      await phoneChecks('household list, searched');
      await phone.goto(LIST);
      await phoneChecks('household list, first page');

      await desk.goto(listed);
      await desk.getByRole('link', { name: UPDATED_CODE, exact: true }).click();
      await desk.waitForURL((u) => new URL(u).pathname === `${LIST}/${updated.id}`);
      await desk.waitForLoadState('load');
      assert.equal((await desk.locator('main h1').textContent()).trim(), `Hộ ${UPDATED_CODE}`);
      const head = desk.locator('main section.card', { has: desk.locator('h2', { hasText: 'Chủ hộ' }) });
      assert.equal((await head.locator('dt:has-text("Họ tên chủ hộ") + dd').textContent()).trim(), updated.head);
      assert.equal((await head.locator('dt:has-text("Thôn, bản") + dd').textContent()).trim(), updated.village);
      assert.equal((await head.locator('dt:has-text("Số nhân khẩu") + dd').textContent()).trim(), String(updated.members));
      await desk.screenshot({ path: artifact('registry-household-desktop.png'), fullPage: true });
      await axe(desk, 'household page (desktop 1280)');

      await phone.goto(`${LIST}/${updated.id}`);
      assert.equal((await phone.locator('main h1').textContent()).trim(), `Hộ ${UPDATED_CODE}`);
      await phone.screenshot({ path: artifact('registry-household-phone.png'), fullPage: true });
      await phoneChecks('household page');
    });

    await step('4. an import: progress, the preview with the refused rows, "Ghi vào sổ hộ", the new household in the list', async () => {
      // One new household, MH-0002 with another number of members (name and village as they
      // are), a row with no members and a row of a village the commune does not have.
      const members = updated.members === 3 ? 4 : 3;
      const dir = tempDir('xaso-e2e-registry-');
      const csv = join(dir, `so-ho-${tag}.csv`);
      writeFileSync(csv, [
        'Mã hộ,Chủ hộ,Thôn,Số nhân khẩu',
        `${newCode},${newHead},${updated.village},4`,
        `${UPDATED_CODE},${updated.head},${updated.village},${members}`,
        `${newCode}-0,Lò Văn Không Người,${updated.village},0`,
        `${newCode}-X,Lò Văn Lạc Thôn,Thôn Không Có Thật,2`,
        '',
      ].join('\n'), 'utf8');

      const res = await desk.goto(IMPORT);
      assert.equal(res.status(), 200);
      assert.equal((await desk.locator('main h1').textContent()).trim(), 'Nhập sổ hộ từ tệp');
      await axe(desk, 'import form (desktop 1280)');
      await phone.goto(IMPORT);
      await phoneChecks('import form');

      await desk.getByLabel('Tệp danh sách hộ *').setInputFiles(csv);
      await desk.getByRole('button', { name: 'Tải lên và xem trước' }).click();
      await desk.waitForURL((u) => IMPORT_CARD.test(new URL(u).pathname), { timeout: 10_000 });
      await desk.waitForLoadState('load');
      importPath = new URL(desk.url()).pathname;
      const card = desk.locator('#import-status');
      assert.match(await card.locator('h2').textContent(), new RegExp(`so-ho-${tag}\\.csv`));

      // While the job reads the file: a progress bar, and the card asks again every second.
      if (await card.locator('progress').count()) {
        sawProgress = true;
        assert.equal(await card.getAttribute('hx-trigger'), 'every 1s');
        assert.equal(await card.locator('progress').getAttribute('aria-label'), 'Tiến độ');
        // Queued until the job runner picks it up (up to 5 s), then reading.
        assert.match(await card.locator('.progress-label').textContent(),
          /^(Đang chờ xử lý, vài giây nữa sẽ bắt đầu…|Đang đọc và kiểm tra: \d+ \/ \d+ dòng \(\d+%\))$/);
        await desk.screenshot({ path: artifact('registry-import-progress-desktop.png'), fullPage: true });
      } else {
        t.diagnostic('the preview was ready before the card was first shown');
      }

      // The preview.
      await card.getByRole('button', { name: 'Ghi vào sổ hộ' }).waitFor({ timeout: 30_000 });
      assert.equal(await card.locator('progress').count(), 0, 'no progress bar once the preview is ready');
      assert.equal(await card.getAttribute('hx-trigger'), null, 'the card stops asking');
      assert.equal((await card.locator('h2 .chip').textContent()).trim(), 'Chờ ghi vào sổ');
      assert.deepEqual(await stats(card), {
        'Số dòng đã đọc': '4', 'Thêm mới': '1', 'Cập nhật': '1', 'Giữ nguyên': '0', 'Bị từ chối': '2',
      });
      await card.getByText('Đây là bản xem trước: chưa có gì được ghi vào sổ hộ.').waitFor();
      const tables = card.locator('table');
      const rowsOf = (table) => table.locator('tbody tr').evaluateAll((rs) =>
        rs.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim())));
      const refused = tables.nth(0);
      assert.deepEqual(await rowsOf(refused), [
        ['4', 'Số nhân khẩu', MEMBERS_REFUSED],
        ['5', 'Thôn', VILLAGE_REFUSED],
      ], 'the refused rows: row, column, reason');
      assert.deepEqual(await rowsOf(tables.nth(1)), [
        ['2', newCode, newHead, 'Thêm mới'],
        ['3', UPDATED_CODE, updated.head, 'Cập nhật'],
      ], 'the first rows and what becomes of them');
      const notYet = await deskCtx.request.get(`${LIST}?q=${encodeURIComponent(newCode)}`);
      assert.ok((await notYet.text()).includes('Không tìm thấy hộ nào phù hợp.'), 'nothing written by the preview');
      await desk.screenshot({ path: artifact('registry-import-preview-desktop.png'), fullPage: true });
      await axe(desk, 'import preview (desktop 1280)');

      await phone.goto(importPath);
      await phone.locator('#import-status').getByRole('button', { name: 'Ghi vào sổ hộ' }).waitFor();
      await phone.getByText(VILLAGE_REFUSED).waitFor();
      await phone.screenshot({ path: artifact('registry-import-preview-phone.png'), fullPage: true });
      await phoneChecks('import preview');

      // Written in the background: progress again, then "Đã ghi vào sổ".
      const [post] = await Promise.all([
        desk.waitForResponse((r) => new URL(r.url()).pathname === `${importPath}/apply` && r.request().method() === 'POST'),
        card.getByRole('button', { name: 'Ghi vào sổ hộ' }).click(),
      ]);
      assert.ok(post.status() < 400, `applying answered ${post.status()}`);
      await desk.waitForURL((u) => new URL(u).pathname === importPath);
      const writing = desk.locator('#import-status progress');
      if (await writing.count()) {
        sawProgress = true;
        assert.match(await desk.locator('#import-status .progress-label').textContent(),
          /^(Đang chờ xử lý, vài giây nữa sẽ bắt đầu…|Đang ghi vào sổ hộ: )/);
      }
      const done = desk.locator('#import-status h2 .chip', { hasText: 'Đã ghi vào sổ' });
      await done.waitFor({ timeout: 30_000 });
      assert.ok(sawProgress, 'the progress card was seen while the file was read or written');
      await desk.locator('#import-status').getByText('Đã ghi xong.', { exact: false }).waitFor();
      assert.equal(await desk.getByRole('button', { name: 'Ghi vào sổ hộ' }).count(), 0, 'nothing left to write');
      assert.deepEqual(await stats(desk.locator('#import-status')), {
        'Số dòng đã đọc': '4', 'Thêm mới': '1', 'Cập nhật': '1', 'Giữ nguyên': '0', 'Bị từ chối': '2',
      });
      await desk.screenshot({ path: artifact('registry-import-applied-desktop.png'), fullPage: true });
      await axe(desk, 'import written (desktop 1280)');
      await phone.goto(importPath);
      await phone.locator('#import-status h2 .chip', { hasText: 'Đã ghi vào sổ' }).waitFor();
      await phoneChecks('import written');

      // The new household in the list, found by its head's name without accents.
      await desk.locator('#import-status').getByRole('link', { name: 'Sổ hộ gia đình' }).click();
      await desk.waitForURL((u) => new URL(u).pathname === LIST);
      await desk.waitForLoadState('load');
      await desk.getByLabel('Tìm hộ').fill(unaccented(newHead));
      await desk.getByRole('button', { name: 'Tìm' }).click();
      await desk.waitForURL((u) => new URL(u).searchParams.get('q') === unaccented(newHead));
      await desk.waitForLoadState('load');
      const mine = desk.locator('main table tbody tr');
      assert.equal(await mine.count(), 1, `one household headed by ${newHead}`);
      const cells = (await mine.locator('td').allTextContents()).map((s) => s.trim());
      assert.deepEqual(cells.slice(0, 4), [newCode, newHead, updated.village, '4']);

      // MH-0002 with its new number of members; the refused rows were not written.
      await desk.goto(`${LIST}/${updated.id}`);
      const head = desk.locator('main section.card', { has: desk.locator('h2', { hasText: 'Chủ hộ' }) });
      assert.equal((await head.locator('dt:has-text("Số nhân khẩu") + dd').textContent()).trim(), String(members));
      assert.equal((await head.locator('dt:has-text("Họ tên chủ hộ") + dd').textContent()).trim(), updated.head);
      for (const code of [`${newCode}-0`, `${newCode}-X`]) {
        const r = await deskCtx.request.get(`${LIST}?q=${encodeURIComponent(code)}`);
        const html = await r.text();
        assert.ok(!html.includes(`>${code}<`), `${code} was refused and is not in the register`);
      }
    });

    await t.test('5. no serious or critical axe violation on any page', { skip: broken ? `step "${broken}" failed` : false }, () => {
      assert.equal(axeFound.length, 0, `serious/critical axe violations:\n${axeFound.join('\n')}`);
    });

    await t.test('6. no request left 127.0.0.1', () => {
      assert.ok(outside.every((o) => o.seen > 0), 'the request watch saw the journey\'s requests');
      assert.deepEqual(outside.flat(), [], 'requests to other hosts');
    });
    assert.deepEqual(problems.flat(), [], 'no script errors or failed requests');
  } finally {
    await Promise.all([phoneCtx, deskCtx].map((c) => c.close()));
  }
});
