// The server's follower applies retention by itself between passes (after each snapshot and
// daily): on a store whose clock moves a day per write, old snapshots and segments go
// while the newest point and every point of the kept window stay restorable.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCatalog } from '../../src/backup/catalog.ts';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { startBackupFollower } from '../../src/backup/follower.ts';
import { restoreToPointInTime } from '../../src/backup/restore.ts';
import { openBackupSource } from '../../src/backup/sqlite-source.ts';
import { verifyBackup } from '../../src/backup/verify.ts';
import { openStore } from '../../src/store/open-store.ts';
import { made, openRestored, readAll, vcard } from './backup-fixture.ts';
import { dayAt } from './retention-history.ts';

test('the follower prunes after its snapshots: the kept window restores, older snapshots are gone, verify passes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-retention-follower-'));
  try {
    let clock = dayAt(0);
    const now = () => clock;
    const dataDir = join(root, 'data');
    const opened = await openStore({ dataDir, initializeIfEmpty: true, cleanTemporaryFiles: true, now });
    assert.equal(opened.kind, 'opened');
    if (opened.kind !== 'opened') return;
    const store = opened.store;
    const created = await store.accounts.createUser('anna', 'hash');
    assert.equal(created.kind, 'created');
    if (created.kind !== 'created') return;
    const target = await openDirectoryTarget(await made(join(root, 'target')));
    const logs: string[] = [];
    const log = { info: (_: object, message: string) => logs.push(message), error: (_: object, message: string) => logs.push(`ERROR ${message}`) };
    const follower = startBackupFollower({
      store,
      source: openBackupSource(dataDir),
      targets: [target],
      log,
      snapshotEveryChanges: 2,
      pollMs: 60_000,
      now,
      retention: { policy: { keepAllDays: 2, keepDailyDays: 0, keepMonthlyMonths: 0 }, now },
    });
    try {
      for (let d = 0; d < 10; d += 1) {
        clock = dayAt(d);
        assert.equal((await store.forUser(created.user.id).putItem('contacts', 'bob.vcf', vcard('bob', `day ${d}`), { contentType: 'text/vcard', author: 'test' })).kind, 'written');
        clock = dayAt(d, 1);
        await store.forUser(created.user.id).putItem('contacts', 'eve.vcf', vcard('eve', `day ${d}`), { contentType: 'text/vcard', author: 'test' });
        clock = dayAt(d, 30);
        await follower.flush();
      }
    } finally {
      await follower.stop();
    }
    assert.ok(logs.some((m) => /backup retention removed [1-9]\d* snapshot/.test(m)), logs.join('\n'));
    assert.ok(!logs.some((m) => m.startsWith('ERROR')), logs.join('\n'));

    const reopened = await openDirectoryTarget(join(root, 'target'));
    const catalog = await readCatalog(reopened);
    assert.equal(catalog.kind, 'ok');
    if (catalog.kind !== 'ok') return;
    const snapshots = catalog.catalog.generations.flatMap((g) => g.snapshots);
    // Kept: the newest snapshot at or before two days ago, and everything after it.
    const windowFrom = new Date(dayAt(9, 30).getTime() - 2 * 24 * 60 * 60 * 1000).toISOString();
    assert.equal(snapshots.filter((s) => s.takenAt <= windowFrom).length, 1, snapshots.map((s) => s.takenAt).join());
    assert.ok(snapshots.length < 6, `${snapshots.length} snapshots left`);
    assert.equal((await verifyBackup(reopened)).ok, true);

    // A moment in the window, between day 8's two writes, restores exactly.
    const to = join(root, 'restored');
    const outcome = await restoreToPointInTime({ target: reopened, to, point: { kind: 'time', at: new Date(dayAt(8).getTime() + 1000) } });
    assert.equal(outcome.kind, 'restored', JSON.stringify(outcome));
    const restored = await openRestored(to);
    try {
      const view = restored.forUser(created.user.id);
      const text = async (name: string) => (await readAll(await view.readContent((await view.getItem('contacts', name))?.head.id ?? ''))).toString();
      assert.equal(await text('bob.vcf'), vcard('bob', 'day 8').toString());
      assert.equal(await text('eve.vcf'), vcard('eve', 'day 7').toString());
    } finally {
      await restored.close();
      await reopened.close();
      await store.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
