// `holdfast trash …` against a real store, through the real command: what was deleted is
// listed, and comes back with its content.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import type { UserStore } from '../../src/store/store.ts';
import { fakeIo } from './fake-io.ts';
import { dataDirectoryForEachTest, holdfast, withOpenStore } from './holdfast-process.ts';

const data = dataDirectoryForEachTest();
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const VCARD = (uid: string, name: string): string => `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${uid}\r\nFN:${name}\r\nEND:VCARD\r\n`;

/** Runs `use` on anna's data (anna is made on first use), closing the store afterwards. */
function withAnna<T>(use: (user: UserStore) => Promise<T>): Promise<T> {
  return withOpenStore(data.dir, async (store) => {
    const existing = await store.accounts.getUserByName('anna');
    const anna = existing ?? (await store.accounts.createUser('anna', 'not-a-real-hash')).user;
    return use(store.forUser(anna.id));
  });
}

async function ensureCollection(user: UserStore, path: string): Promise<void> {
  const slash = path.lastIndexOf('/');
  const made = await user.createCollection(
    slash < 0 ? { name: path, kind: 'files' } : { name: path.slice(slash + 1), kind: 'files', parent: path.slice(0, slash) },
  );
  assert.notEqual(made.kind, 'no-parent');
}

async function put(
  user: UserStore,
  collection: string,
  name: string,
  content: string,
  options: { author?: string; uid?: string } = {},
): Promise<string> {
  const written = await user.putItem(collection, name, bytes(content), {
    contentType: 'text/plain',
    author: options.author ?? 'test',
    ...(options.uid !== undefined ? { uniqueKey: options.uid } : {}),
  });
  assert.equal(written.kind, 'written');
  return written.kind === 'written' ? written.revision.id : '';
}

async function remove(user: UserStore, collection: string, name: string, author = 'test'): Promise<void> {
  assert.equal((await user.deleteItem(collection, name, { author })).kind, 'deleted');
}

