import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';
import { checkAnswer } from './openapi-check.ts';
import { newRevision, sha256, syncClient, type ChangeJson, type SyncClient } from './sync-client.ts';

const vcard = (uid: string, ...lines: string[]) => ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, ...lines, 'END:VCARD', ''].join('\r\n');
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('sync API', () => {
  let server: Harness;
  let alice: SyncClient;
  let bob: SyncClient;
  before(async () => {
    server = await startHarness();
    alice = syncClient(server.url, server.bearer.alice);
    bob = syncClient(server.url, server.appPassword.bob);
  });
  after(async () => {
    // Everything the tests pushed, merged and resolved left a consistent store.
    assert.deepEqual((await server.store.checkIntegrity({ verifyBlobContent: true })).problems, []);
    await server.close();
  });

  test('the handshake names the store, its generation and sequence, the user\'s collections and the limits', async () => {
    const { status, body } = await alice.handshake();
    assert.equal(status, 200);
    const identity = await server.store.identity();
    assert.equal(body.storeId, identity.storeId);
    assert.equal(body.generation, identity.generation);
    assert.equal(body.sequence, identity.sequence);
    const paths = (body.collections as Array<{ path: string; kind: string }>).map((c) => `${c.path}:${c.kind}`).sort();
    assert.ok(paths.includes('contacts:contacts') && paths.includes('calendar:calendar'), paths.join());
    const unsigned = await fetch(`${server.url}/api/v1/sync`);
    assert.equal(unsigned.status, 401);
    checkAnswer('GET', '/api/v1/sync', 401, await unsigned.json());
  });

  test('push applies a new item and a descendant edit; pulling gives both revisions with their content and parents', async () => {
    const { cursor } = await alice.pullAll();
    const first = newRevision({ item: 'ada.vcf', text: vcard('ada', 'FN:Ada') });
    const second = newRevision({ item: 'ada.vcf', baseRevisionId: first.id, text: vcard('ada', 'FN:Ada Lovelace') });
    const results = await alice.push([first, second]);
    assert.deepEqual(results.map((r) => r.result), ['applied', 'applied']);
    assert.equal(results[1]?.head?.id, second.id);
    assert.equal(results[1]?.head?.parentId, first.id);
    assert.equal(results[1]?.head?.createdAt, second.createdAt);

    const { changes } = await alice.pullAll(cursor);
    const revisions = changes.filter((c) => c.type === 'revision');
    assert.deepEqual(revisions.map((c) => c.revision.id), [first.id, second.id]);
    const last = revisions[1];
    assert.ok(last && last.content && 'base64' in last.content);
    assert.equal(Buffer.from(last.content.base64, 'base64').toString(), vcard('ada', 'FN:Ada Lovelace'));
    assert.equal(last.revision.contentHash, sha256(vcard('ada', 'FN:Ada Lovelace')));
    assert.equal(last.revision.collectionPath, 'contacts');
  });

  test('re-sending a revision answers already-applied and writes nothing', async () => {
    const rev = newRevision({ item: 'resend.vcf', text: vcard('resend', 'FN:Re Send') });
    assert.equal((await alice.push([rev]))[0]?.result, 'applied');
    const before = (await server.store.identity()).sequence;
    const again = await alice.push([rev]);
    assert.equal(again[0]?.result, 'already-applied');
    assert.equal(again[0]?.head?.id, rev.id);
    assert.equal((await server.store.identity()).sequence, before);
  });

  test('an edit on a stale base that touches other fields is merged into a new revision on top', async () => {
    const base = newRevision({ item: 'grace.vcf', text: vcard('grace', 'FN:Grace Hopper', 'TEL;TYPE=cell:+1 111', 'REV:20240101T000000Z') });
    await alice.push([base]);
    const serverSide = newRevision({ item: 'grace.vcf', baseRevisionId: base.id, text: vcard('grace', 'FN:Grace Brewster Hopper', 'TEL;TYPE=cell:+1 111', 'REV:20240102T000000Z') });
    assert.equal((await alice.push([serverSide]))[0]?.result, 'applied');
    // A second device edited the same base: it added a phone number.
    const device = newRevision({
      item: 'grace.vcf',
      baseRevisionId: base.id,
      text: vcard('grace', 'FN:Grace Hopper', 'TEL;TYPE=cell:+1 111', 'TEL;TYPE=work:+1 222', 'REV:20240103T000000Z'),
    });
    const [result] = await alice.push([device]);
    assert.equal(result?.result, 'merged', JSON.stringify(result));
    assert.ok(result?.mergedRevisionId && result.head?.id === result.mergedRevisionId);
    assert.equal(result.head?.parentId, device.id);
    const now = await fetch(`${server.url}/api/v1/collections/contacts/items/grace.vcf`, { headers: { authorization: server.bearer.alice } });
    const text = await now.text();
    assert.match(text, /FN:Grace Brewster Hopper/);
    assert.match(text, /TEL;TYPE=work:\+1 222/);
    assert.match(text, /REV:20240103T000000Z/);
  });

  test('the same field edited on both sides is a conflict: the later edit is the head, the other is listed and restorable', async () => {
    const base = newRevision({ item: 'alan.vcf', text: vcard('alan', 'FN:Alan Turing'), createdAt: '2024-01-01T00:00:00.000Z' });
    const serverSide = newRevision({ item: 'alan.vcf', baseRevisionId: base.id, text: vcard('alan', 'FN:Alan M. Turing'), createdAt: '2024-01-02T00:00:00.000Z' });
    await alice.push([base, serverSide]);
    // Made earlier than the server's head: it loses, and stays in the history.
    const older = newRevision({ item: 'alan.vcf', baseRevisionId: base.id, text: vcard('alan', 'FN:A. M. Turing'), createdAt: '2024-01-01T12:00:00.000Z' });
    const [lost] = await alice.push([older]);
    assert.equal(lost?.result, 'conflict');
    assert.equal(lost?.winner, 'server');
    assert.equal(lost?.loserRevisionId, older.id);
    assert.deepEqual(lost?.fields, ['FN']);
    assert.equal(lost?.head?.restoredFrom, serverSide.id, 'the item ends with the server\'s content');

    const { body } = await alice.conflicts();
    const listed = (body.conflicts as Array<{ revisionId: string; winnerRevisionId: string; itemName: string; collectionPath: string }>).find((c) => c.revisionId === older.id);
    assert.ok(listed, 'the losing revision is listed');
    assert.equal(listed.winnerRevisionId, serverSide.id);
    assert.equal(listed.collectionPath, 'contacts');

    // Restored with the ordinary restore API.
    const restored = await fetch(`${server.url}/api/v1/collections/contacts/items/alan.vcf/restore`, {
      method: 'POST',
      headers: { authorization: server.bearer.alice, 'content-type': 'application/json' },
      body: JSON.stringify({ revision: older.id }),
    });
    assert.equal(restored.status, 200);
    const now = await fetch(`${server.url}/api/v1/collections/contacts/items/alan.vcf`, { headers: { authorization: server.bearer.alice } });
    assert.equal(await now.text(), vcard('alan', 'FN:A. M. Turing'));

    // Made later than the head: it wins, and the head it replaced is the conflict.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = newRevision({ item: 'alan.vcf', baseRevisionId: serverSide.id, text: vcard('alan', 'FN:Alan Mathison Turing') });
    const [won] = await alice.push([newer]);
    assert.equal(won?.result, 'conflict');
    assert.equal(won?.winner, 'pushed');
    assert.equal(won?.head?.id, newer.id);
    const marks = (await alice.conflicts()).body.conflicts as Array<{ revisionId: string }>;
    assert.ok(marks.some((c) => c.revisionId === won?.loserRevisionId));
    assert.notEqual(won?.loserRevisionId, newer.id);

    // Closing the conflicts: keep the winner of one, bring back the losing side of the other.
    const kept = await alice.resolve(older.id, false);
    assert.equal(kept.status, 200);
    assert.equal(kept.body.head, null);
    const back = await alice.resolve(won?.loserRevisionId ?? '', true);
    assert.equal(back.status, 200);
    assert.equal((back.body.head as { restoredFrom: string }).restoredFrom, won?.loserRevisionId);
    const open = (await alice.conflicts()).body.conflicts as Array<{ itemName: string }>;
    assert.ok(!open.some((c) => c.itemName === 'alan.vcf'));
    assert.equal((await alice.resolve(older.id, true)).status, 404);
  });

  test('a time in the future counts as the time of the push when a conflict is decided', async () => {
    const hour = 3600_000;
    const base = newRevision({ item: 'clock.vcf', text: vcard('clock', 'FN:Base') });
    const ahead = newRevision({ item: 'clock.vcf', baseRevisionId: base.id, text: vcard('clock', 'FN:Ahead'), createdAt: new Date(Date.now() + hour).toISOString() });
    await alice.push([base, ahead]);
    const further = newRevision({ item: 'clock.vcf', baseRevisionId: base.id, text: vcard('clock', 'FN:Further'), createdAt: new Date(Date.now() + 2 * hour).toISOString() });
    const [result] = await alice.push([further]);
    assert.equal(result?.result, 'conflict');
    assert.equal(result?.winner, 'server', 'two hours ahead is not later than a head stamped one hour ahead');
    assert.equal(result?.head?.restoredFrom, ahead.id);
  });

  test('an invalid vCard is refused with a reason, and nothing is stored', async () => {
    const before = (await server.store.identity()).sequence;
    const [result] = await alice.push([newRevision({ item: 'bad.vcf', text: 'BEGIN:VCARD\r\nFN:No version\r\nEND:VCARD\r\n' })]);
    assert.equal(result?.result, 'refused');
    assert.equal(result?.reason, 'invalid-content');
    assert.match(result?.message ?? '', /VERSION/i);
    assert.equal((await server.store.identity()).sequence, before);
  });

  test('later revisions of an item whose earlier revision was refused are refused too', async () => {
    const bad = newRevision({ item: 'chain.vcf', text: 'not a vcard' });
    const next = newRevision({ item: 'chain.vcf', baseRevisionId: bad.id, text: vcard('chain', 'FN:Chain') });
    const other = newRevision({ item: 'other.vcf', text: vcard('other', 'FN:Other') });
    const results = await alice.push([bad, next, other]);
    assert.deepEqual(results.map((r) => r.reason ?? r.result), ['invalid-content', 'earlier-refused', 'applied']);
  });

  test('a deletion made from a stale revision does not delete the newer edit', async () => {
    const first = newRevision({ item: 'keep.vcf', text: vcard('keep', 'FN:Keep Me') });
    const edit = newRevision({ item: 'keep.vcf', baseRevisionId: first.id, text: vcard('keep', 'FN:Keep Me Please') });
    await alice.push([first, edit]);
    const staleDelete = newRevision({ item: 'keep.vcf', baseRevisionId: first.id, deleted: true });
    const [result] = await alice.push([staleDelete]);
    assert.equal(result?.result, 'refused');
    assert.equal(result?.reason, 'stale-delete');
    const now = await fetch(`${server.url}/api/v1/collections/contacts/items/keep.vcf`, { headers: { authorization: server.bearer.alice } });
    assert.equal(now.status, 200);
    // A deletion of the head itself goes through, and is a tombstone in the history.
    const [deleted] = await alice.push([newRevision({ item: 'keep.vcf', baseRevisionId: edit.id, deleted: true })]);
    assert.equal(deleted?.result, 'applied');
    assert.equal(deleted?.head?.deleted, true);
  });

  test('an item made again on a stale delete in the same push is kept: only the delete is refused', async () => {
    // Found by the simulation (seed 5): a device deleted a contact it had not seen edited
    // elsewhere, then made it again; the re-creation was refused as "earlier-refused" and
    // never reached the server.
    const first = newRevision({ item: 'again.vcf', text: vcard('again', 'FN:Again') });
    const edit = newRevision({ item: 'again.vcf', baseRevisionId: first.id, text: vcard('again', 'FN:Again, edited') });
    await alice.push([first, edit]);
    const staleDelete = newRevision({ item: 'again.vcf', baseRevisionId: first.id, deleted: true });
    const remade = newRevision({ item: 'again.vcf', baseRevisionId: staleDelete.id, text: vcard('again', 'FN:Made again') });
    const results = await alice.push([staleDelete, remade]);
    assert.deepEqual(results.map((r) => r.reason ?? r.result), ['stale-delete', 'conflict']);
    assert.deepEqual((await alice.missing([remade.id, staleDelete.id])).body.missing, [staleDelete.id], 'the item made again is stored, the delete is not');
  });

  test('an edit of an item deleted elsewhere brings it back: the delete is kept as the conflict', async () => {
    const first = newRevision({ item: 'revive.vcf', text: vcard('revive', 'FN:Revive') });
    const tombstone = newRevision({ item: 'revive.vcf', baseRevisionId: first.id, deleted: true });
    await alice.push([first, tombstone]);
    const edit = newRevision({ item: 'revive.vcf', baseRevisionId: first.id, text: vcard('revive', 'FN:Revived') });
    const [result] = await alice.push([edit]);
    assert.equal(result?.result, 'conflict');
    assert.equal(result?.winner, 'pushed');
    assert.equal(result?.loserRevisionId, tombstone.id);
    assert.equal(result?.head?.deleted, false);
  });

  test('pull pages through the changes and can be limited to chosen collections', async () => {
    const notes = await fetch(`${server.url}/api/v1/collections/notes`, {
      method: 'PUT',
      headers: { authorization: server.bearer.alice, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'notes' }),
    });
    assert.equal(notes.status, 201);
    const { cursor } = await alice.pullAll();
    const pushed = [];
    for (let i = 0; i < 5; i += 1) {
      pushed.push(newRevision({ item: `note-${i}.json`, collection: { path: 'notes', kind: 'notes' }, content: b64(JSON.stringify({ title: `n${i}` })), contentType: 'application/json' }));
      pushed.push(newRevision({ item: `page-${i}.vcf`, text: vcard(`page-${i}`, `FN:Page ${i}`) }));
    }
    await alice.push(pushed);
    const first = await alice.pull(cursor, { limit: 3 });
    assert.equal((first.body.changes as ChangeJson[]).length, 3);
    assert.equal(first.body.more, true);
    const all = await alice.pullAll(cursor, { limit: 3 });
    assert.deepEqual(all.changes.map((c) => (c.type === 'revision' ? c.revision.id : '')), pushed.map((p) => p.id));
    const seqs = all.changes.map((c) => c.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));

    const handshake = await alice.handshake();
    const notesId = (handshake.body.collections as Array<{ id: number; path: string }>).find((c) => c.path === 'notes')?.id;
    assert.ok(notesId);
    const onlyNotes = await alice.pullAll(cursor, { collections: [notesId] });
    assert.deepEqual(onlyNotes.changes.map((c) => (c.type === 'revision' ? c.revision.itemName : '')), [0, 1, 2, 3, 4].map((i) => `note-${i}.json`));
    // Caught up: the next pull is empty.
    const empty = await alice.pull(all.cursor);
    assert.deepEqual(empty.body.changes, []);
    assert.equal(empty.body.more, false);
  });

  test('a cursor the server cannot read is a 400; a cursor ahead of the server is server-forgot', async () => {
    const garbage = await alice.pull('not-a-cursor');
    assert.equal(garbage.status, 400);
    const { cursor } = await alice.pullAll();
    const decoded = JSON.parse(Buffer.from(cursor.slice(3), 'base64url').toString()) as [string, number, number];
    const ahead = `c1.${Buffer.from(JSON.stringify([decoded[0], decoded[1], decoded[2] + 1000])).toString('base64url')}`;
    const forgot = await alice.pull(ahead);
    assert.equal(forgot.status, 409);
    assert.equal(forgot.body.error, 'server-forgot');
    assert.equal(forgot.body.reason, 'ahead');
    assert.equal(forgot.body.sequence, (await server.store.identity()).sequence);
    const restored = `c1.${Buffer.from(JSON.stringify([decoded[0], decoded[1] + 1, decoded[2]])).toString('base64url')}`;
    const otherGeneration = await alice.pull(restored);
    assert.equal(otherGeneration.status, 409);
    assert.equal(otherGeneration.body.reason, 'other-generation');
  });

  test('large content is uploaded first, pushed by hash, and pulled by reference, byte for byte', async () => {
    const big = Buffer.alloc(300 * 1024);
    for (let i = 0; i < big.length; i += 1) big[i] = (i * 31) % 251;
    const hash = sha256(big);
    const wrong = await alice.uploadBlob(big, sha256('something else'));
    assert.equal(wrong.status, 400);
    const missing = await alice.push([newRevision({ item: 'big.bin', collection: { path: 'files', kind: 'files' }, contentHash: hash, contentType: 'application/octet-stream' })]);
    assert.equal(missing[0]?.reason, 'content-missing');
    assert.equal((await alice.uploadBlob(big)).status, 201);
    // Bob cannot reference what Alice uploaded: walls between users.
    const bobs = await bob.push([newRevision({ item: 'big.bin', collection: { path: 'files', kind: 'files' }, contentHash: hash, contentType: 'application/octet-stream' })]);
    assert.equal(bobs[0]?.reason, 'content-missing');

    const { cursor } = await alice.pullAll();
    const rev = newRevision({ item: 'big.bin', collection: { path: 'files', kind: 'files' }, contentHash: hash, contentType: 'application/octet-stream' });
    assert.equal((await alice.push([rev]))[0]?.result, 'applied');
    const { changes } = await alice.pullAll(cursor);
    const change = changes.find((c) => c.type === 'revision' && c.revision.id === rev.id);
    assert.ok(change?.type === 'revision' && change.content && 'href' in change.content);
    assert.ok((await alice.content(change.content.href)).equals(big));
  });

  test('a page stops carrying content inline after 4 MiB and refers to the rest', async () => {
    const { cursor } = await alice.pullAll();
    const size = 60 * 1024;
    const batch = Array.from({ length: 80 }, (_, i) =>
      newRevision({ item: `chunk-${i}.bin`, collection: { path: 'files', kind: 'files' }, content: Buffer.alloc(size, i).toString('base64'), contentType: 'application/octet-stream' }),
    );
    assert.ok((await alice.push(batch)).every((r) => r.result === 'applied'));
    const page = await alice.pull(cursor, { limit: 100 });
    const revisions = (page.body.changes as ChangeJson[]).filter((c) => c.type === 'revision');
    assert.equal(revisions.length, 80);
    const inline = revisions.filter((c) => c.type === 'revision' && c.content !== null && 'base64' in c.content);
    assert.equal(inline.length, Math.floor((4 * 1024 * 1024) / size));
    const last = revisions[79];
    assert.ok(last?.type === 'revision' && last.content && 'href' in last.content);
    assert.ok((await alice.content(last.content.href)).equals(Buffer.alloc(size, 79)));
  });

  test('missing answers only for this user: another user\'s revision counts as missing, and its id cannot be taken over', async () => {
    const mine = newRevision({ item: 'mine.vcf', text: vcard('mine', 'FN:Mine') });
    await alice.push([mine]);
    const unknown = 'never-made-0001';
    const answer = await alice.missing([mine.id, unknown]);
    assert.deepEqual(answer.body.missing, [unknown]);
    assert.deepEqual((await bob.missing([mine.id])).body.missing, [mine.id]);
    const takeover = await bob.push([{ ...mine, item: 'stolen.vcf' }]);
    assert.equal(takeover[0]?.result, 'refused');
    assert.equal(takeover[0]?.reason, 'revision-id-taken');
    assert.deepEqual((await bob.pullAll()).changes.filter((c) => c.type === 'revision'), []);
  });

  test('a push that would take the user past their quota is refused over-quota and stores nothing', async () => {
    const bobId = (await server.store.accounts.getUserByName('bob'))?.id ?? 0;
    const used = (await server.store.forUser(bobId).usage()).usedBytes;
    assert.ok(await server.store.accounts.setQuota(bobId, used + 100));
    try {
      const before = (await server.store.identity()).sequence;
      const big = newRevision({ item: 'big.txt', collection: { path: 'files', kind: 'files' }, content: b64('x'.repeat(200)), contentType: 'text/plain' });
      const [result] = await bob.push([big]);
      assert.equal(result?.result, 'refused');
      assert.equal(result?.reason, 'over-quota');
      assert.match(result?.message ?? '', /quota/);
      assert.equal((await server.store.identity()).sequence, before);
      const small = newRevision({ item: 'small.txt', collection: { path: 'files', kind: 'files' }, content: b64('x'.repeat(50)), contentType: 'text/plain' });
      assert.equal((await bob.push([small]))[0]?.result, 'applied');
    } finally {
      await server.store.accounts.setQuota(bobId, null);
    }
  });

  test('a push with a malformed body is a 400 that names the field, and applies nothing', async () => {
    const before = (await server.store.identity()).sequence;
    const response = await fetch(`${server.url}/api/v1/sync/push`, {
      method: 'POST',
      headers: { authorization: server.bearer.alice, 'content-type': 'application/json' },
      body: JSON.stringify({ revisions: [{ ...newRevision({ item: 'x.vcf', text: vcard('x', 'FN:X') }), colour: 'red' }] }),
    });
    assert.equal(response.status, 400);
    const body = await response.json();
    checkAnswer('POST', '/api/v1/sync/push', 400, body);
    assert.match((body as { message: string }).message, /colour/);
    assert.equal((await server.store.identity()).sequence, before);
  });
});
