// The default blob engine: one file per blob under a directory, named by its SHA-256.
//
//   root/ab/cd/abcd…(64 hex)   stored blobs, fanned out by the first four hex characters
//   root/tmp/                  writes in progress; anything left here after a crash is litter
//
// A blob reaches its final name only after its bytes are fsynced, and `put` answers only
// after the directory holding that name is fsynced, so a name under root/ab/cd always
// means complete, durable content.

import { ContentDamagedError } from '../content-damaged-error.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ensureDirectoryDurably, fsyncDirectory } from '../durable-fs.ts';
import type { BlobEngine, BlobPutResult } from './blob-engine.ts';

const HASH_PATTERN = /^[0-9a-f]{64}$/;
const FAN_OUT_PATTERN = /^[0-9a-f]{2}$/;
const TEMP_DIR = 'tmp';
const READ_CHUNK_BYTES = 256 * 1024;
/** How much of an incoming write is gathered before it goes to the disk in one call. */
const WRITE_BATCH_BYTES = 512 * 1024;

/** A stored blob whose bytes no longer hash to its name: bit rot, truncation, tampering. */
export class BlobCorruptError extends ContentDamagedError {
  override name = 'BlobCorruptError';
  readonly hash: string;
  readonly path: string;
  readonly actualHash: string;
  readonly actualSize: number;

  constructor(hash: string, path: string, actualHash: string, actualSize: number) {
    super(
      `blob ${hash} at ${path} is corrupt: its ${actualSize} bytes hash to ${actualHash}. ` +
        'It was not served as good; restore this file from a backup target or a replica.',
    );
    this.hash = hash;
    this.path = path;
    this.actualHash = actualHash;
    this.actualSize = actualSize;
  }
}

/** Opens (creating if needed) a blob directory. Call `cleanTemporary()` once at start. */
export async function openLocalDirectoryBlobs(root: string): Promise<BlobEngine> {
  const absoluteRoot = resolve(root);
  await ensureDirectoryDurably(join(absoluteRoot, TEMP_DIR));
  return new LocalDirectoryBlobs(absoluteRoot);
}

type TempWriteResult = { kind: 'written'; hash: string; size: number } | { kind: 'too-large'; limit: number };

class LocalDirectoryBlobs implements BlobEngine {
  private readonly root: string;
  private readonly tempDir: string;
  /** Temp files of writes in progress, which `cleanTemporary` must leave alone. */
  private readonly activeTemps = new Set<string>();
  /** Fan-out directories whose entries are known durable in this process. */
  private readonly durableDirs = new Map<string, Promise<void>>();
  /** The last move into place per hash; the next one for that hash waits on it. */
  private readonly hashLocks = new Map<string, Promise<void>>();

  constructor(root: string) {
    this.root = root;
    this.tempDir = join(root, TEMP_DIR);
  }

