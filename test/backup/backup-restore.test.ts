// Backup and restore on real stores and real targets: a directory and S3 (s3rver; no real
// S3 server can be installed on this machine, see s3-server.ts).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { restoreToPointInTime } from '../../src/backup/restore.ts';
import { verifyBackup } from '../../src/backup/verify.ts';
import { inspectDataDirectory } from '../../src/store/data-directory.ts';
import { backupFixture, INLINE_LIMIT, openRestored, readAll, vcard } from './backup-fixture.ts';
import { startS3 } from './s3-server.ts';
import type { RunningS3 } from './s3-server.ts';

let s3: RunningS3;
before(async () => {
  s3 = await startS3();
});
after(async () => {
  await s3.close();
});

for (const kind of ['directory', 's3'] as const) {
  describe(`backup to a ${kind} target`, () => {
    const fixture = () => backupFixture(kind === 's3' ? s3 : undefined);

    test('a restore brings back every item, revision, blob, collection change and account, as a new generation of the same store', async () => {
      const f = await fixture();
      try {
        const created = await f.store.accounts.createUser('anna', 'hash-of-annas-password');
        assert.equal(created.kind, 'created');
        const anna = f.store.forUser(created.user.id);
        await anna.putItem('contacts', 'bob.vcf', vcard('bob', 'Bob'), { contentType: 'text/vcard', author: 'test', uniqueKey: 'bob' });
        // Shipped once before more writes: the next pass goes on from the checkpoint.
        const first = await f.shipper.pass();
        assert.equal(first.snapshots, 1);
        const photo = randomBytes(INLINE_LIMIT * 5);
        assert.equal((await anna.createCollection({ name: 'photos', kind: 'files' })).kind, 'created');
        const put = await anna.putItem('photos', 'cat.jpg', photo, { contentType: 'image/jpeg', author: 'test' });
        assert.equal(put.kind, 'written');
        await anna.putItem('contacts', 'bob.vcf', vcard('bob', 'Robert'), { contentType: 'text/vcard', author: 'test', uniqueKey: 'bob' });
        await anna.deleteItem('contacts', 'bob.vcf', { author: 'test' });
        await anna.updateCollection('photos', { displayName: 'Photos' });
        await f.store.accounts.addCredential({ id: 'cred1', userId: created.user.id, kind: 'app-password', label: 'phone', secretHash: 'h1', expiresAt: null });
        assert.equal(await f.store.accounts.setQuota(created.user.id, 50 * 1024 * 1024), true);
        const second = await f.shipper.pass();
        assert.equal(second.blobs, 1);
        const identity = await f.store.identity();
        assert.equal(second.shippedSeq, identity.sequence);

        const to = join(f.root, 'restored');
        const outcome = await restoreToPointInTime({ target: f.target, to, point: { kind: 'latest' } });
        assert.equal(outcome.kind, 'restored', JSON.stringify(outcome));
        if (outcome.kind !== 'restored') return;
        assert.deepEqual(outcome.integrity.problems, []);
        assert.equal(outcome.storeId, identity.storeId);
        assert.equal(outcome.generation, identity.generation + 1);
        assert.equal(outcome.seq, identity.sequence);

        const restored = await openRestored(to);
        try {
          const restoredIdentity = await restored.identity();
          assert.deepEqual(restoredIdentity, { storeId: identity.storeId, generation: identity.generation + 1, sequence: identity.sequence });
          assert.deepEqual(await restored.changesSince({ after: 0, limit: 10_000 }), await f.store.changesSince({ after: 0, limit: 10_000 }));
          const user = await restored.accounts.getUserByName('anna');
          assert.ok(user);
          assert.equal(await restored.accounts.passwordHash(user.id), 'hash-of-annas-password');
          assert.equal((await restored.accounts.findCredential('app-password', 'h1'))?.label, 'phone');
          const view = restored.forUser(user.id);
          // The quota comes back, and the usage it is checked against is the restored content's.
          assert.deepEqual(await view.usage(), await f.store.forUser(user.id).usage());
          assert.equal((await view.usage()).quotaBytes, 50 * 1024 * 1024);
          const cat = await view.getItem('photos', 'cat.jpg');
          assert.ok(cat && !cat.deleted);
          assert.ok((await readAll(await view.readContent(cat.head.id))).equals(photo));
          assert.equal((await view.getCollection('photos'))?.props.displayName, 'Photos');
          const history = await view.history('contacts', 'bob.vcf');
          assert.deepEqual(history?.map((r) => r.deleted), [true, false, false]);
          assert.equal((await readAll(await view.readContent(history?.[1]?.id ?? ''))).toString(), vcard('bob', 'Robert').toString());
          // The unique key came back: another contact with Bob's UID is refused once he is undeleted.
          assert.equal((await view.undelete('contacts', 'bob.vcf', { author: 'test' })).kind, 'restored');
          const clash = await view.putItem('contacts', 'other.vcf', vcard('bob', 'Imposter'), { contentType: 'text/vcard', author: 'test', uniqueKey: 'bob' });
          assert.equal(clash.kind, 'key-conflict');
        } finally {
          await restored.close();
        }
      } finally {
        await f.cleanup();
      }
    });

    test('restore to a moment between two edits of the same contact gives the first edit', async () => {
      const f = await fixture();
      try {
        const created = await f.store.accounts.createUser('anna', 'h');
        assert.equal(created.kind, 'created');
        const anna = f.store.forUser(created.user.id);
        await f.shipper.pass();
        const firstEdit = await anna.putItem('contacts', 'bob.vcf', vcard('bob', 'First'), { contentType: 'text/vcard', author: 'test' });
        assert.equal(firstEdit.kind, 'written');
        await new Promise((resolve) => setTimeout(resolve, 20));
        const between = new Date();
        await new Promise((resolve) => setTimeout(resolve, 20));
        await anna.putItem('contacts', 'bob.vcf', vcard('bob', 'Second'), { contentType: 'text/vcard', author: 'test' });
        await f.shipper.pass();

        for (const point of [{ kind: 'time' as const, at: between }, { kind: 'seq' as const, seq: firstEdit.kind === 'written' ? firstEdit.revision.seq : 0 }]) {
          const to = join(f.root, `restored-${point.kind}`);
          const outcome = await restoreToPointInTime({ target: f.target, to, point });
          assert.equal(outcome.kind, 'restored', JSON.stringify(outcome));
          const restored = await openRestored(to);
          try {
            const item = await restored.forUser(created.user.id).getItem('contacts', 'bob.vcf');
            assert.ok(item);
            assert.equal((await readAll(await restored.forUser(created.user.id).readContent(item.head.id))).toString(), vcard('bob', 'First').toString());
          } finally {
            await restored.close();
          }
        }
      } finally {
        await f.cleanup();
      }
    });

    test('verify passes on a good backup, and names a flipped bit in a segment and a missing blob', async () => {
      const f = await fixture();
      try {
        const created = await f.store.accounts.createUser('anna', 'h');
        assert.equal(created.kind, 'created');
        const anna = f.store.forUser(created.user.id);
        await f.shipper.pass();
        await anna.putItem('files', 'a.bin', randomBytes(INLINE_LIMIT * 3), { contentType: 'application/octet-stream', author: 'test' });
        await f.shipper.pass();
        await anna.putItem('contacts', 'bob.vcf', vcard('bob', 'Bob'), { contentType: 'text/vcard', author: 'test' });
        await f.shipper.pass();
        const good = await verifyBackup(f.target);
        assert.deepEqual(good.problems, []);
        assert.equal(good.ok, true);
        assert.ok(good.checked.segments >= 1 && good.checked.blobs === 1);

        // Damage a copy of the target: the bad objects are written as a new target (S3
        // and the directory target are both append-only, so damage is done beside them).
        const damagedRoot = join(f.root, 'damaged');
        const objects = await f.target.list('');
        // The last segment (Bob's contact) gets a flipped bit; the blob an earlier one names goes missing.
        const segment = objects.filter((o) => o.key.includes('/segments/')).at(-1);
        const blob = objects.find((o) => o.key.startsWith('blobs/'));
        assert.ok(segment && blob);
        for (const object of objects) {
          if (object.key === blob.key) continue; // the missing blob
          const data = Buffer.from((await f.target.get(object.key)) ?? []);
          if (object.key === segment.key) data.writeUInt8((data.readUInt8(data.length >> 1) ^ 0x10), data.length >> 1); // one flipped bit
          const path = join(damagedRoot, ...object.key.split('/'));
          await mkdir(join(path, '..'), { recursive: true });
          await writeFile(path, data);
        }
        const { openDirectoryTarget } = await import('../../src/backup/directory-target.ts');
        const damaged = await openDirectoryTarget(damagedRoot);
        const report = await verifyBackup(damaged);
        assert.equal(report.ok, false);
        assert.ok(report.problems.some((p) => p.includes(segment.key) && p.includes('checksum')), report.problems.join('\n'));
        assert.ok(report.problems.some((p) => p.includes(blob.key) && p.includes('missing')), report.problems.join('\n'));
      } finally {
        await f.cleanup();
      }
    });
  });
}

