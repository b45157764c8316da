// A backup encrypted with a passphrase: nothing on the target is readable without it, a
// wrong passphrase is told apart from damage, and damage is still named.
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { restoreToPointInTime } from '../../src/backup/restore.ts';
import { TargetShipper } from '../../src/backup/ship.ts';
import { verifyBackup } from '../../src/backup/verify.ts';
import { randomBytes } from 'node:crypto';
import { backupFixture, INLINE_LIMIT, openRestored, readAll, vcard } from './backup-fixture.ts';

const PASSPHRASE = 'correct horse battery staple';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test('an encrypted backup holds no readable content, restores only with its passphrase, and names a damaged object', { timeout: 120_000 }, async () => {
  const f = await backupFixture();
  try {
    const created = await f.store.accounts.createUser('anna', 'h');
    assert.equal(created.kind, 'created');
    const anna = f.store.forUser(created.user.id);
    await anna.putItem('contacts', 'secret.vcf', vcard('secret', 'Zebediah Quixotic'), { contentType: 'text/vcard', author: 'test' });
    // A blob, streamed through the cipher.
    const photo = Buffer.concat([Buffer.from('Zebediah'), randomBytes(INLINE_LIMIT * 4)]);
    await anna.putItem('files', 'photo.bin', photo, { contentType: 'application/octet-stream', author: 'test' });
    const shipper = new TargetShipper(f.target, { store: f.store, source: f.source, passphrase: PASSPHRASE });
    await shipper.pass();
    await anna.putItem('contacts', 'later.vcf', vcard('later', 'Ophelia Marchbanks'), { contentType: 'text/vcard', author: 'test' });
    await shipper.pass();

    const targetDir = join(f.root, 'target');
    for (const file of await filesUnder(targetDir)) {
      const bytes = await readFile(file);
      for (const secret of ['Zebediah', 'Ophelia', 'anna', 'SQLite format']) {
        assert.ok(!bytes.includes(secret), `${file} holds "${secret}" in the clear`);
      }
    }

    const without = await restoreToPointInTime({ target: f.target, to: join(f.root, 'r0'), point: { kind: 'latest' } });
    assert.equal(without.kind, 'locked');
    assert.match(without.kind === 'locked' ? without.reason : '', /is encrypted: set HOLDFAST_BACKUP_PASSPHRASE/);
    const wrong = await restoreToPointInTime({ target: f.target, to: join(f.root, 'r1'), point: { kind: 'latest' }, passphrase: 'wrong' });
    assert.equal(wrong.kind, 'locked');
    assert.match(wrong.kind === 'locked' ? wrong.reason : '', /not the one .* was encrypted with/);

    const right = await restoreToPointInTime({ target: f.target, to: join(f.root, 'r2'), point: { kind: 'latest' }, passphrase: PASSPHRASE });
    assert.equal(right.kind, 'restored', JSON.stringify(right));
    const restored = await openRestored(join(f.root, 'r2'));
    try {
      const view = restored.forUser(created.user.id);
      const item = await view.getItem('contacts', 'later.vcf');
      assert.ok(item);
      assert.match((await readAll(await view.readContent(item.head.id))).toString(), /Ophelia Marchbanks/);
      const blob = await view.getItem('files', 'photo.bin');
      assert.ok(blob && (await readAll(await view.readContent(blob.head.id))).equals(photo));
    } finally {
      await restored.close();
    }
    assert.deepEqual((await verifyBackup(f.target, { passphrase: PASSPHRASE })).problems, []);

    // A plain backup must not be continued with a passphrase set, nor the other way round.
    const plain = new TargetShipper(f.target, { store: f.store, source: f.source });
    await assert.rejects(plain.pass(), /is encrypted: set HOLDFAST_BACKUP_PASSPHRASE/);

    const segments = (await filesUnder(targetDir)).filter((file) => file.includes(`${join('g1', 'segments')}`));
    const victim = segments.at(-1);
    assert.ok(victim);
    const bytes = await readFile(victim);
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 4, bytes.length >> 1);
    await writeFile(victim, bytes);
    const report = await verifyBackup(f.target, { passphrase: PASSPHRASE });
    assert.equal(report.ok, false);
    const name = victim.slice(targetDir.length + 1).split('\\').join('/');
    assert.ok(report.problems.some((p) => p.includes(name) && p.includes('fails its authentication check')), report.problems.join('\n'));
  } finally {
    await f.cleanup();
  }
});

test('a passphrase set for a target that holds a plain backup is refused, not silently ignored', async () => {
  const f = await backupFixture();
  try {
    await f.shipper.pass();
    const encrypting = new TargetShipper(f.target, { store: f.store, source: f.source, passphrase: PASSPHRASE });
    await assert.rejects(encrypting.pass(), /holds an unencrypted backup, but HOLDFAST_BACKUP_PASSPHRASE is set/);
  } finally {
    await f.cleanup();
  }
});
