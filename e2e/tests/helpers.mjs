// Shared helpers for the Xã Số browser tests: one Debian Chromium, the server's URL,
// fresh citizens, artifacts. Not a test file itself (no ".test." in its name).
import { mkdirSync, readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: LAUNCH_ARGS,
    headless: true,
  });
}

/** A browser context at the given viewport, Vietnamese, pointed at the server. */
export async function newContext(browser, viewport = MOBILE, extra = {}) {
  return browser.newContext({
    baseURL: BASE_URL,
    viewport,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    ...extra,
  });
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
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('requestfailed', (r) => problems.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
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
