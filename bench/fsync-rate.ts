// How many durable writes per second the disk itself allows: the ceiling for a store that
// fsyncs once per write, and the figure group commit is measured against.
import { closeSync, fdatasyncSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface FsyncRate {
  /** 4 KiB written then fdatasync'd, per second: the disk's own round trip. */
  fdatasyncPerSecond: number;
  /** The same with fsync, which also flushes the file's metadata. This is the call the
   * store's commits make: better-sqlite3 builds SQLite without HAVE_FDATASYNC, so SQLite's
   * WAL sync is an fsync (seen with strace), as are the blob engine's. */
  fsyncPerSecond: number;
}

const BLOCK_BYTES = 4096;
/** Appends like a WAL does, wrapping at this size so the file stays small. */
const FILE_BYTES = 4 * 1024 * 1024;

/** Measures in `dir`, which must be on the disk under test. Blocks the event loop while it
 * runs, on purpose: nothing else may share the disk or the CPU with the measurement. */
export function measureFsyncRate(dir: string, seconds: number): FsyncRate {
  return {
    fdatasyncPerSecond: syncsPerSecond(join(dir, 'fsync-probe-data'), seconds, fdatasyncSync),
    fsyncPerSecond: syncsPerSecond(join(dir, 'fsync-probe-full'), seconds, fsyncSync),
  };
}

function syncsPerSecond(path: string, seconds: number, sync: (fd: number) => void): number {
  const block = Buffer.alloc(BLOCK_BYTES, 0x5a);
  const fd = openSync(path, 'w');
  try {
    let syncs = 0;
    let offset = 0;
    const started = performance.now();
    const deadline = started + seconds * 1000;
    let now = started;
    while (now < deadline) {
      writeSync(fd, block, 0, BLOCK_BYTES, offset);
      sync(fd);
      syncs += 1;
      offset = (offset + BLOCK_BYTES) % FILE_BYTES;
      now = performance.now();
    }
    return syncs / ((now - started) / 1000);
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}
