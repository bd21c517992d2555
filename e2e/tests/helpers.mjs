// Shared helpers for the Xã Số browser tests: one Debian Chromium, the server's URL,
// fresh citizens, artifacts. Not a test file itself (no ".test." in its name).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const E2E_DIR = join(here, '..');
export const ARTIFACTS = process.env.ARTIFACTS_DIR || join(E2E_DIR, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

export const BASE_URL = (process.env.BASE_URL || 'http://127.0.0.1:18080').replace(/\/$/, '');
export const COMMUNE_CODE = '17071';
export const COMMUNE_NAME = 'Xã Minh Hợp';
export const MOBILE = { width: 360, height: 740 };
export const DESKTOP = { width: 1280, height: 800 };

export const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-quic',
  '--no-first-run',
  '--disable-sync',
];

export async function launch() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: LAUNCH_ARGS,
    headless: true,
  });
  // Closing the browser fails the test if any of its contexts met a CSP violation that
  // closing that context did not already report (tests that only close the browser).
  browser.cspLists = [];
  const close = browser.close.bind(browser);
  browser.close = async (...args) => {
    await close(...args);
    failOnCsp(browser.cspLists.flatMap((l) => l.splice(0)));
  };
  return browser;
}

function failOnCsp(violations) {
  if (violations.length) {
    throw new Error(`Content-Security-Policy violations:\n  ${violations.join('\n  ')}`);
  }
}

/**
 * Records every Content-Security-Policy violation in a context: the page's
 * `securitypolicyviolation` events (an init script, which the policy does not govern) and
 * Chromium's own "Refused to … Content Security Policy" console messages (which also come
 * when JavaScript is off). Closing the context, or the browser, fails on any of them: every
 * journey doubles as a check that the pages need nothing the policy forbids.
 */
