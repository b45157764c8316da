// A real store in a temporary data directory, with a shipper to a target of either kind.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { openS3Target } from '../../src/backup/s3-target.ts';
import { TargetShipper } from '../../src/backup/ship.ts';
import { openBackupSource } from '../../src/backup/sqlite-source.ts';
import type { BackupSource } from '../../src/backup/sqlite-source.ts';
import type { BackupTarget } from '../../src/backup/target.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import type { Content } from '../../src/store/types.ts';
import { S3_BUCKET, S3_CREDENTIALS } from './s3-server.ts';
import type { RunningS3 } from './s3-server.ts';

export const INLINE_LIMIT = 1024;

export interface BackupFixture {
  root: string;
  dataDir: string;
  store: Store;
  source: BackupSource;
  target: BackupTarget;
  shipper: TargetShipper;
  cleanup: () => Promise<void>;
}

let s3Prefixes = 0;

/** `s3` given: the target is S3 under a fresh prefix; otherwise a directory. */
export async function backupFixture(s3?: RunningS3, snapshotEveryChanges = 10_000): Promise<BackupFixture> {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-backup-'));
  const dataDir = join(root, 'data');
  const opened = await openStore({ dataDir, initializeIfEmpty: true, inlineLimitBytes: INLINE_LIMIT, cleanTemporaryFiles: true });
  if (opened.kind !== 'opened') throw new Error(opened.reason);
  const store = opened.store;
  const source = openBackupSource(dataDir);
  s3Prefixes += 1;
  const target = s3
    ? openS3Target({ bucket: S3_BUCKET, prefix: `backup-${process.pid}-${s3Prefixes}`, endpoint: s3.endpoint, credentials: S3_CREDENTIALS })
    : await openDirectoryTarget(await made(join(root, 'target')));
  const shipper = new TargetShipper(target, { store, source, snapshotEveryChanges });
  return {
    root,
    dataDir,
    store,
    source,
    target,
    shipper,
    async cleanup() {
      source.close();
      await store.close().catch(() => undefined);
      await target.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A directory target's directory must exist (a missing one is an unmounted disk). */
export async function made(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function readAll(content: Content | null): Promise<Buffer> {
  if (content === null) throw new Error('no content');
  const chunks: Buffer[] = [];
  for await (const chunk of content.open()) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export const vcard = (uid: string, name: string) =>
  Buffer.from(`BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${uid}\r\nFN:${name}\r\nEND:VCARD\r\n`);

export async function openRestored(dataDir: string): Promise<Store> {
  const opened = await openStore({ dataDir, initializeIfEmpty: false });
  if (opened.kind !== 'opened') throw new Error(opened.reason);
  return opened.store;
}
