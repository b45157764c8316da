// The few file-system moves that make a write survive a power cut: data is fsynced before
// it gets its final name, and a new name is durable only once its directory is fsynced.
// A bare writeFile can leave an empty or half-written file behind after a crash; these never do.

import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** Makes the directory's entries (files created, renamed or removed in it) durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Replaces `path` with `data` atomically: after a crash, `path` holds either the old
 * content or the new, never a mix or nothing. */
export async function writeFileDurably(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.tmp-${randomBytes(8).toString('hex')}`);
  try {
    // 'wx' so that we never write through a file someone else is also writing.
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await fsyncDirectory(dir);
  } catch (error) {
    // The write's own error is the one worth reporting; a temp file we fail to remove
    // is only litter.
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

// Directories this process is creating right now. A second caller that finds one of these
// already on disk must still wait for its parent's fsync: otherwise it could acknowledge a
// file inside a directory whose own entry is not yet durable.
const creating = new Map<string, Promise<void>>();

/** `mkdir -p` whose result survives a crash: every directory it creates has its entry
 * fsynced into its parent before this resolves. */
export async function ensureDirectoryDurably(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = resolve(dir);
  for (;;) {
    const exists = await isExistingDirectory(current);
    const inFlight = creating.get(current);
    if (inFlight) {
      await inFlight;
      break;
    }
    if (exists) break;
    missing.unshift(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const path of missing) await createDirectoryDurably(path);
}

async function createDirectoryDurably(path: string): Promise<void> {
  const inFlight = creating.get(path);
  if (inFlight) return inFlight;
  const creation = (async () => {
    try {
      await mkdir(path);
    } catch (error) {
      // Someone else made it between our look and our mkdir; if it is another process,
      // that process fsyncs the parent, and if it is this one, it is in `creating`.
      if (isErrorCode(error, 'EEXIST') && (await isExistingDirectory(path))) return;
      throw error;
    }
    await fsyncDirectory(dirname(path));
  })();
  creating.set(path, creation);
  try {
    await creation;
  } finally {
    creating.delete(path);
  }
}

async function isExistingDirectory(path: string): Promise<boolean> {
  try {
    const stats = await stat(path);
    if (!stats.isDirectory()) {
      throw new Error(`${path} exists but is not a directory; move it out of the way so a directory can be made there`);
    }
    return true;
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return false;
    throw error;
  }
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
