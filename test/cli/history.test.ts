// `holdfast history …` against a real store, through the real command: every revision of
// an item, and an older one's content written back as a new revision.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import type { UserStore } from '../../src/store/store.ts';
import { fakeIo } from './fake-io.ts';
import { dataDirectoryForEachTest, holdfast, withOpenStore } from './holdfast-process.ts';

const data = dataDirectoryForEachTest();

/** Runs `use` on anna's data (anna is made on first use), closing the store afterwards. */
function withAnna<T>(use: (user: UserStore) => Promise<T>): Promise<T> {
  return withOpenStore(data.dir, async (store) => {
    const existing = await store.accounts.getUserByName('anna');
    const anna = existing ?? (await store.accounts.createUser('anna', 'not-a-real-hash')).user;
    return use(store.forUser(anna.id));
  });
}

/** Writes `content` as revision `revisionId` (client-made ids keep the tests readable). */
async function put(user: UserStore, collection: string, name: string, content: string, revisionId: string, author = 'test'): Promise<void> {
  const bytes = new TextEncoder().encode(content);
  const written = await user.putItem(collection, name, bytes, { contentType: 'text/plain', author, revisionId });
  assert.equal(written.kind, 'written');
}

async function liveContent(user: UserStore, collection: string, name: string): Promise<{ revisionId: string; text: string }> {
  const item = await user.getItem(collection, name);
  assert.ok(item && !item.deleted, `${collection}/${name} is live`);
  const content = await user.readContent(item.head.id);
  assert.ok(content);
  const chunks: Uint8Array[] = [];
  for await (const chunk of content.open()) chunks.push(chunk);
  return { revisionId: item.head.id, text: Buffer.concat(chunks).toString('utf8') };
}

/** contacts/ben.vcf: written twice (rev-ben-first by Thunderbird, rev-ben-second by DAVx5), then deleted (rev-ben-deleted by iOS). */
async function benWrittenTwiceThenDeleted(): Promise<void> {
  await withAnna(async (user) => {
    await user.createCollection({ name: 'contacts', kind: 'contacts' });
    await put(user, 'contacts', 'ben.vcf', 'first', 'rev-ben-first', 'dav:Thunderbird');
    await put(user, 'contacts', 'ben.vcf', 'second, longer', 'rev-ben-second', 'dav:DAVx5');
    const deleted = await user.deleteItem('contacts', 'ben.vcf', { author: 'dav:iOS', revisionId: 'rev-ben-deleted' });
    assert.equal(deleted.kind, 'deleted');
  });
}

async function history(...args: string[]) {
  return holdfast(['history', ...args, '--data', data.dir]);
}

interface RevisionJson {
  id: string;
  createdAt: string;
  author: string;
  deleted: boolean;
  size: number | null;
  contentHash: string | null;
  contentType: string | null;
  restoredFrom: string | null;
}

async function historyJson(item: string): Promise<RevisionJson[]> {
  const listed = await history('anna', item, '--json');
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as RevisionJson[];
}

