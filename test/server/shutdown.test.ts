// Graceful shutdown of the real `holdfast serve` process: SIGTERM while a client is still
// uploading must not lose that write, and a request that never ends must not hold the
// process past its deadline.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { openStore } from '../../src/store/open-store.ts';
import { basic } from './harness.ts';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'holdfast.js');

interface Served {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `holdfast serve` on a free port and waits until it says where it listens. */
function serve(dataDir: string, env: Record<string, string> = {}): Promise<Served> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HOLDFAST_')));
  const child = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', '0'], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stdout}\n${stderr}`)), 20_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const url = /"url":"(http:[^"]+)"/.exec(stdout)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, exited });
      }
    });
    void exited.then(({ code }) => reject(new Error(`serve exited with ${code} before listening:\n${stdout}\n${stderr}`)));
  });
}

/** A body that sends `chunks` pieces of `size` bytes, `gapMs` apart; `started` resolves
 * once the first piece is handed to fetch. With `stall`, it never ends. */
function slowBody(chunks: number, size: number, gapMs: number, stall = false): { stream: ReadableStream<Uint8Array>; started: Promise<void>; bytes: Uint8Array } {
  const bytes = new Uint8Array(chunks * size).map((_, i) => i % 253);
  let sent = 0;
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent > 0) await sleep(gapMs);
      if (sent === chunks) {
        if (stall) await new Promise(() => undefined);
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(sent * size, (sent + 1) * size));
      sent += 1;
      markStarted();
    },
  });
  return { stream, started, bytes };
}

describe('graceful shutdown of holdfast serve', () => {
  let root: string;
  let dataDir: string;
  let authorization: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'holdfast-shutdown-'));
    dataDir = join(root, 'data');
    const opened = await openStore({ dataDir, initializeIfEmpty: true });
    if (opened.kind !== 'opened') throw new Error(opened.reason);
    const accounts = createAccounts(opened.store.accounts);
    await accounts.addUser('alice', 'correct horse battery staple');
    const app = await accounts.createAppPassword('alice', 'test');
    if (app.kind !== 'created') throw new Error('no app password');
    authorization = basic('alice', app.secret);
    await opened.store.close();
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('SIGTERM during a slow upload: the PUT gets its 201, the process exits 0, and the item is there after restart', async () => {
    const first = await serve(dataDir);
    const collection = await fetch(`${first.url}/api/v1/collections/files`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'files' }),
    });
    assert.equal(collection.status, 200, 'every user has a files folder already');

    const body = slowBody(10, 1024, 150);
    const upload = fetch(`${first.url}/api/v1/collections/files/items/slow.bin`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/octet-stream' },
      body: body.stream,
      duplex: 'half',
    });
    await body.started;
    await sleep(300); // the request is in the handler, its body half sent
    first.child.kill('SIGTERM');

    const response = await upload;
    assert.equal(response.status, 201, await response.clone().text());
    const { code, stdout, stderr } = await first.exited;
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stderr, /received SIGTERM/);
    assert.match(stdout, /shut down cleanly/);

    const second = await serve(dataDir);
    try {
      const read = await fetch(`${second.url}/api/v1/collections/files/items/slow.bin`, { headers: { authorization } });
      assert.equal(read.status, 200);
      assert.deepEqual(new Uint8Array(await read.arrayBuffer()), body.bytes);
    } finally {
      second.child.kill('SIGTERM');
      assert.equal((await second.exited).code, 0);
    }
  });

  test('a connection that never sent a request (a preconnect) does not hold the shutdown', async () => {
    const served = await serve(dataDir);
    const { hostname, port } = new URL(served.url);
    const idle = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => idle.once('connect', resolve).once('error', reject));
    const closedByServer = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    // A request on another connection makes sure the server has accepted the idle one.
    assert.equal((await fetch(`${served.url}/healthz`)).status, 200);
    served.child.kill('SIGTERM');
    const { code, stdout } = await served.exited;
    assert.equal(code, 0, stdout);
    assert.match(stdout, /shut down cleanly/);
    await closedByServer;
  });

  test('a request still in flight at the deadline is cut off: an error is logged, the exit status is 1, nothing is stored', async () => {
    const served = await serve(dataDir, { HOLDFAST_SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const abort = new AbortController();
    const body = slowBody(1, 1024, 50, true);
    const upload = fetch(`${served.url}/api/v1/collections/files/items/never.bin`, {
      method: 'PUT',
      headers: { authorization, 'content-type': 'application/octet-stream' },
      body: body.stream,
      duplex: 'half',
      signal: abort.signal,
    }).then(
      (response) => response.status,
      () => 'failed' as const,
    );
    await body.started;
    await sleep(300);
    served.child.kill('SIGTERM');

    const { code, stdout } = await served.exited;
    abort.abort();
    assert.equal(code, 1, stdout);
    assert.match(stdout, /"level":"error".*shutdown timed out after 1 s/);
    assert.equal(await upload, 'failed', 'the client was never told the write succeeded');

    const opened = await openStore({ dataDir, initializeIfEmpty: false });
    if (opened.kind !== 'opened') throw new Error(opened.reason);
    try {
      const alice = await opened.store.accounts.getUserByName('alice');
      assert.equal(await opened.store.forUser(alice?.id ?? -1).getItem('files', 'never.bin'), null);
    } finally {
      await opened.store.close();
    }
  });
});