/** The current content of a live item, as text. */
async function liveContent(user: UserStore, collection: string, name: string): Promise<string> {
  const item = await user.getItem(collection, name);
  assert.ok(item && !item.deleted, `${collection}/${name} is live`);
  const content = await user.readContent(item.head.id);
  assert.ok(content);
  const chunks: Uint8Array[] = [];
  for await (const chunk of content.open()) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function trash(...args: string[]) {
  return holdfast(['trash', ...args, '--data', data.dir]);
}

interface TrashJson {
  items: { collection: string; name: string; deletedAt: string; deletedBy: string; size: number | null; revisionId: string }[];
  collections: { id: number; path: string; kind: string; deletedAt: string }[];
}

async function listJson(): Promise<TrashJson> {
  const listed = await trash('list', 'anna', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as TrashJson;
}

describe('holdfast trash list', () => {
  it('shows deleted items newest first, with who deleted them and the size they had', async () => {
    await withAnna(async (user) => {
      await ensureCollection(user, 'contacts');
      await put(user, 'contacts', 'ben.vcf', 'first');
      await put(user, 'contacts', 'ben.vcf', 'second, longer');
      await remove(user, 'contacts', 'ben.vcf', 'dav:iOS');
      await put(user, 'contacts', 'cleo.vcf', 'cleo');
      await remove(user, 'contacts', 'cleo.vcf', 'dav:DAVx5');
    });

    const json = await listJson();
    assert.deepEqual(
      json.items.map(({ collection, name, deletedBy, size }) => ({ collection, name, deletedBy, size })),
      [
        { collection: 'contacts', name: 'cleo.vcf', deletedBy: 'dav:DAVx5', size: 4 },
        { collection: 'contacts', name: 'ben.vcf', deletedBy: 'dav:iOS', size: 14 },
      ],
    );
    assert.deepEqual(Object.keys(json.items[0] ?? {}).sort(), ['collection', 'deletedAt', 'deletedBy', 'name', 'revisionId', 'size']);
    assert.deepEqual(json.collections, []);

    const table = await trash('list', 'anna');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Deleted items:\nDELETED\s+COLLECTION\s+ITEM\s+BY\s+SIZE\n/);
    assert.match(table.stdout, /\n\S+\s+contacts\s+cleo\.vcf\s+dav:DAVx5\s+4 bytes\n\S+\s+contacts\s+ben\.vcf\s+dav:iOS\s+14 bytes\n$/);
    assert.equal(table.stdout.split('\n').length, 5);
    assert.match(table.stderr, /'holdfast trash restore anna COLLECTION\/ITEM' brings back an item/);
  });

  it('says on stderr that the trash is empty, and --json prints empty lists', async () => {
    await withAnna(async () => undefined);
    const table = await trash('list', 'anna');
    assert.equal(table.code, 0, table.stderr);
    assert.equal(table.stdout, '');
    assert.match(table.stderr, /The trash of "anna" is empty/);
    assert.deepEqual(await listJson(), { items: [], collections: [] });
  });

  it('lists a deleted collection by id, and not what was deleted inside it', async () => {
    await withAnna(async (user) => {
      await ensureCollection(user, 'photos');
      await ensureCollection(user, 'photos/2024');
      await put(user, 'photos/2024', 'img.jpg', 'jpeg');
      await remove(user, 'photos/2024', 'img.jpg');
      assert.equal((await user.deleteCollection('photos')).kind, 'changed');
    });
    const json = await listJson();
    assert.deepEqual(json.items, []);
    assert.deepEqual(
      json.collections.map(({ path, kind }) => ({ path, kind })),
      [{ path: 'photos', kind: 'files' }],
    );
    const table = await trash('list', 'anna');
    assert.match(table.stdout, new RegExp(`^Deleted collections:\\nID\\s+DELETED\\s+COLLECTION\\s+KIND\\n${json.collections[0]?.id}\\s+\\S+\\s+photos\\s+files\\n$`));
  });

  it('for a user who does not exist fails with exit 1 and the message every command gives', async () => {
    const listed = await trash('list', 'bob');
    assert.equal(listed.code, 1);
    assert.equal(listed.stdout, '');
    assert.match(listed.stderr, /^holdfast: no user named "bob"; 'holdfast user list' shows the users\n$/);
  });
});

describe('holdfast trash restore', () => {
  it('brings a deleted item back with the content it had, written by "cli", and empties the trash', async () => {
    let lastLive = '';
    await withAnna(async (user) => {
      await ensureCollection(user, 'contacts');
      await put(user, 'contacts', 'ben.vcf', 'first');
      lastLive = await put(user, 'contacts', 'ben.vcf', 'second');
      await remove(user, 'contacts', 'ben.vcf');
    });

    const restored = await trash('restore', 'anna', 'contacts/ben.vcf');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stderr, /^Restored "contacts\/ben\.vcf" of "anna"/);
    const newRevision = restored.stdout.trim();

    await withAnna(async (user) => {
      assert.equal(await liveContent(user, 'contacts', 'ben.vcf'), 'second');
      const item = await user.getItem('contacts', 'ben.vcf');
      assert.equal(item?.head.id, newRevision);
      assert.equal(item?.head.author, 'cli');
      assert.equal(item?.head.restoredFrom, lastLive);
    });
    assert.deepEqual((await listJson()).items, []);
  });

  it('takes nested collection paths: the last "/" ends the collection', async () => {
    await withAnna(async (user) => {
      await ensureCollection(user, 'photos');
      await ensureCollection(user, 'photos/2024');
      await put(user, 'photos/2024', 'img.jpg', 'jpeg bytes');
      await remove(user, 'photos/2024', 'img.jpg');
    });
    const restored = await trash('restore', 'anna', 'photos/2024/img.jpg');
    assert.equal(restored.code, 0, restored.stderr);
    await withAnna(async (user) => assert.equal(await liveContent(user, 'photos/2024', 'img.jpg'), 'jpeg bytes'));
  });

  it('of an item that is not deleted changes nothing and exits 0', async () => {
    await withAnna(async (user) => {
      await ensureCollection(user, 'contacts');
      await put(user, 'contacts', 'ben.vcf', 'live');
    });
    const restored = await trash('restore', 'anna', 'contacts/ben.vcf');
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(restored.stdout, '');
    assert.match(restored.stderr, /"contacts\/ben\.vcf" of "anna" is not deleted; nothing to restore/);
  });

  it('of an unknown item, collection or user fails with exit 1 and says where to look', async () => {
    await withAnna((user) => ensureCollection(user, 'contacts'));
    const noItem = await trash('restore', 'anna', 'contacts/x.vcf');
    assert.equal(noItem.code, 1);
    assert.match(noItem.stderr, /^holdfast: no item "x\.vcf" in "contacts"; 'holdfast trash list anna' shows deleted items\n$/);

    const noCollection = await trash('restore', 'anna', 'nowhere/x.vcf');
    assert.equal(noCollection.code, 1);
    assert.match(noCollection.stderr, /"anna" has no collection "nowhere"; 'holdfast trash list anna' shows deleted collections/);

    const noUser = await trash('restore', 'bob', 'contacts/x.vcf');
    assert.equal(noUser.code, 1);
    assert.match(noUser.stderr, /no user named "bob"; 'holdfast user list' shows the users/);
  });

  it('refuses, with exit 1, an item whose UID another live item of the collection now has', async () => {
    await withAnna(async (user) => {
      await ensureCollection(user, 'contacts');
      await put(user, 'contacts', 'ben.vcf', VCARD('uid-1', 'Ben'), { uid: 'uid-1' });
      await remove(user, 'contacts', 'ben.vcf');
      await put(user, 'contacts', 'ben-again.vcf', VCARD('uid-1', 'Ben'), { uid: 'uid-1' });
    });
    const restored = await trash('restore', 'anna', 'contacts/ben.vcf');
    assert.equal(restored.code, 1);
    assert.match(restored.stderr, /not restored: "ben-again\.vcf" in "contacts" has the same UID as "ben\.vcf"/);
    await withAnna(async (user) => assert.equal((await user.getItem('contacts', 'ben.vcf'))?.deleted, true));
  });

  it('of an item in a deleted collection points at the collection to restore', async () => {
    await withAnna(async (user) => {
      await ensureCollection(user, 'photos');
      await ensureCollection(user, 'photos/2024');
      await put(user, 'photos/2024', 'img.jpg', 'jpeg');
      assert.equal((await user.deleteCollection('photos')).kind, 'changed');
    });
    const [photos] = (await listJson()).collections;
    assert.ok(photos);
    const restored = await trash('restore', 'anna', 'photos/2024/img.jpg');
    assert.equal(restored.code, 1);
    assert.match(
      restored.stderr,
      new RegExp(`collection "photos/2024" of "anna" is deleted with "photos"; 'holdfast trash restore anna --collection ${photos.id}' brings it back`),
    );
  });
});

