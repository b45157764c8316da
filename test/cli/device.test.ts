// `holdfast device sync | export | status` as a person or a script runs them: real child
// processes of bin/holdfast.js against a real `holdfast serve` process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServerProcess } from '../backup/server-process.ts';
import { addUser, bytes, deviceSync, noiseJpeg, PASSWORD, replicaItems, serverWithUser, USER, vcard, vevent, watchDevice, withReplica } from './device-process.ts';
import { holdfast, temporaryDirectory } from './holdfast-process.ts';

let temporary: { dir: string; cleanup: () => Promise<void> };
let server: ServerProcess;
let dataDir: string;
let stateCount = 0;
const newState = () => join(temporary.dir, `device-${(stateCount += 1)}`);

before(async () => {
  temporary = await temporaryDirectory();
  dataDir = join(temporary.dir, 'data');
  server = await serverWithUser(dataDir);
});

after(async () => {
  await server.stop();
  await temporary.cleanup();
});

interface SyncJson {
  result: 'synced' | 'paused';
  deviceId: string;
  pushed: number;
  pulled: number;
  healed: boolean;
  healPushed: number;
  refused: unknown[];
  paused?: { deletes: number; overwrites: number };
}

describe('holdfast device sync', () => {
  it('makes the state directory on the first sync, private to its owner, with a device file that names the device, server and user', async () => {
    const state = newState();
    const synced = await deviceSync(state, server.url, ['--json']);
    assert.equal(synced.code, 0, synced.stderr);
    const report = JSON.parse(synced.stdout) as SyncJson;
    assert.equal(report.result, 'synced');
    const device = JSON.parse(await readFile(join(state, 'device.json'), 'utf8')) as { deviceId: string; user: string; serverUrl: string };
    assert.equal(device.deviceId, report.deviceId);
    assert.equal(device.user, USER);
    assert.equal(device.serverUrl, server.url);
    assert.equal((await stat(state)).mode & 0o777, 0o700);
    assert.ok(existsSync(join(state, 'replica.sqlite')));
    assert.deepEqual((await readdir(state)).filter((name) => name.includes('tmp') || name.endsWith('.lock')), [], 'no temp or lock file is left behind');

    const again = await deviceSync(state, server.url, ['--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((JSON.parse(again.stdout) as SyncJson).deviceId, device.deviceId, 'the device id is made once');
  });

  it('pushes what was written on one device and pulls it, byte for byte, on another; the summary says how much moved', async () => {
    const a = newState();
    const b = newState();
    assert.equal((await deviceSync(a, server.url)).code, 0);
    const photo = await noiseJpeg(1, 256, 256);
    assert.ok(photo.byteLength > 64 * 1024, 'the photo travels as a blob');
    await withReplica(a, async (client) => {
      await client.put('sync-contacts', 'contacts', 'ada.vcf', bytes(vcard('ada', 'Ada Lovelace')), 'text/vcard');
      await client.put('sync-notes', 'notes', 'n1.txt', bytes('a note'), 'text/plain');
      await client.put('sync-photos', 'files', 'noise.jpg', photo, 'image/jpeg');
    });
    const pushed = await deviceSync(a, server.url);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /pushed 3 revisions/);

    const pulled = await deviceSync(b, server.url);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /pulled \d+ revisions/);
    const items = await replicaItems(b);
    assert.deepEqual(items.get('sync-photos/noise.jpg')?.content, photo);
    assert.equal(new TextDecoder().decode(items.get('sync-contacts/ada.vcf')?.content ?? new Uint8Array()), vcard('ada', 'Ada Lovelace'));
  });

  it('takes the password from HOLDFAST_PASSWORD, and never prints it', async () => {
    const state = newState();
    const synced = await holdfast(['device', 'sync', '--server', server.url, '--user', USER, '--state', state], { env: { HOLDFAST_PASSWORD: PASSWORD } });
    assert.equal(synced.code, 0, synced.stderr);
    assert.ok(!synced.stdout.includes(PASSWORD) && !synced.stderr.includes(PASSWORD));
  });

  it('without a password on stdin, in the environment or at a terminal, fails and says how to give one', async () => {
    const state = newState();
    const synced = await holdfast(['device', 'sync', '--server', server.url, '--user', USER, '--state', state]);
    assert.equal(synced.code, 1);
    assert.match(synced.stderr, /no password: pass --password-stdin .* or set HOLDFAST_PASSWORD/);
  });

  it('a wrong password fails with exit 1 and says the server refused the user; the replica is untouched', async () => {
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    await withReplica(state, (client) => client.put('wrong-pw', 'notes', 'kept.txt', bytes('kept'), 'text/plain'));
    const refused = await deviceSync(state, server.url, [], { password: 'not the password at all' });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused user "alice" with that password \(HTTP 401\)/);
    assert.ok(!refused.stderr.includes('not the password at all'));
    assert.equal(new TextDecoder().decode((await replicaItems(state)).get('wrong-pw/kept.txt')?.content ?? new Uint8Array()), 'kept');
  });

  it('an unreachable server fails with exit 1 and says it cannot be reached', async () => {
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    // A port nothing listens on: the server's own, once it is closed, is not ours to know; 1 is reserved.
    const unreachable = await deviceSync(state, 'http://127.0.0.1:1', ['--server-moved']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /cannot reach the server at http:\/\/127\.0\.0\.1:1/);
    const device = JSON.parse(await readFile(join(state, 'device.json'), 'utf8')) as { serverUrl: string };
    assert.equal(device.serverUrl, server.url, 'the device keeps its server when the new one never answered');
  });

  it("refuses to sync a state directory that holds another user's replica", async () => {
    await addUser(dataDir, 'bob');
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    await withReplica(state, (client) => client.put('mine', 'notes', 'a.txt', bytes('alice'), 'text/plain'));
    const other = await deviceSync(state, server.url, [], { user: 'bob' });
    assert.equal(other.code, 1);
    assert.match(other.stderr, /holds the replica of user "alice" .* not "bob"; .* Use another --state directory/);
  });

  it('a state directory that is not empty and is not a device is refused, and nothing is written in it', async () => {
    const state = newState();
    await mkdir(state);
    await writeFile(join(state, 'holiday.txt'), 'someone else’s file');
    const refused = await deviceSync(state, server.url);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not empty and holds no device\.json/);
    assert.deepEqual(await readdir(state), ['holiday.txt']);
  });

  it('one sync at a time: a state directory locked by a running process is refused', async () => {
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    // This test's own process is alive, so its id is a lock that holds.
    await writeFile(join(state, 'sync.lock'), `${process.pid}\n`);
    const busy = await deviceSync(state, server.url);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, new RegExp(`another 'holdfast device sync' \\(process ${process.pid}\\) is using`));
  });

  it('a lock left by a process that is gone is taken over', async () => {
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    const gone = spawn(process.execPath, ['-e', '']);
    const pid = gone.pid;
    await new Promise((resolve) => gone.on('close', resolve));
    await writeFile(join(state, 'sync.lock'), `${pid}\n`);
    const synced = await deviceSync(state, server.url);
    assert.equal(synced.code, 0, synced.stderr);
    assert.ok(!existsSync(join(state, 'sync.lock')));
  });

  it('a pull that would delete much of the replica pauses with exit 3 and says to confirm; --confirm-mass-change applies it', async () => {
    await addUser(dataDir, 'mass');
    const a = newState();
    const b = newState();
    assert.equal((await deviceSync(a, server.url, [], { user: 'mass' })).code, 0);
    await withReplica(a, async (client) => {
      for (let i = 0; i < 10; i += 1) await client.put('notes', 'notes', `note-${i}.txt`, bytes(`note ${i}`), 'text/plain');
    });
    assert.equal((await deviceSync(a, server.url, [], { user: 'mass' })).code, 0);
    assert.equal((await deviceSync(b, server.url, [], { user: 'mass' })).code, 0);
    await withReplica(b, async (client) => {
      for (let i = 0; i < 6; i += 1) await client.delete('notes', `note-${i}.txt`);
    });
    assert.equal((await deviceSync(b, server.url, [], { user: 'mass' })).code, 0);

    const paused = await deviceSync(a, server.url, [], { user: 'mass' });
    assert.equal(paused.code, 3, paused.stderr);
    assert.match(paused.stdout, /PAUSED: the server's changes would delete 6 items and overwrite 0 of the 10 on this device/);
    assert.match(paused.stdout, /--confirm-mass-change/);
    assert.equal((await replicaItems(a)).size, 10, 'nothing was applied');
    const pausedJson = await deviceSync(a, server.url, ['--json'], { user: 'mass' });
    assert.equal(pausedJson.code, 3);
    assert.deepEqual((JSON.parse(pausedJson.stdout) as SyncJson).paused, { paused: 'mass-change', deletes: 6, overwrites: 0 });

    const confirmed = await deviceSync(a, server.url, ['--confirm-mass-change'], { user: 'mass' });
    assert.equal(confirmed.code, 0, confirmed.stderr);
    assert.equal((await replicaItems(a)).size, 4);
  });

  it('a replica may follow its server to a new address of the same store, but not to another store without --server-moved', async () => {
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    await withReplica(state, (client) => client.put('moving', 'notes', 'a.txt', bytes('a'), 'text/plain'));
    assert.equal((await deviceSync(state, server.url)).code, 0);
    // localhost and 127.0.0.1: another address, the same store.
    const sameStore = server.url.replace('127.0.0.1', 'localhost');
    const moved = await deviceSync(state, sameStore);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stderr, /this device now syncs with http:\/\/localhost/);

    const otherDir = join(temporary.dir, 'other-data');
    const other = await serverWithUser(otherDir);
    try {
      const refused = await deviceSync(state, other.url);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /is another store .* run again with --server-moved/);
      const healed = await deviceSync(state, other.url, ['--server-moved']);
      assert.equal(healed.code, 0, healed.stderr);
      assert.match(healed.stdout, /healed: the server had forgotten .*; pushed back [1-9]\d* revisions? it lacked/);
      const status = JSON.parse((await holdfast(['device', 'status', '--state', state, '--json'])).stdout) as { server: string };
      assert.equal(status.server, other.url, 'the device now belongs with the new server');
    } finally {
      await other.stop();
    }
  });

  it('--watch syncs until SIGTERM, prints one line per change of status, and exits 0', async () => {
    const watched = newState();
    const writer = newState();
    assert.equal((await deviceSync(watched, server.url)).code, 0);
    assert.equal((await deviceSync(writer, server.url)).code, 0);
    const watcher = watchDevice(watched, server.url);
    try {
      await withReplica(writer, (client) => client.put('watched', 'notes', 'live.txt', bytes('arrives by itself'), 'text/plain'));
      assert.equal((await deviceSync(writer, server.url)).code, 0);
      for (let i = 0; i < 300 && !/"pulled":[1-9]/.test(watcher.stdout()); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.match(watcher.stdout(), /"pulled":[1-9]/, `${watcher.stdout()}\n${watcher.stderr()}`);
      for (const line of watcher.lines()) assert.ok(line.event, JSON.stringify(line));
    } finally {
      assert.equal(await watcher.stop(), 0, watcher.stderr());
    }
    assert.equal(new TextDecoder().decode((await replicaItems(watched)).get('watched/live.txt')?.content ?? new Uint8Array()), 'arrives by itself');
  });

  it('--watch with a password the server refuses stops and exits 1 with the reason', async () => {
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    const watched = await deviceSync(state, server.url, ['--watch'], { password: 'not the password at all' });
    assert.equal(watched.code, 1);
    assert.match(watched.stderr, /refused this device's credentials \(HTTP 401\)/);
  });

  it('a wrong command line exits 2 with the usage', async () => {
    const missing = await holdfast(['device', 'sync', '--server', server.url, '--user', USER]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /device sync needs --state/);
    const badUrl = await holdfast(['device', 'sync', '--server', 'ftp://x', '--user', USER, '--state', newState()]);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /--server must be an http:\/\/ or https:\/\/ URL/);
    const help = await holdfast(['device', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /holdfast device export --state DIR --to OUTDIR/);
  });
});