  async put(source: AsyncIterable<Uint8Array>, options: { maxBytes?: number } = {}): Promise<BlobPutResult> {
    const { maxBytes } = options;
    if (maxBytes !== undefined && !(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
      throw new RangeError(`maxBytes must be a whole number of bytes, 0 or more; got ${maxBytes}`);
    }
    const temp = join(this.tempDir, `put-${randomBytes(12).toString('hex')}`);
    this.activeTemps.add(temp);
    try {
      const written = await streamToFile(source, temp, maxBytes);
      if (written.kind === 'too-large') {
        await unlink(temp);
        return written;
      }
      return await this.withHashLock(written.hash, () => this.moveIntoPlace(temp, written.hash, written.size));
    } catch (error) {
      // The source failed (a client went away) or the disk did: nothing of this write stays.
      await unlink(temp).catch(() => undefined);
      throw error;
    } finally {
      this.activeTemps.delete(temp);
    }
  }

  async has(hash: string): Promise<boolean> {
    return (await this.size(hash)) !== null;
  }

  async size(hash: string): Promise<number | null> {
    const stats = await statIfPresent(this.pathOf(hash));
    return stats?.isFile() ? stats.size : null;
  }

  async open(hash: string): Promise<AsyncIterable<Uint8Array> | null> {
    const path = this.pathOf(hash);
    const stats = await statIfPresent(path);
    if (!stats?.isFile()) return null;
    // Opened lazily, per iteration, so an iterable nobody reads holds no file descriptor.
    return { [Symbol.asyncIterator]: () => readVerified(path, hash) };
  }

  async *list(): AsyncGenerator<string> {
    for (const first of await namesIn(this.root, FAN_OUT_PATTERN, 'directory')) {
      for (const second of await namesIn(join(this.root, first), FAN_OUT_PATTERN, 'directory')) {
        for (const name of await namesIn(join(this.root, first, second), HASH_PATTERN, 'file')) {
          // A file in the wrong fan-out directory is not reachable by `open`, so it is not a blob.
          if (name.startsWith(first + second)) yield name;
        }
      }
    }
  }

  async cleanTemporary(): Promise<number> {
    await ensureDirectoryDurably(this.tempDir);
    let removed = 0;
    for (const name of await readdir(this.tempDir)) {
      const path = join(this.tempDir, name);
      if (this.activeTemps.has(path)) continue;
      await rm(path, { recursive: true, force: true });
      removed += 1;
    }
    // No directory fsync: a removal lost in a crash only brings back litter, removed next start.
    return removed;
  }

  async checkWritable(): Promise<void> {
    const probe = join(this.tempDir, `probe-${randomBytes(8).toString('hex')}`);
    this.activeTemps.add(probe);
    try {
      const handle = await open(probe, 'wx');
      try {
        await handle.writeFile('holdfast write probe\n');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await unlink(probe);
      await fsyncDirectory(this.tempDir);
    } catch (error) {
      await unlink(probe).catch(() => undefined);
      throw new Error(
        `the blob directory ${this.root} cannot take a durable write: ${describeError(error)}. ` +
          'Check that its disk is mounted, not full or read-only, and writable by the user Holdfast runs as.',
        { cause: error },
      );
    } finally {
      this.activeTemps.delete(probe);
    }
  }

  private async moveIntoPlace(temp: string, hash: string, size: number): Promise<BlobPutResult> {
    const finalPath = this.pathOf(hash);
    await this.ensureFanOut(hash);
    const existing = await statIfPresent(finalPath);
    // Even when the blob exists we rename our copy over it rather than drop ours: ours was
    // just hashed and fsynced, while the old one may have rotted since it was written, so
    // a repeat upload repairs it for the price of a rename.
    await rename(temp, finalPath);
    await fsyncDirectory(dirname(finalPath));
    return { kind: 'stored', hash, size, existed: existing !== null };
  }

  private ensureFanOut(hash: string): Promise<void> {
    const dir = dirname(this.pathOf(hash));
    return this.onceDurable(dir, async () => {
      const top = dirname(dir);
      // The first level (256 of them) once per process: made durably if missing, and its
      // entry in the root fsynced in case a process that crashed made it.
      await this.onceDurable(top, async () => {
        await ensureDirectoryDurably(top);
        await fsyncDirectory(this.root);
      });
      // A fan-out directory made here has its entry fsynced into `top` as it is made. One
      // that exists may have been made by a process that crashed before that fsync: a blob
      // must not be acknowledged inside a directory that could vanish, so `top` is fsynced.
      const stats = await statIfPresent(dir);
      if (stats?.isDirectory()) await fsyncDirectory(top);
      else await ensureDirectoryDurably(dir);
    });
  }

  /** Runs `make` once per directory in this process (again only if it failed). */
  private onceDurable(dir: string, make: () => Promise<void>): Promise<void> {
    let ready = this.durableDirs.get(dir);
    if (!ready) {
      ready = make();
      this.durableDirs.set(dir, ready);
      ready.catch(() => this.durableDirs.delete(dir));
    }
    return ready;
  }

  private async withHashLock<T>(hash: string, action: () => Promise<T>): Promise<T> {
    const previous = this.hashLocks.get(hash) ?? Promise.resolve();
    const current = previous.then(action);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    this.hashLocks.set(hash, settled);
    try {
      return await current;
    } finally {
      if (this.hashLocks.get(hash) === settled) this.hashLocks.delete(hash);
    }
  }

  private pathOf(hash: string): string {
    if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) {
      throw new TypeError(
        `${JSON.stringify(String(hash).slice(0, 100))} is not a blob hash: expected a SHA-256 as 64 lowercase hex characters`,
      );
    }
    return join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }
}

/** Writes the source to a new file, hashing as it goes, and fsyncs it once at the end.
 * Stops reading as soon as `maxBytes` is passed. The write-behind's wait for the disk is
 * the backpressure on the source. */
async function streamToFile(
  source: AsyncIterable<Uint8Array>,
  path: string,
  maxBytes: number | undefined,
): Promise<TempWriteResult> {
  const handle = await open(path, 'wx');
  const hasher = createHash('sha256');
  const writer = new WriteBehind(handle);
  let size = 0;
  try {
    for await (const chunk of source) {
      const value: unknown = chunk;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`a blob source yielded ${typeof value} where bytes were expected; yield Uint8Array chunks`);
      }
      size += value.byteLength;
      if (maxBytes !== undefined && size > maxBytes) return { kind: 'too-large', limit: maxBytes };
      hasher.update(value);
      await writer.add(value);
    }
    await writer.finish();
    await handle.sync();
  } finally {
    // Never close a descriptor with a write still in flight on it.
    await writer.settle();
    await handle.close();
  }
  return { kind: 'written', hash: hasher.digest('hex'), size };
}

