// A backup target on a file system (another disk, a network mount): one file per object.
// An object reaches its name only after its bytes are fsynced, and `put` resolves only
// after the directory holding the name is fsynced: a name always means complete content.
import { randomBytes } from 'node:crypto';
import { link, open, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { ensureDirectoryDurably, fsyncDirectory } from '../store/durable-fs.ts';
import type { BackupObjectInfo, BackupTarget } from './target.ts';
import { checkKey } from './target.ts';

const TEMP_DIR = '.tmp';

/** Opens a target in an existing directory. Nothing is created until the first put, and
 * never the directory itself: if it is missing, the disk is probably not mounted, and a
 * backup written to the mount point would land on the very disk it should outlive. */
export async function openDirectoryTarget(root: string): Promise<BackupTarget> {
  return new DirectoryTarget(resolve(root));
}

class DirectoryTarget implements BackupTarget {
  readonly description: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = root;
    this.description = `dir:${root}`;
  }

  private pathOf(key: string): string {
    checkKey(key);
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    await this.putStream(key, [data]);
  }

  async putStream(key: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const path = this.pathOf(key);
    await this.checkRoot();
    const temp = join(this.root, TEMP_DIR, `put-${randomBytes(12).toString('hex')}`);
    try {
      const handle = await open(temp, 'wx');
      try {
        for await (const chunk of source) await handle.write(chunk);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await ensureDirectoryDurably(dirname(path));
      // link, not rename: it never replaces an object already there (append-only).
      try {
        await link(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      await fsyncDirectory(dirname(path));
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  private async checkRoot(): Promise<void> {
    try {
      if ((await stat(this.root)).isDirectory()) {
        await ensureDirectoryDurably(join(this.root, TEMP_DIR));
        return;
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    throw new Error(
      `the backup directory ${this.root} does not exist or is not a directory: is its disk mounted? For a new target, create it first (mkdir)`,
    );
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async head(key: string): Promise<BackupObjectInfo | null> {
    try {
      const stats = await stat(this.pathOf(key));
      return stats.isFile() ? { key, size: stats.size } : null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async list(prefix: string): Promise<BackupObjectInfo[]> {
    // Walk only the directory the prefix reaches into, then filter by the whole prefix.
    const slash = prefix.lastIndexOf('/');
    const base = slash < 0 ? '' : prefix.slice(0, slash);
    const start = base === '' ? this.root : join(this.root, ...base.split('/'));
    const found: BackupObjectInfo[] = [];
    await this.walk(start, found);
    return found.filter((object) => object.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private async walk(dir: string, found: BackupObjectInfo[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // the temp directory and other litter
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await this.walk(path, found);
      else if (entry.isFile()) {
        const key = path.slice(this.root.length + 1).split(sep).join('/');
        found.push({ key, size: (await stat(path)).size });
      }
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    // The name is gone for good only once its directory is fsynced.
    await fsyncDirectory(dirname(path));
  }

  async close(): Promise<void> {}
}