async function guardCsp(browser, context) {
  const seen = [];
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || location.href}:${e.lineNumber || 0}${e.sample ? ` (${e.sample})` : ''}`);
    });
  });
  context.on('console', (m) => {
    const t = m.text();
    if (t.startsWith('CSP violation:') || t.includes('Content Security Policy')) {
      seen.push(`${t} [page ${m.page()?.url() ?? '?'}]`);
    }
  });
  browser.cspLists?.push(seen);
  const close = context.close.bind(context);
  context.close = async (...args) => {
    await close(...args);
    failOnCsp(seen.splice(0));
  };
}

/** A browser context at the given viewport, Vietnamese, pointed at the server. */
export async function newContext(browser, viewport = MOBILE, extra = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    viewport,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    ...extra,
  });
  await guardCsp(browser, context);
  return context;
}

/**
 * Loads axe-core into the page through the DevTools protocol: an inline script tag would be
 * (rightly) refused by the pages' Content-Security-Policy.
 */
export async function injectAxe(page) {
  await page.evaluate(axeSourceText());
}

/** A Vietnamese mobile number nobody has registered yet: 09 + [1-9] + 7 digits. */
export function freshPhone() {
  let n = '09' + String(randomInt(1, 10));
  for (let i = 0; i < 7; i++) n += String(randomInt(0, 10));
  return n;
}

/** "0912345678" → "+84 912 345 678", the same number as people also write it. */
export function internationalFormat(phone) {
  const national = phone.slice(1);
  return `+84 ${national.slice(0, 3)} ${national.slice(3, 6)} ${national.slice(6)}`;
}

/** A password with letters and digits, ≥ 8 chars, not common, not containing the phone. */
export function freshPassword() {
  const letters = 'abcdefghjkmnpqrstuvwxyz';
  let s = 'Lua';
  for (let i = 0; i < 5; i++) s += letters[randomInt(0, letters.length)];
  return `${s}-${randomInt(100, 1000)}`;
}

export function freshName() {
  const given = ['Lan', 'Hùng', 'Mai', 'Tuấn', 'Hoa', 'Dũng', 'Thảo', 'Nam'];
  return `Nguyễn Thị Kiểm Thử ${given[randomInt(0, given.length)]} ${randomInt(100, 1000)}`;
}

export function artifact(name) {
  return join(ARTIFACTS, name);
}

/** Fails with the page's console errors and failed requests attached, to make failures readable. */
export function watchPage(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const where = m.location()?.url;
      problems.push(`console.error: ${m.text()}${where ? ` (${where})` : ''}`);
    }
  });
  page.on('requestfailed', (r) => {
    const error = r.failure()?.errorText;
    // The browser's own favicon fetch is cancelled when the page navigates on before it ends
    // (more often now that the service worker answers it): not a failure of the page.
    if (error === 'net::ERR_ABORTED' && new URL(r.url()).pathname === '/static/favicon.svg') return;
    problems.push(`requestfailed: ${r.method()} ${r.url()} ${error}`);
  });
  return problems;
}

let axeSource;
export function axeSourceText() {
  axeSource ??= readFileSync(join(E2E_DIR, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  return axeSource;
}

/** Waits until the (htmx-boosted or plain) navigation has settled on a path. */
export async function waitForPath(page, path, timeout = 10_000) {
  await page.waitForURL((u) => new URL(u).pathname === path, { timeout });
  await page.waitForLoadState('load');
}

// ---- accounts ------------------------------------------------------------------------------

/** The official and the leader e2e/run.sh creates in the demo commune (phones, passwords). */
export function staffAccount(kind) {
  const k = kind.toUpperCase();
  const phone = process.env[`E2E_${k}_PHONE`];
  const password = process.env[`E2E_${k}_PASSWORD`];
  const name = process.env[`E2E_${k}_NAME`];
  if (!phone || !password) {
    throw new Error(`E2E_${k}_PHONE / E2E_${k}_PASSWORD not set: run the tests through e2e/run.sh`);
  }
  return { phone, password, name };
}

/** Signs in through /login and waits until the browser has left the login page. */
export async function signIn(page, phone, password) {
  await page.goto('/login');
  await page.fill('#phone', phone);
  await page.fill('#password', password);
  const [post] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/login' && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Đăng nhập' }).click(),
  ]);
  if (post.status() >= 400) throw new Error(`POST /login answered ${post.status()} for ${phone}`);
  await page.waitForURL((u) => new URL(u).pathname !== '/login', { timeout: 10_000 });
  await page.waitForLoadState('load');
  await page.locator('header a[href="/me"]').waitFor();
  await page.waitForLoadState('networkidle');
}

/** Registers a fresh citizen of the demo commune through /register; returns who they are. */
export async function registerCitizen(page) {
  const who = { phone: freshPhone(), password: freshPassword(), name: freshName() };
  await page.goto('/register');
  const villages = await page.locator('#village_id option').evaluateAll((os) =>
    os.map((o) => o.value).filter(Boolean));
  if (villages.length) await page.selectOption('#village_id', villages[0]);
  await page.fill('#full_name', who.name);
  await page.fill('#phone', who.phone);
  await page.fill('#password', who.password);
  const [post] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/register' && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Đăng ký' }).click(),
  ]);
  if (post.status() >= 400) throw new Error(`POST /register answered ${post.status()}`);
  await waitForPath(page, `/c/${COMMUNE_CODE}`);
  await page.locator('header a[href="/me"]').waitFor();
  // htmx pushes the new URL before the browser has closed the boosted request: let it finish,
  // or the next page.goto aborts it (and watchPage reports a failed request).
  await page.waitForLoadState('networkidle');
  return who;
}

// ---- files ---------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A small valid RGB PNG (a "photo" of a paper: a coloured page with a few dark lines). */
export function pngBytes(width = 64, height = 80, rgb = [240, 236, 220]) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    const line = y % 10 === 5 && y > 8 && y < height - 8;
    for (let x = 0; x < width; x++) {
      const dark = line && x > 6 && x < width - 6;
      const o = row + 1 + x * 3;
      raw[o] = dark ? 40 : rgb[0];
      raw[o + 1] = dark ? 40 : rgb[1];
      raw[o + 2] = dark ? 60 : rgb[2];
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A fresh temporary directory for files a test uploads. */
export function tempDir(prefix = 'xaso-e2e-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a small PNG into dir and returns its path. */
export function writePng(dir, name, rgb) {
  const path = join(dir, name);
  writeFileSync(path, pngBytes(64, 80, rgb));
  return path;
}

/** Every request and web socket of a context whose host is not 127.0.0.1 (data:/blob: are local). */
export function watchHosts(context) {
  const outside = [];
  outside.seen = 0;
  const check = (url, what) => {
    outside.seen += 1;
    let u;
    try {
      u = new URL(url);
    } catch {
      outside.push(`${what} (unparsable) ${url}`);
      return;
    }
    if (['data:', 'blob:', 'about:'].includes(u.protocol)) return;
    if (u.hostname !== '127.0.0.1') outside.push(`${what} ${url}`);
  };
  context.on('request', (r) => check(r.url(), r.method()));
  context.on('page', (p) => p.on('websocket', (ws) => check(ws.url(), 'WebSocket')));
  return outside;
}

/** axe-core impacts that fail a test. */
export const BLOCKING = new Set(['serious', 'critical']);

/** axe violations as readable lines: rule, help, and each node with why it fails. */
export function describeAxe(violations) {
  return violations.map((v) => {
    const nodes = v.nodes.map((n) => {
      const why = (n.failureSummary || '').replace(/\s+/g, ' ').trim();
      return `    - ${n.target.join(' ')}\n      html: ${n.html.slice(0, 200)}\n      ${why}`;
    }).join('\n');
    return `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
  }).join('\n');
}

