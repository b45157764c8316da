// Content a device uploads before the push that references it (PUT /api/v1/sync/blobs/<sha256>):
// large files and photos, which do not belong inline in a JSON push. Staged per user, so a
// push can only reference what its own user uploaded; verified against the hash and made
// durable (temp, fsync, rename, fsync the directory) before the upload is acknowledged.
// A push that uses a staged file moves its content into the store, which keeps it from then
// on; staged files left unused are removed after STAGED_TTL_MS.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory } from '../store/durable-fs.ts';

export const STAGED_TTL_MS = 24 * 3600 * 1000;

export type StageResult = { kind: 'staged'; size: number } | { kind: 'hash-mismatch'; actual: string } | { kind: 'too-large'; limit: number };

export interface StagedBlobs {
  stage(userId: number, sha256: string, body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<StageResult>;
  /** The staged content's bytes, or null if this user staged no such content. */
  open(userId: number, sha256: string): Promise<AsyncIterable<Uint8Array> | null>;
  remove(userId: number, sha256: string): Promise<void>;
  /** Removes staged files older than the time to live. */
  sweep(now: number): Promise<number>;
}

export function stagedBlobs(root: string): StagedBlobs {
  const dirOf = (userId: number) => join(root, String(userId));
  return {
    async stage(userId, sha256, body, maxBytes) {
      const dir = dirOf(userId);
      await mkdir(dir, { recursive: true });
      const temp = join(dir, `.${randomUUID()}.tmp`);
      const handle = await open(temp, 'wx');
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const chunk of body) {
          size += chunk.byteLength;
          if (size > maxBytes) return { kind: 'too-large', limit: maxBytes };
          hash.update(chunk);
          await handle.write(chunk);
        }
        await handle.sync();
      } finally {
        await handle.close();
        if (size > maxBytes) await rm(temp, { force: true });
      }
      const actual = hash.digest('hex');
      if (actual !== sha256) {
        await rm(temp, { force: true });
        return { kind: 'hash-mismatch', actual };
      }
      await rename(temp, join(dir, sha256));
      await fsyncDirectory(dir);
      return { kind: 'staged', size };
    },
    async open(userId, sha256) {
      const path = join(dirOf(userId), sha256);
      try {
        await stat(path);
      } catch {
        return null;
      }
      // Opened when read, so content looked up but not used holds no file open.
      return (async function* () {
        yield* createReadStream(path) as AsyncIterable<Uint8Array>;
      })();
    },
    async remove(userId, sha256) {
      await rm(join(dirOf(userId), sha256), { force: true });
    },
    async sweep(now) {
      let removed = 0;
      let users: string[];
      try {
        users = await readdir(root);
      } catch {
        return 0;
      }
      for (const user of users) {
        for (const name of await readdir(join(root, user)).catch(() => [] as string[])) {
          const path = join(root, user, name);
          const info = await stat(path).catch(() => null);
          if (info && now - info.mtimeMs > STAGED_TTL_MS) {
            await rm(path, { force: true });
            removed += 1;
          }
        }
      }
      return removed;
    },
  };
}
