// Both kinds of backup target pass one contract: a directory and S3 (s3rver, see s3-server.ts).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { openS3Target } from '../../src/backup/s3-target.ts';
import { backupTargetContract } from './target-contract.ts';
import { S3_BUCKET, S3_CREDENTIALS, startS3 } from './s3-server.ts';
import type { RunningS3 } from './s3-server.ts';

backupTargetContract('directory target', async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-target-'));
  return { target: await openDirectoryTarget(root), cleanup: () => rm(root, { recursive: true, force: true }) };
});

let s3: RunningS3;
before(async () => {
  s3 = await startS3();
});
after(async () => {
  await s3.close();
});

let prefixes = 0;
backupTargetContract('S3 target', async () => {
  // A prefix of its own per test: the bucket is shared.
  prefixes += 1;
  const target = openS3Target({ bucket: S3_BUCKET, prefix: `test-${prefixes}`, endpoint: s3.endpoint, credentials: S3_CREDENTIALS });
  return { target, cleanup: async () => {} };
});

test('directory target: a missing directory (an unmounted disk) is refused on write, and nothing is created', async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-target-'));
  try {
    const target = await openDirectoryTarget(join(root, 'usb'));
    await assert.rejects(target.put('holdfast-backup.json', Buffer.from('{}')), /does not exist or is not a directory: is its disk mounted\?/);
    assert.equal(await target.get('holdfast-backup.json'), null);
    assert.deepEqual(await target.list(''), []);
    assert.deepEqual(await readdir(root), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('directory target: a put leaves no temporary file behind', async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-target-'));
  try {
    const target = await openDirectoryTarget(root);
    await target.put('blobs/ab/x', Buffer.from('x'));
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
