// What the client does with the answers that are not simply "applied": a conflict on the
// same vCard field, a refused revision, and a pull that answers server-forgot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReplicaStore } from '../../client/replica.ts';
import type { ConflictReport } from '../../client/sync-client.ts';
import type { Harness } from '../server/harness.ts';
import { bytes, text, useDevices, vcard } from './devices.ts';

describe('sync client: conflicts, refusals, server-forgot', () => {
  const devices = useDevices('client-conflicts');
  const { server } = devices;
  /** The named replica (kept across servers) and the SDK on it. */
  const device = (harness: Harness, name: string) => ({ replica: devices.replica(name), client: devices.device(harness, name) });

  it('a server that forgot gets back the conflicts the user had not settled, and a device lists them offline', async () => {
    const first = await server();
    const { client: a } = device(first, 'marks-a');
    const { client: b } = device(first, 'marks-b');
    await a.put('contacts', 'contacts', 'kim.vcf', bytes(vcard('kim', 'FN:Kim')), 'text/vcard');
    await a.syncOnce();
    await b.syncOnce();
    await a.put('contacts', 'contacts', 'kim.vcf', bytes(vcard('kim', 'FN:Kim A')), 'text/vcard');
    await a.syncOnce();
    await new Promise((resolve) => setTimeout(resolve, 20)); // b's edit is the later one
    await b.put('contacts', 'contacts', 'kim.vcf', bytes(vcard('kim', 'FN:Kim B')), 'text/vcard');
    assert.equal((await b.syncOnce()).conflicts.length, 1);
    await a.syncOnce(); // a pulls the outcome, and with it the list of open conflicts
    const before = (await a.conflicts()).map(({ revisionId, winnerRevisionId, itemName }) => ({ revisionId, winnerRevisionId, itemName }));
    assert.equal(before.length, 1);

    // Offline, the device still lists it, as of its last sync.
    const offline = devices.device(first, 'marks-a', { fetch: () => Promise.reject(new TypeError('fetch failed: no network')) });
    const listedOffline = await offline.conflicts();
    assert.deepEqual(listedOffline.map(({ revisionId, winnerRevisionId, itemName }) => ({ revisionId, winnerRevisionId, itemName })), before);
    assert.equal(listedOffline[0]?.revision, null);

    // The server is replaced by an empty one; a heals it.
    const second = await server();
    const report = await device(second, 'marks-a').client.syncOnce();
    assert.equal(report.healed, true);
    assert.equal(report.healConflicts, 1, 'the heal marked the conflict again');
    const fresh = device(second, 'marks-new').client;
    await fresh.syncOnce();
    const after = await fresh.conflicts();
    assert.deepEqual(after.map(({ revisionId, winnerRevisionId, itemName }) => ({ revisionId, winnerRevisionId, itemName })), before, 'the same conflict, on the healed server');
    assert.equal(after[0]?.revision?.id, before[0]?.revisionId, 'with the losing revision, which the heal brought back too');

    // Settled on the new server, it is gone everywhere, and a second heal does not bring it back.
    await fresh.resolveConflict(before[0]?.revisionId ?? '', { restore: false });
    assert.deepEqual(await fresh.conflicts(), []);
    assert.equal((await device(second, 'marks-b').client.syncOnce()).healConflicts, 0, 'b heals too, but the settled mark stays settled');
    assert.deepEqual(await fresh.conflicts(), []);
  });

  it('reports a conflict on the same field, and both replicas end on the same head', async () => {
    const harness = await server();
    const { client: a } = device(harness, 'conflict-a');
    const { client: b } = device(harness, 'conflict-b');
    await a.put('contacts', 'contacts', 'lin.vcf', bytes(vcard('lin', 'FN:Lin')), 'text/vcard');
    await a.syncOnce();
    await b.syncOnce();
    await a.put('contacts', 'contacts', 'lin.vcf', bytes(vcard('lin', 'FN:Lin A')), 'text/vcard');
    // The later edit wins by creation time (millisecond precision): make B's clearly later,
    // or two edits in the same millisecond tie and the server's head is kept.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await b.put('contacts', 'contacts', 'lin.vcf', bytes(vcard('lin', 'FN:Lin B')), 'text/vcard');
    await a.syncOnce();
    const events: ConflictReport[] = [];
    b.on('conflict', (detail) => events.push(detail as ConflictReport));
    const report = await b.syncOnce();
    assert.equal(report.conflicts.length, 1);
    assert.deepEqual(events, report.conflicts);
    assert.equal(report.conflicts[0]?.winner, 'pushed', 'the later edit wins');
    await a.syncOnce();
    assert.equal(text((await a.get('contacts', 'lin.vcf'))?.content), vcard('lin', 'FN:Lin B'));
    assert.equal((await a.get('contacts', 'lin.vcf'))?.headId, (await b.get('contacts', 'lin.vcf'))?.headId);
  });

  it('keeps a refused revision on the device and reports why', async () => {
    const harness = await server();
    const { client, replica } = device(harness, 'refused');
    await client.put('contacts', 'contacts', 'broken.vcf', bytes('not a vcard'), 'text/vcard');
    const report = await client.syncOnce();
    assert.equal(report.refused.length, 1);
    assert.equal(report.refused[0]?.reason, 'invalid-content');
    assert.equal(text((await client.get('contacts', 'broken.vcf'))?.content), 'not a vcard', 'still on the device');
    assert.equal((await client.refused()).length, 1);
    assert.equal((await replica.outbox()).length, 0, 'not sent again and again');
  });

  it('ends on the server\'s head after a delete refused as stale: another edit, or another device\'s delete', async () => {
    // Found by the simulation (seed 185): two devices deleted the same item; the second
    // delete was refused as stale and that device kept its own refused tombstone as the
    // head, never the server's, so the replicas did not converge.
    const harness = await server();
    const { client: a, replica: aReplica } = device(harness, 'stale-a');
    const { client: b, replica: bReplica } = device(harness, 'stale-b');
    await a.put('notes', 'notes', 'both.json', bytes('{"title":"one"}'), 'application/json');
    await a.put('notes', 'notes', 'edited.json', bytes('{"title":"one"}'), 'application/json');
    await a.syncOnce();
    await b.syncOnce();
    await a.delete('notes', 'both.json');
    await a.put('notes', 'notes', 'edited.json', bytes('{"title":"two"}'), 'application/json');
    await a.syncOnce();
    await b.delete('notes', 'both.json');
    await b.delete('notes', 'edited.json');
    const report = await b.syncOnce();
    assert.deepEqual(report.refused.map((r) => r.reason), ['stale-delete', 'stale-delete']);
    // Deleted items too: each replica's head of both.json is a tombstone, and it must be the same one.
    const heads = async (replica: ReplicaStore) => (await replica.listItems()).map((i) => [i.name, i.headId, i.deleted]);
    assert.deepEqual(await heads(bReplica), await heads(aReplica));
    assert.equal(text((await b.get('notes', 'edited.json'))?.content), '{"title":"two"}', 'nothing was deleted: the newer edit shows');
    assert.equal(await b.get('notes', 'both.json'), undefined);
    assert.equal((await b.refused()).length, 2, 'the refused deletes stay in the log for the person to see');
  });

  it('heals when the handshake is behind the cursor, pushing only what the server lacks', async () => {
    const harness = await server();
    const { client: a, replica } = device(harness, 'behind-a');
    await a.put('notes', 'notes', 'x.txt', bytes('x'), 'text/plain');
    await a.put('notes', 'notes', 'x.txt', bytes('x2'), 'text/plain');
    await a.syncOnce();
    const before = await a.list();
    const saved = await replica.getCursor();
    assert.ok(saved);
    // As if the server had lost its newest changes: its sequence is behind the cursor's.
    await replica.setCursor({ ...saved, sequence: saved.sequence + 1000 });
    await a.put('notes', 'notes', 'y.txt', bytes('y'), 'text/plain');
    const synced: unknown[] = [];
    a.on('synced', (detail) => synced.push(detail));
    const report = await a.syncOnce();
    assert.equal(report.healed, true);
    assert.equal(report.healPushed, 1, 'only the new write was missing');
    assert.equal(synced.length, 1);
    assert.deepEqual(
      (await a.list()).map((i) => [i.name, i.headId]),
      [...before.map((i) => [i.name, i.headId]), ['y.txt', (await a.get('notes', 'y.txt'))?.headId]],
    );
    assert.equal(text((await a.get('notes', 'x.txt'))?.content), 'x2', 'the full re-pull ends on the head');
    assert.ok(((await replica.getCursor())?.sequence ?? Infinity) < saved.sequence + 1000, 'a fresh cursor');
  });

  it('heals when a pull answers server-forgot', async () => {
    const first = await server();
    const { client: a, replica } = device(first, 'forgot-a');
    await a.put('notes', 'notes', 'keep.txt', bytes('keep me'), 'text/plain');
    await a.syncOnce();
    const second = await server();
    // A replica whose saved identity matches the new server but whose cursor is the old one's:
    // only the pull can tell, with 409 server-forgot.
    const saved = await replica.getCursor();
    assert.ok(saved);
    const handshake = (await (await fetch(`${second.url}/api/v1/sync`, { headers: { authorization: second.bearer.alice } })).json()) as {
      storeId: string;
      generation: number;
    };
    await replica.setCursor({ ...saved, storeId: handshake.storeId, generation: handshake.generation, sequence: 0 });
    const { client: a2 } = device(second, 'forgot-a');
    const report = await a2.syncOnce();
    assert.equal(report.healed, true);
    assert.equal(report.healPushed, 1);
    const { client: c } = device(second, 'forgot-c');
    await c.syncOnce();
    assert.equal(text((await c.get('notes', 'keep.txt'))?.content), 'keep me');
  });
});
