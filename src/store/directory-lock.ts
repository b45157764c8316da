// One owner per data directory. The owner (the server) creates, cleans and upgrades it;
// two owners would delete each other's writes in flight. The lock is a file made with
// O_EXCL naming the owner's process; a lock whose process is gone (a crash) is taken over.
import { hostname } from 'node:os';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory } from './durable-fs.ts';

export const LOCK_FILE = 'holdfast.lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

export type LockResult =
  | { kind: 'locked'; release: () => Promise<void> }
  | { kind: 'held'; owner: LockOwner; path: string };

export async function lockDataDirectory(dir: string): Promise<LockResult> {
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  // Twice at most: once, and once more after removing a lock its owner left behind.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsyncDirectory(dir);
      return { kind: 'locked', release: () => rm(path, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = await readOwner(path);
    if (owner !== null && (owner.host !== me.host || isRunning(owner.pid))) return { kind: 'held', owner, path };
    // The owner crashed (or the file is unreadable half-written garbage of a crash).
    await rm(path, { force: true });
  }
  const owner = (await readOwner(path)) ?? { pid: 0, host: 'unknown', since: 'unknown' };
  return { kind: 'held', owner, path };
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.since === 'string') {
      return { pid: value.pid, host: value.host, since: value.since };
    }
    return null;
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else, so it is running.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
