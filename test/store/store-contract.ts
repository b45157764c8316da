// The contract every metadata engine passes, unchanged: SQLite now, PostgreSQL next.
// Call it with a factory that makes a fresh, empty store on real components.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Store, UserStore } from '../../src/store/store.ts';
import type { Content, Revision } from '../../src/store/types.ts';
import { quotaContract } from './quota-contract.ts';

export interface StoreFixture {
  store: Store;
  /** Closes the store and opens it again from what is durable. */
  reopen(): Promise<Store>;
  cleanup(): Promise<void>;
  /** The engine's inline limit, so the suite can make content that must go to blobs. */
  inlineLimitBytes: number;
}

export async function readAll(content: Content): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of content.open()) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function* chunked(data: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

const vcard = (uid: string, name: string) =>
  Buffer.from(`BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${uid}\r\nFN:${name}\r\nEND:VCARD\r\n`);

export function runStoreContract(engine: string, makeFixture: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${engine}`, () => {
    let fixture: StoreFixture;
    let store: Store;
    let userCount = 0;

    before(async () => {
      fixture = await makeFixture();
      store = fixture.store;
    });
    after(async () => {
      await fixture.cleanup();
    });

    /** A new user with a contacts collection "book", so each test starts clean. */
    async function newUser(): Promise<UserStore> {
      userCount += 1;
      const created = await store.accounts.createUser(`user${userCount}`, 'not-a-real-hash');
      assert.equal(created.kind, 'created');
      const user = store.forUser(created.user.id);
      assert.equal((await user.createCollection({ name: 'book', kind: 'contacts' })).kind, 'created');
      return user;
    }

    quotaContract({ store: () => store, inlineLimitBytes: () => fixture.inlineLimitBytes });

    const put = (user: UserStore, name: string, body: Buffer, extra: Partial<Parameters<UserStore['putItem']>[3]> = {}) =>
      user.putItem('book', name, body, { contentType: 'text/vcard', author: 'test', ...extra });

    it('has an identity: a store id, generation 1, and a sequence that every write advances by one', async () => {
      const before = await store.identity();
      assert.match(before.storeId, /^[0-9a-f-]{36}$/);
      assert.equal(before.generation, 1);
      const user = await newUser();
      const afterCollection = await store.identity();
      // The user's four default collections and "book" are five changes.
      assert.equal(afterCollection.sequence, before.sequence + 5, 'creating a collection is a change');
      await put(user, 'a.vcf', vcard('a', 'A'));
      assert.equal((await store.identity()).sequence, afterCollection.sequence + 1);
    });

    it('creates an item, then refuses a second create of the same name with If-None-Match semantics', async () => {
      const user = await newUser();
      const first = await put(user, 'a.vcf', vcard('a', 'Ann'), { precondition: { kind: 'must-not-exist' } });
      assert.equal(first.kind, 'written');
      assert.ok(first.kind === 'written' && first.created);
      const second = await put(user, 'a.vcf', vcard('a', 'Other'), { precondition: { kind: 'must-not-exist' } });
      assert.equal(second.kind, 'precondition-failed');
      assert.equal(second.kind === 'precondition-failed' && second.current?.id, first.kind === 'written' ? first.revision.id : '');
      const item = await user.getItem('book', 'a.vcf');
      const content = await user.readContent(item?.head.id ?? '');
      assert.ok(content);
      assert.deepEqual(await readAll(content), vcard('a', 'Ann'), 'the refused write changed nothing');
    });

    it('updates only with the current revision (If-Match) and reports the current one otherwise', async () => {
      const user = await newUser();
      const v1 = await put(user, 'a.vcf', vcard('a', 'v1'));
      assert.ok(v1.kind === 'written');
      const v2 = await put(user, 'a.vcf', vcard('a', 'v2'), { precondition: { kind: 'match', revisionId: v1.revision.id } });
      assert.ok(v2.kind === 'written');
      assert.equal(v2.created, false);
      assert.equal(v2.revision.parentId, v1.revision.id);
      const stale = await put(user, 'a.vcf', vcard('a', 'v3'), { precondition: { kind: 'match', revisionId: v1.revision.id } });
      assert.ok(stale.kind === 'precondition-failed');
      assert.equal(stale.current?.id, v2.revision.id);
      const missing = await put(user, 'nope.vcf', vcard('n', 'n'), { precondition: { kind: 'match', revisionId: v1.revision.id } });
      assert.ok(missing.kind === 'precondition-failed');
      assert.equal(missing.current, null);
      assert.equal(await user.getItem('book', 'nope.vcf'), null, 'a refused write creates nothing');
    });

    it('records size, hash, type, author and time on every revision, and reads content back', async () => {
      const user = await newUser();
      const body = vcard('r', 'Rita');
      const result = await user.putItem('book', 'r.vcf', body, { contentType: 'text/vcard; charset=utf-8', author: 'dav:Thunderbird' });
      assert.ok(result.kind === 'written');
      const { revision } = result;
      assert.equal(revision.size, body.length);
      assert.equal(revision.contentHash, sha256(body));
      assert.equal(revision.contentType, 'text/vcard; charset=utf-8');
      assert.equal(revision.author, 'dav:Thunderbird');
      assert.equal(revision.storage, 'inline');
      assert.ok(!Number.isNaN(Date.parse(revision.createdAt)));
      assert.deepEqual(await user.getRevision(revision.id), revision);
    });

    it('streams content larger than the inline limit into the blob engine and back, hash intact', async () => {
      const user = await newUser();
      const big = Buffer.alloc(fixture.inlineLimitBytes * 3 + 17);
      for (let i = 0; i < big.length; i += 1) big[i] = (i * 31 + 7) & 0xff;
      const result = await user.putItem('book', 'big.bin', chunked(big, 4096), { contentType: 'application/octet-stream', author: 't' });
      assert.ok(result.kind === 'written');
      assert.equal(result.revision.storage, 'blob');
      assert.equal(result.revision.contentHash, sha256(big));
      const content = await user.readContent(result.revision.id);
      assert.ok(content);
      assert.equal(content.size, big.length);
      assert.ok((await readAll(content)).equals(big));
    });

    it('refuses content over maxBytes with too-large and changes nothing', async () => {
      const user = await newUser();
      const before = await store.identity();
      const tooBig = Buffer.alloc(fixture.inlineLimitBytes * 2 + 10_000);
      const result = await user.putItem('book', 'x.bin', chunked(tooBig, 1000), { contentType: 'x/y', author: 't', maxBytes: 5000 });
      assert.deepEqual(result, { kind: 'too-large', limit: 5000 });
      const small = await user.putItem('book', 'y.bin', Buffer.alloc(6000), { contentType: 'x/y', author: 't', maxBytes: 5000 });
      assert.equal(small.kind, 'too-large');
      assert.equal(await user.getItem('book', 'x.bin'), null);
      assert.equal(await user.getItem('book', 'y.bin'), null);
      assert.equal((await store.identity()).sequence, before.sequence);
    });

    it('answers no-collection for a write into a collection that does not exist', async () => {
      const user = await newUser();
      const result = await user.putItem('nope', 'a', Buffer.from('x'), { contentType: 'text/plain', author: 't' });
      assert.equal(result.kind, 'no-collection');
      assert.equal((await user.deleteItem('nope', 'a', { author: 't' })).kind, 'no-collection');
    });

    it('deletes by writing a tombstone; the item goes to the trash and undelete brings it back', async () => {
      const user = await newUser();
      const body = vcard('d', 'Dora');
      const written = await put(user, 'd.vcf', body);
      assert.ok(written.kind === 'written');
      const deleted = await user.deleteItem('book', 'd.vcf', { author: 'test' });
      assert.ok(deleted.kind === 'deleted');
      assert.equal(deleted.tombstone.deleted, true);
      assert.equal(deleted.tombstone.parentId, written.revision.id);
      assert.equal(deleted.tombstone.contentHash, null);

      assert.equal((await user.getItem('book', 'd.vcf'))?.deleted, true);
      assert.deepEqual((await user.listItems('book'))?.map((i) => i.name), []);
      assert.deepEqual((await user.listItems('book', { includeDeleted: true }))?.map((i) => i.name), ['d.vcf']);
      assert.deepEqual((await user.listTrash()).map((i) => i.name), ['d.vcf']);
      assert.deepEqual((await user.listTrash('book')).map((i) => i.name), ['d.vcf']);
      assert.equal(await user.readContent(deleted.tombstone.id), null, 'a tombstone has no content');
      assert.equal((await user.deleteItem('book', 'd.vcf', { author: 'test' })).kind, 'not-found');

      const restored = await user.undelete('book', 'd.vcf', { author: 'test' });
      assert.ok(restored.kind === 'restored');
      assert.equal(restored.revision.restoredFrom, written.revision.id);
      assert.equal(restored.revision.contentHash, sha256(body));
      assert.deepEqual(await readAll((await user.readContent(restored.revision.id)) as Content), body);
      assert.deepEqual(await user.listTrash(), []);
      assert.equal((await user.undelete('book', 'd.vcf', { author: 'test' })).kind, 'not-deleted');

      const history = await user.history('book', 'd.vcf');
      assert.deepEqual(
        history?.map((r) => [r.deleted, r.restoredFrom]),
        [
          [false, written.revision.id],
          [true, null],
          [false, null],
        ],
        'history lists every revision, newest first',
      );
    });

    it('restores under a precondition that names the current head, even when it is a tombstone', async () => {
      const user = await newUser();
      const v1 = await put(user, 'q.vcf', vcard('q', 'v1'));
      assert.ok(v1.kind === 'written');
      const deleted = await user.deleteItem('book', 'q.vcf', { author: 't' });
      assert.ok(deleted.kind === 'deleted');
      const stale = await user.undelete('book', 'q.vcf', { author: 't', precondition: { kind: 'match', revisionId: v1.revision.id } });
      assert.equal(stale.kind, 'precondition-failed', 'the head moved on to the tombstone');
      assert.equal((await user.getItem('book', 'q.vcf'))?.deleted, true, 'a refused undelete changes nothing');
      const fromTrash = await user.restoreRevision('book', 'q.vcf', v1.revision.id, {
        author: 't',
        precondition: { kind: 'match', revisionId: deleted.tombstone.id },
      });
      assert.equal(fromTrash.kind, 'restored', 'restoring an old revision of a deleted item, guarded by its tombstone');
      const again = await user.deleteItem('book', 'q.vcf', { author: 't' });
      assert.ok(again.kind === 'deleted');
      const guarded = await user.undelete('book', 'q.vcf', { author: 't', precondition: { kind: 'match', revisionId: again.tombstone.id } });
      assert.equal(guarded.kind, 'restored');
    });

    it('recreating a deleted item continues its history instead of losing it', async () => {
      const user = await newUser();
      await put(user, 'e.vcf', vcard('e', 'v1'));
      await user.deleteItem('book', 'e.vcf', { author: 't' });
      const again = await put(user, 'e.vcf', vcard('e', 'v2'), { precondition: { kind: 'must-not-exist' } });
      assert.ok(again.kind === 'written');
      assert.equal(again.created, true);
      assert.equal((await user.history('book', 'e.vcf'))?.length, 3);
    });

    it('restores an old revision as a new one, and refuses tombstones and foreign revisions', async () => {
      const user = await newUser();
      const v1 = await put(user, 'f.vcf', vcard('f', 'v1'));
      const v2 = await put(user, 'f.vcf', vcard('f', 'v2'));
      const other = await put(user, 'g.vcf', vcard('g', 'g'));
      assert.ok(v1.kind === 'written' && v2.kind === 'written' && other.kind === 'written');
      const restored = await user.restoreRevision('book', 'f.vcf', v1.revision.id, { author: 't' });
      assert.ok(restored.kind === 'restored');
      assert.equal(restored.revision.parentId, v2.revision.id);
      assert.equal(restored.revision.contentHash, v1.revision.contentHash);
      assert.equal(restored.revision.restoredFrom, v1.revision.id);
      assert.equal((await user.getItem('book', 'f.vcf'))?.head.id, restored.revision.id);
      assert.equal((await user.restoreRevision('book', 'f.vcf', other.revision.id, { author: 't' })).kind, 'not-found');
      const stale = await user.restoreRevision('book', 'f.vcf', v1.revision.id, {
        author: 't',
        precondition: { kind: 'match', revisionId: v2.revision.id },
      });
      assert.equal(stale.kind, 'precondition-failed');
      const deleted = await user.deleteItem('book', 'g.vcf', { author: 't' });
      assert.ok(deleted.kind === 'deleted');
      assert.equal((await user.restoreRevision('book', 'g.vcf', deleted.tombstone.id, { author: 't' })).kind, 'is-tombstone');
    });

    it('treats a re-sent client revision id as the same write, and refuses the id for other content', async () => {
      const user = await newUser();
      const id = 'device1:0001';
      const first = await put(user, 'h.vcf', vcard('h', 'h'), { revisionId: id });
      assert.ok(first.kind === 'written');
      assert.equal(first.revision.id, id);
      const again = await put(user, 'h.vcf', vcard('h', 'h'), { revisionId: id });
      assert.equal(again.kind, 'unchanged');
      assert.equal((await user.history('book', 'h.vcf'))?.length, 1);
      assert.equal((await put(user, 'h.vcf', vcard('h', 'different'), { revisionId: id })).kind, 'revision-id-taken');
      const stranger = await newUser();
      assert.equal((await put(stranger, 'h.vcf', vcard('h', 'h'), { revisionId: id })).kind, 'revision-id-taken');
    });

    it('keeps collections: create is idempotent, props merge, delete goes to the trash, restore brings it back', async () => {
      const user = await newUser();
      const created = await user.createCollection({ name: 'cal', kind: 'calendar', props: { displayName: 'Home', color: '#ff0000' } });
      assert.ok(created.kind === 'created');
      assert.equal((await user.createCollection({ name: 'cal', kind: 'calendar' })).kind, 'exists');
      const updated = await user.updateCollection('cal', { description: 'family', extra: { 'x:order': '3' } });
      assert.ok(updated.kind === 'changed');
      assert.deepEqual(updated.collection.props, { displayName: 'Home', color: '#ff0000', description: 'family', extra: { 'x:order': '3' } });
      assert.ok(updated.collection.seq > created.collection.seq);

      const removed = await user.updateCollection('cal', { description: null, extra: { 'x:order': null } });
      assert.ok(removed.kind === 'changed');
      assert.deepEqual(removed.collection.props, { displayName: 'Home', color: '#ff0000' }, 'null removes a property');

      await user.putItem('cal', 'e1.ics', Buffer.from('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n'), { contentType: 'text/calendar', author: 't' });
      assert.equal((await user.deleteCollection('cal')).kind, 'changed');
      assert.equal(await user.getCollection('cal'), null);
      assert.deepEqual((await user.listCollections()).map((c) => c.name), ['book', 'calendar', 'contacts', 'files', 'tasks']);
      const all = await user.listCollections({ includeDeleted: true });
      const trashed = all.find((c) => c.name === 'cal');
      assert.ok(trashed?.deletedAt);

      assert.equal((await user.createCollection({ name: 'cal', kind: 'calendar' })).kind, 'created', 'the name is free again');
      assert.equal((await user.restoreCollection(trashed.id)).kind, 'name-taken');
      const restored = await user.restoreCollection(trashed.id, 'cal-restored');
      assert.ok(restored.kind === 'changed');
      assert.deepEqual((await user.listItems('cal-restored'))?.map((i) => i.name), ['e1.ics'], 'items survive the round trip');
      assert.equal((await user.updateCollection('missing', { displayName: 'x' })).kind, 'not-found');
    });

    it("takes a device's collection properties: creates the path, refuses another kind, and fills only what is missing when asked", async () => {
      const user = await newUser();
      const made = await user.importCollectionProps({ path: 'cals/home', kind: 'calendar', props: { displayName: 'Home', color: '#00ff00' }, onlyMissing: false });
      assert.ok(made.kind === 'changed');
      assert.equal(made.collection.path, 'cals/home');
      assert.deepEqual(made.collection.props, { displayName: 'Home', color: '#00ff00' });
      assert.equal((await user.getCollection('cals'))?.kind, 'calendar', 'a missing parent is made too');

      const again = await user.importCollectionProps({ path: 'cals/home', kind: 'calendar', props: { displayName: 'Home' }, onlyMissing: false });
      assert.equal(again.kind, 'unchanged', 'a patch that changes nothing records no change');

      const filled = await user.importCollectionProps({
        path: 'cals/home',
        kind: 'calendar',
        props: { displayName: 'Old name', description: 'family', extra: { 'x:a': '1' } },
        onlyMissing: true,
      });
      assert.ok(filled.kind === 'changed');
      assert.deepEqual(filled.collection.props, { displayName: 'Home', color: '#00ff00', description: 'family', extra: { 'x:a': '1' } }, 'what the server has stays');
      assert.ok(filled.collection.seq > made.collection.seq);
      const nothingMissing = await user.importCollectionProps({ path: 'cals/home', kind: 'calendar', props: { color: null, displayName: 'x' }, onlyMissing: true });
      assert.equal(nothingMissing.kind, 'unchanged', 'filling in never removes or overwrites');

      const removed = await user.importCollectionProps({ path: 'cals/home', kind: 'calendar', props: { color: null }, onlyMissing: false });
      assert.ok(removed.kind === 'changed');
      assert.equal(removed.collection.props.color, undefined);

      const byDefault = await user.importCollectionProps({ path: 'calendar', kind: 'calendar', props: { displayName: 'Family', color: '#123456' }, onlyMissing: true });
      assert.ok(byDefault.kind === 'changed');
      assert.deepEqual(byDefault.collection.props, { displayName: 'Family', color: '#123456' }, "a name the server gave a new user's calendar by default is not kept over a person's");

      const before = (await store.identity()).sequence;
      const empty = await user.importCollectionProps({ path: 'errands', kind: 'tasks', props: {}, onlyMissing: true });
      assert.ok(empty.kind === 'changed', 'an absent collection is made even when nothing is set on it');
      assert.equal((await store.identity()).sequence, before + 1, 'made in one change');

      const wrongKind = await user.importCollectionProps({ path: 'cals/home', kind: 'contacts', props: { displayName: 'x' }, onlyMissing: false });
      assert.equal(wrongKind.kind, 'collection-kind-mismatch');
      assert.equal((await user.getCollection('cals/home'))?.props.displayName, 'Home', 'a refused change changes nothing');
    });

    it('serves the change log in order, filtered by user and collection, with collection changes', async () => {
      const user = await newUser();
      const start = (await store.identity()).sequence;
      await user.createCollection({ name: 'notes', kind: 'notes' });
      const a = await put(user, 'a.vcf', vcard('a', 'a'));
      const n = await user.putItem('notes', 'n1', Buffer.from('{"t":1}'), { contentType: 'application/json', author: 't' });
      await user.deleteItem('book', 'a.vcf', { author: 't' });
      assert.ok(a.kind === 'written' && n.kind === 'written');

      const changes = await user.changesSince({ after: start });
      assert.deepEqual(
        changes.map((c) => (c.kind === 'revision' ? `${c.revision.itemName}:${c.revision.deleted ? 'del' : 'put'}` : `collection:${c.collection.name}`)),
        ['collection:notes', 'a.vcf:put', 'n1:put', 'a.vcf:del'],
      );
      const seqs = changes.map((c) => c.seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
      assert.equal(new Set(seqs).size, seqs.length);

      const bookId = (await user.getCollection('book'))?.id ?? -1;
      const onlyBook = await user.changesSince({ after: start, collectionIds: [bookId] });
      assert.deepEqual(onlyBook.map((c) => c.kind === 'revision' && c.revision.itemName), ['a.vcf', 'a.vcf']);
      assert.equal((await user.changesSince({ after: start, limit: 2 })).length, 2);
      assert.deepEqual(await user.changesSince({ after: start, collectionIds: [] }), []);
      const storeWide = await store.changesSince({ after: start });
      assert.deepEqual(storeWide.map((c) => c.seq), seqs);
    });

    it('walls users off from each other at the store boundary', async () => {
      const alice = await newUser();
      const bob = await newUser();
      const secret = await put(alice, 'secret.vcf', vcard('s', 'Secret'));
      assert.ok(secret.kind === 'written');
      await alice.deleteItem('book', 'secret.vcf', { author: 't' });
      await alice.createCollection({ name: 'private', kind: 'notes' });

      assert.equal(await bob.getCollection('private'), null);
      assert.equal(await bob.getRevision(secret.revision.id), null);
      assert.equal(await bob.readContent(secret.revision.id), null);
      assert.deepEqual(await bob.listTrash(), []);
      assert.equal(await bob.getItem('book', 'secret.vcf'), null, "bob's own 'book' does not hold alice's item");
      assert.equal((await bob.putItem('private', 'x', Buffer.from('x'), { contentType: 'text/plain', author: 't' })).kind, 'no-collection');
      const aliceCollectionIds = (await alice.listCollections()).map((c) => c.id);
      assert.deepEqual(await bob.changesSince({ after: 0, collectionIds: aliceCollectionIds }), []);
      assert.ok((await bob.changesSince({ after: 0 })).every((c) => c.userId === bob.userId));
      const privateId = (await alice.getCollection('private'))?.id ?? -1;
      assert.equal((await bob.restoreCollection(privateId)).kind, 'not-found');
    });

    it('tells a user which content hashes they hold (live, history, trash) and never answers for another user', async () => {
      const anna = await newUser();
      const ben = await newUser();
      const small = vcard('held', 'Held');
      const large = Buffer.alloc(fixture.inlineLimitBytes + 1024, 7);
      const replaced = vcard('held', 'Held, before the edit');
      const absent = sha256(Buffer.from('nobody has this'));
      assert.equal((await put(anna, 'edited.vcf', replaced)).kind, 'written');
      assert.equal((await put(anna, 'edited.vcf', small)).kind, 'written');
      assert.equal((await put(anna, 'large.bin', large, { contentType: 'application/octet-stream' })).kind, 'written');
      assert.equal((await anna.deleteItem('book', 'large.bin', { author: 'test' })).kind, 'deleted');

      const asked = [sha256(small), sha256(large), sha256(replaced), absent, sha256(small)];
      assert.deepEqual(await anna.hasContent(asked), new Set([sha256(small), sha256(large), sha256(replaced)]));
      assert.deepEqual(await ben.hasContent(asked), new Set());
      assert.deepEqual(await anna.hasContent([]), new Set());

      assert.equal((await put(ben, 'same.bin', large, { contentType: 'application/octet-stream' })).kind, 'written');
      assert.deepEqual(await ben.hasContent(asked), new Set([sha256(large)]));
    });

    it('gives every one of many concurrent writes its own sequence number, and one winner per create race', async () => {
      const user = await newUser();
      const start = (await store.identity()).sequence;
      const writes = await Promise.all(
        Array.from({ length: 200 }, (_, i) => put(user, `c${i}.vcf`, vcard(`c${i}`, `Person ${i}`))),
      );
      assert.ok(writes.every((w) => w.kind === 'written'));
      const seqs = new Set(writes.map((w) => (w as { revision: Revision }).revision.seq));
      assert.equal(seqs.size, 200);
      assert.equal((await store.identity()).sequence, start + 200);

      const race = await Promise.all(
        Array.from({ length: 50 }, (_, i) => put(user, 'race.vcf', vcard('race', `r${i}`), { precondition: { kind: 'must-not-exist' } })),
      );
      assert.equal(race.filter((r) => r.kind === 'written').length, 1);
      assert.equal(race.filter((r) => r.kind === 'precondition-failed').length, 49);
    });

    it('nests collections: a child is created inside a live parent and addressed by its path', async () => {
      const user = await newUser();
      assert.equal((await user.createCollection({ name: 'photos', kind: 'files' })).kind, 'created');
      const child = await user.createCollection({ name: '2024', kind: 'files', parent: 'photos' });
      assert.ok(child.kind === 'created');
      assert.equal(child.collection.path, 'photos/2024');
      assert.equal(child.collection.parentId, (await user.getCollection('photos'))?.id);
      assert.equal((await user.createCollection({ name: 'x', kind: 'files', parent: 'nope' })).kind, 'no-parent');
      assert.equal((await user.putItem('photos/2024', 'a.jpg', Buffer.from('jpeg'), { contentType: 'image/jpeg', author: 't' })).kind, 'written');
      assert.deepEqual((await user.listCollections({ parent: 'photos' })).map((c) => c.path), ['photos/2024']);
      assert.deepEqual((await user.listCollections({ parent: null })).map((c) => c.path), ['book', 'calendar', 'contacts', 'files', 'photos', 'tasks']);
      assert.deepEqual(await user.listCollections({ parent: 'missing' }), []);
      assert.deepEqual((await user.listItems('photos/2024'))?.map((i) => i.name), ['a.jpg']);
    });

    it('deleting a collection takes its subtree to the trash, and restoring it brings all of it back', async () => {
      const user = await newUser();
      await user.createCollection({ name: 'a', kind: 'files' });
      await user.createCollection({ name: 'b', kind: 'files', parent: 'a' });
      await user.putItem('a/b', 'f', Buffer.from('kept'), { contentType: 'text/plain', author: 't' });
      const deleted = await user.deleteCollection('a');
      assert.ok(deleted.kind === 'changed');
      assert.equal(await user.getCollection('a/b'), null, 'the subtree went with it');
      assert.equal(await user.getItem('a/b', 'f'), null);
      const restored = await user.restoreCollection(deleted.collection.id, 'a2');
      assert.ok(restored.kind === 'changed');
      assert.equal((await user.getCollection('a2/b'))?.path, 'a2/b');
      const item = await user.getItem('a2/b', 'f');
      assert.ok(item && !item.deleted);
      assert.deepEqual(await readAll((await user.readContent(item.head.id)) as Content), Buffer.from('kept'));
    });

    it('moves a collection with its subtree atomically, and refuses a move into itself', async () => {
      const user = await newUser();
      await user.createCollection({ name: 'src', kind: 'files' });
      await user.createCollection({ name: 'inner', kind: 'files', parent: 'src' });
      await user.putItem('src/inner', 'f', Buffer.from('x'), { contentType: 'text/plain', author: 't' });
      await user.createCollection({ name: 'dest', kind: 'files' });
      assert.equal((await user.moveCollection('src', { parent: 'src/inner', name: 'loop' }, { overwrite: false })).kind, 'into-itself');
      assert.equal((await user.moveCollection('src/inner', { parent: null, name: 'src' }, { overwrite: true })).kind, 'into-itself');
      assert.equal((await user.moveCollection('src', { parent: null, name: 'dest' }, { overwrite: false })).kind, 'name-taken');
      assert.equal((await user.moveCollection('src', { parent: 'missing', name: 'x' }, { overwrite: false })).kind, 'no-parent');
      assert.equal((await user.moveCollection('missing', { parent: null, name: 'x' }, { overwrite: false })).kind, 'not-found');

      const moved = await user.moveCollection('src', { parent: 'dest', name: 'moved' }, { overwrite: false });
      assert.ok(moved.kind === 'moved');
      assert.equal(moved.collection.path, 'dest/moved');
      assert.equal(await user.getCollection('src'), null);
      assert.equal((await user.getCollection('dest/moved/inner'))?.path, 'dest/moved/inner', 'descendants follow');
      assert.equal((await user.getItem('dest/moved/inner', 'f'))?.deleted, false);

      await user.createCollection({ name: 'other', kind: 'files' });
      const over = await user.moveCollection('other', { parent: 'dest', name: 'moved' }, { overwrite: true });
      assert.ok(over.kind === 'moved');
      assert.equal(await user.getCollection('dest/moved/inner'), null, 'the overwritten collection went to the trash');
      const trashed = (await user.listCollections({ includeDeleted: true })).filter((c) => c.deletedAt !== null).map((c) => c.name);
      assert.deepEqual(trashed.sort(), ['inner', 'moved']);
    });

    it('copies a collection: depth infinity copies its subtree and items, depth 0 only itself', async () => {
      const user = await newUser();
      await user.createCollection({ name: 'orig', kind: 'files', props: { displayName: 'Original' } });
      await user.createCollection({ name: 'sub', kind: 'files', parent: 'orig' });
      const written = await user.putItem('orig/sub', 'f', Buffer.from('shared'), { contentType: 'text/plain', author: 't' });
      await user.putItem('orig', 'g', Buffer.from('top'), { contentType: 'text/plain', author: 't' });
      assert.ok(written.kind === 'written');

      const deep = await user.copyCollection('orig', { parent: null, name: 'copy' }, { overwrite: false, depth: 'infinity', author: 't' });
      assert.ok(deep.kind === 'copied');
      assert.equal(deep.items, 2);
      assert.equal(deep.collection.props.displayName, 'Original');
      const copied = await user.getItem('copy/sub', 'f');
      assert.equal(copied?.head.contentHash, written.revision.contentHash);
      assert.notEqual(copied?.head.id, written.revision.id, 'a copy is a new item with its own revision');
      assert.equal((await user.getItem('orig/sub', 'f'))?.head.id, written.revision.id, 'the original is untouched');

      const shallow = await user.copyCollection('orig', { parent: null, name: 'shallow' }, { overwrite: false, depth: 0, author: 't' });
      assert.ok(shallow.kind === 'copied');
      assert.deepEqual(await user.listItems('shallow'), []);
      assert.deepEqual(await user.listCollections({ parent: 'shallow' }), []);
      assert.equal((await user.copyCollection('orig', { parent: 'orig/sub', name: 'x' }, { overwrite: false, depth: 'infinity', author: 't' })).kind, 'into-itself');
      assert.equal((await user.copyCollection('orig', { parent: null, name: 'copy' }, { overwrite: false, depth: 0, author: 't' })).kind, 'name-taken');
    });

    it('moves an item in one step: the destination gets the content, the source a tombstone', async () => {
      const user = await newUser();
      await user.createCollection({ name: 'other', kind: 'contacts' });
      const body = vcard('m', 'Mover');
      const written = await put(user, 'm.vcf', body);
      assert.ok(written.kind === 'written');
      const moved = await user.moveItem({ collection: 'book', name: 'm.vcf' }, { collection: 'other', name: 'moved.vcf' }, { author: 't', overwrite: false });
      assert.ok(moved.kind === 'moved');
      assert.equal(moved.created, true);
      assert.equal(moved.revision.contentHash, sha256(body));
      assert.equal(moved.tombstone?.parentId, written.revision.id);
      assert.equal((await user.getItem('book', 'm.vcf'))?.deleted, true, 'the source is in the trash, with its history');
      assert.deepEqual(await readAll((await user.readContent(moved.revision.id)) as Content), body);
      assert.equal((await user.moveItem({ collection: 'book', name: 'm.vcf' }, { collection: 'other', name: 'x' }, { author: 't', overwrite: false })).kind, 'not-found');
      assert.equal((await user.moveItem({ collection: 'other', name: 'moved.vcf' }, { collection: 'other', name: 'moved.vcf' }, { author: 't', overwrite: true })).kind, 'same-item');
      assert.equal((await user.moveItem({ collection: 'other', name: 'moved.vcf' }, { collection: 'nope', name: 'x' }, { author: 't', overwrite: true })).kind, 'no-collection');
    });

    it('copies an item, refuses to overwrite unless asked, and checks the source precondition', async () => {
      const user = await newUser();
      const a = await put(user, 'a.vcf', vcard('a', 'A'));
      const b = await put(user, 'b.vcf', vcard('b', 'B'));
      assert.ok(a.kind === 'written' && b.kind === 'written');
      const refused = await user.copyItem({ collection: 'book', name: 'a.vcf' }, { collection: 'book', name: 'b.vcf' }, { author: 't', overwrite: false });
      assert.ok(refused.kind === 'destination-exists');
      assert.equal(refused.current.id, b.revision.id);
      const stale = await user.copyItem({ collection: 'book', name: 'a.vcf' }, { collection: 'book', name: 'c.vcf' }, {
        author: 't',
        overwrite: false,
        precondition: { kind: 'match', revisionId: b.revision.id },
      });
      assert.equal(stale.kind, 'precondition-failed');
      const copied = await user.copyItem({ collection: 'book', name: 'a.vcf' }, { collection: 'book', name: 'b.vcf' }, { author: 't', overwrite: true });
      assert.ok(copied.kind === 'copied');
      assert.equal(copied.created, false);
      assert.equal(copied.revision.parentId, b.revision.id, "the overwritten item keeps its history");
      assert.equal(copied.tombstone, null);
      assert.equal((await user.getItem('book', 'a.vcf'))?.head.id, a.revision.id, 'the source is untouched');
    });

    it('carries dead properties with an item that is moved or copied, and with a copied collection', async () => {
      const user = await newUser();
      await user.createCollection({ name: 'props-src', kind: 'files' });
      await user.putItem('props-src', 'f', Buffer.from('x'), { contentType: 'text/plain', author: 't' });
      await user.setItemProps('props-src', 'f', { '{urn:x}tag': 'kept' });
      await user.putItem('props-src', 'target', Buffer.from('y'), { contentType: 'text/plain', author: 't' });
      await user.setItemProps('props-src', 'target', { '{urn:x}old': 'replaced' });

      const copied = await user.copyItem({ collection: 'props-src', name: 'f' }, { collection: 'props-src', name: 'target' }, { author: 't', overwrite: true });
      assert.equal(copied.kind, 'copied');
      assert.deepEqual((await user.getItem('props-src', 'target'))?.props, { '{urn:x}tag': 'kept' }, "the destination's become the source's");
      const moved = await user.moveItem({ collection: 'props-src', name: 'f' }, { collection: 'props-src', name: 'g' }, { author: 't', overwrite: false });
      assert.equal(moved.kind, 'moved');
      assert.deepEqual((await user.getItem('props-src', 'g'))?.props, { '{urn:x}tag': 'kept' });
      const tree = await user.copyCollection('props-src', { parent: null, name: 'props-copy' }, { overwrite: false, depth: 'infinity', author: 't' });
      assert.equal(tree.kind, 'copied');
      assert.deepEqual((await user.getItem('props-copy', 'g'))?.props, { '{urn:x}tag': 'kept' });
    });

    it('keeps a unique key (a UID) unique among the live items of a collection', async () => {
      const user = await newUser();
      await user.createCollection({ name: 'other', kind: 'contacts' });
      const withKey = (name: string, key: string, collection = 'book') =>
        user.putItem(collection, name, vcard(key, name), { contentType: 'text/vcard', author: 't', uniqueKey: key });
      assert.equal((await withKey('one.vcf', 'uid-1')).kind, 'written');
      assert.deepEqual(await withKey('two.vcf', 'uid-1'), { kind: 'key-conflict', existingName: 'one.vcf' });
      assert.equal(await user.getItem('book', 'two.vcf'), null);
      assert.equal((await withKey('one.vcf', 'uid-1')).kind, 'written', 'an item may keep its own key');
      assert.equal((await withKey('same.vcf', 'uid-1', 'other')).kind, 'written', 'keys are per collection');
      assert.equal((await user.moveItem({ collection: 'other', name: 'same.vcf' }, { collection: 'book', name: 'x.vcf' }, { author: 't', overwrite: false })).kind, 'key-conflict');
      await user.deleteItem('book', 'one.vcf', { author: 't' });
      assert.equal((await withKey('two.vcf', 'uid-1')).kind, 'written', 'a deleted item frees its key');
      assert.deepEqual(await user.undelete('book', 'one.vcf', { author: 't' }), { kind: 'key-conflict', existingName: 'two.vcf' });
    });

    it('keeps dead properties of an item without changing its content or revision', async () => {
      const user = await newUser();
      const written = await put(user, 'p.vcf', vcard('p', 'P'));
      assert.ok(written.kind === 'written');
      const set = await user.setItemProps('book', 'p.vcf', { '{urn:x}colour': 'blue', '{urn:x}size': '<x:big xmlns:x="urn:x"/>' });
      assert.ok(set.kind === 'changed');
      assert.deepEqual(set.item.props, { '{urn:x}colour': 'blue', '{urn:x}size': '<x:big xmlns:x="urn:x"/>' });
      await user.setItemProps('book', 'p.vcf', { '{urn:x}colour': null });
      const item = await user.getItem('book', 'p.vcf');
      assert.deepEqual(item?.props, { '{urn:x}size': '<x:big xmlns:x="urn:x"/>' });
      assert.equal(item?.head.id, written.revision.id, 'no new revision: the ETag stays');
      assert.equal((await user.setItemProps('book', 'missing', { a: 'b' })).kind, 'not-found');
    });

    it('starts a new user with an address book, a calendar, a task list and a file folder', async () => {
      const made = await store.accounts.createUser('contract-defaults', 'h');
      assert.ok(made.kind === 'created');
      const collections = await store.forUser(made.user.id).listCollections();
      assert.deepEqual(
        collections.map((c) => [c.path, c.kind, c.props.displayName]),
        [
          ['calendar', 'calendar', 'Calendar'],
          ['contacts', 'contacts', 'Contacts'],
          ['files', 'files', 'Files'],
          ['tasks', 'tasks', 'Tasks'],
        ],
      );
      const changes = await store.forUser(made.user.id).changesSince({ after: 0 });
      assert.equal(changes.filter((c) => c.kind === 'collection').length, 4, 'their creation is in the change log');
    });

    it('keeps users: names are unique, deleted users are hidden until restored', async () => {
      const made = await store.accounts.createUser('contract-zoe', 'hash1');
      assert.ok(made.kind === 'created');
      assert.equal((await store.accounts.createUser('contract-zoe', 'hash2')).kind, 'name-taken');
      assert.equal(await store.accounts.passwordHash(made.user.id), 'hash1');
      assert.equal(await store.accounts.setPasswordHash(made.user.id, 'hash3'), true);
      assert.equal(await store.accounts.passwordHash(made.user.id), 'hash3');
      assert.equal(await store.accounts.deleteUser(made.user.id), true);
      assert.equal(await store.accounts.getUserByName('contract-zoe'), null);
      assert.ok((await store.accounts.getUserByName('contract-zoe', { includeDeleted: true }))?.deletedAt);
      assert.ok(!(await store.accounts.listUsers()).some((u) => u.name === 'contract-zoe'));
      assert.equal(await store.accounts.restoreUser(made.user.id), true);
      assert.equal((await store.accounts.getUserByName('contract-zoe'))?.deletedAt, null);
    });

    it('keeps credentials by the hash of their secret; a revoked one is not found', async () => {
      const made = await store.accounts.createUser('contract-cred', 'h');
      assert.ok(made.kind === 'created');
      const credential = await store.accounts.addCredential({
        id: 'cred-0001',
        userId: made.user.id,
        kind: 'app-password',
        label: 'phone',
        secretHash: 'a'.repeat(64),
        expiresAt: null,
      });
      assert.equal(credential.label, 'phone');
      assert.equal((await store.accounts.findCredential('app-password', 'a'.repeat(64)))?.id, 'cred-0001');
      assert.equal(await store.accounts.findCredential('token', 'a'.repeat(64)), null);
      await store.accounts.touchCredential('cred-0001', '2026-01-01T00:00:00.000Z');
      assert.equal((await store.accounts.listCredentials(made.user.id, 'app-password'))[0]?.lastUsedAt, '2026-01-01T00:00:00.000Z');
      assert.equal(await store.accounts.revokeCredential(made.user.id + 1, 'cred-0001'), false, "only the owner's id revokes");
      assert.equal(await store.accounts.revokeCredential(made.user.id, 'cred-0001'), true);
      assert.equal(await store.accounts.findCredential('app-password', 'a'.repeat(64)), null);
    });

    it('passes its integrity check with inline and blob content', async () => {
      const report = await store.checkIntegrity({ verifyBlobContent: true });
      assert.deepEqual(report.problems, []);
      assert.ok(report.ok);
      assert.ok(report.checkedRevisions > 0);
      assert.ok(report.checkedBlobs > 0);
    });

    const imported = (overrides: Partial<Parameters<UserStore['importRevision']>[0]> = {}): Parameters<UserStore['importRevision']>[0] => ({
      collection: 'book',
      collectionKind: 'contacts',
      name: 'device.vcf',
      revisionId: `dev-${Math.random().toString(36).slice(2, 12)}`,
      parentId: null,
      expectedHeadId: null,
      deleted: false,
      content: { kind: 'bytes', source: vcard('dev', 'Device') },
      contentType: 'text/vcard',
      author: 'device:phone',
      createdAt: '2024-03-01T10:00:00.000Z',
      ...overrides,
    });

    it('imports a device\'s revision with its own id, parent and time, creating a missing collection path', async () => {
      const user = await newUser();
      const result = await user.importRevision(imported({ collection: 'healed/deep', collectionKind: 'notes', parentId: 'lost-on-server-1', revisionId: 'dev-rev-0001' }));
      assert.ok(result.kind === 'written');
      assert.equal(result.revision.id, 'dev-rev-0001');
      assert.equal(result.revision.parentId, 'lost-on-server-1', 'a heal keeps the parent the server lost');
      assert.equal(result.revision.createdAt, '2024-03-01T10:00:00.000Z');
      assert.equal((await user.getCollection('healed'))?.kind, 'notes');
      assert.equal((await user.getItem('healed/deep', 'device.vcf'))?.head.id, 'dev-rev-0001');
      const again = await user.importRevision(imported({ collection: 'healed/deep', collectionKind: 'notes', revisionId: 'dev-rev-0001' }));
      assert.equal(again.kind, 'unchanged');
      // On top of an existing head, the parent is that head.
      const next = await user.importRevision(imported({ collection: 'healed/deep', collectionKind: 'notes', revisionId: 'dev-rev-0002', parentId: 'dev-rev-0001', expectedHeadId: 'dev-rev-0001' }));
      assert.ok(next.kind === 'written' && next.revision.parentId === 'dev-rev-0001');
      const wrongKind = await user.importRevision(imported({ collection: 'healed/deep', collectionKind: 'files' }));
      assert.equal(wrongKind.kind, 'collection-kind-mismatch');
    });

    it('imports nothing when the head moved, the id is taken (by anyone), or the content is not this user\'s', async () => {
      const user = await newUser();
      const other = await newUser();
      const written = await put(other, 'theirs.vcf', vcard('t', 'Theirs'));
      assert.ok(written.kind === 'written');
      const before = await store.identity();
      assert.deepEqual(await user.importRevision(imported({ expectedHeadId: 'not-the-head' })), { kind: 'head-moved', current: null });
      assert.equal((await user.importRevision(imported({ revisionId: written.revision.id }))).kind, 'revision-id-taken');
      const theirHash = written.revision.contentHash ?? '';
      assert.equal((await user.importRevision(imported({ content: { kind: 'held', hash: theirHash } }))).kind, 'content-not-held');
      const mismatch = await user.importRevision(imported({ content: { kind: 'bytes', source: vcard('x', 'X'), expectedHash: sha256(Buffer.from('other')) } }));
      assert.equal(mismatch.kind, 'content-hash-mismatch');
      assert.equal((await user.importRevision(imported({ collection: 'new-one', collectionKind: 'notes', expectedHeadId: 'x-missing-1' }))).kind, 'head-moved');
      assert.equal(await user.getCollection('new-one'), null, 'a refused import creates no collection');
      assert.equal((await store.identity()).sequence, before.sequence);
      // Content the user does hold can be named by its hash.
      const mine = await put(user, 'mine.vcf', vcard('m', 'Mine'));
      assert.ok(mine.kind === 'written');
      const byHash = await user.importRevision(imported({ name: 'copy.vcf', content: { kind: 'held', hash: mine.revision.contentHash ?? '' }, uniqueKey: 'copy' }));
      assert.ok(byHash.kind === 'written');
      assert.deepEqual(await readAll((await user.readContent(byHash.revision.id)) as Content), vcard('m', 'Mine'));
    });

    it('keeps the losing side of a conflict in the history, marked, for this user only', async () => {
      const user = await newUser();
      const other = await newUser();
      const head = await put(user, 'c.vcf', vcard('c', 'Server'));
      assert.ok(head.kind === 'written');
      const lost = await user.importRevision(
        imported({ name: 'c.vcf', revisionId: 'dev-lost-001', parentId: 'base-unknown', expectedHeadId: head.revision.id, then: { kind: 'conflict-head-wins', author: 'sync' } }),
      );
      assert.ok(lost.kind === 'written' && lost.followUp && lost.conflict);
      assert.equal(lost.followUp.restoredFrom, head.revision.id);
      assert.deepEqual(await readAll((await user.readContent(lost.followUp.id)) as Content), vcard('c', 'Server'));
      assert.equal((await user.getItem('book', 'c.vcf'))?.head.id, lost.followUp.id);
      const history = (await user.history('book', 'c.vcf'))?.map((r) => r.id);
      assert.ok(history?.includes('dev-lost-001'));

      const won = await user.importRevision(
        imported({ name: 'c.vcf', revisionId: 'dev-won-001', expectedHeadId: lost.followUp.id, then: { kind: 'conflict-imported-wins' } }),
      );
      assert.ok(won.kind === 'written');
      assert.equal(won.conflict?.revisionId, lost.followUp.id);
      const marks = await user.listConflicts();
      const byId = (a: string[], b: string[]) => ((a[0] ?? '') < (b[0] ?? '') ? -1 : 1);
      assert.deepEqual(
        marks.map((m) => [m.revisionId, m.winnerId, m.itemName]).sort(byId),
        [
          [lost.followUp.id, 'dev-won-001', 'c.vcf'],
          ['dev-lost-001', head.revision.id, 'c.vcf'],
        ].sort(byId),
      );
      assert.deepEqual(await other.listConflicts(), []);
      const restored = await user.restoreRevision('book', 'c.vcf', 'dev-lost-001', { author: 'test' });
      assert.equal(restored.kind, 'restored');

      // Closing a conflict: another user cannot; keeping the winner writes nothing; restoring
      // writes the losing side on top, in the same transaction as closing it.
      assert.deepEqual(await other.resolveConflict('dev-lost-001', { restore: true, author: 'x' }), { kind: 'not-found' });
      const sequence = (await store.identity()).sequence;
      assert.deepEqual(await user.resolveConflict('dev-lost-001', { restore: false, author: 'test' }), { kind: 'resolved', restored: null });
      assert.equal((await store.identity()).sequence, sequence);
      assert.deepEqual((await user.listConflicts()).map((m) => m.revisionId), [lost.followUp.id]);
      const back = await user.resolveConflict(lost.followUp.id, { restore: true, author: 'test' });
      assert.ok(back.kind === 'resolved' && back.restored);
      assert.equal(back.restored.restoredFrom, lost.followUp.id);
      assert.equal((await user.getItem('book', 'c.vcf'))?.head.id, back.restored.id);
      assert.deepEqual(await user.listConflicts(), []);
      assert.deepEqual(await user.resolveConflict(lost.followUp.id, { restore: true, author: 'test' }), { kind: 'not-found' });
    });

    it("puts back conflict marks a device kept: only for this user's revisions of one item, never over a mark the server has", async () => {
      const user = await newUser();
      const other = await newUser();
      const a = await put(user, 'k.vcf', vcard('k', 'A'));
      assert.ok(a.kind === 'written');
      const b = await put(user, 'k.vcf', vcard('k', 'B'));
      assert.ok(b.kind === 'written');
      const elsewhere = await put(user, 'l.vcf', vcard('l', 'L'));
      assert.ok(elsewhere.kind === 'written');
      const strangers = await put(other, 'k.vcf', vcard('k', 'Other'));
      assert.ok(strangers.kind === 'written');
      const at = '2026-03-04T05:06:07.000Z';
      const sequence = (await store.identity()).sequence;
      const taken = await user.importConflicts([
        { revisionId: a.revision.id, winnerId: b.revision.id, at },
        { revisionId: a.revision.id, winnerId: b.revision.id, at },
        { revisionId: 'no-such-revision', winnerId: b.revision.id, at },
        { revisionId: b.revision.id, winnerId: elsewhere.revision.id, at },
        { revisionId: strangers.revision.id, winnerId: b.revision.id, at },
      ]);
      assert.equal(taken, 1, 'one mark: the repeat, an unknown revision, another item and another user are left out');
      assert.deepEqual(await user.conflictSummary(), { open: 1, fingerprint: createHash('sha256').update(a.revision.id).digest('hex') });
      assert.deepEqual(await other.conflictSummary(), { open: 0, fingerprint: createHash('sha256').update('').digest('hex') });
      assert.equal((await store.identity()).sequence, sequence, 'a mark is not a change in the log');
      assert.deepEqual(await user.listConflicts(), [{ revisionId: a.revision.id, winnerId: b.revision.id, collectionId: a.revision.collectionId, itemName: 'k.vcf', at }]);
      assert.deepEqual(await other.listConflicts(), []);
      assert.equal((await other.importConflicts([{ revisionId: a.revision.id, winnerId: b.revision.id, at }])), 0, "another user cannot mark this user's revisions");

      assert.equal((await user.resolveConflict(a.revision.id, { restore: false, author: 't' })).kind, 'resolved');
      assert.equal(await user.importConflicts([{ revisionId: a.revision.id, winnerId: b.revision.id, at }]), 0, 'a resolved mark stays resolved');
      assert.deepEqual(await user.listConflicts(), []);
      assert.deepEqual((await user.conflictSummary()).open, 0);
    });

    it('writes a merged revision on top of the imported one in the same transaction', async () => {
      const user = await newUser();
      const head = await put(user, 'm.vcf', vcard('m', 'Head'));
      assert.ok(head.kind === 'written');
      const result = await user.importRevision(
        imported({ name: 'm.vcf', revisionId: 'dev-merge-01', expectedHeadId: head.revision.id, uniqueKey: 'm', then: { kind: 'merged', content: vcard('m', 'Merged'), contentType: 'text/vcard', uniqueKey: 'm', author: 'sync' } }),
      );
      assert.ok(result.kind === 'written' && result.followUp);
      assert.equal(result.revision.parentId, head.revision.id);
      assert.equal(result.followUp.parentId, 'dev-merge-01');
      assert.equal(result.followUp.seq, result.revision.seq + 1);
      assert.deepEqual(await readAll((await user.readContent(result.followUp.id)) as Content), vcard('m', 'Merged'));
    });

    it('tells each user the sequence of their own newest change', async () => {
      const user = await newUser();
      const other = await newUser();
      const written = await put(user, 's.vcf', vcard('s', 'S'));
      assert.ok(written.kind === 'written');
      assert.equal(await user.latestSequence(), written.revision.seq);
      await put(other, 's.vcf', vcard('s', 'S'));
      assert.equal(await user.latestSequence(), written.revision.seq);
    });

    it('is writable, reports stats, and keeps everything across close and reopen', async () => {
      await store.checkWritable();
      const user = await newUser();
      const written = await put(user, 'keep.vcf', vcard('k', 'Keep'));
      assert.ok(written.kind === 'written');
      const stats = await store.stats();
      assert.ok(stats.users >= 1 && stats.items >= 1 && stats.revisions >= stats.items && stats.blobs >= 1);
      const identity = await store.identity();

      store = await fixture.reopen();
      assert.deepEqual(await store.identity(), identity);
      const again = store.forUser(user.userId);
      const content = await again.readContent(written.revision.id);
      assert.ok(content);
      assert.deepEqual(await readAll(content), vcard('k', 'Keep'));
    });

    it('refuses writes once closed, after finishing the ones already accepted', async () => {
      const user = await newUser();
      const inFlight = put(user, 'last.vcf', vcard('l', 'Last'));
      const closing = store.close();
      const refused = assert.rejects(put(user, 'late.vcf', vcard('x', 'Late')), /closing or closed/);
      assert.equal((await inFlight).kind, 'written');
      await refused;
      await closing;
      store = await fixture.reopen();
      assert.equal((await store.forUser(user.userId).getItem('book', 'last.vcf'))?.deleted, false);
    });
  });
}
