// A server of a test's own (target/release/xaso, or XASO_BIN) on its own port and data
// directory, for tests that stop the server or change what every other test relies on (a
// second commune, a commune taken offline), leaving the shared server of e2e/run.sh alone.
// Not a test file itself (no ".test." in its name).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_DIR, tempDir } from './helpers.mjs';

export const BIN = process.env.XASO_BIN || join(E2E_DIR, '..', 'target', 'release', 'xaso');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A demo data directory and a free port; `start()` serves it, `stop()` kills the process (and
 * checks nothing answers any more), `close()` stops and deletes everything.
 */
export async function ownServer(prefix) {
  const dataDir = tempDir(prefix);
  const seeded = spawnSync(BIN, ['--data', dataDir, 'demo'], { encoding: 'utf8' });
  assert.equal(seeded.status, 0, `xaso demo: ${seeded.stderr}`);
  const logFd = openSync(join(dataDir, 'server.log'), 'a');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let child;

  const log = () => {
    try {
      return readFileSync(join(dataDir, 'server.log'), 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  };

  const server = {
    dataDir,
    port,
    base,
    log,
    /** Runs `xaso --data DIR args…` (an account, a key) with extra environment; answers stdout. */
    cli(args, env = {}) {
      const r = spawnSync(BIN, ['--data', dataDir, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      assert.equal(r.status, 0, `xaso ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
    async start() {
      child = spawn(BIN, ['--data', dataDir, 'serve', '--listen', `127.0.0.1:${port}`], {
        stdio: ['ignore', logFd, logFd],
      });
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`server exited: ${log()}`);
        try {
          const r = await fetch(`${base}/healthz`);
          if (r.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`server not healthy after 60 s: ${log()}`);
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      child = undefined;
      await assert.rejects(fetch(`${base}/healthz`), 'the server is really down');
    },
    async close() {
      await server.stop().catch(() => {});
      closeSync(logFd);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