describe('holdfast history', () => {
  it('lists every revision newest first, with the deletion and the restore marked', async () => {
    await benWrittenTwiceThenDeleted();
    const undeleted = await holdfast(['trash', 'restore', 'anna', 'contacts/ben.vcf', '--data', data.dir]);
    assert.equal(undeleted.code, 0, undeleted.stderr);
    const restoredId = undeleted.stdout.trim();

    const revisions = await historyJson('contacts/ben.vcf');
    assert.deepEqual(
      revisions.map(({ id, author, deleted, size, restoredFrom }) => ({ id, author, deleted, size, restoredFrom })),
      [
        { id: restoredId, author: 'cli', deleted: false, size: 14, restoredFrom: 'rev-ben-second' },
        { id: 'rev-ben-deleted', author: 'dav:iOS', deleted: true, size: null, restoredFrom: null },
        { id: 'rev-ben-second', author: 'dav:DAVx5', deleted: false, size: 14, restoredFrom: null },
        { id: 'rev-ben-first', author: 'dav:Thunderbird', deleted: false, size: 5, restoredFrom: null },
      ],
    );
    assert.deepEqual(Object.keys(revisions[0] ?? {}).sort(), [
      'author',
      'contentHash',
      'contentType',
      'createdAt',
      'deleted',
      'id',
      'restoredFrom',
      'size',
    ]);
    assert.equal(revisions[0]?.contentHash, revisions[2]?.contentHash);
    assert.match(revisions[3]?.contentHash ?? '', /^[0-9a-f]{64}$/);

    const table = await history('anna', 'contacts/ben.vcf');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(lines[0] ?? '', /^REVISION\s+WHEN\s+AUTHOR\s+SIZE\s+HASH\s+NOTE$/);
    const shortHash = (revisions[0]?.contentHash ?? '').slice(0, 12);
    assert.match(lines[1] ?? '', new RegExp(`^${restoredId}\\s+\\S+\\s+cli\\s+14 bytes\\s+${shortHash}\\s+restored from rev-ben-second, current$`));
    assert.match(lines[2] ?? '', /^rev-ben-deleted\s+\S+\s+dav:iOS\s+-\s+-\s+deleted$/);
    assert.match(lines[3] ?? '', /^rev-ben-second\s+\S+\s+dav:DAVx5\s+14 bytes\s+[0-9a-f]{12}$/);
    assert.match(lines[4] ?? '', /^rev-ben-first\s+\S+\s+dav:Thunderbird\s+5 bytes\s+[0-9a-f]{12}$/);
    assert.equal(lines.length, 6);
  });

  it('takes nested collection paths', async () => {
    await withAnna(async (user) => {
      await user.createCollection({ name: 'photos', kind: 'files' });
      await user.createCollection({ name: '2024', kind: 'files', parent: 'photos' });
      await put(user, 'photos/2024', 'img.jpg', 'jpeg', 'rev-img-0001');
    });
    assert.deepEqual(
      (await historyJson('photos/2024/img.jpg')).map((revision) => revision.id),
      ['rev-img-0001'],
    );
  });

  it('of an unknown item, collection or user fails with exit 1 and says where to look', async () => {
    await benWrittenTwiceThenDeleted();
    const noItem = await history('anna', 'contacts/x.vcf');
    assert.equal(noItem.code, 1);
    assert.equal(noItem.stdout, '');
    assert.match(noItem.stderr, /^holdfast: no item "x\.vcf" in "contacts"; 'holdfast trash list anna' shows deleted items\n$/);

    const noCollection = await history('anna', 'nowhere/x.vcf');
    assert.equal(noCollection.code, 1);
    assert.match(noCollection.stderr, /"anna" has no collection "nowhere"/);

    const noUser = await history('bob', 'contacts/ben.vcf');
    assert.equal(noUser.code, 1);
    assert.match(noUser.stderr, /no user named "bob"; 'holdfast user list' shows the users/);
  });
});

