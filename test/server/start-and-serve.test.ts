import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { serveCommand } from '../../src/cli/serve.ts';
import type { CliIo } from '../../src/cli/io.ts';
import { CONFIG_OPTIONS } from '../../src/server/config.ts';
import { ServerStartError, startServer } from '../../src/server/start-server.ts';
import { testConfig } from './harness.ts';

function captureIo(env: Record<string, string> = {}): { io: CliIo; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  err.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const stdin = new PassThrough();
  stdin.end();
  return { io: { stdout: out, stderr: err, stdin, env, isTTY: false }, stdout: () => stdout, stderr: () => stderr };
}

describe('startServer', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'holdfast-start-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('on first start it creates the store and says how to add the first user and pin the store id', async () => {
    const dataDir = join(root, 'first');
    const lines: string[] = [];
    const running = await startServer(testConfig(dataDir), { log: (line) => lines.push(line) });
    try {
      assert.match(running.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await fetch(`${running.url}/healthz`)).status, 200);
    } finally {
      await running.close();
    }
    const log = lines.join('');
    assert.ok(log.includes(`holdfast user add NAME --data ${dataDir}`), log);
    const storeId = /HOLDFAST_STORE_ID=([0-9a-f-]+)/.exec(log)?.[1];
    assert.ok(storeId, 'the store id is printed');
    assert.match(log, /shut down cleanly/);

    // Pinned to that id, it starts again; pinned to another, it refuses.
    const again = await startServer(testConfig(dataDir, { storeId }), { log: () => undefined });
    await again.close();
    await assert.rejects(
      startServer(testConfig(dataDir, { storeId: 'some-other-store' }), { log: () => undefined }),
      (error: unknown) => error instanceof ServerStartError && /expects store some-other-store/.test(error.message),
    );
  });

  test('with a store id set, an empty or missing data directory is refused and left untouched', async () => {
    const dataDir = join(root, 'unmounted');
    await assert.rejects(
      startServer(testConfig(dataDir, { storeId: 'expected-store' }), { log: () => undefined }),
      (error: unknown) => error instanceof ServerStartError && /refusing to start/.test(error.message),
    );
    assert.equal(existsSync(dataDir), false);
  });

  test('a port already in use is a clear error, and the store is closed again', async () => {
    const dataDir = join(root, 'busy');
    const first = await startServer(testConfig(dataDir), { log: () => undefined });
    try {
      const port = Number(new URL(first.url).port);
      const other = join(root, 'busy-2');
      await assert.rejects(
        startServer(testConfig(other, { port }), { log: () => undefined }),
        (error: unknown) => error instanceof ServerStartError && /already in use/.test(error.message),
      );
      // Its data directory is left usable: a server starts on it afterwards.
      const reopened = await startServer(testConfig(other), { log: () => undefined });
      await reopened.close();
    } finally {
      await first.close();
    }
  });
});

describe('holdfast serve', () => {
  test('invalid settings print every error and exit 2 without touching the data directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'holdfast-serve-'));
    try {
      const dataDir = join(root, 'data');
      const { io, stderr } = captureIo({ HOLDFAST_LOG_LEVEL: 'loud' });
      const code = await serveCommand(['--data', dataDir, '--port', 'abc'], io);
      assert.equal(code, 2);
      assert.match(stderr(), /--port: expected a whole number from 0 to 65535, got "abc"/);
      assert.match(stderr(), /HOLDFAST_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, got "loud"/);
      assert.equal(existsSync(dataDir), false);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  test('an unknown flag exits 2 with the usage', async () => {
    const { io, stderr } = captureIo();
    assert.equal(await serveCommand(['--prot', '1'], io), 2);
    assert.match(stderr(), /Usage: holdfast serve/);
  });

  test('--help lists every setting with its flag and environment variable', async () => {
    const { io, stdout } = captureIo();
    assert.equal(await serveCommand(['--help'], io), 0);
    for (const option of CONFIG_OPTIONS) {
      assert.ok(stdout().includes(`--${option.flag}`), option.flag);
      assert.ok(stdout().includes(option.env), option.env);
    }
  });
});
