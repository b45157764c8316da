// `holdfast status` against a real store with users, collections, items, a deleted item
// and a blob in it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dataDirectoryWithStore, holdfast, withOpenStore } from './holdfast-process.ts';

const VCARD = (name: string): Uint8Array =>
  new TextEncoder().encode(`BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${name}\r\nFN:${name}\r\nEND:VCARD\r\n`);
const PHOTO_BYTES = 100 * 1024; // above the default inline limit (64 KiB), so it is a blob

let data: { dir: string; storeId: string; cleanup: () => Promise<void> };
before(async () => {
  data = await dataDirectoryWithStore();
  for (const name of ['alice', 'bob']) {
    const added = await holdfast(['user', 'add', name, '--password-stdin', '--data', data.dir], { input: 'correct horse battery staple\n' });
    assert.equal(added.code, 0, added.stderr);
  }
  assert.equal((await holdfast(['user', 'delete', 'bob', '--yes', '--data', data.dir])).code, 0);
  await withOpenStore(data.dir, async (store) => {
    const alice = await store.accounts.getUserByName('alice');
    assert.ok(alice);
    const user = store.forUser(alice.id);
    await user.createCollection({ name: 'photos', kind: 'files' });
    const author = 'test';
    for (const name of ['ada', 'grace']) {
      const written = await user.putItem('contacts', `${name}.vcf`, VCARD(name), { contentType: 'text/vcard', author });
      assert.equal(written.kind, 'written');
    }
    const photo = await user.putItem('photos', 'beach.jpg', new Uint8Array(PHOTO_BYTES).fill(7), { contentType: 'image/jpeg', author });
    assert.equal(photo.kind, 'written');
    assert.equal((await user.deleteItem('contacts', 'grace.vcf', { author })).kind, 'deleted');
  });
});
after(async () => {
  await data.cleanup();
});

describe('holdfast status', () => {
  it('--json prints one object with the store identity, its counts and the free disk space', async () => {
    const status = await holdfast(['status', '--json', '--data', data.dir]);
    assert.equal(status.code, 0, status.stderr);
    const json = JSON.parse(status.stdout) as Record<string, unknown>;
    const { identity, stats } = await withOpenStore(data.dir, async (store) => ({ identity: await store.identity(), stats: await store.stats() }));

    assert.equal(json.dataDir, data.dir);
    assert.equal(json.engine, 'sqlite');
    assert.equal(json.storeId, data.storeId);
    assert.equal(json.generation, identity.generation);
    assert.equal(json.sequence, identity.sequence);
    assert.ok(identity.sequence > 0);
    assert.deepEqual(
      {
        users: json.users,
        collections: json.collections,
        items: json.items,
        deletedItems: json.deletedItems,
        revisions: json.revisions,
        blobs: json.blobs,
        blobBytes: json.blobBytes,
      },
      // bob is deleted (his four default collections are kept, and counted); alice has her
      // four and photos; grace.vcf is in the trash; her tombstone is the fourth revision.
      { users: 1, collections: 9, items: 2, deletedItems: 1, revisions: 4, blobs: 1, blobBytes: PHOTO_BYTES },
    );
    assert.equal(json.inlineBytes, stats.inlineBytes);
    assert.ok(typeof json.diskFreeBytes === 'number' && json.diskFreeBytes > 0);
    assert.ok(typeof json.diskTotalBytes === 'number' && json.diskTotalBytes >= json.diskFreeBytes);
  });

  it('prints aligned "key: value" lines for people', async () => {
    const status = await holdfast(['status', '--data', data.dir]);
    assert.equal(status.code, 0, status.stderr);
    const lines = status.stdout.trimEnd().split('\n');
    const valueColumns = new Set(lines.map((line) => /^[a-z ]+:\s+/.exec(line)?.[0].length));
    assert.equal(valueColumns.size, 1, `values line up:\n${status.stdout}`);
    assert.ok(!valueColumns.has(undefined));
    const field = (key: string): string => lines.find((line) => line.startsWith(`${key}:`))?.replace(/^[^:]+:\s+/, '') ?? '';
    assert.equal(field('store id'), data.storeId);
    assert.equal(field('data directory'), data.dir);
    assert.equal(field('users'), '1');
    assert.equal(field('deleted items'), '1');
    assert.equal(field('blobs'), '1 (100.0 KiB)');
    assert.match(field('disk free'), /^\d+(\.\d)? \S+ of \d+(\.\d)? \S+$/);
  });

  it('takes the data directory from HOLDFAST_DATA_DIR, as serve does', async () => {
    const status = await holdfast(['status', '--json'], { env: { HOLDFAST_DATA_DIR: data.dir } });
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { storeId: string }).storeId, data.storeId);
  });

  it('refuses a data directory that holds another store than --store-id names, with exit 1', async () => {
    const status = await holdfast(['status', '--data', data.dir, '--store-id', 'some-other-store']);
    assert.equal(status.code, 1);
    assert.equal(status.stdout, '');
    assert.match(status.stderr, new RegExp(`holds store ${data.storeId}, but the configuration expects store some-other-store`));
  });
});