describe('holdfast history restore', () => {
  it('writes an old revision back as the new head, by "cli", keeping the history', async () => {
    await withAnna(async (user) => {
      await user.createCollection({ name: 'contacts', kind: 'contacts' });
      await put(user, 'contacts', 'ben.vcf', 'first', 'rev-ben-first');
      await put(user, 'contacts', 'ben.vcf', 'second', 'rev-ben-second');
    });
    const restored = await history('restore', 'anna', 'contacts/ben.vcf', 'rev-ben-first');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stderr, /^Restored the content of revision rev-ben-first of "contacts\/ben\.vcf" \(5 bytes\) as its new revision /);
    const newRevision = restored.stdout.trim();

    await withAnna(async (user) => {
      assert.deepEqual(await liveContent(user, 'contacts', 'ben.vcf'), { revisionId: newRevision, text: 'first' });
    });
    const revisions = await historyJson('contacts/ben.vcf');
    assert.deepEqual(
      revisions.map(({ id, author, restoredFrom }) => ({ id, author, restoredFrom })),
      [
        { id: newRevision, author: 'cli', restoredFrom: 'rev-ben-first' },
        { id: 'rev-ben-second', author: 'test', restoredFrom: null },
        { id: 'rev-ben-first', author: 'test', restoredFrom: null },
      ],
    );
  });

  it('brings a deleted item back from the trash, and takes the start of a revision id', async () => {
    await benWrittenTwiceThenDeleted();
    const restored = await history('restore', 'anna', 'contacts/ben.vcf', 'rev-ben-f');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stderr, /it was in the trash and is back/);
    await withAnna(async (user) => assert.equal((await liveContent(user, 'contacts', 'ben.vcf')).text, 'first'));
  });

  it('of the content the item already has writes nothing and exits 0', async () => {
    await withAnna(async (user) => {
      await user.createCollection({ name: 'contacts', kind: 'contacts' });
      await put(user, 'contacts', 'ben.vcf', 'only', 'rev-ben-first');
    });
    const restored = await history('restore', 'anna', 'contacts/ben.vcf', 'rev-ben-first');
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(restored.stdout, '');
    assert.match(restored.stderr, /already has the content of revision rev-ben-first/);
    assert.equal((await historyJson('contacts/ben.vcf')).length, 1);
  });

  it('of an unknown, ambiguous or deleting revision fails with exit 1 and changes nothing', async () => {
    await benWrittenTwiceThenDeleted();
    const cases: [string, RegExp][] = [
      ['rev-nope-0001', /^holdfast: "contacts\/ben\.vcf" of "anna" has no revision "rev-nope-0001"; 'holdfast history anna contacts\/ben\.vcf' lists its revisions\n$/],
      ['rev-ben', /"rev-ben" is the start of 3 revisions of "contacts\/ben\.vcf"; give more of the id/],
      ['rev-ben-deleted', /revision rev-ben-deleted is a deletion and has no content to restore; pick one before it/],
    ];
    for (const [revision, message] of cases) {
      const restored = await history('restore', 'anna', 'contacts/ben.vcf', revision);
      assert.equal(restored.code, 1, revision);
      assert.equal(restored.stdout, '');
      assert.match(restored.stderr, message);
    }
    assert.equal((await historyJson('contacts/ben.vcf')).length, 3);
  });

  it('of an unknown item or user fails with exit 1', async () => {
    await benWrittenTwiceThenDeleted();
    const noItem = await history('restore', 'anna', 'contacts/x.vcf', 'rev-ben-first');
    assert.equal(noItem.code, 1);
    assert.match(noItem.stderr, /no item "x\.vcf" in "contacts"; 'holdfast trash list anna' shows deleted items/);
    const noUser = await history('restore', 'bob', 'contacts/ben.vcf', 'rev-ben-first');
    assert.equal(noUser.code, 1);
    assert.match(noUser.stderr, /no user named "bob"/);
  });
});

describe('holdfast history command lines', () => {
  const wrong: [string[], RegExp][] = [
    [['history'], /missing USER and ITEM/],
    [['history', 'anna'], /missing ITEM/],
    [['history', 'anna', 'ben.vcf'], /ITEM is COLLECTION\/NAME, e.g. contacts\/anna\.vcf or photos\/2024\/img\.jpg; "ben\.vcf" does not name both/],
    [['history', 'anna', 'contacts/ben.vcf', 'extra'], /unexpected argument "extra"/],
    [['history', 'anna', 'contacts/ben.vcf', '--frobnicate'], /unknown option '--frobnicate'/],
    [['history', 'restore', 'anna', 'contacts/ben.vcf'], /missing REVISION/],
    [['history', 'restore', 'anna', 'contacts/ben.vcf', ''], /REVISION is empty/],
    [['history', 'restore', 'anna', 'contacts', 'rev-1'], /"contacts" does not name both/],
    [['history', 'restore', 'anna', 'contacts/ben.vcf', 'rev-1', 'rev-2'], /unexpected argument "rev-2"/],
  ];
  for (const [args, message] of wrong) {
    it(`'holdfast ${args.join(' ')}' exits 2, says what is wrong and shows the usage`, async () => {
      const fake = fakeIo({ env: { HOLDFAST_DATA_DIR: '/nonexistent/holdfast-test' } });
      assert.equal(await runCli(args, fake.io), 2);
      assert.match(fake.stderr(), message);
      assert.match(fake.stderr(), /\n\nUsage:\n {2}holdfast history USER ITEM/);
      assert.equal(fake.stdout(), '');
    });
  }

  const helpCalls = [
    ['history', '--help'],
    ['history', 'anna', 'contacts/ben.vcf', '-h'],
    ['history', 'restore', '--help'],
    ['history', 'help'],
    ['help', 'history'],
  ];
  for (const args of helpCalls) {
    it(`'holdfast ${args.join(' ')}' prints the usage and exits 0 without opening a store`, async () => {
      const fake = fakeIo({ env: { HOLDFAST_DATA_DIR: '/nonexistent/holdfast-test' } });
      assert.equal(await runCli(args, fake.io), 0, fake.stderr());
      assert.match(fake.stdout(), /^Usage:\n {2}holdfast history USER ITEM \[--json\]\n {2}holdfast history restore USER ITEM REVISION\n/);
      assert.equal(fake.stderr(), '');
    });
  }
});