describe('holdfast device export and status', () => {
  it('exports contacts as .vcf, events as .ics and photos and notes as their original bytes, offline, and counts them', async () => {
    await addUser(dataDir, 'exporter');
    const state = newState();
    assert.equal((await deviceSync(state, server.url, [], { user: 'exporter' })).code, 0);
    const photo = await noiseJpeg(2, 300, 200);
    await withReplica(state, async (client) => {
      await client.put('export/contacts', 'contacts', 'grace', bytes(vcard('grace', 'Grace Hopper')), 'text/vcard');
      await client.put('export/calendar', 'calendar', 'launch.ics', bytes(vevent('launch', 'Launch', 3)), 'text/calendar');
      await client.put('export/notes', 'notes', 'todo.md', bytes('# to do\n'), 'text/markdown');
      await client.put('export/photos/2026', 'files', 'IMG_0001.JPG', photo, 'image/jpeg');
      await client.put('export/photos/2026', 'files', 'gone.txt', bytes('deleted'), 'text/plain');
      await client.delete('export/photos/2026', 'gone.txt');
      await client.put('export/old-notes', 'notes', 'binned.md', bytes('in a deleted collection'), 'text/markdown');
      await client.deleteCollection('export/old-notes');
    });
    // No server: the export reads only the replica.
    const out = join(temporary.dir, 'export-1');
    const exported = await holdfast(['device', 'export', '--state', state, '--to', out, '--json']);
    assert.equal(exported.code, 0, exported.stderr);
    const summary = JSON.parse(exported.stdout) as { counts: Record<string, number>; failed: unknown[] };
    assert.equal(summary.counts.contacts, 1);
    assert.equal(summary.counts.events, 1);
    assert.equal(summary.counts.notes, 1);
    assert.equal(summary.counts.photos, 1);
    assert.deepEqual(summary.failed, []);
    assert.equal(await readFile(join(out, 'export/contacts/grace.vcf'), 'utf8'), vcard('grace', 'Grace Hopper'));
    assert.equal(await readFile(join(out, 'export/calendar/launch.ics'), 'utf8'), vevent('launch', 'Launch', 3));
    assert.deepEqual(new Uint8Array(await readFile(join(out, 'export/photos/2026/IMG_0001.JPG'))), photo);
    assert.ok(!existsSync(join(out, 'export/photos/2026/gone.txt')), 'a deleted item is not exported');
    assert.ok(!existsSync(join(out, 'export/old-notes')), "a deleted collection's items are not exported");
    assert.deepEqual((await readdir(join(out, 'export/photos/2026'))).filter((name) => name.startsWith('.')), [], 'no temp file is left');

    const text = await holdfast(['device', 'export', '--state', state, '--to', out]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /photos\s+1/);
  });

  it('names that could leave the export directory are escaped, and nothing is written outside it', async () => {
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    await withReplica(state, async (client) => {
      await client.put('..', 'notes', '..', bytes('dot dot'), 'text/plain');
      await client.put('esc/../../..', 'notes', 'a/../../b', bytes('slashes'), 'text/plain');
      await client.put('esc', 'notes', 'nul\u0000byte', bytes('nul'), 'text/plain');
    });
    const parent = join(temporary.dir, 'escape-test');
    const out = join(parent, 'out');
    const exported = await holdfast(['device', 'export', '--state', state, '--to', out, '--json']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.deepEqual(await readdir(parent), ['out'], 'nothing beside the export directory');
    assert.equal(await readFile(join(out, '%2E%2E', '%2E%2E'), 'utf8'), 'dot dot');
    assert.equal(await readFile(join(out, 'esc', '%2E%2E', '%2E%2E', '%2E%2E', 'a%2F..%2F..%2Fb'), 'utf8'), 'slashes');
    assert.equal(await readFile(join(out, 'esc', 'nul%00byte'), 'utf8'), 'nul');
  });

  it('status shows the device, its server and user, items per collection, the outbox and the last sync, offline', async () => {
    const state = newState();
    assert.equal((await deviceSync(state, server.url)).code, 0);
    await withReplica(state, async (client) => {
      await client.put('status-notes', 'notes', 'one.txt', bytes('1'), 'text/plain');
      await client.put('status-notes', 'notes', 'two.txt', bytes('2'), 'text/plain');
    });
    const status = await holdfast(['device', 'status', '--state', state, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const json = JSON.parse(status.stdout) as {
      deviceId: string;
      server: string;
      user: string;
      outbox: number;
      refused: number;
      collections: { path: string; displayName: string | null; live: number }[];
      lastSync: { storeId: string; generation: number; sequence: number } | null;
    };
    assert.equal(json.server, server.url);
    assert.equal(json.user, USER);
    assert.equal(json.outbox, 2, 'two local writes wait for the server');
    assert.equal(json.refused, 0);
    assert.equal(json.collections.find((c) => c.path === 'status-notes')?.live, 2);
    assert.deepEqual(
      json.collections.find((c) => c.path === 'tasks'),
      { path: 'tasks', kind: 'tasks', displayName: 'Tasks', inTrash: false, live: 0, deleted: 0 },
      'an empty collection the server named is listed with its name',
    );
    assert.ok(json.lastSync && json.lastSync.generation === 1 && json.lastSync.sequence > 0);

    const text = await holdfast(['device', 'status', '--state', state]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /outbox:\s+2 waiting for the server/);
    assert.match(text.stdout, /status-notes\s+notes\s+2\s+0/);
    assert.match(text.stdout, /tasks\s+Tasks\s+tasks\s+0\s+0/);

    const none = await holdfast(['device', 'status', '--state', join(temporary.dir, 'nowhere')]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /is not a device state directory/);
  });
});
