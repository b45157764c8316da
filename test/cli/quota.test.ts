// `holdfast user quota` and the quota columns of `user list`, against a real store through
// the real command; and what `trash restore` and `history restore` say when a restore would
// take a user over their quota.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UserStore } from '../../src/store/store.ts';
import { dataDirectoryForEachTest, holdfast, withOpenStore } from './holdfast-process.ts';

const data = dataDirectoryForEachTest();
const GiB = 1024 ** 3;

interface UserJson {
  name: string;
  usedBytes: number;
  quotaBytes: number | null;
  ownQuotaBytes: number | null;
}

/** Runs `use` on anna's data (anna is made on first use), closing the store afterwards. */
function withAnna<T>(use: (user: UserStore) => Promise<T>): Promise<T> {
  return withOpenStore(data.dir, async (store) => {
    const existing = await store.accounts.getUserByName('anna');
    const anna = existing ?? (await store.accounts.createUser('anna', 'not-a-real-hash')).user;
    return use(store.forUser(anna.id));
  });
}

async function put(user: UserStore, name: string, size: number): Promise<string> {
  const written = await user.putItem('files', name, Buffer.alloc(size, 1), { contentType: 'application/octet-stream', author: 'test' });
  assert.ok(written.kind === 'written');
  return written.revision.id;
}

async function listJson(env: Record<string, string> = {}): Promise<UserJson[]> {
  const listed = await holdfast(['user', 'list', '--json', '--data', data.dir], { env });
  assert.equal(listed.code, 0, listed.stderr);
  return JSON.parse(listed.stdout) as UserJson[];
}

describe('holdfast user quota', () => {
  it('sets a quota with a unit, shows it with the usage in user list (table and JSON), and none hands the user back to the default', async () => {
    await withAnna((user) => put(user, 'photo.jpg', 1536).then(() => undefined));
    const set = await holdfast(['user', 'quota', 'anna', '10GiB', '--data', data.dir]);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, '');
    assert.match(set.stderr, /Set the quota of "anna" to 10\.0 GiB \(10737418240 bytes\)\. They use 1\.5 KiB\./);

    const [anna] = await listJson();
    assert.deepEqual(
      { name: anna?.name, usedBytes: anna?.usedBytes, quotaBytes: anna?.quotaBytes, ownQuotaBytes: anna?.ownQuotaBytes },
      { name: 'anna', usedBytes: 1536, quotaBytes: 10 * GiB, ownQuotaBytes: 10 * GiB },
    );
    const table = await holdfast(['user', 'list', '--data', data.dir]);
    assert.match(table.stdout.split('\n')[0] ?? '', /^NAME\s+CREATED\s+DELETED\s+USED\s+QUOTA$/);
    assert.match(table.stdout.split('\n')[1] ?? '', /^anna\s+\S+\s+-\s+1\.5 KiB\s+10\.0 GiB$/);

    const cleared = await holdfast(['user', 'quota', 'anna', 'none', '--data', data.dir], { env: { HOLDFAST_DEFAULT_QUOTA_BYTES: '5 GiB' } });
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stderr, /"anna" has no quota of their own now: the server's default applies, 5\.0 GiB/);
    const [withDefault] = await listJson({ HOLDFAST_DEFAULT_QUOTA_BYTES: '5 GiB' });
    assert.equal(withDefault?.quotaBytes, 5 * GiB);
    assert.equal(withDefault?.ownQuotaBytes, null);
    const defaultTable = await holdfast(['user', 'list', '--data', data.dir], { env: { HOLDFAST_DEFAULT_QUOTA_BYTES: '5 GiB' } });
    assert.match(defaultTable.stdout.split('\n')[1] ?? '', /\s5\.0 GiB \(default\)$/);
    const [unlimited] = await listJson();
    assert.equal(unlimited?.quotaBytes, null, 'no default configured: no limit');
    assert.match((await holdfast(['user', 'list', '--data', data.dir])).stdout.split('\n')[1] ?? '', /\snone$/);
  });

  it('takes plain bytes, and says so when the new quota is below what the user already uses', async () => {
    await withAnna((user) => put(user, 'big', 5000).then(() => undefined));
    const lowered = await holdfast(['user', 'quota', 'anna', '4096', '--data', data.dir]);
    assert.equal(lowered.code, 0, lowered.stderr);
    assert.match(lowered.stderr, /That is over the quota: nothing is deleted, but writes that add content are refused/);
    assert.equal((await listJson())[0]?.quotaBytes, 4096);
    await withAnna(async (user) => assert.equal((await user.getItem('files', 'big'))?.deleted, false, 'nothing was removed'));
  });

  it('refuses a size it cannot read with exit 2, and a user who does not exist with exit 1, changing nothing', async () => {
    await withAnna(async () => undefined);
    for (const bad of ['10 gigs', '1.5GiB', 'unlimited', '']) {
      const refused = await holdfast(['user', 'quota', 'anna', bad, '--data', data.dir]);
      assert.equal(refused.code, 2, `${bad}: ${refused.stderr}`);
      assert.match(refused.stderr, /SIZE must be a number of bytes or a number with a unit .* or none/);
    }
    const missing = await holdfast(['user', 'quota', 'nobody', '1GiB', '--data', data.dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no user named "nobody"/);
    const noSize = await holdfast(['user', 'quota', 'anna', '--data', data.dir]);
    assert.equal(noSize.code, 2);
    assert.match(noSize.stderr, /missing SIZE/);
    assert.equal((await listJson())[0]?.ownQuotaBytes, null);
  });
});

describe('restores over quota', () => {
  it('trash restore and history restore refuse with exit 1, say how much is used and how to raise the quota, and change nothing', async () => {
    const first = await withAnna(async (user) => {
      const old = await put(user, 'report.pdf', 3000);
      await put(user, 'report.pdf', 1000);
      await put(user, 'binned.pdf', 2000);
      assert.equal((await user.deleteItem('files', 'binned.pdf', { author: 'test' })).kind, 'deleted');
      return old;
    });
    assert.equal((await holdfast(['user', 'quota', 'anna', '2500', '--data', data.dir])).code, 0);

    const undelete = await holdfast(['trash', 'restore', 'anna', 'files/binned.pdf', '--data', data.dir]);
    assert.equal(undelete.code, 1);
    assert.equal(undelete.stdout, '');
    assert.match(
      undelete.stderr,
      /not restored: it would take "anna" over their quota \(they use 1000 bytes of 2\.4 KiB\); nothing was changed\. Raise the quota with 'holdfast user quota anna SIZE'/,
    );
    const restore = await holdfast(['history', 'restore', 'anna', 'files/report.pdf', first, '--data', data.dir]);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /over their quota/);
    await withAnna(async (user) => {
      assert.equal((await user.getItem('files', 'binned.pdf'))?.deleted, true);
      assert.equal((await user.getItem('files', 'report.pdf'))?.head.size, 1000);
    });

    assert.equal((await holdfast(['user', 'quota', 'anna', 'none', '--data', data.dir])).code, 0);
    assert.equal((await holdfast(['trash', 'restore', 'anna', 'files/binned.pdf', '--data', data.dir])).code, 0, 'with room, it restores');
  });
});
