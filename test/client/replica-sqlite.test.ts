// The SQLite replica keeps what it acknowledged across a close and reopen of its file.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import { createSyncClient } from '../../client/sync-client.ts';

test('a local write and its outbox entry survive reopening the replica file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-replica-'));
  try {
    const file = join(dir, 'replica.sqlite');
    const first = openSqliteReplica(file);
    const client = createSyncClient({ serverUrl: 'http://127.0.0.1:9', auth: { bearer: 'unused' }, replica: first, deviceId: 'phone' });
    const id = await client.put('notes', 'notes', 'a.txt', new TextEncoder().encode('hello'), 'text/plain');
    const tombstone = await client.delete('notes', 'a.txt');
    await client.put('notes', 'notes', 'b.txt', new TextEncoder().encode('bye'), 'text/plain');
    await first.close();

    const reopened = openSqliteReplica(file);
    try {
      assert.deepEqual((await reopened.outbox()).map((r) => r.id).slice(0, 2), [id, tombstone]);
      assert.equal((await reopened.outbox())[1]?.parentId, id, 'the tombstone is written on the head it deleted');
      const items = await reopened.listItems('notes');
      assert.deepEqual(items.map((i) => [i.name, i.deleted]), [['a.txt', true], ['b.txt', false]]);
      assert.equal(new TextDecoder().decode(items[1]?.content ?? new Uint8Array()), 'bye');
      assert.equal(await reopened.getCursor(), undefined);
    } finally {
      await reopened.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a device id that cannot go into a revision id is refused at once', async () => {
  const replica = openSqliteReplica(':memory:');
  assert.throws(
    () => createSyncClient({ serverUrl: 'http://127.0.0.1:9', auth: { bearer: 'x' }, replica, deviceId: 'my phone' }),
    /deviceId "my phone" must be/,
  );
  await replica.close();
});
