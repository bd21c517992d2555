#!/usr/bin/env node
// Independent check of a Xã Số VietQR payment code.
//
// (a) decodes the payload text with vietnam-qr-pay (a third-party VietQR encoder/decoder)
//     and asserts the CRC, the bank BIN, the account, the amount, the currency, the country
//     and the purpose; re-encodes the same fields with its builder and asserts the very same
//     payload comes out;
// (b) reads the QR PNG with jsQR (an independent QR decoder, via pngjs) and asserts the text
//     it finds equals the payload.
//
// Usage:
//   node check.mjs --payload FILE --png FILE --bin 970436 --account 0011001234567 \
//                  [--amount 50000|none] [--purpose-contains TEXT]
//
// --amount none asserts a static code (no amount, method 11); leaving --amount out skips the
// amount check. Prints one line per check; exits 0 when all pass, 1 on the first failure,
// 2 on a usage error.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { QRPay } from 'vietnam-qr-pay';
import jsQR from 'jsqr';
import pngjs from 'pngjs';

const { PNG } = pngjs;

function usage(message) {
  console.error(`usage error: ${message}`);
  console.error(
    'usage: node check.mjs --payload FILE --png FILE --bin BIN --account NUMBER ' +
      '[--amount VND|none] [--purpose-contains TEXT]',
  );
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      payload: { type: 'string' },
      png: { type: 'string' },
      bin: { type: 'string' },
      account: { type: 'string' },
      amount: { type: 'string' },
      'purpose-contains': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (e) {
  usage(e.message);
}
for (const required of ['payload', 'png', 'bin', 'account']) {
  if (!args[required]) usage(`--${required} is required`);
}

let passed = 0;
function ok(name, detail) {
  passed += 1;
  console.log(`ok   ${name}: ${detail}`);
}
function fail(name, detail) {
  console.error(`FAIL ${name}: ${detail}`);
  console.error(`${passed} passed, 1 failed`);
  process.exit(1);
}
function expectEq(name, actual, expected) {
  if (actual === expected) ok(name, JSON.stringify(actual));
  else fail(name, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

function readText(path) {
  try {
    // The file may end with a newline; a VietQR payload never does (it ends with the CRC).
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    fail('read payload', `${path}: ${e.message}`);
  }
}

// (a) the payload, decoded by vietnam-qr-pay.
const payload = readText(args.payload);
if (payload.length === 0) fail('read payload', `${args.payload} is empty`);
ok('read payload', `${payload.length} characters from ${args.payload}`);

const qr = new QRPay(payload);
if (qr.isValid) ok('vietnam-qr-pay isValid (CRC)', `CRC ${qr.crc}`);
else fail('vietnam-qr-pay isValid (CRC)', `payload rejected: ${payload}`);
expectEq('version (00)', qr.version, '01');
expectEq('provider (38.00)', qr.provider.name, 'VIETQR');
expectEq('service (38.02)', qr.provider.service, 'QRIBFTTA');
expectEq('bank BIN (38.01.00)', qr.consumer.bankBin, args.bin);
expectEq('account number (38.01.01)', qr.consumer.bankNumber, args.account);
expectEq('currency (53)', qr.currency, '704');
expectEq('nation (58)', qr.nation, 'VN');
if (args.amount === undefined) {
  ok('amount (54)', `not asserted (code has ${JSON.stringify(qr.amount)})`);
} else if (args.amount === 'none') {
  expectEq('amount (54) absent', qr.amount, undefined);
  expectEq('init method (01) static', qr.initMethod, '11');
} else {
  expectEq('amount (54)', qr.amount, args.amount);
  expectEq('init method (01) dynamic', qr.initMethod, '12');
}
const purpose = qr.additionalData.purpose;
if (args['purpose-contains'] !== undefined) {
  if (typeof purpose === 'string' && purpose.includes(args['purpose-contains'])) {
    ok('purpose (62.08)', JSON.stringify(purpose));
  } else {
    fail('purpose (62.08)', `expected to contain ${JSON.stringify(args['purpose-contains'])}, got ${JSON.stringify(purpose)}`);
  }
}
if (purpose !== undefined) {
  // Banking apps reject non-ASCII and long texts in 62.08.
  if (/^[A-Za-z0-9 ._-]{1,25}$/.test(purpose)) ok('purpose is plain ASCII, <= 25 chars', JSON.stringify(purpose));
  else fail('purpose is plain ASCII, <= 25 chars', JSON.stringify(purpose));
}

const rebuilt = QRPay.initVietQR({
  bankBin: qr.consumer.bankBin,
  bankNumber: qr.consumer.bankNumber,
  amount: qr.amount,
  purpose,
}).build();
expectEq('re-encoded by vietnam-qr-pay', rebuilt, payload);

// (b) the PNG, decoded by jsQR.
let png;
try {
  png = PNG.sync.read(readFileSync(args.png));
} catch (e) {
  fail('read PNG', `${args.png}: ${e.message}`);
}
ok('read PNG', `${png.width}x${png.height} from ${args.png}`);
const found = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
if (!found) fail('jsQR decode', 'no QR code found in the image');
ok('jsQR decode', `QR version ${found.version}`);
expectEq('QR text equals payload', found.data, payload);

console.log(`${passed} passed, 0 failed`);
