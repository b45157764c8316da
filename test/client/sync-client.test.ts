// The device SDK against a real server over real HTTP, with real SQLite replica files.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Harness } from '../server/harness.ts';
import { bytes, text, useDevices, vcard } from './devices.ts';

describe('sync client', () => {
  const devices = useDevices('client-sync');
  let harness: Harness;
  before(async () => {
    harness = await devices.server();
  });
  const device = (name: string) => devices.device(harness, name, { signIn: 'token' });

  it('converges two replicas, writes both ways and deletes as tombstones', async () => {
    const a = device('conv-a');
    const b = device('conv-b');
    await a.put('contacts', 'contacts', 'ada.vcf', bytes(vcard('ada', 'FN:Ada')), 'text/vcard');
    await a.put('notes', 'notes', 'n1.json', bytes('{"title":"one"}'), 'application/json');
    assert.equal((await a.syncOnce()).pushed, 2);
    await b.syncOnce();
    assert.equal(text((await b.get('contacts', 'ada.vcf'))?.content), vcard('ada', 'FN:Ada'));

    await b.put('notes', 'notes', 'n1.json', bytes('{"title":"two"}'), 'application/json');
    await b.delete('contacts', 'ada.vcf');
    await b.syncOnce();
    await a.syncOnce();
    assert.equal(text((await a.get('notes', 'n1.json'))?.content), '{"title":"two"}');
    assert.equal(await a.get('contacts', 'ada.vcf'), undefined, 'the tombstone deleted it on the other replica');
    assert.deepEqual((await a.list()).map((i) => i.name), (await b.list()).map((i) => i.name));
  });

  it('queues writes made offline and sends them on the next sync', async () => {
    const offlineReplica = devices.replica('offline');
    // The same replica, first with no server to reach.
    const offline = devices.device(harness, 'offline', { signIn: 'token', fetch: () => Promise.reject(new TypeError('fetch failed: no network')) });
    await offline.put('notes', 'notes', 'plane.txt', bytes('written on a plane'), 'text/plain');
    assert.equal(text((await offline.get('notes', 'plane.txt'))?.content), 'written on a plane', 'a local read sees the write at once');
    const errors: unknown[] = [];
    offline.on('error', (e) => errors.push(e));
    await assert.rejects(offline.syncOnce());
    assert.equal(errors.length, 1);
    assert.equal((await offlineReplica.outbox()).length, 1, 'the write waits in the outbox');

    const online = device('offline');
    assert.equal((await online.syncOnce()).pushed, 1);
    assert.equal((await offlineReplica.outbox()).length, 0);
    const other = device('offline-reader');
    await other.syncOnce();
    assert.equal(text((await other.get('notes', 'plane.txt'))?.content), 'written on a plane');
  });

  it('fills a wiped replica with everything from the server', async () => {
    const a = device('wipe-a');
    await a.syncOnce();
    const big = new Uint8Array(200 * 1024).map((_, i) => (i * 31) % 251);
    await a.put('files', 'files', 'big.bin', big, 'application/octet-stream');
    await a.syncOnce();
    const before = await a.list();
    const fresh = device('wipe-a-again');
    await fresh.syncOnce();
    const afterWipe = await fresh.list();
    assert.deepEqual(
      afterWipe.map((i) => [i.collectionPath, i.name, i.headId]),
      before.map((i) => [i.collectionPath, i.name, i.headId]),
    );
    assert.deepEqual((await fresh.get('files', 'big.bin'))?.content, big, 'large content came by href, verified');
  });

  it('sends a vCard larger than the inline limit inline, as the server needs to validate it', async () => {
    const a = device('big-card');
    const card = vcard('big', 'FN:Big Photo', `PHOTO:data:image/jpeg;base64,${'QUJD'.repeat(20_000)}`);
    await a.put('contacts', 'contacts', 'big.vcf', bytes(card), 'text/vcard');
    const report = await a.syncOnce();
    assert.deepEqual(report.refused, []);
    const b = device('big-card-reader');
    await b.syncOnce();
    assert.equal(text((await b.get('contacts', 'big.vcf'))?.content), card);
  });
});
