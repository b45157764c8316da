// Part of the store contract (run by ./store-contract.ts for every engine): what a user's
// usage is after every kind of write, checked against a recount through the public
// interface, and how quotas refuse writes that would pass them without changing anything.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { StoreInputError } from '../../src/store/names.ts';
import type { Store, UserStore } from '../../src/store/store.ts';
import type { Revision } from '../../src/store/types.ts';

async function* chunked(data: Buffer, size: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

/** Usage the slow way: the head sizes of the live items of every live collection. */
async function recount(user: UserStore): Promise<number> {
  let total = 0;
  for (const collection of await user.listCollections()) {
    for (const item of (await user.listItems(collection.path)) ?? []) total += item.head.size;
  }
  return total;
}

export function quotaContract(context: { store(): Store; inlineLimitBytes(): number }): void {
  let made = 0;
  async function newUser(quotaBytes: number | null = null): Promise<UserStore> {
    made += 1;
    const store = context.store();
    const created = await store.accounts.createUser(`quota${made}`, 'not-a-real-hash');
    assert.ok(created.kind === 'created');
    if (quotaBytes !== null) assert.equal(await store.accounts.setQuota(created.user.id, quotaBytes), true);
    return store.forUser(created.user.id);
  }
  const file = (user: UserStore, path: string, name: string, body: Uint8Array | AsyncIterable<Uint8Array>) =>
    user.putItem(path, name, body, { contentType: 'application/octet-stream', author: 't' });
  const bytes = (n: number, fill = 1) => Buffer.alloc(n, fill);

  /** Usage as kept must equal `expected` and a recount. */
  async function expectUsage(user: UserStore, expected: number, step: string): Promise<void> {
    const { usedBytes } = await user.usage();
    assert.equal(usedBytes, expected, `after ${step}: kept usage`);
    assert.equal(await recount(user), expected, `after ${step}: recount`);
  }

  it('keeps usage equal to a recount of live content through every kind of write; history and trash are not charged', async () => {
    const user = await newUser();
    assert.deepEqual(await user.usage(), { usedBytes: 0, quotaBytes: null }, 'a new user uses nothing and has no limit');
    const big = context.inlineLimitBytes() * 2 + 5;

    const v1 = await file(user, 'files', 'a', bytes(100));
    assert.ok(v1.kind === 'written');
    await expectUsage(user, 100, 'an inline put');
    assert.equal((await file(user, 'files', 'blob', chunked(bytes(big, 2), 1000))).kind, 'written');
    await expectUsage(user, 100 + big, 'a streamed blob put');
    assert.equal((await file(user, 'files', 'a', bytes(40))).kind, 'written');
    await expectUsage(user, 40 + big, 'a smaller replacement (the older revision stays in history, uncharged)');
    assert.equal((await user.deleteItem('files', 'blob', { author: 't' })).kind, 'deleted');
    await expectUsage(user, 40, 'a delete (the trash is not charged)');
    assert.equal((await user.undelete('files', 'blob', { author: 't' })).kind, 'restored');
    await expectUsage(user, 40 + big, 'an undelete');
    assert.equal((await user.restoreRevision('files', 'a', v1.revision.id, { author: 't' })).kind, 'restored');
    await expectUsage(user, 100 + big, 'a restore of the older, larger revision');

    await user.createCollection({ name: 'dir', kind: 'files' });
    await user.createCollection({ name: 'sub', kind: 'files', parent: 'dir' });
    assert.equal((await user.copyItem({ collection: 'files', name: 'a' }, { collection: 'dir/sub', name: 'a' }, { author: 't', overwrite: false })).kind, 'copied');
    await expectUsage(user, 200 + big, 'an item copy');
    assert.equal((await file(user, 'dir', 'small', bytes(10))).kind, 'written');
    assert.equal((await user.copyItem({ collection: 'dir', name: 'small' }, { collection: 'dir/sub', name: 'a' }, { author: 't', overwrite: true })).kind, 'copied');
    await expectUsage(user, 120 + big, 'a copy over a larger item');
    assert.equal((await user.moveItem({ collection: 'files', name: 'a' }, { collection: 'dir', name: 'moved' }, { author: 't', overwrite: false })).kind, 'moved');
    await expectUsage(user, 120 + big, 'a move');
    assert.equal((await user.moveItem({ collection: 'dir', name: 'small' }, { collection: 'dir', name: 'moved' }, { author: 't', overwrite: true })).kind, 'moved');
    await expectUsage(user, 20 + big, 'a move over another item');

    // dir holds moved (10), dir/sub holds a (10).
    const copied = await user.copyCollection('dir', { parent: null, name: 'copy' }, { overwrite: false, depth: 'infinity', author: 't' });
    assert.ok(copied.kind === 'copied');
    await expectUsage(user, 40 + big, 'a collection copy');
    assert.equal((await user.copyCollection('dir', { parent: null, name: 'copy' }, { overwrite: true, depth: 0, author: 't' })).kind, 'copied');
    await expectUsage(user, 20 + big, 'a depth-0 copy over a collection (the replaced one goes to the trash)');
    const deleted = await user.deleteCollection('dir');
    assert.ok(deleted.kind === 'changed');
    await expectUsage(user, big, 'a collection delete');
    assert.equal((await user.restoreCollection(deleted.collection.id)).kind, 'changed');
    await expectUsage(user, 20 + big, 'a collection restore, subtree and all');
    await file(user, 'copy', 'x', bytes(7));
    assert.equal((await user.moveCollection('copy', { parent: 'dir', name: 'inner' }, { overwrite: false })).kind, 'moved');
    await expectUsage(user, 27 + big, 'a collection move');
    await user.createCollection({ name: 'other', kind: 'files' });
    assert.equal((await user.moveCollection('other', { parent: null, name: 'dir' }, { overwrite: true })).kind, 'moved');
    await expectUsage(user, big, 'a collection move over another (the replaced one goes to the trash)');

    assert.deepEqual((await context.store().checkIntegrity()).problems, [], 'the integrity check recounts every user too');
  });

  it('refuses every write that would pass the quota with over-quota, and changes nothing', async () => {
    const user = await newUser(1000);
    await user.createCollection({ name: 'dir', kind: 'files' });
    assert.equal((await file(user, 'dir', 'keep', bytes(600))).kind, 'written');
    const before = await context.store().identity();
    const refused = { kind: 'over-quota', quotaBytes: 1000, usedBytes: 600 };

    assert.deepEqual(await file(user, 'files', 'new', bytes(401)), refused, 'an inline put');
    assert.deepEqual(await file(user, 'files', 'streamed', chunked(bytes(context.inlineLimitBytes() * 3), 512)), refused, 'a streamed put');
    assert.deepEqual(await file(user, 'dir', 'keep', bytes(1001)), refused, 'a replacement larger than the quota');
    assert.deepEqual(await user.copyItem({ collection: 'dir', name: 'keep' }, { collection: 'files', name: 'copy' }, { author: 't', overwrite: false }), refused, 'an item copy');
    assert.deepEqual(await user.copyCollection('dir', { parent: null, name: 'dir2' }, { overwrite: false, depth: 'infinity', author: 't' }), refused, 'a collection copy');

    assert.equal((await context.store().identity()).sequence, before.sequence, 'nothing reached the change log');
    for (const name of ['new', 'streamed', 'copy']) assert.equal(await user.getItem('files', name), null, `${name} was not stored`);
    assert.equal((await user.history('dir', 'keep'))?.length, 1, 'the refused replacement left no revision');
    assert.equal(await user.getCollection('dir2'), null, 'nothing of the collection copy was made');
    await expectUsage(user, 600, 'the refusals');
    assert.equal((await file(user, 'files', 'fits', bytes(400))).kind, 'written', 'exactly up to the quota is allowed');
    await expectUsage(user, 1000, 'a put up to the quota');
  });

  it('stops reading a streamed put once it is past the room left, instead of taking it all in first', async () => {
    const user = await newUser(10 * 1024);
    await file(user, 'files', 'old', bytes(2 * 1024));
    let pulled = 0;
    async function* endless(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < 10_000; i += 1) {
        pulled += 1;
        yield bytes(1024, 3);
      }
    }
    assert.deepEqual(await file(user, 'files', 'huge', endless()), { kind: 'over-quota', quotaBytes: 10 * 1024, usedBytes: 2 * 1024 });
    assert.ok(pulled <= 9 + 1, `read ${pulled} KiB of a 10,000 KiB upload with 8 KiB left`);
    pulled = 0;
    assert.equal((await file(user, 'files', 'old', endless())).kind, 'over-quota', 'a replacement may use the room of what it replaces, no more');
    assert.ok(pulled <= 11, `read ${pulled} KiB`);
    await expectUsage(user, 2 * 1024, 'the refused streams');
  });

  it('refuses restores and undeletes that would pass the quota, and keeps the trash as it was', async () => {
    const user = await newUser(1000);
    const old = await file(user, 'files', 'grow', bytes(500));
    assert.ok(old.kind === 'written');
    await file(user, 'files', 'grow', bytes(100));
    await file(user, 'files', 'binned', bytes(300));
    await user.deleteItem('files', 'binned', { author: 't' });
    await user.createCollection({ name: 'dir', kind: 'files' });
    await file(user, 'dir', 'inside', bytes(300));
    const trashed = await user.deleteCollection('dir');
    assert.ok(trashed.kind === 'changed');
    await file(user, 'files', 'filler', bytes(750));
    await expectUsage(user, 850, 'filling up');

    const refused = { kind: 'over-quota', quotaBytes: 1000, usedBytes: 850 };
    assert.deepEqual(await user.restoreRevision('files', 'grow', old.revision.id, { author: 't' }), refused);
    assert.deepEqual(await user.undelete('files', 'binned', { author: 't' }), refused);
    assert.deepEqual(await user.restoreCollection(trashed.collection.id), refused);
    assert.equal((await user.getItem('files', 'grow'))?.head.size, 100);
    assert.equal((await user.getItem('files', 'binned'))?.deleted, true);
    assert.equal(await user.getCollection('dir'), null);
    await expectUsage(user, 850, 'the refused restores');

    await user.deleteItem('files', 'filler', { author: 't' });
    assert.equal((await user.restoreCollection(trashed.collection.id)).kind, 'changed', 'room made by deleting is room');
    assert.equal((await user.undelete('files', 'binned', { author: 't' })).kind, 'restored');
    assert.equal((await user.restoreRevision('files', 'grow', old.revision.id, { author: 't' })).kind, 'over-quota', '100 + 300 + 300 + 500 - 100 > 1000');
    await expectUsage(user, 700, 'the restores that fit');
  });

  it('lets exactly as many concurrent puts as fit under the quota through', async () => {
    const size = 100;
    const user = await newUser(size * 10);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => file(user, 'files', `c${i}`, bytes(size, i))));
    const written = results.filter((r) => r.kind === 'written');
    assert.equal(written.length, 10, 'the check is made inside each write\'s transaction');
    assert.equal(results.filter((r) => r.kind === 'over-quota').length, 20);
    await expectUsage(user, size * 10, 'the race');
    assert.equal((await user.listItems('files'))?.length, 10);
    const seqs = new Set(written.map((r) => (r as { revision: Revision }).revision.seq));
    assert.equal(seqs.size, 10);
  });

  it('always allows writes that do not add to usage, even over quota', async () => {
    const user = await newUser();
    const store = context.store();
    await file(user, 'files', 'a', bytes(500));
    await file(user, 'files', 'b', bytes(500));
    assert.equal(await store.accounts.setQuota(user.userId, 300), true, 'a quota may be set below the usage');
    assert.deepEqual(await user.usage(), { usedBytes: 1000, quotaBytes: 300 });
    assert.equal((await file(user, 'files', 'c', bytes(1))).kind, 'over-quota');
    assert.equal((await file(user, 'files', 'a', bytes(501))).kind, 'over-quota', 'growing an item');
    assert.equal((await file(user, 'files', 'a', bytes(500, 9))).kind, 'written', 'a replacement of the same size');
    assert.equal((await file(user, 'files', 'a', bytes(200))).kind, 'written', 'a smaller replacement');
    assert.equal((await user.moveItem({ collection: 'files', name: 'a' }, { collection: 'files', name: 'moved' }, { author: 't', overwrite: false })).kind, 'moved');
    assert.equal((await user.copyItem({ collection: 'files', name: 'moved' }, { collection: 'files', name: 'b' }, { author: 't', overwrite: true })).kind, 'copied', 'a copy over a larger item');
    assert.equal((await user.deleteItem('files', 'b', { author: 't' })).kind, 'deleted');
    await user.createCollection({ name: 'dir', kind: 'files' });
    assert.equal((await user.deleteCollection('dir')).kind, 'changed');
    await expectUsage(user, 200, 'shrinking writes');
    assert.equal((await file(user, 'files', 'c', bytes(100))).kind, 'written', 'under the quota again');
  });

  it('keeps a user\'s own quota with the user; null hands them back to the default', async () => {
    const store = context.store();
    const user = await newUser();
    assert.equal((await store.accounts.getUser(user.userId))?.quotaBytes, null);
    assert.equal(await store.accounts.setQuota(user.userId, 5 * 1024 ** 3), true);
    assert.equal((await store.accounts.getUser(user.userId))?.quotaBytes, 5 * 1024 ** 3);
    assert.equal((await user.usage()).quotaBytes, 5 * 1024 ** 3);
    assert.equal(await store.accounts.setQuota(user.userId, null), true);
    assert.equal((await user.usage()).quotaBytes, null);
    assert.equal(await store.accounts.setQuota(999_999, 10), false, 'no such user');
    assert.throws(() => store.accounts.setQuota(user.userId, -1), StoreInputError);
    assert.throws(() => store.accounts.setQuota(user.userId, 1.5), StoreInputError);
  });

  it('walls usage off per user: one user\'s writes never count against another', async () => {
    const alice = await newUser(100);
    const bob = await newUser(100);
    assert.equal((await file(alice, 'files', 'a', bytes(100))).kind, 'written');
    assert.equal((await file(bob, 'files', 'b', bytes(100))).kind, 'written');
    assert.deepEqual(await alice.usage(), { usedBytes: 100, quotaBytes: 100 });
    assert.deepEqual(await bob.usage(), { usedBytes: 100, quotaBytes: 100 });
  });
}
