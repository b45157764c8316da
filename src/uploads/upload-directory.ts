// Unfinished resumable uploads on disk: `<dataDir>/uploads/<id>/` holds `state.json` and
// `data`, the bytes received so far. The offset in state.json is what the server has
// promised a client; it is written (temp → fsync → rename → fsync) only after the bytes
// it counts were fsynced, so after a crash the data file holds at least that many bytes,
// and anything past it (written, not yet promised) is cut off on the next start.
//
// The recorded offset never reaches the upload's length: the last byte is promised only
// when the file is in the store, and then the upload is gone. So a crash (or a refusal)
// between the last byte and the store leaves an upload that asks for its last byte again,
// and the client's retry finishes it, instead of one that looks done but stored nothing.
//
// Once the file is stored, the data file goes and state.json keeps a record of the finished
// upload until it expires: a phone whose final answer was lost asks HEAD, learns the file
// is complete, and does not send it again.
//
// One process owns the directory (the store's lock on the data directory ensures it), so
// the index of uploads is kept in memory and the lock on an upload is a Set.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ensureDirectoryDurably, fsyncDirectory, writeFileDurably } from '../store/durable-fs.ts';
import type { ChunkChecksum, UploadTarget } from './tus-headers.ts';

const STATE_FILE = 'state.json';
const DATA_FILE = 'data';
/** 128 random bits as hex: an upload's URL cannot be guessed. */
export const UPLOAD_ID = /^[0-9a-f]{32}$/;

const stateSchema = z.strictObject({
  format: z.literal('holdfast-upload'),
  version: z.literal(1),
  id: z.string().regex(UPLOAD_ID),
  userId: z.number().int().positive(),
  length: z.number().int().min(0),
  offset: z.number().int().min(0),
  target: z.strictObject({
    collection: z.string().min(1),
    name: z.string().min(1),
    contentType: z.string().min(1),
    sha256: z.string().nullable(),
  }),
  /** The Upload-Metadata header as the client sent it, echoed by HEAD. */
  metadataHeader: z.string(),
  /** Set once the file is in the store: the upload then only answers that it is complete,
   * for a client that lost the final answer, until it expires. */
  storedRevision: z.string().nullable(),
  createdAt: z.string(),
  expiresAt: z.string(),
});

export type UploadState = z.infer<typeof stateSchema>;

export type AppendResult =
  | { kind: 'appended'; state: UploadState; complete: boolean }
  /** The bytes did not match the request's Upload-Checksum; they were discarded. */
  | { kind: 'checksum-mismatch'; state: UploadState }
  /** More bytes arrived than the upload has left; they were discarded. */
  | { kind: 'too-long'; state: UploadState };

export interface UploadDirectory {
  get(id: string): UploadState | undefined;
  isExpired(state: UploadState): boolean;
  /** Unfinished, unexpired uploads of a user. */
  countFor(userId: number): number;
  /** Records that the file is in the store (as this revision) and drops its bytes. */
  markStored(id: string, revisionId: string): Promise<UploadState>;
  create(input: { userId: number; length: number; target: UploadTarget; metadataHeader: string }): Promise<UploadState>;
  /** Takes the upload for one request; null if another request holds it. */
  lock(id: string): (() => void) | null;
  /**
   * Writes a request's bytes at the upload's offset and makes them durable. If the source
   * fails (the client hung up), the bytes that arrived are kept, unless a checksum was
   * given (then they cannot be verified and are discarded), and the failure is rethrown.
   */
  append(id: string, source: AsyncIterable<Uint8Array>, checksum: ChunkChecksum | undefined): Promise<AppendResult>;
  /** The bytes of an upload whose every byte has arrived. */
  readData(id: string): AsyncIterable<Uint8Array>;
  remove(id: string): Promise<void>;
  /** Removes expired uploads not in use; returns how many. */
  sweepExpired(): Promise<number>;
}

export interface UploadDirectoryOptions {
  now: () => Date;
  expiryMs: number;
  /** For recovery findings at startup. */
  warn: (message: string) => void;
}

