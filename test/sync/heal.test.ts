// A server that comes back empty is healed by a device: everything the device copied out
// goes back, oldest first, and the new server then serves the same revisions, byte for byte.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';
import { newRevision, sha256, syncClient, type ChangeJson, type PushedRevisionJson, type RevisionJson } from './sync-client.ts';

const vcard = (uid: string, ...lines: string[]) => ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, ...lines, 'END:VCARD', ''].join('\r\n');
const event = (uid: string, summary: string) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20240101T000000Z', 'DTSTART:20240105T100000Z', `SUMMARY:${summary}`, 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');

interface Copied {
  revision: RevisionJson;
  kind: string;
  content: Buffer | null;
}

describe('heal: a server that came back empty', () => {
  let old: Harness;
  let fresh: Harness;
  before(async () => {
    old = await startHarness();
    fresh = await startHarness();
  });
  after(async () => {
    await old.close();
    await fresh.close();
  });

  test('a device puts back everything; the new server serves the same revision ids and byte-identical content', async () => {
    const device = syncClient(old.url, old.bearer.alice);
    const photo = Buffer.alloc(200 * 1024, 7);
    photo.write('a photo of the sea', 0);
    const a1 = newRevision({ item: 'ada.vcf', text: vcard('ada', 'FN:Ada', 'TEL:+44 1') });
    const a2 = newRevision({ item: 'ada.vcf', baseRevisionId: a1.id, text: vcard('ada', 'FN:Ada Lovelace', 'TEL:+44 1') });
    const g1 = newRevision({ item: 'gone.vcf', text: vcard('gone', 'FN:Gone') });
    const g2 = newRevision({ item: 'gone.vcf', baseRevisionId: g1.id, deleted: true });
    const e1 = newRevision({ item: 'lunch.ics', collection: { path: 'calendar', kind: 'calendar' }, content: b64(event('lunch', 'Lunch')), contentType: 'text/calendar' });
    const n1 = newRevision({ item: 'n.json', collection: { path: 'notebook', kind: 'notes' }, content: b64('{"title":"hi"}'), contentType: 'application/json' });
    await device.uploadBlob(photo);
    const p1 = newRevision({ item: 'sea.jpg', collection: { path: 'photos/2024', kind: 'files' }, contentHash: sha256(photo), contentType: 'image/jpeg' });
    const results = await device.push([a1, a2, g1, g2, e1, n1, p1]);
    assert.ok(results.every((r) => r.result === 'applied'), JSON.stringify(results));
    // A merge on the old server: its history has a device revision written on a stale base,
    // then the server's merged revision on top. Both must replay as they were.
    const other = newRevision({ item: 'ada.vcf', baseRevisionId: a1.id, text: vcard('ada', 'FN:Ada', 'TEL:+44 1', 'EMAIL:ada@example.org') });
    assert.equal((await device.push([other]))[0]?.result, 'merged');
    // And writes made over the REST API, with server-made ids.
    const rest = await fetch(`${old.url}/api/v1/collections/contacts/items/rest.vcf`, {
      method: 'PUT',
      headers: { authorization: old.bearer.alice, 'content-type': 'text/vcard' },
      body: vcard('rest', 'FN:Made over REST'),
    });
    assert.equal(rest.status, 201);

    // The device copies everything out, as a replica would.
    const kinds = new Map<number, string>();
    const copied: Copied[] = [];
    const pulled = await device.pullAll();
    for (const change of pulled.changes) {
      if (change.type === 'collection') {
        kinds.set(change.collection.id, change.collection.kind);
        continue;
      }
      let content: Buffer | null = null;
      if (change.content && 'base64' in change.content) content = Buffer.from(change.content.base64, 'base64');
      else if (change.content) content = await device.content(change.content.href);
      copied.push({ revision: change.revision, kind: kinds.get(change.revision.collectionId) ?? '', content });
    }
    assert.equal(copied.length, 10);

    // The server is replaced by an empty one at the same address: the old cursor is forgotten.
    const healer = syncClient(fresh.url, fresh.bearer.alice);
    const forgot = await healer.pull(pulled.cursor);
    assert.equal(forgot.status, 409);
    assert.equal(forgot.body.error, 'server-forgot');
    assert.equal(forgot.body.reason, 'other-store');

    const missing = await healer.missing(copied.map((c) => c.revision.id));
    assert.deepEqual(missing.body.missing, copied.map((c) => c.revision.id));
    const batch: PushedRevisionJson[] = [];
    for (const { revision, kind, content } of copied) {
      const large = content !== null && content.length > 64 * 1024;
      if (large) assert.equal((await healer.uploadBlob(content)).status, 201);
      batch.push({
        id: revision.id,
        collection: { path: revision.collectionPath ?? '', kind },
        item: revision.itemName,
        baseRevisionId: revision.parentId,
        deleted: revision.deleted,
        ...(content === null ? {} : large ? { contentHash: sha256(content) } : { content: content.toString('base64') }),
        ...(revision.contentType === null ? {} : { contentType: revision.contentType }),
        author: revision.author,
        createdAt: revision.createdAt,
      });
    }
    const healed = await healer.push(batch);
    assert.deepEqual(healed.map((r) => r.result), batch.map(() => 'applied'), JSON.stringify(healed.filter((r) => r.result !== 'applied')));
    assert.deepEqual((await healer.missing(copied.map((c) => c.revision.id))).body.missing, []);

    // A new device starting from nothing gets the same revisions, byte for byte.
    const again = await healer.pullAll();
    const revisions = again.changes.filter((c): c is Extract<ChangeJson, { type: 'revision' }> => c.type === 'revision');
    assert.deepEqual(revisions.map((c) => c.revision.id), copied.map((c) => c.revision.id));
    for (const [index, change] of revisions.entries()) {
      const expected = copied[index];
      assert.ok(expected);
      const { seq: _seq, collectionId: _id, ...got } = change.revision;
      const { seq: _s, collectionId: _c, ...want } = expected.revision;
      assert.deepEqual(got, want, `revision ${change.revision.id}`);
      let content: Buffer | null = null;
      if (change.content && 'base64' in change.content) content = Buffer.from(change.content.base64, 'base64');
      else if (change.content) content = await healer.content(change.content.href);
      assert.deepEqual(content, expected.content, `content of ${change.revision.id}`);
    }
    const item = await fetch(`${fresh.url}/api/v1/collections/contacts/items/gone.vcf`, { headers: { authorization: fresh.bearer.alice } });
    assert.equal(item.status, 404, 'a deleted item stays deleted after the heal');
    const integrity = await fresh.store.checkIntegrity({ verifyBlobContent: true });
    assert.deepEqual(integrity.problems, [], 'the healed store passes its integrity check (heads, blobs, usage)');
  });
});
