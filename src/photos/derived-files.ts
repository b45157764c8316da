// Thumbnails and previews on disk, under <dataDir>/derived/photos/, named by the content
// hash of the photo they were made from: the same photo in two folders, or in two users'
// libraries, is made once. They can always be made again from the original, so they are
// not fsynced; but they are written to a temporary name and renamed, so a file under its
// final name is always whole.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Variant = 'thumbnail' | 'preview';

export const VARIANTS: readonly Variant[] = ['thumbnail', 'preview'];

/** The longest side, in pixels, of each variant (smaller images are not enlarged). */
export const VARIANT_SIZE: Record<Variant, number> = { thumbnail: 256, preview: 1600 };

const SHA256 = /^[0-9a-f]{64}$/;
const LEFTOVER_AGE_MS = 60_000;

export interface DerivedFiles {
  read(sha256: string, variant: Variant): Promise<Buffer | null>;
  write(sha256: string, variant: Variant, data: Buffer): Promise<void>;
  /** Removes temporary files a crash left behind (older than a minute, so never one being
   * written now); answers how many. */
  removeLeftovers(): Promise<number>;
}

export function derivedFiles(root: string): DerivedFiles {
  const pathOf = (sha256: string, variant: Variant): string => {
    // Hashes come from the store, but a path is built from them: never let one escape.
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256 hex digest: ${JSON.stringify(sha256)}`);
    return join(root, sha256.slice(0, 2), `${sha256}.${variant}.jpg`);
  };

  return {
    async read(sha256, variant) {
      try {
        return await readFile(pathOf(sha256, variant));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(sha256, variant, data) {
      const path = pathOf(sha256, variant);
      await mkdir(join(root, sha256.slice(0, 2)), { recursive: true });
      const temp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
      try {
        await writeFile(temp, data, { flag: 'wx' });
        await rename(temp, path);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    },
    async removeLeftovers() {
      let removed = 0;
      const shards = await readdir(root).catch(() => [] as string[]);
      for (const shard of shards) {
        const names = await readdir(join(root, shard)).catch(() => [] as string[]);
        for (const name of names.filter((n) => n.includes('.tmp-'))) {
          const path = join(root, shard, name);
          const info = await stat(path).catch(() => null);
          if (!info || Date.now() - info.mtimeMs < LEFTOVER_AGE_MS) continue;
          await unlink(path).catch(() => undefined);
          removed += 1;
        }
      }
      return removed;
    },
  };
}
