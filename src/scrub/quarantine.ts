// A bad copy of a blob is moved aside, never deleted: it may be the only copy of something
// an operator wants to examine, and a scrub that is wrong about it must not destroy it.
import { rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ensureDirectoryDurably, fsyncDirectory } from '../store/durable-fs.ts';

export const QUARANTINE_DIR = 'quarantine';

/** Moves `path` to <dataDir>/quarantine/<hash>.<time>.bad and returns the new path. */
export async function quarantine(dataDir: string, path: string, hash: string, now = new Date()): Promise<string> {
  const dir = join(dataDir, QUARANTINE_DIR);
  await ensureDirectoryDurably(dir);
  const to = join(dir, `${hash}.${now.toISOString().replace(/[:.]/g, '-')}.bad`);
  await rename(path, to);
  await fsyncDirectory(dir);
  await fsyncDirectory(dirname(path));
  return to;
}
