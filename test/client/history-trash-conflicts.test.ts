// What the SDK shows the app of the past: an item's history and the trash from the replica
// (offline), restoring from either as a new revision, and the server's open conflicts with
// their resolution, all against a real server.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReplicaStore } from '../../client/replica.ts';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import { createSyncClient } from '../../client/sync-client.ts';
import { startHarness, type Harness } from '../server/harness.ts';

const vcard = (uid: string, ...lines: string[]) => ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, ...lines, 'END:VCARD', ''].join('\r\n');
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | null | undefined) => (data ? new TextDecoder().decode(data) : undefined);
const later = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('sync client: history, trash and conflicts', () => {
  let dir: string;
  let harness: Harness;
  const replicas: ReplicaStore[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdfast-client-history-'));
    harness = await startHarness();
  });
  after(async () => {
    for (const replica of replicas) await replica.close();
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  function device(name: string) {
    const replica = openSqliteReplica(join(dir, `${name}.sqlite`));
    replicas.push(replica);
    const [user = '', password = ''] = Buffer.from(harness.appPassword.alice.replace(/^Basic /, ''), 'base64').toString('utf8').split(':');
    return createSyncClient({ serverUrl: harness.url, auth: { basic: { user, password } }, replica, deviceId: name });
  }

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