describe('holdfast trash restore --collection', () => {
  /** photos/2024/img.jpg, then photos deleted and a new, empty photos made in its place. */
  async function photosDeletedAndReplaced(): Promise<number> {
    await withAnna(async (user) => {
      await ensureCollection(user, 'photos');
      await ensureCollection(user, 'photos/2024');
      await put(user, 'photos/2024', 'img.jpg', 'jpeg bytes');
      assert.equal((await user.deleteCollection('photos')).kind, 'changed');
      await ensureCollection(user, 'photos');
    });
    const [deleted] = (await listJson()).collections;
    assert.equal(deleted?.path, 'photos');
    return deleted.id;
  }

  it('when the name is taken fails with exit 1 and suggests --as; with --as it restores the subtree under the new name', async () => {
    const id = await photosDeletedAndReplaced();

    const taken = await trash('restore', 'anna', '--collection', String(id));
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, new RegExp(`a collection "photos" exists; 'holdfast trash restore anna --collection ${id} --as NAME'`));

    const restored = await trash('restore', 'anna', '--collection', String(id), '--as', 'photos-old');
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(restored.stdout, 'photos-old\n');
    assert.match(restored.stderr, /Restored collection "photos" of "anna" as "photos-old"/);
    await withAnna(async (user) => {
      assert.equal(await liveContent(user, 'photos-old/2024', 'img.jpg'), 'jpeg bytes');
      assert.deepEqual(await user.listItems('photos'), []);
    });
    assert.deepEqual((await listJson()).collections, []);
  });

  it('of a collection inside a deleted one points at the outer one', async () => {
    await withAnna(async (user) => {
      await ensureCollection(user, 'photos');
      await ensureCollection(user, 'photos/2024');
      assert.equal((await user.deleteCollection('photos')).kind, 'changed');
    });
    const ids = await withAnna(async (user) => {
      const all = await user.listCollections({ includeDeleted: true });
      return { outer: all.find((c) => c.path === 'photos')?.id, inner: all.find((c) => c.path === 'photos/2024')?.id };
    });
    const restored = await trash('restore', 'anna', '--collection', String(ids.inner));
    assert.equal(restored.code, 1);
    assert.match(
      restored.stderr,
      new RegExp(`"photos/2024" is inside "photos", which is deleted too; 'holdfast trash restore anna --collection ${ids.outer}' brings that back first`),
    );
  });

  it('of an id that is no deleted collection of the user fails with exit 1', async () => {
    await withAnna(async () => undefined);
    const restored = await trash('restore', 'anna', '--collection', '9999');
    assert.equal(restored.code, 1);
    assert.match(restored.stderr, /"anna" has no deleted collection with id 9999; 'holdfast trash list anna' shows them/);
  });
});