/** axe-core on the page as it is now; logs every violation, returns the serious and critical ones. */
export async function axeBlocking(page, label) {
  await injectAxe(page);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const all = result.violations;
  if (all.length) console.log(`axe on ${label}: ${all.length} violation(s)\n${describeAxe(all)}`);
  return all.filter((v) => BLOCKING.has(v.impact));
}

/** No sideways scrolling at the current viewport; names the widest elements when there is. */
export async function assertNoSideScroll(page, what) {
  const m = await page.evaluate(() => {
    const el = document.documentElement;
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > el.clientWidth + 0.5)
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className && typeof e.className === 'string' ? `.${e.className.split(' ').join('.')}` : ''} right=${Math.round(e.getBoundingClientRect().right)}`);
    return { sw: el.scrollWidth, cw: el.clientWidth, wide };
  });
  assert.ok(m.sw <= m.cw + 1, `${what}: page is ${m.sw}px wide in a ${m.cw}px viewport; widest: ${m.wide.join(', ')}`);
}

/**
 * Every visible control a finger taps is at least 44 px tall: links, buttons, fields, selects,
 * summaries. Links inside a sentence (a paragraph's running text) are exempt, as WCAG 2.5.8
 * allows; a checkbox or radio counts by its label. Names the small ones when there are.
 */
export async function assertTapTargets(page, what, min = 44) {
  const small = await page.evaluate((min) => {
    const inSentence = (el) => el.tagName === 'A' && el.closest('p, .prose, blockquote, small') && !el.classList.contains('button');
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && !el.closest('.sr, .skip, [hidden], .leaflet-container');
    };
    return [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]
      .filter(visible)
      .filter((el) => !inSentence(el))
      .map((el) => {
        const target = (el.type === 'checkbox' || el.type === 'radio') ? (el.closest('label') || el) : el;
        return { el, h: target.getBoundingClientRect().height };
      })
      .filter(({ h }) => h < min - 0.5)
      .slice(0, 8)
      .map(({ el, h }) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} "${(el.textContent || el.value || el.name || '').trim().slice(0, 30)}" ${Math.round(h)}px`);
  }, min);
  assert.deepEqual(small, [], `${what}: tap targets under ${min} px: ${small.join('; ')}`);
}

/**
 * Bytes a page costs before photos: HTML, CSS, JS, fonts and icons, as transferred (compressed),
 * from a cold cache. Raster images other than icons are photos and do not count.
 */
export async function pageWeight(browser, path, viewport = MOBILE) {
  const context = await newContext(browser, viewport, { serviceWorkers: 'block' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const types = new Map();
  let total = 0;
  const parts = [];
  cdp.on('Network.responseReceived', (e) => types.set(e.requestId, { url: e.response.url, mime: e.response.mimeType }));
  cdp.on('Network.loadingFinished', (e) => {
    const t = types.get(e.requestId);
    if (!t) return;
    const photo = t.mime.startsWith('image/') && t.mime !== 'image/svg+xml';
    if (photo) return;
    total += e.encodedDataLength;
    parts.push(`${new URL(t.url).pathname} ${e.encodedDataLength}`);
  });
  try {
    const res = await page.goto(path, { waitUntil: 'networkidle' });
    assert.equal(res.status(), 200, path);
    return { total, parts };
  } finally {
    await context.close();
  }
}
