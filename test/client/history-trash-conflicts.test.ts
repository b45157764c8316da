// What the SDK shows the app of the past: an item's history and the trash from the replica
// (offline), restoring from either as a new revision, and the server's open conflicts with
// their resolution, all against a real server.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Harness } from '../server/harness.ts';
import { bytes, text, useDevices, vcard } from './devices.ts';

const later = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('sync client: history, trash and conflicts', () => {
  const devices = useDevices('client-history');
  let harness: Harness;
  before(async () => {
    harness = await devices.server();
  });
  const device = (name: string) => devices.device(harness, name);

  it('lists a deleted item in the trash with its last content and restores it, offline, as a new revision that syncs', async () => {
    const a = device('trash-a');
    const b = device('trash-b');
    await a.put('notes', 'notes', 'plan.json', bytes('{"title":"v1"}'), 'application/json');
    await a.put('notes', 'notes', 'plan.json', bytes('{"title":"v2"}'), 'application/json');
    await a.delete('notes', 'plan.json');
    const trash = await a.trash('notes');
    assert.equal(trash.length, 1);
    assert.equal(trash[0]?.name, 'plan.json');
    assert.equal(text(trash[0]?.lastLive?.content), '{"title":"v2"}', 'the content just before the delete');
    assert.deepEqual((await a.history('notes', 'plan.json')).map((r) => r.deleted), [false, false, true]);

    await a.restore('notes', 'plan.json');
    assert.equal(text((await a.get('notes', 'plan.json'))?.content), '{"title":"v2"}');
    assert.deepEqual(await a.trash('notes'), []);
    await a.syncOnce();
    await b.syncOnce();
    assert.equal(text((await b.get('notes', 'plan.json'))?.content), '{"title":"v2"}', 'the restore reached the other device');
  });

  it('restores an older revision by id, and refuses a revision of another item with a clear message', async () => {
    const a = device('older');
    const first = await a.put('notes', 'notes', 'older.json', bytes('{"n":1}'), 'application/json');
    await a.put('notes', 'notes', 'older.json', bytes('{"n":2}'), 'application/json');
    const other = await a.put('notes', 'notes', 'other.json', bytes('{"n":9}'), 'application/json');
    await a.restore('notes', 'older.json', first);
    assert.equal(text((await a.get('notes', 'older.json'))?.content), '{"n":1}');
    await assert.rejects(a.restore('notes', 'older.json', other), /not a live revision of notes\/older\.json/);
    await assert.rejects(a.restore('notes', 'nothing.json'), /holds no item "nothing\.json"/);
    assert.equal(text((await a.get('notes', 'older.json'))?.content), '{"n":1}', 'a refused restore changed nothing');
  });

  it('lists the server\'s open conflicts and brings the losing side back when asked', async () => {
    const a = device('conflict-a');
    const b = device('conflict-b');
    await a.put('contacts', 'contacts', 'kim.vcf', bytes(vcard('kim', 'FN:Kim')), 'text/vcard');
    await a.syncOnce();
    await b.syncOnce();
    await a.put('contacts', 'contacts', 'kim.vcf', bytes(vcard('kim', 'FN:Kim A')), 'text/vcard');
    await a.syncOnce();
    await later();
    await b.put('contacts', 'contacts', 'kim.vcf', bytes(vcard('kim', 'FN:Kim B')), 'text/vcard');
    const report = await b.syncOnce();
    assert.equal(report.conflicts.length, 1);

    const open = await a.conflicts();
    const mine = open.filter((c) => c.itemName === 'kim.vcf');
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.revisionId, report.conflicts[0]?.loserRevisionId);
    assert.equal(mine[0]?.collectionPath, 'contacts');

    const { head } = await a.resolveConflict(mine[0]?.revisionId ?? '', { restore: true });
    assert.ok(head, 'restoring the losing side writes a new head');
    await a.syncOnce();
    await b.syncOnce();
    assert.equal(text((await a.get('contacts', 'kim.vcf'))?.content), vcard('kim', 'FN:Kim A'), 'the losing edit is back');
    assert.equal((await a.get('contacts', 'kim.vcf'))?.headId, (await b.get('contacts', 'kim.vcf'))?.headId);
    assert.equal((await a.conflicts()).filter((c) => c.itemName === 'kim.vcf').length, 0, 'the conflict is closed');
    await assert.rejects(a.resolveConflict(mine[0]?.revisionId ?? '', { restore: false }), /HTTP 404 .*no open conflict/);
  });
});