test('restore refuses a directory that holds a store unless forced, and then moves it aside instead of deleting it', async () => {
  const f = await backupFixture();
  try {
    await f.shipper.pass();
    const first = await restoreToPointInTime({ target: f.target, to: join(f.root, 'r'), point: { kind: 'latest' } });
    assert.equal(first.kind, 'restored');
    const again = await restoreToPointInTime({ target: f.target, to: join(f.root, 'r'), point: { kind: 'latest' } });
    assert.equal(again.kind, 'refused');
    assert.match(again.kind === 'refused' ? again.reason : '', /holds store .*--force/);
    const forced = await restoreToPointInTime({ target: f.target, to: join(f.root, 'r'), point: { kind: 'latest' }, force: true });
    assert.equal(forced.kind, 'restored');
    const aside = forced.kind === 'restored' ? forced.movedAside : null;
    assert.ok(aside);
    assert.equal((await inspectDataDirectory(aside)).kind, 'store');
    assert.ok((await readdir(f.root)).includes(aside.slice(f.root.length + 1)));
  } finally {
    await f.cleanup();
  }
});

test('a point the target does not cover is refused with the range it does cover', async () => {
  const f = await backupFixture();
  try {
    await f.shipper.pass();
    const outcome = await restoreToPointInTime({ target: f.target, to: join(f.root, 'r'), point: { kind: 'time', at: new Date('2001-01-01T00:00:00Z') } });
    assert.equal(outcome.kind, 'not-covered');
    assert.match(outcome.kind === 'not-covered' ? outcome.reason : '', /does not cover 2001-01-01.*generation 1/);
  } finally {
    await f.cleanup();
  }
});
