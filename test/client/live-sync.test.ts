// Live sync against a real server over real HTTP: devices follow the event stream and sync
// by themselves, go offline when the server goes away and come back when it returns.
// Nothing here waits a fixed time: each step waits for a condition, with a generous deadline.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startLiveSync, type LiveStatus } from '../../client/live-sync.ts';
import type { ReplicaStore } from '../../client/replica.ts';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import { createSyncClient, type SyncClient } from '../../client/sync-client.ts';
import { startHarness, type Harness } from '../server/harness.ts';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | null | undefined) => (data ? new TextDecoder().decode(data) : undefined);
const DEADLINE_MS = 30_000;
const EXIT_SCRIPT = fileURLToPath(new URL('./live-sync-exit.ts', import.meta.url));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('live sync', () => {
  let harness: Harness;
  let dir: string;
  const replicas: ReplicaStore[] = [];
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    harness = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'holdfast-live-'));
  });
  after(async () => {
    for (const stop of stops) await stop();
    for (const replica of replicas) await replica.close();
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  const token = () => harness.bearer.alice.replace(/^Bearer /, '');

  function device(name: string, serverUrl = harness.url, bearer = token()): SyncClient {
    const replica = openSqliteReplica(join(dir, `${name}.sqlite`));
    replicas.push(replica);
    return createSyncClient({ serverUrl, auth: { bearer }, replica, deviceId: name });
  }

  function live(client: SyncClient, serverUrl = harness.url, bearer = token()) {
    const sync = startLiveSync(client, { serverUrl, auth: { bearer }, minBackoffMs: 20, maxBackoffMs: 200 });
    stops.push(() => sync.stop());
    return sync;
  }

  async function serverHas(name: string, collection: string, item: string): Promise<string | undefined> {
    const reader = device(name);
    await reader.syncOnce();
    return text((await reader.get(collection, item))?.content);
  }

  it('brings a write made on device A to device B without B calling syncOnce', async () => {
    const a = device('a1');
    const b = device('b1');
    const liveB = live(b);
    await waitFor('B to be connected and synced', () => liveB.status().state === 'idle');
    await a.put('notes', 'notes', 'from-a.txt', bytes('written on A'), 'text/plain');
    await a.syncOnce();
    await waitFor('the note to arrive on B', async () => text((await b.get('notes', 'from-a.txt'))?.content) === 'written on A');
    assert.notEqual(liveB.status().lastSyncAt, null);
  });

  it("sends B's local write to the server by itself", async () => {
    const b = device('b2');
    const liveB = live(b);
    await waitFor('B to be idle', () => liveB.status().state === 'idle');
    await b.put('notes', 'notes', 'from-b.txt', bytes('written on B'), 'text/plain');
    await waitFor('the outbox to empty', async () => (await b.pending()) === 0 && liveB.status().pending === 0);
    assert.equal(await serverHas('reader-b2', 'notes', 'from-b.txt'), 'written on B');
  });

  it('runs one sync at a time however many writes come at once, and sends them all', async () => {
    const c = device('c3');
    let inFlight = 0;
    let most = 0;
    const counted: SyncClient = {
      ...c,
      async syncOnce() {
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          return await c.syncOnce();
        } finally {
          inFlight -= 1;
        }
      },
    };
    const liveC = live(counted);
    await waitFor('C to be idle', () => liveC.status().state === 'idle');
    await Promise.all(Array.from({ length: 20 }, (_, i) => c.put('notes', 'notes', `burst-${i}.txt`, bytes(`burst ${i}`), 'text/plain')));
    await waitFor('the burst to reach the server', async () => (await c.pending()) === 0);
    assert.equal(most, 1, 'never two syncs at once');
    assert.equal(await serverHas('reader-c3', 'notes', 'burst-19.txt'), 'burst 19');
  });

  it('pauses on a mass change without retrying, and applies it once confirmed', async () => {
    const a = device('a4');
    for (let i = 0; i < 12; i++) await a.put('mass', 'notes', `n${i}.txt`, bytes(`note ${i}`), 'text/plain');
    await a.syncOnce();
    const b = device('b4');
    await b.syncOnce();
    assert.equal((await b.list('mass')).length, 12);

    for (let i = 0; i < 12; i++) await a.delete('mass', `n${i}.txt`);
    await a.syncOnce();
    // A device that never held the deleted notes has nothing to lose, so it does not pause.
    const watcher = device('w4');
    const liveWatcher = live(watcher);
    await waitFor('the watcher to be idle', () => liveWatcher.status().state === 'idle');
    let syncs = 0;
    const counted: SyncClient = { ...b, syncOnce: () => ((syncs += 1), b.syncOnce()) };
    const liveB = live(counted);
    await waitFor('B to pause', () => liveB.status().state === 'paused');
    assert.match(liveB.status().lastError ?? '', /delete 12/);
    assert.equal((await b.list('mass')).length, 12, 'nothing applied while paused');
    const syncsWhenPaused = syncs;

    // Another change: the watcher (not paused) pulls it; B, paused, must not sync again for it.
    await a.put('notes', 'notes', 'after-pause.txt', bytes('later'), 'text/plain');
    await a.syncOnce();
    await waitFor('the watcher to get the later note', async () => (await watcher.get('notes', 'after-pause.txt')) !== undefined);
    assert.equal(syncs, syncsWhenPaused, 'a paused device does not sync on every change');
    assert.equal(liveB.status().state, 'paused');

    b.confirmMassChange();
    const report = await liveB.syncNow();
    assert.equal(report.paused, undefined);
    assert.equal((await b.list('mass')).length, 0);
    assert.equal(liveB.status().state, 'idle');
    assert.equal(liveB.status().lastError, null);
  });

  it('stops with a message about the credentials when the server refuses them', async () => {
    const d = device('d5', harness.url, 'not-a-real-token');
    const liveD = live(d, harness.url, 'not-a-real-token');
    await waitFor('live sync to stop', () => liveD.status().state === 'stopped');
    assert.match(liveD.status().lastError ?? '', /credentials/);
    assert.equal(liveD.status().nextRetryAt, null);
    await assert.rejects(liveD.syncNow(), /stopped/);
  });

  it('goes offline when the server goes away, and sends the outbox when it is back on the same port', async () => {
    const dataDir = join(dir, 'restarting-server');
    let server = await startHarness({ dataDir });
    try {
      const port = Number(new URL(server.url).port);
      const bearer = server.bearer.alice.replace(/^Bearer /, '');
      const e = device('e6', server.url, bearer);
      const liveE = live(e, server.url, bearer);
      await waitFor('E to be idle', () => liveE.status().state === 'idle');
      const seen: LiveStatus['state'][] = [];
      liveE.on('status', (status) => seen.push(status.state));

      await server.close();
      await waitFor('E to be offline with a retry time', () => liveE.status().state === 'offline' && liveE.status().nextRetryAt !== null);
      assert.ok(liveE.status().lastError, 'the status says why');
      await e.put('notes', 'notes', 'while-down.txt', bytes('written while the server was down'), 'text/plain');
      await waitFor('the write to count as pending', () => liveE.status().pending === 1);

      server = await startHarness({ dataDir, config: { port } });
      await waitFor('E to reconnect and empty its outbox', () => liveE.status().state === 'idle' && liveE.status().pending === 0);
      assert.ok(seen.includes('connected'), `states seen: ${seen.join(', ')}`);
      const reader = device('reader-e6', server.url, server.bearer.alice.replace(/^Bearer /, ''));
      await reader.syncOnce();
      assert.equal(text((await reader.get('notes', 'while-down.txt'))?.content), 'written while the server was down');
    } finally {
      await server.close();
    }
  });

  // A process that still holds a timer or a socket after stop() does not exit by itself.
  for (const until of ['idle', 'offline'] as const) {
    it(`leaves nothing that keeps a Node process alive after stop() (stopped while ${until})`, async () => {
      const url = until === 'idle' ? harness.url : 'http://127.0.0.1:9';
      const child = spawn(process.execPath, ['--import', 'tsx', EXIT_SCRIPT, url, token(), join(dir, `exit-${until}.sqlite`), until], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const code = await new Promise<number | null | 'hung'>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('hung');
        }, DEADLINE_MS);
        child.once('exit', (exitCode) => {
          clearTimeout(timer);
          resolve(exitCode);
        });
      });
      assert.equal(code, 0, `the device process should exit by itself after stop(); output:\n${output}`);
      assert.match(output, new RegExp(`stopped from ${until}`));
    });
  }
});