export async function openUploadDirectory(root: string, options: UploadDirectoryOptions): Promise<UploadDirectory> {
  const { now, expiryMs } = options;
  await ensureDirectoryDurably(root);
  const uploads = await recover(root, options.warn);
  const busy = new Set<string>();

  const dirOf = (id: string) => join(root, id);
  const expiresFromNow = () => new Date(now().getTime() + expiryMs).toISOString();
  const isExpired = (state: UploadState) => now().getTime() >= Date.parse(state.expiresAt);
  const saveState = async (state: UploadState) => {
    await writeFileDurably(join(dirOf(state.id), STATE_FILE), JSON.stringify(state));
    uploads.set(state.id, state);
  };

  const remove = async (id: string) => {
    uploads.delete(id);
    // Renamed out of the way first, so a crash halfway through the removal leaves a
    // directory that the next start recognises as litter, never a half-deleted upload.
    const doomed = join(root, `.removing-${id}`);
    await rename(dirOf(id), doomed);
    await fsyncDirectory(root);
    await rm(doomed, { recursive: true, force: true });
  };

  return {
    get: (id) => uploads.get(id),
    isExpired,
    countFor: (userId) =>
      [...uploads.values()].filter((state) => state.userId === userId && state.storedRevision === null && !isExpired(state)).length,

    async markStored(id, revisionId) {
      const state = uploads.get(id);
      if (!state) throw new Error(`upload ${id} is not known`);
      const stored: UploadState = { ...state, offset: state.length, storedRevision: revisionId, expiresAt: expiresFromNow() };
      await saveState(stored);
      // Not fsynced: a data file that comes back after a crash is removed on the next start.
      await rm(join(dirOf(id), DATA_FILE), { force: true });
      return stored;
    },

    async create(input) {
      const id = randomBytes(16).toString('hex');
      const at = now();
      const state: UploadState = {
        format: 'holdfast-upload',
        version: 1,
        id,
        userId: input.userId,
        length: input.length,
        offset: 0,
        target: input.target,
        metadataHeader: input.metadataHeader,
        storedRevision: null,
        createdAt: at.toISOString(),
        expiresAt: expiresFromNow(),
      };
      // Made under a staging name and renamed whole: an upload directory without its
      // state or its data file never exists under an upload's id.
      const staging = join(root, `.creating-${id}`);
      await mkdir(staging);
      try {
        await writeFileDurably(join(staging, STATE_FILE), JSON.stringify(state));
        const data = await open(join(staging, DATA_FILE), 'wx');
        await data.sync();
        await data.close();
        await rename(staging, dirOf(id));
        await fsyncDirectory(root);
      } catch (error) {
        await rm(staging, { recursive: true, force: true });
        throw error;
      }
      uploads.set(id, state);
      return state;
    },

    lock(id) {
      if (busy.has(id)) return null;
      busy.add(id);
      return () => busy.delete(id);
    },

    async append(id, source, checksum) {
      const state = uploads.get(id);
      if (!state) throw new Error(`upload ${id} is not known`);
      const handle = await open(join(dirOf(id), DATA_FILE), 'r+');
      let written = 0;
      let tooLong = false;
      let failure: { error: unknown } | null = null;
      const hash = checksum ? createHash(checksum.algorithm) : null;
      try {
        // Bytes past the promised offset are not ours to keep (a crash, a discarded chunk).
        await handle.truncate(state.offset);
        // Read by hand rather than with for-await: stopping early must not destroy the
        // request, or the 413 could not be sent.
        const iterator = source[Symbol.asyncIterator]();
        for (;;) {
          let next: IteratorResult<Uint8Array>;
          try {
            next = await iterator.next();
          } catch (error) {
            failure = { error };
            break;
          }
          if (next.done) break;
          const chunk = next.value;
          if (state.offset + written + chunk.byteLength > state.length) {
            tooLong = true;
            break;
          }
          await handle.write(chunk, 0, chunk.byteLength, state.offset + written);
          hash?.update(chunk);
          written += chunk.byteLength;
        }
        const verified = hash === null || checksum === undefined || (failure === null && hash.digest().equals(checksum.digest));
        const keep = tooLong || !verified ? 0 : written;
        if (keep === 0) {
          if (written > 0) await handle.truncate(state.offset);
        } else {
          await handle.sync();
        }
        await handle.close();

        let current = state;
        if (keep > 0) {
          const reached = state.offset + keep;
          current = { ...state, offset: Math.min(reached, state.length - 1), expiresAt: expiresFromNow() };
          await saveState(current);
        }
        if (failure) throw failure.error;
        if (tooLong) return { kind: 'too-long', state: current };
        if (!verified) return { kind: 'checksum-mismatch', state: current };
        return { kind: 'appended', state: current, complete: state.offset + keep === state.length };
      } catch (error) {
        await handle.close().catch(() => undefined);
        throw error;
      }
    },

    async *readData(id) {
      const handle = await open(join(dirOf(id), DATA_FILE), 'r');
      try {
        yield* handle.createReadStream({ autoClose: false }) as AsyncIterable<Uint8Array>;
      } finally {
        await handle.close();
      }
    },

    remove,

    async sweepExpired() {
      let removed = 0;
      for (const state of [...uploads.values()]) {
        if (!isExpired(state) || busy.has(state.id)) continue;
        await remove(state.id);
        removed += 1;
      }
      return removed;
    },
  };
}

/** Reads every upload's state; cuts each data file back to its promised offset; clears
 * the litter of creations and removals that a crash interrupted. */
async function recover(root: string, warn: (message: string) => void): Promise<Map<string, UploadState>> {
  const uploads = new Map<string, UploadState>();
  for (const entry of await readdir(root)) {
    const dir = join(root, entry);
    if (entry.startsWith('.creating-') || entry.startsWith('.removing-')) {
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (!UPLOAD_ID.test(entry)) {
      warn(`${dir} is not an upload; it was left alone`);
      continue;
    }
    let state: UploadState;
    try {
      state = stateSchema.parse(JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')));
      if (state.id !== entry) throw new Error(`it names upload ${state.id}`);
    } catch (error) {
      // Never acknowledged as a whole file: the client that made it can start again.
      warn(`the unfinished upload in ${dir} has an unreadable state (${error instanceof Error ? error.message : String(error)}); it was removed`);
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    const data = join(dir, DATA_FILE);
    if (state.storedRevision !== null) {
      await rm(data, { force: true });
      uploads.set(state.id, state);
      continue;
    }
    const size = (await stat(data)).size;
    if (size < state.offset) {
      // fsynced bytes went missing: promise only what is there, so the client re-sends the rest.
      warn(`the upload ${state.id} promised ${state.offset} bytes but its data file holds ${size}; it resumes from ${size}`);
      state = { ...state, offset: size };
      await writeFileDurably(join(dir, STATE_FILE), JSON.stringify(state));
    } else if (size > state.offset) {
      const handle = await open(data, 'r+');
      await handle.truncate(state.offset);
      await handle.close();
    }
    uploads.set(state.id, state);
  }
  return uploads;
}
