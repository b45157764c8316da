// `holdfast backup run|status|list|verify` and `holdfast restore` as a person or a script
// runs them: real processes on a real store and real targets.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { holdfast, temporaryDirectory, withOpenStore } from '../cli/holdfast-process.ts';
import { S3_BUCKET, startS3 } from './s3-server.ts';
import type { RunningS3 } from './s3-server.ts';
import { storeWithUser } from './server-process.ts';
import { made } from './backup-fixture.ts';

let s3: RunningS3;
let root: { dir: string; cleanup: () => Promise<void> };
let dataDir: string;
before(async () => {
  s3 = await startS3();
  root = await temporaryDirectory();
  dataDir = join(root.dir, 'data');
  await storeWithUser(dataDir);
  await withOpenStore(dataDir, async (store) => {
    const anna = await createAccounts(store.accounts).listUsers();
    const user = store.forUser(anna[0]?.id ?? 0);
    await user.putItem('files', 'big.bin', randomBytes(200 * 1024), { contentType: 'application/octet-stream', author: 'test' });
    await user.putItem('contacts', 'a.vcf', Buffer.from('BEGIN:VCARD\r\nVERSION:4.0\r\nUID:a\r\nFN:A\r\nEND:VCARD\r\n'), { contentType: 'text/vcard', author: 'test' });
  });
});
after(async () => {
  await s3.close();
  await root.cleanup();
});

test('backup run ships to a directory and to S3 at once, and a second run ships nothing new', async () => {
  const targets = ['--target', `dir:${await made(join(root.dir, 'run-backup'))}`, '--target', `s3://${S3_BUCKET}/run-${process.pid}`];
  const first = await holdfast(['backup', 'run', '--data', dataDir, ...targets, '--json'], { env: s3.env });
  assert.equal(first.code, 0, first.stderr);
  const results = JSON.parse(first.stdout) as Array<{ ok: boolean; snapshots: number; blobs: number; shippedSeq: number }>;
  assert.equal(results.length, 2);
  for (const result of results) {
    assert.equal(result.ok, true);
    assert.equal(result.snapshots, 1);
    assert.equal(result.blobs, 1);
  }
  const again = await holdfast(['backup', 'run', '--data', dataDir, ...targets], { env: s3.env });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /shipped 0 change\(s\), 0 blob\(s\), 0 snapshot\(s\); holds everything up to sequence \d+/);
  assert.ok(!again.stdout.includes('S3RVER') && !again.stderr.includes('S3RVER'), 'no credential in the output');

  const status = await holdfast(['backup', 'status', '--data', dataDir, ...targets, '--json'], { env: s3.env });
  assert.equal(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { store: { sequence: number }; targets: Array<{ behindChanges: number; shippedSeq: number }> };
  for (const target of parsed.targets) {
    assert.equal(target.behindChanges, 0);
    assert.equal(target.shippedSeq, parsed.store.sequence);
  }

  const list = await holdfast(['backup', 'list', ...targets], { env: s3.env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /generation 1: sequence \d+ to \d+/);
});

test('backup verify passes a good target, fails a damaged one naming the object, and restore --json reports the damage', async () => {
  const backup = await made(join(root.dir, 'verify-backup'));
  assert.equal((await holdfast(['backup', 'run', '--data', dataDir, '--target', `dir:${backup}`])).code, 0);
  const good = await holdfast(['backup', 'verify', '--target', `dir:${backup}`]);
  assert.equal(good.code, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /OK — 1 snapshot\(s\), \d+ segment\(s\), 1 blob\(s\) checked/);

  // One flipped bit in the snapshot.
  const snapshots = join(backup, 'g1', 'snapshots');
  const [name] = await readdir(snapshots);
  assert.ok(name);
  const data = await readFile(join(snapshots, name));
  data.writeUInt8(data.readUInt8(100) ^ 1, 100);
  await writeFile(join(snapshots, name), data);
  const bad = await holdfast(['backup', 'verify', '--target', `dir:${backup}`, '--json']);
  assert.equal(bad.code, 1);
  const reports = JSON.parse(bad.stdout) as Array<{ ok: boolean; problems: string[] }>;
  assert.equal(reports[0]?.ok, false);
  assert.ok(reports[0]?.problems.some((p) => p.includes(`g1/snapshots/${name}`) && p.includes('checksum')), reports[0]?.problems.join('\n'));

  const restore = await holdfast(['restore', '--from', `dir:${backup}`, '--to', join(root.dir, 'from-damaged'), '--json']);
  assert.equal(restore.code, 1);
  assert.equal((JSON.parse(restore.stdout) as { kind: string }).kind, 'damaged');
});

test('restore refuses a data directory that holds a store, and --force moves it aside', async () => {
  const backup = await made(join(root.dir, 'force-backup'));
  assert.equal((await holdfast(['backup', 'run', '--data', dataDir, '--target', `dir:${backup}`])).code, 0);
  const to = join(root.dir, 'restore-here');
  const first = await holdfast(['restore', '--from', `dir:${backup}`, '--to', to]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /restored into: .*restore-here/);
  assert.match(first.stderr, /restoring the latest point from dir:/);
  const refused = await holdfast(['restore', '--from', `dir:${backup}`, '--to', to]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /holds store .*pass --force to move the old one aside/);
  const forced = await holdfast(['restore', '--from', `dir:${backup}`, '--to', to, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stdout, /old directory moved to: .*restore-here\.before-restore-/);
  await rm(to, { recursive: true, force: true });
});

test('the command line is checked before anything is touched', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['restore', '--to', '/tmp/x'], /missing --from TARGET/],
    [['restore', '--from', 'dir:/tmp/y'], /missing --to DIR/],
    [['restore', '--from', 'ftp://host/x', '--to', '/tmp/x'], /is not a backup target; write "dir:/],
    [['restore', '--from', 'dir:/tmp/y', '--to', '/tmp/x', '--at', 'yesterday'], /--at expects a time/],
    [['restore', '--from', 'dir:/tmp/y', '--to', '/tmp/x', '--at', '2026-01-01T00:00:00Z', '--seq', '3'], /not both/],
    [['backup', 'verify', '--data', dataDir], /no backup target: pass --target/],
    [['backup', 'frobnicate'], /unknown backup command/],
  ];
  for (const [args, message] of cases) {
    const result = await holdfast(args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
  }
});

test('backup run to a directory that does not exist (an unmounted disk) fails, says so, and creates nothing', async () => {
  const missing = join(root.dir, 'not-mounted');
  const result = await holdfast(['backup', 'run', '--data', dataDir, '--target', `dir:${missing}`]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /does not exist or is not a directory: is its disk mounted\?/);
  assert.ok(!(await readdir(root.dir)).includes('not-mounted'));
});

test('a target with no backup is said plainly', async () => {
  const empty = join(root.dir, 'nothing-here');
  const result = await holdfast(['restore', '--from', `dir:${empty}`, '--to', join(root.dir, 'r-empty')]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /holds no Holdfast backup/);
});
