// Synchronous backup: a write resolves only once every target holds it, and a write a
// target cannot confirm fails (stored here, not acknowledged) instead of hanging.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCatalog } from '../../src/backup/catalog.ts';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { startBackupFollower } from '../../src/backup/follower.ts';
import { withSynchronousBackup } from '../../src/backup/synchronous.ts';
import { backupFixture, made, vcard } from './backup-fixture.ts';

const quiet = { info: () => undefined, error: () => undefined };

test('in sync mode a write resolves only after every target holds it', async () => {
  const f = await backupFixture();
  try {
    const second = await openDirectoryTarget(await made(join(f.root, 'second')));
    // A long poll: only the write itself can wake the shipper in time.
    const follower = startBackupFollower({ store: f.store, source: f.source, targets: [f.target, second], log: quiet, pollMs: 60_000 });
    const store = withSynchronousBackup(f.store, follower, 30_000);
    const created = await f.store.accounts.createUser('anna', 'h');
    assert.equal(created.kind, 'created');
    const written = await store.forUser(created.user.id).putItem('contacts', 'a.vcf', vcard('a', 'A'), { contentType: 'text/vcard', author: 'test' });
    assert.equal(written.kind, 'written');
    const seq = written.kind === 'written' ? written.revision.seq : 0;
    const targetsHold = async (change: number) => {
      for (const target of [f.target, second]) {
        const catalog = await readCatalog(target);
        assert.ok(catalog.kind === 'ok' && (catalog.catalog.generations[0]?.lastSeq ?? 0) >= change, `${target.description} holds change ${change}`);
      }
    };
    await targetsHold(seq);
    // A device's push (the sync API) waits too.
    const imported = await store.forUser(created.user.id).importRevision({
      collection: 'contacts',
      collectionKind: 'contacts',
      name: 'b.vcf',
      revisionId: 'device-1-rev-1',
      parentId: null,
      expectedHeadId: null,
      deleted: false,
      content: { kind: 'bytes', source: vcard('b', 'B') },
      contentType: 'text/vcard',
      author: 'device:test',
      createdAt: new Date().toISOString(),
    });
    assert.equal(imported.kind, 'written', JSON.stringify(imported));
    await targetsHold((await f.store.identity()).sequence);
    await follower.stop();
  } finally {
    await f.cleanup();
  }
});

test('in sync mode a write that a target cannot confirm fails, and is still stored on the server', async () => {
  const f = await backupFixture();
  try {
    const unmounted = await openDirectoryTarget(join(f.root, 'not-mounted'));
    const follower = startBackupFollower({ store: f.store, source: f.source, targets: [unmounted], log: quiet });
    const store = withSynchronousBackup(f.store, follower, 300);
    const created = await f.store.accounts.createUser('anna', 'h');
    assert.equal(created.kind, 'created');
    await assert.rejects(
      store.forUser(created.user.id).putItem('contacts', 'a.vcf', vcard('a', 'A'), { contentType: 'text/vcard', author: 'test' }),
      /a backup target did not confirm it within 0.3 s .* so it is not acknowledged/,
    );
    assert.ok(await f.store.forUser(created.user.id).getItem('contacts', 'a.vcf'));
    // Reads do not wait for the backup.
    assert.equal((await store.forUser(created.user.id).listItems('contacts'))?.length, 1);
    await follower.stop();
  } finally {
    await f.cleanup();
  }
});