/**
 * Copies chunks into batches and writes a full batch while the next one fills, so the disk
 * and the network work at the same time instead of taking turns, with few large writes
 * instead of many small ones. The chunks are copied because a source may reuse its buffer
 * once asked for the next; at most two batches exist per write.
 */
class WriteBehind {
  private readonly handle: FileHandle;
  private filling: Buffer | null = null;
  private spare: Buffer | null = null;
  private used = 0;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(handle: FileHandle) {
    this.handle = handle;
  }

  async add(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.byteLength) {
      // Allocated when first needed: content under one batch never takes a second buffer.
      const batch = (this.filling ??= Buffer.allocUnsafe(WRITE_BATCH_BYTES));
      const count = Math.min(chunk.byteLength - offset, batch.byteLength - this.used);
      batch.set(chunk.subarray(offset, offset + count), this.used);
      this.used += count;
      offset += count;
      if (this.used === batch.byteLength) await this.flush();
    }
  }

  /** Writes what is left and waits until every byte has reached the file. */
  async finish(): Promise<void> {
    if (this.used > 0) await this.flush();
    await this.inFlight;
  }

  /** Waits for a write in flight to end, whether it succeeded or not. */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }

  private async flush(): Promise<void> {
    // The previous batch's write must end before its buffer is filled again, and a failed
    // write fails the put here.
    await this.inFlight;
    const full = this.filling;
    if (!full) return;
    this.inFlight = writeAll(this.handle, full.subarray(0, this.used));
    // Its failure is seen by the next flush, finish or settle; until then it is not unhandled.
    this.inFlight.catch(() => undefined);
    this.filling = this.spare;
    this.spare = full;
    this.used = 0;
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

/** Streams a blob, hashing as it goes. The last chunk is held back until the hash is
 * checked, so a consumer never receives every byte of corrupt content: an HTTP response
 * with a Content-Length cannot look complete when the blob was bad. */
async function* readVerified(path: string, hash: string): AsyncGenerator<Uint8Array, void, undefined> {
  const hasher = createHash('sha256');
  let size = 0;
  let held: Buffer | null = null;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
      hasher.update(chunk);
      size += chunk.byteLength;
      if (held) yield held;
      held = chunk;
    }
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) {
      throw new Error(
        `blob ${hash} vanished from ${path} while it was being opened; something outside Holdfast removed it. ` +
          'Restore it from a backup target or a replica.',
        { cause: error },
      );
    }
    throw error;
  }
  const actualHash = hasher.digest('hex');
  if (actualHash !== hash) throw new BlobCorruptError(hash, path, actualHash, size);
  if (held) yield held;
}

async function namesIn(dir: string, pattern: RegExp, type: 'directory' | 'file'): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return [];
    throw error;
  }
  return entries
    .filter((entry) => pattern.test(entry.name) && (type === 'directory' ? entry.isDirectory() : entry.isFile()))
    .map((entry) => entry.name)
    .sort();
}

async function statIfPresent(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return null;
    throw error;
  }
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