describe('holdfast trash command lines', () => {
  const wrong: [string[], RegExp][] = [
    [['trash'], /'holdfast trash' needs one of: list, restore/],
    [['trash', 'empty', 'anna'], /unknown trash command "empty"/],
    [['trash', 'list'], /missing USER/],
    [['trash', 'list', 'anna', 'contacts'], /unexpected argument "contacts"/],
    [['trash', 'restore', 'anna'], /missing ITEM/],
    [['trash', 'restore', 'anna', 'contacts'], /ITEM is COLLECTION\/NAME, e.g. contacts\/anna\.vcf or photos\/2024\/img\.jpg; "contacts" does not name both/],
    [['trash', 'restore', 'anna', 'contacts/'], /"contacts\/" does not name both/],
    [['trash', 'restore', 'anna', 'a/../b.vcf'], /"a\/\.\.\/b\.vcf" is not valid/],
    [['trash', 'restore', 'anna', '--collection', 'seven'], /--collection takes the id of a deleted collection, a number as 'trash list' shows, not "seven"/],
    [['trash', 'restore', 'anna', '--collection', '3', 'contacts/x.vcf'], /unexpected argument "contacts\/x\.vcf"/],
    [['trash', 'restore', 'anna', 'contacts/x.vcf', '--as', 'y'], /--as renames a collection restored with --collection/],
    [['trash', 'restore', 'anna', '--collection', '3', '--as', 'a/b'], /--as: a collection name must not/],
  ];
  for (const [args, message] of wrong) {
    it(`'holdfast ${args.join(' ')}' exits 2, says what is wrong and shows the usage`, async () => {
      const fake = fakeIo({ env: { HOLDFAST_DATA_DIR: '/nonexistent/holdfast-test' } });
      assert.equal(await runCli(args, fake.io), 2);
      assert.match(fake.stderr(), message);
      assert.match(fake.stderr(), /\n\nUsage:\n {2}holdfast trash list USER/);
      assert.equal(fake.stdout(), '');
    });
  }

  for (const args of [['trash', '--help'], ['trash', 'list', '--help'], ['trash', 'restore', '-h'], ['help', 'trash']]) {
    it(`'holdfast ${args.join(' ')}' prints the usage and exits 0 without opening a store`, async () => {
      const fake = fakeIo({ env: { HOLDFAST_DATA_DIR: '/nonexistent/holdfast-test' } });
      assert.equal(await runCli(args, fake.io), 0, fake.stderr());
      assert.match(fake.stdout(), /^Usage:\n {2}holdfast trash list USER \[--json\]\n {2}holdfast trash restore USER ITEM\n/);
      assert.match(fake.stdout(), /--collection ID/);
      assert.equal(fake.stderr(), '');
    });
  }
});
