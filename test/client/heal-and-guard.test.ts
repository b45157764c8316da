// The Sidekick case (the server replaced by an empty one and healed from the devices), the
// mass-change guard and field merges, with real servers and real replica files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SyncClient } from '../../client/sync-client.ts';
import { bytes, text, useDevices, vcard, type DeviceOptions } from './devices.ts';
import type { Harness } from '../server/harness.ts';

describe('sync client: heal, guard, merge', () => {
  const devices = useDevices('client-heal');
  const { server } = devices;
  /** A client on the named replica file (opened once, kept across servers), signed in with a token. */
  const device = (harness: Harness, name: string, options: DeviceOptions = {}): SyncClient => devices.device(harness, name, { signIn: 'token', ...options });

  const snapshot = async (client: SyncClient) =>
    (await client.list()).map((item) => ({ path: item.collectionPath, name: item.name, type: item.contentType, content: Buffer.from(item.content ?? []).toString('hex') }));

  it('the Sidekick case: an empty server is healed from two devices and a third gets everything', async () => {
    const first = await server();
    const a = device(first, 'sk-a');
    const b = device(first, 'sk-b');
    await a.put('contacts', 'contacts', 'ada.vcf', bytes(vcard('ada', 'FN:Ada Lovelace', 'TEL:+44 1')), 'text/vcard');
    await a.put('contacts', 'contacts', 'bob.vcf', bytes(vcard('bob', 'FN:Bob')), 'text/vcard');
    await a.put('notes', 'notes', 'todo.json', bytes('{"title":"todo","body":"milk"}'), 'application/json');
    const photo = new Uint8Array(150 * 1024).map((_, i) => (i * 7 + 3) % 256);
    await a.put('files/photos', 'files', 'cat.jpg', photo, 'image/jpeg');
    await a.syncOnce();
    await b.syncOnce();
    await b.put('contacts', 'contacts', 'bob.vcf', bytes(vcard('bob', 'FN:Bob Builder')), 'text/vcard');
    await b.put('notes', 'notes', 'only-b.txt', bytes('written on b'), 'text/plain');
    await b.syncOnce(); // a never pulls these before the server goes
    const aBefore = await snapshot(a);
    const bBefore = await snapshot(b);

    // The server is replaced by an empty one; the same user is made again.
    const second = await server();
    const a2 = device(second, 'sk-a');
    const b2 = device(second, 'sk-b');
    const healedEvents: unknown[] = [];
    a2.on('healed', (detail) => healedEvents.push(detail));
    const aReport = await a2.syncOnce();
    assert.equal(aReport.healed, true);
    assert.equal(aReport.healPushed, 4, "a pushed back its own four revisions");
    assert.deepEqual(healedEvents, [{ healed: true, pushed: 4 }]);
    const bReport = await b2.syncOnce();
    assert.equal(bReport.healed, true);
    assert.equal(bReport.healPushed, 2, "b pushed back the two revisions only it held");
    assert.deepEqual(aReport.refused.concat(bReport.refused), []);

    // No local item was deleted because the server lacked it.
    assert.deepEqual(await snapshot(b2), bBefore);
    await a2.syncOnce();
    const aAfter = await snapshot(a2);
    for (const item of aBefore) assert.ok(aAfter.some((x) => x.path === item.path && x.name === item.name), `${item.name} is still on a`);
    assert.deepEqual(aAfter, bBefore, 'a caught up with b');

    const c = device(second, 'sk-c');
    await c.syncOnce();
    assert.deepEqual(await snapshot(c), bBefore, 'a new device gets every item, byte for byte');
    assert.deepEqual((await c.get('files/photos', 'cat.jpg'))?.content, photo);
  });

  it('pauses when a mass delete arrives one small pull at a time, as it does to a live device', async () => {
    const harness = await server();
    const a = device(harness, 'trickle-a');
    const b = device(harness, 'trickle-b');
    for (let i = 0; i < 12; i += 1) await a.put('notes', 'notes', `t${i}.txt`, bytes(`note ${i}`), 'text/plain');
    await a.syncOnce();
    await b.syncOnce();
    // 30% of 12 is 3.6: the fourth delete in ten minutes pauses, though each pull deletes one.
    const reports = [];
    for (let i = 0; i < 6; i += 1) {
      await b.delete('notes', `t${i}.txt`);
      await b.syncOnce();
      reports.push(await a.syncOnce());
    }
    assert.deepEqual(reports.map((r) => r.paused?.deletes ?? 0), [0, 0, 0, 4, 5, 6]);
    assert.equal((await a.list()).length, 9, 'the first three deletes applied, the rest wait');
    a.confirmMassChange();
    await a.syncOnce();
    assert.equal((await a.list()).length, 6);
    // A confirmed mass change starts the count afresh: one more delete goes through.
    await b.delete('notes', 't6.txt');
    await b.syncOnce();
    assert.equal((await a.syncOnce()).paused, undefined);
    assert.equal((await a.list()).length, 5);
  });

  it('heals a server that was replaced after a push it acknowledged but before the first pull finished', async () => {
    // Found by the simulation (seed 180): the device had no cursor yet, so it did not heal,
    // and its acknowledged write never reached the new server.
    const first = await server();
    const name = 'no-cursor';
    const pullsFail: typeof fetch = async (input, init) => {
      if (typeof input === 'string' && input.includes('/sync/changes')) throw new TypeError('the network went down');
      return fetch(input, init);
    };
    const cutOff = device(first, name, { fetch: pullsFail });
    await cutOff.put('notes', 'notes', 'kept.txt', bytes('pushed, never pulled'), 'text/plain');
    await assert.rejects(cutOff.syncOnce(), /network went down/);
    assert.equal((await devices.replica(name).outbox()).length, 0, 'the first server acknowledged the write');

    const second = await server();
    const report = await device(second, name).syncOnce();
    assert.equal(report.healed, true);
    assert.equal(report.healPushed, 1);
    const reader = device(second, 'no-cursor-reader');
    await reader.syncOnce();
    assert.equal(text((await reader.get('notes', 'kept.txt'))?.content), 'pushed, never pulled');
  });

  it('pauses a pull that deletes half the items, and applies it after confirmMassChange', async () => {
    const harness = await server();
    const a = device(harness, 'guard-a');
    const b = device(harness, 'guard-b');
    for (let i = 0; i < 12; i += 1) await a.put('notes', 'notes', `n${i}.txt`, bytes(`note ${i}`), 'text/plain');
    await a.syncOnce();
    await b.syncOnce();
    for (let i = 0; i < 6; i += 1) await b.delete('notes', `n${i}.txt`);
    await b.syncOnce();

    const paused: unknown[] = [];
    a.on('paused', (detail) => paused.push(detail));
    const report = await a.syncOnce();
    assert.deepEqual(report.paused, { paused: 'mass-change', deletes: 6, overwrites: 0 });
    assert.deepEqual(paused, [report.paused]);
    assert.equal((await a.list()).length, 12, 'nothing applied while paused');
    assert.deepEqual((await a.syncOnce()).paused, report.paused, 'still paused until confirmed');

    a.confirmMassChange();
    const applied = await a.syncOnce();
    assert.equal(applied.paused, undefined);
    assert.deepEqual((await a.list()).map((i) => i.name), ['n10.txt', 'n11.txt', 'n6.txt', 'n7.txt', 'n8.txt', 'n9.txt']);

    // A heal pulls the whole log again; revisions the device holds change nothing, so it does not pause.
    for (let i = 6; i < 12; i += 1) await a.put('notes', 'notes', `n${i}.txt`, bytes(`note ${i}, edited`), 'text/plain');
    await a.syncOnce();
    const before = await snapshot(a);
    const empty = await server();
    const healed = await device(empty, 'guard-a').syncOnce();
    assert.equal(healed.healed, true);
    assert.equal(healed.paused, undefined);
    assert.deepEqual(await snapshot(device(empty, 'guard-a')), before);

    // Another device rewriting most items is a mass change too (overwrites).
    const other = device(empty, 'guard-c');
    await other.syncOnce();
    for (let i = 6; i < 11; i += 1) await other.put('notes', 'notes', `n${i}.txt`, bytes(`note ${i}, rewritten`), 'text/plain');
    await other.syncOnce();
    const rewritten = await device(empty, 'guard-a').syncOnce();
    assert.equal(rewritten.paused, undefined, 'six live items are below the default massChangeMinItems');
    for (let i = 6; i < 11; i += 1) await other.put('notes', 'notes', `n${i}.txt`, bytes(`note ${i}, again`), 'text/plain');
    await other.syncOnce();
    const strict = device(empty, 'guard-a', { massChangeMinItems: 1 });
    assert.deepEqual((await strict.syncOnce()).paused, { paused: 'mass-change', deletes: 0, overwrites: 5 });
    assert.equal(text((await strict.get('notes', 'n6.txt'))?.content), 'note 6, rewritten');
  });

  it('merges edits of different vCard fields on both replicas', async () => {
    const harness = await server();
    const a = device(harness, 'merge-a');
    const b = device(harness, 'merge-b');
    await a.put('contacts', 'contacts', 'grace.vcf', bytes(vcard('grace', 'FN:Grace', 'TEL:+1 555')), 'text/vcard');
    await a.syncOnce();
    await b.syncOnce();
    await a.put('contacts', 'contacts', 'grace.vcf', bytes(vcard('grace', 'FN:Grace Hopper', 'TEL:+1 555')), 'text/vcard');
    await b.put('contacts', 'contacts', 'grace.vcf', bytes(vcard('grace', 'FN:Grace', 'TEL:+1 555', 'EMAIL:grace@navy.mil')), 'text/vcard');
    await a.syncOnce();
    const bReport = await b.syncOnce();
    assert.deepEqual(bReport.conflicts, []);
    await a.syncOnce();
    const onA = text((await a.get('contacts', 'grace.vcf'))?.content) ?? '';
    const onB = text((await b.get('contacts', 'grace.vcf'))?.content) ?? '';
    assert.equal(onA, onB);
    assert.match(onA, /FN:Grace Hopper/);
    assert.match(onA, /EMAIL:grace@navy.mil/);
    assert.equal((await a.get('contacts', 'grace.vcf'))?.headId, (await b.get('contacts', 'grace.vcf'))?.headId);
  });
});
